fn main() {
    let _ = promgen::series!(sin(period = 10, amp = 5));
}
