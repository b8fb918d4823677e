use promgen_test::{AlertState, Feed, Prometheus};

#[tokio::test]
async fn a_threshold_alert_with_for() -> Result<(), promgen_test::HarnessError> {
    let t = std::time::Instant::now();
    let prometheus = Prometheus::builder()
        .rules_yaml(
            "groups:\n  - name: g\n    rules:\n      - alert: Errors\n        expr: errors > 5\n        for: 5m\n        labels: {severity: page}\n",
        )
        .start()
        .await?;
    let started = t.elapsed();
    let feed = Feed::new()
        .interval("1m")?
        .notation(r#"errors{job="api"}"#, "0x9 10x30 0x20")?;
    let timeline = prometheus.replay(&feed, "1h").await?;
    eprintln!("start {started:?}, total {:?}\n{timeline}", t.elapsed());
    timeline
        .expect("Errors")
        .inactive_at("9m")
        .pending_at("10m")
        .never_fires_before("15m")
        .firing_at("15m")
        .firing_at("40m")
        .inactive_at("41m");
    assert_eq!(
        timeline.state_at(r#"Errors{job="api"}"#, "20m")?,
        AlertState::Firing
    );
    Ok(())
}
