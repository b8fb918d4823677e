fn main() {
    let _ = promgen::series!(loop);
}
