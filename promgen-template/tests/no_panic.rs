//! Property: no input makes parsing or execution panic; every failure is an error.

use promgen_template::{AlertData, Queries, Sample, Template, expand_alert_template};
use proptest::prelude::*;

/// Fragments that make random text look like templates often enough to reach deep paths.
const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "{{/*",
    "*/}}",
    " ",
    "\n",
    "if ",
    "else ",
    "end",
    "range ",
    "with ",
    "define ",
    "template ",
    "block ",
    "break",
    "continue",
    "$x",
    "$",
    " := ",
    " = ",
    ", ",
    ".",
    ".Labels",
    ".Value",
    ".a",
    "$labels",
    "$value",
    "(",
    ")",
    " | ",
    "\"s\"",
    "\"%d %5.2f %q %v %x %-3s %!\"",
    "`raw`",
    "'a'",
    "'\\n'",
    "1",
    "-1",
    "1.5",
    "1e300",
    "0x1F",
    "nil",
    "true",
    "printf ",
    "print ",
    "len ",
    "index ",
    "slice ",
    "eq ",
    "lt ",
    "gt ",
    "and ",
    "or ",
    "not ",
    "html ",
    "js ",
    "urlquery ",
    "call ",
    "query ",
    "first ",
    "label ",
    "value ",
    "args ",
    "humanize ",
    "humanizeDuration ",
    "humanizeTimestamp ",
    "toTime ",
    "reReplaceAll ",
    "match ",
    "\"(\" ",
    "\"a+\" ",
    "sortByLabel ",
    "stripDomain ",
    "parseDuration ",
    "title ",
    "\"1h\" ",
    ".Format ",
    "é",
    "\u{a0}",
    "\\",
    "\"",
];

struct Some3;

impl Queries for Some3 {
    fn query(&mut self, expr: &str) -> Result<Vec<Sample>, String> {
        if expr.len() % 2 == 0 {
            return Err("refused".into());
        }
        Ok((0..3)
            .map(|i| Sample {
                labels: [("a".to_string(), i.to_string())].into_iter().collect(),
                value: f64::from(i) / 3.0,
            })
            .collect())
    }
}

fn data() -> AlertData {
    AlertData {
        labels: [("a".to_string(), "1".to_string())].into_iter().collect(),
        value: 2.5,
        ..AlertData::default()
    }
}

fn templateish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn templateish_text_never_panics(text in templateish()) {
        if let Ok(t) = Template::parse(&text) {
            let _ = t.execute(&data(), &mut Some3);
        }
        let _ = expand_alert_template("A", &text, &data(), &mut Some3);
    }

    #[test]
    fn any_text_never_panics(text in any::<String>()) {
        if let Ok(t) = Template::parse(&text) {
            let _ = t.execute(&data(), &mut Some3);
        }
    }

    #[test]
    fn actions_of_any_text_never_panic(inner in any::<String>()) {
        let _ = expand_alert_template("A", &format!("{{{{ {inner} }}}}"), &data(), &mut Some3);
    }
}
