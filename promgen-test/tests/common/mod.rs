//! Scenarios shared by several test files, so that the same scenario run two ways (local
//! binary and Docker, live and replay) is written once.

#![allow(dead_code)] // each test binary uses a part

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
