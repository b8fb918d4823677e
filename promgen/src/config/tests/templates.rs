//! Cardinality from templates: names and label values that stand for many (ranges inside
//! the text, lists), expanded to exactly their product, each series seeded from its own
//! labels, within a limit.

use super::{NOW, errors, parse};
use crate::{
    Scraper, Stop,
    config::{Config, DEFAULT_MAX_SERIES},
};

fn all_series(config: &Config) -> Vec<String> {
    config
        .metrics
        .iter()
        .flat_map(|m| m.series.iter().map(|s| s.labels.to_string()))
        .collect()
}

#[test]
fn a_templated_config_expands_to_exactly_the_product() {
    let yaml = "metrics:\n  - name: load_{0..1}\n    type: counter\n    timeseries:\n      - labels: {instance: 'host-{08..10}', zone: [a, 'b{1..2}']}\n        series: uniform(0..10).cumsum()\n      - labels: {instance: solo}\n        values: 0+1x10\n  - name: plain\n    timeseries:\n      - values: '1'\n";
    let config = parse(yaml);
    let mut expected = Vec::new();
    for name in ["load_0", "load_1"] {
        for instance in ["host-08", "host-09", "host-10"] {
            for zone in ["a", "b1", "b2"] {
                expected.push(format!("{name}{{instance=\"{instance}\",zone=\"{zone}\"}}"));
            }
        }
        expected.push(format!("{name}{{instance=\"solo\"}}"));
    }
    expected.push("plain".to_owned());
    assert_eq!(all_series(&config), expected);
    assert_eq!(config.series_count(), 2 * (9 + 1) + 1);
    assert_eq!(config.metrics.len(), 3);
}

#[test]
fn every_expanded_series_draws_its_own_numbers() {
    let yaml = "metrics:\n  - name: m\n    timeseries:\n      - labels: {instance: 'host-{1..50}'}\n        series: uniform(0..1000000)\n";
    let mut registry = parse(yaml).build_registry().unwrap();
    let scraper = Scraper::new(0, 1000, Stop::Count(1)).unwrap();
    let mut first = Vec::new();
    for tick in scraper.ticks() {
        registry.collect(tick.timestamp_ms, |_, v| first.push(v.to_bits()));
    }
    first.sort_unstable();
    first.dedup();
    assert_eq!(first.len(), 50, "seeded from each series' labels");
}

#[test]
fn a_registry_past_the_compact_threshold_draws_the_numbers_a_small_one_does() {
    use crate::config::{COMPACT_STREAMS_FROM, Streams};
    use crate::registry::Registry;
    // From COMPACT_STREAMS_FROM series on, `into_registry` holds random streams as seed and
    // position; the numbers must be those of the buffered streams a series by itself gets.
    let n = COMPACT_STREAMS_FROM;
    let yaml = format!(
        "metrics:\n  - name: m\n    timeseries:\n      - labels: {{instance: 'host-{{1..{n}}}'}}\n        series: (uniform(0..100) + normal(0, 1)).cumsum() + walk(start = 1, step = 2)\n"
    );
    let config = Config::parse_limited(&yaml, "t.yaml", n as u64).unwrap();
    let mut buffered = Registry::default();
    for m in &config.metrics {
        for s in &m.series {
            buffered.add(m.series_def(s)).unwrap();
        }
    }
    // A writer's registry holds them as seed, position and block.
    let mut blocked = config
        .clone()
        .into_registry_with(Streams::for_writing(n))
        .unwrap();
    let mut compact = config.into_registry().unwrap();
    // 40 ticks: more than one 64-word ChaCha8 buffer per series.
    for tick in 0..40 {
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        buffered.collect(tick * 1000, |i, v| a.push((i, v.to_bits())));
        compact.collect(tick * 1000, |i, v| b.push((i, v.to_bits())));
        blocked.collect(tick * 1000, |i, v| c.push((i, v.to_bits())));
        assert_eq!(a.len(), n);
        assert!(a == b, "compact, tick {tick}");
        assert!(a == c, "blocked, tick {tick}");
    }
}

#[test]
fn each_expanded_series_lists_the_definition_of_itself() {
    let yaml = "metrics:\n  - name: m_{1..2}\n    help: Load.\n    timeseries:\n      - labels: {zone: [a, b]}\n        series: uniform(0..1)\n";
    let config = parse(yaml);
    for metric in &config.metrics {
        for s in &metric.series {
            let definition = s.definition.render(&s.labels);
            let again = Config::parse_api_series(&definition)
                .unwrap_or_else(|e| panic!("{e}: {definition}"));
            assert_eq!(again.series.len(), 1, "{definition}");
            assert_eq!(again.series[0].labels, s.labels, "{definition}");
            assert_eq!(again.help.as_deref(), Some("Load."));
        }
    }
}

