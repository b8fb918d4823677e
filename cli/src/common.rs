//! What several subcommands share: the config (or the built-in demo set), the time range
//! from flags over the config's scraper, and the stop signal.

use crate::check::print_errors;
use anyhow::{Context, anyhow, bail};
use promgen::{
    Scraper, Stop,
    config::{Config, LoadError, ScraperConfig},
    time::{parse_duration, parse_time},
};
use std::{path::Path, process::ExitCode};

/// The set used without `--config`.
pub const DEMO: &str = include_str!("../../examples/demo-serve.yaml");

/// Which series of a config to take: at most how many it may expand to, and this instance's
/// part of them.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Selection {
    /// The most series the config may expand to (names and label values may be templates
    /// such as `host-{0..999}`: a guard against a range with a digit too many).
    #[arg(long, value_name = "N", default_value_t = promgen::config::DEFAULT_MAX_SERIES)]
    pub max_series: u64,
    /// Only this instance's part of the series, `I/N` (0 ≤ I < N): N instances given 0/N to
    /// N-1/N hold every series exactly once between them, the same part on every run.
    #[arg(
        long,
        value_name = "I/N",
        env = "PROMGEN_SHARD",
        conflicts_with = "shard_slot"
    )]
    pub shard: Option<promgen::config::Shard>,
    /// The same, counted from 1: `S/N` is part S-1 of N (Docker Swarm's `{{.Task.Slot}}`, in
    /// a service's environment).
    #[arg(long, value_name = "S/N", env = "PROMGEN_SHARD_SLOT", value_parser = slot)]
    pub shard_slot: Option<promgen::config::Shard>,
}

/// `S/N`, 1 ≤ S ≤ N, as part S-1 of N.
pub(crate) fn slot(text: &str) -> Result<promgen::config::Shard, String> {
    let (s, n) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?}: expected S/N, such as 1/4 (the first of four parts)"))?;
    match (s.trim().parse::<u64>(), n.trim().parse::<u64>()) {
        (Ok(s @ 1..), Ok(n)) if s <= n => format!("{}/{n}", s - 1).parse(),
        (Ok(_), Ok(n @ 1..)) => Err(format!("{text:?}: slots run from 1/{n} to {n}/{n}")),
        _ => Err(format!(
            "{text:?}: expected S/N with 1 ≤ S ≤ N, such as 1/4 (the first of four parts)"
        )),
    }
}

impl Selection {
    /// The part asked for, by either flag.
    pub fn part(&self) -> Option<promgen::config::Shard> {
        self.shard.or(self.shard_slot)
    }

    /// The config at `path`, expanded within the limit, its part kept.
    pub fn load(&self, path: &Path) -> Result<Config, LoadError> {
        let mut config = Config::from_file_limited(path, self.max_series)?;
        if let Some(shard) = self.part() {
            config.keep_shard(shard);
        }
        Ok(config)
    }
}

/// The config at `path`, or the demo set, with a description for messages. An invalid
/// config has had its errors printed: `Err(exit code)` then.
pub fn load_config(
    path: Option<&Path>,
    selection: &Selection,
) -> anyhow::Result<Result<(Config, String), ExitCode>> {
    match path {
        Some(path) => match selection.load(path) {
            Ok(config) => Ok(Ok((config, path.display().to_string()))),
            Err(LoadError::Invalid(errors)) => {
                print_errors(&path.display().to_string(), &errors);
                Ok(Err(ExitCode::FAILURE))
            }
            Err(e) => Err(e.into()),
        },
        None => Ok(Ok((
            Config::parse(DEMO, "built-in demo set").map_err(|e| anyhow!("{e}"))?,
            "the built-in demo set".to_owned(),
        ))),
    }
}

/// A flag's value for a message: quoted whole when it is short, else its start and its
/// length, so that a mistake in a 60 KB expression does not print all of it (the error
/// itself names the column).
pub fn excerpt(text: &str) -> String {
    const SHOWN: usize = 64;
    let length = text.chars().count();
    if length <= SHOWN {
        format!("{text:?}")
    } else {
        let start: String = text.chars().take(SHOWN).collect();
        format!("{start:?}… ({length} characters)")
    }
}

/// `--from`, `--to`, `--interval` and `--anchor` as given.
pub struct RangeFlags<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub interval: Option<&'a str>,
    pub anchor: Option<&'a str>,
}

/// A run's clock, and how far its series are into their anchored ticks by its first tick.
pub struct TimeRange {
    pub scraper: Scraper,
    /// Where the series' tick 0 is.
    pub anchor_ms: i64,
    /// The ticks the series have had before the run's first.
    pub before: u64,
}

/// The most shape steps a run may spend catching up with its anchor (about a minute).
const MAX_CATCH_UP_STEPS: u128 = 500_000_000;

