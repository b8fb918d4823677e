//! A timeline renders as a compact table, so a whole scenario can be pinned with an `insta`
//! snapshot: any change in when any alert goes pending, fires or resolves shows as a diff.

mod common;

use promgen_test::{HarnessError, Prometheus};

#[tokio::test]
async fn the_api_rules_over_an_hour_of_mixed_trouble() -> Result<(), HarnessError> {
    let prometheus = Prometheus::builder()
        .rule_file("tests/rules/api.yml")
        .start()
        .await?;
    let feed = common::mixed_trouble()?;
    let timeline = prometheus.replay(&feed, "1h").await?;
    insta::assert_snapshot!(timeline.to_string());
    Ok(())
}
