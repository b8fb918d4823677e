//! The promtool corpus (`promgen-test/tests/promtool/*_test.yml`) run by the real
//! `promtool test rules` and by `promgen-cli test`, one file per run: both must give the
//! same exit code, the same stdout, the same verdict (`  SUCCESS` / `  FAILED:`) and the
//! same set of error blocks on stderr. The corpus must hold at least 45 files, at least 10
//! of which promtool fails on purpose (each file's header says which tests fail and why).
//!
//! `PROMGEN_CORPUS_TOOL=promtool` runs promtool on both sides: the harness must then pass,
//! which shows that it compares what it should and that promtool's output is stable.
//! `corpus_passes_with_docker` does the same comparison with
//! `promgen-cli test --prometheus docker --prometheus-image IMAGE`, only when
//! `PROMGEN_DOCKER_TESTS=1`.

mod support;

use std::{
    collections::BTreeMap,
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use support::prometheus::require;

/// The corpus must be at least this large...
const MIN_FILES: usize = 45;
/// ... and promtool must fail at least this many of its files.
const MIN_FAILING: usize = 10;
/// Files run at the same time (each by promtool, then by ours).
const PARALLEL: usize = 2;
/// One run of one file by one tool may take this long.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../promgen-test/tests/promtool")
}

/// The `*_test.yml` files of the corpus, by name (relative to [`corpus_dir`]), sorted.
fn corpus_files() -> Vec<String> {
    let dir = corpus_dir();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with("_test.yml"))
        .collect();
    files.sort();
    files
}

