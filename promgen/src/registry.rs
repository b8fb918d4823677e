//! The set of series a server exposes: families of plain series, histograms and summaries,
//! advanced one tick per scrape and rendered in either exposition format.

use crate::{
    FormatValue, Labels, MetricType, Tick,
    exposition::{Format, RenderedLabels, Writer},
    observe::{Histogram, Summary},
    sample::{is_stale, stale_nan},
    shape::{DynShape, Point},
};

/// What produces a member's samples.
pub enum Source {
    /// A plain series: one value per scrape.
    Series(DynShape),
    /// A histogram family member.
    Histogram(Histogram),
    /// A summary family member.
    Summary(Summary),
}

impl Source {
    /// The series this source puts on the wire, in the order [`Source::advance`] emits them.
    fn outputs(&self) -> Vec<Output> {
        let plain = |suffix| Output {
            suffix,
            extra: None,
        };
        match self {
            Self::Series(_) => vec![plain("")],
            Self::Histogram(h) => h
                .bounds()
                .iter()
                .copied()
                .chain([f64::INFINITY])
                .map(|le| Output {
                    suffix: "_bucket",
                    extra: Some(("le", le)),
                })
                .chain([plain("_sum"), plain("_count")])
                .collect(),
            Self::Summary(s) => s
                .objectives()
                .iter()
                .map(|&q| Output {
                    suffix: "",
                    extra: Some(("quantile", q)),
                })
                .chain([plain("_sum"), plain("_count")])
                .collect(),
        }
    }

    /// Advances one tick and emits `(output index, value)` for each sample it yields; a
    /// stale marker is emitted as [`stale_nan`]. Returns false when the shape has ended.
    fn advance(&mut self, tick: Tick, mut emit: impl FnMut(usize, f64)) -> bool {
        match self {
            Self::Series(shape) => match shape.next_point(tick) {
                Point::Value(v) => emit(0, v),
                Point::Stale => emit(0, stale_nan()),
                Point::Missing => {}
                Point::End => return false,
            },
            Self::Histogram(h) => {
                h.scrape(tick);
                let mut k = 0;
                h.for_each_bucket(|_, c| {
                    emit(k, c as f64);
                    k += 1;
                });
                emit(k, h.sum());
                emit(k + 1, h.count() as f64);
            }
            Self::Summary(s) => {
                s.scrape(tick);
                let mut k = 0;
                for (_, v) in s.quantiles() {
                    emit(k, v);
                    k += 1;
                }
                emit(k, s.sum());
                emit(k + 1, s.count() as f64);
            }
        }
        true
    }

    fn metric_type_fits(&self, t: MetricType) -> bool {
        match self {
            Self::Series(_) => !matches!(t, MetricType::Histogram | MetricType::Summary),
            Self::Histogram(_) => t == MetricType::Histogram,
            Self::Summary(_) => t == MetricType::Summary,
        }
    }
}

/// A series to add: its identity, its family's type and help, and its source.
pub struct SeriesDef {
    /// Labels, `__name__` included.
    pub labels: Labels,
    /// The family's type.
    pub metric_type: MetricType,
    /// The family's HELP text.
    pub help: Option<String>,
    /// What produces the samples.
    pub source: Source,
    /// How the shape was written, for listings.
    pub description: String,
}

/// Why the registry refused a change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The same name and labels exist already.
    #[error("series {0} already exists (id {1})")]
    Duplicate(String, u64),
    /// The family exists with another type.
    #[error("metric {name} is a {existing}, not a {given}")]
    TypeConflict {
        /// The family.
        name: String,
        /// Its type.
        existing: MetricType,
        /// The type given.
        given: MetricType,
    },
    /// The source does not fit the type (a plain shape for a histogram, say).
    #[error("a {0} needs {1}")]
    SourceMismatch(MetricType, &'static str),
    /// No series has this id.
    #[error("no series with id {0}")]
    NotFound(u64),
}

/// A listed series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesInfo {
    /// Its id, for the control API.
    pub id: u64,
    /// Its labels.
    pub labels: Labels,
    /// Its family's type.
    pub metric_type: MetricType,
    /// Its family's help.
    pub help: Option<String>,
    /// How its shape was written.
    pub description: String,
    /// How many scrapes it has served.
    pub position: u64,
    /// Whether its shape has ended.
    pub ended: bool,
}

