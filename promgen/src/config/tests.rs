//! Config decoding: the origin's format, promgen's additions, and every error path.

use super::*;
use crate::shape::{Point, Value, WaveKind};

const NOW: i64 = 1_700_000_000_000;

fn parse(yaml: &str) -> Config {
    Config::parse_at(yaml, "t.yaml", NOW).unwrap_or_else(|e| panic!("{e}"))
}

fn errors(yaml: &str) -> Vec<String> {
    Config::parse_at(yaml, "t.yaml", NOW)
        .expect_err("should fail")
        .0
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn one_error(yaml: &str) -> String {
    let e = errors(yaml);
    assert_eq!(e.len(), 1, "{e:#?}");
    e[0].clone()
}

/// A config with one gauge series whose shape is `data`, indented as a list item body.
fn with_data(metric_type: &str, data: &str) -> String {
    format!(
        "metrics:\n  - name: m\n    type: {metric_type}\n    timeseries:\n      - data: {data}\n"
    )
}

/// The first series' samples over `n` ticks a second apart, as every output reads them.
fn values(config: &Config, n: usize) -> Vec<String> {
    let mut registry = config.build_registry().unwrap();
    let scraper = Scraper::new(0, 1000, Stop::Count(n as u64)).unwrap();
    let mut out = Vec::new();
    for tick in scraper.ticks() {
        registry.step(tick.timestamp_ms, |i, point| {
            if i == 0 && matches!(point, Point::Value(_) | Point::Stale) {
                out.push(point.to_string());
            }
        });
    }
    out
}

#[test]
fn the_origin_format_loads() {
    let c = parse(
        r#"
scraper: {scrapeInterval: 15s, startTime: 2024-01-01T00:00:00Z, scrapesCount: 100}
remoteWriter:
  host: localhost:9090
metrics:
  - name: my_metric
    help: my_metric help string
    type: counter
    labels: [label1, label2]
    timeseries:
      - labels: {label1: a, label2: b}
        endStrategy: loop
        data:
          - LinearSegment: {iterationCount: 5, amplitudeStart: 0, amplitudeEnd: 10}
          - CustomValues: {values: [3, null, 5]}
          - Random: {iterationCount: 5, min: 0, max: 10}
          - Void: {count: 5}
          - Loop: {count: 2, data: [{Void: {count: 1}}, {LinearSegment: {iterationCount: 2, amplitudeStart: 1, amplitudeEnd: 2}}]}
          - Join: [{Void: {count: 1}}]
      - labels: {label1: c, label2: d}
        values: "0+10x100 _x5 stale"
"#,
    );
    assert_eq!(
        c.scraper,
        ScraperConfig {
            interval_ms: 15_000,
            start: "2024-01-01T00:00:00Z".into(),
            count: 100,
            end: None
        }
    );
    assert_eq!(
        c.remote_writer,
        Some(RemoteWriterConfig {
            host: Some("localhost:9090".into()),
            ..RemoteWriterConfig::default()
        })
    );
    let m = &c.metrics[0];
    assert_eq!(
        (m.name.as_str(), m.metric_type, m.help.as_deref()),
        (
            "my_metric",
            MetricType::Counter,
            Some("my_metric help string")
        )
    );
    assert_eq!(
        m.series[0].labels.to_string(),
        r#"my_metric{label1="a",label2="b"}"#
    );
    assert_eq!(m.series[0].end, EndStrategy::Loop);
    let ShapeSpec::Join(parts) = &*m.series[0].shape else {
        panic!("join")
    };
    assert_eq!(parts.len(), 6);
    assert_eq!(
        parts[1],
        ShapeSpec::Values(vec![Value::Num(3.0), Value::Missing, Value::Num(5.0)])
    );
    assert!(matches!(*m.series[1].shape, ShapeSpec::Notation(_)));
    let first: Vec<String> = values(&c, 10);
    assert_eq!(first[..7], ["0", "2.5", "5", "7.5", "10", "3", "5"]);
}

#[test]
fn scraper_may_sit_under_the_remote_writer_and_has_defaults() {
    let c = parse(
        "remoteWriter:\n  scraper: {scrapeInterval: 1m, startTime: -2h, endTime: now}\nmetrics:\n  - name: m\n    timeseries:\n      - values: '1'\n",
    );
    let s = c.scraper.scraper(NOW).unwrap();
    assert_eq!(
        (s.start_ms(), s.interval_ms(), s.stop()),
        (NOW - 7_200_000, 60_000, Stop::Until(NOW))
    );
    assert_eq!(c.remote_writer, Some(RemoteWriterConfig::default()));
    let d = parse("metrics:\n  - name: m\n    timeseries:\n      - values: '1'\n");
    assert_eq!(d.scraper, ScraperConfig::default());
    assert_eq!(d.metrics[0].metric_type, MetricType::Gauge);
    assert_eq!(d.scraper.scraper(NOW).unwrap().start_ms(), NOW);
}

#[test]
fn promgen_shapes_load_and_run() {
    let run = |data: &str, n| values(&parse(&with_data("gauge", data)), n);
    assert_eq!(
        run("{Constant: {value: 2, iterationCount: 2}}", 5),
        ["2", "2"]
    );
    assert_eq!(run("{Values: '1 _ 3'}", 5), ["1", "3"]);
    assert_eq!(
        run(
            "{Square: {period: 2, amplitude: 3, offset: 1, iterationCount: 4}}",
            9
        ),
        ["4", "-2", "4", "-2"]
    );
    assert_eq!(
        run("{Pulse: {period: 4, duty: 0.25, iterationCount: 4}}", 9),
        ["1", "0", "0", "0"]
    );
    assert_eq!(
        run("{Sawtooth: {period: 4s, iterationCount: 2}}", 9),
        ["-1", "-0.5"]
    );
    assert_eq!(
        run(
            "{ContinuousLinear: {duration: 2s, amplitudeStart: 0, amplitudeEnd: 1}}",
            9
        ),
        ["0", "0.5", "1"]
    );
    assert_eq!(run("{Add: [{Values: '1 2'}, 10]}", 9), ["11", "12"]);
    assert_eq!(run("{Sub: [5, {Values: '1 2'}]}", 9), ["4", "3"]);
    assert_eq!(
        run("{Mul: [[{Values: '1'}, {Values: '2'}], 3]}", 9),
        ["3", "6"]
    );
    assert_eq!(run("{Div: [{Values: '1 2'}, 4]}", 9), ["0.25", "0.5"]);
    assert_eq!(
        run("{Clamp: {min: 0, max: 1, data: {Values: '-1 0.5 2'}}}", 9),
        ["0", "0.5", "1"]
    );
    assert_eq!(run("{Round: {data: {Values: '1.4 1.6'}}}", 9), ["1", "2"]);
    assert_eq!(run("{Abs: {data: {Values: '-3'}}}", 9), ["3"]);
    assert_eq!(
        run("{Cumsum: {data: {Values: '1 2 3'}}}", 9),
        ["1", "3", "6"]
    );
    assert_eq!(
        run("{Hold: {count: 2, data: {Values: '1 2'}}}", 9),
        ["1", "1", "2", "2"]
    );
    assert_eq!(
        run("{Take: {count: 2, data: {Values: '1 2 3'}}}", 9),
        ["1", "2"]
    );
    assert_eq!(
        run("{Loop: {data: {Values: '1 2'}}}", 5),
        ["1", "2", "1", "2", "1"]
    );
    assert_eq!(
        run(
            "{Join: {data: [{Values: '1'}, {Void: {count: 1}}, {Values: '2'}]}}",
            5
        ),
        ["1", "2"]
    );
    assert_eq!(
        run("{Normal: {mean: 5, stddev: 0, iterationCount: 2}}", 5),
        ["5", "5"]
    );
    assert_eq!(
        run("{RandomWalk: {start: 7, step: 0, iterationCount: 2}}", 5),
        ["7", "7"]
    );
    assert_eq!(
        run(
            "{CustomValues: {values: [1, _, stale, .inf, -Inf, NaN]}}",
            9
        ),
        ["1", "stale", "+Inf", "-Inf", "NaN"]
    );
    let wave = parse(&with_data("gauge", "{Cos: {period: 10m, phase: 0.5}}"));
    let ShapeSpec::Wave { params, period } = &*wave.metrics[0].series[0].shape else {
        panic!("wave")
    };
    assert_eq!(
        (params.kind, params.phase, *period),
        (WaveKind::Cos, 0.5, Period::Millis(600_000))
    );
}

#[test]
fn random_shapes_are_reproducible_and_seedable() {
    let a = parse(&with_data(
        "gauge",
        "{Random: {iterationCount: 5, min: 0, max: 1}}",
    ));
    assert_eq!(values(&a, 5), values(&a, 5));
    let seeded = |seed| {
        values(
            &parse(&with_data(
                "gauge",
                &format!("{{Random: {{iterationCount: 3, min: 0, max: 1, seed: {seed}}}}}"),
            )),
            3,
        )
    };
    assert_eq!(seeded(1), seeded(1));
    assert_ne!(seeded(1), seeded(2));
}

#[test]
fn end_strategies() {
    let run = |extra: &str| {
        let yaml =
            format!("metrics:\n  - name: m\n    timeseries:\n      - values: '1 2'\n{extra}");
        values(&parse(&yaml), 5)
    };
    assert_eq!(run(""), ["1", "2"]);
    assert_eq!(
        run("        endStrategy: loop\n"),
        ["1", "2", "1", "2", "1"]
    );
    assert_eq!(
        run("        endStrategy: sendLastValue\n"),
        ["1", "2", "2", "2", "2"]
    );
    assert_eq!(
        run("        endStrategy: sendCustomValue\n        customValue: 9\n"),
        ["1", "2", "9", "9", "9"]
    );
    assert_eq!(
        run("        endStrategy: sendCustomValue\n        customValue: null\n"),
        ["1", "2"]
    );
    assert_eq!(
        run("        endStrategy: removeTimeSeries\n"),
        ["1", "2", "stale"]
    );
}

#[test]
fn the_issue_example_error() {
    let yaml = "metrics:\n  - name: m\n    timeseries:\n      - values: '1'\n      - labels: {a: b}\n        data:\n          - LinearSegment:\n              iterationCount: 0\n              amplitudeStart: 0\n              amplitudeEnd: 1\n";
    assert_eq!(
        one_error(yaml),
        "t.yaml:8:31: metrics[0].timeseries[1].data[0].LinearSegment.iterationCount: must be > 0"
    );
}

#[test]
fn every_error_is_reported_with_its_place() {
    let yaml = "metrics:\n  - name: 5m\n    timeseries:\n      - data: {Void: {count: -1}}\n      - values: '1x'\n";
    assert_eq!(
        errors(yaml),
        [
            "t.yaml:2:11: metrics[0].name: invalid metric name \"5m\": must match [a-zA-Z_:][a-zA-Z0-9_:]*",
            "t.yaml:4:30: metrics[0].timeseries[0].data.Void.count: expected a whole number >= 0, found \"-1\"",
            "t.yaml:5:20: metrics[0].timeseries[1].values: invalid promtool notation at column 3: expected a repetition count after `x`, found the end",
        ]
    );
}

#[test]
fn structural_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "",
            "t.yaml:1:1: the config is empty: it needs at least `metrics:`",
        ),
        ("metrics: [\n", "t.yaml:2:1: invalid YAML:"),
        ("- 1\n", "t.yaml:1:1: expected a mapping, found a list"),
        (
            "scrapper: {}\nmetrics: []\n",
            "t.yaml:1:1: scrapper: unknown key (did you mean `scraper`?)",
        ),
        (
            "colour: 1\nmetrics: []\n",
            "t.yaml:1:1: colour: unknown key (expected one of: scraper, remoteWriter, metrics)",
        ),
        ("scraper: {}\n", "t.yaml:1:1: missing key `metrics`"),
        (
            "metrics: {}\n",
            "t.yaml:1:10: metrics: expected a list, found a mapping",
        ),
        (
            "metrics:\n  - name: m\n    timeseries: []\n",
            "t.yaml:3:17: metrics[0].timeseries: a metric needs at least one series",
        ),
        (
            "metrics:\n  - timeseries: [{values: '1'}]\n",
            "t.yaml:2:5: metrics[0]: missing key `name`",
        ),
        (
            "metrics:\n  - name: m\n    type: gauges\n    timeseries: [{values: '1'}]\n",
            "t.yaml:3:11: metrics[0].type: unknown metric type \"gauges\"",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - labels: {a: b}\n",
            "t.yaml:4:9: metrics[0].timeseries[0]: missing the series' values",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - {values: '1', data: [{Void: {count: 1}}]}\n",
            "t.yaml:4:9: metrics[0].timeseries[0]: give one of `data`, `values` or `series`, not data and values",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: []\n",
            "t.yaml:4:15: metrics[0].timeseries[0].data: an empty list of segments",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: [1]\n",
            "t.yaml:4:16: metrics[0].timeseries[0].data[0]: expected a segment like `LinearSegment: {...}`, found a scalar",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: [{Void: {count: 1}, Random: {}}]\n",
            "t.yaml:4:16: metrics[0].timeseries[0].data[0]: a segment has exactly one key naming its kind, found 2",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: [{LinearSegmnt: {}}]\n",
            "t.yaml:4:17: metrics[0].timeseries[0].data[0].LinearSegmnt: unknown segment kind (did you mean `LinearSegment`?)",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: {Void: {count: 1, cont: 1}}\n",
            "t.yaml:4:33: metrics[0].timeseries[0].data.Void.cont: unknown key (did you mean `count`?)",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: {Void: {}}\n",
            "t.yaml:4:22: metrics[0].timeseries[0].data.Void: missing key `count`",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: {Random: {iterationCount: 1, min: 2, max: 1}}\n",
            "t.yaml:4:24: metrics[0].timeseries[0].data.Random: min (2) is above max (1)",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: {LinearSegment: {iterationCount: 1, amplitudeStart: x, amplitudeEnd: 1}}\n",
            "t.yaml:4:67: metrics[0].timeseries[0].data.LinearSegment.amplitudeStart: expected a number, found \"x\"",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: {Loop: {count: 0, data: {Void: {count: 1}}}}\n",
            "t.yaml:4:30: metrics[0].timeseries[0].data.Loop.count: must be > 0 (leave `count` out to loop forever)",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: {Add: [1]}\n",
            "t.yaml:4:21: metrics[0].timeseries[0].data.Add: expected two operands (segments or numbers), found 1",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: {Sin: {period: 0}}\n",
            "t.yaml:4:30: metrics[0].timeseries[0].data.Sin.period: must be > 0",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: {Sin: {period: 5x}}\n",
            "t.yaml:4:30: metrics[0].timeseries[0].data.Sin.period: expected a number of scrapes (like 20) or a duration (like 10m), found \"5x\"",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: {Pulse: {period: 2, duty: 2}}\n",
            "t.yaml:4:41: metrics[0].timeseries[0].data.Pulse.duty: must be between 0 and 1",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: {Normal: {mean: 0, stddev: -1}}\n",
            "t.yaml:4:42: metrics[0].timeseries[0].data.Normal.stddev: must be >= 0",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: {Clamp: {min: 2, max: 1, data: {Void: {count: 1}}}}\n",
            "t.yaml:4:23: metrics[0].timeseries[0].data.Clamp: min (2) is above max (1)",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - data: {CustomValues: {values: [1, yes]}}\n",
            "t.yaml:4:43: metrics[0].timeseries[0].data.CustomValues.values[1]: expected a number, null (missing scrape) or stale, found \"yes\"",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - values: 1+1x2 3-\n",
            "t.yaml:4:25: metrics[0].timeseries[0].values: invalid promtool notation at column 9: expected a number, found the end",
        ),
        (
            "metrics:\n  - name: m\n    timeseries:\n      - values: \"3+3x4-4\"\n",
            "t.yaml:4:23: metrics[0].timeseries[0].values: invalid promtool notation at column 6",
        ),
    ];
    for (yaml, expected) in cases {
        let got = one_error(yaml);
        assert!(
            got.starts_with(expected),
            "for {yaml:?}\n  got: {got}\n want: {expected}"
        );
    }
}

