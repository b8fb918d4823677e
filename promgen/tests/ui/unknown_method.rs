fn main() {
    let _ = promgen::series!(linear(0..10).rund());
}