/// One series a member puts on the wire: its name suffix and extra label (`le`, `quantile`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Output {
    pub(crate) suffix: &'static str,
    pub(crate) extra: Option<(&'static str, f64)>,
}

/// A member's running state: its source and how far it has got.
pub(crate) struct Cursor {
    source: Source,
    ticks: u64,
    ended: bool,
    /// Whether its last sample was a value, so that a receiver shows it until a stale
    /// marker comes. All of a member's outputs get a sample at the same ticks, so one flag
    /// holds for each of them.
    live: bool,
}

/// What one tick of a member did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// It is running (and may have emitted samples).
    Running,
    /// Its shape ended at this tick: it emitted nothing, and never will again.
    EndedNow,
    /// It had ended before.
    Ended,
}

impl Cursor {
    /// The next tick at `timestamp_ms`, emitting `(output index, value)` per sample.
    pub(crate) fn advance(&mut self, timestamp_ms: i64, mut emit: impl FnMut(usize, f64)) -> Step {
        if self.ended {
            return Step::Ended;
        }
        let tick = Tick::new(self.ticks, timestamp_ms);
        self.ticks += 1;
        let live = &mut self.live;
        let running = self.source.advance(tick, |k, v| {
            *live = !is_stale(v);
            emit(k, v);
        });
        if running {
            Step::Running
        } else {
            self.ended = true;
            Step::EndedNow
        }
    }
}

pub(crate) struct Member {
    id: u64,
    pub(crate) labels: Labels,
    pub(crate) rendered: RenderedLabels,
    pub(crate) outputs: Vec<Output>,
    pub(crate) cursor: Cursor,
    description: String,
}

pub(crate) struct Family {
    pub(crate) name: String,
    pub(crate) help: Option<String>,
    pub(crate) metric_type: MetricType,
    pub(crate) members: Vec<Member>,
}

/// A series as it travels over the wire (remote write, a backfill file): a plain series, or
/// one bucket, the sum or the count of a histogram, one quantile, the sum or the count of a
/// summary.
#[derive(Debug, Clone, PartialEq)]
pub struct WireSeries {
    /// Its full labels: the family name with its suffix (`_bucket`, `_sum`, `_count`), and
    /// `le` or `quantile` where there is one.
    pub labels: Labels,
    /// The family it belongs to.
    pub family: String,
    /// The family's type.
    pub metric_type: MetricType,
    /// The family's HELP text.
    pub help: Option<String>,
    /// Which registry series it comes from, counted from 0 in registry order: the buckets,
    /// sum and count of one histogram share it.
    pub member: usize,
}

/// The series a server exposes.
///
/// ```
/// use promgen::registry::{Registry, SeriesDef, Source};
/// use promgen::{Labels, MetricType, exposition::Format, shape::{linear, ShapeExt}};
/// let mut registry = Registry::default();
/// registry.add(SeriesDef {
///     labels: Labels::new("queue_depth", [("queue", "a")])?,
///     metric_type: MetricType::Gauge,
///     help: Some("Jobs waiting.".into()),
///     source: Source::Series(Box::new(linear(0.0, 10.0, 3))),
///     description: "linear(0..=10, 3)".into(),
/// })?;
/// let mut out = Vec::new();
/// registry.scrape_into(&mut out, Format::Text, 0);
/// registry.scrape_into(&mut out, Format::Text, 15_000);
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.ends_with("queue_depth{queue=\"a\"} 5\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct Registry {
    families: Vec<Family>,
    next_id: u64,
}

impl Registry {
    /// Adds a series and returns its id.
    ///
    /// # Errors
    /// A duplicate series, a family of another type, or a source that does not fit the type.
    pub fn add(&mut self, def: SeriesDef) -> Result<u64, RegistryError> {
        self.check(&def, None)?;
        self.next_id += 1;
        let id = self.next_id;
        self.insert(id, def);
        Ok(id)
    }