impl TimeRange {
    /// Brings `registry`'s series to the run's first tick: each steps through the ticks
    /// before it, so a run far from its anchor is refused rather than left to spin.
    pub fn join(&self, registry: &mut promgen::registry::Registry) -> anyhow::Result<()> {
        let steps = u128::from(self.before) * registry.len() as u128;
        if steps > MAX_CATCH_UP_STEPS {
            bail!(
                "the run starts {} ticks after its anchor: catching {} series up to it would take {steps} shape steps (at most {MAX_CATCH_UP_STEPS}); anchor closer to the run",
                self.before,
                registry.len()
            );
        }
        if self.before > 0 {
            registry.fast_forward(self.anchor_ms, self.scraper.interval_ms(), self.before);
        }
        Ok(())
    }
}

/// The config's scraper with the flags on top, times relative to `now`: `--to` wins over
/// `endTime` and `scrapesCount`; a count still counts from `--from`. With `--anchor`, the
/// series' tick i is at anchor + i × interval, and the run starts at the first of those at or
/// after its start, its series caught up to it. Without, the run's start is the anchor:
/// catching up costs a shape step per series and tick, so it is asked for, not assumed from
/// the config's `startTime` (a 2020 start and `--from -1h` would be millions of steps per
/// series).
pub fn time_range(
    flags: &RangeFlags<'_>,
    config: &ScraperConfig,
    now: i64,
) -> anyhow::Result<TimeRange> {
    let time = |flag: &str, text: &str| {
        parse_time(text, now).with_context(|| format!("invalid --{flag} {}", excerpt(text)))
    };
    let configured = || parse_time(&config.start, now).context("invalid startTime in the config");
    let start = match flags.from {
        Some(from) => time("from", from)?,
        // Validated when the config was loaded.
        None => configured()?,
    };
    let interval_ms = match flags.interval {
        Some(interval) => match parse_duration(interval) {
            Ok(ms) if ms > 0 => ms,
            Ok(_) => bail!("invalid --interval {interval:?}: it must be longer than 0"),
            Err(e) => {
                return Err(e).with_context(|| format!("invalid --interval {}", excerpt(interval)));
            }
        },
        None => config.interval_ms,
    };
    let stop = match (flags.to, &config.end) {
        (Some(to), _) => Stop::Until(time("to", to)?),
        (None, Some(end)) => {
            Stop::Until(parse_time(end, now).context("invalid endTime in the config")?)
        }
        (None, None) => Stop::Count(config.count),
    };
    let anchor_ms = match flags.anchor {
        Some(anchor) => time("anchor", anchor)?,
        None => start,
    };
    let (scraper, before) =
        Scraper::anchored(anchor_ms, start, interval_ms, stop).context("invalid time range")?;
    Ok(TimeRange {
        scraper,
        anchor_ms,
        before,
    })
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM. The handlers are installed at once, so
/// a signal sent right after this returns is not missed.
pub fn stop_signal() -> anyhow::Result<impl Future<Output = ()>> {
    let mut signals = Signals::new()?;
    Ok(async move {
        signals.next().await;
    })
}

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM, every time they come. The handlers are installed
/// when this is made: from then on these signals no longer end the process by themselves,
/// and none sent after it is missed.
pub struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Listens from now on. Needs a Tokio runtime.
    pub fn new() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?,
                terminate: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// The next signal, as its number (SIGINT 2, SIGTERM 15: a process that quits because
    /// of it exits with 128 + that).
    pub async fn next(&mut self) -> i32 {
        #[cfg(unix)]
        {
            // `None` only when the runtime is going away: then no signal will come.
            tokio::select! {
                Some(()) = self.interrupt.recv() => 2,
                Some(()) = self.terminate.recv() => 15,
                else => std::future::pending().await,
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            2
        }
    }
}

/// Hands the pages the allocator holds free back to the system, once a config is loaded,
/// and keeps large blocks out of its heap from then on. Expanding a templated config of a
/// million series frees about as much as the registry then holds (the decoded config), and
/// glibc keeps freed small blocks for reuse: without the trim, `serve` of a million series
/// stayed about 230 bytes per series more resident than it uses. A scrape's body is one
/// large block (tens of MB at a million series); glibc's moving threshold would put such
/// blocks in the heap after the first was freed and keep them resident after each scrape,
/// so the threshold is fixed at 1 MiB: larger blocks are mapped and unmapped. Elsewhere
/// than glibc, a no-op.
pub(crate) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: neither call takes a pointer: malloc_trim only returns free memory to the
    // system, mallopt only sets a tunable; every live allocation stays where it is.
    unsafe {
        libc::malloc_trim(0);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
