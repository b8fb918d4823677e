//! `preview`, `backfill`, `serve` and remote write give the same numbers for the same config:
//! a histogram and a summary drawing several observations per scrape (issue #11 item 9, where
//! `preview` drew one per scrape and showed the observations instead of the buckets). The
//! scrapes are read back by the official Python client's parsers (`pip install
//! prometheus-client`; `./scripts/test.sh` installs it), with `$PROMGEN_PYTHON` or `python3`.

mod support;

use promgen::{Scraper, Stop};
use serde_json::Value;
use std::{
    collections::BTreeMap,
    io::Write,
    path::Path,
    process::{Command, Output, Stdio},
};
use support::oracle::{python, require_python_client};
use support::{agent, expect::expected_all, prometheus::TempDir, scrape, serve::serve};

/// Five scrapes from 2024-01-01T00:00:00Z, 15 s apart.
const CONFIG: &str = "\
scraper: {startTime: 2024-01-01T00:00:00Z, scrapeInterval: 15s, scrapesCount: 5}
metrics:
  - name: agree_latency_seconds
    help: Seven observations per scrape.
    type: histogram
    buckets: [0.1, 0.2, 0.3]
    timeseries:
      - labels: {handler: /api}
        observations: 'normal(0.2, 0.08).clamp(0, 10).seed(7)'
        perScrape: 7
  - name: agree_size_bytes
    help: Five observations per scrape.
    type: summary
    objectives: [0.5, 0.9]
    timeseries:
      - observations: 'uniform(100..1000).seed(3)'
        perScrape: 5
  - name: agree_queue_depth
    timeseries:
      - series: 'linear(0..10) >> loop'
";
const START_MS: i64 = 1_704_067_200_000;
const TICKS: usize = 5;

/// Samples by series (labels with `__name__`), each `(timestamp_ms, value)`.
type BySeries = BTreeMap<BTreeMap<String, String>, Vec<(i64, f64)>>;

fn cli(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run promgen-cli");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn number(text: &str) -> f64 {
    text.parse()
        .unwrap_or_else(|e| panic!("not a number {text:?}: {e}"))
}

/// Labels given as a JSON object of strings.
fn labels_json(labels: &Value) -> BTreeMap<String, String> {
    labels
        .as_object()
        .unwrap_or_else(|| panic!("not labels: {labels}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// `preview --format json`: every series with its `[timestamp_ms, "value"]` samples.
fn preview(dir: &Path, config: &str) -> BySeries {
    let out = cli(dir, &["preview", "--config", config, "--format", "json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    json["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let labels = labels_json(&s["labels"]);
            let samples = s["samples"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_i64().unwrap(), number(p[1].as_str().unwrap())))
                .collect();
            (labels, samples)
        })
        .collect()
}

/// Labels written as `{a="b",c="d"}` (no escapes needed in this config).
fn labels_of(name: &str, text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([("__name__".to_owned(), name.to_owned())]);
    for pair in text.split(',').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap();
        labels.insert(k.to_owned(), v.trim_matches('"').to_owned());
    }
    labels
}

/// The backfill file's sample lines: `name{labels} value seconds`. (The Python client's
/// OpenMetrics parser drops most of a histogram's samples when its points carry timestamps,
/// so this file is read here; `backfill_promtool` has promtool load such files exactly.)
fn backfill(dir: &Path, config: &str) -> BySeries {
    let out = cli(
        dir,
        &["backfill", "--config", config, "--out", "-", "--quiet"],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let mut series = BySeries::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (head, rest) = line.split_once(' ').unwrap();
        let (value, seconds) = rest.split_once(' ').unwrap();
        let labels = match head.split_once('{') {
            Some((name, labels)) => labels_of(name, labels.trim_end_matches('}')),
            None => labels_of(head, ""),
        };
        let ms = (number(seconds) * 1000.0).round() as i64;
        series.entry(labels).or_default().push((ms, number(value)));
    }
    series
}

/// One scrape read by the Python client's parser for `format` (`text` or `openmetrics`).
fn parse_scrape(body: &str, format: &str) -> BTreeMap<BTreeMap<String, String>, f64> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/parse_exposition.py");
    let mut python = Command::new(python())
        .arg(script)
        .arg(format)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the Python client's parser");
    python
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = python.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Python client refused the {format} scrape: {}\n---\n{body}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let sample: Value = serde_json::from_str(line).unwrap();
            let labels = labels_json(&sample["labels"]);
            (labels, number(sample["value"].as_str().unwrap()))
        })
        .collect()
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

