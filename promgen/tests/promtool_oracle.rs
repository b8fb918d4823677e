//! promtool as the oracle for `promgen::notation`.
//!
//! Each notation below is expanded by our parser, and every expanded point becomes an
//! expectation in one `promtool test rules` file. The real promtool loads the same notation as
//! `input_series` and checks every expectation, so any difference between the two expansions
//! (a value, a gap, a stale marker, a count) fails the test.
//!
//! What promtool 2.42 does, found by running it (the expectations below rely on it):
//!
//! - **Lookback.** An instant query at `t` sees the latest sample in `[t-5m, t]`, both ends
//!   included: a lone sample at 0 is still returned at `5m` and gone at `5m1s`. (Prometheus 3
//!   made the window left-open, so [`promtool`] insists on a 2.x promtool.) A stale marker as
//!   that latest sample means no result; a missing point leaves the previous sample showing.
//! - **Float equality is exact.** `exp_samples` are compared with `reflect.DeepEqual`: expecting
//!   `0.8` where the series holds `0.7999999999999999` fails. So expected values are printed with
//!   [`FormatValue`], the shortest text that reads back to the same float.
//! - **Spelling of special values.** `exp_samples` values are YAML floats (go-yaml): `+Inf`, `Inf`,
//!   `-Inf` and `NaN` are rejected as strings; `.inf` and `-.inf` are accepted.
//! - **NaN cannot be asserted.** `.nan` parses, but NaN never equals NaN, so such an expectation
//!   always fails. Where the visible sample is a NaN we assert `s != bool s` (1 only for a NaN)
//!   instead of `s`; `timestamp(s)` still proves which sample it is.

use promgen::FormatValue;
use promgen::notation::Notation;
use promgen::shape::{Point, ShapeExt};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The `interval` of every test group: point `i` of an expansion is at `i * 60` seconds.
const INTERVAL_S: u64 = 60;

/// Prometheus' default lookback delta, which promtool uses.
const LOOKBACK_S: u64 = 5 * 60;

/// Notations checked point by point against promtool.
const CASES: &[&str] = &[
    // Plain values, runs and the example from the design.
    "1 2 3",
    "0+10x100 _x5 stale",
    "7x3",
    "0x10", // 0 repeated 10 times, not hexadecimal
    // Gaps.
    "_",
    "1 _ 3",
    "1 _x3 5",
    "1 _x0 2",
    "_x0",
    "_x3 1",
    "1 _x5",    // the sample at 0 is still visible at 5m (closed lookback window), gone at 6m
    "1 _x10 2", // nothing from 6m until the next sample at 11m
    // Stale markers.
    "stale",
    "1 2 stale 3",
    "1 stale _ 2",
    "_ stale _x2 4",
    // Negative steps and signed starts.
    "5-2x3",
    "10-1x4",
    "-1-1x2",
    "+3x1",
    "+1+1x1 -5+2.5x4",
    // Exponents.
    "1e3x2",
    "1.5e-3+1e-3x3",
    "1e21 1e-5 -2.5e-9 .5 1. 2E2",
    // Special values, in any case, also as run starts.
    "Inf -Inf NaN",
    "inf+1x1 -Inf-1x1 nan",
    "NaN-1x2 1",
    "stale+1x1", // the marker, then an ordinary NaN (arithmetic on the marker quiets it)
    // Decimals whose repeated addition drifts.
    "0.1+0.7x3",
    "0.1+0.1x20",
    // Spaces.
    "  1 2  ",
    "   ",
    " _x2   3-1x2 ",
    // Combinations.
    "0+1x3 _x2 stale 10-2.5x2 _ Inf 1e-3x1",
    "-0.5x2 _x7 stale stale _ NaN 3",
    // Below the smallest float is 0, and the largest is a number, in promtool too.
    "1e-400 1.7976931348623157e308 -1e308x1",
];

/// Notations that both our parser and promtool must reject.
/// (A number past the largest float is refused, not read as infinity: issue #12 item 10.)
const MALFORMED: &[&str] = &[
    "3+3x4-4",
    "_a4",
    "1+1",
    "1x",
    "Infx3",
    "1,2",
    "1e400",
    "1 -1e400x2",
    "0+1e309x2",
];

