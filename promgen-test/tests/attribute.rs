//! `#[promgen_test]` end to end: each test starts a real Prometheus with the rule files the
//! attribute names and replays an hour of errors through its engine.
//!
//! (`let _ =` before each chain of assertions: each step is `#[must_use]`, and the last
//! step's value is not needed. The assertions themselves run, and panic, as they are called.)

use promgen_test::{Feed, HarnessError, Prometheus, Timeline, promgen_test};

/// Errors above the threshold from 10m to 40m.
async fn replay_errors(prometheus: &Prometheus) -> Result<Timeline, HarnessError> {
    let feed = Feed::new()
        .interval("1m")?
        .notation(r#"errors{job="api"}"#, "0x9 10x30 0x20")?;
    prometheus.replay(&feed, "1h").await
}

/// The test returns a `Result`: `?` works on every harness call.
#[promgen_test(rules = "tests/rules/attribute.yml", evaluation_interval = "1m")]
async fn a_result_test(prometheus: Prometheus) -> Result<(), HarnessError> {
    let timeline = replay_errors(&prometheus).await?;
    timeline
        .expect("Errors")
        .inactive_at("9m")
        .pending_at("10m")
        .firing_at("15m")
        .inactive_at("41m");
    Ok(())
}

/// The test returns `()`; both rule files of the list are loaded.
#[promgen_test(
    rules = ["tests/rules/attribute.yml", "tests/rules/attribute_idle.yml"],
    evaluation_interval = "1m",
    scrape_interval = "15s",
    backend = "auto",
)]
async fn a_unit_test_with_a_list_of_rules(prometheus: Prometheus) {
    assert_eq!(prometheus.rule_files().len(), 2);
    let timeline = replay_errors(&prometheus).await.expect("replay");
    timeline
        .expect(r#"Errors{job="api"}"#)
        .pending_at("10m")
        .firing_at("15m")
        .inactive_at("41m");
    // Never 30 minutes without errors in a row: pending, never firing.
    timeline
        .expect("NoErrorsAtAll")
        .pending_at("5m")
        .inactive_at("20m")
        .pending_at("50m")
        .never_fires();
}

/// `rules` repeated adds files.
#[promgen_test(
    rules = "tests/rules/attribute.yml",
    rules = "tests/rules/attribute_idle.yml"
)]
async fn repeated_rules(prometheus: Prometheus) -> Result<(), HarnessError> {
    let files = prometheus.rule_files();
    assert_eq!(files.len(), 2);
    let timeline = replay_errors(&prometheus).await?;
    timeline.expect("NoErrorsAtAll").pending_at("50m");
    Ok(())
}

/// An `Err` from the test fails it, with the function's name and the error.
#[promgen_test(rules = "tests/rules/attribute.yml")]
#[should_panic(expected = "an_err_fails_the_test failed: Assertion(\"on purpose\")")]
async fn an_err_fails_the_test(prometheus: Prometheus) -> Result<(), HarnessError> {
    let timeline = replay_errors(&prometheus).await?;
    timeline.expect("Errors").firing_at("15m");
    Err(HarnessError::Assertion("on purpose".into()))
}
