//! The replay against `promtool test rules`, the reference: each scenario replays a feed
//! through a real Prometheus, exports the replay as a promtool test (the firing alerts of
//! every alerting rule at every evaluation step) and runs the real promtool on it. promtool
//! passing means it agrees with the replay at every step; a negative control shows that it
//! fails when one expectation is wrong. Rules and groups: `differential_rules.rs`; `ALERTS`:
//! `alerts_series.rs`.

use common::differential::{Result, agree, assert_notation_agrees, feed, promtool};
use promgen_test::Feed;

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

/// Any template, as Prometheus expands it: functions, pipelines, conditions, `query`, and a
/// templated label that moves an alert from one severity to the other (a new alert, with a
/// new `for`). Export refused all but `$labels.X` and `$value` before, and replay refused
/// templated labels.
#[tokio::test]
async fn templates_in_annotations_and_labels() -> Result {
    let rules = r#"groups:
  - name: g
    rules:
      - alert: Busy
        expr: load > 2
        for: 2m
        labels:
          severity: '{{ if gt $value 8.0 }}page{{ else }}ticket{{ end }}'
        annotations:
          summary: '{{ $labels.host | toUpper }} load {{ $value | humanize }} ({{ printf "%.1f" $value }})'
          share: '{{ $value | humanizePercentage }} of {{ query "count(load)" | first | value }} hosts'
          links: '{{ with $labels.host }}host={{ . | reReplaceAll "-[0-9]+$" "" }}{{ end }}'
"#;
    let series = [
        (r#"load{host="web-1"}"#, "1x3 3 4 5 6 9 9.5 12 12 3 1x5"),
        (r#"load{host="db-1"}"#, "1x5 2.5x10 1x5"),
    ];
    let run = agree("templates", "1m", &[rules], &feed("1m", &series)?, "20m").await?;
    run.timeline
        .expect(r#"Busy{host="web-1",severity="ticket"}"#)
        .firing_at("6m");
    run.timeline
        .expect(r#"Busy{host="web-1",severity="page"}"#)
        .pending_at("8m")
        .firing_at("10m");
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
