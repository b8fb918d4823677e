fn main() {
    let _ = promgen::series!(normal(0));
}
