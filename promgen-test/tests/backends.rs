//! Choosing the Prometheus: the binary from `PROMGEN_PROMETHEUS_BIN`, one clear error when
//! it is missing, and a refusal naming the version when it is too old. (The Docker backend
//! runs against a real engine in the Docker tests.)

use promgen_test::{BackendKind, HarnessError, Prometheus};
use std::os::unix::fs::PermissionsExt;

/// Environment variables are process-wide, so every case runs in this one test, in turn.
#[tokio::test]
async fn the_binary_backend_is_found_checked_and_explained() {
    let dir = std::env::temp_dir().join(format!("promgen-backends-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // No such binary: one error that says how to get a Prometheus, either way.
    // SAFETY: this is the only test in this binary, so nothing reads the environment
    // concurrently.
    unsafe { std::env::set_var("PROMGEN_PROMETHEUS_BIN", dir.join("missing")) };
    let err = Prometheus::builder()
        .backend(BackendKind::Binary)
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, HarnessError::Backend(_)), "{text}");
    assert!(
        text.contains("apt-get install prometheus")
            && text.contains("PROMGEN_PROMETHEUS_BIN")
            && text.contains("PROMGEN_PROMETHEUS_IMAGE"),
        "{text}"
    );

    // A Prometheus older than 2.39 cannot ingest out of order: refused, naming its version.
    let old = dir.join("old-prometheus");
    std::fs::write(
        &old,
        "#!/bin/sh\necho 'prometheus, version 2.30.3 (branch: HEAD)'\n",
    )
    .unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    unsafe { std::env::set_var("PROMGEN_PROMETHEUS_BIN", &old) };
    let err = Prometheus::builder()
        .backend(BackendKind::Binary)
        .start()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Prometheus 2.30.3 is too old: promgen-test needs 2.39 (remote write receiver and out-of-order ingestion)"
    );

    // A bad PROMGEN_PROMETHEUS value is named.
    unsafe { std::env::set_var("PROMGEN_PROMETHEUS", "podman") };
    let err = Prometheus::builder().start().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "PROMGEN_PROMETHEUS=\"podman\": expected auto, binary or docker"
    );
    unsafe { std::env::remove_var("PROMGEN_PROMETHEUS") };

    // A rule file Prometheus refuses: its own message comes back.
    unsafe { std::env::remove_var("PROMGEN_PROMETHEUS_BIN") };
    let err = Prometheus::builder()
        .backend(BackendKind::Binary)
        .rules_yaml("groups: [{name: g, rules: [{alert: A, expr: 'sum(('}]}]")
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("Prometheus refused the rules: rules_yaml #1: ")
            && text.contains("parse error"),
        "{text}"
    );

    // And the real one starts, tells its version, and is gone when dropped.
    let prometheus = Prometheus::builder()
        .backend(BackendKind::Binary)
        .start()
        .await
        .unwrap();
    assert!(
        prometheus.version().at_least(2, 39),
        "{}",
        prometheus.version()
    );
    let data = prometheus.dir().to_owned();
    assert!(data.join("prometheus.yml").exists());
    drop(prometheus);
    assert!(!data.exists(), "the data directory is removed");
    let _ = std::fs::remove_dir_all(&dir);
}
