//! What someone else's code says of an exposition: `promtool check metrics` (the Go text
//! parser and linter) and the official Python client's text and OpenMetrics parsers.

use serde_json::Value;
use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
};

/// What `promtool check metrics` said of a text-format exposition.
#[derive(Debug)]
pub struct Promtool {
    /// Its exit code: 0 clean, 3 lint findings only, 1 the text does not parse.
    pub code: Option<i32>,
    /// Everything it printed.
    pub output: String,
}

impl Promtool {
    /// Whether the exposition parses (lint findings aside).
    pub fn parses(&self) -> bool {
        matches!(self.code, Some(0 | 3))
    }
}

/// Runs `promtool check metrics` on `text`.
pub fn promtool_check_metrics(text: &str) -> Promtool {
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtool");
    // promtool may stop reading at the first error: a broken pipe is its answer, not ours.
    let _ = promtool.stdin.take().unwrap().write_all(text.as_bytes());
    let out = promtool.wait_with_output().unwrap();
    Promtool {
        code: out.status.code(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The Python that has the client: `$PROMGEN_PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var("PROMGEN_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Fails the test, saying how to fix it, when the Python client is not installed.
pub fn require_python_client() {
    let found = Command::new(python())
        .args(["-c", "import prometheus_client"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "python3 with the official client (`pip install prometheus-client`) reads the scrapes back; ./scripts/test.sh installs it"
    );
}

/// One sample as the Python client read it: its labels, `__name__` included.
pub type SampleLabels = BTreeMap<String, String>;

/// The Python client's parsers in one long-lived process, for many expositions.
pub struct PythonParsers {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl PythonParsers {
    /// Starts `parse_exposition.py serve`.
    pub fn start() -> Self {
        require_python_client();
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/parse_exposition.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run the Python client's parser");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
        }
    }

    /// The samples of `text` read as `format` (`text` or `openmetrics`), or what the parser
    /// refused it with.
    pub fn parse(&mut self, format: &str, text: &str) -> Result<Vec<SampleLabels>, String> {
        write!(self.stdin, "{format} {}\n{text}", text.len()).unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let answer: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the parser's answer {line:?}: {e}"));
        if let Some(error) = answer["error"].as_str() {
            return Err(error.to_owned());
        }
        Ok(answer["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let labels = s["labels"].as_object().unwrap();
                labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                    .collect()
            })
            .collect())
    }
}

impl Drop for PythonParsers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first series (name and labels) that occurs twice among `samples`.
pub fn duplicate(samples: &[SampleLabels]) -> Option<&SampleLabels> {
    let mut seen = std::collections::BTreeSet::new();
    samples.iter().find(|s| !seen.insert(*s))
}

/// Every problem the official parsers find in one scrape served in text and OpenMetrics:
/// a text that does not parse for promtool or the Python client, an OpenMetrics text the
/// Python client refuses, a series twice in either. Empty when none does.
pub fn problems(parsers: &mut PythonParsers, text: &str, openmetrics: &str) -> Vec<String> {
    let mut found = Vec::new();
    let promtool = promtool_check_metrics(text);
    if !promtool.parses() {
        found.push(format!("promtool check metrics: {}", promtool.output));
    }
    for (format, body) in [("text", text), ("openmetrics", openmetrics)] {
        match parsers.parse(format, body) {
            Ok(samples) => {
                if let Some(twice) = duplicate(&samples) {
                    found.push(format!("{format}: {twice:?} twice"));
                }
            }
            Err(e) => found.push(format!("the Python {format} parser: {e}")),
        }
    }
    found
}
