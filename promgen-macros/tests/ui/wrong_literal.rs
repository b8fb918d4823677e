use promgen_test::{Prometheus, promgen_test};

#[promgen_test(evaluation_interval = 15, backend = docker, rules = [1])]
async fn not_strings(prometheus: Prometheus) {
    drop(prometheus);
}

fn main() {}
