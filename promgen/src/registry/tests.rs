//! The registry: scrapes, wire series, collect, and its refusals.

use super::*;
use crate::is_stale;
use crate::observe::{Buckets, Histogram, Objectives, Summary};
use crate::shape::{ShapeExt, Value, values};

fn def(name: &str, labels: &[(&str, &str)], t: MetricType, source: Source) -> SeriesDef {
    SeriesDef {
        labels: Labels::new(name, labels.iter().copied()).unwrap(),
        metric_type: t,
        help: None,
        source,
        description: "".into(),
        definition: None,
        churn: None,
    }
}

fn plain(v: &[Value]) -> Source {
    Source::Series(Box::new(values(v.to_vec())))
}

fn scrape(r: &mut Registry, format: Format) -> String {
    let mut out = Vec::new();
    r.scrape_into(&mut out, format, 0);
    String::from_utf8(out).unwrap()
}

#[test]
fn missing_stale_and_ended_series_leave_the_response() {
    let mut r = Registry::default();
    r.add(def(
        "g",
        &[("a", "1")],
        MetricType::Gauge,
        plain(&[
            Value::Num(1.0),
            Value::Missing,
            Value::Stale,
            Value::Num(4.0),
        ]),
    ))
    .unwrap();
    r.add(def(
        "g",
        &[("a", "2")],
        MetricType::Gauge,
        Source::Series(Box::new(2.0.take(10))),
    ))
    .unwrap();
    let outs: Vec<String> = (0..5).map(|_| scrape(&mut r, Format::Text)).collect();
    assert_eq!(outs[0], "# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"2\"} 2\n");
    assert_eq!(outs[1], "# TYPE g gauge\ng{a=\"2\"} 2\n");
    assert_eq!(outs[2], "# TYPE g gauge\ng{a=\"2\"} 2\n");
    assert_eq!(outs[3], "# TYPE g gauge\ng{a=\"1\"} 4\ng{a=\"2\"} 2\n");
    assert_eq!(outs[4], "# TYPE g gauge\ng{a=\"2\"} 2\n");
    assert!(r.list()[0].ended);
}

#[test]
fn collect_sends_stale_markers_where_scrapes_leave_series_out() {
    let mut r = Registry::default();
    let v = |x| Value::Num(x);
    r.add(def(
        "g",
        &[],
        MetricType::Gauge,
        plain(&[v(1.0), Value::Missing, Value::Stale, v(4.0)]),
    ))
    .unwrap();
    r.add(def(
        "h",
        &[],
        MetricType::Histogram,
        Source::Histogram(Histogram::new(
            Box::new(values(vec![v(0.2)])),
            1,
            Buckets::new(vec![0.5]).unwrap(),
        )),
    ))
    .unwrap();
    let wire: Vec<String> = r
        .wire_series()
        .iter()
        .map(|w| w.labels.to_string())
        .collect();
    assert_eq!(
        wire,
        [
            "g",
            "h_bucket{le=\"0.5\"}",
            "h_bucket{le=\"+Inf\"}",
            "h_sum",
            "h_count"
        ]
    );
    let mut ticks = Vec::new();
    for t in 0..6 {
        let mut got = Vec::new();
        let running = r.collect(t, |i, x| {
            got.push((
                i,
                if is_stale(x) {
                    "stale".into()
                } else {
                    x.to_string()
                },
            ))
        });
        assert_eq!(running, !r.all_ended(), "collect says what all_ended says");
        ticks.push(got);
    }
    let g: Vec<_> = ticks
        .iter()
        .map(|t| {
            t.iter()
                .filter(|s| s.0 == 0)
                .map(|s| s.1.as_str())
                .collect::<Vec<_>>()
        })
        .collect();
    // A value, nothing for a missing point, a stale marker, a value, then the end: one
    // stale marker, then nothing ever again.
    let expected: [&[&str]; 6] = [&["1"], &[], &["stale"], &["4"], &["stale"], &[]];
    assert_eq!(g, expected);
    // The histogram keeps its state once its observations end, and never ends itself.
    assert_eq!(ticks[5].iter().filter(|s| s.0 > 0).count(), 4);
    assert!(!r.all_ended());
}

