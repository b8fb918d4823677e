//! A test that panics while its Prometheus runs leaves nothing behind: no process, no
//! data directory. (Apart from the backend tests, which change the environment.)

use promgen_test::{BackendKind, Prometheus};

#[test]
fn a_panicking_test_leaves_no_prometheus_behind() {
    let (tx, rx) = std::sync::mpsc::channel();
    let test = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let prometheus = runtime
            .block_on(Prometheus::builder().backend(BackendKind::Binary).start())
            .unwrap();
        tx.send((prometheus.url().to_owned(), prometheus.dir().to_owned()))
            .unwrap();
        panic!("the test fails while Prometheus runs");
    });
    assert!(test.join().is_err(), "the test thread panicked");
    let (url, dir) = rx.recv().unwrap();
    assert!(!dir.exists(), "{} is removed", dir.display());
    let port = url.rsplit(':').next().unwrap();
    let listening = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_ok();
    assert!(!listening, "nothing listens on {url} any more");
}
