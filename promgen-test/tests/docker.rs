//! The Docker backend against a real engine: replay and live mode through a container, a
//! refused rule file, a panicking test, and nothing left behind.
//!
//! They run only when asked, because they need a Docker engine and a Prometheus image it
//! has (machines without a registry build one with `scripts/docker-images.sh`):
//!
//! ```sh
//! scripts/docker-images.sh --prometheus-only
//! PROMGEN_DOCKER_TESTS=1 PROMGEN_PROMETHEUS_IMAGE=promgen-local/prometheus:2.42 \
//!     cargo test -p promgen-test --test docker
//! ```
//!
//! Without `PROMGEN_DOCKER_TESTS=1` each test says why it skips, and passes. The tests take
//! turns (one lock), so that each can check, after its Prometheus is gone, that this process
//! has no container and no temporary directory left: `docker ps -a` filtered on the
//! `promgen-test-PID-` names the backend gives its containers.

mod common;

use promgen_test::{AlertState, BackendKind, Feed, HarnessError, Prometheus, PrometheusBuilder};
use std::{io::Write, path::PathBuf, process::Command, time::Duration};
use tokio::sync::Mutex;

/// One Docker test at a time.
static SERIAL: Mutex<()> = Mutex::const_new(());

/// Whether the Docker tests were asked for; if not, says why this one skips.
fn enabled(test: &str) -> bool {
    if std::env::var("PROMGEN_DOCKER_TESTS").as_deref() == Ok("1") {
        return true;
    }
    // Past the test harness's capture, so that a plain `cargo test` shows it.
    let _ = writeln!(
        std::io::stderr(),
        "docker::{test}: skipped: set PROMGEN_DOCKER_TESTS=1 after scripts/docker-images.sh \
         (and PROMGEN_PROMETHEUS_IMAGE=promgen-local/prometheus:2.42) to run it against the Docker engine"
    );
    false
}

/// A Prometheus in a container, from `PROMGEN_PROMETHEUS_IMAGE` (else the default image).
fn docker() -> PrometheusBuilder {
    Prometheus::builder().backend(BackendKind::Docker)
}

