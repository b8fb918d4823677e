//! The replay against `promtool test rules`: replay a feed, export the replay as a promtool
//! test (the firing alerts of every alerting rule at every evaluation step), and run the
//! real promtool on it.

use promgen_test::{Feed, HarnessError, Prometheus, Timeline};
use std::{
    path::{Path, PathBuf},
    process::Command,
};

pub type Result<T = ()> = std::result::Result<T, HarnessError>;

/// A replayed scenario: its Prometheus, timeline and exported promtool test.
pub struct Run {
    pub timeline: Timeline,
    pub file: PathBuf,
    pub prometheus: Prometheus,
}

/// Replays `feed` over `length` with `rules` (one rule file each) evaluated every `eval`,
/// and exports the replay into `target/tmp/differential/NAME/`.
pub async fn replay(
    name: &str,
    eval: &str,
    rules: &[&str],
    feed: &Feed,
    length: &str,
) -> Result<Run> {
    let mut builder = Prometheus::builder().evaluation_interval(eval);
    for r in rules {
        builder = builder.rules_yaml(*r);
    }
    let prometheus = builder.start().await?;
    let timeline = prometheus.replay(feed, length).await?;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("differential")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let file = prometheus.export_promtool(feed, &timeline, &dir).await?;
    Ok(Run {
        timeline,
        file,
        prometheus,
    })
}

/// `promtool test rules FILE`: whether it passed, and what it printed.
pub fn promtool(file: &Path) -> (bool, String) {
    let out = Command::new("promtool")
        .args(["test", "rules"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!("running promtool (Debian package `prometheus`, see scripts/test.sh): {e}")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Asserts that promtool passes `file`, showing the timeline and promtool's output if not.
#[track_caller]
pub fn assert_promtool_agrees(name: &str, file: &Path, timeline: &Timeline) {
    let (ok, out) = promtool(file);
    assert!(
        ok,
        "{name}: promtool disagrees with the replay ({})\n\n{timeline}\n{out}",
        file.display()
    );
}

/// The scenario: replay, export, and promtool must agree at every evaluation step.
pub async fn agree(
    name: &str,
    eval: &str,
    rules: &[&str],
    feed: &Feed,
    length: &str,
) -> Result<Run> {
    let run = replay(name, eval, rules, feed, length).await?;
    assert_promtool_agrees(name, &run.file, &run.timeline);
    Ok(run)
}

/// Also checks the series as the test wrote them: a copy of the exported file whose
/// `input_series` are `series` in promtool's own notation (what the feed was built from)
/// instead of the samples written out, must pass too. This holds `Feed::notation` to
/// promtool's reading of the same text.
#[track_caller]
pub fn assert_notation_agrees(run: &Run, series: &[(&str, &str)]) {
    let text = std::fs::read_to_string(&run.file).expect("the exported file");
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line == "    input_series:" || line == "    input_series: []" {
            out.push_str("    input_series:\n");
            for (labels, values) in series {
                out.push_str(&format!(
                    "      - series: '{labels}'\n        values: '{values}'\n"
                ));
            }
            skipping = true;
            continue;
        }
        if skipping && line.starts_with("      ") {
            continue;
        }
        skipping = false;
        out.push_str(line);
        out.push('\n');
    }
    let file = run.file.with_file_name("promtool-notation.yml");
    std::fs::write(&file, out).expect("writing the notation copy");
    assert_promtool_agrees("notation as written", &file, &run.timeline);
}

pub fn feed(interval: &str, series: &[(&str, &str)]) -> Result<Feed> {
    let mut feed = Feed::new().interval(interval)?;
    for (labels, values) in series {
        feed = feed.notation(labels, values)?;
    }
    Ok(feed)
}
