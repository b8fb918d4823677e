//! Rules that read `ALERTS` and `ALERTS_FOR_STATE`, the series the rule manager writes for
//! every pending and firing alert, replayed and checked against `promtool test rules` at
//! every evaluation step (see `common::differential`).

use common::differential::{Result, agree, assert_notation_agrees, feed};

mod common;

#[tokio::test]
async fn an_alert_on_any_firing_alert_sees_its_own() -> Result {
    // AnyFiring reads every firing alert, its own among them (from the evaluation before):
    // once it fires it keeps itself firing after HighErrors resolves.
    let rules = r#"groups:
  - name: meta
    rules:
      - alert: HighErrors
        expr: errors > 5
        for: 2m
      - alert: AnyFiring
        expr: count(ALERTS{alertstate="firing"}) >= 1
"#;
    let series = [(r#"errors{job="api"}"#, "0x8 10x5 0x16")];
    let run = agree(
        "alerts_any_firing",
        "1m",
        &[rules],
        &feed("1m", &series)?,
        "30m",
    )
    .await?;
    run.timeline
        .expect("HighErrors")
        .pending_at("9m")
        .firing_at("11m")
        .inactive_at("15m");
    // HighErrors comes first in the group: AnyFiring sees it fire at the same evaluation.
    run.timeline
        .expect("AnyFiring")
        .inactive_at("10m")
        .firing_at("11m")
        .firing_at("30m");
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn alerts_read_by_name_and_state_across_groups() -> Result {
    // A page inhibited while a broader alert fires; a ticket for an alert pending a long
    // time; and a group that reads another's ALERTS goes after it.
    let base = r#"groups:
  - name: z-base
    rules:
      - alert: DiskFilling
        expr: disk_used > 80
        for: 5m
        labels: {severity: ticket}
      - alert: DatacenterDown
        expr: up == 0
"#;
    let derived = r#"groups:
  - name: a-derived
    rules:
      - alert: DiskPage
        expr: ALERTS{alertname="DiskFilling", alertstate="firing"} unless on() ALERTS{alertname="DatacenterDown", alertstate="firing"}
        labels: {severity: page}
      - alert: StuckPending
        expr: ALERTS{alertname="DiskFilling", alertstate="pending"}
        for: 3m
"#;
    let series = [
        // Above 80 from 3m to 20m, a dip at 21m, and again from 24m.
        (r#"disk_used{host="a"}"#, "50x2 90x17 60 90x10"),
        // Above 80 for 4m only: pending, never firing.
        (r#"disk_used{host="b"}"#, "50x10 85x3 50x15"),
        // The datacenter is down from 12m to 15m.
        (r#"up{dc="x"}"#, "1x11 0x3 1x15"),
    ];
    let run = agree(
        "alerts_by_name_and_state",
        "1m",
        &[base, derived],
        &feed("1m", &series)?,
        "30m",
    )
    .await?;
    run.timeline
        .expect(r#"DiskFilling{host="a"}"#)
        .pending_at("3m")
        .firing_at("8m")
        .inactive_at("21m");
    run.timeline
        .expect(r#"DiskPage{host="a"}"#)
        .inactive_at("7m")
        .firing_at("8m")
        .inactive_at("12m")
        .firing_at("16m")
        .inactive_at("21m");
    run.timeline
        .expect(r#"StuckPending{host="b"}"#)
        .pending_at("11m")
        .firing_at("14m")
        .inactive_at("15m");
    let text = std::fs::read_to_string(&run.file).expect("the exported file");
    assert!(
        text.contains("group_eval_order:\n  - \"z-base\"\n  - \"a-derived\"\n"),
        "{text}"
    );
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn alerts_for_state_says_how_long_an_alert_is_active() -> Result {
    // ALERTS_FOR_STATE holds when each alert became active, in Unix seconds: the age of a
    // pending or firing alert, whatever the clock of the replay.
    let rules = r#"groups:
  - name: g
    rules:
      - alert: QueueBacklog
        expr: queue_depth > 100
        for: 10m
      - alert: BacklogForAges
        expr: time() - ALERTS_FOR_STATE{alertname="QueueBacklog"} > 5 * 60
      - alert: BacklogKept
        expr: queue_depth > 100
        keep_firing_for: 4m
      - alert: KeptFiring
        expr: ALERTS{alertname="BacklogKept", alertstate="firing"} and on(queue) queue_depth <= 100
"#;
    let series = [
        (r#"queue_depth{queue="a"}"#, "0x3 200x14 0x4 150x3 0x6"),
        (r#"queue_depth{queue="b"}"#, "0x20 500x10"),
    ];
    let run = agree(
        "alerts_for_state",
        "1m",
        &[rules],
        &feed("1m", &series)?,
        "30m",
    )
    .await?;
    run.timeline
        .expect(r#"BacklogForAges{queue="a"}"#)
        .inactive_at("9m")
        .firing_at("10m")
        .firing_at("18m")
        .inactive_at("19m");
    // BacklogKept is kept firing for 4m after the queue drains at 19m.
    run.timeline
        .expect(r#"KeptFiring{queue="a"}"#)
        .inactive_at("18m")
        .firing_at("19m")
        .firing_at("22m")
        .inactive_at("23m");
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn groups_that_read_each_others_alerts_are_replayed_in_lockstep() -> Result {
    // Each group reads what the other writes: a recorded series one way, ALERTS the other.
    // promtool evaluates them in the order the export names, time by time.
    let one = r#"groups:
  - name: one
    rules:
      - record: service:errors:max
        expr: max by (service) (errors)
      - alert: Escalate
        expr: ALERTS{alertname="Errors", alertstate="firing"}
        for: 2m
"#;
    let two = r#"groups:
  - name: two
    rules:
      - alert: Errors
        expr: service:errors:max > 3
        for: 1m
"#;
    let series = [
        (r#"errors{service="api",pod="1"}"#, "0x4 5x8 0x10 9x6"),
        (r#"errors{service="api",pod="2"}"#, "1x29"),
    ];
    let run = agree(
        "alerts_lockstep_groups",
        "1m",
        &[one, two],
        &feed("1m", &series)?,
        "30m",
    )
    .await?;
    run.timeline
        .expect(r#"Errors{service="api"}"#)
        .pending_at("5m")
        .firing_at("6m")
        .inactive_at("14m");
    // Escalate is evaluated before Errors: it sees Errors fire one evaluation late.
    run.timeline
        .expect(r#"Escalate{service="api"}"#)
        .pending_at("7m")
        .never_fires_before("9m")
        .firing_at("9m")
        .firing_at("14m")
        .inactive_at("15m");
    assert_notation_agrees(&run, &series);
    Ok(())
}