#[test]
fn expansions_past_the_limit_are_refused_where_they_stand() {
    let yaml = "metrics:\n  - name: m\n    timeseries:\n      - labels: {a: '{1..1000}', b: '{1..101}'}\n        values: '1'\n";
    assert_eq!(
        errors(yaml),
        [format!(
            "t.yaml:4:9: metrics[0].timeseries[0]: the config expands to more than {DEFAULT_MAX_SERIES} series here (this entry: 101000): raise the limit (`--max-series`) if that is meant"
        )]
    );
    // Raised, it loads; names count too.
    let config = Config::parse_limited(yaml, "t.yaml", 101_000).unwrap();
    assert_eq!(config.series_count(), 101_000);
    let names = "metrics:\n  - name: 'm_{1..3}'\n    timeseries:\n      - labels: {a: '{1..2}'}\n        values: '1'\n";
    let e = Config::parse_limited(names, "t.yaml", 5)
        .unwrap_err()
        .to_string();
    assert!(e.contains("more than 5 series here (this entry: 6)"), "{e}");
    // A range far past any limit is refused before anything is expanded.
    let huge = "metrics:\n  - name: 'm_{1..99999999999}'\n    timeseries:\n      - values: '1'\n";
    let e = Config::parse_at(huge, "t.yaml", NOW)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("t.yaml:2:11: metrics[0].name: the config expands to more than"),
        "{e}"
    );
}

#[test]
fn mistakes_in_templates_are_named_where_they_stand() {
    let yaml = "metrics:\n  - name: '{0..1}_m'\n    timeseries:\n      - values: '1'\n  - name: dup_{1..2}\n    timeseries:\n      - labels: {i: '{1..2}'}\n        values: '1'\n      - labels: {i: '2'}\n        values: '1'\n  - name: bad\n    timeseries:\n      - labels: {i: '{9..1}', j: [], k: [a, '']}\n        values: '1'\n";
    assert_eq!(
        errors(yaml),
        [
            "t.yaml:2:11: metrics[0].name: invalid metric name \"0_m\" (from \"{0..1}_m\"): must match [a-zA-Z_:][a-zA-Z0-9_:]*",
            "t.yaml:9:9: metrics[1].timeseries[1]: duplicate series dup_1{i=\"2\"}: already defined on line 7",
            "t.yaml:9:9: metrics[1].timeseries[1]: duplicate series dup_2{i=\"2\"}: already defined on line 7",
            "t.yaml:13:21: metrics[2].timeseries[0].labels.i: {9..1}: the range starts after it ends (write {1..9})",
            "t.yaml:13:34: metrics[2].timeseries[0].labels.j: an empty list of values",
            "t.yaml:13:45: metrics[2].timeseries[0].labels.k[1]: empty label value (leave the label out instead)",
        ]
    );
}

#[test]
fn the_control_api_takes_one_series_as_written() {
    // Braces are a value like any other there, and a list is not a label value.
    let m =
        Config::parse_api_series(r#"{"name": "up", "labels": {"job": "a-{1..3}"}, "values": "1"}"#)
            .unwrap();
    assert_eq!(m.series.len(), 1);
    assert_eq!(m.series[0].labels.to_string(), r#"up{job="a-{1..3}"}"#);
    assert!(
        Config::parse_api_series(r#"{"name": "up", "labels": {"job": ["a", "b"]}, "values": "1"}"#)
            .is_err()
    );
}

#[test]
fn counts_past_any_number_are_refused_never_wrapped() {
    // 2^128 combinations: a product that wrapped would have read as 0 series.
    let range = "{0..4294967295}";
    let labels = format!(
        "metrics:\n  - name: m\n    timeseries:\n      - labels: {{a: '{range}', b: '{range}', c: '{range}', d: '{range}'}}\n        values: '1'\n"
    );
    let e = Config::parse_at(&labels, "t.yaml", NOW)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("t.yaml:4:9: metrics[0].timeseries[0]: the config expands to more than"),
        "{e}"
    );
    let names = format!(
        "metrics:\n  - name: 'm{}'\n    timeseries:\n      - values: '1'\n",
        range.repeat(4)
    );
    let e = Config::parse_at(&names, "t.yaml", NOW)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("metrics[0].name: the config expands to more than"),
        "{e}"
    );
}

#[test]
fn names_past_the_limit_are_not_built() {
    // Sixty entries of 100 000 names each: the second goes past the limit, and nothing after
    // it is expanded (before the fix, 2 GB and 16 s in a release build).
    let mut yaml = String::from("metrics:\n");
    for k in 0..60 {
        yaml.push_str(&format!(
            "  - name: 'a{k}_{{00000..99999}}'\n    timeseries:\n      - values: '1'\n"
        ));
    }
    let started = std::time::Instant::now();
    let errors = errors(&yaml);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(
            "t.yaml:5:11: metrics[1].name: the config expands to more than 100000 series"
        ),
        "{errors:#?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}
