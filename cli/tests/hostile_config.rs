//! Hostile configs and flags, given to the real `promgen-cli` (issue #12 items 2, 3, 8, 9):
//! each is refused with a located message that says what is wrong, before it costs memory.
//! Where memory is the point, the child runs under `ulimit -v`: a run that would allocate
//! more dies instead of passing.

mod support;

use std::{
    path::PathBuf,
    process::{Command, Output},
    time::{Duration, Instant},
};
use support::prometheus::TempDir;

/// The most virtual memory a `check` may use here, in KiB: a few times what it needs.
const MEMORY_KIB: u32 = 200 * 1024;

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(args)
        .output()
        .expect("run promgen-cli")
}

/// `promgen-cli ARGS` with its address space limited to `kib`.
fn cli_within(kib: u32, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(args)
        .output()
        .expect("run promgen-cli under ulimit")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `bytes` as the file `name` in `dir`.
fn file(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn check_refuses_reserved_labels_and_names_that_clash_once_exposed() {
    let dir = TempDir::new("hostile-config");
    let config = file(
        &dir,
        "names.yaml",
        b"\
metrics:
  - name: hle
    type: histogram
    buckets: [1]
    timeseries:
      - labels: {le: '0.1'}
        observations: '0.5'
  - name: squantile
    type: summary
    timeseries:
      - labels: {quantile: '1'}
        observations: '0.5'
  - name: hcoll
    type: histogram
    timeseries:
      - observations: '0.5'
  - name: hcoll_bucket
    timeseries:
      - labels: {le: '1'}
        values: '1'
  - name: ccoll
    type: counter
    timeseries:
      - values: '1'
  - name: ccoll_total
    type: counter
    timeseries:
      - labels: {x: y}
        values: '1'
",
    );
    let out = cli(&["check", "--config", config.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let file = config.to_str().unwrap();
    let expected = [
        format!(
            "{file}:6:18: metrics[0].timeseries[0].labels.le: label `le` is reserved in a histogram"
        ),
        format!(
            "{file}:11:18: metrics[1].timeseries[0].labels.quantile: label `quantile` is reserved in a summary"
        ),
        format!(
            "{file}:17:11: metrics[3].name: metric `hcoll_bucket` clashes with metric `hcoll` at {file}:13:11 (metrics[2].name): `hcoll_bucket` is both the buckets of the histogram `hcoll` and the name of the gauge `hcoll_bucket`"
        ),
        format!(
            "{file}:25:11: metrics[5].name: metric `ccoll_total` clashes with metric `ccoll` at {file}:21:11 (metrics[4].name): "
        ),
        format!("{file}: 4 errors"),
    ];
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{err}");
    for (line, want) in lines.iter().zip(&expected) {
        assert!(line.starts_with(want.as_str()), "{line}\nwanted {want}");
    }
}

#[test]
fn check_reads_a_stream_only_up_to_the_limit() {
    let start = Instant::now();
    let out = cli_within(MEMORY_KIB, &["check", "--config", "/dev/zero"]);
    assert_eq!(
        stderr(&out),
        "error: /dev/zero: the config is larger than 16 MiB\n"
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn an_alias_bomb_is_refused_without_the_memory_it_would_take() {
    // 10 levels of ten aliases each: 10^10 nodes if expanded, 600 bytes as written.
    let mut yaml = String::from("x:\n  - &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        yaml.push_str(&format!("  - &a{i} [{refs}]\n"));
    }
    yaml.push_str("metrics: []\n");
    let dir = TempDir::new("hostile-config");
    let config = file(&dir, "bomb.yaml", yaml.as_bytes());
    let out = cli_within(MEMORY_KIB, &["check", "--config", config.to_str().unwrap()]);
    // Through `a3` aliases add 12 330 nodes; each `*a3` of `a4` 11 111: the eighth crosses.
    assert_eq!(
        stderr(&out),
        format!(
            "{0}:6:45: aliases expand to more than 100000 nodes\n{0}: 1 error\n",
            config.to_str().unwrap()
        )
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_large_plain_config_is_refused_by_its_size_not_as_an_alias_bomb() {
    // 20 MB of ordinary series and no alias.
    let entry = "  - name: m\n    timeseries:\n      - labels: {instance: host-0001, job: node}\n        values: '0+1x100 _x5 stale'\n";
    let mut yaml = String::from("metrics:\n");
    while yaml.len() < 20_000_000 {
        yaml.push_str(entry);
    }
    let dir = TempDir::new("hostile-config");
    let config = file(&dir, "large.yaml", yaml.as_bytes());
    let out = cli_within(MEMORY_KIB, &["check", "--config", config.to_str().unwrap()]);
    assert_eq!(
        stderr(&out),
        format!(
            "error: {}: the config is larger than 16 MiB\n",
            config.to_str().unwrap()
        )
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn file_errors_give_their_cause_once_and_bad_bytes_their_place() {
    let out = cli(&["check", "--config", "/nonexistent/promgen.yaml"]);
    assert_eq!(
        stderr(&out),
        "error: cannot read /nonexistent/promgen.yaml: No such file or directory (os error 2)\n"
    );
    assert_eq!(out.status.code(), Some(1));
    let dir = TempDir::new("hostile-config");
    let latin1 = file(&dir, "latin1.yaml", b"metrics:\n  - name: x\xff\n");
    for command in ["check", "preview", "serve"] {
        let out = cli(&[command, "--config", latin1.to_str().unwrap()]);
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!(
                "{}:2:12: not valid UTF-8 (byte 0xff)\n",
                latin1.to_str().unwrap()
            )),
            "{command}: {err}"
        );
        assert_eq!(out.status.code(), Some(1), "{command}: {err}");
    }
}

#[test]
fn a_long_flag_is_not_echoed_whole() {
    let values = format!("{}3+3x4-4", "1 ".repeat(30_000));
    let series = format!("[{}] >> lienar(0..1)", vec!["1"; 20_000].join(", "));
    for (flag, text, cause) in [
        (
            "--values",
            &values,
            "column 60006: expected a space between values, found '-'",
        ),
        (
            "--series",
            &series,
            "1:60005: unknown function 'lienar', did you mean 'linear'?",
        ),
    ] {
        let out = cli(&["preview", flag, text]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{flag}");
        let length = text.chars().count();
        let start: String = text.chars().take(64).collect();
        assert_eq!(
            err,
            format!("error: invalid {flag} {start:?}… ({length} characters): {cause}\n"),
            "{flag}"
        );
    }
}
