//! Keeps the README true: every `console` block is run and its output compared, and every
//! `yaml` block must load (one starting `# prometheus.yml` is checked by `promtool check
//! config`, one starting `# a promtool test file` is read as `promgen-cli test` reads it). (The Rust blocks are doctests of the `promgen` crate.)

use promgen::config::Config;
use std::{path::Path, process::Command};

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap()
}

/// The fenced blocks of one language, in order.
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim_start() == format!("```{lang}") => current = Some(String::new()),
            Some(block) if line.trim_start() == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn console_examples_print_what_the_readme_shows() {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut commands = 0;
    for block in blocks(&readme(), "console") {
        // `$ command` lines, each followed by its expected output (stdout and stderr).
        let mut parts: Vec<(String, String)> = Vec::new();
        for line in block.lines() {
            match line.strip_prefix("$ ") {
                Some(cmd) => parts.push((cmd.to_owned(), String::new())),
                None => {
                    let (_, out) = parts.last_mut().expect("a console block starts with `$ `");
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        for (cmd, expected) in parts {
            assert!(
                cmd.starts_with("promgen-cli "),
                "only promgen-cli commands are run: {cmd}"
            );
            let out = Command::new("sh")
                .arg("-c")
                .arg(format!("{cmd} 2>&1"))
                .env("PATH", &path)
                .current_dir(&root)
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                expected,
                "README command: {cmd}"
            );
            commands += 1;
        }
    }
    assert!(commands >= 5, "found only {commands} README commands");
}

#[test]
fn yaml_examples_load() {
    let yaml = blocks(&readme(), "yaml");
    assert!(yaml.len() >= 2);
    let mut prometheus = 0;
    let mut test_files = 0;
    for (i, block) in yaml.iter().enumerate() {
        // A Prometheus config, not a promgen one: promtool checks it.
        if block.starts_with("# prometheus.yml\n") {
            let path =
                std::env::temp_dir().join(format!("promgen-readme-{}-{i}.yml", std::process::id()));
            std::fs::write(&path, block).unwrap();
            let out = Command::new("promtool")
                .arg("check")
                .arg("config")
                .arg(&path)
                .output()
                .expect("promtool is not on PATH: run ./scripts/test.sh, which installs it");
            let _ = std::fs::remove_file(&path);
            assert!(
                out.status.success(),
                "README yaml block {i}: {}{}\n---\n{block}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            prometheus += 1;
            continue;
        }
        // A promtool test file (with promgen's additions): read as `promgen-cli test` reads it.
        if block.starts_with("# a promtool test file") {
            if let Err(errors) =
                promgen_test::promtool::TestFile::parse(block, &format!("README yaml block {i}"))
            {
                let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!("{}\n---\n{block}", shown.join("\n"));
            }
            test_files += 1;
            continue;
        }
        if let Err(e) = Config::parse(block, &format!("README yaml block {i}")) {
            panic!("{e}\n---\n{block}");
        }
    }
    assert_eq!(
        prometheus, 1,
        "the README shows one Prometheus scrape config"
    );
    assert_eq!(test_files, 1, "the README shows one promtool test file");
}