/// This process's containers, running or not, by name.
fn our_containers() -> Vec<String> {
    let filter = format!("name=^/promgen-test-{}-", std::process::id());
    let out = Command::new("docker")
        .args(["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"])
        .output()
        .expect("docker ps");
    assert!(
        out.status.success(),
        "docker ps: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// This process's temporary Prometheus directories.
fn our_temp_dirs() -> Vec<PathBuf> {
    let prefix = format!("promgen-test-{}-", std::process::id());
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

/// After a test's Prometheus is dropped: no container, no directory.
fn assert_nothing_left() {
    assert_eq!(our_containers(), Vec::<String>::new(), "containers left");
    assert_eq!(our_temp_dirs(), Vec::<PathBuf>::new(), "directories left");
}

/// The one container that runs now, checked to publish port 9090 on loopback only, on the
/// port of `url`.
fn the_running_container(url: &str) -> String {
    let names = our_containers();
    assert_eq!(names.len(), 1, "{names:?}");
    let out = Command::new("docker")
        .args(["port", &names[0], "9090/tcp"])
        .output()
        .unwrap();
    let port = url.rsplit(':').next().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("127.0.0.1:{port}"),
        "published on loopback only"
    );
    names[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_writes_into_the_container_and_gives_the_exact_timeline() -> Result<(), HarnessError>
{
    if !enabled("replay_writes_into_the_container_and_gives_the_exact_timeline") {
        return Ok(());
    }
    let _turn = SERIAL.lock().await;
    let prometheus = docker().rule_file("tests/rules/api.yml").start().await?;
    assert!(
        prometheus.version().at_least(2, 39),
        "{}",
        prometheus.version()
    );
    the_running_container(prometheus.url());
    // The scenario of tests/timeline_snapshot.rs: the same table as the local binary gives.
    let feed = common::mixed_trouble()?;
    let timeline = prometheus.replay(&feed, "1h").await?;
    assert_eq!(
        timeline.to_string(),
        "timeline over 1h (3 episodes)
alert                                              pending  firing  inactive
HeartbeatMissing{job=\"nightly\",severity=\"ticket\"}  31m      33m     -
HighErrorRate{service=\"cart\",severity=\"page\"}      23m      33m     38m
HighErrorRate{service=\"search\",severity=\"page\"}    1m       11m     -
"
    );
    // What was written is in the container's storage, to the sample.
    let written = prometheus
        .query(
            r#"http_requests_total{service="cart",code="500"}"#,
            Some(timeline.origin_ms() + 30 * 60_000),
        )
        .await?;
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(written[0]["value"][1], "100");
    drop(prometheus);
    assert_nothing_left();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_of_30_and_90_days_keep_every_sample() -> Result<(), HarnessError> {
    if !enabled("replays_of_30_and_90_days_keep_every_sample") {
        return Ok(());
    }
    let _turn = SERIAL.lock().await;
    common::heartbeat_never_goes_missing(docker(), "30d").await?;
    common::heartbeat_never_goes_missing(docker(), "90d").await?;
    assert_nothing_left();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_mode_scrapes_the_host_through_the_gateway_and_fires_with_annotations()
-> Result<(), HarnessError> {
    if !enabled("live_mode_scrapes_the_host_through_the_gateway_and_fires_with_annotations") {
        return Ok(());
    }
    let _turn = SERIAL.lock().await;
    let prometheus = docker()
        .rules_yaml(common::QUEUE_RULES)
        .evaluation_interval("1s")
        .scrape_interval("1s")
        .scrape(
            Feed::new()
                .interval("1s")?
                .notation(r#"queue_depth{queue="jobs"}"#, "0x1 10x600")?,
        )
        .start()
        .await?;
    the_running_container(prometheus.url());
    let firing = prometheus
        .wait_for(
            r#"QueueBacklog{queue="jobs"}"#,
            AlertState::Firing,
            Duration::from_secs(30),
        )
        .await?;
    assert_eq!(firing.len(), 1, "{firing:?}");
    assert_eq!(firing[0].labels["severity"], "warn");
    assert_eq!(
        firing[0].annotations["summary"], "queue jobs holds 10 jobs",
        "annotations are expanded"
    );
    // The target is the harness's server on the host, reached by the gateway's name.
    let port = prometheus.scraped().unwrap().addr().port();
    let up = prometheus.query(r#"up{job="promgen"}"#, None).await?;
    assert_eq!(up.len(), 1, "{up:?}");
    assert_eq!(
        up[0]["metric"]["instance"],
        format!("host.docker.internal:{port}")
    );
    assert_eq!(up[0]["value"][1], "1");
    drop(prometheus);
    assert_nothing_left();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_live_remote_writes_into_the_container() -> Result<(), HarnessError> {
    if !enabled("write_live_remote_writes_into_the_container") {
        return Ok(());
    }
    let _turn = SERIAL.lock().await;
    let prometheus = docker()
        .rules_yaml(common::QUEUE_RULES)
        .evaluation_interval("1s")
        .start()
        .await?;
    let writing = prometheus.write_live(
        &Feed::new()
            .interval("500ms")?
            .notation(r#"queue_depth{queue="live"}"#, "10x1000")?,
    )?;
    let selector = r#"QueueBacklog{queue="live"}"#;
    prometheus
        .wait_for(selector, AlertState::Firing, Duration::from_secs(15))
        .await?;
    let depth = prometheus
        .query(r#"queue_depth{queue="live"}"#, None)
        .await?;
    assert_eq!(depth.len(), 1, "{depth:?}");
    assert_eq!(depth[0]["value"][1], "10");
    // Stopping marks the series stale: the alert resolves at the next evaluation.
    writing.stop().await?;
    prometheus
        .wait_for(selector, AlertState::Inactive, Duration::from_secs(5))
        .await?;
    drop(prometheus);
    assert_nothing_left();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_file_prometheus_refuses_is_an_error_with_its_message_and_leaves_nothing() {
    if !enabled("a_rule_file_prometheus_refuses_is_an_error_with_its_message_and_leaves_nothing") {
        return;
    }
    let _turn = SERIAL.lock().await;
    let err = docker()
        .rules_yaml("groups: [{name: g, rules: [{alert: A, expr: 'sum(('}]}]")
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, HarnessError::RefusedRules(_)), "{text}");
    // Prometheus's own words, from the container's log, about the rules as given.
    assert!(
        text.starts_with("Prometheus refused the rules: rules_yaml #1: 1:")
            && text.contains("parse error"),
        "{text}"
    );
    assert_nothing_left();
}

#[test]
fn a_panicking_test_leaves_no_container_and_no_directory() {
    if !enabled("a_panicking_test_leaves_no_container_and_no_directory") {
        return;
    }
    let _turn = SERIAL.blocking_lock();
    let (tx, rx) = std::sync::mpsc::channel();
    let test = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let prometheus = runtime.block_on(docker().start()).unwrap();
        let container = the_running_container(prometheus.url());
        tx.send((container, prometheus.dir().to_owned())).unwrap();
        panic!("the test fails while Prometheus runs");
    });
    assert!(test.join().is_err(), "the test thread panicked");
    let (container, dir) = rx.recv().unwrap();
    assert!(
        container.starts_with(&format!("promgen-test-{}-", std::process::id())),
        "{container}"
    );
    assert!(!dir.exists(), "{} is removed", dir.display());
    assert_nothing_left();
}