/// What one tool printed for one file, and how it exited.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn show(&self, who: &str) -> String {
        format!(
            "--- {who}: exit code {:?}\n--- {who}: stdout\n{}--- {who}: stderr\n{}--- {who}: end\n",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Who runs the corpus on "our" side.
#[derive(Debug, Clone)]
enum Tool {
    Promtool,
    /// `promgen-cli test` with these arguments before the file.
    Promgen(Vec<String>),
    /// `promgen-cli test` in this image (promgen-cli and a Prometheus, no Rust), the corpus
    /// mounted as the working directory.
    Image(String),
}

impl Tool {
    /// Ours, unless `PROMGEN_CORPUS_TOOL=promtool` asks for promtool on both sides.
    fn ours(extra: &[String]) -> Tool {
        match std::env::var("PROMGEN_CORPUS_TOOL").as_deref() {
            Ok("promtool") => Tool::Promtool,
            Ok("") | Err(_) => Tool::Promgen(extra.to_vec()),
            Ok(other) => panic!("PROMGEN_CORPUS_TOOL={other}: only `promtool` is known"),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Tool::Promtool => "promtool",
            Tool::Promgen(_) => "promgen-cli",
            Tool::Image(_) => "promgen-cli in its image",
        }
    }

    /// Runs `file` (relative to the corpus directory, which is the working directory, so
    /// the paths in both tools' messages are the same).
    fn run(&self, file: &str) -> Run {
        let mut command = match self {
            Tool::Promtool => {
                let mut c = Command::new("promtool");
                c.args(["test", "rules", file]);
                c
            }
            Tool::Promgen(extra) => {
                let mut c = Command::new(env!("CARGO_BIN_EXE_promgen-cli"));
                c.arg("test").args(extra).arg(file);
                c
            }
            Tool::Image(image) => {
                let mut c = Command::new("docker");
                let mount = format!("{}:/w:ro", corpus_dir().display());
                c.args(["run", "--rm", "-v", &mount, "-w", "/w", image, "test", file]);
                c
            }
        };
        command.current_dir(corpus_dir());
        run_with_timeout(command, RUN_TIMEOUT, &format!("{} on {file}", self.name()))
    }
}

/// The corpus tests that test nothing, as promgen flags them (each warning's place and key
/// path): an expected label the rule never gives, an alert name no rule has, eval_times
/// after every input series has ended that expect nothing. promtool passes or fails them
/// without a word.
const FLAGGED: &[&str] = &[
    "alert_wrong_label_test.yml:17:9: tests[0].alert_rule_test[0].exp_alerts[0].exp_labels.severity",
    "empty_results_test.yml:29:9: tests[0].alert_rule_test[1]",
    "interval_omitted_test.yml:26:9: tests[0].promql_expr_test[2]",
    "interval_omitted_test.yml:38:9: tests[0].alert_rule_test[0]",
    "mixed_named_unnamed_test.yml:30:9: tests[1].alert_rule_test[0].exp_alerts[0].exp_labels.severity",
];

/// Takes promgen's own warnings (`  WARNING: FILE:LINE:COL: tests[N]…: why`) out of a run's
/// stderr, which then holds what promtool prints; returns each warning's place and key path.
fn take_warnings(run: &mut Run) -> Vec<String> {
    let mut taken = Vec::new();
    let mut kept = String::new();
    for line in run.stderr.split_inclusive('\n') {
        match line.strip_prefix("  WARNING: ") {
            Some(w) if w.contains(": tests[") => {
                let place: Vec<&str> = w.splitn(3, ": ").collect();
                taken.push(place[..2].join(": "));
            }
            _ => kept.push_str(line),
        }
    }
    run.stderr = kept;
    taken
}

/// Runs `command` to its end, reading both pipes as it goes; kills it after `timeout`.
fn run_with_timeout(mut command: Command, timeout: Duration, what: &str) -> Run {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).map(|_| text)
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after {timeout:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: stdout.join().unwrap().expect("stdout is UTF-8"),
        stderr: stderr.join().unwrap().expect("stderr is UTF-8"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    Success,
    Failed,
}

/// One run read as promtool 2.42 prints a file's result.
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    verdict: Verdict,
    /// stderr lines before `  FAILED:` or for a success (promtool's `  WARNING: no file
    /// match pattern ...`).
    preamble: Vec<String>,
    /// The error blocks, sorted.
    blocks: Vec<String>,
}

/// Does this stderr line start a new error block? promtool prints each error with one
/// `Fprintln`: the errors of promtool's own checks start with four spaces and a key
/// (`name:` only for named tests, then `alertname:`; `expr:`; `rule:`), and every other
/// error (a rule file or input that does not load, a missing alertname) starts
/// unindented. Continuation lines are indented by more (or are `name:`'s `alertname:`).
fn starts_block(line: &str, previous: Option<&str>) -> bool {
    if !line.starts_with(' ') {
        return true;
    }
    if ["    name: ", "    expr: ", "    rule: "]
        .iter()
        .any(|key| line.starts_with(key))
    {
        return true;
    }
    line.starts_with("    alertname: ") && !previous.is_some_and(|p| p.starts_with("    name: "))
}

/// Splits the stderr that follows `  FAILED:` into error blocks (each without its final
/// newline).
fn split_blocks(errors: &str) -> Vec<String> {
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut previous = None;
    for line in errors.strip_suffix('\n').unwrap_or(errors).split('\n') {
        match blocks.last_mut() {
            Some(block) if !starts_block(line, previous) => block.push(line),
            _ => blocks.push(vec![line]),
        }
        previous = Some(line);
    }
    if errors.is_empty() {
        blocks.clear();
    }
    blocks.into_iter().map(|lines| lines.join("\n")).collect()
}

/// Reads a run of `file`: its verdict and error blocks, checking the shape of promtool's
/// output (the header, one empty stdout line per error block, a final empty line).
fn outcome(run: &Run, file: &str) -> Result<Outcome, String> {
    let header = format!("Unit Testing:  {file}\n");
    let rest = run
        .stdout
        .strip_prefix(&header)
        .ok_or_else(|| format!("stdout does not start with {header:?}"))?;
    let (before, after) = match run.stderr.find("  FAILED:\n") {
        Some(at) if at == 0 || run.stderr[..at].ends_with('\n') => (
            &run.stderr[..at],
            Some(&run.stderr[at + "  FAILED:\n".len()..]),
        ),
        _ => (run.stderr.as_str(), None),
    };
    let preamble = before.lines().map(str::to_string).collect();
    match after {
        None => {
            if rest != "  SUCCESS\n\n" {
                return Err(format!(
                    "no `  FAILED:` on stderr, but stdout after the header is {rest:?}, not \"  SUCCESS\\n\\n\""
                ));
            }
            Ok(Outcome {
                verdict: Verdict::Success,
                preamble,
                blocks: Vec::new(),
            })
        }
        Some(errors) => {
            let mut blocks = split_blocks(errors);
            let printed = rest.len();
            if rest.bytes().any(|b| b != b'\n') || printed != blocks.len() + 1 {
                return Err(format!(
                    "stderr splits into {} error blocks, but stdout after the header is {rest:?} (promtool prints one empty line per block, then one)",
                    blocks.len()
                ));
            }
            blocks.sort();
            Ok(Outcome {
                verdict: Verdict::Failed,
                preamble,
                blocks,
            })
        }
    }
}

/// Prefixes every line of `text` with `prefix`.
fn prefixed(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}\n")).collect()
}