    /// Replaces series `id` (its labels, type or shape); it starts again from its first tick.
    ///
    /// # Errors
    /// An unknown id, or what [`Registry::add`] refuses.
    pub fn replace(&mut self, id: u64, def: SeriesDef) -> Result<(), RegistryError> {
        if self.find(id).is_none() {
            return Err(RegistryError::NotFound(id));
        }
        self.check(&def, Some(id))?;
        self.remove(id);
        self.insert(id, def);
        Ok(())
    }

    /// Removes series `id`; false when there is none.
    pub fn remove(&mut self, id: u64) -> bool {
        let Some((f, m)) = self.find(id) else {
            return false;
        };
        self.families[f].members.remove(m);
        if self.families[f].members.is_empty() {
            self.families.remove(f);
        }
        true
    }

    /// Every series, family by family.
    #[must_use]
    pub fn list(&self) -> Vec<SeriesInfo> {
        self.families
            .iter()
            .flat_map(|f| {
                f.members.iter().map(|m| SeriesInfo {
                    id: m.id,
                    labels: m.labels.clone(),
                    metric_type: f.metric_type,
                    help: f.help.clone(),
                    description: m.description.clone(),
                    position: m.cursor.ticks,
                    ended: m.cursor.ended,
                })
            })
            .collect()
    }

    /// One series.
    #[must_use]
    pub fn get(&self, id: u64) -> Option<SeriesInfo> {
        self.list().into_iter().find(|s| s.id == id)
    }

    /// How many series.
    #[must_use]
    pub fn len(&self) -> usize {
        self.families.iter().map(|f| f.members.len()).sum()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.families.is_empty()
    }

    fn find(&self, id: u64) -> Option<(usize, usize)> {
        self.families
            .iter()
            .enumerate()
            .find_map(|(f, fam)| fam.members.iter().position(|m| m.id == id).map(|m| (f, m)))
    }

    fn check(&self, def: &SeriesDef, replacing: Option<u64>) -> Result<(), RegistryError> {
        if !def.source.metric_type_fits(def.metric_type) {
            let need = match def.metric_type {
                MetricType::Histogram => "observations and buckets",
                MetricType::Summary => "observations and objectives",
                _ => "a shape, not observations",
            };
            return Err(RegistryError::SourceMismatch(def.metric_type, need));
        }
        for family in &self.families {
            let others = family.members.iter().filter(|m| Some(m.id) != replacing);
            if family.name == def.labels.name()
                && family.metric_type != def.metric_type
                && others.clone().count() > 0
            {
                return Err(RegistryError::TypeConflict {
                    name: family.name.clone(),
                    existing: family.metric_type,
                    given: def.metric_type,
                });
            }
            if let Some(m) = others.clone().find(|m| m.labels == def.labels) {
                return Err(RegistryError::Duplicate(def.labels.to_string(), m.id));
            }
        }
        Ok(())
    }

    fn insert(&mut self, id: u64, def: SeriesDef) {
        let member = Member {
            id,
            rendered: RenderedLabels::new(&def.labels),
            labels: def.labels,
            outputs: def.source.outputs(),
            cursor: Cursor {
                source: def.source,
                ticks: 0,
                ended: false,
                live: false,
            },
            description: def.description,
        };
        let name = member.labels.name();
        match self.families.iter_mut().find(|f| f.name == name) {
            Some(family) => {
                if def.help.is_some() {
                    family.help = def.help;
                }
                family.members.push(member);
            }
            None => self.families.push(Family {
                name: name.to_owned(),
                help: def.help,
                metric_type: def.metric_type,
                members: vec![member],
            }),
        }
    }

    /// One scrape at `timestamp_ms`: every series advances one tick and those with a sample
    /// are written to `out`. A missing scrape leaves a series out of this response; a stale
    /// marker or an ended shape leaves it out too (Prometheus then marks it stale itself).
    pub fn scrape_into(&mut self, out: &mut Vec<u8>, format: Format, timestamp_ms: i64) {
        let mut w = Writer::new(out, format);
        for family in &mut self.families {
            let (name, t) = (family.name.as_str(), family.metric_type);
            let mut header = false;
            for m in &mut family.members {
                let (outputs, rendered) = (&m.outputs, &m.rendered);
                m.cursor.advance(timestamp_ms, |k, v| {
                    if is_stale(v) {
                        return;
                    }
                    if !header {
                        w.family(name, t, family.help.as_deref());
                        header = true;
                    }
                    let o = outputs[k];
                    w.sample(name, t, o.suffix, rendered, o.extra, v);
                });
            }
        }
        w.finish();
    }

