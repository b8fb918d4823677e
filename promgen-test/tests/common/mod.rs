//! Scenarios shared by several test files, so that the same scenario run two ways (local
//! binary and Docker, live and replay) is written once.

#![allow(dead_code)] // each test binary uses a part

pub mod differential;

use promgen_test::{Feed, HarnessError};

/// One alert on a queue's depth, with `for: 2s` and a templated annotation: for live tests,
/// evaluated every second.
pub const QUEUE_RULES: &str = "groups:
  - name: live
    rules:
      - alert: QueueBacklog
        expr: queue_depth > 5
        for: 2s
        labels: {severity: warn}
        annotations: {summary: 'queue {{ $labels.queue }} holds {{ $value }} jobs'}
";

/// An hour of trouble for the rules in `tests/rules/api.yml`: errors on `cart` from 21m to
/// 35m, a steady 7% error ratio on `search`, and a heartbeat that stops (stale) at 31m.
/// Pinned in `tests/snapshots/`, and replayed in Docker against the same table.
pub fn mixed_trouble() -> Result<Feed, HarnessError> {
    Feed::new()
        .interval("1m")?
        .notation(
            r#"http_requests_total{service="cart",code="200"}"#,
            "0+100x60",
        )?
        .notation(
            r#"http_requests_total{service="cart",code="500"}"#,
            "0x20 10+10x14 150x25",
        )?
        .notation(
            r#"http_requests_total{service="search",code="200"}"#,
            "0+50x60",
        )?
        .notation(
            r#"http_requests_total{service="search",code="500"}"#,
            "0+4x60",
        )?
        .notation(
            r#"batch_heartbeat_timestamp_seconds{job="nightly"}"#,
            "0+60x30 stale",
        )
}

/// An alert on a heartbeat `hb` that has been silent for 15 minutes.
pub const HEARTBEAT_RULES: &str = "groups:
  - name: heartbeat
    rules:
      - alert: HeartbeatMissing
        expr: absent_over_time(hb[15m])
";

/// A heartbeat every 15 s replayed for `length` on the Prometheus `builder` starts, with an
/// alert on a 15-minute silence: it must never fire, and Prometheus must hold every sample,
/// counted by PromQL over the whole replay.
pub async fn heartbeat_never_goes_missing(
    builder: promgen_test::PrometheusBuilder,
    length: &str,
) -> Result<(), HarnessError> {
    let prometheus = builder.rules_yaml(HEARTBEAT_RULES).start().await?;
    let feed = Feed::new().interval("15s")?.dsl("hb", "1")?;
    let timeline = prometheus.replay(&feed, length).await?;
    timeline.expect("HeartbeatMissing").never_fires();
    let length = timeline.length_ms();
    let end = timeline.origin_ms() + length;
    // Prometheus 2's ranges are closed at both ends: this one starts at the replay's 0s.
    let query = format!("count_over_time(hb[{length}ms])");
    let result = prometheus.query(&query, Some(end)).await?;
    let held: f64 = result
        .first()
        .and_then(|r| r["value"][1].as_str())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let written = length / 15_000 + 1;
    assert_eq!(held, written as f64, "samples of hb held over {length} ms");
    Ok(())
}
