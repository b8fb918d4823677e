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

/// A rule label whose template runs `query` cannot be expanded while the replay evaluates:
/// an error naming the alert and the template, never a label quietly left unexpanded.
#[tokio::test]
async fn a_label_template_that_queries_is_refused_by_name() {
    let prometheus = Prometheus::builder()
        .rules_yaml(
            "groups: [{name: g, rules: [{alert: Busy, expr: 'x > 1', labels: {team: '{{ query \"up\" | len }}'}}]}]",
        )
        .start()
        .await
        .unwrap();
    let feed = promgen_test::Feed::new()
        .interval("1m")
        .unwrap()
        .notation("x", "5x10")
        .unwrap();
    let err = prometheus.replay(&feed, "10m").await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("alert Busy") && text.contains("runs a query"),
        "{text}"
    );
}
