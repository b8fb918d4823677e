fn main() {
    let _ = promgen::series!("3+3x4-4");
}
