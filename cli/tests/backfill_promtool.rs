//! `promgen-cli backfill`, loaded by the real `promtool tsdb create-blocks-from openmetrics`
//! and read back from a real Prometheus: every stored sample must be the one the library
//! computes for that series and tick, to the millisecond and to the bit.

mod support;

use promgen::{Scraper, Stop, time::now_ms};
use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    process::{Command, Output},
};
use support::{
    expect::{assert_stored, expected},
    prometheus::{Prometheus, TempDir, require},
};

/// Gauges (fractions, a continuous wave with noise, special values; -0 must keep its sign
/// through promtool), a counter, series with gaps (null in CustomValues, `_` in promtool
/// notation), series that end (on their own, and with a stale marker), a label value that
/// needs escaping, a histogram and a summary. The scraper block is overridden by --from,
/// --to and --interval.
const CONFIG: &str = r#"
scraper: {scrapeInterval: 1m, startTime: 2020-01-01T00:00:00Z, scrapesCount: 3}
metrics:
  - name: bf_temperature_celsius
    help: A gauge.
    labels: [room]
    timeseries:
      - labels: {room: a}
        series: 'sin(period = 10m, amplitude = 5, offset = 21) + normal(0, 0.2)'
      - labels: {room: b}
        values: '0.1+0.7x20'
        endStrategy: loop
      - labels: {room: "say \"hi\"\n\\"}
        values: '1 Inf -Inf NaN -0 -0.000001 1e300'
        endStrategy: loop
  - name: bf_requests_total
    help: A counter from random increments.
    type: counter
    timeseries:
      - labels: {code: "200"}
        series: 'uniform(0..5).cumsum()'
  - name: bf_gaps
    help: Missing scrapes.
    timeseries:
      - labels: {kind: custom}
        endStrategy: loop
        data:
          - CustomValues: {values: [1, null, 3, null, null, 6]}
      - labels: {kind: notation}
        values: '1 _ 2 _x3 4'
        endStrategy: loop
  - name: bf_ends
    help: Series that end.
    timeseries:
      - labels: {how: stop}
        values: '5 4 3 2 1'
      - labels: {how: remove}
        values: '1 2 stale 3 4'
        endStrategy: removeTimeSeries
  - name: bf_latency_seconds
    help: A histogram.
    type: histogram
    buckets: [0.1, 0.25, 0.5, 1]
    timeseries:
      - labels: {handler: /api}
        observations: 'normal(0.2, 0.05).clamp(0, 10)'
        perScrape: 10
  - name: bf_size_bytes
    help: A summary.
    type: summary
    objectives: [0.5, 0.9]
    timeseries:
      - observations: 'uniform(100..1000)'
        perScrape: 5
"#;

/// Runs `promgen-cli backfill <args>` in `dir`.
fn backfill(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .arg("backfill")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run promgen-cli backfill")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `promtool tsdb create-blocks-from openmetrics file data_dir`, which must succeed.
fn create_blocks(file: &Path, data_dir: &Path) -> String {
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(file)
        .arg(data_dir)
        .output()
        .expect("run promtool");
    let report = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "promtool failed: {report}");
    report
}

/// The timestamp (in ms) of the last line of `file` that starts with `series`.
fn last_timestamp_ms(file: &str, series: &str) -> i64 {
    let line = file
        .lines()
        .rfind(|l| l.starts_with(series))
        .unwrap_or_else(|| panic!("no {series} in the file"));
    let seconds: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    (seconds * 1000.0).round() as i64
}

