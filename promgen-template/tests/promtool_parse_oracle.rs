//! The parse-error oracle: `promtool check rules` parses every annotation as Prometheus's
//! rule manager would (`__alert_NAME`, with the variable definitions prepended) and prints
//! Go's error. We must accept what it accepts and reject the rest with its words.

mod common;
use common::{promtool_present, yaml_quote};

use std::process::Command;

use promgen_template::{ALERT_TEMPLATE_DEFS, Template};

const CASES: &[&str] = &[
    "{{ nope }}",
    "{{ $x }}",
    "{{ if 1 }}x",
    "{{ end }}",
    "{{ else }}",
    "{{ if }}{{ end }}",
    "{{ with }}{{ end }}",
    "{{ break }}",
    "{{ range $labels }}{{ break }}{{ end }}",
    "{{ 1 | 2 }}",
    "{{ . | 1 }}",
    "{{ \"a }}",
    "{{ `a }}",
    "{{ 'a }}",
    "{{ 'ab' }}",
    "{{/* x */ }}",
    "{{/* x }}",
    "{{ (1 }}",
    "{{ 1) }}",
    "{{ 3x }}",
    "{{ 1e }}",
    "{{ 0x }}",
    "{{ 1_ }}",
    "{{ 99999999999999999999 }}",
    "{{ 1i }}",
    "{{ range $a, $b, $c := $labels }}{{ end }}",
    "{{ with $a, $b := 1 }}{{ end }}",
    "{{ define \"a\" }}x{{ end }}{{ define \"a\" }}y{{ end }}",
    "{{ template x }}",
    "{{ template \"x\" }}",
    "{{ $x := }}",
    "{{ $labels | }}",
    "{{ $x = 1 }}",
    "{{ .a.b. }}",
    "{{ \"a\".b }}",
    "{{ $labels.a\u{e9} }}",
    "{{ a=1 }}",
    "{{ $labels:=1 }}",
    "{{ | }}",
    "{{ , }}",
    "{{ \u{a0} }}",
    "{{ if 1 }}{{ else }}{{ else }}{{ end }}",
    "{{ range 1 }}{{ else if 1 }}{{ end }}",
    "{{ if 1 }}{{ else if }}{{ end }}",
    "{{ define \"a\" }}{{ else }}{{ end }}",
    "{{ block \"b\" }}{{ end }}",
    "{{ \"\\q\" }}",
    "{{ \"\\x4\" }}",
    "ok\n{{ nope }}",
    "{{ printf \"%d\"\n  nope }}",
    "{{- /* fine */ -}}",
    "{{ tmpl \"a\" . }}",
    "{{ printf\n \"x\" ",
    "{{ 1\n 3x }}",
    "{{ 1\n \"x }}",
    "a\n{{ 1\n )\n }}",
    "{{ 1\n\n \u{a0} }}",
    "{{ 1e1i }} {{ 0x1p3 }}",
];

#[test]
fn promtool_check_rules_agrees_on_parse_errors() {
    if !promtool_present() {
        return;
    }
    let dir = std::env::temp_dir().join(format!(
        "promgen-template-parse-oracle-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let mut failures = Vec::new();
    for (i, text) in CASES.iter().enumerate() {
        let name = format!("P{i:02}");
        let yaml = format!(
            "groups:\n  - name: g\n    rules:\n      - alert: {name}\n        expr: vector(1)\n        annotations:\n          a: {}\n",
            yaml_quote(text)
        );
        let file = dir.join(format!("{name}.yml"));
        std::fs::write(&file, yaml).expect("write rules");
        let out = Command::new("promtool")
            .args(["check", "rules"])
            .arg(&file)
            .output()
            .expect("run promtool");
        let text_out = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let ours = Template::parse_named(
            &format!("__alert_{name}"),
            &format!("{ALERT_TEMPLATE_DEFS}{text}"),
        );
        match (out.status.success(), ours) {
            (true, Ok(_)) => {}
            (false, Err(e)) if text_out.contains(&format!("annotation \"a\": {e}")) => {}
            (ok, ours) => failures.push(format!(
                "{text:?}: promtool {}; we {ours:?}\n{text_out}",
                if ok { "accepts" } else { "rejects" }
            )),
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