#[test]
fn histograms_and_summaries_in_openmetrics() {
    let mut r = Registry::default();
    let obs = || Box::new(values(vec![Value::Num(0.2), Value::Num(0.7)]).forever());
    r.add(def(
        "latency_seconds",
        &[],
        MetricType::Histogram,
        Source::Histogram(Histogram::new(
            obs(),
            2,
            Buckets::new(vec![0.5, 1.0]).unwrap(),
        )),
    ))
    .unwrap();
    r.add(def(
        "size_bytes",
        &[("x", "y")],
        MetricType::Summary,
        Source::Summary(Summary::new(obs(), 2, Objectives::new(vec![0.5]).unwrap())),
    ))
    .unwrap();
    assert_eq!(
        scrape(&mut r, Format::OpenMetrics),
        "# TYPE latency_seconds histogram\nlatency_seconds_bucket{le=\"0.5\"} 1\nlatency_seconds_bucket{le=\"1\"} 2\nlatency_seconds_bucket{le=\"+Inf\"} 2\nlatency_seconds_sum 0.8999999999999999\nlatency_seconds_count 2\n\
         # TYPE size_bytes summary\nsize_bytes{x=\"y\",quantile=\"0.5\"} 0.2\nsize_bytes_sum{x=\"y\"} 0.8999999999999999\nsize_bytes_count{x=\"y\"} 2\n# EOF\n"
    );
}

#[test]
fn add_replace_remove_and_refusals() {
    let mut r = Registry::default();
    let a = r
        .add(def(
            "m",
            &[("k", "a")],
            MetricType::Gauge,
            plain(&[Value::Num(1.0)]),
        ))
        .unwrap();
    let b = r
        .add(def(
            "m",
            &[("k", "b")],
            MetricType::Gauge,
            plain(&[Value::Num(2.0)]),
        ))
        .unwrap();
    assert_ne!(a, b);
    assert_eq!(
        r.add(def("m", &[("k", "a")], MetricType::Gauge, plain(&[]))),
        Err(RegistryError::Duplicate("m{k=\"a\"}".into(), a))
    );
    assert!(matches!(
        r.add(def("m", &[("k", "c")], MetricType::Counter, plain(&[]))),
        Err(RegistryError::TypeConflict { .. })
    ));
    assert!(matches!(
        r.add(def("h", &[], MetricType::Histogram, plain(&[]))),
        Err(RegistryError::SourceMismatch(..))
    ));
    // Replacing a series with its own labels is fine; it restarts.
    r.replace(
        a,
        def(
            "m",
            &[("k", "a")],
            MetricType::Gauge,
            plain(&[Value::Num(9.0)]),
        ),
    )
    .unwrap();
    assert_eq!(
        r.replace(a, def("m", &[("k", "b")], MetricType::Gauge, plain(&[]))),
        Err(RegistryError::Duplicate("m{k=\"b\"}".into(), b))
    );
    assert_eq!(
        r.replace(99, def("m", &[], MetricType::Gauge, plain(&[]))),
        Err(RegistryError::NotFound(99))
    );
    assert!(scrape(&mut r, Format::Text).contains("m{k=\"a\"} 9\n"));
    assert!(r.remove(a) && r.remove(b) && !r.remove(a));
    assert!(r.is_empty());
    assert_eq!(scrape(&mut r, Format::Text), "");
}

fn collected(r: &mut Registry, ticks: i64) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new(); r.wire_series().len()];
    for t in 0..ticks {
        r.collect(t, |i, x| {
            out[i].push(if is_stale(x) {
                "stale".into()
            } else {
                x.to_string()
            });
        });
    }
    out
}

