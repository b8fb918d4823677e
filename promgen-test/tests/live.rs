//! Live mode: Prometheus scrapes the harness's server every second and its own rule manager
//! evaluates every second; the harness waits for alert states. The same scenario replayed
//! gives the same sequence of states, at the same evaluation steps give or take the phase
//! between scrapes and evaluations.

mod common;

use promgen_test::{AlertState, Feed, Prometheus};
use std::time::{Duration, Instant};

/// Depth 0 for 2 scrapes, 10 for 6, then 0: pending from the 3rd scrape, firing 2 s later,
/// inactive once the depth drops.
fn feed() -> Feed {
    Feed::new()
        .interval("1s")
        .unwrap()
        .notation(r#"queue_depth{queue="jobs"}"#, "0x1 10x5 0x30")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_alerts_go_pending_firing_and_inactive_and_match_the_replay() {
    let prometheus = Prometheus::builder()
        .rules_yaml(common::QUEUE_RULES)
        .evaluation_interval("1s")
        .scrape_interval("1s")
        .scrape(feed())
        .start()
        .await
        .unwrap();
    let selector = r#"QueueBacklog{queue="jobs"}"#;

    // Record the state every 100 ms until it has fired and gone.
    let started = Instant::now();
    let mut seen: Vec<(Duration, AlertState)> = Vec::new();
    let mut annotation = None;
    while started.elapsed() < Duration::from_secs(30) {
        let alerts = prometheus.alerts().await.unwrap();
        let state = alerts
            .iter()
            .find(|a| a.labels.get("queue").map(String::as_str) == Some("jobs"))
            .map_or(AlertState::Inactive, |a| {
                if a.state == AlertState::Firing {
                    annotation = a.annotations.get("summary").cloned();
                }
                a.state
            });
        if seen.last().is_none_or(|(_, s)| *s != state) {
            seen.push((started.elapsed(), state));
        }
        if state == AlertState::Inactive && seen.iter().any(|(_, s)| *s == AlertState::Firing) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let states: Vec<AlertState> = seen.iter().map(|(_, s)| *s).collect();
    assert_eq!(
        states,
        [
            AlertState::Inactive,
            AlertState::Pending,
            AlertState::Firing,
            AlertState::Inactive
        ],
        "{seen:?}"
    );
    assert_eq!(annotation.as_deref(), Some("queue jobs holds 10 jobs"));
    // `for: 2s` with 1 s evaluations: firing 2 evaluations after pending, give or take one.
    let pending_for = seen[2].0 - seen[1].0;
    assert!(
        pending_for >= Duration::from_millis(1_000) && pending_for <= Duration::from_millis(3_500),
        "pending for {pending_for:?}: {seen:?}"
    );
    // The waiting assertion sees it inactive now, and the selector must match.
    prometheus
        .wait_for(selector, AlertState::Inactive, Duration::from_secs(5))
        .await
        .unwrap();

    // The same feed and rules, replayed: the same states at the same steps (1 s apart).
    let timeline = prometheus.replay(&feed(), "40s").await.unwrap();
    timeline
        .expect(selector)
        .inactive_at("1s")
        .pending_at("2s")
        .pending_at("3s")
        .firing_at("4s")
        .firing_at("7s")
        .inactive_at("8s");
    let live_firing = seen[3].0 - seen[2].0;
    let replay_firing = Duration::from_secs(8 - 4);
    assert!(
        live_firing.abs_diff(replay_firing) <= Duration::from_millis(1_500),
        "firing live for {live_firing:?}, replayed for {replay_firing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_for_a_state_that_never_comes_says_what_was_seen() {
    let prometheus = Prometheus::builder()
        .rules_yaml(common::QUEUE_RULES)
        .evaluation_interval("1s")
        .scrape_interval("1s")
        .scrape(feed())
        .start()
        .await
        .unwrap();
    let err = prometheus
        .wait_for(
            r#"QueueBacklog{queue="other"}"#,
            AlertState::Firing,
            Duration::from_millis(500),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with(r#"QueueBacklog{queue="other"} was not firing within 500ms"#),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_written_live_by_remote_write_fires_and_resolves_when_stopped() {
    let prometheus = Prometheus::builder()
        .rules_yaml(common::QUEUE_RULES)
        .evaluation_interval("1s")
        .start()
        .await
        .unwrap();
    let writing = prometheus
        .write_live(
            &Feed::new()
                .interval("500ms")
                .unwrap()
                .notation(r#"queue_depth{queue="live"}"#, "10x1000")
                .unwrap(),
        )
        .unwrap();
    let selector = r#"QueueBacklog{queue="live"}"#;
    let firing = prometheus
        .wait_for(selector, AlertState::Firing, Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(firing[0].labels["severity"], "warn");
    // Stopping marks the series stale: the alert resolves at the next evaluation.
    writing.stop().await.unwrap();
    prometheus
        .wait_for(selector, AlertState::Inactive, Duration::from_secs(5))
        .await
        .unwrap();
}
