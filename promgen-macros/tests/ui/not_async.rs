use promgen_test::{Prometheus, promgen_test};

#[promgen_test]
fn not_async(prometheus: Prometheus) {
    drop(prometheus);
}

fn main() {}