    /// Every series as it goes over the wire, in the order [`Registry::collect`] numbers
    /// them.
    ///
    /// ```
    /// use promgen::registry::{Registry, SeriesDef, Source};
    /// use promgen::{Labels, MetricType, observe::Histogram, shape::constant};
    /// let mut registry = Registry::default();
    /// registry.add(SeriesDef {
    ///     labels: Labels::new("latency_seconds", [("job", "api")])?,
    ///     metric_type: MetricType::Histogram,
    ///     help: None,
    ///     source: Source::Histogram(Histogram::new(Box::new(constant(0.2)), 1, vec![0.5])),
    ///     description: String::new(),
    /// })?;
    /// let names: Vec<String> = registry.wire_series().iter().map(|s| s.labels.to_string()).collect();
    /// assert_eq!(names, [
    ///     r#"latency_seconds_bucket{job="api",le="0.5"}"#,
    ///     r#"latency_seconds_bucket{job="api",le="+Inf"}"#,
    ///     r#"latency_seconds_sum{job="api"}"#,
    ///     r#"latency_seconds_count{job="api"}"#,
    /// ]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn wire_series(&self) -> Vec<WireSeries> {
        let mut out = Vec::new();
        let members = self
            .families
            .iter()
            .flat_map(|f| f.members.iter().map(move |m| (f, m)));
        for (member, (family, m)) in members.enumerate() {
            for o in &m.outputs {
                let name = format!("{}{}", family.name, o.suffix);
                let extra = o
                    .extra
                    .map(|(k, v)| (k.to_owned(), FormatValue(v).to_string()));
                let pairs = m
                    .labels
                    .without_name()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .chain(extra);
                out.push(WireSeries {
                    // The member's labels were valid and `le`/`quantile` are reserved for
                    // these, so this cannot fail; fall back to the member's own labels.
                    labels: Labels::new(&name, pairs).unwrap_or_else(|_| m.labels.clone()),
                    family: family.name.clone(),
                    metric_type: family.metric_type,
                    help: family.help.clone(),
                    member,
                });
            }
        }
        out
    }

    /// One tick at `timestamp_ms` for remote write: every series advances, and each sample
    /// goes to `sink` as `(index into` [`Registry::wire_series`]`, value)`. Unlike a scrape,
    /// a stale marker is a sample ([`stale_nan`]), and a series whose shape ends yields a
    /// stale marker for each of its wire series at that tick, as Prometheus would record
    /// when a scraped series disappears — unless its last sample was a stale marker already
    /// (a shape closed by `end`/`removeTimeSeries`, or ending in `stale`) or it never had
    /// one: one stale marker ends a series. A missing point yields nothing. Returns whether
    /// any series is still running (as [`Registry::all_ended`] would say, without a second
    /// pass over the series).
    ///
    /// ```
    /// use promgen::registry::{Registry, SeriesDef, Source};
    /// use promgen::{Labels, MetricType, is_stale, shape::{values, EndStrategy, ShapeExt, Value}};
    /// let mut registry = Registry::default();
    /// let shape = values(vec![Value::Num(1.0)]).end_with(EndStrategy::RemoveTimeSeries);
    /// registry.add(SeriesDef {
    ///     labels: Labels::new("up", [("job", "a")])?,
    ///     metric_type: MetricType::Gauge,
    ///     help: None,
    ///     source: Source::Series(Box::new(shape)),
    ///     description: "[1] >> end".into(),
    /// })?;
    /// let mut got = Vec::new();
    /// for t in 0..4 {
    ///     registry.collect(t, |_, v| got.push(if is_stale(v) { "stale".to_owned() } else { v.to_string() }));
    /// }
    /// assert_eq!(got, ["1", "stale"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn collect(&mut self, timestamp_ms: i64, mut sink: impl FnMut(usize, f64)) -> bool {
        let mut base = 0;
        let mut running = false;
        for family in &mut self.families {
            for m in &mut family.members {
                let n = m.outputs.len();
                match m.cursor.advance(timestamp_ms, |k, v| sink(base + k, v)) {
                    Step::Running => running = true,
                    Step::EndedNow if m.cursor.live => {
                        m.cursor.live = false;
                        for k in 0..n {
                            sink(base + k, stale_nan());
                        }
                    }
                    Step::EndedNow | Step::Ended => {}
                }
                base += n;
            }
        }
        running
    }

    /// A stale marker for every wire series whose last sample was a value, as
    /// `(index into` [`Registry::wire_series`]`, stale marker)`: what a scrape target that
    /// goes away leaves in Prometheus. A writer that is told to stop sends these.
    ///
    /// ```
    /// use promgen::registry::{Registry, SeriesDef, Source};
    /// use promgen::{Labels, MetricType, shape::constant};
    /// let mut registry = Registry::default();
    /// registry.add(SeriesDef {
    ///     labels: Labels::new("up", [("job", "a")])?,
    ///     metric_type: MetricType::Gauge,
    ///     help: None,
    ///     source: Source::Series(Box::new(constant(1.0))),
    ///     description: "1".into(),
    /// })?;
    /// let count = |r: &mut Registry| { let mut n = 0; r.mark_stale(|_, _| n += 1); n };
    /// assert_eq!(count(&mut registry), 0, "nothing sent yet, nothing to mark");
    /// registry.collect(0, |_, _| {});
    /// assert_eq!(count(&mut registry), 1);
    /// assert_eq!(count(&mut registry), 0, "marked once");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mark_stale(&mut self, mut sink: impl FnMut(usize, f64)) {
        let mut base = 0;
        for family in &mut self.families {
            for m in &mut family.members {
                let n = m.outputs.len();
                if m.cursor.live {
                    m.cursor.live = false;
                    for k in 0..n {
                        sink(base + k, stale_nan());
                    }
                }
                base += n;
            }
        }
    }

    /// Whether every series' shape has ended (none will yield another sample). True for an
    /// empty registry.
    #[must_use]
    pub fn all_ended(&self) -> bool {
        self.families
            .iter()
            .all(|f| f.members.iter().all(|m| m.cursor.ended))
    }

    /// The families and their members, for writers that go series by series (a backfill
    /// file), in the same order as [`Registry::wire_series`].
    pub(crate) fn families_mut(&mut self) -> impl Iterator<Item = &mut Family> {
        self.families.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{ShapeExt, Value, values};

    fn def(name: &str, labels: &[(&str, &str)], t: MetricType, source: Source) -> SeriesDef {
        SeriesDef {
            labels: Labels::new(name, labels.iter().copied()).unwrap(),
            metric_type: t,
            help: None,
            source,
            description: String::new(),
        }
    }

    fn plain(v: &[Value]) -> Source {
        Source::Series(Box::new(values(v.to_vec())))
    }

    fn scrape(r: &mut Registry, format: Format) -> String {
        let mut out = Vec::new();
        r.scrape_into(&mut out, format, 0);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn missing_stale_and_ended_series_leave_the_response() {
        let mut r = Registry::default();
        r.add(def(
            "g",
            &[("a", "1")],
            MetricType::Gauge,
            plain(&[
                Value::Num(1.0),
                Value::Missing,
                Value::Stale,
                Value::Num(4.0),
            ]),
        ))
        .unwrap();
        r.add(def(
            "g",
            &[("a", "2")],
            MetricType::Gauge,
            Source::Series(Box::new(2.0.take(10))),
        ))
        .unwrap();
        let outs: Vec<String> = (0..5).map(|_| scrape(&mut r, Format::Text)).collect();
        assert_eq!(outs[0], "# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"2\"} 2\n");
        assert_eq!(outs[1], "# TYPE g gauge\ng{a=\"2\"} 2\n");
        assert_eq!(outs[2], "# TYPE g gauge\ng{a=\"2\"} 2\n");
        assert_eq!(outs[3], "# TYPE g gauge\ng{a=\"1\"} 4\ng{a=\"2\"} 2\n");
        assert_eq!(outs[4], "# TYPE g gauge\ng{a=\"2\"} 2\n");
        assert!(r.list()[0].ended);
    }

    #[test]
    fn collect_sends_stale_markers_where_scrapes_leave_series_out() {
        let mut r = Registry::default();
        let v = |x| Value::Num(x);
        r.add(def(
            "g",
            &[],
            MetricType::Gauge,
            plain(&[v(1.0), Value::Missing, Value::Stale, v(4.0)]),
        ))
        .unwrap();
        r.add(def(
            "h",
            &[],
            MetricType::Histogram,
            Source::Histogram(Histogram::new(Box::new(values(vec![v(0.2)])), 1, vec![0.5])),
        ))
        .unwrap();
        let wire: Vec<String> = r
            .wire_series()
            .iter()
            .map(|w| w.labels.to_string())
            .collect();
        assert_eq!(
            wire,
            [
                "g",
                "h_bucket{le=\"0.5\"}",
                "h_bucket{le=\"+Inf\"}",
                "h_sum",
                "h_count"
            ]
        );
        let mut ticks = Vec::new();
        for t in 0..6 {
            let mut got = Vec::new();
            let running = r.collect(t, |i, x| {
                got.push((
                    i,
                    if is_stale(x) {
                        "stale".into()
                    } else {
                        x.to_string()
                    },
                ))
            });
            assert_eq!(running, !r.all_ended(), "collect says what all_ended says");
            ticks.push(got);
        }
        let g: Vec<_> = ticks
            .iter()
            .map(|t| {
                t.iter()
                    .filter(|s| s.0 == 0)
                    .map(|s| s.1.as_str())
                    .collect::<Vec<_>>()
            })
            .collect();
        // A value, nothing for a missing point, a stale marker, a value, then the end: one
        // stale marker, then nothing ever again.
        let expected: [&[&str]; 6] = [&["1"], &[], &["stale"], &["4"], &["stale"], &[]];
        assert_eq!(g, expected);
        // The histogram keeps its state once its observations end, and never ends itself.
        assert_eq!(ticks[5].iter().filter(|s| s.0 > 0).count(), 4);
        assert!(!r.all_ended());
    }

    /// Each plain series' samples over `ticks` ticks, stale markers as `stale`.
    fn collected(r: &mut Registry, ticks: i64) -> Vec<Vec<String>> {
        let mut out = vec![Vec::new(); r.wire_series().len()];
        for t in 0..ticks {
            r.collect(t, |i, x| {
                out[i].push(if is_stale(x) {
                    "stale".into()
                } else {
                    x.to_string()
                });
            });
        }
        out
    }

    #[test]
    fn a_series_that_ends_gets_exactly_one_stale_marker() {
        use crate::shape::{EndStrategy, gap};
        let mut r = Registry::default();
        let v = |x| Value::Num(x);
        let removed = values(vec![v(1.0), v(2.0)]).end_with(EndStrategy::RemoveTimeSeries);
        r.add(def(
            "removed",
            &[],
            MetricType::Gauge,
            Source::Series(Box::new(removed)),
        ))
        .unwrap();
        r.add(def(
            "ends_stale",
            &[],
            MetricType::Gauge,
            plain(&[v(1.0), Value::Stale]),
        ))
        .unwrap();
        r.add(def(
            "ends",
            &[],
            MetricType::Gauge,
            plain(&[v(1.0), Value::Missing]),
        ))
        .unwrap();
        r.add(def(
            "never",
            &[],
            MetricType::Gauge,
            Source::Series(Box::new(gap(2))),
        ))
        .unwrap();
        let got = collected(&mut r, 6);
        // The shape's own stale marker ends the series; the end adds none.
        assert_eq!(got[0], ["1", "2", "stale"]);
        assert_eq!(got[1], ["1", "stale"]);
        // A value last (a gap after it): the end marks it stale.
        assert_eq!(got[2], ["1", "stale"]);
        // Never a sample: nothing to mark.
        assert!(got[3].is_empty(), "{:?}", got[3]);
        let mut marked = 0;
        r.mark_stale(|_, _| marked += 1);
        assert_eq!(marked, 0, "every series has ended and is marked already");
    }

    #[test]
    fn mark_stale_marks_each_running_series_once() {
        let mut r = Registry::default();
        let v = |x| Value::Num(x);
        r.add(def(
            "a",
            &[],
            MetricType::Gauge,
            plain(&[v(1.0), v(2.0), v(3.0)]),
        ))
        .unwrap();
        r.add(def(
            "b",
            &[],
            MetricType::Gauge,
            plain(&[v(1.0), Value::Stale, v(3.0)]),
        ))
        .unwrap();
        r.add(def(
            "h",
            &[],
            MetricType::Histogram,
            Source::Histogram(Histogram::new(Box::new(values(vec![v(0.2)])), 1, vec![0.5])),
        ))
        .unwrap();
        let marks = |r: &mut Registry| {
            let mut got = Vec::new();
            r.mark_stale(|i, x| {
                assert!(is_stale(x));
                got.push(i);
            });
            got
        };
        r.collect(0, |_, _| {});
        r.collect(1, |_, _| {});
        // `b`'s last sample is a stale marker: only `a` and the histogram's four series.
        assert_eq!(marks(&mut r), [0, 2, 3, 4, 5]);
        assert_eq!(marks(&mut r), [] as [usize; 0]);
    }

    #[test]
    fn histograms_and_summaries_in_openmetrics() {
        let mut r = Registry::default();
        let obs = || Box::new(values(vec![Value::Num(0.2), Value::Num(0.7)]).forever());
        r.add(def(
            "latency_seconds",
            &[],
            MetricType::Histogram,
            Source::Histogram(Histogram::new(obs(), 2, vec![0.5, 1.0])),
        ))
        .unwrap();
        r.add(def(
            "size_bytes",
            &[("x", "y")],
            MetricType::Summary,
            Source::Summary(Summary::new(obs(), 2, vec![0.5])),
        ))
        .unwrap();
        assert_eq!(
            scrape(&mut r, Format::OpenMetrics),
            "# TYPE latency_seconds histogram\nlatency_seconds_bucket{le=\"0.5\"} 1\nlatency_seconds_bucket{le=\"1\"} 2\nlatency_seconds_bucket{le=\"+Inf\"} 2\nlatency_seconds_sum 0.8999999999999999\nlatency_seconds_count 2\n\
             # TYPE size_bytes summary\nsize_bytes{x=\"y\",quantile=\"0.5\"} 0.2\nsize_bytes_sum{x=\"y\"} 0.8999999999999999\nsize_bytes_count{x=\"y\"} 2\n# EOF\n"
        );
    }

    #[test]
    fn add_replace_remove_and_refusals() {
        let mut r = Registry::default();
        let a = r
            .add(def(
                "m",
                &[("k", "a")],
                MetricType::Gauge,
                plain(&[Value::Num(1.0)]),
            ))
            .unwrap();
        let b = r
            .add(def(
                "m",
                &[("k", "b")],
                MetricType::Gauge,
                plain(&[Value::Num(2.0)]),
            ))
            .unwrap();
        assert_ne!(a, b);
        assert_eq!(
            r.add(def("m", &[("k", "a")], MetricType::Gauge, plain(&[]))),
            Err(RegistryError::Duplicate("m{k=\"a\"}".into(), a))
        );
        assert!(matches!(
            r.add(def("m", &[("k", "c")], MetricType::Counter, plain(&[]))),
            Err(RegistryError::TypeConflict { .. })
        ));
        assert!(matches!(
            r.add(def("h", &[], MetricType::Histogram, plain(&[]))),
            Err(RegistryError::SourceMismatch(..))
        ));
        // Replacing a series with its own labels is fine; it restarts.
        r.replace(
            a,
            def(
                "m",
                &[("k", "a")],
                MetricType::Gauge,
                plain(&[Value::Num(9.0)]),
            ),
        )
        .unwrap();
        assert_eq!(
            r.replace(a, def("m", &[("k", "b")], MetricType::Gauge, plain(&[]))),
            Err(RegistryError::Duplicate("m{k=\"b\"}".into(), b))
        );
        assert_eq!(
            r.replace(99, def("m", &[], MetricType::Gauge, plain(&[]))),
            Err(RegistryError::NotFound(99))
        );
        assert!(scrape(&mut r, Format::Text).contains("m{k=\"a\"} 9\n"));
        assert!(r.remove(a) && r.remove(b) && !r.remove(a));
        assert!(r.is_empty());
        assert_eq!(scrape(&mut r, Format::Text), "");
    }
}
