//! A JUnit XML report, the form CI systems (GitLab, GitHub Actions reporters, Jenkins) read:
//! a `<testsuite>` per file, a `<testcase>` per test group, `<failure>` for a verdict and
//! `<error>` for a test that could not run.

use super::{Coverage, FileReport};
use std::fmt::Write as _;

/// The reports as JUnit XML; with `coverage`, a last `<testsuite name="rule coverage">`
/// whose properties carry the numbers (`rules`, `covered`, `percent`) and whose test cases
/// are the rules, those not asserted `<skipped>`.
///
/// ```
/// use promgen_test::promtool::{FileReport, TestReport, junit_xml};
/// let report = FileReport {
///     file: "rules_test.yml".into(),
///     unmatched: vec![],
///     error: None,
///     tests: vec![TestReport {
///         name: "errors".into(),
///         failures: vec!["    alertname: A, time: 5m, …".into()],
///         error: None,
///         warnings: vec![],
///         vacuous: vec![],
///         index: 0,
///         timeline: None,
///         plain: None,
///         duration: std::time::Duration::from_millis(120),
///     }],
///     rule_files: vec![],
///     source: None,
/// };
/// let xml = junit_xml(&[report], None);
/// assert!(xml.contains(r#"<testsuite name="rules_test.yml" tests="1" failures="1" errors="0" time="0.120">"#));
/// ```
#[must_use]
pub fn junit_xml(reports: &[FileReport], coverage: Option<&Coverage>) -> String {
    let count = |f: &dyn Fn(&FileReport) -> usize| reports.iter().map(f).sum::<usize>();
    let tests = count(&|r| r.tests.len() + usize::from(r.error.is_some()));
    let failures = count(&|r| r.tests.iter().filter(|t| !t.failures.is_empty()).count());
    let errors = count(&|r| {
        r.tests.iter().filter(|t| t.error.is_some()).count() + usize::from(r.error.is_some())
    });
    let seconds = |d: std::time::Duration| format!("{:.3}", d.as_secs_f64());
    let total: std::time::Duration = reports
        .iter()
        .flat_map(|r| r.tests.iter().map(|t| t.duration))
        .sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"promgen-cli test\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{}\">",
        seconds(total)
    );
    for r in reports {
        let file = escape(&r.file);
        let suite_failures = r.tests.iter().filter(|t| !t.failures.is_empty()).count();
        let suite_errors =
            r.tests.iter().filter(|t| t.error.is_some()).count() + usize::from(r.error.is_some());
        let time: std::time::Duration = r.tests.iter().map(|t| t.duration).sum();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{file}\" tests=\"{}\" failures=\"{suite_failures}\" errors=\"{suite_errors}\" time=\"{}\">",
            r.tests.len() + usize::from(r.error.is_some()),
            seconds(time)
        );
        if let Some(e) = &r.error {
            let _ = writeln!(
                xml,
                "    <testcase name=\"{file}\" classname=\"{file}\" time=\"0.000\">\n      <error message=\"the file could not be run\">{}</error>\n    </testcase>",
                escape(e)
            );
        }
        for t in &r.tests {
            let _ = write!(
                xml,
                "    <testcase name=\"{}\" classname=\"{file}\" time=\"{}\"",
                escape(&t.name),
                seconds(t.duration)
            );
            if t.passed() && t.warnings.is_empty() {
                xml.push_str("/>\n");
                continue;
            }
            xml.push_str(">\n");
            if let Some(e) = &t.error {
                let _ = writeln!(
                    xml,
                    "      <error message=\"the test could not be run\">{}</error>",
                    escape(e)
                );
            }
            if !t.failures.is_empty() {
                let _ = writeln!(
                    xml,
                    "      <failure message=\"{} failed assertion(s)\">{}</failure>",
                    t.failures.len(),
                    escape(&t.failures.join("\n"))
                );
            }
            if !t.warnings.is_empty() {
                let _ = writeln!(
                    xml,
                    "      <system-err>{}</system-err>",
                    escape(&t.warnings.join("\n"))
                );
            }
            xml.push_str("    </testcase>\n");
        }
        xml.push_str("  </testsuite>\n");
    }
    if let Some(c) = coverage {
        coverage_suite(&mut xml, c);
    }
    xml.push_str("</testsuites>\n");
    xml
}

fn coverage_suite(xml: &mut String, c: &Coverage) {
    let _ = writeln!(
        xml,
        "  <testsuite name=\"rule coverage\" tests=\"{}\" failures=\"0\" errors=\"0\" skipped=\"{}\" time=\"0.000\">\n    <properties>\n      <property name=\"rules\" value=\"{}\"/>\n      <property name=\"covered\" value=\"{}\"/>\n      <property name=\"percent\" value=\"{:.1}\"/>\n    </properties>",
        c.total(),
        c.total() - c.covered(),
        c.total(),
        c.covered(),
        c.percent()
    );
    for file in &c.files {
        for r in &file.rules {
            let _ = write!(
                xml,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"0.000\"",
                escape(&r.name),
                escape(&file.file)
            );
            if r.asserted.is_empty() {
                xml.push_str(
                    ">\n      <skipped message=\"not asserted by any test\"/>\n    </testcase>\n",
                );
            } else {
                let what: Vec<String> = r.asserted.iter().map(ToString::to_string).collect();
                let _ = writeln!(
                    xml,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    escape(&what.join(", "))
                );
            }
        }
    }
    xml.push_str("  </testsuite>\n");
}

/// Text as XML character data or an attribute value. Characters XML 1.0 cannot hold
/// (controls other than tab, newline and carriage return) become `?`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}