/// What differs between promtool's run of a file and ours; `None` when they agree.
fn compare(file: &str, promtool: &Run, ours: &Run, ours_name: &str) -> Option<String> {
    let mut problems = Vec::new();
    if promtool.code != ours.code {
        problems.push(format!(
            "exit code: promtool {:?}, {ours_name} {:?}",
            promtool.code, ours.code
        ));
    }
    let expected = outcome(promtool, file);
    let got = outcome(ours, file);
    match (&expected, &got) {
        (Err(e), _) => problems.push(format!(
            "promtool's output is not what this harness knows of promtool 2.42: {e}"
        )),
        (Ok(_), Err(e)) => problems.push(format!("{ours_name}'s output: {e}")),
        (Ok(exp), Ok(got)) => {
            if exp.verdict != got.verdict {
                problems.push(format!(
                    "verdict: promtool {:?}, {ours_name} {:?}",
                    exp.verdict, got.verdict
                ));
            }
            if exp.preamble != got.preamble {
                problems.push(format!(
                    "stderr before the verdict: promtool {:?}, {ours_name} {:?}",
                    exp.preamble, got.preamble
                ));
            }
            if exp.blocks != got.blocks {
                problems.push(block_diff(&exp.blocks, &got.blocks, ours_name));
            }
        }
    }
    if problems.is_empty() && promtool.stdout != ours.stdout {
        problems.push("stdout differs".to_string());
    }
    if problems.is_empty() {
        return None;
    }
    Some(format!(
        "==== {file}\n{}\n{}{}",
        problems.join("\n"),
        promtool.show("promtool"),
        ours.show(ours_name)
    ))
}

/// The error blocks only promtool printed (`-`) and only ours printed (`+`), counting
/// repeats.
fn block_diff(expected: &[String], got: &[String], ours_name: &str) -> String {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for b in expected {
        *counts.entry(b).or_default() += 1;
    }
    for b in got {
        *counts.entry(b).or_default() -= 1;
    }
    let mut text = format!(
        "error blocks differ (promtool {}, {ours_name} {}): - only promtool's, + only {ours_name}'s\n",
        expected.len(),
        got.len()
    );
    for (block, n) in counts {
        let prefix = if n > 0 { "- " } else { "+ " };
        for _ in 0..n.abs() {
            text += &prefixed(block, prefix);
            text += "\n";
        }
    }
    text
}

/// One file's runs.
struct FileRun {
    file: String,
    promtool: Run,
    mismatch: Option<String>,
    ours_failed: bool,
}

/// Runs the whole corpus with promtool and `ours`, [`PARALLEL`] files at a time, and fails
/// with every mismatching file at once.
fn check_corpus(ours: Tool) {
    require("promtool");
    let files = corpus_files();
    assert!(
        files.len() >= MIN_FILES,
        "the corpus in {} has {} *_test.yml files, fewer than {MIN_FILES}",
        corpus_dir().display(),
        files.len()
    );
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let warnings = Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(file) = files.get(i) else { break };
                    let promtool = Tool::Promtool.run(file);
                    let mut theirs = ours.run(file);
                    let flagged = take_warnings(&mut theirs);
                    let mismatch = compare(file, &promtool, &theirs, ours.name());
                    warnings.lock().unwrap().extend(flagged);
                    results.lock().unwrap().push(FileRun {
                        file: file.clone(),
                        ours_failed: theirs.code != Some(0),
                        promtool,
                        mismatch,
                    });
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.file.cmp(&b.file));
    eprintln!(
        "{} corpus files run by promtool and {} in {:.1?}",
        results.len(),
        ours.name(),
        start.elapsed()
    );

    let failing: Vec<&str> = results
        .iter()
        .filter(|r| r.promtool.code != Some(0))
        .map(|r| r.file.as_str())
        .collect();
    let passes_only_for_promtool: Vec<&str> = results
        .iter()
        .filter(|r| r.promtool.code == Some(0) && r.ours_failed)
        .map(|r| r.file.as_str())
        .collect();
    let mismatches: Vec<&str> = results
        .iter()
        .filter_map(|r| r.mismatch.as_deref())
        .collect();

    let mut report = String::new();
    if !mismatches.is_empty() {
        report += &format!(
            "{} of {} corpus files differ between promtool and {}:\n\n{}\n",
            mismatches.len(),
            results.len(),
            ours.name(),
            mismatches.join("\n")
        );
    }
    if !passes_only_for_promtool.is_empty() {
        report += &format!(
            "files promtool passes but {} fails (each must pass with ours too): {passes_only_for_promtool:?}\n",
            ours.name()
        );
    }
    // promgen's warnings of tests that test nothing: exactly these, wherever ours runs.
    let mut warnings = warnings.into_inner().unwrap();
    warnings.sort();
    let expected: Vec<String> = if matches!(ours, Tool::Promtool) {
        Vec::new()
    } else {
        FLAGGED.iter().map(|s| (*s).to_owned()).collect()
    };
    if warnings != expected {
        report += &format!(
            "the tests flagged as testing nothing differ:\n  expected {expected:#?}\n  got {warnings:#?}\n"
        );
    }
    if failing.len() < MIN_FAILING {
        report += &format!(
            "promtool fails only {} corpus files ({failing:?}); the corpus must hold at least {MIN_FAILING} failing on purpose\n",
            failing.len()
        );
    }
    assert!(report.is_empty(), "{report}");
}

