//! A timeline renders as a compact table, so a whole scenario can be pinned with an `insta`
//! snapshot: any change in when any alert goes pending, fires or resolves shows as a diff.

use promgen_test::{Feed, HarnessError, Prometheus};

#[tokio::test]
async fn the_api_rules_over_an_hour_of_mixed_trouble() -> Result<(), HarnessError> {
    let prometheus = Prometheus::builder()
        .rule_file("tests/rules/api.yml")
        .start()
        .await?;
    let feed = Feed::new()
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
        )?;
    let timeline = prometheus.replay(&feed, "1h").await?;
    insta::assert_snapshot!(timeline.to_string());
    Ok(())
}
