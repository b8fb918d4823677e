//! Assertions that cannot pass by mistake: about an alert no rule has, with labels no alert
//! had, or at a time outside the replay, they fail (and say why) whatever the alerts did.

use promgen_test::{Feed, HarnessError, Prometheus, Timeline};
use std::panic::{AssertUnwindSafe, catch_unwind};

const RULES: &str = "groups:
  - name: slo
    rules:
      - alert: ErrorBudgetBurnFast
        expr: errors > 10
        labels: {severity: page}
      - alert: Real
        expr: errors > 5
        for: 5m
        labels: {severity: critical}
";

async fn replay() -> Result<(Prometheus, Timeline), HarnessError> {
    let prometheus = Prometheus::builder().rules_yaml(RULES).start().await?;
    let feed = Feed::new()
        .interval("1m")?
        .notation(r#"errors{job="api"}"#, "0x9 8x30 0x20")?;
    let timeline = prometheus.replay(&feed, "1h").await?;
    Ok((prometheus, timeline))
}

/// What an assertion panicked with (it must panic).
#[track_caller]
fn failure(assertion: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(assertion)).expect_err("the assertion must fail");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_misspelt_alert_name_fails_with_the_names_there_are() -> Result<(), HarnessError> {
    let (_prometheus, timeline) = replay().await?;
    // ErrorBudgetBurnFast never fires here: `never_fires` on it holds, on a typo it fails.
    timeline.expect("ErrorBudgetBurnFast").never_fires();
    let e = failure(|| timeline.expect("ErrorBudgetBurnFsat").never_fires());
    assert!(
        e.contains(
            "no alerting rule is named ErrorBudgetBurnFsat: did you mean ErrorBudgetBurnFast?"
        ),
        "{e}"
    );
    assert!(e.contains("ErrorBudgetBurnFast, Real"), "{e}");
    let err = timeline.state_at("ErrorBudgetBurnFsat", "10m").unwrap_err();
    assert!(err.to_string().contains("did you mean"), "{err}");
    Ok(())
}

#[tokio::test]
async fn labels_no_alert_had_fail_with_the_labels_there_were() -> Result<(), HarnessError> {
    let (_prometheus, timeline) = replay().await?;
    timeline
        .expect(r#"Real{severity="critical"}"#)
        .inactive_at("5m")
        .firing_at("30m");
    // Real fires from 15m to 41m: inactive at 30m is false for its alerts, and must not
    // become true for a typo that matches none of them.
    let e = failure(|| {
        timeline
            .expect(r#"Real{severity="critcal"}"#)
            .inactive_at("30m");
    });
    assert!(e.contains("matches no alert"), "{e}");
    assert!(e.contains(r#"did you mean severity="critical"?"#), "{e}");
    assert!(e.contains(r#"Real{job="api",severity="critical"}"#), "{e}");
    let e = failure(|| timeline.expect(r#"Real{job="apl"}"#).never_fires());
    assert!(e.contains(r#"did you mean job="api"?"#), "{e}");
    // A rule's own labels are known without its alerts: ErrorBudgetBurnFast never went
    // pending, yet `severity="page"` is what its alerts would carry.
    timeline
        .expect(r#"ErrorBudgetBurnFast{severity="page"}"#)
        .never_fires();
    let e = failure(|| {
        timeline
            .expect(r#"ErrorBudgetBurnFast{severity="pgae"}"#)
            .never_fires();
    });
    assert!(
        e.contains("ErrorBudgetBurnFast was never pending or firing"),
        "{e}"
    );
    Ok(())
}

#[tokio::test]
async fn times_outside_the_replay_fail() -> Result<(), HarnessError> {
    let (_prometheus, timeline) = replay().await?;
    timeline.expect("Real").firing_at("20m").inactive_at("1h");
    let e = failure(|| {
        timeline.expect("Real").firing_at("2h");
    });
    assert!(
        e.contains("time 2h is outside the replay, which covers 0s to 1h"),
        "{e}"
    );
    let e = failure(|| {
        timeline.expect("Real").starts_firing_between("10m", "61m");
    });
    assert!(e.contains("outside the replay"), "{e}");
    let err = timeline.firing_at("1h1m").unwrap_err();
    assert!(err.to_string().contains("outside the replay"), "{err}");
    let err = timeline.state_at("Real", -60_000_i64).unwrap_err();
    assert!(err.to_string().contains("outside the replay"), "{err}");
    Ok(())
}
