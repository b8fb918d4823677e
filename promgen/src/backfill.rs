//! Backfill files: a registry's whole history as OpenMetrics text with timestamps, the input
//! of `promtool tsdb create-blocks-from openmetrics`.
//!
//! OpenMetrics wants each family's samples together and each series' samples in time order,
//! so the file goes family by family and series by series; the series are independent, so
//! the values are the same as when they are written time by time (remote write).
//!
//! What text cannot carry: a stale marker is a particular NaN that the text `NaN` does not
//! reproduce, so stale markers (and the end of a series) are left out; a missing point is
//! simply absent, as it is everywhere.

use crate::{Scraper, exposition::Format, exposition::Writer, is_stale, registry::Registry};
use std::io::{self, Write};

/// Why a backfill file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    /// The scraper has no end, so the file would have none.
    #[error("the time range has no end: give an end time or a scrape count")]
    Unbounded,
    /// Writing failed.
    #[error("writing the backfill file: {0}")]
    Io(#[from] io::Error),
}

/// What a backfill file holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackfillStats {
    /// Wire series (a histogram's buckets, sum and count count separately).
    pub series: u64,
    /// Sample lines written.
    pub samples: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Writes every series of `registry` over the ticks of `scraper` as OpenMetrics with
/// timestamps, ending with `# EOF`. `progress` is called after each series with the
/// number of series done so far.
///
/// ```
/// use promgen::{backfill, config::Config, Scraper, Stop};
/// let config = Config::parse("metrics:\n  - name: up\n    timeseries:\n      - values: '1 _ 0'\n", "c.yaml")?;
/// let mut registry = config.build_registry()?;
/// let scraper = Scraper::new(1_700_000_000_000, 15_000, Stop::Count(3))?;
/// let mut out = Vec::new();
/// let stats = backfill::write_openmetrics(&mut registry, &scraper, &mut out, |_| {})?;
/// assert_eq!(String::from_utf8(out)?, "# TYPE up gauge\nup 1 1700000000.000\nup 0 1700000030.000\n# EOF\n");
/// assert_eq!((stats.series, stats.samples), (1, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// An unbounded scraper, or an I/O error from `out`.
pub fn write_openmetrics(
    registry: &mut Registry,
    scraper: &Scraper,
    out: &mut impl Write,
    mut progress: impl FnMut(u64),
) -> Result<BackfillStats, BackfillError> {
    if scraper.tick_count().is_none() {
        return Err(BackfillError::Unbounded);
    }
    let mut stats = BackfillStats::default();
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut members = 0;
    for family in registry.families_mut() {
        let (name, t) = (family.name.as_str(), family.metric_type);
        Writer::new(&mut buf, Format::OpenMetrics).family(name, t, family.help.as_deref());
        for m in &mut family.members {
            let n = m.shared.outputs.len() as u64;
            if !m.churns() {
                stats.series += n;
            }
            for tick in scraper.ticks() {
                // A churning slot is one series after another: each keeps its lines together.
                let moved = m.churn_to(tick.timestamp_ms);
                if !m.present() {
                    continue;
                }
                if moved.relabeled {
                    stats.series += n;
                }
                let (outputs, rendered) = (&m.shared.outputs, &m.labels);
                let mut w = Writer::new(&mut buf, Format::OpenMetrics);
                let mut lines = 0;
                m.cursor.advance(tick.timestamp_ms, |k, v| {
                    if !is_stale(v) {
                        let o = outputs[k];
                        w.sample_at(name, t, o.suffix, rendered, o.extra, v, tick.timestamp_ms);
                        lines += 1;
                    }
                });
                stats.samples += lines;
                if buf.len() >= 60 * 1024 {
                    flush(out, &mut buf, &mut stats)?;
                }
            }
            members += 1;
            progress(members);
        }
    }
    buf.extend_from_slice(b"# EOF\n");
    flush(out, &mut buf, &mut stats)?;
    out.flush()?;
    Ok(stats)
}

fn flush(out: &mut impl Write, buf: &mut Vec<u8>, stats: &mut BackfillStats) -> io::Result<()> {
    out.write_all(buf)?;
    stats.bytes += buf.len() as u64;
    buf.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Stop, config::Config};

    fn file(yaml: &str, count: u64) -> String {
        let mut registry = Config::parse(yaml, "t.yaml")
            .unwrap()
            .build_registry()
            .unwrap();
        let scraper = Scraper::new(1_000, 1_500, Stop::Count(count)).unwrap();
        let mut out = Vec::new();
        write_openmetrics(&mut registry, &scraper, &mut out, |_| {}).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn families_stay_together_and_stale_markers_are_left_out() {
        let yaml = "metrics:
  - name: jobs_total
    type: counter
    help: Jobs done.
    timeseries:
      - labels: {q: a}
        values: '1 2 stale 4'
      - labels: {q: b}
        values: '5 _ 6'
  - name: latency_seconds
    type: histogram
    buckets: [0.5]
    timeseries:
      - observations: '[0.2, 0.7]'
        perScrape: 1
";
        assert_eq!(
            file(yaml, 3),
            "# HELP jobs Jobs done.\n# TYPE jobs counter\n\
             jobs_total{q=\"a\"} 1 1.000\njobs_total{q=\"a\"} 2 2.500\n\
             jobs_total{q=\"b\"} 5 1.000\njobs_total{q=\"b\"} 6 4.000\n\
             # TYPE latency_seconds histogram\n\
             latency_seconds_bucket{le=\"0.5\"} 1 1.000\nlatency_seconds_bucket{le=\"+Inf\"} 1 1.000\nlatency_seconds_sum 0.2 1.000\nlatency_seconds_count 1 1.000\n\
             latency_seconds_bucket{le=\"0.5\"} 1 2.500\nlatency_seconds_bucket{le=\"+Inf\"} 2 2.500\nlatency_seconds_sum 0.8999999999999999 2.500\nlatency_seconds_count 2 2.500\n\
             latency_seconds_bucket{le=\"0.5\"} 1 4.000\nlatency_seconds_bucket{le=\"+Inf\"} 2 4.000\nlatency_seconds_sum 0.8999999999999999 4.000\nlatency_seconds_count 2 4.000\n\
             # EOF\n"
        );
    }

    #[test]
    fn an_unbounded_range_is_refused() {
        let mut registry = Registry::default();
        let scraper = Scraper::new(0, 1_000, Stop::Count(0)).unwrap();
        let err = write_openmetrics(&mut registry, &scraper, &mut Vec::new(), |_| {});
        assert!(matches!(err, Err(BackfillError::Unbounded)));
    }
}