#[test]
fn scraper_errors() {
    let base = |scraper: &str| {
        format!("scraper: {scraper}\nmetrics:\n  - name: m\n    timeseries: [{{values: '1'}}]\n")
    };
    let cases = [
        (
            "{scrapeInterval: 15}",
            "t.yaml:1:27: scraper.scrapeInterval: invalid duration \"15\"",
        ),
        (
            "{scrapeInterval: 0s}",
            "t.yaml:1:27: scraper.scrapeInterval: must be longer than 0s",
        ),
        (
            "{startTime: yesterday}",
            "t.yaml:1:22: scraper.startTime: invalid time \"yesterday\"",
        ),
        (
            "{scrapesCount: -1}",
            "t.yaml:1:25: scraper.scrapesCount: expected a whole number >= 0",
        ),
        (
            "{scrapesCount: 5, endTime: now}",
            "t.yaml:1:10: scraper: give `scrapesCount` or `endTime`, not both",
        ),
        (
            "{startTime: now, endTime: -1h}",
            "t.yaml:1:10: scraper: end time",
        ),
    ];
    for (scraper, expected) in cases {
        let got = one_error(&base(scraper));
        assert!(
            got.starts_with(expected),
            "for {scraper}\n  got: {got}\n want: {expected}"
        );
    }
    let both = "scraper: {scrapesCount: 1}\nremoteWriter: {scraper: {scrapesCount: 2}}\nmetrics:\n  - name: m\n    timeseries: [{values: '1'}]\n";
    assert_eq!(
        one_error(both),
        "t.yaml:2:25: remoteWriter.scraper: the scraper is already given at the top level; keep one"
    );
}

