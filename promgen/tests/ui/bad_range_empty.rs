fn main() {
    let _ = promgen::series!(linear(5..5));
}
