//! The replay against `promtool test rules` (see `differential.rs`), for rules and groups:
//! recording rules that feed alerts, rule labels, several groups and files and the order
//! between them, evaluations Prometheus fails, and what export refuses.

use common::differential::{Result, agree, assert_notation_agrees, feed, promtool};
use promgen_test::Prometheus;
use std::path::Path;

mod common;

#[tokio::test]
async fn recording_rules_feed_alerts() -> Result {
    let rules = r#"groups:
  - name: rec
    rules:
      - record: job:errors:sum
        expr: sum by (job, env) (errors)
        # A label set to the empty string is removed.
        labels: {env: '', tier: recorded}
      - alert: JobErrors
        expr: job:errors:sum{tier="recorded"} > 10
        for: 2m
      - alert: EnvKept
        expr: job:errors:sum{env!=""}
"#;
    let series = [
        (
            r#"errors{job="api",instance="1",env="prod"}"#,
            "0x5 6x10 0x14",
        ),
        // Ends at 18m, and stays visible for the 5m lookback.
        (r#"errors{job="api",instance="2",env="prod"}"#, "0x8 6x10"),
        (
            r#"errors{job="db",instance="1",env="prod"}"#,
            "20x3 _x10 20x5 stale 20x5",
        ),
    ];
    let run = agree("recording", "1m", &[rules], &feed("1m", &series)?, "30m").await?;
    run.timeline
        .expect(r#"JobErrors{job="api"}"#)
        .pending_at("10m")
        .firing_at("11m")
        .inactive_at("17m");
    run.timeline
        .expect(r#"JobErrors{job="db"}"#)
        .firing_at("2m");
    run.timeline.expect("EnvKept").never_fires();
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn rule_labels_override_series_labels() -> Result {
    let rules = "groups:
  - name: g
    rules:
      - alert: Disk
        expr: disk_used > 0.9
        labels:
          severity: page
          source: rule
          team: ''
";
    let series = [
        (
            r#"disk_used{severity="low",team="core",device="sda"}"#,
            "0.5x3 0.95x10 0.5x5",
        ),
        (r#"disk_used{device="sdb"}"#, "0.99x20"),
    ];
    let run = agree("rule_labels", "1m", &[rules], &feed("1m", &series)?, "20m").await?;
    let firing = run.timeline.firing_at("5m")?;
    assert!(
        firing
            .iter()
            .all(|l| l["severity"] == "page" && l["source"] == "rule"),
        "{firing:?}"
    );
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn two_groups_in_two_files() -> Result {
    let first = "groups:
  - name: one
    rules:
      - record: job:x:max
        expr: max by (job) (x)
      - alert: High
        expr: job:x:max > 5
        annotations: {runbook: 'https://example.com/high'}
  - name: two
    rules:
      - alert: Low
        expr: x < 1
        for: 3m
";
    let second = "groups:
  - name: three
    rules:
      - alert: High
        expr: y > 5
        for: 2m
        annotations: {runbook: 'https://example.com/high'}
      # The same alert as group one's, from another rule: both are listed.
      - alert: High
        expr: max by (job) (x) > 8
        for: 2m
        annotations: {runbook: 'https://example.com/high'}
";
    let series = [
        (r#"x{job="a",i="1"}"#, "0x4 10x5 0.5x10 3x5"),
        (r#"x{job="a",i="2"}"#, "3x25"),
        (r#"y{job="b"}"#, "0x2 9x10 0x10"),
    ];
    let run = agree(
        "two_groups",
        "1m",
        &[first, second],
        &feed("1m", &series)?,
        "25m",
    )
    .await?;
    run.timeline
        .expect(r#"High{job="a"}"#)
        .firing_at("5m")
        .inactive_at("11m");
    run.timeline
        .expect(r#"High{job="b"}"#)
        .pending_at("4m")
        .firing_at("5m");
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn export_refuses_what_promtool_cannot_express() -> Result {
    let feed = feed("1m", &[("x", "1x10")])?;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential/refused");

    let rules = "groups:
  - {name: fast, interval: 30s, rules: [{alert: A, expr: x > 0}]}
  - {name: slow, interval: 1m, rules: [{alert: B, expr: x > 0}]}
";
    let prometheus = Prometheus::builder().rules_yaml(rules).start().await?;
    let timeline = prometheus.replay(&feed, "10m").await?;
    let err = prometheus
        .export_promtool(&feed, &timeline, &dir)
        .await
        .expect_err("groups with different intervals");
    assert!(err.to_string().contains("evaluation_interval"), "{err}");

    // Two rules named A whose annotations are templates: which rule an alert comes from
    // decides its annotations, and export cannot tell. (Any template is expanded now:
    // `differential.rs`, `templates_in_annotations_and_labels`.)
    let rules = "groups:
  - name: g
    rules:
      - alert: A
        expr: x > 0
        annotations: {summary: '{{ $value | humanize }}'}
      - alert: A
        expr: x > 5
        annotations: {summary: '{{ $value | humanize }}'}
";
    let prometheus = Prometheus::builder().rules_yaml(rules).start().await?;
    let timeline = prometheus.replay(&feed, "10m").await?;
    let err = prometheus
        .export_promtool(&feed, &timeline, &dir)
        .await
        .expect_err("rules sharing a name, with templated annotations");
    assert!(
        err.to_string()
            .contains("cannot tell which rule an alert comes from"),
        "{err}"
    );
    Ok(())
}

#[tokio::test]
async fn rule_labels_that_merge_results() -> Result {
    // Rule labels that make two results one series (recording) or one alert: fine while
    // they are never present at the same time.
    let rules = "groups:
  - name: g
    rules:
      - record: disk:used
        expr: disk > 1
        labels: {device: any}
      - alert: DiskRecorded
        expr: disk:used
        for: 1m
      - alert: Disk
        expr: disk > 1
        labels: {device: any}
        for: 2m
";
    let series = [
        (r#"disk{device="a"}"#, "0x3 5x5 0x10"),
        (r#"disk{device="b"}"#, "0x9 5x5 0x4"),
    ];
    let run = agree(
        "merged_results",
        "1m",
        &[rules],
        &feed("1m", &series)?,
        "18m",
    )
    .await?;
    run.timeline
        .expect("Disk")
        .firing_at("6m")
        .firing_at("15m")
        .inactive_at("16m");
    assert_notation_agrees(&run, &series);
    Ok(())
}

/// Evaluations that Prometheus fails, and so promtool too: two results that make the same
/// alert or the same recorded series at the same time, or more alerts or series than the
/// group's `limit`. The replay refuses them, naming the same evaluation.
#[tokio::test]
async fn evaluations_prometheus_fails_are_refused() -> Result {
    let feed = feed(
        "1m",
        &[
            (r#"disk{device="a"}"#, "0x3 5x5"),
            (r#"disk{device="b"}"#, "0x5 5x5"),
        ],
    )?;
    let cases = [
        (
            "collide_alert",
            "{alert: Disk, expr: disk > 1, labels: {device: all}}",
            "",
            "same labelset after applying alert labels",
        ),
        (
            "collide_record",
            "{record: 'disk:all', expr: disk > 1, labels: {device: all}}",
            "",
            "same labelset after applying rule labels",
        ),
        (
            "limit_alert",
            "{alert: Disk, expr: disk > 1}",
            "limit: 1",
            "exceeded limit of 1 with 2 alerts",
        ),
        (
            "limit_record",
            "{record: 'disk:high', expr: disk > 1}",
            "limit: 1",
            "exceeded limit of 1 with 2 series",
        ),
    ];
    for (name, rule, limit, says) in cases {
        let rules = format!("groups:\n  - name: g\n    {limit}\n    rules: [{rule}]\n");
        let prometheus = Prometheus::builder().rules_yaml(&rules).start().await?;
        let err = prometheus
            .replay(&feed, "10m")
            .await
            .expect_err("an evaluation Prometheus fails, at 6m");
        assert!(err.to_string().contains("at 6m,"), "{name}: {err}");
        // promtool, on the same series, fails at the same evaluation.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("differential")
            .join(name);
        std::fs::create_dir_all(&dir).expect("creating the directory");
        std::fs::write(dir.join("rules.yml"), &rules).expect("writing");
        let test = r#"rule_files: [rules.yml]
tests:
  - interval: 1m
    input_series:
      - {series: 'disk{device="a"}', values: '0x3 5x5'}
      - {series: 'disk{device="b"}', values: '0x5 5x5'}
    alert_rule_test:
      - {eval_time: 10m, alertname: Disk}
"#;
        std::fs::write(dir.join("test.yml"), test).expect("writing");
        let (ok, out) = promtool(&dir.join("test.yml"));
        assert!(!ok, "{name}: {out}");
        assert!(
            out.contains("time: 6m0s") && out.contains(says),
            "{name}: {out}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_group_reads_what_another_records() -> Result {
    // Prometheus lists groups by name: the alerts come before the series they read. They
    // are evaluated after the groups that record those series, and promtool is told that
    // order (its own is random).
    let rules = "groups:
  - name: z-max
    rules:
      - record: job:x:max
        expr: max by (job) (x)
  - name: m-doubled
    rules:
      - record: job:x:doubled
        expr: job:x:max * 2
  - name: a-alerts
    rules:
      - alert: High
        expr: job:x:doubled > 15
        for: 1m
      - alert: Max
        expr: job:x:max > 5
";
    let series = [
        (r#"x{job="a",i="1"}"#, "0x3 10x3 0x3 8x5"),
        (r#"x{job="a",i="2"}"#, "0x12 7"),
    ];
    let run = agree("group_order", "1m", &[rules], &feed("1m", &series)?, "15m").await?;
    run.timeline
        .expect("High")
        .pending_at("4m")
        .firing_at("5m")
        .inactive_at("8m")
        .firing_at("13m");
    let text = std::fs::read_to_string(&run.file).expect("the exported file");
    assert!(
        text.contains("group_eval_order:\n  - \"z-max\"\n  - \"m-doubled\"\n  - \"a-alerts\"\n"),
        "{text}"
    );

    // Within a group, a rule that reads a later rule's series sees what that rule wrote
    // at the previous evaluation: replayed evaluation by evaluation, as promtool does.
    let later = "groups:
  - name: g
    rules:
      - alert: High
        expr: job:x:max > 5
      - record: job:x:max
        expr: max by (job) (x)
";
    let run = agree("later_rule", "1m", &[later], &feed("1m", &series)?, "15m").await?;
    // x is 10 from 4m: recorded at 4m, after High has read the 3m value.
    run.timeline
        .expect("High")
        .inactive_at("4m")
        .firing_at("5m")
        .firing_at("8m")
        .inactive_at("9m");
    Ok(())
}
