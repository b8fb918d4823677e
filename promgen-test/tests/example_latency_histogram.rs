//! Example: a `histogram_quantile` latency alert over a histogram family.
//!
//! `SlowRequests` pages when the 99th percentile latency, computed from the buckets of
//! `http_request_duration_seconds`, stays above 1s for 5 minutes. The feed is a histogram
//! driven by 100 observations a minute: around 200ms, except for 15 minutes (20m to 35m)
//! where a slow dependency adds 1.3s to every request.

use promgen_test::{Feed, HarnessError, Prometheus, promgen_test};

const LATENCY: &str = r#"
metrics:
  - name: http_request_duration_seconds
    type: histogram
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5]
    timeseries:
      - labels: {service: search}
        # 100 observations per scrape: 20 scrapes fast, 15 slow, then fast for ever.
        observations: 'normal(0.2, 0.03) + ([0] x 2000 >> [1.3] x 1500 >> [0] >> hold)'
        perScrape: 100
"#;

#[promgen_test(rules = "tests/rules/api.yml")]
async fn slow_requests_fires_while_the_p99_is_above_a_second(
    prometheus: Prometheus,
) -> Result<(), HarnessError> {
    let latency = Feed::new().interval("1m")?.config(LATENCY)?;
    let timeline = prometheus.replay(&latency, "1h").await?;
    println!("{timeline}");

    timeline
        .expect(r#"SlowRequests{service="search"}"#)
        .inactive_at("19m")
        // The first slow minute (20m) already puts 100 of the window's 600 observations
        // above 1s, so the p99 crosses at once: pending at 20m, firing 5 minutes later.
        .pending_at("20m")
        .never_fires_before("25m")
        .firing_at("25m")
        // The last slow minute is 34m; at 39m the 5m window (34m to 39m) counts only the
        // fast minutes after it, and the alert resolves.
        .firing_at("38m")
        .resolves_between("39m", "39m")
        .inactive_at("50m");
    Ok(())
}
