use promgen_test::{Prometheus, promgen_test};

#[promgen_test]
async fn generic<E: std::fmt::Debug>(prometheus: Prometheus) -> Result<(), E> {
    drop(prometheus);
    Ok(())
}

fn main() {}
