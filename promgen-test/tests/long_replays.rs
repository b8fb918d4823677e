//! Replays longer than Prometheus's default 15-day retention, written in seconds of wall
//! time: none of the history may age out while the rules are evaluated, and the replay
//! counts back what Prometheus holds (a quarter is the usual SLO window). The same in
//! Docker: `tests/docker.rs`.

use promgen_test::{HarnessError, Prometheus};

mod common;

#[tokio::test]
async fn a_30_day_replay_keeps_every_sample() -> Result<(), HarnessError> {
    common::heartbeat_never_goes_missing(Prometheus::builder(), "30d").await
}

#[tokio::test]
async fn a_90_day_replay_keeps_every_sample() -> Result<(), HarnessError> {
    common::heartbeat_never_goes_missing(Prometheus::builder(), "90d").await
}

#[tokio::test]
async fn a_replay_longer_than_the_history_kept_is_refused() -> Result<(), HarnessError> {
    let prometheus = Prometheus::builder().start().await?;
    let feed = promgen_test::Feed::new().dsl("hb", "1")?;
    let err = prometheus.replay(&feed, "401d").await.unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("at most {}", promgen_test::MAX_REPLAY)),
        "{err}"
    );
    Ok(())
}
