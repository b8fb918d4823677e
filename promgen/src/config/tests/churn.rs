//! Churn (`churn:` on a series entry): which series exist at which tick, in a scrape and on
//! the wire, with the end of each series that leaves; and the mistakes, located.
//!
//! The expected series come from a model written here: replacements handed to the slots
//! one at a time, in turn, from the epoch (the tests start at time 0, so the model walks
//! every replacement), not from the library's formula.

use super::{NOW, errors, parse};
use crate::{
    Scraper, Stop, backfill,
    config::{Config, Shard},
    exposition::Format,
};
use std::collections::BTreeSet;

/// The series a scrape at each tick shows: `name{labels}` (the value left out).
fn scraped(yaml: &str, ticks: u64, interval_ms: i64) -> Vec<BTreeSet<String>> {
    let mut registry = parse(yaml).build_registry().unwrap();
    let scraper = Scraper::new(0, interval_ms, Stop::Count(ticks)).unwrap();
    scraper
        .ticks()
        .map(|tick| {
            let mut out = Vec::new();
            registry.scrape_into(&mut out, Format::Text, tick.timestamp_ms);
            String::from_utf8(out)
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| l.rsplit_once(' ').unwrap().0.to_owned())
                .collect()
        })
        .collect()
}

/// The model: after `total` replacements handed out in turn, each of `n` slots' value.
fn model(n: u64, total: u64) -> Vec<u64> {
    let mut generation = vec![0; n as usize];
    for r in 0..total {
        generation[(r % n) as usize] += 1;
    }
    (0..n).map(|i| generation[i as usize] * n + i).collect()
}

#[test]
fn a_step_churn_replaces_its_share_of_the_series_in_turn_each_period() {
    // Four pods, half of them replaced every 4 s, scraped every second for 12 s.
    let yaml = "metrics:\n  - name: pods\n    timeseries:\n      - labels: {pod: 'p-{0..3}'}\n        series: '7'\n        churn: {every: 4s, fraction: 0.5}\n";
    let got = scraped(yaml, 12, 1_000);
    for (t, series) in got.iter().enumerate() {
        let period = t as u64 / 4;
        let want: BTreeSet<String> = model(4, 2 * period)
            .iter()
            .enumerate()
            .map(|(i, id)| format!("pods{{pod=\"p-{i}\",series_id=\"{id}\"}}"))
            .collect();
        assert_eq!(series, &want, "at tick {t}");
    }
    assert_eq!(
        got[4].difference(&got[3]).count(),
        2,
        "two new series at the period's start"
    );
}

#[test]
fn gradual_rotate_and_spike_modes_have_their_series_at_each_tick() {
    let entry = |churn: &str| {
        format!(
            "metrics:\n  - name: m\n    timeseries:\n      - labels: {{k: ['a', 'b']}}\n        series: '1'\n        churn: {churn}\n"
        )
    };
    let ids = |sets: &[BTreeSet<String>]| -> Vec<Vec<u64>> {
        sets.iter()
            .map(|s| {
                s.iter()
                    .map(|l| {
                        let v = l.rsplit_once("series_id=\"").unwrap().1;
                        v.trim_end_matches("\"}").parse().unwrap()
                    })
                    .collect()
            })
            .collect()
    };
    // Gradual: both slots in 4 s, so one replacement every 2 s, slot 0 first.
    let gradual = ids(&scraped(
        &entry("{every: 4s, fraction: 1, mode: gradual}"),
        7,
        1_000,
    ));
    let want: Vec<Vec<u64>> = (0..7).map(|t| model(2, t / 2)).collect();
    let sorted = |mut v: Vec<Vec<u64>>| {
        v.iter_mut().for_each(|x| x.sort_unstable());
        v
    };
    assert_eq!(sorted(gradual), sorted(want));
    // Rotate: every slot new each 3 s.
    let rotate = ids(&scraped(&entry("{every: 3s, mode: rotate}"), 7, 1_000));
    assert_eq!(
        sorted(rotate),
        [[0, 1], [0, 1], [0, 1], [2, 3], [2, 3], [2, 3], [4, 5]]
    );
    // Spike: 3× the series for the first 2 s of every 5 s; the extra ones new each time.
    let spike = ids(&scraped(
        &entry("{every: 5s, mode: spike, factor: 3, for: 2s}"),
        7,
        1_000,
    ));
    let lasting = vec![0, 1];
    let first: Vec<u64> = (0..6).collect();
    let second: Vec<u64> = vec![0, 1, 8, 9, 10, 11];
    assert_eq!(
        sorted(spike),
        [
            first.clone(),
            first,
            lasting.clone(),
            lasting.clone(),
            lasting,
            second.clone(),
            second
        ]
    );
}

