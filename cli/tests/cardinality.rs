//! Cardinality from templates, spread over instances (`--shard I/N`): the parts hold every
//! series of the expansion exactly once between them, with the numbers one instance would
//! give; and four shards written at once into a real VictoriaMetrics (Debian's
//! `victoria-metrics`, which `./scripts/test.sh` installs) leave it holding exactly the
//! library's expansion, every sample once, read back by its own `/api/v1/export`.

mod support;

use promgen::{Scraper, Stop};
use std::{
    collections::{BTreeMap, BTreeSet},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use support::{
    agent,
    expect::{Expected, expected, expected_all},
    prometheus::{TempDir, free_port},
    victoria::{Victoria, assert_holds},
};

/// A templated load: counters and gauges over 30 instances in two zones, and a histogram.
const CONFIG: &str = r#"metrics:
  - name: load_requests_{0..1}_total
    type: counter
    timeseries:
      - labels: {instance: "host-{00..29}", zone: [a, b]}
        series: uniform(50..150).round().cumsum()
  - name: load_queue_depth
    type: gauge
    timeseries:
      - labels: {instance: "host-{00..29}", queue: [mail, sms]}
        series: walk(start = 100, step = 5).clamp(0, 1000)
  - name: load_latency_seconds
    type: histogram
    buckets: [0.1, 0.5, 1]
    timeseries:
      - labels: {instance: "host-{0..9}"}
        observations: normal(0.3, 0.1).clamp(0, 5)
        perScrape: 20
"#;

fn promgen(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `preview --format values`: each wire series' labels and its values as printed.
fn preview(config: &str, extra: &[&str]) -> BTreeMap<String, String> {
    let mut args = vec![
        "preview", "--config", config, "--format", "values", "--count", "5", "--start", "0",
    ];
    args.extend(extra);
    let (code, out, err) = promgen(&args);
    assert_eq!(code, Some(0), "{err}");
    out.lines()
        .map(|l| {
            let (labels, values) = l.split_once("  ").unwrap();
            (labels.to_owned(), values.trim().to_owned())
        })
        .collect()
}

#[test]
fn shards_hold_every_series_of_the_expansion_once_with_the_same_numbers() {
    let dir = TempDir::new("cardinality-shards");
    let config = dir.write("load.yaml", CONFIG);
    let config = config.to_str().unwrap();
    let (code, out, _) = promgen(&["check", "--config", config]);
    assert_eq!(code, Some(0));
    // 2 × 60 counters, 60 gauges, 10 histograms.
    assert!(out.ends_with("ok (4 metrics, 190 series)\n"), "{out}");
    let whole = preview(config, &[]);
    // A histogram of 3 buckets is 6 wire series (+Inf, sum, count).
    assert_eq!(whole.len(), 120 + 60 + 10 * 6);
    let mut union = BTreeMap::new();
    let mut counted = 0;
    for i in 0..4 {
        let part = preview(config, &["--shard", &format!("{i}/4")]);
        assert!(
            !part.is_empty() && part.len() < whole.len(),
            "part {i}: {}",
            part.len()
        );
        counted += part.len();
        union.extend(part);
    }
    assert_eq!(counted, whole.len(), "no series in two parts");
    assert_eq!(
        union, whole,
        "the parts together are the whole, number for number"
    );
}

/// Four `promgen-cli write --shard i/4` of `config` at once into `vm`, from `from` to `to`
/// (ms) at 15 s; each must succeed.
fn write_in_four_shards(config: &std::path::Path, vm: &Victoria, from: i64, to: i64) {
    let secs = |ms: i64| (ms / 1000).to_string();
    let url = format!("{}/api/v1/write", vm.url);
    let writers: Vec<Child> = (0..4)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
                .args(["write", "--config", config.to_str().unwrap(), "--url", &url])
                .args(["--shard", &format!("{i}/4"), "--interval", "15s"])
                .args(["--from", &secs(from), "--to", &secs(to)])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for w in writers {
        let out = w.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn four_shards_at_once_leave_victoria_metrics_holding_the_whole_load_once() {
    let vm = Victoria::start();
    let dir = TempDir::new("cardinality-vm");
    let config = dir.write("load.yaml", CONFIG);
    // Ten minutes at 15 s, an hour ago (inside VictoriaMetrics' retention, and closed).
    let interval_ms = 15_000;
    let from = (promgen::time::now_ms() / 60_000 - 60) * 60_000;
    let to = from + 10 * 60_000;
    write_in_four_shards(&config, &vm, from, to);

    let want: Expected = expected(
        CONFIG,
        &Scraper::new(from, interval_ms, Stop::Until(to)).unwrap(),
    );
    let got = vm.export("load_.*", from, to);
    assert_eq!(want.len(), 120 + 60 + 60);
    assert_holds(&got, &want);
}

/// Counters and a random walk: what restarts visibly when a run starts the series afresh.
const ANCHORED: &str = r#"metrics:
  - name: anchored_requests_total
    type: counter
    timeseries:
      - labels: {instance: "host-{1..5}"}
        series: uniform(50..150).round().cumsum()
  - name: anchored_depth
    timeseries:
      - labels: {instance: "host-{1..5}"}
        series: walk(start = 100, step = 5)
"#;

#[test]
fn two_writes_with_one_anchor_continue_the_same_series() {
    let vm = Victoria::start();
    let dir = TempDir::new("anchored-vm");
    let config = dir.write("load.yaml", ANCHORED);
    let interval_ms = 15_000;
    let anchor = (promgen::time::now_ms() / 60_000 - 60) * 60_000;
    let (middle, end) = (anchor + 5 * 60_000, anchor + 10 * 60_000);
    let secs = |ms: i64| (ms / 1000).to_string();
    let url = format!("{}/api/v1/write", vm.url);
    // 0 to 5m, then 5m15s to 10m: the second run joins the series at their tick 21.
    for (from, to) in [(anchor, middle), (middle + interval_ms, end)] {
        let out = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
            .args(["write", "--config", config.to_str().unwrap(), "--url", &url])
            .args(["--interval", "15s", "--anchor", &secs(anchor)])
            .args(["--from", &secs(from), "--to", &secs(to)])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // What one run over the whole range gives.
    let whole = Scraper::new(anchor, interval_ms, Stop::Until(end)).unwrap();
    let want: Expected = expected(ANCHORED, &whole);
    let got = vm.export("anchored_.*", anchor, end);
    assert_eq!(got.len(), 10);
    assert_holds(&got, &want);
    // The check can tell: a second run that started the series afresh gives other numbers.
    let afresh = expected(
        ANCHORED,
        &Scraper::new(middle + interval_ms, interval_ms, Stop::Until(end)).unwrap(),
    );
    let (labels, fresh) = afresh.iter().next().unwrap();
    let joined: Vec<&(i64, f64)> = want[labels].iter().filter(|s| s.0 > middle).collect();
    assert_ne!(fresh.first().map(|s| s.1), joined.first().map(|s| s.1));
}

#[test]
fn a_run_far_from_its_anchor_is_refused_not_left_to_spin() {
    let dir = TempDir::new("anchor-far");
    let config = dir.write("load.yaml", ANCHORED);
    let started = Instant::now();
    let (code, _, err) = promgen(&[
        "write",
        "--config",
        config.to_str().unwrap(),
        "--url",
        "http://127.0.0.1:9/api/v1/write",
        "--anchor",
        "1990-01-01T00:00:00Z",
        "--from",
        "-1h",
        "--to",
        "-50m",
        "--interval",
        "1s",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("ticks after its anchor: catching 10 series up to it would take"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// Sends SIGINT to `child` and waits for it (what Ctrl-C does).
fn interrupt(child: Child) -> std::process::Output {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    child.wait_with_output().unwrap()
}

/// `promgen-cli load <args> --serve` on a free port: its first scrape, once it answers, after
/// which it is stopped (and must stop cleanly).
fn serve_load(args: &[&str]) -> String {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .arg("load")
        .args(args)
        .args(["--serve", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let agent = agent();
    let started = Instant::now();
    let text = loop {
        if let Ok(mut r) = agent.get(format!("http://127.0.0.1:{port}/metrics")).call() {
            break r.body_mut().read_to_string().unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "load did not serve"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = interrupt(child);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn load_serves_every_type_with_the_labels_asked_for() {
    let text = serve_load(&["--series", "40", "--metrics", "4", "--labels", "3"]);
    let check = support::oracle::promtool_check_metrics(&text);
    assert!(check.parses(), "{}", check.output);
    for family in [
        "# TYPE load_counter_0_total counter",
        "# TYPE load_gauge_1 gauge",
        "# TYPE load_histogram_2_seconds histogram",
        "# TYPE load_summary_3_seconds summary",
    ] {
        assert!(text.contains(family), "{family}\n{text}");
    }
    // Ten series a family, each with series_id and two more labels.
    let ids: BTreeSet<&str> = text
        .lines()
        .filter(|l| l.starts_with("load_gauge_1{"))
        .map(|l| {
            l.split("series_id=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 10, "{text}");
    assert!(
        text.contains(r#"load_gauge_1{label_1="value_1",label_2="value_2",series_id="7"}"#),
        "{text}"
    );
    assert_eq!(text.matches("load_histogram_2_seconds_count{").count(), 10);
}

#[test]
fn load_writes_its_set_live_into_victoria_metrics() {
    let vm = Victoria::start();
    let from = promgen::time::now_ms() - 1000;
    let child = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args([
            "load",
            "--series",
            "20",
            "--metrics",
            "4",
            "--interval",
            "1s",
        ])
        .args(["--url", &format!("{}/api/v1/write", vm.url)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let out = interrupt(child);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = vm.export("load_.*", from, promgen::time::now_ms());
    // Five series of each type (a histogram as its buckets, sum and count; a summary as its
    // quantiles, sum and count), each sampled every second while it ran.
    let names: BTreeSet<&str> = got.iter().map(|(l, _)| l["__name__"].as_str()).collect();
    for name in [
        "load_counter_0_total",
        "load_gauge_1",
        "load_histogram_2_seconds_bucket",
        "load_histogram_2_seconds_sum",
        "load_summary_3_seconds",
        "load_summary_3_seconds_count",
    ] {
        assert!(names.contains(name), "{name}: {names:?}");
    }
    let gauges = got
        .iter()
        .filter(|(l, _)| l["__name__"] == "load_gauge_1")
        .count();
    assert_eq!(gauges, 5);
    assert!(
        got.iter().all(|(_, s)| s.len() >= 2),
        "sampled every second for 3 s"
    );
}

#[test]
fn a_preview_read_in_part_exits_quietly() {
    // `preview … | head`: the closed pipe is the reader's choice, not an error.
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} preview --config ../examples/load-templated.yaml --format values --count 4 --start 0 | head -n 3; exit ${{PIPESTATUS[0]}}",
            env!("CARGO_BIN_EXE_promgen-cli")
        ))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn parts_out_of_range_are_refused_in_their_own_terms() {
    let check = |flag: &str, part: &str| {
        promgen(&[
            "check",
            "--config",
            "../examples/load-templated.yaml",
            flag,
            part,
        ])
        .2
    };
    assert!(check("--shard-slot", "5/4").contains("\"5/4\": slots run from 1/4 to 4/4"));
    assert!(check("--shard-slot", "0/4").contains("\"0/4\": slots run from 1/4 to 4/4"));
    assert!(check("--shard-slot", "x/4").contains("expected S/N with 1 ≤ S ≤ N"));
    assert!(check("--shard", "1/0").contains("\"1/0\": there must be at least one part"));
    assert!(check("--shard", "4/4").contains("the part must be below the count (0/4 to 3/4)"));
}

#[test]
fn a_churning_load_in_four_shards_leaves_victoria_metrics_holding_each_series_once() {
    // The quick start's set with churn, as a config: a quarter of each family's series
    // replaced every 2 minutes, written as four shards at once.
    let (code, config, err) = promgen(&[
        "load",
        "--series",
        "40",
        "--metrics",
        "4",
        "--churn",
        "every=2m,fraction=0.25",
        "--print-config",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        config
            .matches("churn: {label: cycle_id, every: 2m, fraction: 0.25}")
            .count(),
        4
    );
    let vm = Victoria::start();
    let dir = TempDir::new("churn-vm");
    let path = dir.write("load.yaml", &config);
    let (code, out, err) = promgen(&["check", "--config", path.to_str().unwrap()]);
    assert_eq!(
        (code, out.trim_end()),
        (
            Some(0),
            format!(
                "{}: ok (4 metrics, 40 series, 40 of them churning)",
                path.display()
            )
            .as_str()
        ),
        "{err}"
    );
    let from = (promgen::time::now_ms() / 120_000 - 30) * 120_000 + 45_000;
    let to = from + 10 * 60_000;
    write_in_four_shards(&path, &vm, from, to);
    // Stale markers included: each series that leaves has one where it leaves.
    let want = expected_all(
        &config,
        &Scraper::new(from, 15_000, Stop::Until(to)).unwrap(),
    );
    let markers = want
        .values()
        .flatten()
        .filter(|s| promgen::is_stale(s.1))
        .count();
    assert!(markers > 0, "series left in the window");
    // Each family's 10 slots, and 2.5 replacements a period (a quarter of 10) since the
    // epoch: those of the periods from the window's first tick to its last are new series.
    let family = |l: &BTreeMap<String, String>| {
        let name = &l["__name__"];
        ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name)
            .to_owned()
    };
    let series: BTreeSet<(String, String, String)> = want
        .keys()
        .map(|l| (family(l), l["series_id"].clone(), l["cycle_id"].clone()))
        .collect();
    let replaced = |ms: i64| ms.div_euclid(120_000) * 10 / 4;
    let last_tick = from + (to - from) / 15_000 * 15_000;
    let new_each = replaced(last_tick) - replaced(from);
    assert!(new_each >= 12, "{new_each}: churn happened in the window");
    assert_eq!(
        series.len() as i64,
        4 * (10 + new_each),
        "distinct series over the window"
    );
    let got = vm.export_all("load_.*", from, to);
    assert_holds(&got, &want);
}

/// `load --shard-slot S/N` is part S-1 of N, as on `serve` and `write` (Swarm's task slots
/// count from 1): slot 2/2 serves exactly what `--shard 1/2` does, and with part 0/2 the two
/// hold every series of the unsharded load once.
#[test]
fn load_takes_a_shard_slot_counted_from_one() {
    let served = |extra: &[&str]| -> BTreeSet<String> {
        let mut args = vec!["--series", "40", "--metrics", "4"];
        args.extend_from_slice(extra);
        serve_load(&args)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.rsplit_once(' ').unwrap().0.to_owned())
            .collect()
    };
    let slot = served(&["--shard-slot", "2/2"]);
    let part_1 = served(&["--shard", "1/2"]);
    let part_0 = served(&["--shard", "0/2"]);
    let all = served(&[]);
    assert!(!slot.is_empty() && !part_0.is_empty());
    assert_eq!(slot, part_1);
    assert!(part_0.is_disjoint(&part_1));
    assert_eq!(&part_0 | &part_1, all);
}

/// The preview's limit on the values it holds counted the series at the start: an entry that
/// churns a series away at every scrape gave one column per scrape, 100 times the count
/// (a 1 000 × 1 000 table where the limit allowed 1 × 1 000, printed in full).
#[test]
fn a_preview_counts_the_columns_churn_adds_against_its_limit() {
    let dir = std::env::temp_dir().join(format!("promgen-preview-churn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("churn.yaml");
    std::fs::write(
        &config,
        "scraper: {scrapeInterval: 1s}\nmetrics:\n  - name: rotating\n    timeseries:\n      - series: '1'\n        churn: {every: 1s, mode: rotate}\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    // Within the limit: 100 scrapes, 100 columns (10 000 cells).
    let (code, out, err) = promgen(&[
        "preview", "--config", config, "--count", "100", "--format", "values",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().count(), 100, "a column per series:\n{out}");
    // 5 000 scrapes of 1 series at the start are 5 000 values; the 5 000 columns are 25 M.
    let (code, out, err) = promgen(&[
        "preview", "--config", config, "--count", "5000", "--format", "values",
    ]);
    assert_eq!(code, Some(1), "{}", &out[..out.len().min(300)]);
    assert!(
        err.contains("churn replaced series") && err.contains("more than a preview shows"),
        "{err}"
    );
    assert!(
        out.is_empty(),
        "nothing printed: {}",
        &out[..out.len().min(300)]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