#[test]
fn promtool_agrees_with_every_expanded_point() {
    let promtool = promtool();
    let dir = Scratch::new("agree");
    let mut yaml = String::from("tests:\n");
    let mut legend = String::new();
    for (case, notation) in CASES.iter().enumerate() {
        write_group(&mut yaml, case, notation, &expand(notation));
        writeln!(legend, "  case {case}: {notation:?}").unwrap();
    }
    let file = dir.write("oracle.yml", &yaml);
    let (ok, output) = run_rules(&promtool, &file);
    assert!(
        ok,
        "promtool disagrees with our expansion.\ncases:\n{legend}file: {}\npromtool output:\n{output}",
        file.display()
    );
}

/// The oracle can fail: the same file with one expected value changed must not pass.
#[test]
fn promtool_rejects_a_wrong_expectation() {
    let promtool = promtool();
    let dir = Scratch::new("control");
    let mut points = expand("1+1x2");
    assert_eq!(points.last(), Some(&Point::Value(3.0)));

    let mut yaml = String::from("tests:\n");
    write_group(&mut yaml, 0, "1+1x2", &points);
    let file = dir.write("right.yml", &yaml);
    let (ok, output) = run_rules(&promtool, &file);
    assert!(ok, "the untouched control must pass:\n{output}");

    *points.last_mut().unwrap() = Point::Value(4.0);
    let mut yaml = String::from("tests:\n");
    write_group(&mut yaml, 0, "1+1x2", &points);
    let file = dir.write("wrong.yml", &yaml);
    let (ok, output) = run_rules(&promtool, &file);
    assert!(
        !ok,
        "promtool accepted 4 where the series holds 3: the oracle cannot fail.\nfile: {}\n{output}",
        file.display()
    );
    // It failed for that value, not for something else in the file.
    assert!(
        output.contains(r#"got: {__name__="s", case="0"} 3E+00"#),
        "promtool failed for another reason:\n{output}"
    );
}

#[test]
fn malformed_notations_are_rejected_by_both() {
    let promtool = promtool();
    let dir = Scratch::new("malformed");
    for (i, notation) in MALFORMED.iter().enumerate() {
        assert!(
            Notation::parse(notation).is_err(),
            "our parser accepted {notation:?}"
        );
        // One file each, so every notation has to fail on its own.
        let yaml = format!(
            "tests:\n  - interval: 1m\n    input_series:\n      - series: 's{{case=\"{i}\"}}'\n        values: '{notation}'\n"
        );
        let file = dir.write(&format!("malformed-{i}.yml"), &yaml);
        let (ok, output) = run_rules(&promtool, &file);
        assert!(
            !ok && output.contains("parse error"),
            "promtool did not reject {notation:?} with a parse error:\n{output}"
        );
    }
}

/// Our expansion of `notation`.
fn expand(notation: &str) -> Vec<Point> {
    Notation::parse(notation)
        .unwrap_or_else(|e| panic!("our parser rejected {notation:?}: {e}"))
        .points()
        .collect()
}

/// What an instant query for the series returns at `t` seconds (a multiple of the interval),
/// as Prometheus 2.x answers it: the latest sample at or before `t`, if it is no older than the
/// lookback (a sample at exactly `t - 5m` counts) and is not a stale marker. Gives the sample's
/// time in seconds and its value.
fn visible(points: &[Point], t: u64) -> Option<(u64, f64)> {
    let last = usize::try_from(t / INTERVAL_S).unwrap();
    let (index, point) = points
        .iter()
        .enumerate()
        .take(last + 1)
        .rfind(|(_, p)| **p != Point::Missing)?;
    let at = index as u64 * INTERVAL_S;
    if t - at > LOOKBACK_S {
        return None;
    }
    match *point {
        Point::Value(v) => Some((at, v)),
        Point::Stale => None,
        Point::Missing | Point::End => unreachable!("not a sample: {point}"),
    }
}

/// Appends a test group for one notation: its series is `s{case="<case>"}`, and at the time of
/// every point, and one interval after the last, it checks the value and the timestamp of what
/// `s` returns against our expansion `points`.
fn write_group(yaml: &mut String, case: usize, notation: &str, points: &[Point]) {
    assert!(
        !notation.contains(['\'', '\n']),
        "{notation:?} does not fit in a single-quoted YAML string"
    );
    let series = format!(r#"s{{case="{case}"}}"#);
    let without_name = format!(r#"{{case="{case}"}}"#);
    writeln!(yaml, "  - name: 'case {case}: {notation}'").unwrap();
    writeln!(yaml, "    interval: {INTERVAL_S}s").unwrap();
    writeln!(yaml, "    input_series:").unwrap();
    writeln!(yaml, "      - series: '{series}'").unwrap();
    writeln!(yaml, "        values: '{notation}'").unwrap();
    writeln!(yaml, "    promql_expr_test:").unwrap();
    for index in 0..=points.len() as u64 {
        let t = index * INTERVAL_S;
        match visible(points, t) {
            None => {
                expect(yaml, "s", t, None);
                expect(yaml, "timestamp(s)", t, None);
            }
            Some((at, v)) => {
                if v.is_nan() {
                    expect(yaml, "s != bool s", t, Some((&without_name, "1".into())));
                } else {
                    expect(yaml, "s", t, Some((&series, yaml_float(v))));
                }
                expect(
                    yaml,
                    "timestamp(s)",
                    t,
                    Some((&without_name, at.to_string())),
                );
            }
        }
    }
}

/// Appends one `promql_expr_test`: `expr` at `t` seconds returns `sample` (labels and value as
/// YAML text), or nothing.
fn expect(yaml: &mut String, expr: &str, t: u64, sample: Option<(&str, String)>) {
    writeln!(yaml, "      - expr: '{expr}'").unwrap();
    writeln!(yaml, "        eval_time: {t}s").unwrap();
    match sample {
        None => writeln!(yaml, "        exp_samples: []").unwrap(),
        Some((labels, value)) => {
            writeln!(yaml, "        exp_samples:").unwrap();
            writeln!(yaml, "          - labels: '{labels}'").unwrap();
            writeln!(yaml, "            value: {value}").unwrap();
        }
    }
}

/// A value as a YAML float that promtool reads back exactly (not NaN: it cannot be asserted).
fn yaml_float(v: f64) -> String {
    assert!(!v.is_nan(), "promtool cannot compare NaN");
    if v == f64::INFINITY {
        ".inf".into()
    } else if v == f64::NEG_INFINITY {
        "-.inf".into()
    } else {
        FormatValue(v).to_string()
    }
}

/// The promtool to run: `PROMGEN_PROMTOOL`, else `promtool` on `PATH`. It must be 2.x, whose
/// lookback window the expectations model. Never skips: without promtool these tests fail.
fn promtool() -> OsString {
    let program = std::env::var_os("PROMGEN_PROMTOOL").unwrap_or_else(|| "promtool".into());
    let out = Command::new(&program)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run promtool ({program:?}: {e}). These tests use the real promtool as an \
                 oracle: run the project's test script, which installs it, or set \
                 PROMGEN_PROMTOOL to its path."
            )
        });
    let version = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && version.starts_with("promtool, version 2."),
        "{program:?} --version: expected promtool 2.x (these tests model its lookback), got:\n\
         {version}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    program
}

/// Runs `promtool test rules file`: whether it passed, and its stdout and stderr.
fn run_rules(promtool: &OsString, file: &Path) -> (bool, String) {
    let out = Command::new(promtool)
        .args(["test", "rules"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {promtool:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A fresh directory under the system temp dir, removed when the test passes and kept when it
/// fails, so the file promtool read can be inspected.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "promgen-promtool-oracle-{test}-{}-{nanos}",
            std::process::id()
        ));
        // `create_dir`, not `create_dir_all`: it fails rather than share a directory.
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
