fn main() {
    let _ = promgen::series!(sin(period = 30x));
}
