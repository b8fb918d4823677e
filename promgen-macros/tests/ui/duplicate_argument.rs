use promgen_test::{Prometheus, promgen_test};

#[promgen_test(evaluation_interval = "1m", backend = "binary", evaluation_interval = "30s")]
async fn duplicate(prometheus: Prometheus) {
    drop(prometheus);
}

fn main() {}
