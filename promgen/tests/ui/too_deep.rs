// 65 pairs of parentheses: one level past the limit, refused on the 65th.
fn main() {
    let _ = promgen::series!((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))));
}