#[test]
fn promtool_loads_exactly_the_samples_of_every_series() {
    require("promtool");
    require("prometheus");
    let dir = TempDir::new("backfill-exact");
    let config = dir.write("promgen.yaml", CONFIG);
    std::fs::create_dir(dir.join("out")).unwrap();
    // A two-hour window ending an hour ago: the start on a whole second given as Unix
    // seconds, the end relative (`-1h`, resolved by the command's own clock, read back from
    // the file below).
    let before = now_ms();
    let from_s = before / 1000 - 3 * 3600;
    let out = backfill(
        dir.path(),
        &[
            "--config",
            config.to_str().unwrap(),
            "--from",
            &from_s.to_string(),
            "--to",
            "-1h",
            "--interval",
            "15s",
            "--out",
            "out/series.om",
        ],
    );
    let after = now_ms();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(text(&out.stdout), "", "the file goes to --out only");
    let file = dir.join("out/series.om");
    let body = std::fs::read_to_string(&file).unwrap();

    // The last tick: that of the endless wave, which has a sample at every tick.
    let to_ms = last_timestamp_ms(&body, "bf_temperature_celsius{room=\"a\"} ");
    assert!(
        (before - 3_600_000 - 15_000 < to_ms) && (to_ms <= after - 3_600_000),
        "the last tick {to_ms} is not the last before an hour ago ({before}..{after})"
    );
    let scraper = Scraper::new(from_s * 1000, 15_000, Stop::Until(to_ms)).unwrap();
    assert_eq!(
        scraper.tick_count(),
        Some((to_ms - from_s * 1000) as u64 / 15_000 + 1)
    );
    let expected = expected(CONFIG, &scraper);

    // The summary, then the command that loads the file.
    let samples: usize = expected.values().map(Vec::len).sum();
    assert!(
        stderr.contains(&format!(
            "wrote {} series, {samples} samples, {} bytes in ",
            expected.len(),
            body.len()
        )),
        "{stderr}"
    );
    assert!(stderr.contains(" samples/s)"), "{stderr}");
    assert!(
        stderr.ends_with("\n  promtool tsdb create-blocks-from openmetrics out/series.om data\n"),
        "{stderr}"
    );
    assert!(body.ends_with("# EOF\n"));
    assert!(
        !body.contains("stale") && body.contains(" NaN "),
        "NaN is a value, stale markers are left out"
    );
    let names: Vec<_> = std::fs::read_dir(dir.join("out")).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");

    let data = dir.join("data");
    let report = create_blocks(&file, &data);
    assert!(report.contains("BLOCK ULID"), "{report}");

    let mut prometheus = Prometheus::builder(dir.path()).data_dir(&data).start();
    let at = to_ms as f64 / 1000.0 + 1.0;
    let range = ((to_ms / 1000 - from_s) + 60) as u64;
    let selector = r#"{__name__=~"bf_.*"}"#;
    let stored = prometheus.raw_samples(selector, range, at);
    // The series that ends (5 values) and the gaps are really there, as the library says.
    let ends = BTreeMap::from([
        ("__name__".to_owned(), "bf_ends".to_owned()),
        ("how".to_owned(), "stop".to_owned()),
    ]);
    assert_eq!(expected[&ends].len(), 5);
    assert_eq!(stored.len(), expected.len());
    assert_stored(stored, &expected);

    // The blocks are Prometheus' own now: they survive a restart on the same directory.
    prometheus.restart();
    assert_stored(prometheus.raw_samples(selector, range, at), &expected);
    prometheus.stop();
}

