//! `promgen-cli preview`: print every sample a config or a notation produces.

use crate::common::{Selection, excerpt};
use crate::format::{self, Format};
use anyhow::{Context, bail};
use clap::Args;
use promgen::{
    Labels, MetricType, Scraper, Stop,
    config::{LoadError, ScraperConfig},
    dsl,
    notation::Notation,
    registry::{Registry, SeriesDef, WireSeries},
    shape::{DynShape, Point},
    stale_nan,
    time::{now_ms, parse_duration, parse_time},
};
use std::{collections::HashMap, io::Write, path::PathBuf, process::ExitCode};

/// Without `--count` or a limit in the config, a preview shows the whole shape when it ends
/// within this many scrapes…
const WHOLE_SHAPE_LIMIT: u64 = 1_000;
/// …and otherwise this many scrapes of it.
const DEFAULT_COUNT: usize = 10;
/// The most values (scrapes × series) a preview holds; more is a mistake, not a preview.
const MAX_VALUES: u64 = 20_000_000;

/// Print the samples of a config's series, or of one series in promtool notation.
///
/// A histogram or summary shows what a scrape exposes: its buckets (or quantiles), sum and
/// count, each scrape drawing `perScrape` observations, the numbers serve, write and backfill
/// give. A missing scrape prints nothing (no row in csv, an empty cell in the table); a stale marker
/// prints `stale`. Times are milliseconds since the Unix epoch (csv, json) or RFC 3339 (table).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  promgen-cli preview --config examples/demo.yaml\n  promgen-cli preview --config examples/demo.yaml --format chart --count 60\n  promgen-cli preview --config examples/latency.yaml --format values\n  promgen-cli preview --values '0.1+0.7x3' --start 0 --interval 1m --format csv\n  promgen-cli preview --values '1 _ 3 stale' --name up --format json\n  promgen-cli preview --series 'linear(0..=10, 5) x 2 >> [1, _, stale]' --start 0 --format csv"
)]
pub struct PreviewArgs {
    /// A YAML config whose series to preview.
    #[arg(long, short, value_name = "FILE", required_unless_present_any = ["values", "series"], conflicts_with_all = ["values", "series"])]
    config: Option<PathBuf>,
    #[command(flatten)]
    selection: Selection,
    /// One series in promtool notation, e.g. '0+10x100 _x5 stale'.
    #[arg(
        long,
        value_name = "NOTATION",
        allow_hyphen_values = true,
        conflicts_with = "series"
    )]
    values: Option<String>,
    /// One series in the series DSL, e.g. 'linear(0..=10, 5) x 2 >> [1, _, stale]'.
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    series: Option<String>,
    /// The metric name of the --values or --series series.
    #[arg(long, default_value = "series")]
    name: String,
    /// How many scrapes to show [default: the config's count or end time; else the whole
    /// shape when it ends within 1000 scrapes; else 10].
    #[arg(long, short = 'n', value_name = "N")]
    count: Option<u64>,
    /// First scrape: RFC 3339, Unix seconds, `now` or an offset like -2h [default: the config's, else now].
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    start: Option<String>,
    /// Time between scrapes, a Prometheus duration like 15s or 1m30s [default: the config's, else 15s].
    #[arg(long, value_name = "DURATION")]
    interval: Option<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// What a preview shows: the scrape times, and each series' value at each of them.
pub struct Preview {
    /// Timestamps of the scrapes, in milliseconds.
    pub ticks: Vec<i64>,
    /// The series, in config order.
    pub series: Vec<PreviewSeries>,
    /// Whether every series ended within the scrapes shown.
    pub all_ended: bool,
}

impl Preview {
    /// Keeps the first `n` scrapes.
    fn truncate(&mut self, n: usize) {
        self.ticks.truncate(n);
        for s in &mut self.series {
            s.values.truncate(n);
        }
    }
}

/// One series in a preview.
pub struct PreviewSeries {
    pub labels: Labels,
    pub metric_type: MetricType,
    /// One cell per tick: the value (stale markers included), or `None` for no sample.
    pub values: Vec<Option<f64>>,
}

pub fn run(args: &PreviewArgs) -> anyhow::Result<ExitCode> {
    let now = now_ms();
    let one = |shape: DynShape, text: &str| -> anyhow::Result<Registry> {
        let labels = Labels::new(&args.name, [] as [(&str, &str); 0]).context("invalid --name")?;
        let mut registry = Registry::default();
        registry.add(SeriesDef::new(labels, MetricType::Gauge, shape, text))?;
        Ok(registry)
    };
    let (registry, scraper_config) = match (&args.config, &args.values, &args.series) {
        (Some(path), ..) => match args.selection.load(path) {
            Ok(config) => (
                config.build_registry().context("cannot build the series")?,
                config.scraper,
            ),
            Err(LoadError::Invalid(errors)) => {
                for e in errors.errors() {
                    eprintln!("{e}");
                }
                return Ok(ExitCode::FAILURE);
            }
            Err(e) => return Err(e.into()),
        },
        (None, Some(text), _) => {
            let notation = Notation::parse(text)
                .with_context(|| format!("invalid --values {}", excerpt(text)))?;
            (one(Box::new(notation), text)?, ScraperConfig::default())
        }
        (None, None, Some(text)) => {
            let spec =
                dsl::parse(text).with_context(|| format!("invalid --series {}", excerpt(text)))?;
            (one(spec.build(), text)?, ScraperConfig::default())
        }
        (None, None, None) => bail!("give --config FILE, --values NOTATION or --series EXPR"),
    };
    let (scraper, whole_shape) = scraper(args, &scraper_config, now)?;
    let series = registry.wire_series().len() as u64;
    let values = scraper
        .tick_count()
        .unwrap_or(u64::MAX)
        .saturating_mul(series);
    if values > MAX_VALUES {
        bail!(
            "{} scrapes of {series} series is more than a preview shows (at most {MAX_VALUES} values); lower --count",
            scraper.tick_count().unwrap_or(u64::MAX),
        );
    }
    let mut preview = collect(registry, &scraper, MAX_VALUES)?;
    if whole_shape && !preview.all_ended {
        preview.truncate(DEFAULT_COUNT);
    }
    let mut out = std::io::stdout().lock();
    match format::write(&mut out, args.format, &preview).and_then(|()| out.flush()) {
        // `preview … | head`: the reader has all it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e.into()),
        Ok(()) => Ok(ExitCode::SUCCESS),
    }
}

