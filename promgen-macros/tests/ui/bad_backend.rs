use promgen_test::{Prometheus, promgen_test};

#[promgen_test(backend = "dokcer")]
async fn bad_backend(prometheus: Prometheus) {
    drop(prometheus);
}

fn main() {}
