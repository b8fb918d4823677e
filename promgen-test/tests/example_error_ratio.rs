//! Example: an error-ratio alert with `for`.
//!
//! `HighErrorRate` pages when more than 5% of a service's requests fail for 10 minutes. The
//! test feeds an hour of traffic — 100 requests a minute, with 20 failing a minute from 10m
//! to 30m — and checks when the alert goes pending, fires and resolves, replayed through the
//! real Prometheus in a fraction of a second.

use promgen_test::{Feed, HarnessError, Prometheus, promgen_test};

#[promgen_test(rules = "tests/rules/api.yml")]
async fn high_error_rate_pages_after_ten_minutes_of_errors_and_resolves_when_they_stop(
    prometheus: Prometheus,
) -> Result<(), HarnessError> {
    let traffic = Feed::new()
        .interval("1m")?
        // Counters, one sample a minute: 100 successes a minute throughout.
        .notation(
            r#"http_requests_total{service="checkout",code="200"}"#,
            "0+100x60",
        )?
        // No failures for 10 minutes, then 20 a minute for 20 minutes, then none again.
        .notation(
            r#"http_requests_total{service="checkout",code="500"}"#,
            "0x10 20+20x19 400x30",
        )?;
    let timeline = prometheus.replay(&traffic, "1h").await?;
    println!("{timeline}");

    timeline
        .expect(r#"HighErrorRate{service="checkout"}"#)
        // rate() over 5m: at 11m the window holds 20 failures of 520 requests (3.8%), at
        // 12m 40 of 540 (7.4%): pending from 12m …
        .inactive_at("11m")
        .pending_at("12m")
        // … and firing once that has lasted the rule's `for: 10m`.
        .never_fires_before("22m")
        .firing_at("22m")
        .firing_at("30m")
        // The failures stop at 30m; the 5m rate window takes a few minutes to empty.
        .resolves_between("30m", "36m")
        .inactive_at("45m");
    Ok(())
}
