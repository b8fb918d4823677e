//! A rule file Prometheus refuses is reported against the file the test named, with the
//! line and column, in Prometheus's words and nothing else of its log.

use promgen_test::{HarnessError, Prometheus};

#[tokio::test]
async fn a_refused_rule_file_names_the_users_file_line_and_column() {
    let err = Prometheus::builder()
        .rules_yaml("groups: [{name: fine, rules: [{alert: Up, expr: up == 0}]}]")
        .rule_file("tests/rules/refused.yml")
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, HarnessError::RefusedRules(_)), "{text}");
    assert_eq!(
        text,
        "Prometheus refused the rules: tests/rules/refused.yml: 5:15: group \"api\", rule 1, \"HighErrorRate\": could not parse expression: 1:27: parse error: unclosed left parenthesis"
    );
}

#[tokio::test]
async fn an_inline_rule_file_is_named_by_its_place() {
    let err = Prometheus::builder()
        .rules_yaml("groups: [{name: a, rules: [{alert: Up, expr: up == 0}]}]")
        .rules_yaml("groups:\n  - name: b\n    rules:\n      - alert: Up\n        fo: 5m\n")
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("Prometheus refused the rules: rules_yaml #2: ")
            && text.contains("field fo not found"),
        "{text}"
    );
    assert!(
        !text.contains("level=") && !text.contains("promgen-test-"),
        "{text}"
    );
}
