//! `promgen-cli backfill`: a config's whole history as an OpenMetrics file for
//! `promtool tsdb create-blocks-from openmetrics`.

use crate::common::{RangeFlags, Selection, load_config, time_range};
use anyhow::{Context, anyhow, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use promgen::{
    backfill::{BackfillStats, write_openmetrics},
    config::Streams,
    time::now_ms,
};
use std::{
    fs::File,
    io::{BufWriter, IsTerminal, Write},
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

/// Write a config's series over a time range as an OpenMetrics file, to load into Prometheus
/// with `promtool tsdb create-blocks-from openmetrics`.
///
/// Every series is run from --from to --to, one sample every --interval, as fast as the disk
/// takes it; the samples carry their timestamps (to the millisecond). Without --config, the
/// built-in demo set is written: a counter, a gauge and a histogram (examples/demo-serve.yaml).
///
/// The file is written next to --out under a temporary name and renamed when complete, so a
/// failure never leaves a partial file. Progress and a summary go to stderr (the progress bar
/// only on a terminal), then the promtool command that loads the file.
///
/// OpenMetrics text cannot carry stale markers (a particular NaN that the text `NaN` does not
/// reproduce), so they are left out: a series that ends, or a `stale` in a shape, simply has
/// no more samples, and Prometheus keeps returning its last value for the lookback (5m). A
/// missing scrape (`_`, null) is no sample, as everywhere.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  promgen-cli backfill --from -6h --to -1h --out demo.om
  promgen-cli backfill --config examples/demo.yaml --out demo.om
  promgen-cli backfill --config app.yaml --from 2024-01-01T00:00:00Z --to 2024-01-08T00:00:00Z --interval 1m --out app.om
  promgen-cli backfill --config app.yaml --from -1d --to -3h --out - | gzip > app.om.gz

Then, to load the file into a Prometheus data directory:
  promtool tsdb create-blocks-from openmetrics demo.om data
and start Prometheus on it (--storage.tsdb.path=data), or move the new blocks into the data
directory of a running one. Prometheus deletes blocks older than its retention
(--storage.tsdb.retention.time, 15d by default) counted back from its newest data, and
promtool advises against backfilling the last 3 hours into a running Prometheus, whose head
block still covers them.")]
pub struct BackfillArgs {
    /// The YAML config whose series to write [default: the built-in demo set].
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    selection: Selection,
    /// The first sample's time: RFC 3339, Unix seconds, `now` or an offset like -6h
    /// [default: the config's startTime, else now].
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    from: Option<String>,
    /// The end of the range (inclusive): the same forms as --from [default: the config's
    /// endTime or scrapesCount; one of them is needed].
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    to: Option<String>,
    /// Where the series' tick 0 is (tick i at anchor + i × interval), so that files over
    /// different ranges continue the same series: the same forms as --from [default: the
    /// range's start].
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    anchor: Option<String>,
    /// Time between samples, a Prometheus duration like 15s, 1m30s or 1500ms [default: the
    /// config's scrapeInterval, else 15s].
    #[arg(long, value_name = "DURATION")]
    interval: Option<String>,
    /// The file to write; `-` writes to stdout.
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    /// Print nothing but errors: no progress bar, no summary, no promtool command.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: &BackfillArgs) -> anyhow::Result<ExitCode> {
    let now = now_ms();
    let config = match load_config(args.config.as_deref(), &args.selection)? {
        Ok((config, _)) => config,
        Err(code) => return Ok(code),
    };
    let flags = RangeFlags {
        from: args.from.as_deref(),
        to: args.to.as_deref(),
        interval: args.interval.as_deref(),
        anchor: args.anchor.as_deref(),
    };
    let range = time_range(&flags, &config.scraper, now)?;
    let scraper = range.scraper;
    if scraper.tick_count().is_none() {
        bail!(
            "the time range has no end: give --to TIME, or endTime or scrapesCount in the config's scraper"
        );
    }
    // Each series draws every tick: its random streams keep their current block.
    let streams = Streams::for_writing(config.series_count());
    let mut registry = config
        .clone()
        .into_registry_with(streams)
        .context("cannot build the series")?;
    range.join(&mut registry)?;

    let progress = progress_bar(registry.len() as u64, args.quiet);
    let started = Instant::now();
    let mut write = |mut out: &mut dyn Write| {
        write_openmetrics(&mut registry, &scraper, &mut out, |done| {
            progress.set_position(done);
        })
        // Its message holds its cause already: no chain, or `{:#}` repeats the cause.
        .map_err(|e| anyhow!("{e}"))
    };
    let to_stdout = args.out.as_os_str() == "-";
    let stats = if to_stdout {
        let mut stdout = std::io::stdout().lock();
        write(&mut stdout)
    } else {
        write_atomically(&args.out, write)
    };
    // Cleared before any error is printed.
    progress.finish_and_clear();
    let stats = stats?;

    if !args.quiet {
        eprintln!("{}", summary(&stats, started.elapsed()));
        let file = if to_stdout {
            "FILE".to_owned()
        } else {
            shell_quote(&args.out.display().to_string())
        };
        eprintln!("load it into a Prometheus data directory with:");
        eprintln!("  promtool tsdb create-blocks-from openmetrics {file} data");
    }
    Ok(ExitCode::SUCCESS)
}

/// A bar over the series done, on stderr when it is a terminal and not `quiet`.
fn progress_bar(series: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(series), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} series")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// One line: what was written, how long it took and how fast.
fn summary(stats: &BackfillStats, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        stats.samples as f64 / seconds
    } else {
        0.0
    };
    format!(
        "wrote {} series, {} samples, {} bytes in {seconds:.3}s ({rate:.0} samples/s)",
        stats.series, stats.samples, stats.bytes
    )
}

/// Writes `path` through a temporary file in the same directory, renamed over `path` once
/// `write` has succeeded and the data is on disk; on any failure the temporary file is
/// removed and `path` is left as it was.
fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let name = path
        .file_name()
        .with_context(|| format!("--out {}: not a file name", path.display()))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let temp = Temp(dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    )));
    let file = File::create(&temp.0).with_context(|| {
        format!(
            "cannot write {} (through the temporary file {})",
            path.display(),
            temp.0.display()
        )
    })?;
    let mut out = BufWriter::with_capacity(256 * 1024, file);
    let value = write(&mut out).with_context(|| format!("writing {}", path.display()))?;
    let file = out
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("writing {}", path.display()))?;
    file.sync_all()
        .with_context(|| format!("writing {}", path.display()))?;
    std::fs::rename(&temp.0, path)
        .with_context(|| format!("cannot rename {} to {}", temp.0.display(), path.display()))?;
    std::mem::forget(temp);
    Ok(value)
}

/// A temporary file, removed on drop.
struct Temp(PathBuf);

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `text` as one word for a POSIX shell: as it is when that is safe, else single-quoted.
fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./+=:,@%".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(shell_quote("out/demo.om"), "out/demo.om");
        assert_eq!(shell_quote("my file.om"), "'my file.om'");
        assert_eq!(shell_quote("it's.om"), r"'it'\''s.om'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn a_failed_write_leaves_neither_the_file_nor_the_temporary_one() {
        let dir =
            std::env::temp_dir().join(format!("promgen-backfill-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.om");
        let err = write_atomically(&path, |out| -> anyhow::Result<()> {
            out.write_all(b"half")?;
            bail!("disk on fire")
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("disk on fire"), "{err:#}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        write_atomically(&path, |out| Ok(out.write_all(b"whole")?)).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "whole");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.om"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
