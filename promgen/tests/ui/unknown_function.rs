fn main() {
    let _ = promgen::series!(lienar(0..10) >> loop);
}
