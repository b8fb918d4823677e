// 65 signs: the 65th is one level too many.
fn main() {
    let _ = promgen::series!(-----------------------------------------------------------------1);
}
