fn main() {
    let _ = promgen::series!(uniform(10..0));
}
