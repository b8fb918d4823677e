use promgen_test::{Prometheus, promgen_test};

#[promgen_test]
async fn no_parameter() {}

#[promgen_test]
async fn two_parameters(prometheus: Prometheus, extra: Vec<(u8, u8)>) {
    drop((prometheus, extra));
}

fn main() {}
