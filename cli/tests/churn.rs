//! Churn against the real Prometheus 2.42: which series exist at which tick, written by
//! remote write (every sample, and a stale marker where each series leaves, read back from
//! the TSDB by promtool) and scraped from `serve` (a series that goes away is marked stale
//! by Prometheus itself).
//!
//! The expected series come from a model written here (replacements handed to the slots in
//! turn, one at a time, counted from the epoch), not from the library's formula.

mod support;

use promgen::{Scraper, Stop, time::now_ms};
use serde_json::Value;
use std::{
    collections::{BTreeMap, BTreeSet},
    process::Command,
    time::Duration,
};
use support::{
    expect::{assert_stored, expected},
    prometheus::{Prometheus, TempDir, labels, require, single_value},
    serve::serve,
};

const INTERVAL_MS: i64 = 15_000;
const EVERY_MS: i64 = 120_000;
const PODS: u64 = 4;

/// Four pods' counters, half of them replaced every 2 minutes.
const CONFIG: &str = r#"
metrics:
  - name: churn_jobs_total
    help: Jobs done by each pod, from 0 when the pod starts.
    type: counter
    timeseries:
      - labels: {pod: "p-{0..3}"}
        values: '0+1x10000'
        churn: {every: 2m, fraction: 0.5}
"#;

/// Each pod's `series_id` at period `period` (from the epoch): the model.
struct Model {
    period: i64,
    generation: Vec<u64>,
}

impl Model {
    /// Walks every replacement from the epoch to `period`: two a period, slot after slot.
    fn at(period: i64) -> Self {
        let total = 2 * period as u64;
        // Whole rounds first (each slot once per round), then the rest one at a time.
        let mut generation = vec![total / PODS; PODS as usize];
        for r in 0..total % PODS {
            generation[r as usize] += 1;
        }
        Self { period, generation }
    }

    /// The next period: the next two slots in turn.
    fn advance(&mut self) {
        for r in 0..2 {
            let next = (2 * self.period as u64 + r) % PODS;
            self.generation[next as usize] += 1;
        }
        self.period += 1;
    }

    fn ids(&self) -> Vec<u64> {
        (0..PODS)
            .map(|i| self.generation[i as usize] * PODS + i)
            .collect()
    }
}

/// Each series the model says the window holds: its labels and its ticks.
fn modelled(scraper: &Scraper) -> BTreeMap<(u64, u64), Vec<i64>> {
    let mut model = Model::at(scraper.start_ms().div_euclid(EVERY_MS));
    let mut out: BTreeMap<(u64, u64), Vec<i64>> = BTreeMap::new();
    for tick in scraper.ticks() {
        let ts = tick.timestamp_ms;
        while model.period < ts.div_euclid(EVERY_MS) {
            model.advance();
        }
        for (pod, id) in model.ids().into_iter().enumerate() {
            out.entry((pod as u64, id)).or_default().push(ts);
        }
    }
    out
}

