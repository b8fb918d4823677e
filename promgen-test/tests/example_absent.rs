//! Example: an `absent()` alert on a series that stops.
//!
//! A nightly batch job reports a heartbeat every minute. `HeartbeatMissing` fires when the
//! series has been absent for 2 minutes. When the job stops, its series is marked stale (the
//! `stale` at the end of the notation: what Prometheus writes when a scrape target goes
//! away), so `absent()` sees it gone at once, not after the 5-minute lookback; a few missed
//! scrapes, on the other hand, are bridged by the lookback.

use promgen_test::{Feed, HarnessError, Prometheus, promgen_test};

#[promgen_test(rules = "tests/rules/api.yml")]
async fn heartbeat_missing_fires_two_minutes_after_the_job_stops(
    prometheus: Prometheus,
) -> Result<(), HarnessError> {
    // 20 heartbeats (0m to 19m), three missed scrapes in between, then a stale marker.
    let heartbeat = Feed::new().interval("1m")?.notation(
        r#"batch_heartbeat_timestamp_seconds{job="nightly"}"#,
        "0+60x7 _x3 600+60x8 stale",
    )?;
    let timeline = prometheus.replay(&heartbeat, "40m").await?;
    println!("{timeline}");

    timeline
        .expect("HeartbeatMissing")
        // The three missed scrapes (8m to 10m) are within the lookback: no alert.
        .never_fires_before("21m")
        .inactive_at("9m")
        .inactive_at("19m")
        // The last heartbeat is at 19m; the stale marker at 20m makes it absent at once.
        .pending_at("20m")
        .firing_at("22m")
        .firing_at("39m");
    Ok(())
}