#[test]
fn label_rules() {
    let metric = |labels: &str, series: &str| {
        format!("metrics:\n  - name: m\n    labels: {labels}\n    timeseries:\n{series}")
    };
    let ok = parse(&metric(
        "[a, b]",
        "      - {labels: {a: '1', b: x}, values: '1'}\n",
    ));
    assert_eq!(
        ok.metrics[0].series[0].labels.to_string(),
        r#"m{a="1",b="x"}"#
    );
    let cases = [
        (metric("[a, b]", "      - {labels: {a: x}, values: '1'}\n"), "t.yaml:5:9: metrics[0].timeseries[0].labels: missing label \"b\", declared in the metric's `labels`"),
        (metric("[a]", "      - {labels: {a: x, c: y}, values: '1'}\n"), "t.yaml:5:25: metrics[0].timeseries[0].labels.c: label \"c\" is not declared in the metric's `labels` (a)"),
        (metric("[a, a]", "      - {labels: {a: x}, values: '1'}\n"), "t.yaml:3:17: metrics[0].labels[1]: label \"a\" declared twice"),
        (metric("[a-b]", "      - {values: '1'}\n"), "t.yaml:3:14: metrics[0].labels[0]: invalid label name \"a-b\""),
        (metric("[a]", "      - {labels: {a: ''}, values: '1'}\n"), "t.yaml:5:22: metrics[0].timeseries[0].labels.a: empty label value"),
        ("metrics:\n  - name: m\n    timeseries:\n      - {labels: {__name__: x}, values: '1'}\n".to_owned(), "t.yaml:4:19: metrics[0].timeseries[0].labels.__name__: invalid label name \"__name__\""),
        ("metrics:\n  - name: m\n    timeseries:\n      - {labels: [a], values: '1'}\n".to_owned(), "t.yaml:4:18: metrics[0].timeseries[0].labels: expected a mapping of label names to values, found a list"),
    ];
    for (yaml, expected) in cases {
        let got = one_error(&yaml);
        assert!(
            got.starts_with(expected),
            "for {yaml:?}\n  got: {got}\n want: {expected}"
        );
    }
}

