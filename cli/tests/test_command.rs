//! `promgen-cli test`'s flags and errors (the verdicts themselves are checked against
//! promtool in `promtool_corpus.rs`): a test file with a mistake names its place, `--run`
//! picks test groups by name, `--diff` shows a failing alert test as a diff.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../promgen-test/tests/promtool")
}

fn test_command(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .arg("test")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        status.code(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn a_mistake_in_a_test_file_names_the_file_line_column_and_key() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-command-mistakes");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("typo_test.yml"),
        "tests:\n  - interval: 1m\n    input_series: []\n    alert_rule_test:\n      - eval_time: 5m\n        alertname: A\n        exp_alert: []\n",
    )
    .unwrap();
    let (code, out, err) = test_command(&dir, &["typo_test.yml"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains(
            "typo_test.yml:7:9: tests[0].alert_rule_test[0].exp_alert: unknown key (an alert test has: eval_time, alertname, exp_alerts, match)"
        ),
        "{err}"
    );
    assert_eq!(out.matches("Unit Testing:").count(), 1, "{out}");
    // As promtool: a path that is not a file is refused before anything runs.
    let (code, out, err) = test_command(&dir, &["typo_test.yml", "missing_test.yml"]);
    assert_eq!(code, Some(1));
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("path \"missing_test.yml\" does not exist"),
        "{err}"
    );
    let (code, _, err) = test_command(&dir, &["."]);
    assert_eq!(code, Some(1));
    assert!(err.contains("is a directory"), "{err}");
}

#[test]
fn a_binary_that_does_not_work_is_named() {
    let (code, _, err) = test_command(
        &corpus(),
        &[
            "--prometheus-bin",
            "/nonexistent/prometheus",
            "notation_test.yml",
        ],
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("/nonexistent/prometheus"), "{err}");
    assert!(!err.contains("docker run"), "no fallback to Docker: {err}");
}

#[test]
fn run_picks_test_groups_by_name() {
    // mixed_named_unnamed_test.yml: named groups that pass and fail, and unnamed ones.
    let file = "mixed_named_unnamed_test.yml";
    let (code, _, err) = test_command(&corpus(), &[file]);
    assert_eq!(code, Some(1));
    let failing: Vec<&str> = err
        .lines()
        .filter_map(|l| l.trim().strip_prefix("name: "))
        .collect();
    assert!(!failing.is_empty(), "{err}");
    // Only a group that passes: the file passes.
    let text = std::fs::read_to_string(corpus().join(file)).unwrap();
    let passing = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- name: "))
        .map(|n| n.trim_matches(|c| c == '"' || c == '\''))
        .find(|n| !failing.iter().any(|f| f.trim_end_matches(',') == *n))
        .expect("a named group that passes");
    let (code, out, err) = test_command(&corpus(), &["--run", &format!("^{passing}$"), file]);
    assert_eq!(code, Some(0), "--run {passing:?}: {out}{err}");
    assert!(out.contains("  SUCCESS"), "{out}");
    // A pattern that matches nothing runs nothing, and a bad one is an error.
    let (code, _, err) = test_command(&corpus(), &["--run", "(", file]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--run \"(\""), "{err}");
    // A typo in --run must not turn a failing file green.
    let (code, out, err) = test_command(&corpus(), &["--run", "^no such group$", file]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("matches no test group"), "{err}");
}

#[test]
fn diff_shows_the_expected_and_the_firing_alerts_line_by_line() {
    let (code, _, err) = test_command(&corpus(), &["--diff", "alert_wrong_label_test.yml"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("diff (- expected, + got):"), "{err}");
    let removed = err
        .lines()
        .filter(|l| l.trim_start().starts_with("- "))
        .count();
    let added = err
        .lines()
        .filter(|l| l.trim_start().starts_with("+ "))
        .count();
    assert!(removed > 0 && added > 0, "{err}");
}
