//! `promgen-cli preview`: print every sample a config or a notation produces.

use crate::format::{self, Format};
use anyhow::{Context, bail};
use clap::Args;
use promgen::{
    Labels, MetricType, Scraper, Series, Stop,
    config::{Config, LoadError, ScraperConfig},
    notation::Notation,
    shape::Point,
    stale_nan,
    time::{now_ms, parse_duration, parse_time},
};
use std::{io::Write, path::PathBuf, process::ExitCode};

/// Scrapes shown when neither `--count` nor the config sets a limit.
const DEFAULT_COUNT: u64 = 10;
/// The most values (scrapes × series) a preview holds; more is a mistake, not a preview.
const MAX_VALUES: u64 = 20_000_000;

/// Print the samples of a config's series, or of one series in promtool notation.
///
/// A missing scrape prints nothing (no row in csv, an empty cell in the table); a stale marker
/// prints `stale`. Times are milliseconds since the Unix epoch (csv, json) or RFC 3339 (table).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  promgen-cli preview --config examples/demo.yaml\n  promgen-cli preview --config examples/demo.yaml --format chart --count 60\n  promgen-cli preview --values '0.1+0.7x3' --start 0 --interval 1m --format csv\n  promgen-cli preview --values '1 _ 3 stale' --name up --format json"
)]
pub struct PreviewArgs {
    /// A YAML config whose series to preview.
    #[arg(
        long,
        short,
        value_name = "FILE",
        required_unless_present = "values",
        conflicts_with = "values"
    )]
    config: Option<PathBuf>,
    /// One series in promtool notation, e.g. '0+10x100 _x5 stale'.
    #[arg(long, value_name = "NOTATION", allow_hyphen_values = true)]
    values: Option<String>,
    /// The metric name of the --values series.
    #[arg(long, default_value = "series", requires = "values")]
    name: String,
    /// How many scrapes to show [default: the config's count or end time, else 10].
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
    let (series, scraper_config) = match (&args.config, &args.values) {
        (Some(path), _) => match Config::from_file(path) {
            Ok(config) => (config.build_series(), config.scraper),
            Err(LoadError::Invalid(errors)) => {
                for e in errors.errors() {
                    eprintln!("{e}");
                }
                return Ok(ExitCode::FAILURE);
            }
            Err(e) => return Err(e.into()),
        },
        (None, Some(text)) => {
            let notation =
                Notation::parse(text).with_context(|| format!("invalid --values {text:?}"))?;
            let labels =
                Labels::new(&args.name, [] as [(&str, &str); 0]).context("invalid --name")?;
            let series = Series::new(
                labels,
                MetricType::Gauge,
                Box::new(notation) as promgen::shape::DynShape,
            );
            (vec![series], ScraperConfig::default())
        }
        (None, None) => bail!("give --config FILE or --values NOTATION"),
    };
    let scraper = scraper(args, &scraper_config, now)?;
    let values = scraper
        .tick_count()
        .unwrap_or(u64::MAX)
        .saturating_mul(series.len() as u64);
    if values > MAX_VALUES {
        bail!(
            "{} scrapes of {} series is more than a preview shows (at most {MAX_VALUES} values); lower --count",
            scraper.tick_count().unwrap_or(u64::MAX),
            series.len()
        );
    }
    let preview = collect(series, &scraper);
    let mut out = std::io::stdout().lock();
    format::write(&mut out, args.format, &preview)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The config's scraper with the command line's overrides, limited to a finite count.
fn scraper(args: &PreviewArgs, config: &ScraperConfig, now: i64) -> anyhow::Result<Scraper> {
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
        (None, None) => Stop::Count(DEFAULT_COUNT),
    };
    Scraper::new(scraper.start_ms(), scraper.interval_ms(), stop)
        .context("invalid scraper settings")
}

/// Runs every series over the scraper's ticks, stopping at the first tick where all have ended.
pub fn collect(mut series: Vec<Series>, scraper: &Scraper) -> Preview {
    let mut ticks = Vec::new();
    let mut columns: Vec<Vec<Option<f64>>> = vec![Vec::new(); series.len()];
    for tick in scraper.ticks() {
        let points: Vec<Point> = series.iter_mut().map(|s| s.next_point(tick)).collect();
        if points.iter().all(|p| *p == Point::End) {
            break;
        }
        ticks.push(tick.timestamp_ms);
        for (point, column) in points.into_iter().zip(&mut columns) {
            column.push(match point {
                Point::Value(v) => Some(v),
                Point::Stale => Some(stale_nan()),
                Point::Missing | Point::End => None,
            });
        }
    }
    // A series can end before the last tick of the others: its trailing cells are empty.
    let series = series
        .into_iter()
        .zip(columns)
        .map(|(s, values)| PreviewSeries {
            labels: s.labels().clone(),
            metric_type: s.metric_type(),
            values,
        })
        .collect();
    Preview { ticks, series }
}
