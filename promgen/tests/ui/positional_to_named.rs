fn main() {
    let _ = promgen::series!(walk(100, 2));
}