#[test]
fn corpus_agrees_with_promtool() {
    check_corpus(Tool::ours(&[]));
}

#[test]
fn corpus_passes_with_docker() {
    if std::env::var("PROMGEN_DOCKER_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "corpus_passes_with_docker: skipped, set PROMGEN_DOCKER_TESTS=1 to run the corpus on a Prometheus in Docker"
        );
        return;
    }
    let image = std::env::var("PROMGEN_PROMETHEUS_IMAGE")
        .unwrap_or_else(|_| "promgen-local/prometheus:2.42".to_string());
    check_corpus(Tool::ours(&[
        "--prometheus".to_string(),
        "docker".to_string(),
        "--prometheus-image".to_string(),
        image,
    ]));
}

/// The CI recipe of the README: `docker run --rm -v "$PWD:/w" -w /w IMAGE test FILE`, the
/// image holding promgen-cli and a Prometheus (`scripts/docker-images.sh` builds the local
/// one from the same binaries as the root Dockerfile's).
#[test]
fn corpus_passes_in_the_image() {
    if std::env::var("PROMGEN_DOCKER_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "corpus_passes_in_the_image: skipped, set PROMGEN_DOCKER_TESTS=1 to run the corpus in the promgen-cli image"
        );
        return;
    }
    let image = std::env::var("PROMGEN_IMAGE")
        .unwrap_or_else(|_| "promgen-local/promgen-cli:dev".to_string());
    check_corpus(Tool::Image(image));
}

// The harness itself, on promtool 2.42's output as it prints it (no tool needed).

/// promtool's output for a file of three errors: a named alert test, an unnamed one (no
/// `name:` line) and a promql_expr_test (never named).
const MIXED_STDOUT: &str = "Unit Testing:  mixed_test.yml\n\n\n\n\n";
const MIXED_STDERR: &str = r#"  FAILED:
    alertname: QueueGrowing, time: 5m, 
        exp:[
            0:
              Labels:{alertname="QueueGrowing", queue="mail", severity="page"}
              Annotations:{summary="mail grew by 90 in 5m"}
            ], 
        got:[
            0:
              Labels:{alertname="QueueGrowing", queue="mail", severity="warning"}
              Annotations:{summary="mail grew by 90 in 5m"}
            ]
    name: named, fails,
    alertname: QueueGrowing, time: 4m, 
        exp:[
            0:
              Labels:{alertname="QueueGrowing", queue="mail", severity="warning"}
              Annotations:{summary="mail grew by 30 in 5m"}
            ], 
        got:[]
    expr: "queue:depth:sum", time: 4m,
        exp: {__name__="queue:depth:sum"} 3E+01
        got: {__name__="queue:depth:sum"} 4.5E+01
"#;

fn mixed_run() -> Run {
    Run {
        code: Some(1),
        stdout: MIXED_STDOUT.to_string(),
        stderr: MIXED_STDERR.to_string(),
    }
}