#[test]
fn a_series_that_ends_gets_exactly_one_stale_marker() {
    use crate::shape::{EndStrategy, gap};
    let mut r = Registry::default();
    let v = |x| Value::Num(x);
    let removed = values(vec![v(1.0), v(2.0)]).end_with(EndStrategy::RemoveTimeSeries);
    r.add(def(
        "removed",
        &[],
        MetricType::Gauge,
        Source::Series(Box::new(removed)),
    ))
    .unwrap();
    r.add(def(
        "ends_stale",
        &[],
        MetricType::Gauge,
        plain(&[v(1.0), Value::Stale]),
    ))
    .unwrap();
    r.add(def(
        "ends",
        &[],
        MetricType::Gauge,
        plain(&[v(1.0), Value::Missing]),
    ))
    .unwrap();
    r.add(def(
        "never",
        &[],
        MetricType::Gauge,
        Source::Series(Box::new(gap(2))),
    ))
    .unwrap();
    let got = collected(&mut r, 6);
    // The shape's own stale marker ends the series; the end adds none.
    assert_eq!(got[0], ["1", "2", "stale"]);
    assert_eq!(got[1], ["1", "stale"]);
    // A value last (a gap after it): the end marks it stale.
    assert_eq!(got[2], ["1", "stale"]);
    // Never a sample: nothing to mark.
    assert!(got[3].is_empty(), "{:?}", got[3]);
    let mut marked = 0;
    r.mark_stale(|_, _| marked += 1);
    assert_eq!(marked, 0, "every series has ended and is marked already");
}

#[test]
fn mark_stale_marks_each_running_series_once() {
    let mut r = Registry::default();
    let v = |x| Value::Num(x);
    r.add(def(
        "a",
        &[],
        MetricType::Gauge,
        plain(&[v(1.0), v(2.0), v(3.0)]),
    ))
    .unwrap();
    r.add(def(
        "b",
        &[],
        MetricType::Gauge,
        plain(&[v(1.0), Value::Stale, v(3.0)]),
    ))
    .unwrap();
    r.add(def(
        "h",
        &[],
        MetricType::Histogram,
        Source::Histogram(Histogram::new(
            Box::new(values(vec![v(0.2)])),
            1,
            Buckets::new(vec![0.5]).unwrap(),
        )),
    ))
    .unwrap();
    let marks = |r: &mut Registry| {
        let mut got = Vec::new();
        r.mark_stale(|i, x| {
            assert!(is_stale(x));
            got.push(i);
        });
        got
    };
    r.collect(0, |_, _| {});
    r.collect(1, |_, _| {});
    // `b`'s last sample is a stale marker: only `a` and the histogram's four series.
    assert_eq!(marks(&mut r), [0, 2, 3, 4, 5]);
    assert_eq!(marks(&mut r), [] as [usize; 0]);
}

fn histogram(bounds: &[f64]) -> Source {
    Source::Histogram(Histogram::new(
        Box::new(values(vec![Value::Num(0.5)])),
        1,
        Buckets::new(bounds.to_vec()).unwrap(),
    ))
}

#[test]
fn names_that_clash_once_exposed_are_refused() {
    let mut r = Registry::default();
    let h = r
        .add(def("h", &[], MetricType::Histogram, histogram(&[1.0])))
        .unwrap();
    let refused = r
        .add(def(
            "h_bucket",
            &[("le", "1")],
            MetricType::Gauge,
            plain(&[]),
        ))
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "metric h_bucket clashes with series 1 (h): `h_bucket` is both the buckets of the histogram `h` and the name of the gauge `h_bucket`"
    );
    assert!(matches!(refused, RegistryError::NameClash { id, .. } if id == h));
    let c = r
        .add(def("c", &[], MetricType::Counter, plain(&[])))
        .unwrap();
    // In OpenMetrics both are the family `c` with samples `c_total`.
    assert!(matches!(
        r.add(def("c_total", &[("k", "v")], MetricType::Counter, plain(&[]))),
        Err(RegistryError::NameClash { id, .. }) if id == c
    ));
    // A family that is being replaced away does not clash with what replaces it.
    r.replace(c, def("c_total", &[], MetricType::Counter, plain(&[])))
        .unwrap();
    assert!(
        r.add(def("c_created", &[], MetricType::Gauge, plain(&[])))
            .is_err()
    );
    assert!(
        r.add(def("h_seconds", &[], MetricType::Gauge, plain(&[])))
            .is_ok()
    );
    assert_eq!(r.len(), 3);
}

