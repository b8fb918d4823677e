//! What the library says a config produces, and the check that Prometheus stored exactly
//! that: shared by the tests that write into a real Prometheus (backfill files, remote write).

use super::prometheus::StoredSeries;
use promgen::{Scraper, config::Config, is_stale};
use std::collections::{BTreeMap, BTreeSet};

/// Samples per series, keyed by the series' labels (`__name__` included).
pub type Expected = BTreeMap<BTreeMap<String, String>, Vec<(i64, f64)>>;

/// What the library produces for `config` over `scraper`, per wire series (labels as a
/// map, `__name__` included): its samples, stale markers left out (a backfill file leaves
/// them out, and Prometheus's query API never returns them). Series without samples are
/// absent, as they are from Prometheus.
pub fn expected(config: &str, scraper: &Scraper) -> Expected {
    expected_all(config, scraper)
        .into_iter()
        .filter_map(|(labels, samples)| {
            let values: Vec<_> = samples.into_iter().filter(|s| !is_stale(s.1)).collect();
            (!values.is_empty()).then_some((labels, values))
        })
        .collect()
}

/// As [`expected`], stale markers included: what a remote write sends. A churning entry's
/// slot is one series after another: each sample goes under the labels it had at its tick.
pub fn expected_all(config: &str, scraper: &Scraper) -> Expected {
    let mut registry = Config::parse(config, "test.yaml")
        .unwrap()
        .build_registry()
        .unwrap();
    let labels_of = |w: &promgen::registry::WireSeries| -> BTreeMap<String, String> {
        w.labels
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    let mut wire: Vec<BTreeMap<String, String>> = Vec::new();
    let mut out = Expected::new();
    for tick in scraper.ticks() {
        let ts = tick.timestamp_ms;
        let mut ends = Vec::new();
        if registry.churn_to(ts, |i, _| ends.push(i)) || wire.is_empty() {
            for i in ends {
                out.entry(wire[i].clone())
                    .or_default()
                    .push((ts, promgen::stale_nan()));
            }
            wire = registry.wire_series().iter().map(labels_of).collect();
        }
        registry.collect(ts, |i, v| {
            out.entry(wire[i].clone()).or_default().push((ts, v));
        });
    }
    out
}

/// The same float: bit for bit, or both NaN (the text `NaN` reads back as Go's NaN).
pub fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Asserts that Prometheus stored exactly the expected series and samples.
pub fn assert_stored(stored: Vec<StoredSeries>, expected: &Expected) {
    let stored: BTreeMap<_, _> = stored.into_iter().map(|s| (s.labels, s.samples)).collect();
    let names = |m: &Expected| -> BTreeSet<String> { m.keys().map(|l| format!("{l:?}")).collect() };
    assert_eq!(names(&stored), names(expected), "the stored series");
    for (labels, want) in expected {
        let got = &stored[labels];
        let mismatch = got
            .iter()
            .zip(want)
            .position(|(g, w)| g.0 != w.0 || !same(g.1, w.1));
        if let Some(i) = mismatch {
            panic!(
                "{labels:?}: sample {i} is {:?}, expected {:?} ({} stored, {} expected)",
                got[i],
                want[i],
                got.len(),
                want.len()
            );
        }
        assert_eq!(
            got.len(),
            want.len(),
            "{labels:?}: the number of samples; stored {got:?}, expected {want:?}"
        );
    }
}

/// A selector for exactly the series with these labels (`__name__` included).
pub fn selector(labels: &BTreeMap<String, String>) -> String {
    let matchers: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            let escaped = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{escaped}\"")
        })
        .collect();
    format!("{{{}}}", matchers.join(","))
}

/// What an instant query sees of a series at `t_ms`, given all its samples (stale markers
/// included): the latest sample at or before `t_ms` and no more than `lookback_ms` older
/// (Prometheus 2.x's window is closed at both ends), unless that sample is a stale marker.
pub fn visible_at(samples: &[(i64, f64)], t_ms: i64, lookback_ms: i64) -> Option<f64> {
    let latest = samples.iter().rev().find(|s| s.0 <= t_ms)?;
    (latest.0 >= t_ms - lookback_ms && !is_stale(latest.1)).then_some(latest.1)
}