#[test]
fn remote_write_sends_each_series_while_it_exists_and_a_stale_marker_when_it_leaves() {
    require("prometheus");
    require("promtool");
    let dir = TempDir::new("churn-rw");
    let prometheus = Prometheus::builder(dir.path())
        .flag("--web.enable-remote-write-receiver")
        .start();
    let config = dir.write("churn.yaml", CONFIG);
    // 20 minutes ending about an hour ago, starting a minute into a period.
    let end = (now_ms() / EVERY_MS - 30) * EVERY_MS;
    let start = end - 20 * 60_000 + 60_000;
    let scraper = Scraper::new(start, INTERVAL_MS, Stop::Until(end)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(["write", "--config", config.to_str().unwrap()])
        .args(["--url", &format!("{}/api/v1/write", prometheus.url())])
        .args(["--from", &format!("{}", start / 1000)])
        .args(["--to", &format!("{}", end / 1000)])
        .args(["--batch-size", "7", "--concurrency", "2"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Exactly the samples the library says (its own account)…
    let range_s = ((end - start) / 1000 + 60) as u64;
    let stored = prometheus.raw_samples("churn_jobs_total", range_s, end as f64 / 1000.0);
    assert_stored(stored.clone(), &expected(CONFIG, &scraper));

    // …and the series the model says, each counting from 0 at its first tick.
    let model = modelled(&scraper);
    let got: BTreeMap<(u64, u64), Vec<(i64, f64)>> = stored
        .into_iter()
        .map(|s| {
            let pod = s.labels["pod"].trim_start_matches("p-").parse().unwrap();
            let id = s.labels["series_id"].parse().unwrap();
            ((pod, id), s.samples)
        })
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        model.keys().collect::<Vec<_>>(),
        "the series"
    );
    assert!(
        model.len() >= 4 + 2 * 9,
        "{} series: churn happened",
        model.len()
    );
    for (key, ticks) in &model {
        let want: Vec<(i64, f64)> = ticks
            .iter()
            .enumerate()
            .map(|(k, &t)| (t, k as f64))
            .collect();
        assert_eq!(got[key], want, "series {key:?}");
    }

    // A stale marker at the first tick after each series' last, where that is in the
    // window, and nowhere else: promtool reads them from the TSDB (queries never show them).
    for ((pod, id), ticks) in &model {
        let selector =
            format!("{{__name__=\"churn_jobs_total\", pod=\"p-{pod}\", series_id=\"{id}\"}}");
        let stale: Vec<i64> = prometheus
            .dumped_samples(&selector)
            .into_iter()
            .filter(|(_, v)| v == "NaN")
            .map(|(ts, _)| ts)
            .collect();
        let last = *ticks.last().unwrap();
        let want: Vec<i64> = if last + INTERVAL_MS <= end {
            vec![last + INTERVAL_MS]
        } else {
            Vec::new()
        };
        assert_eq!(stale, want, "stale markers of pod p-{pod}, series {id}");
    }

    // So a query sees four pods at every tick, never a replaced one within its look back.
    for tick in scraper.ticks() {
        let t = tick.timestamp_ms as f64 / 1000.0;
        let count = single_value(&prometheus.query("count(churn_jobs_total)", Some(t)));
        assert_eq!(count, Some(PODS as f64), "at {t}");
    }
}

#[test]
fn a_scraped_series_that_is_replaced_vanishes_and_prometheus_marks_it_stale() {
    require("prometheus");
    let dir = TempDir::new("churn-serve");
    let config = dir.write(
        "churn.yaml",
        "metrics:\n  - name: churn_up\n    timeseries:\n      - labels: {pod: [a, b]}\n        series: '1'\n        churn: {every: 3s, mode: rotate}\n",
    );
    let (_serve, url) = serve(&["--config", config.to_str().unwrap()]);
    let target = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let prometheus = Prometheus::builder(dir.path())
        .config(&format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
             scrape_configs:\n  - job_name: promgen\n    static_configs:\n      - targets: ['{target}']\n"
        ))
        .start();
    let ids = |result: &[Value]| -> BTreeSet<String> {
        result
            .iter()
            .map(|s| labels(s)["series_id"].clone())
            .collect()
    };
    // Three rotations' worth of scrapes.
    prometheus.wait_for(
        "three generations of series",
        Duration::from_secs(30),
        || ids(&prometheus.query("churn_up[1m]", None)).len() >= 6,
    );
    let now = now_ms() as f64 / 1000.0;
    let all = ids(&prometheus.query("churn_up[1m]", Some(now)));
    // Every id is a rotation's: two a period, each period's the next two numbers.
    let numbers: BTreeSet<u64> = all.iter().map(|v| v.parse().unwrap()).collect();
    let periods: BTreeSet<u64> = numbers.iter().map(|n| n / 2).collect();
    assert_eq!(numbers.len(), 2 * periods.len(), "{numbers:?}");
    // An instant query sees the two of now only: the replaced ones are stale, not held for
    // the 5-minute look back.
    let visible = prometheus.query("churn_up", Some(now));
    assert_eq!(visible.len(), 2, "{visible:?}");
    let current = ids(&visible);
    let newest: BTreeSet<String> = numbers
        .iter()
        .rev()
        .take(2)
        .map(ToString::to_string)
        .collect();
    assert_eq!(current, newest, "the newest period's two series");
}