fn assert_same_series(what: &str, got: &BySeries, want: &BySeries) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{what}: the series"
    );
    for (labels, want) in want {
        let got = &got[labels];
        let equal = got.len() == want.len()
            && got
                .iter()
                .zip(want)
                .all(|(g, w)| g.0 == w.0 && same(g.1, w.1));
        assert!(equal, "{what}: {labels:?}\n  got {got:?}\n want {want:?}");
    }
}

#[test]
fn preview_backfill_serve_and_remote_write_agree_on_histograms_and_summaries() {
    require_python_client();
    let dir = TempDir::new("outputs-agree");
    let config = dir.write("agree.yaml", CONFIG);
    let config = config.to_str().unwrap();

    // preview shows what a scrape exposes: buckets, sum and count; quantiles, sum and count.
    let preview = preview(dir.path(), config);
    let names: Vec<String> = preview
        .keys()
        .map(|l| {
            let extra = l.get("le").or(l.get("quantile"));
            format!(
                "{}{}",
                l["__name__"],
                extra.map(|e| format!("/{e}")).unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "agree_latency_seconds_bucket/+Inf",
            "agree_latency_seconds_bucket/0.1",
            "agree_latency_seconds_bucket/0.2",
            "agree_latency_seconds_bucket/0.3",
            "agree_latency_seconds_count",
            "agree_latency_seconds_sum",
            "agree_queue_depth",
            "agree_size_bytes/0.5",
            "agree_size_bytes/0.9",
            "agree_size_bytes_count",
            "agree_size_bytes_sum",
        ]
    );
    let ticks: Vec<i64> = (0..TICKS as i64).map(|i| START_MS + i * 15_000).collect();
    let count = |name: &str| -> Vec<(i64, f64)> {
        let key = preview.keys().find(|l| l["__name__"] == name).unwrap();
        preview[key].clone()
    };
    // perScrape observations each scrape, none dropped or added.
    let sevens: Vec<(i64, f64)> = ticks
        .iter()
        .zip(1..)
        .map(|(&t, i)| (t, f64::from(7 * i)))
        .collect();
    assert_eq!(count("agree_latency_seconds_count"), sevens);
    let fives: Vec<(i64, f64)> = ticks
        .iter()
        .zip(1..)
        .map(|(&t, i)| (t, f64::from(5 * i)))
        .collect();
    assert_eq!(count("agree_size_bytes_count"), fives);
    // The buckets are not all full or all empty, so they say something.
    let le_01 = preview
        .iter()
        .find(|(l, _)| l.get("le").is_some_and(|le| le == "0.1"))
        .unwrap()
        .1;
    assert!(
        le_01.last().unwrap().1 < 35.0 && le_01.last().unwrap().1 > 0.0,
        "{le_01:?}"
    );

    // backfill writes the same numbers at the same times.
    assert_same_series("backfill", &backfill(dir.path(), config), &preview);

    // Remote write sends what Registry::collect gives (no stale marker here: nothing ends).
    let scraper = Scraper::new(START_MS, 15_000, Stop::Count(TICKS as u64)).unwrap();
    assert_same_series("remote write", &expected_all(CONFIG, &scraper), &preview);

    // serve: scrape i is tick i, in the text format and in OpenMetrics by turns, each read
    // back by the Python client. Nothing else scrapes this server.
    let (_serve, url) = serve(&["--config", config]);
    let agent = agent();
    for i in 0..TICKS {
        let (accept, format) = if i % 2 == 0 {
            ("text/plain;version=0.0.4", "text")
        } else {
            ("application/openmetrics-text;version=1.0.0", "openmetrics")
        };
        let body = scrape(&agent, &url, accept);
        let scrape = parse_scrape(&body, format);
        let want: BTreeMap<_, _> = preview
            .iter()
            .map(|(labels, samples)| (labels.clone(), samples[i].1))
            .collect();
        assert_eq!(
            scrape.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "scrape {i} ({format}): the series\n{body}"
        );
        for (labels, v) in &want {
            assert!(
                same(scrape[labels], *v),
                "scrape {i} ({format}): {labels:?} is {}, preview says {v}\n{body}",
                scrape[labels]
            );
        }
    }
}