#[test]
fn blocks_split_as_promtool_prints_them() {
    let mixed = outcome(&mixed_run(), "mixed_test.yml").unwrap();
    assert_eq!(mixed.verdict, Verdict::Failed);
    let firsts: Vec<&str> = mixed
        .blocks
        .iter()
        .map(|b| b.lines().next().unwrap())
        .collect();
    assert_eq!(
        firsts,
        [
            "    alertname: QueueGrowing, time: 5m, ",
            "    expr: \"queue:depth:sum\", time: 4m,",
            "    name: named, fails,",
        ]
    );
    assert!(mixed.blocks[2].contains("\n    alertname: QueueGrowing, time: 4m, \n"));
    assert!(mixed.blocks[0].ends_with("            ]"));

    // Unindented errors (rule files or input that do not load) are a block each.
    let load = Run {
        code: Some(1),
        stdout: "Unit Testing:  f_test.yml\n\n\n\n".to_string(),
        stderr: "  FAILED:\nrules/x.yml: 6:15: group \"g\", rule 1, \"r\": could not parse expression: e\nrules/x.yml: 6:15: group \"g\", rule 1, \"r\": could not parse expression: e\n".to_string(),
    };
    assert_eq!(outcome_blocks(&load, "f_test.yml").len(), 2);

    let success = Run {
        code: Some(0),
        stdout: "Unit Testing:  f_test.yml\n  SUCCESS\n\n".to_string(),
        stderr: String::new(),
    };
    assert_eq!(
        outcome(&success, "f_test.yml").unwrap().verdict,
        Verdict::Success
    );
}

fn outcome_blocks(run: &Run, file: &str) -> Vec<String> {
    outcome(run, file).unwrap().blocks
}

#[test]
fn block_count_must_match_the_empty_lines_on_stdout() {
    let mut run = mixed_run();
    run.stdout = "Unit Testing:  mixed_test.yml\n\n\n\n".to_string();
    let err = outcome(&run, "mixed_test.yml").unwrap_err();
    assert!(err.contains("3 error blocks"), "{err}");
    let mut run = mixed_run();
    run.stdout = "Unit Testing:  other_test.yml\n\n\n\n\n".to_string();
    assert!(outcome(&run, "mixed_test.yml").is_err());
}

#[test]
fn comparison_catches_a_changed_block() {
    let promtool = mixed_run();
    assert_eq!(
        compare("mixed_test.yml", &promtool, &promtool, "ours"),
        None
    );

    // The same blocks in another order agree: they are compared as sets.
    let mut reordered = mixed_run();
    let blocks = split_blocks(MIXED_STDERR.strip_prefix("  FAILED:\n").unwrap());
    reordered.stderr = format!("  FAILED:\n{}\n{}\n{}\n", blocks[2], blocks[0], blocks[1]);
    assert_eq!(
        compare("mixed_test.yml", &promtool, &reordered, "ours"),
        None
    );

    // One changed value in one block.
    let mut changed = mixed_run();
    changed.stderr = MIXED_STDERR.replace("4.5E+01", "4.6E+01");
    let report = compare("mixed_test.yml", &promtool, &changed, "ours").expect("a mismatch");
    assert!(report.contains("error blocks differ"), "{report}");
    assert!(
        report.contains("-         got: {__name__=\"queue:depth:sum\"} 4.5E+01"),
        "{report}"
    );
    assert!(
        report.contains("+         got: {__name__=\"queue:depth:sum\"} 4.6E+01"),
        "{report}"
    );

    // A trailing space is part of the text.
    let mut trimmed = mixed_run();
    trimmed.stderr = MIXED_STDERR.replace("time: 5m, \n", "time: 5m,\n");
    assert!(compare("mixed_test.yml", &promtool, &trimmed, "ours").is_some());

    // Another exit code, or a success where promtool failed.
    let mut code = mixed_run();
    code.code = Some(2);
    assert!(
        compare("mixed_test.yml", &promtool, &code, "ours")
            .unwrap()
            .contains("exit code: promtool Some(1), ours Some(2)")
    );
    let success = Run {
        code: Some(0),
        stdout: "Unit Testing:  mixed_test.yml\n  SUCCESS\n\n".to_string(),
        stderr: String::new(),
    };
    let report = compare("mixed_test.yml", &promtool, &success, "ours").unwrap();
    assert!(
        report.contains("verdict: promtool Failed, ours Success"),
        "{report}"
    );

    // A block missing, the others the same.
    let mut fewer = mixed_run();
    fewer.stdout = "Unit Testing:  mixed_test.yml\n\n\n\n".to_string();
    fewer.stderr = format!("  FAILED:\n{}\n{}\n", blocks[0], blocks[1]);
    let report = compare("mixed_test.yml", &promtool, &fewer, "ours").unwrap();
    assert!(report.contains("promtool 3, ours 2"), "{report}");
}