#[test]
fn on_the_wire_a_series_that_leaves_ends_there_and_the_next_starts_from_its_first_point() {
    // A counter from 0, its one series replaced every 3 s.
    let yaml = "metrics:\n  - name: jobs_total\n    type: counter\n    timeseries:\n      - values: '0+1x100'\n        churn: {every: 3s, mode: rotate, label: run}\n";
    let mut registry = parse(yaml).build_registry().unwrap();
    let scraper = Scraper::new(0, 1_000, Stop::Count(7)).unwrap();
    let mut got = Vec::new();
    let mut wire = Vec::new();
    for tick in scraper.ticks() {
        let ts = tick.timestamp_ms;
        let mut ends = Vec::new();
        if registry.churn_to(ts, |i, p| ends.push((i, p))) {
            for (i, p) in ends {
                got.push(format!("{ts} {} {p}", wire_labels(&wire, i)));
            }
            wire = registry.wire_series();
        }
        registry.step(ts, |i, p| {
            got.push(format!("{ts} {} {p}", wire_labels(&wire, i)));
        });
    }
    let want = [
        "0 jobs_total{run=\"0\"} 0",
        "1000 jobs_total{run=\"0\"} 1",
        "2000 jobs_total{run=\"0\"} 2",
        "3000 jobs_total{run=\"0\"} end",
        "3000 jobs_total{run=\"1\"} 0",
        "4000 jobs_total{run=\"1\"} 1",
        "5000 jobs_total{run=\"1\"} 2",
        "6000 jobs_total{run=\"1\"} end",
        "6000 jobs_total{run=\"2\"} 0",
    ];
    assert_eq!(got, want);
    assert!(!registry.all_ended(), "a churning entry goes on");
}

fn wire_labels(wire: &[crate::registry::WireSeries], i: usize) -> String {
    wire[i].labels.to_string()
}

#[test]
fn a_histogram_series_that_is_replaced_starts_empty() {
    let yaml = "metrics:\n  - name: h\n    type: histogram\n    buckets: [1]\n    timeseries:\n      - observations: '0.5'\n        churn: {every: 2s, mode: rotate}\n";
    let got = scraped(yaml, 4, 1_000);
    let mut registry = parse(yaml).build_registry().unwrap();
    let mut counts = Vec::new();
    for t in 0..4 {
        let mut out = Vec::new();
        registry.scrape_into(&mut out, Format::Text, t * 1_000);
        let text = String::from_utf8(out).unwrap();
        let count = text.lines().find(|l| l.starts_with("h_count")).unwrap();
        counts.push(count.to_owned());
    }
    assert_eq!(
        counts,
        [
            "h_count{series_id=\"0\"} 1",
            "h_count{series_id=\"0\"} 2",
            "h_count{series_id=\"1\"} 1",
            "h_count{series_id=\"1\"} 2"
        ]
    );
    assert_eq!(got[2].len(), 4, "buckets, sum and count of one series");
}

#[test]
fn a_backfill_file_keeps_each_series_lines_together() {
    let yaml = "metrics:\n  - name: g\n    timeseries:\n      - labels: {k: [a, b]}\n        values: '1+1x100'\n        churn: {every: 2s, fraction: 0.5}\n";
    let mut registry = parse(yaml).build_registry().unwrap();
    let scraper = Scraper::new(0, 1_000, Stop::Count(4)).unwrap();
    let mut out = Vec::new();
    let stats = backfill::write_openmetrics(&mut registry, &scraper, &mut out, |_| {}).unwrap();
    let text = String::from_utf8(out).unwrap();
    // One replacement every 2 s: slot a at 2 s; slot b would be next at 4 s.
    assert_eq!(
        text,
        "# TYPE g gauge\n\
         g{k=\"a\",series_id=\"0\"} 1 0.000\ng{k=\"a\",series_id=\"0\"} 2 1.000\n\
         g{k=\"a\",series_id=\"2\"} 1 2.000\ng{k=\"a\",series_id=\"2\"} 2 3.000\n\
         g{k=\"b\",series_id=\"1\"} 1 0.000\ng{k=\"b\",series_id=\"1\"} 2 1.000\ng{k=\"b\",series_id=\"1\"} 3 2.000\ng{k=\"b\",series_id=\"1\"} 4 3.000\n\
         # EOF\n"
    );
    assert_eq!(stats.series, 3);
}