#[test]
fn duplicates_are_refused() {
    let series = "metrics:\n  - name: m\n    timeseries:\n      - {labels: {a: x}, values: '1'}\n      - {labels: {a: x}, values: '2'}\n";
    assert_eq!(
        one_error(series),
        "t.yaml:5:9: metrics[0].timeseries[1]: duplicate series m{a=\"x\"}: already defined on line 4"
    );
    let metric = "metrics:\n  - name: m\n    timeseries: [{values: '1'}]\n  - name: m\n    timeseries: [{labels: {a: b}, values: '1'}]\n";
    assert_eq!(
        one_error(metric),
        "t.yaml:4:5: metrics[1].name: metric `m` is already declared on line 2; put all its series under one entry"
    );
    let key = "metrics:\n  - name: m\n    name: n\n    timeseries: [{values: '1'}]\n";
    assert_eq!(
        one_error(key),
        "t.yaml:3:5: metrics[0].name: key given twice"
    );
}

#[test]
fn end_strategy_errors() {
    let series = |extra: &str| {
        format!(
            "metrics:\n  - name: m\n    type: counter\n    timeseries:\n      - values: '1'\n{extra}"
        )
    };
    let cases = [
        (
            "        endStrategy: Loop\n",
            "t.yaml:6:22: metrics[0].timeseries[0].endStrategy: unknown end strategy \"Loop\" (did you mean `loop`?)",
        ),
        (
            "        endStrategy: sendCustomValue\n",
            "t.yaml:6:22: metrics[0].timeseries[0].endStrategy: `sendCustomValue` needs a `customValue`",
        ),
        (
            "        customValue: 1\n",
            "t.yaml:6:22: metrics[0].timeseries[0].customValue: `customValue` goes with `endStrategy: sendCustomValue`",
        ),
        (
            "        endStrategy: sendCustomValue\n        customValue: -1\n",
            "t.yaml:7:22: metrics[0].timeseries[0].customValue: counter values must not be negative or NaN",
        ),
    ];
    for (extra, expected) in cases {
        let got = one_error(&series(extra));
        assert!(
            got.starts_with(expected),
            "for {extra:?}\n  got: {got}\n want: {expected}"
        );
    }
}

