//! The replay against `promtool test rules`, the reference: each scenario replays a feed
//! through a real Prometheus, exports the replay as a promtool test (the firing alerts of
//! every alerting rule at every evaluation step) and runs the real promtool on it. promtool
//! passing means it agrees with the replay at every step; a negative control shows that it
//! fails when one expectation is wrong.

use common::differential::{Result, agree, assert_notation_agrees, feed, promtool};
use promgen_test::{Feed, Prometheus};
use std::path::Path;

mod common;

#[tokio::test]
async fn for_boundaries() -> Result {
    let rules = "groups:
  - name: boundaries
    # Both alerts are pending at once: within the limit.
    limit: 2
    rules:
      - alert: HighErrors
        expr: errors > 5
        for: 5m
        labels: {severity: page}
";
    let series = [
        // Above 5 from 5m to 10m: pending 5m, fires at exactly 5m + for.
        (r#"errors{job="exact"}"#, "0x4 10x5 0x20"),
        // Above 5 from 5m to 9m: one step short of `for`.
        (r#"errors{job="short"}"#, "0x4 10x4 0x21"),
    ];
    let run = agree(
        "for_boundaries",
        "1m",
        &[rules],
        &feed("1m", &series)?,
        "30m",
    )
    .await?;
    run.timeline
        .expect(r#"HighErrors{job="exact"}"#)
        .pending_at("9m")
        .firing_at("10m")
        .inactive_at("11m");
    run.timeline
        .expect(r#"HighErrors{job="short"}"#)
        .never_fires();
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn for_zero_fires_at_once() -> Result {
    let rules = "groups:
  - name: g
    rules:
      - alert: QueueFull
        expr: queue > 100
";
    let series = [
        (r#"queue{q="a"}"#, "0x3 200x2 0x3 150 0x20"),
        (r#"queue{q="b"}"#, "101x30"),
    ];
    let run = agree("for_zero", "1m", &[rules], &feed("1m", &series)?, "30m").await?;
    run.timeline
        .expect(r#"QueueFull{q="a"}"#)
        .firing_at("4m")
        .inactive_at("7m")
        .firing_at("11m")
        .inactive_at("12m");
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn keep_firing_for() -> Result {
    let rules = "groups:
  - name: g
    rules:
      - alert: Flapping
        expr: errors > 0
        for: 1m
        keep_firing_for: 3m
";
    let series = [
        // Fires at 4m; a 2m dip is bridged; a long one resolves after 3m; a blip that goes
        // away while pending never fires.
        (r#"errors{job="a"}"#, "0x2 1x4 0x1 1x3 0x10 1 0x9"),
        (r#"errors{job="b"}"#, "0x5 1x20 0x4"),
    ];
    let run = agree(
        "keep_firing_for",
        "1m",
        &[rules],
        &feed("1m", &series)?,
        "30m",
    )
    .await?;
    run.timeline
        .expect(r#"Flapping{job="a"}"#)
        .firing_at("4m")
        .firing_at("8m")
        .firing_at("16m")
        .inactive_at("17m");
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn gaps_within_and_beyond_the_lookback() -> Result {
    let rules = "groups:
  - name: g
    rules:
      - alert: Up
        expr: heartbeat > 0
        for: 2m
";
    let series = [
        // A 3m gap is bridged by the 5m lookback; a 10m one is not (gone 5m after 14m).
        (r#"heartbeat{job="a"}"#, "1x5 _x3 1x5 _x10 1x5"),
        // Gaps right around the lookback: 4, 5 and 6 missing samples.
        (r#"heartbeat{job="b"}"#, "1 _x4 1 _x5 1 _x6 1 _x3 1x5"),
    ];
    let run = agree("gaps", "1m", &[rules], &feed("1m", &series)?, "30m").await?;
    run.timeline
        .expect(r#"Up{job="a"}"#)
        .firing_at("7m")
        .firing_at("19m")
        .inactive_at("20m");
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn stale_markers() -> Result {
    let rules = "groups:
  - name: g
    rules:
      - alert: Present
        expr: heartbeat > 0
      - alert: Gone
        expr: absent(heartbeat{job=\"a\"})
";
    let series = [
        (
            r#"heartbeat{job="a"}"#,
            "1x5 stale 1x5 stale _x3 1x3 stale 1x6",
        ),
        // NaN is a value (not a stale marker): present, but never > 0.
        (r#"heartbeat{job="n"}"#, "1x3 NaN 1x3 NaN NaN 1x5 _x3 NaN"),
    ];
    let run = agree(
        "stale_markers",
        "1m",
        &[rules],
        &feed("1m", &series)?,
        "25m",
    )
    .await?;
    run.timeline
        .expect(r#"Present{job="n"}"#)
        .firing_at("3m")
        .inactive_at("4m")
        .firing_at("5m");
    run.timeline
        .expect(r#"Present{job="a"}"#)
        .firing_at("5m")
        .inactive_at("6m")
        .firing_at("7m");
    run.timeline.expect("Gone").firing_at("6m").firing_at("14m");
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn several_label_sets() -> Result {
    let rules = "groups:
  - name: g
    rules:
      - alert: HighCpu
        expr: cpu > 80
        for: 3m
        labels: {severity: warning}
        annotations:
          note: '{{ $labels.note }}: {{ $value }}'
";
    let feed = Feed::new()
        .interval("30s")?
        .dsl(r#"cpu{host="a",dc="x"}"#, "linear(0..=100, 21) >> loop")?
        .notation(r#"cpu{host="b",dc="x"}"#, "90x80")?
        .notation(r#"cpu{host="c",dc="y"}"#, "50x10 95x20 50x10 95x5 50x40")?
        .dsl(
            r#"cpu{host="d",dc="y"}"#,
            "sin(period = 12m, amplitude = 30, offset = 70)",
        )?
        .dsl(
            r#"cpu{host="e",dc="y"}"#,
            "walk(start = 80, step = 5).seed(7)",
        )?
        // Quotes, a backslash, a line break and more than ASCII, through both notations.
        .notation(
            r#"cpu{host="f",dc="y",note="a \"quoted\" C:\\path\nnext: ü"}"#,
            "81x80",
        )?;
    let run = agree("label_sets", "1m", &[rules], &feed, "40m").await?;
    run.timeline.expect(r#"HighCpu{host="b"}"#).firing_at("3m");
    run.timeline.expect(r#"HighCpu{host="c"}"#).firing_at("9m");
    Ok(())
}

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
async fn evaluation_every_40s_over_samples_every_minute() -> Result {
    let rules = "groups:
  - name: g
    rules:
      - alert: High
        expr: x > 5
        for: 2m
      - alert: Rising
        expr: delta(x[2m]) > 0
";
    let series = [(r#"x{job="a"}"#, "0x5 10x10 0x5 10x3 0x10 10 _x3 0x5")];
    let run = agree(
        "eval_40s_feed_1m",
        "40s",
        &[rules],
        &feed("1m", &series)?,
        "40m",
    )
    .await?;
    run.timeline.expect("High").firing_at("8m");
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn evaluation_every_minute_over_samples_every_25s() -> Result {
    let rules = "groups:
  - name: g
    rules:
      - alert: High
        expr: x > 5
        for: 3m
      - alert: Busy
        expr: rate(c[2m]) > 0.3
        for: 1m
";
    let series = [
        (r#"x{job="a"}"#, "0x10 10x20 0x10 10x5 0x20 10x8 0x10"),
        (r#"c{job="a"}"#, "0+5x30 150+12x30 510+5x30"),
    ];
    let run = agree(
        "eval_1m_feed_25s",
        "1m",
        &[rules],
        &feed("25s", &series)?,
        "40m",
    )
    .await?;
    run.timeline.expect("High").firing_at("8m");
    run.timeline.expect("Busy").firing_at("18m");
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn absent_when_a_series_stops() -> Result {
    let rules = "groups:
  - name: g
    rules:
      - alert: CronMissing
        expr: absent(heartbeat{job=\"cron\"})
        for: 2m
      - alert: BatchMissing
        expr: absent(heartbeat{job=\"batch\"})
";
    let feed = Feed::new()
        .interval("1m")?
        // Its shape ends after 10m: the series goes away as a scraped one does.
        .dsl(r#"heartbeat{job="cron"}"#, "[1] x 11")?
        // Samples stop but nothing marks it stale: it is visible for the 5m lookback.
        .notation(r#"heartbeat{job="batch"}"#, "1x10 _x20")?;
    let run = agree("absent", "1m", &[rules], &feed, "30m").await?;
    run.timeline
        .expect("CronMissing")
        .pending_at("11m")
        .firing_at("13m");
    run.timeline
        .expect("BatchMissing")
        .inactive_at("15m")
        .firing_at("16m");
    Ok(())
}

#[tokio::test]
async fn absent_when_a_notation_ends() -> Result {
    // A notation that ends, as in a promtool test: its last sample stays visible for the
    // 5m lookback (promtool writes no stale marker after the last value).
    let rules = "groups:
  - name: g
    rules:
      - alert: Missing
        expr: absent(heartbeat)
";
    let series = [("heartbeat", "1x10")];
    let run = agree(
        "absent_notation_ends",
        "1m",
        &[rules],
        &feed("1m", &series)?,
        "30m",
    )
    .await?;
    assert_notation_agrees(&run, &series);
    run.timeline
        .expect("Missing")
        .inactive_at("15m")
        .firing_at("16m");
    Ok(())
}

#[tokio::test]
async fn rate_over_a_counter_with_resets() -> Result {
    let rules = "groups:
  - name: g
    rules:
      - alert: HighRate
        expr: rate(requests_total[3m]) > 0.3
        for: 2m
      - alert: Reset
        expr: resets(requests_total[5m]) > 0
      - alert: Burst
        expr: increase(requests_total[2m]) > 50
";
    let series = [
        (
            r#"requests_total{job="api"}"#,
            "0+10x10 100+30x10 0+5x20 10+40x5",
        ),
        (r#"requests_total{job="db"}"#, "0+1x15 3+1x25"),
    ];
    let run = agree("rate_reset", "1m", &[rules], &feed("1m", &series)?, "45m").await?;
    run.timeline
        .expect(r#"Reset{job="api"}"#)
        .firing_at("22m")
        .inactive_at("27m");
    run.timeline
        .expect(r#"HighRate{job="api"}"#)
        .firing_at("15m");
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn histogram_quantile_over_a_histogram() -> Result {
    let rules = "groups:
  - name: latency
    rules:
      - alert: SlowP90
        expr: histogram_quantile(0.9, sum by (le, handler) (rate(request_duration_seconds_bucket[2m]))) > 0.5
        for: 1m
        annotations:
          summary: 'p90 of {{ $labels.handler }} is {{ $value }}s'
      - alert: SlowMean
        expr: rate(request_duration_seconds_sum[5m]) / rate(request_duration_seconds_count[5m]) > 0.45
";
    let config = "metrics:
  - name: request_duration_seconds
    type: histogram
    buckets: [0.1, 0.25, 0.5, 1]
    timeseries:
      - labels: {handler: /api}
        observations: 'sin(period = 20m, amplitude = 0.3, offset = 0.4) + normal(0, 0.05)'
        perScrape: 20
      - labels: {handler: /health}
        observations: 'uniform(0..0.2)'
        perScrape: 5
";
    let feed = Feed::new().interval("15s")?.config(config)?;
    let run = agree("histogram", "1m", &[rules], &feed, "40m").await?;
    assert!(
        run.timeline
            .episodes()
            .iter()
            .any(|e| e.firing_at.is_some()),
        "the scenario should make SlowP90 fire\n{}",
        run.timeline
    );
    Ok(())
}

#[tokio::test]
async fn alerts_resolve_and_fire_again() -> Result {
    let rules = "groups:
  - name: g
    rules:
      - alert: High
        expr: x > 5
        for: 2m
";
    let series = [(r#"x{job="a"}"#, "0x3 10x5 0x3 10x5 0x3 10x1 0x3 10x2 0x5")];
    let run = agree("refire", "1m", &[rules], &feed("1m", &series)?, "35m").await?;
    run.timeline
        .expect("High")
        .firing_at("6m")
        .inactive_at("10m")
        .firing_at("16m")
        .inactive_at("20m");
    assert_eq!(run.timeline.episodes().len(), 4, "{}", run.timeline);
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
async fn and_unless_joins() -> Result {
    let rules = "groups:
  - name: g
    rules:
      - alert: ErrorsWhileUp
        expr: errors > 5 and on(job) up == 1
        for: 1m
      - alert: ErrorsOutsideMaintenance
        expr: errors > 5 unless on(job) maintenance == 1
";
    let series = [
        (r#"errors{job="a",instance="1"}"#, "0x2 10x15 0x5"),
        (r#"errors{job="b",instance="1"}"#, "10x22"),
        (r#"up{job="a"}"#, "1x8 0x5 1x8"),
        (r#"up{job="b"}"#, "1x22"),
        (r#"maintenance{job="b"}"#, "0x5 1x5 0x5 _x7"),
    ];
    let run = agree("and_unless", "1m", &[rules], &feed("1m", &series)?, "22m").await?;
    run.timeline
        .expect(r#"ErrorsWhileUp{job="a"}"#)
        .firing_at("4m")
        .inactive_at("9m");
    run.timeline
        .expect(r#"ErrorsOutsideMaintenance{job="b"}"#)
        .firing_at("0s")
        .inactive_at("6m")
        .firing_at("12m");
    assert_notation_agrees(&run, &series);
    Ok(())
}

#[tokio::test]
async fn annotations_follow_the_value() -> Result {
    let rules = r#"groups:
  - name: g
    rules:
      - alert: Hot
        expr: temperature > 30
        keep_firing_for: 2m
        labels: {room: overridden}
        annotations:
          summary: '{{ $labels.room }} is at {{ $value }} degrees'
          metric: '{{$labels.__name__}}/{{ $labels.missing }}'
          text: 'He said "hot": {yes}'
"#;
    let series = [(
        r#"temperature{room="lab"}"#,
        "20x3 31 32.5 1000000 33.25 0.00001 20x3 31.5 1e-7 20x5",
    )];
    let run = agree("annotations", "1m", &[rules], &feed("1m", &series)?, "20m").await?;
    run.timeline.expect("Hot").firing_at("4m").firing_at("9m");
    assert_notation_agrees(&run, &series);
    Ok(())
}

/// The oracle can fail: the same export with one firing alert left out, or one annotation
/// changed, makes promtool fail.
#[tokio::test]
async fn promtool_catches_a_wrong_expectation() -> Result {
    let rules = "groups:
  - name: g
    rules:
      - alert: High
        expr: x > 5
        for: 2m
        annotations: {summary: 'x is {{ $value }}'}
";
    let series = [(r#"x{job="a"}"#, "0x3 10x5 0x5")];
    let run = agree(
        "negative_control",
        "1m",
        &[rules],
        &feed("1m", &series)?,
        "12m",
    )
    .await?;
    let text = std::fs::read_to_string(&run.file).expect("the exported file");

    // Drop the first expected alert: promtool must see it firing anyway.
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "        exp_alerts:")
        .expect("a step where High fires");
    let eval_time = lines[at - 2]
        .strip_prefix("      - eval_time: ")
        .expect("eval_time two lines above exp_alerts");
    let mut end = at + 2;
    while lines[end].starts_with("            ") {
        end += 1;
    }
    let mut dropped: Vec<&str> = lines[..at].to_vec();
    if lines[end].starts_with("          - ") {
        dropped.push(lines[at]);
    } else {
        dropped.push("        exp_alerts: []");
    }
    dropped.extend(&lines[end..]);
    let file = run.file.with_file_name("promtool-dropped.yml");
    std::fs::write(&file, dropped.join("\n") + "\n").expect("writing");
    let (ok, out) = promtool(&file);
    assert!(!ok, "promtool passed with a firing alert left out:\n{out}");
    assert!(
        out.contains(&format!("alertname: High, time: {eval_time},")),
        "{out}"
    );

    // An annotation off by a character.
    let changed = text.replacen("\"x is 10\"", "\"x is 10.0\"", 1);
    assert_ne!(changed, text);
    let file = run.file.with_file_name("promtool-changed.yml");
    std::fs::write(&file, changed).expect("writing");
    let (ok, out) = promtool(&file);
    assert!(!ok, "promtool passed with a wrong annotation:\n{out}");
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

    let rules = "groups:
  - name: g
    rules:
      - alert: A
        expr: x > 0
        annotations: {summary: '{{ $value | humanize }}'}
";
    let prometheus = Prometheus::builder().rules_yaml(rules).start().await?;
    let timeline = prometheus.replay(&feed, "10m").await?;
    let err = prometheus
        .export_promtool(&feed, &timeline, &dir)
        .await
        .expect_err("a template export cannot expand");
    assert!(
        err.to_string()
            .contains("cannot expand {{ $value | humanize }}"),
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
