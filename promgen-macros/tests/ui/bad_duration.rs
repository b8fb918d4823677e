use promgen_test::{Prometheus, promgen_test};

#[promgen_test(evaluation_interval = "1m30x", scrape_interval = "0s")]
async fn bad_durations(prometheus: Prometheus) {
    drop(prometheus);
}

fn main() {}