#[test]
fn counters_refuse_negative_and_nan_values() {
    let bad = [
        (
            "{Values: '5-1x10'}",
            "t.yaml:5:24: metrics[0].timeseries[0].data.Values: counter values must not be negative or NaN, and this can be negative (as low as -5)",
        ),
        ("{Values: 'NaN'}", "can be NaN"),
        (
            "{CustomValues: {values: [1, -2]}}",
            "t.yaml:5:43: metrics[0].timeseries[0].data.CustomValues.values[1]: counter values must not be negative or NaN",
        ),
        (
            "{LinearSegment: {iterationCount: 2, amplitudeStart: -1, amplitudeEnd: 1}}",
            "data.LinearSegment: counter values must not be negative or NaN, and this can be negative (as low as -1)",
        ),
        (
            "{Random: {iterationCount: 2, min: -1, max: 1}}",
            "data.Random: counter values",
        ),
        (
            "{Normal: {mean: 100, stddev: 1}}",
            "can be negative (it is unbounded)",
        ),
        (
            "{RandomWalk: {start: 100, step: 1}}",
            "can be negative (it is unbounded)",
        ),
        ("{Sin: {period: 10}}", "data.Sin: counter values"),
        ("{Sub: [1, 2]}", "data.Sub: counter values"),
        (
            "{Add: [1, {Values: '-3'}]}",
            "data.Add[1].Values: counter values",
        ),
        (
            "{Cumsum: {data: {Values: '1 -1'}}}",
            "data.Cumsum.data.Values: counter values",
        ),
        (
            "{Clamp: {max: 5, data: {Values: '-1'}}}",
            "data.Clamp.data.Values: counter values",
        ),
    ];
    for (data, expected) in bad {
        let got = one_error(&with_data("counter", data));
        assert!(
            got.contains(expected),
            "for {data}\n  got: {got}\n want: {expected}"
        );
    }
    let fine = [
        "{Cumsum: {data: {Random: {iterationCount: 5, min: 0, max: 3}}}}",
        "{Clamp: {min: 0, data: {Normal: {mean: 0, stddev: 1}}}}",
        "{Abs: {data: {Values: '-3'}}}",
        "{Sin: {period: 10, amplitude: 5, offset: 5}}",
        "{Sub: [5, 2]}",
        "{Values: 'stale 0+1x3 _'}",
    ];
    for data in fine {
        parse(&with_data("counter", data));
        // The same shapes are fine for a gauge, of course.
    }
    parse(&with_data("gauge", "{Values: '5-1x10 NaN'}"));
}

