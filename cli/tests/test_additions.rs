//! promgen's additions to promtool test files, through `promgen-cli test` against the real
//! Prometheus: `alert_timeline_test`, `match:` and `=~regex` in `exp_alerts`, `shape:` and
//! `data:` input, coverage, tests that test nothing, `--timeline` and `--export`. Every
//! exported file is checked by the real `promtool test rules`, and a negative control shows
//! promtool failing once one expected state in it is changed.

mod support;

use std::{
    path::{Path, PathBuf},
    process::Command,
};
use support::prometheus::require;

fn additions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/additions")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/alert-tests")
}

/// `promgen-cli test ARGS` in `dir`: exit code, stdout, stderr.
fn test_command(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .arg("test")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn promtool(file: &Path) -> (Option<i32>, String) {
    let out = Command::new("promtool")
        .args(["test", "rules"])
        .arg(file)
        .output()
        .unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_slo_example_passes_with_every_rule_covered() {
    require("prometheus");
    let (code, out, err) = test_command(
        &examples(),
        &["--coverage", "--min-coverage", "100", "slo_test.yml"],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("Unit Testing:  slo_test.yml\n  SUCCESS\n"),
        "{out}"
    );
    assert!(out.contains("6 of 6 rules covered (100.0%)"), "{out}");
    for line in [
        "alert   ErrorBudgetFastBurn                       firing asserted, asserted not to fire",
        "alert   ErrorBudgetSlowBurn                       firing asserted, pending asserted, asserted not to fire",
        "record  job:slo_errors_per_request:ratio_rate6h   read by an asserted expression",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
}

#[test]
fn every_timeline_assertion_holds_and_each_kind_can_fail() {
    require("prometheus");
    let (code, out, err) = test_command(&additions(), &["timeline_test.yml"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("  SUCCESS"), "{out}");

    let (code, _, err) = test_command(&additions(), &["timeline_wrong_test.yml"]);
    assert_eq!(code, Some(1), "{err}");
    let table = "        QueueBacklog{queue=\"mail\",severity=\"page\"}  10m      15m     -\n";
    for expected in [
        "timeline_wrong_test.yml:12:9: tests[0].alert_timeline_test[0].pending_at (in TestGroup backlog): expected QueueBacklog to be pending at 16m, but it is firing\n",
        ".firing_at (in TestGroup backlog): expected QueueBacklog to be firing at 14m, but it is pending\n",
        ".inactive_at (in TestGroup backlog): expected QueueBacklog to be inactive at 30m, but it is firing\n",
        ".never_fires_before (in TestGroup backlog): expected QueueBacklog never to fire before 20m, but it fires at 15m\n",
        ".starts_firing_between (in TestGroup backlog): expected QueueBacklog to start firing between 10m and 14m, but it starts at 15m\n",
        ".resolves_between (in TestGroup backlog): expected QueueBacklog to resolve between 30m and 35m, but no firing episode of it resolves\n",
        ".states.12m (in TestGroup backlog): expected QueueBacklog to be firing at 12m, but it is pending\n",
        "tests[0].alert_timeline_test[1].never_fires (in TestGroup backlog): expected QueueBacklog never to fire, but it fires at 15m\n",
        // A selector that matches nothing could never fail: refused, with what there is.
        "tests[0].alert_timeline_test[2] (in TestGroup backlog): QueueBacklog{queue=~\"sms|push\"} matches no alert, so an assertion about it could not fail; (QueueBacklog's alerts in the replay: QueueBacklog{queue=\"mail\",severity=\"page\"})\n",
        "tests[0].alert_timeline_test[3] (in TestGroup backlog): QueueBaklog: no alerting rule is named QueueBaklog: did you mean QueueBacklog? (the alerting rules are QueueBacklog)\n",
    ] {
        assert!(
            err.contains(&format!("{expected}        timeline over 35m")),
            "{expected}\n{err}"
        );
    }
    // Each failure shows that alert's timeline.
    assert_eq!(err.matches(table).count(), 9, "{err}");
}

#[test]
fn subset_and_regex_matching_pass_and_fail_as_they_say() {
    require("prometheus");
    // timeline_test.yml's two `match:` tests pass (run above with the rest of the file);
    // here the same alert, wrongly expected.
    let (code, _, err) = test_command(&additions(), &["timeline_wrong_test.yml"]);
    assert_eq!(code, Some(1));
    // `=~m` must match the whole value; two expected alerts are not the one that fires.
    let shown = "(compared with match: subset: each expected alert is one firing alert, and every firing alert is expected; =~ values are regular expressions)";
    assert_eq!(err.matches(shown).count(), 2, "{err}");
    assert!(
        err.contains("Labels:{alertname=\"QueueBacklog\", queue=\"=~m\"}"),
        "{err}"
    );

    // Without `match:`, the file is promtool's: `=~` is a value like any other, and every
    // label and annotation counts, so promtool and promgen fail the same test.
    let dir = scratch("additions-default-exact");
    std::fs::copy(additions().join("rules.yml"), dir.join("rules.yml")).unwrap();
    let plain = std::fs::read_to_string(additions().join("timeline_test.yml")).unwrap();
    let start = plain.find("    alert_timeline_test:").unwrap();
    let end = plain.find("    alert_rule_test:").unwrap();
    let plain = format!("{}{}", &plain[..start], &plain[end..])
        .replace("        match: subset\n", "")
        .replace(
            "          - match: subset\n            exp_labels",
            "          - exp_labels",
        );
    std::fs::write(dir.join("exact_test.yml"), &plain).unwrap();
    let (code, _, ours) = test_command(&dir, &["exact_test.yml"]);
    let (promtool_code, theirs) = promtool(&dir.join("exact_test.yml"));
    assert_eq!(
        (code, promtool_code),
        (Some(1), Some(1)),
        "{ours}\n{theirs}"
    );
    assert_eq!(
        ours.matches("alertname: QueueBacklog, time: ").count(),
        2,
        "{ours}"
    );
    assert!(!ours.contains("compared with match"), "{ours}");
}

#[test]
fn shapes_and_segments_feed_the_same_values_on_every_run() {
    require("prometheus");
    let (code, out, err) = test_command(&additions(), &["shapes_test.yml"]);
    assert_eq!(code, Some(0), "{out}{err}");
    // Exported twice: the same seeded values, byte for byte.
    let (a, b) = (scratch("shapes-export-a"), scratch("shapes-export-b"));
    for dir in [&a, &b] {
        let (code, _, err) = test_command(
            &additions(),
            &["--export", dir.to_str().unwrap(), "shapes_test.yml"],
        );
        assert_eq!(code, Some(0), "{err}");
    }
    let read = |d: &Path| std::fs::read_to_string(d.join("shapes_test.yml")).unwrap();
    assert_eq!(read(&a), read(&b));
    // The segments as promtool's notation: 1 2 3, then 7.
    assert!(read(&a).contains("values: \"1 2 3 7 7 7"), "{}", read(&a));
}

#[test]
fn exported_files_pass_promtool_and_one_changed_state_fails_it() {
    require("prometheus");
    require("promtool");
    let dir = scratch("additions-export");
    for (from, file) in [
        (additions(), "timeline_test.yml"),
        (additions(), "shapes_test.yml"),
        (examples(), "slo_test.yml"),
    ] {
        let (code, _, err) = test_command(&from, &["--export", dir.to_str().unwrap(), file]);
        assert_eq!(code, Some(0), "{err}");
        assert!(err.contains(&format!("exported {file} to ")), "{err}");
        let exported = dir.join(file);
        let text = std::fs::read_to_string(&exported).unwrap();
        for ours in [
            "alert_timeline_test",
            "shape:",
            "data:",
            "match:",
            "length:",
        ] {
            assert!(!text.contains(ours), "{ours} in {text}");
        }
        let (code, out) = promtool(&exported);
        assert_eq!(code, Some(0), "{file}: {out}");
    }

    // The negative control: the backlog fires at 15m; say it does not, and promtool fails.
    let text = std::fs::read_to_string(dir.join("timeline_test.yml")).unwrap();
    let at_15m =
        "      - eval_time: 15m\n        alertname: \"QueueBacklog\"\n        exp_alerts:\n";
    let start = text.find(at_15m).expect("the 15m step") + at_15m.len() - "exp_alerts:\n".len();
    let next = text[start..].find("      - eval_time:").unwrap() + start;
    let changed = format!("{}exp_alerts: []\n{}", &text[..start], &text[next..]);
    assert_ne!(changed, text);
    std::fs::write(dir.join("changed_test.yml"), changed).unwrap();
    let (code, out) = promtool(&dir.join("changed_test.yml"));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("alertname: QueueBacklog, time: 15m"), "{out}");

    // A file that fails is not exported (its plain form would not say what it says), and a
    // plain promtool file needs no export.
    let (code, _, err) = test_command(
        &additions(),
        &["--export", dir.to_str().unwrap(), "timeline_wrong_test.yml"],
    );
    assert_eq!(code, Some(1));
    assert!(
        err.contains("timeline_wrong_test.yml did not pass: not exported"),
        "{err}"
    );
    assert!(!dir.join("timeline_wrong_test.yml").exists());
}

#[test]
fn coverage_counts_what_is_asserted_by_construction() {
    require("prometheus");
    let dir = additions();
    // coverage_rules.yml has six rules: A is asserted firing (and reads r1), B only not to
    // fire, C not at all (it reads r3); r2 is read by a promql_expr_test. Covered: A, B,
    // r1, r2 = 4 of 6.
    // A fresh directory: a report left by an earlier run would pass the checks below even
    // if this run wrote none.
    let junit = scratch("coverage-junit").join("report.xml");
    let (code, out, err) = test_command(
        &dir,
        &[
            "--coverage",
            "--junit",
            junit.to_str().unwrap(),
            "coverage_test.yml",
        ],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("4 of 6 rules covered (66.7%)"), "{out}");
    for line in [
        "record  r1  read by an asserted expression",
        "record  r2  read by an asserted expression",
        "record  r3  NOT ASSERTED",
        "alert   A   firing asserted",
        "alert   B   asserted not to fire",
        "alert   C   NOT ASSERTED",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    for part in [
        r#"<testsuite name="rule coverage" tests="6" failures="0" errors="0" skipped="2""#,
        r#"<property name="covered" value="4"/>"#,
        r#"<property name="percent" value="66.7"/>"#,
        "<testcase name=\"C\" classname=\"coverage_rules.yml\" time=\"0.000\">\n      <skipped message=\"not asserted by any test\"/>",
    ] {
        assert!(xml.contains(part), "{part}\n{xml}");
    }
    // Below the bar: exit 1, saying so; at it: 0.
    let (code, _, err) = test_command(&dir, &["--min-coverage", "70", "coverage_test.yml"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains(
            "the tests assert something about 4 of 6 rules (66.7%), below --min-coverage 70"
        ),
        "{err}"
    );
    let (code, _, err) = test_command(&dir, &["--min-coverage", "66", "coverage_test.yml"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = test_command(&dir, &["--min-coverage", "101", "coverage_test.yml"]);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn tests_that_test_nothing_warn_and_fail_with_strict() {
    require("prometheus");
    let dir = scratch("additions-vacuous");
    std::fs::copy(additions().join("rules.yml"), dir.join("rules.yml")).unwrap();
    // Input ends at 9m (visible to 14m); the rule's longest look back is the lookback.
    std::fs::write(
        dir.join("v_test.yml"),
        r#"rule_files: [rules.yml]
tests:
  - interval: 1m
    input_series:
      - {series: 'queue_depth{queue="mail"}', values: 0x9}
    alert_rule_test:
      - {eval_time: 5m, alertname: QueueBacklog, exp_alerts: []}
      - {eval_time: 30m, alertname: QueueBacklog, exp_alerts: []}
      - {eval_time: 5m, alertname: QueueBaklog, exp_alerts: []}
      - eval_time: 5m
        alertname: QueueBacklog
        exp_alerts: [{exp_labels: {severity: ticket, queue: mail}}]
"#,
    )
    .unwrap();
    let (code, _, err) = test_command(&dir, &["v_test.yml"]);
    assert_eq!(code, Some(1), "the last test fails: {err}");
    for warning in [
        "  WARNING: v_test.yml:8:9: tests[0].alert_rule_test[1]: expects no alert at 30m, where every input series has ended by 9m and the rules look back 5m at most: it would pass whatever the rules say\n",
        "  WARNING: v_test.yml:9:9: tests[0].alert_rule_test[2]: QueueBaklog: no alerting rule is named QueueBaklog: did you mean QueueBacklog? (the alerting rules are QueueBacklog); this test can only pass by finding no alert\n",
        "  WARNING: v_test.yml:10:9: tests[0].alert_rule_test[3].exp_alerts[0].exp_labels.severity: QueueBacklog can never be \"ticket\": its rule sets severity=\"page\"\n",
    ] {
        assert!(err.contains(warning), "{warning}\n{err}");
    }
    assert_eq!(
        err.matches("  WARNING: ").count(),
        3,
        "the 5m test is fine: {err}"
    );

    // Without the failing test the file passes, with warnings; --strict fails it.
    let text = std::fs::read_to_string(dir.join("v_test.yml")).unwrap();
    let cut = text
        .find("      - eval_time: 5m\n        alertname: QueueBacklog\n")
        .unwrap();
    std::fs::write(dir.join("v_test.yml"), &text[..cut]).unwrap();
    let (code, out, err) = test_command(&dir, &["v_test.yml"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(err.matches("  WARNING: ").count(), 2, "{err}");
    let (code, _, err) = test_command(&dir, &["--strict", "v_test.yml"]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(
        err.matches("tests that test nothing (--strict): ").count(),
        2,
        "{err}"
    );
}

#[test]
fn timelines_print_as_tables_and_as_json() {
    require("prometheus");
    let (code, out, err) = test_command(&additions(), &["--timeline", "timeline_test.yml"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("Timeline: timeline_test.yml backlog\n  timeline over 45m (1 episodes)\n  alert                                       pending  firing  inactive\n  QueueBacklog{queue=\"mail\",severity=\"page\"}  10m      15m     41m\n"),
        "{out}"
    );
    let (code, out, err) = test_command(
        &additions(),
        &[
            "--timeline",
            "--timeline-format",
            "json",
            "timeline_test.yml",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    // stdout is the JSON alone; the verdicts went to stderr.
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(err.contains("  SUCCESS"), "{err}");
    let episode = &json[0]["timeline"]["episodes"][0];
    assert_eq!(json[0]["test"], "backlog");
    assert_eq!(episode["labels"]["queue"], "mail");
    assert_eq!(
        (
            &episode["pending_at_ms"],
            &episode["firing_at"],
            &episode["inactive_at"]
        ),
        (
            &serde_json::json!(600_000),
            &serde_json::json!("15m"),
            &serde_json::json!("41m")
        )
    );
}

#[test]
fn mistakes_in_the_additions_are_named_where_they_stand() {
    let dir = scratch("additions-mistakes");
    std::fs::write(
        dir.join("m_test.yml"),
        r#"tests:
  - interval: 1m
    input_series:
      - series: a
        values: 1x5
        shape: uniform(0..1)
      - series: b
        shape: lienar(0..1)
      - series: c
        data: [{Void: {count: 0}}]
    alert_timeline_test:
      - alertname: A
        never_fires: false
        states: {10m: firng}
        starts_firing_between: [10m, 5m]
      - alertname: B
    alert_rule_test:
      - eval_time: 1m
        alertname: A
        match: some
      - eval_time: 1m
        alertname: A
        match: subset
        exp_alerts:
          - exp_labels: {x: "=~("}
"#,
    )
    .unwrap();
    let (code, _, err) = test_command(&dir, &["m_test.yml"]);
    assert_eq!(code, Some(1), "{err}");
    for expected in [
        "m_test.yml:4:9: tests[0].input_series[0]: values and shape both give the values: keep one",
        "m_test.yml:8:16: tests[0].input_series[1].shape: unknown function 'lienar', did you mean 'linear'?",
        "m_test.yml:10:",
        "tests[0].input_series[2].data[0].Void.count",
        "m_test.yml:13:22: tests[0].alert_timeline_test[0].never_fires: expected true (leave the key out to say nothing about it)",
        "m_test.yml:14:23: tests[0].alert_timeline_test[0].states.10m: \"firng\": expected pending, firing or inactive",
        "m_test.yml:15:32: tests[0].alert_timeline_test[0].starts_firing_between: from is after to",
        "m_test.yml:16:9: tests[0].alert_timeline_test[1]: asserts nothing: give pending_at, firing_at",
        "m_test.yml:20:16: tests[0].alert_rule_test[0].match: \"some\": expected exact (every label and annotation, as promtool) or subset (only those listed)",
        "m_test.yml:25:29: tests[0].alert_rule_test[1].exp_alerts[0].exp_labels.x: \"(\" is not a regular expression: unclosed group\n",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
}

/// Writes `files` (name, text) into a fresh scratch directory `name`, with the queue rules.
fn scratch_with(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = scratch(name);
    std::fs::copy(additions().join("rules.yml"), dir.join("rules.yml")).unwrap();
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn an_export_never_writes_a_file_that_tests_nothing_or_loses_one() {
    require("prometheus");
    // --run that picks no group of a file: nothing to export from it.
    let out = scratch("export-run-none");
    let (code, _, err) = test_command(
        &additions(),
        &[
            "--export",
            out.to_str().unwrap(),
            "--run",
            "shapes",
            "timeline_test.yml",
            "shapes_test.yml",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("timeline_test.yml: no test group ran: not exported"),
        "{err}"
    );
    assert!(!out.join("timeline_test.yml").exists());
    assert!(out.join("shapes_test.yml").exists());
    // Two files of one name would overwrite each other: refused, nothing written.
    let shapes = std::fs::read_to_string(additions().join("shapes_test.yml")).unwrap();
    let shapes = shapes.replace("rule_files: [rules.yml]", "rule_files: [../rules.yml]");
    let dir = scratch_with(
        "export-same-name",
        &[("a/x_test.yml", &shapes), ("b/x_test.yml", &shapes)],
    );
    let out = dir.join("out");
    let (code, _, err) = test_command(&dir, &["--export", "out", "a/x_test.yml", "b/x_test.yml"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("a/x_test.yml and b/x_test.yml would both be written as out/x_test.yml"),
        "{err}"
    );
    assert!(!out.join("x_test.yml").exists());
}

#[test]
fn coverage_counts_for_the_rule_files_of_the_test_file_only_and_not_for_vacuous_tests() {
    require("prometheus");
    let rules = "groups:\n  - name: g\n    rules:\n      - {record: 'job:up:sum', expr: sum(up)}\n      - {alert: Down, expr: 'job:up:sum == 0'}\n";
    let dir = scratch_with(
        "coverage-per-file",
        &[
            ("a/rules.yml", rules),
            ("b/rules.yml", rules),
            // a asserts Down; b loads its own copy and a's, and asserts nothing about them.
            (
                "a/t_test.yml",
                "rule_files: [rules.yml]\ntests:\n  - interval: 1m\n    input_series: [{series: up, values: 0x10}]\n    alert_rule_test:\n      - {eval_time: 5m, alertname: Down, exp_alerts: [{exp_labels: {}}]}\n",
            ),
            (
                "b/t_test.yml",
                "rule_files: [rules.yml, ../a/rules.yml]\ntests:\n  - interval: 1m\n    input_series: [{series: up, values: 1x10}]\n    promql_expr_test:\n      - {expr: up, eval_time: 1m, exp_samples: [{labels: up, value: 1}]}\n",
            ),
            // Only a test that would pass whatever the rules do: it covers nothing.
            (
                "c/t_test.yml",
                "rule_files: [../b/rules.yml]\ntests:\n  - interval: 1m\n    input_series: [{series: up, values: 1x10}]\n    alert_rule_test:\n      - {eval_time: 2h, alertname: Down, exp_alerts: []}\n",
            ),
        ],
    );
    let (code, out, err) = test_command(
        &dir,
        &["--coverage", "a/t_test.yml", "b/t_test.yml", "c/t_test.yml"],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        err.contains("c/t_test.yml:6:9: tests[0].alert_rule_test[0]: expects no alert at 2h"),
        "{err}"
    );
    // a/rules.yml once (b names it b/../a/rules.yml), b/rules.yml not covered.
    assert!(out.contains("2 of 4 rules covered (50.0%)"), "{out}");
    assert_eq!(out.matches("rules.yml\n").count(), 2, "{out}");
    assert!(
        out.contains("  b/rules.yml\n    record  job:up:sum  NOT ASSERTED\n    alert   Down        NOT ASSERTED\n"),
        "{out}"
    );
}

#[test]
fn never_needs_an_end_and_replays_have_a_limit() {
    let dir = scratch_with(
        "never-and-limits",
        &[
            (
                "n_test.yml",
                "rule_files: [rules.yml]\ntests:\n  - interval: 1m\n    input_series: [{series: queue_depth, values: 0x9 500x50}]\n    alert_timeline_test:\n      - {alertname: QueueBacklog, never_fires: true}\n    alert_rule_test:\n      - {eval_time: 5m, alertname: QueueBacklog, exp_alerts: []}\n",
            ),
            (
                "l_test.yml",
                "rule_files: [rules.yml]\ntests:\n  - interval: 1m\n    length: 500d\n    input_series: [{series: queue_depth, shape: '1'}]\n    alert_timeline_test:\n      - {alertname: QueueBacklog, never_fires: true}\n",
            ),
            (
                "e_test.yml",
                "rule_files: [rules.yml]\ntests:\n  - interval: 1m\n    input_series: [{series: queue_depth, values: '1'}]\n    alert_rule_test:\n      - {eval_time: 1000y, alertname: QueueBacklog, exp_alerts: []}\n",
            ),
        ],
    );
    // It fires at 15m: "never", up to the 5m another test names, would have passed.
    let (code, _, err) = test_command(&dir, &["n_test.yml"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("n_test.yml:6:9: tests[0].alert_timeline_test[0].never_fires: never until when? give the group a `length:`"), "{err}");
    let started = std::time::Instant::now();
    let (code, _, err) = test_command(&dir, &["l_test.yml"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("l_test.yml:4:13: tests[0].length: at most 400d"),
        "{err}"
    );
    let (code, _, err) = test_command(&dir, &["e_test.yml"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(
            "tests[0]: evaluating it to 1000y takes a replay longer than the longest, 400d"
        ),
        "{err}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "refused, not run"
    );
}

#[test]
fn a_chain_of_rules_that_reads_far_back_is_not_flagged() {
    require("prometheus");
    // Hot reads r over 1h, r reads x over 1h: at 1h30m, 1h20m after the input ended, Hot
    // still fires (promtool agrees), so the test is not one that passes whatever happens.
    let dir = scratch_with(
        "chain-look-back",
        &[
            (
                "chain_rules.yml",
                "groups:\n  - name: g\n    rules:\n      - {record: r, expr: 'max_over_time(x[1h])'}\n      - {alert: Hot, expr: 'max_over_time(r[1h]) > 0'}\n",
            ),
            (
                "chain_test.yml",
                "rule_files: [chain_rules.yml]\ntests:\n  - interval: 1m\n    input_series: [{series: x, values: 1x10}]\n    alert_rule_test:\n      - {eval_time: 1h30m, alertname: Hot, exp_alerts: []}\n",
            ),
        ],
    );
    let (code, _, err) = test_command(&dir, &["chain_test.yml"]);
    let (promtool_code, theirs) = promtool(&dir.join("chain_test.yml"));
    assert_eq!((code, promtool_code), (Some(1), Some(1)), "{err}\n{theirs}");
    assert!(!err.contains("WARNING"), "{err}");
}

#[test]
fn match_failures_and_matcher_mistakes_say_exactly_what_was_used() {
    require("prometheus");
    let dir = scratch_with(
        "match-words",
        &[
            (
                "mm_test.yml",
                "rule_files: [rules.yml]\ntests:\n  - interval: 1m\n    input_series: [{series: 'queue_depth{queue=\"mail\"}', values: 500x30}]\n    alert_rule_test:\n      - eval_time: 20m\n        alertname: QueueBacklog\n        exp_alerts:\n          - match: subset\n            exp_labels: {queue: sms}\n",
            ),
            (
                "loc_test.yml",
                "rule_files: [rules.yml]\ntests:\n  - interval: 1m\n    length: 10m\n    input_series: [{series: queue_depth, values: 1x10}]\n    alert_timeline_test:\n      - alertname: QueueBacklog\n        labels: {severity: page, queue: \"=~(\"}\n        states: {soon: firing}\n",
            ),
        ],
    );
    let (code, _, err) = test_command(&dir, &["mm_test.yml"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("(compared with match: subset: each expected alert"),
        "{err}"
    );
    let (code, _, err) = test_command(&dir, &["loc_test.yml"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("loc_test.yml:8:41: tests[0].alert_timeline_test[0].labels.queue: \"(\" is not a regular expression: unclosed group"), "{err}");
    assert!(err.contains("loc_test.yml:9:18: tests[0].alert_timeline_test[0].states.soon: \"soon\" is not a duration"), "{err}");
}
