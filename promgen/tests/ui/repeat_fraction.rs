fn main() {
    let _ = promgen::series!([1, 2] x 1.5);
}