#[test]
fn a_label_the_family_writes_itself_is_refused() {
    let mut r = Registry::default();
    let refused = r
        .add(def(
            "hle",
            &[("le", "0.1")],
            MetricType::Histogram,
            histogram(&[1.0]),
        ))
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .starts_with("series hle{le=\"0.1\"}: label `le` is reserved in a histogram"),
        "{refused}"
    );
    let quantile = def(
        "s",
        &[("quantile", "1")],
        MetricType::Summary,
        Source::Summary(Summary::new(
            Box::new(values(vec![Value::Num(1.0)])),
            1,
            Objectives::new(vec![0.5]).unwrap(),
        )),
    );
    assert!(matches!(
        r.add(quantile),
        Err(RegistryError::ReservedLabel { .. })
    ));
    // Other types may carry either.
    r.add(def(
        "g",
        &[("le", "1"), ("quantile", "2")],
        MetricType::Gauge,
        plain(&[]),
    ))
    .unwrap();
    assert!(r.wire_series().iter().all(|s| s.labels.name() == "g"));
}

#[test]
fn duplicates_are_found_by_the_index_after_removals_and_replacements() {
    let mut r = Registry::default();
    let gauge = |name: &str, k: &str| def(name, &[("k", k)], MetricType::Gauge, plain(&[]));
    let ids: Vec<u64> = (0..100)
        .map(|i| r.add(gauge("m", &i.to_string())).unwrap())
        .collect();
    let other = r.add(gauge("other", "x")).unwrap();
    // Removing from the middle moves the members after it: each is still found.
    assert!(r.remove(ids[10]) && r.remove(ids[50]));
    for (i, id) in ids.iter().enumerate().filter(|(i, _)| *i != 10 && *i != 50) {
        assert_eq!(
            r.add(gauge("m", &i.to_string())),
            Err(RegistryError::Duplicate(format!("m{{k=\"{i}\"}}"), *id))
        );
    }
    // What was removed can come back.
    let back = r.add(gauge("m", "10")).unwrap();
    assert_eq!(
        r.add(gauge("m", "10")),
        Err(RegistryError::Duplicate("m{k=\"10\"}".into(), back))
    );
    // A family that goes away and comes back, and the families after it, are found by name.
    assert!(r.remove(ids[0]));
    let solo = r.add(gauge("solo", "a")).unwrap();
    assert!(r.remove(solo));
    assert_eq!(
        r.add(gauge("other", "x")),
        Err(RegistryError::Duplicate("other{k=\"x\"}".into(), other))
    );
    assert!(matches!(
        r.add(def("other", &[("k", "y")], MetricType::Counter, plain(&[]))),
        Err(RegistryError::TypeConflict { .. })
    ));
    let solo = r.add(gauge("solo", "a")).unwrap();
    // Replacing a series with the labels of another is refused; with its own, it is not.
    assert_eq!(
        r.replace(solo, gauge("m", "20")),
        Err(RegistryError::Duplicate("m{k=\"20\"}".into(), ids[20]))
    );
    r.replace(ids[20], gauge("m", "20")).unwrap();
    r.replace(ids[20], gauge("m", "fresh")).unwrap();
    r.add(gauge("m", "20")).unwrap();
    assert_eq!(r.len(), 100 - 3 + 1 + 1 + 1 + 1);
}

#[test]
fn a_series_that_ends_while_fast_forwarded_is_not_marked_stale() {
    let mut r = Registry::default();
    let gauge = |name: &str, n: usize| {
        def(
            name,
            &[],
            MetricType::Gauge,
            plain(&vec![Value::Num(1.0); n]),
        )
    };
    r.add(gauge("ended", 3)).unwrap();
    r.add(gauge("running", 100)).unwrap();
    r.fast_forward(0, 1000, 10);
    let mut marked = Vec::new();
    r.mark_stale(|i, _| marked.push(i));
    // Only the series still running had a sample a receiver could hold.
    assert_eq!(marked, [1]);
}