#[test]
fn the_shipped_example_loads() {
    let text = include_str!("../../../examples/demo.yaml");
    let c = parse(text);
    assert_eq!(c.series_count(), 4);
    assert_eq!(
        c.metrics[0].series[0].labels.to_string(),
        r#"http_requests_total{code="200"}"#
    );
}

#[test]
fn files_are_read_and_named_in_errors() {
    let dir = std::env::temp_dir().join(format!("promgen-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.yaml");
    std::fs::write(&path, "metrics: 1\n").unwrap();
    let err = Config::from_file(&path).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}:1:10: metrics: expected a list, found a scalar",
            path.display()
        )
    );
    let missing = Config::from_file(dir.join("nope.yaml")).unwrap_err();
    assert!(matches!(missing, LoadError::Read { .. }), "{missing}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn series_expressions_load_with_located_errors() {
    let ok = parse(
        "metrics:\n  - name: m\n    timeseries:\n      - series: 'linear(0..=10, 5) x 2 >> [1, _, stale]'\n",
    );
    assert_eq!(
        values(&ok, 20),
        [
            "0", "2.5", "5", "7.5", "10", "0", "2.5", "5", "7.5", "10", "1", "stale"
        ]
    );
    let bad = one_error(
        "metrics:\n  - name: m\n    timeseries:\n      - series: 'linear(0..3) >> lienar(0..1)'\n",
    );
    assert_eq!(
        bad,
        "t.yaml:4:34: metrics[0].timeseries[0].series: invalid series expression at 1:17: unknown function 'lienar', did you mean 'linear'?"
    );
    let counter = one_error(
        "metrics:\n  - name: m\n    type: counter\n    timeseries:\n      - series: 'linear(-5..0)'\n",
    );
    assert!(
        counter.contains("series: counter values must not be negative or NaN"),
        "{counter}"
    );
    let two =
        one_error("metrics:\n  - name: m\n    timeseries:\n      - {series: '1', values: '1'}\n");
    assert!(
        two.ends_with("give one of `data`, `values` or `series`, not values and series"),
        "{two}"
    );
}