/// Millisecond timestamps: a start at .123 s and a 1.007 s interval go through every
/// fraction of a second. The window lies in 2004, just above 2^30 seconds, where the plain
/// decimal of some timestamps reads back one millisecond early in promtool (which truncates
/// `seconds * 1000`); today's timestamps (up to 2038) never do, so they would prove less.
/// The file goes to stdout here (`--out -`).
#[test]
fn millisecond_timestamps_come_back_exact() {
    require("promtool");
    require("prometheus");
    let dir = TempDir::new("backfill-ms");
    let config = "\
metrics:
  - name: bf_ms_steps
    timeseries:
      - series: 'linear(0..100000)'
  - name: bf_ms_gaps
    timeseries:
      - values: '1 _ 2'
        endStrategy: loop
";
    let path = dir.write("promgen.yaml", config);
    let out = backfill(
        dir.path(),
        &[
            "--config",
            path.to_str().unwrap(),
            "--from",
            "2004-06-01T00:00:00.123Z",
            "--to",
            "2004-06-01T01:00:00Z",
            "--interval",
            "1s7ms",
            "--out",
            "-",
            "--quiet",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "--quiet");
    let file = dir.write("series.om", &text(&out.stdout));

    let (from_ms, to_ms) = (1_086_048_000_123, 1_086_051_600_000);
    let scraper = Scraper::new(from_ms, 1007, Stop::Until(to_ms)).unwrap();
    assert_eq!(scraper.tick_count(), Some(3575));
    // The test means something: a plain decimal would come back wrong for some ticks.
    let plain_misses = scraper
        .ticks()
        .filter(|t| {
            let ms = t.timestamp_ms;
            let plain: f64 = format!("{}.{:03}", ms / 1000, ms % 1000).parse().unwrap();
            (plain * 1000.0) as i64 != ms
        })
        .count();
    assert!(plain_misses > 0, "no tick would catch a truncation");

    let expected = expected(config, &scraper);
    let data = dir.join("data");
    create_blocks(&file, &data);
    let prometheus = Prometheus::builder(dir.path()).data_dir(&data).start();
    let range = ((to_ms - from_ms) / 1000 + 60) as u64;
    let at = to_ms as f64 / 1000.0 + 1.0;
    let stored = prometheus.raw_samples(r#"{__name__=~"bf_ms_.*"}"#, range, at);
    let fractions: BTreeSet<i64> = stored
        .iter()
        .flat_map(|s| s.samples.iter().map(|(t, _)| t % 1000))
        .collect();
    assert_eq!(
        fractions.len(),
        1000,
        "every millisecond fraction is stored"
    );
    assert_stored(stored, &expected);
}

#[test]
fn an_unbounded_range_is_refused_and_writes_nothing() {
    let dir = TempDir::new("backfill-unbounded");
    let config = dir.write(
        "promgen.yaml",
        "metrics:\n  - name: up\n    timeseries:\n      - values: '1'\n        endStrategy: loop\n",
    );
    let config = config.to_str().unwrap();
    for args in [
        vec!["--config", config, "--out", "x.om"],
        vec!["--config", config, "--from", "-2h", "--out", "x.om"],
        // The built-in demo set starts now and has no end either.
        vec!["--out", "x.om"],
    ] {
        let out = backfill(dir.path(), &args);
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(
            text(&out.stderr),
            "error: the time range has no end: give --to TIME, or endTime or scrapesCount in the config's scraper\n",
            "{args:?}"
        );
        assert_eq!(text(&out.stdout), "");
        assert!(!dir.join("x.om").exists());
    }
}

#[test]
fn a_missing_output_directory_is_an_error_naming_the_file() {
    let dir = TempDir::new("backfill-no-dir");
    let out = backfill(
        dir.path(),
        &["--from", "-2h", "--to", "-1h", "--out", "nowhere/x.om"],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .starts_with("error: cannot write nowhere/x.om (through the temporary file nowhere/."),
        "{stderr}"
    );
}

#[test]
fn bad_times_name_their_flag() {
    let dir = TempDir::new("backfill-bad-time");
    let cases = [
        (
            vec!["--from", "yesterday", "--to", "now"],
            "error: invalid --from \"yesterday\": invalid time \"yesterday\"",
        ),
        (
            vec!["--from", "-2h", "--to", "-1x"],
            "error: invalid --to \"-1x\": invalid time \"-1x\"",
        ),
        (
            vec!["--from", "-2h", "--to", "now", "--interval", "1.5s"],
            "error: invalid --interval \"1.5s\": invalid duration \"1.5s\"",
        ),
        (
            vec!["--from", "-2h", "--to", "now", "--interval", "0s"],
            "error: invalid --interval \"0s\": it must be longer than 0\n",
        ),
        (
            vec!["--from", "-1h", "--to", "-2h"],
            "error: invalid time range: end time ",
        ),
    ];
    for (mut args, message) in cases {
        args.extend(["--out", "x.om"]);
        let out = backfill(dir.path(), &args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with(message), "{args:?}: {stderr}");
        assert!(!dir.join("x.om").exists());
    }
}

#[test]
fn help_tells_how_to_load_the_file_and_what_it_leaves_out() {
    let out = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(["backfill", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = text(&out.stdout);
    for needle in [
        "promtool tsdb create-blocks-from openmetrics",
        "stale markers",
        "--from",
        "--to",
        "--interval",
        "--out",
        "Examples:",
    ] {
        assert!(help.contains(needle), "{needle:?} not in:\n{help}");
    }
}
