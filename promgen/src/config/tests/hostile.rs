//! Hostile documents: refused before they cost memory, with messages that say what was
//! wrong (issue #12 items 8 and 9).

use super::{NOW, errors};
use crate::config::{Config, LoadError, MAX_CONFIG_BYTES};

#[test]
fn errors_past_the_cap_are_counted_not_kept() {
    // Each alias repeats ten bad segments: 10 000 errors once expanded, and the unknown key.
    let yaml = "x: [&a {Join: [x, x, x, x, x, x, x, x, x, x]}, &b {Join: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]}, &c {Join: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]}]\nmetrics:\n  - name: m\n    timeseries:\n      - data: {Join: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]}\n";
    let e = errors(yaml);
    assert_eq!(e.len(), 101, "{:#?}", &e[..3]);
    assert!(e[0].starts_with("t.yaml:1:1: x: unknown key"), "{}", e[0]);
    // Where the first one left out stands: in the anchor its alias repeats.
    assert_eq!(
        e[100],
        "t.yaml:1:43: … and 9901 more errors (only the first 100 are listed)"
    );
    assert!(e[1].ends_with("expected a segment like `LinearSegment: {...}`, found a scalar"));
}

#[test]
fn a_document_past_the_size_limit_says_so() {
    let text = format!("metrics: []\n#{}\n", "x".repeat(MAX_CONFIG_BYTES));
    assert_eq!(
        errors(&text),
        ["t.yaml:1:1: the config is larger than 16 MiB"]
    );
}

#[test]
fn file_errors_name_their_cause_once_and_non_utf8_has_a_place() {
    let dir = std::env::temp_dir().join(format!("promgen-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = Config::from_file(dir.join("nope.yaml")).unwrap_err();
    let chain = format!(
        "{missing}: {}",
        std::error::Error::source(&missing).expect("the cause")
    );
    assert_eq!(
        chain.matches("No such file or directory").count(),
        1,
        "{chain}"
    );
    let path = dir.join("latin1.yaml");
    std::fs::write(&path, b"metrics:\n  - name: caf\xe9\n").unwrap();
    let Err(LoadError::Invalid(e)) = Config::from_file(&path) else {
        panic!("not refused as invalid")
    };
    assert_eq!(
        e.to_string(),
        format!("{}:2:14: not valid UTF-8 (byte 0xe9)", path.display())
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn control_api_bodies_are_called_what_they_are() {
    let yaml = Config::parse_api_series("name: x\nseries: [1\n").unwrap_err();
    assert!(yaml.to_string().contains(": invalid YAML: "), "{yaml}");
    let json = Config::parse_api_series(r#"{"name": "x", "series": "1""#).unwrap_err();
    assert!(json.to_string().contains(": invalid JSON: "), "{json}");
    let flow = Config::parse_api_series("{name: x, series: [1}").unwrap_err();
    assert!(flow.to_string().contains(": invalid YAML: "), "{flow}");
    // A limit of ours is no mistake in the YAML.
    let bomb =
        Config::parse_api_series("{a: &a [x, x], b: [*a, *a], c: [[[[[*a]]]]]}").unwrap_err();
    assert!(!bomb.to_string().contains("invalid"), "{bomb}");
}

#[test]
fn the_alias_budget_does_not_speak_for_a_large_plain_config() {
    // 300 000 nodes and no alias: not a "billion laughs".
    let items = vec!["'1'"; 300_000].join(", ");
    let yaml = format!(
        "metrics:\n  - name: m\n    timeseries:\n      - data: {{CustomValues: {{values: [{items}]}}}}\n"
    );
    let config = Config::parse_at(&yaml, "t.yaml", NOW).unwrap();
    assert_eq!(config.series_count(), 1);
}
