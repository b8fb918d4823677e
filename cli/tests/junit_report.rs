//! `promgen-cli test --junit`: the report read back by someone else's JUnit reader
//! (PyPI's `junitparser`, which CI tooling uses; `./scripts/test.sh` installs it), with the
//! counts it must hold: a suite per file, a case per test group, a failure for each group
//! promtool fails, an error for a file that does not parse.

mod support;

use promgen_test::promtool::TestFile;
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::Command,
};
use support::oracle::python;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../promgen-test/tests/promtool")
}

/// What junitparser reads from the report: per suite, its name, counts and cases.
const READ_BACK: &str = r#"
import json, sys
from junitparser import JUnitXml, Failure, Error
xml = JUnitXml.fromfile(sys.argv[1])
suites = []
for suite in xml:
    cases = []
    for case in suite:
        kinds = sorted(type(r).__name__ for r in case.result)
        cases.append({"name": case.name, "results": kinds})
    suites.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures,
                   "errors": suite.errors, "cases": cases})
print(json.dumps({"tests": xml.tests, "failures": xml.failures, "errors": xml.errors,
                  "suites": suites}))
"#;

#[test]
fn the_junit_report_holds_a_case_per_test_group_with_promtools_verdicts() {
    // A file that does not parse: a suite with one case, an error.
    let broken = Path::new(env!("CARGO_TARGET_TMPDIR")).join("junit-broken_test.yml");
    std::fs::write(&broken, "tests: [\n").unwrap();
    let broken = broken.display().to_string();
    let files = [
        "error_ratio_test.yml",
        "alert_wrong_label_test.yml",
        "mixed_named_unnamed_test.yml",
        "counter_wrong_value_test.yml",
        broken.as_str(),
    ];
    let report = std::env::temp_dir().join(format!("promgen-junit-{}.xml", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(["test", "--junit"])
        .arg(&report)
        .args(files)
        .current_dir(corpus())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "some files fail");

    let read = Command::new(python())
        .args(["-c", READ_BACK])
        .arg(&report)
        .output()
        .expect("python3 runs");
    let _ = std::fs::remove_file(&report);
    assert!(
        read.status.success(),
        "junitparser could not read the report (./scripts/test.sh installs it): {}",
        String::from_utf8_lossy(&read.stderr)
    );
    let got: Value = serde_json::from_slice(&read.stdout).unwrap();
    let suites = got["suites"].as_array().unwrap();
    assert_eq!(suites.len(), files.len(), "a suite per file: {got}");

    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    for (suite, file) in suites.iter().zip(files) {
        assert_eq!(suite["name"], file);
        let path = corpus().join(file);
        if TestFile::read(&path).is_err() {
            // A file that cannot be run: one case, an error.
            assert_eq!(
                (suite["tests"].as_u64(), suite["errors"].as_u64()),
                (Some(1), Some(1))
            );
            assert_eq!(suite["cases"][0]["results"], serde_json::json!(["Error"]));
            tests += 1;
            errors += 1;
            continue;
        }
        let groups = TestFile::read(&path).unwrap().tests.len();
        let cases = suite["cases"].as_array().unwrap();
        assert_eq!(cases.len(), groups, "{file}: a case per test group");
        assert_eq!(suite["tests"].as_u64(), Some(groups as u64));
        // promtool's verdict for the file: failing cases exactly when it fails.
        let promtool = Command::new("promtool")
            .args(["test", "rules", file])
            .current_dir(corpus())
            .output()
            .expect("promtool is on PATH (./scripts/test.sh installs it)");
        let failed = cases
            .iter()
            .filter(|c| c["results"] == serde_json::json!(["Failure"]))
            .count();
        assert_eq!(
            failed > 0,
            !promtool.status.success(),
            "{file}: failures in the report {failed}, promtool's verdict {:?}",
            promtool.status.code()
        );
        assert_eq!(suite["failures"].as_u64(), Some(failed as u64));
        assert_eq!(suite["errors"].as_u64(), Some(0));
        tests += groups;
        failures += failed;
    }
    // The mixed file holds passing and failing groups: both kinds of case.
    let mixed = &suites[2]["cases"];
    assert!(
        mixed
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["results"] == serde_json::json!([])),
        "{mixed}"
    );
    assert_eq!(got["tests"].as_u64(), Some(tests as u64));
    assert_eq!(got["failures"].as_u64(), Some(failures as u64));
    assert_eq!(got["errors"].as_u64(), Some(errors));
}

/// What junitparser reads of the `rule coverage` suite: its counts, properties and cases.
const READ_COVERAGE: &str = r#"
import json, sys
from junitparser import JUnitXml
xml = JUnitXml.fromfile(sys.argv[1])
for suite in xml:
    if suite.name != "rule coverage":
        continue
    props = {p.name: p.value for p in suite.properties()}
    cases = {case.name: sorted(type(r).__name__ for r in case.result) for case in suite}
    print(json.dumps({"tests": suite.tests, "skipped": suite.skipped, "properties": props,
                      "cases": cases}))
"#;

#[test]
fn the_junit_report_carries_the_rule_coverage() {
    let additions = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/additions");
    let report =
        std::env::temp_dir().join(format!("promgen-junit-coverage-{}.xml", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(["test", "--coverage", "--junit"])
        .arg(&report)
        .arg("coverage_test.yml")
        .current_dir(&additions)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = Command::new(python())
        .args(["-c", READ_COVERAGE])
        .arg(&report)
        .output()
        .expect("python3 runs");
    let _ = std::fs::remove_file(&report);
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let got: Value = serde_json::from_slice(&read.stdout).unwrap();
    // coverage_test.yml asserts something about A, B, r1 and r2 of six rules.
    assert_eq!(got["tests"], 6, "{got}");
    assert_eq!(got["skipped"], 2, "{got}");
    assert_eq!(
        got["properties"],
        serde_json::json!({"rules": "6", "covered": "4", "percent": "66.7"})
    );
    for (case, results) in [
        ("A", "[]"),
        ("r2", "[]"),
        ("C", r#"["Skipped"]"#),
        ("r3", r#"["Skipped"]"#),
    ] {
        assert_eq!(got["cases"][case].to_string(), results, "{case}: {got}");
    }
}
