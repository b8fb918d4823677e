use promgen_test::{Prometheus, promgen_test};

#[promgen_test(rules = ["tests/rules/missing.yml"])]
async fn missing_rules(prometheus: Prometheus) {
    drop(prometheus);
}

fn main() {}
