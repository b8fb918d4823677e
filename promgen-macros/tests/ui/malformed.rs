use promgen_test::{Prometheus, promgen_test};

#[promgen_test(backend "binary", scrape_interval =)]
async fn malformed(prometheus: Prometheus) {
    drop(prometheus);
}

#[promgen_test]
#[test]
async fn second_test_attribute(prometheus: Prometheus) {
    drop(prometheus);
}

fn main() {}