#[test]
fn histograms_and_summaries_take_observations() {
    let c = parse(
        "metrics:\n  - name: latency_seconds\n    type: histogram\n    buckets: [0.1, 0.25, 0.5, 1]\n    timeseries:\n      - labels: {path: /}\n        observations: 'normal(0.2, 0.05)'\n        perScrape: 100\n  - name: size_bytes\n    type: summary\n    objectives: [0.5, 0.99]\n    timeseries:\n      - observations: [{Values: '1 2 3'}]\n",
    );
    assert_eq!(
        c.metrics[0].buckets.as_ref().map(|b| b.as_slice()),
        Some(&[0.1, 0.25, 0.5, 1.0][..])
    );
    assert_eq!(c.metrics[0].series[0].per_scrape, 100);
    assert_eq!(
        c.metrics[1].objectives.as_ref().map(|o| o.as_slice()),
        Some(&[0.5, 0.99][..])
    );
    assert_eq!(c.metrics[1].series[0].per_scrape, 1);
    let mut registry = c.build_registry().unwrap();
    let mut out = Vec::new();
    registry.scrape_into(&mut out, crate::exposition::Format::Text, 0);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("latency_seconds_bucket{path=\"/\",le=\"+Inf\"} 100\n"),
        "{text}"
    );
    assert!(
        text.contains("latency_seconds_count{path=\"/\"} 100\n"),
        "{text}"
    );
    assert!(text.contains("size_bytes{quantile=\"0.5\"} 1\n"), "{text}");

    let cases = [
        (
            "    type: histogram\n    timeseries:\n      - values: '1'\n",
            "a histogram's series take `observations` and `perScrape`, not `values`",
        ),
        (
            "    type: summary\n    timeseries:\n      - labels: {a: b}\n",
            "a summary's series needs `observations`",
        ),
        (
            "    type: gauge\n    timeseries:\n      - {values: '1', perScrape: 2}\n",
            "`perScrape` is for histograms and summaries; this metric is a gauge",
        ),
        (
            "    type: gauge\n    buckets: [1]\n    timeseries:\n      - values: '1'\n",
            "`buckets` is for a histogram; this metric is a gauge",
        ),
        (
            "    type: histogram\n    buckets: [1, .inf]\n    timeseries:\n      - observations: '1'\n",
            "a bucket must be a finite number (+Inf is always added)",
        ),
        (
            "    type: summary\n    objectives: [1.5]\n    timeseries:\n      - observations: '1'\n",
            "an objective must be between 0 and 1",
        ),
        (
            "    type: histogram\n    timeseries:\n      - {observations: '1', perScrape: 0}\n",
            "perScrape: must be > 0",
        ),
        (
            "    type: summary\n    timeseries:\n      - {observations: '1', perScrape: 1000000000}\n",
            "perScrape: must be at most 100000",
        ),
        (
            "    type: histogram\n    timeseries:\n      - observations: 'nope(1)'\n",
            "unknown function 'nope'",
        ),
    ];
    for (body, expected) in cases {
        let got = one_error(&format!("metrics:\n  - name: m\n{body}"));
        assert!(
            got.contains(expected),
            "for {body:?}\n  got: {got}\n want: {expected}"
        );
    }
}

