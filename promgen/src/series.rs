//! A named series: labels, a type, and the shape that produces its values.

use crate::{
    Labels, MetricType, Sample, Scraper, Tick,
    sample::stale_nan,
    shape::{DynShape, Point, SeedSeq, Shape},
};

/// A time series: its identity (labels), its type, and the shape that produces its samples.
///
/// Creating a series seeds every random shape in it that has no explicit seed from a hash of
/// the labels, so the same labels give the same numbers on every machine and every run.
///
/// ```
/// use promgen::{Labels, MetricType, Scraper, Series, Stop, shape::linear};
/// let labels = Labels::new("requests_total", [("code", "200")])?;
/// let mut series = Series::new(labels, MetricType::Counter, linear(0.0, 30.0, 4));
/// let scraper = Scraper::new(0, 60_000, Stop::Count(0))?;
/// let values: Vec<f64> = series.samples(&scraper).map(|s| s.value).collect();
/// assert_eq!(values, [0.0, 10.0, 20.0, 30.0]); // the shape ends, so the samples end
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Series<S = DynShape> {
    labels: Labels,
    metric_type: MetricType,
    help: Option<String>,
    shape: S,
    ended: bool,
}

impl<S: Shape> Series<S> {
    /// A series with these labels, type and shape.
    pub fn new(labels: Labels, metric_type: MetricType, mut shape: S) -> Self {
        shape.seed_from(&mut SeedSeq::new(labels.stable_hash()));
        Self {
            labels,
            metric_type,
            help: None,
            shape,
            ended: false,
        }
    }

    /// The same series with a HELP text.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The labels, `__name__` included.
    #[must_use]
    pub const fn labels(&self) -> &Labels {
        &self.labels
    }

    /// The metric type.
    #[must_use]
    pub const fn metric_type(&self) -> MetricType {
        self.metric_type
    }

    /// The HELP text, if any.
    #[must_use]
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// Whether the shape has ended (no more samples will come).
    #[must_use]
    pub const fn is_ended(&self) -> bool {
        self.ended
    }

    /// The point at `tick`: advances the shape one step.
    pub fn next_point(&mut self, tick: Tick) -> Point {
        if self.ended {
            return Point::End;
        }
        let p = self.shape.next_point(tick);
        self.ended = p == Point::End;
        p
    }

    /// The sample at `tick`, if the shape yields one (a stale marker is a sample).
    pub fn next_sample(&mut self, tick: Tick) -> Option<Sample> {
        match self.next_point(tick) {
            Point::Value(v) => Some(Sample::new(tick.timestamp_ms, v)),
            Point::Stale => Some(Sample::new(tick.timestamp_ms, stale_nan())),
            Point::Missing | Point::End => None,
        }
    }

    /// The samples over the scraper's ticks, until the scraper stops or the shape ends.
    pub fn samples<'a>(&'a mut self, scraper: &Scraper) -> SeriesSamples<'a, S> {
        SeriesSamples {
            series: self,
            ticks: Box::new(scraper.ticks()),
        }
    }
}

/// Iterator over a series' samples, from [`Series::samples`].
pub struct SeriesSamples<'a, S> {
    series: &'a mut Series<S>,
    ticks: Box<dyn Iterator<Item = Tick>>,
}

impl<S: Shape> Iterator for SeriesSamples<'_, S> {
    type Item = Sample;

    fn next(&mut self) -> Option<Sample> {
        loop {
            let tick = self.ticks.next()?;
            match self.series.next_point(tick) {
                Point::Value(v) => return Some(Sample::new(tick.timestamp_ms, v)),
                Point::Stale => return Some(Sample::stale(tick.timestamp_ms)),
                Point::Missing => {}
                Point::End => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Stop,
        shape::{ShapeExt, gap, uniform},
    };

    #[test]
    fn gaps_are_skipped_and_stale_markers_kept() {
        let shape = gap(1).then(crate::shape::values(vec![
            crate::shape::Value::Num(1.0),
            crate::shape::Value::Stale,
        ]));
        let mut s = Series::new(
            Labels::new("m", [] as [(&str, &str); 0]).unwrap(),
            MetricType::Gauge,
            shape,
        );
        let scraper = Scraper::new(0, 10, Stop::Count(10)).unwrap();
        let samples: Vec<_> = s.samples(&scraper).collect();
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0], Sample::new(10, 1.0));
        assert!(samples[1].is_stale() && samples[1].timestamp_ms == 20);
        assert!(s.is_ended());
        assert_eq!(s.next_sample(Tick::new(9, 90)), None);
    }

    #[test]
    fn labels_seed_the_random_shapes() {
        let run = |job: &str| {
            let labels = Labels::new("m", [("job", job)]).unwrap();
            let mut s = Series::new(labels, MetricType::Gauge, uniform(0.0, 1.0).take(5));
            let scraper = Scraper::new(0, 1, Stop::Count(0)).unwrap();
            s.samples(&scraper).map(|x| x.value).collect::<Vec<_>>()
        };
        assert_eq!(run("a"), run("a"));
        assert_ne!(run("a"), run("b"));
    }
}