/// The config's scraper with the command line's overrides, limited to a finite count, and
/// whether the limit is the whole-shape default.
fn scraper(
    args: &PreviewArgs,
    config: &ScraperConfig,
    now: i64,
) -> anyhow::Result<(Scraper, bool)> {
    let mut config = config.clone();
    if let Some(start) = &args.start {
        parse_time(start, now).with_context(|| "invalid --start")?;
        config.start.clone_from(start);
    }
    if let Some(interval) = &args.interval {
        config.interval_ms = parse_duration(interval).context("invalid --interval")?;
    }
    let scraper = Scraper::new(
        parse_time(&config.start, now)?,
        config.interval_ms,
        Stop::Count(1), // replaced below
    )
    .context("invalid scraper settings")?;
    let stop = match (args.count, config.end.as_deref()) {
        (Some(0), _) => bail!("--count must be at least 1"),
        (Some(n), _) => Stop::Count(n),
        (None, Some(end)) => Stop::Until(parse_time(end, now)?),
        (None, None) if config.count > 0 => Stop::Count(config.count),
        (None, None) => Stop::Count(WHOLE_SHAPE_LIMIT),
    };
    let whole_shape = stop == Stop::Count(WHOLE_SHAPE_LIMIT) && args.count.is_none();
    let scraper = Scraper::new(scraper.start_ms(), scraper.interval_ms(), stop).with_context(|| {
        if whole_shape {
            format!("invalid scraper settings (without --count, a preview looks {WHOLE_SHAPE_LIMIT} scrapes ahead)")
        } else {
            "invalid scraper settings".to_owned()
        }
    })?;
    Ok((scraper, whole_shape))
}

/// Runs every series over the scraper's ticks, as a scrape exposes them (a histogram's
/// buckets, sum and count; a summary's quantiles, sum and count), stopping at the first tick
/// where all have ended. The registry's one reading of a tick ([`Registry::step`]) is what
/// `serve`, `write` and `backfill` use too, so the numbers are theirs. Refused when the
/// table would hold more than `max_values` cells (churn adds columns as it goes).
pub fn collect(
    mut registry: Registry,
    scraper: &Scraper,
    max_values: u64,
) -> anyhow::Result<Preview> {
    let mut ticks = Vec::new();
    let mut all_ended = false;
    // A column per series; a churning slot is one series after another, so each wire
    // series' column is looked up by its labels whenever they change.
    let mut series: Vec<(WireSeries, Vec<Option<f64>>)> = Vec::new();
    let mut by_labels: HashMap<Labels, usize> = HashMap::new();
    let mut column_of: Vec<usize> = Vec::new();
    for tick in scraper.ticks() {
        let ts = tick.timestamp_ms;
        if registry.churn_to(ts, |_, _| {}) || column_of.is_empty() {
            column_of = registry
                .wire_series()
                .into_iter()
                .map(|w| {
                    *by_labels.entry(w.labels.clone()).or_insert_with(|| {
                        series.push((w, vec![None; ticks.len()]));
                        series.len() - 1
                    })
                })
                .collect();
        }
        let mut row = vec![None; series.len()];
        let running = registry.step(ts, |i, point| {
            row[column_of[i]] = match point {
                Point::Value(v) => Some(v),
                Point::Stale => Some(stale_nan()),
                // An ended series has no more samples: its trailing cells stay empty.
                Point::Missing | Point::End => None,
            };
        });
        if !running {
            all_ended = true;
            break;
        }
        // The count checked before the run is of the series at the start; a churning entry
        // adds a column for each series that replaces another, and every column is as long
        // as the preview.
        let cells = (series.len() as u64).saturating_mul(ticks.len() as u64 + 1);
        if cells > max_values {
            bail!(
                "{} scrapes of {} series (churn replaced series, each a column of its own) is more than a preview shows (at most {max_values} values); lower --count",
                ticks.len() + 1,
                series.len(),
            );
        }
        ticks.push(ts);
        for ((_, column), cell) in series.iter_mut().zip(row) {
            column.push(cell);
        }
    }
    let series = series
        .into_iter()
        .map(|(w, values)| PreviewSeries {
            labels: w.labels,
            metric_type: w.metric_type,
            values,
        })
        .collect();
    Ok(Preview {
        ticks,
        series,
        all_ended,
    })
}