#[test]
fn a_spike_counts_at_its_peak_against_the_limit_and_shards_split_every_slot() {
    let yaml = "metrics:\n  - name: m\n    timeseries:\n      - labels: {k: 'x{1..10}'}\n        series: '1'\n        churn: {every: 1m, mode: spike, factor: 4, for: 10s}\n";
    assert_eq!(parse(yaml).series_count(), 40);
    let e = Config::parse_limited(yaml, "t.yaml", 39)
        .unwrap_err()
        .to_string();
    assert!(e.contains("more than 39 series"), "{e}");
    let mut union = Vec::new();
    for i in 0..3 {
        let mut config = parse(yaml);
        config.keep_shard(Shard { index: i, count: 3 });
        let mut registry = config.build_registry().unwrap();
        registry.churn_to(0, |_, _| {});
        union.extend(
            registry
                .wire_series()
                .into_iter()
                .map(|w| w.labels.to_string()),
        );
    }
    let distinct: BTreeSet<&String> = union.iter().collect();
    assert_eq!((union.len(), distinct.len()), (40, 40));
}

#[test]
fn churn_mistakes_are_located() {
    let entry = |labels: &str, churn: &str| {
        format!(
            "metrics:\n  - name: m\n    timeseries:\n      - labels: {labels}\n        series: '1'\n        churn: {churn}\n"
        )
    };
    let cases = [
        (
            entry("{k: a}", "{every: 1m, mode: sometimes}"),
            "t.yaml:6:34: metrics[0].timeseries[0].churn.mode: unknown churn mode \"sometimes\"",
        ),
        (
            entry("{k: a}", "{every: 1m, mode: rotate, fraction: 0.5}"),
            "churn.fraction: `fraction` is not for mode rotate",
        ),
        (
            entry("{k: a}", "{fraction: 0.5}"),
            "t.yaml:6:16: metrics[0].timeseries[0].churn: missing key `every`",
        ),
        (
            entry("{k: a}", "{every: 1m, fraction: 0}"),
            "churn.fraction: the fraction is of the entry's series, each period: above 0 and at most 1, not 0",
        ),
        (
            entry("{k: a}", "{every: 1m, mode: spike, for: 1m}"),
            "churn: a spike must last above 0 and less than the period",
        ),
        (
            entry("{k: a}", "{every: 1m, fration: 0.1}"),
            "churn.fration: unknown key (did you mean `fraction`?)",
        ),
        (
            entry("{series_id: a}", "{every: 1m, fraction: 0.1}"),
            "labels.series_id: label \"series_id\" is this entry's churn label",
        ),
        (
            entry("{k: a}", "{every: 1m, fraction: 0.1, label: __x}"),
            "churn.label: invalid label name \"__x\"",
        ),
    ];
    for (yaml, want) in cases {
        let e = errors(&yaml);
        assert!(e.iter().any(|m| m.contains(want)), "{want}\n{e:#?}");
    }
    let declared = "metrics:\n  - name: m\n    labels: [k]\n    timeseries:\n      - labels: {k: a}\n        series: '1'\n        churn: {every: 1m, fraction: 0.1}\n";
    let e = errors(declared);
    assert!(
        e.iter()
            .any(|m| m.contains("the churn label \"series_id\" is not declared")),
        "{e:#?}"
    );
    let declared_ok = declared.replace("labels: [k]", "labels: [k, series_id]");
    assert_eq!(parse(&declared_ok).series_count(), 1);
    // The control API adds one series: a churn is refused, not ignored.
    let api = Config::parse_api_series(
        r#"{"name": "m", "series": "1", "churn": {"every": "1m", "fraction": 0.1}}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(api.contains("`churn` is for configs"), "{api}");
    // A plain series of the family that carries the churn label could become a duplicate.
    let mixed = "metrics:\n  - name: m\n    timeseries:\n      - labels: {k: a}\n        series: '1'\n        churn: {every: 1m, fraction: 0.1}\n      - labels: {series_id: '3'}\n        series: '1'\n";
    let e = parse(mixed).build_registry().err().unwrap().to_string();
    assert!(e.contains("\"series_id\" is a churn label of m"), "{e}");
    let _ = NOW;
}
