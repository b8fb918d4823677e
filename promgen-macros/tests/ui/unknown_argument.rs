use promgen_test::{Prometheus, promgen_test};

#[promgen_test(evaluaton_interval = "1m")]
async fn misspelt(prometheus: Prometheus) {
    drop(prometheus);
}

#[promgen_test(colour = "red")]
async fn unknown(prometheus: Prometheus) {
    drop(prometheus);
}

fn main() {}