#[test]
fn the_remote_writer_block_holds_the_sender_settings() {
    use crate::remote_write::Protocol;
    let c = parse(
        "remoteWriter:
  url: https://mimir.example.com/api/v1/push
  protocol: v2
  headers: {X-Scope-OrgID: team-a}
  basicAuth: {username: u, password: p}
  tls: {caFile: ca.pem, insecureSkipVerify: true}
  timeout: 10s
  maxSamplesPerSend: 500
  concurrency: 8
  retryFor: 1m
metrics: [{name: up, timeseries: [{values: '1'}]}]
",
    );
    let o = c.remote_writer.unwrap().options(None).unwrap().unwrap();
    assert_eq!(o.url, "https://mimir.example.com/api/v1/push");
    assert_eq!(o.protocol, Protocol::V2);
    assert_eq!(
        o.headers,
        [("X-Scope-OrgID".to_owned(), "team-a".to_owned())]
    );
    assert_eq!(o.basic_auth, Some(("u".into(), "p".into())));
    assert_eq!(o.ca_file, Some("ca.pem".into()));
    assert!(o.insecure_skip_verify);
    assert_eq!(o.timeout, std::time::Duration::from_secs(10));
    assert_eq!((o.max_samples_per_send, o.concurrency), (500, 8));
    assert_eq!(o.retry_for, std::time::Duration::from_secs(60));
}

#[test]
fn remote_writer_mistakes_are_located() {
    let errs = errors(
        "remoteWriter:
  url: localhost:9090
  protocol: v3
  headers: {Content-Type: text/plain, 'bad header': x}
  basicAuth: {username: u}
  concurrency: 0
  bearerToken: a
  bearerTokenFile: b
metrics: [{name: up, timeseries: [{values: '1'}]}]
",
    );
    assert_eq!(
        errs,
        [
            "t.yaml:2:3: remoteWriter: give `bearerToken` or `bearerTokenFile`, not both",
            "t.yaml:2:8: remoteWriter.url: expected an http:// or https:// URL with a host, found \"localhost:9090\"",
            "t.yaml:3:13: remoteWriter.protocol: unknown remote write protocol \"v3\" (expected v1 or v2)",
            "t.yaml:4:13: remoteWriter.headers.Content-Type: set by the remote write protocol; it cannot be overridden",
            "t.yaml:4:39: remoteWriter.headers.bad header: \"bad header\" is not a valid HTTP header name",
            "t.yaml:5:14: remoteWriter.basicAuth: give `password` or `passwordFile` (one of them)",
            "t.yaml:6:16: remoteWriter.concurrency: must be > 0",
        ]
    );
}

mod churn;
/// What `check` must question rather than accept (issue #11).
mod hostile;
mod names;
mod questioned;
mod templates;

/// The depth and size limits, and numbers past a float (issue #12).
mod limits;
