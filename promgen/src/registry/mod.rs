//! The set of series a server exposes: families of plain series, histograms and summaries,
//! advanced one tick per scrape and rendered in either exposition format.

mod churning;
pub mod definition;
mod source;
mod wire;

pub use definition::Definition;
pub use source::Source;
pub use wire::WireSeries;

use crate::{
    Labels, MetricType,
    churn::ChurnSlot,
    exposition::{Clash, Family as Exposed, Format, ReservedLabel, Writer},
    sample::{is_stale, stale_nan},
    shape::{DynShape, Point, SeedSeq, Shape},
};
use churning::MemberChurn;
use hashbrown::HashTable;
pub(crate) use source::{Cursor, Output, Step};
use std::{collections::HashMap, sync::Arc};

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
    /// How the shape was written, for listings (shared by the series of a templated
    /// entry).
    pub description: Arc<str>,
    /// The control-API body (JSON) that recreates the series, when it came from a config
    /// or the control API; listed so that it can be posted back.
    pub definition: Option<Definition>,
    /// Its slot in a churning entry ([`crate::churn`]): then `labels` leave out the churn
    /// label, and the member is one series after another.
    pub churn: Option<ChurnSlot>,
}

impl SeriesDef {
    /// A plain series (a counter, gauge or untyped one, not a histogram or summary) with no
    /// help, its random shapes seeded from its labels as [`Series::new`](crate::Series::new)
    /// seeds them, so it gives the same numbers as the same series in a config.
    ///
    /// ```
    /// use promgen::{Labels, MetricType, registry::{Registry, SeriesDef}, shape::uniform};
    /// let labels = Labels::new("noise", [("host", "a")])?;
    /// let mut registry = Registry::default();
    /// registry.add(SeriesDef::new(labels, MetricType::Gauge, Box::new(uniform(0.0, 1.0)), "uniform(0..1)"))?;
    /// assert_eq!(registry.list()[0].description, "uniform(0..1)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(
        labels: Labels,
        metric_type: MetricType,
        mut shape: DynShape,
        description: impl Into<Arc<str>>,
    ) -> Self {
        shape.seed_from(&mut SeedSeq::new(labels.stable_hash()));
        Self {
            labels,
            metric_type,
            help: None,
            source: Source::Series(shape),
            description: description.into(),
            definition: None,
            churn: None,
        }
    }
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
    /// The series carries a label its family's samples carry themselves (`le`, `quantile`).
    #[error("series {series}: {reason}")]
    ReservedLabel {
        /// The series.
        series: String,
        /// Why.
        reason: ReservedLabel,
    },
    /// Its family would write a name another family writes (`h_bucket` beside the
    /// histogram `h`; the counters `c` and `c_total`, both the family `c` in OpenMetrics).
    #[error("metric {name} clashes with series {id} ({existing}): {clash}")]
    NameClash {
        /// The metric given.
        name: String,
        /// A series of the family it clashes with.
        id: u64,
        /// That series.
        existing: String,
        /// The name both would write (boxed: errors stay small).
        clash: Box<Clash>,
    },
    /// The source does not fit the type (a plain shape for a histogram, say).
    #[error("a {0} needs {1}")]
    SourceMismatch(MetricType, &'static str),
    /// No series has this id.
    #[error("no series with id {0}")]
    NotFound(u64),
    /// A churning series and another series of its family would share a label set: the
    /// churn label is the churning one's alone.
    #[error(
        "series {series}: {label:?} is a churn label of {family}: a churning series sets it itself, and no other series of the family may carry it (name another churn `label:`)"
    )]
    ChurnLabel {
        /// The series refused.
        series: String,
        /// The label.
        label: String,
        /// The family.
        family: String,
    },
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
    /// The control-API body (JSON) that recreates it, when known.
    pub definition: Option<String>,
    /// How many scrapes it has served.
    pub position: u64,
    /// Whether its shape has ended.
    pub ended: bool,
}

pub(crate) struct Member {
    id: u64,
    pub(crate) labels: Labels,
    /// What it has in common with the other members of its entry.
    pub(crate) shared: Arc<Shared>,
    pub(crate) cursor: Cursor,
    /// Its churn, when it is a churning slot (boxed: most members have none).
    churn: Option<Box<MemberChurn>>,
}

/// What members defined together have in common, kept once for all of them (shared with
/// the member before when it is the same): a load holds millions of members.
#[derive(PartialEq)]
pub(crate) struct Shared {
    /// Its wire series.
    pub(crate) outputs: Box<[Output]>,
    description: Arc<str>,
    definition: Option<Definition>,
}

pub(crate) struct Family {
    pub(crate) name: String,
    pub(crate) help: Option<String>,
    pub(crate) metric_type: MetricType,
    pub(crate) members: Vec<Member>,
    /// Every member's position, by the hash of its key, so that a duplicate is found in
    /// O(1). A table of positions alone (4 bytes a member), the hash computed again from
    /// the member when the table grows.
    index: HashTable<u32>,
    /// The churn labels of its churning members, and the label names of its other members:
    /// none may be in both, or a churning series could take another's labels at some tick.
    /// Kept after removals (a name stays taken).
    churn_labels: std::collections::HashSet<String>,
    plain_labels: std::collections::HashSet<String>,
}

impl Family {
    fn new(name: &str, help: Option<String>, metric_type: MetricType) -> Self {
        Self {
            name: name.to_owned(),
            help,
            metric_type,
            members: Vec::new(),
            index: HashTable::new(),
            churn_labels: std::collections::HashSet::new(),
            plain_labels: std::collections::HashSet::new(),
        }
    }

    /// Room for exactly `additional` more members: a loaded config knows how many it adds,
    /// and a vector grown by doubling would hold up to twice the room (at a million series,
    /// the spare room was larger than the rest of a member).
    fn reserve(&mut self, additional: usize) {
        self.members.reserve_exact(additional);
        self.index.reserve(additional, rehash(&self.members));
    }

    fn push(&mut self, member: Member) {
        let position = u32::try_from(self.members.len()).expect("fewer than 2^32 series");
        self.index
            .insert_unique(labels_hash(member.key()), position, rehash(&self.members));
        match &member.churn {
            Some(c) => {
                self.churn_labels.insert(c.label().to_owned());
            }
            None => {
                for (k, _) in member.labels.without_name() {
                    if !self.plain_labels.contains(k) {
                        self.plain_labels.insert(k.to_owned());
                    }
                }
            }
        }
        self.members.push(member);
    }

    /// The member with exactly this key (its labels, or its churn's key), but `except`.
    fn find_labels(&self, labels: &Labels, except: Option<u64>) -> Option<&Member> {
        let members = &self.members;
        self.index
            .find(labels_hash(labels), |&p| {
                let m = &members[p as usize];
                m.key() == labels && Some(m.id) != except
            })
            .map(|&p| &members[p as usize])
    }

    fn remove(&mut self, position: usize) {
        self.members.remove(position);
        self.index.clear();
        for (p, m) in self.members.iter().enumerate() {
            let p = u32::try_from(p).expect("fewer than 2^32 series");
            self.index
                .insert_unique(labels_hash(m.key()), p, rehash(&self.members));
        }
    }
}

/// The index's hasher: a position's hash, computed again from its member.
fn rehash(members: &[Member]) -> impl Fn(&u32) -> u64 + '_ {
    |&p| labels_hash(members[p as usize].key())
}

/// A label set's hash: the same in every process (the index lives in one, but a fixed
/// hasher keeps its cost and behaviour the same on every run).
fn labels_hash(labels: &Labels) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    labels.hash(&mut h);
    h.finish()
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
///     definition: None,
///     churn: None,
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
    /// Each family's position by name.
    by_name: HashMap<String, usize>,
    next_id: u64,
    /// How many members churn: none, and [`Registry::churn_to`] need not walk the series
    /// (a writer calls it every tick).
    churning: usize,
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

    /// Room for `additional` more series in family `name`, when it has begun (see
    /// [`Config::into_registry`](crate::config::Config::into_registry)).
    pub(crate) fn reserve(&mut self, name: &str, additional: usize) {
        if let Some(&f) = self.by_name.get(name) {
            self.families[f].reserve(additional);
        }
    }

    /// Removes series `id`; false when there is none.
    pub fn remove(&mut self, id: u64) -> bool {
        let Some((f, m)) = self.find(id) else {
            return false;
        };
        if self.families[f].members[m].churns() {
            self.churning -= 1;
        }
        self.families[f].remove(m);
        if self.families[f].members.is_empty() {
            self.families.remove(f);
            self.by_name = self
                .families
                .iter()
                .enumerate()
                .map(|(i, f)| (f.name.clone(), i))
                .collect();
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
                    description: m.shared.description.to_string(),
                    definition: m.shared.definition.as_ref().map(|d| d.render(&m.labels)),
                    position: m.cursor.ticks(),
                    ended: m.cursor.ended(),
                })
            })
            .collect()
    }

    /// One series.
    #[must_use]
    pub fn get(&self, id: u64) -> Option<SeriesInfo> {
        self.list().into_iter().find(|s| s.id == id)
    }

    /// Advances every series `ticks` ticks without a sample leaving, as if it had been
    /// scraped every `interval_ms` from `anchor_ms`: a run that joins an anchored load late
    /// (see [`Scraper::anchored`](crate::Scraper::anchored)) then gives what a run from the
    /// anchor gives at the same times. A series that ended meanwhile stays ended, unseen.
    /// Costs a shape step per series and tick.
    ///
    /// ```
    /// use promgen::{Labels, MetricType, registry::{Registry, SeriesDef}, shape::linear};
    /// let mut r = Registry::default();
    /// r.add(SeriesDef::new(Labels::new("c", [] as [(&str, &str); 0])?, MetricType::Gauge, Box::new(linear(0.0, 9.0, 10)), "linear".to_owned()))?;
    /// r.fast_forward(0, 1000, 4);
    /// let mut got = Vec::new();
    /// r.collect(4000, |_, v| got.push(v));
    /// assert_eq!(got, [4.0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fast_forward(&mut self, anchor_ms: i64, interval_ms: i64, ticks: u64) {
        for member in self.families.iter_mut().flat_map(|f| &mut f.members) {
            for k in 0..ticks {
                let ts = anchor_ms.saturating_add(interval_ms.saturating_mul(k as i64));
                // A churning slot's series that left meanwhile were marked stale by a
                // continuous run when they left.
                member.churn_to(ts);
                if !member.present() {
                    continue;
                }
                if member.cursor.advance(ts, |_, _| {}) != Step::Running {
                    // Ended unseen: a continuous run marked it stale at its end, so no
                    // receiver holds a sample of it to mark now.
                    member.cursor.set_not_live();
                    if member.churn.is_none() {
                        break;
                    }
                }
            }
        }
    }

    /// Moves every churning member ([`crate::churn`]) to its series at `timestamp_ms`,
    /// before the tick there is read: each wire series of a series that leaves with a sample
    /// out there goes to `sink` as `(index into` [`Registry::wire_series`]`,` [`Point::End`]`)`.
    /// Returns whether any member's labels changed, so that [`Registry::wire_series`] says
    /// something new. [`Registry::step`] and scrapes do this themselves; a writer that keeps
    /// the wire series' labels calls it first, to learn when they change.
    ///
    /// ```
    /// use promgen::{Labels, MetricType, churn::{Churn, ChurnMode, ChurnSlot}, registry::{Registry, SeriesDef}, shape::constant};
    /// use std::sync::Arc;
    /// let churn = Arc::new(Churn::new(60_000, ChurnMode::Rotate)?);
    /// let mut def = SeriesDef::new(Labels::new("up", [("job", "a")])?, MetricType::Gauge, Box::new(constant(1.0)), "1");
    /// def.churn = Some(ChurnSlot::new(churn, 0, 1));
    /// let mut r = Registry::default();
    /// r.add(def)?;
    /// assert!(r.churn_to(0, |_, _| {}));
    /// assert_eq!(r.wire_series()[0].labels.to_string(), r#"up{job="a",series_id="0"}"#);
    /// r.collect(0, |_, _| {});
    /// let mut ends = Vec::new();
    /// assert!(r.churn_to(60_000, |i, p| ends.push((i, p))));
    /// assert_eq!(ends, [(0, promgen::shape::Point::End)]);
    /// assert_eq!(r.wire_series()[0].labels.to_string(), r#"up{job="a",series_id="1"}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn churn_to(&mut self, timestamp_ms: i64, mut sink: impl FnMut(usize, Point)) -> bool {
        if self.churning == 0 {
            return false;
        }
        let mut base = 0;
        let mut relabeled = false;
        for m in self.families.iter_mut().flat_map(|f| &mut f.members) {
            let n = m.shared.outputs.len();
            let moved = m.churn_to(timestamp_ms);
            if moved.left_live {
                for k in 0..n {
                    sink(base + k, Point::End);
                }
            }
            relabeled |= moved.relabeled;
            base += n;
        }
        relabeled
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
        let given = Exposed::new(def.labels.name(), def.metric_type);
        let churn_label = def.churn.as_ref().map(|c| c.churn().label());
        for label in def.labels.without_name().map(|(k, _)| k).chain(churn_label) {
            given
                .check_label(label)
                .map_err(|reason| RegistryError::ReservedLabel {
                    series: def.labels.to_string(),
                    reason,
                })?;
        }
        // Its own family, when it has other members: the type must be the family's, and the
        // labels new to it. Nothing else can clash: the family's name was checked against
        // every other family's when the family began.
        let key = match &def.churn {
            Some(slot) => std::borrow::Cow::Owned(MemberChurn::new(slot.clone(), &def.labels).1),
            None => std::borrow::Cow::Borrowed(&def.labels),
        };
        let churn_label_error = |label: &str| RegistryError::ChurnLabel {
            series: def.labels.to_string(),
            label: label.to_owned(),
            family: def.labels.name().to_owned(),
        };
        if let Some(label) = churn_label.filter(|l| def.labels.get(l).is_some()) {
            return Err(churn_label_error(label));
        }
        if let Some(&f) = self.by_name.get(def.labels.name()) {
            let family = &self.families[f];
            let taken = match churn_label {
                Some(label) => family.plain_labels.contains(label).then_some(label),
                None => def
                    .labels
                    .without_name()
                    .map(|(k, _)| k)
                    .find(|k| family.churn_labels.contains(*k)),
            };
            if let Some(label) = taken {
                return Err(churn_label_error(label));
            }
            let others = family.members.iter().any(|m| Some(m.id) != replacing);
            if others {
                if family.metric_type != def.metric_type {
                    return Err(RegistryError::TypeConflict {
                        name: family.name.clone(),
                        existing: family.metric_type,
                        given: def.metric_type,
                    });
                }
                if let Some(m) = family.find_labels(&key, replacing) {
                    return Err(RegistryError::Duplicate(key.to_string(), m.id));
                }
                return Ok(());
            }
        }
        // A family of its own: its exposed names must not clash with another family's.
        for family in &self.families {
            let Some(member) = family.members.iter().find(|m| Some(m.id) != replacing) else {
                continue;
            };
            if let Some(clash) = Exposed::new(&family.name, family.metric_type).clash(&given) {
                return Err(RegistryError::NameClash {
                    name: def.labels.name().to_owned(),
                    id: member.id,
                    existing: member.labels.to_string(),
                    clash: Box::new(clash),
                });
            }
        }
        Ok(())
    }

    fn insert(&mut self, id: u64, def: SeriesDef) {
        let shared = Shared {
            outputs: def.source.outputs().into_boxed_slice(),
            description: def.description,
            definition: def.definition,
        };
        let shared = self
            .by_name
            .get(def.labels.name())
            .and_then(|&f| self.families[f].members.last())
            .filter(|m| *m.shared == shared)
            .map_or_else(|| Arc::new(shared), |m| Arc::clone(&m.shared));
        let churn = def
            .churn
            .map(|slot| Box::new(MemberChurn::new(slot, &def.labels).0));
        self.churning += usize::from(churn.is_some());
        let member = Member {
            id,
            labels: def.labels,
            shared,
            cursor: Cursor::new(def.source),
            churn,
        };
        let name = member.labels.name();
        match self.by_name.get(name) {
            Some(&f) => {
                let family = &mut self.families[f];
                if def.help.is_some() {
                    family.help = def.help;
                }
                family.push(member);
            }
            None => {
                let mut family = Family::new(name, def.help, def.metric_type);
                self.by_name.insert(name.to_owned(), self.families.len());
                family.push(member);
                self.families.push(family);
            }
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
                m.churn_to(timestamp_ms);
                if !m.present() {
                    continue;
                }
                let (outputs, rendered) = (&m.shared.outputs, &m.labels);
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

    /// One tick at `timestamp_ms`: every series advances one step, and each of its wire
    /// series that has a point goes to `sink` as `(index into` [`Registry::wire_series`]`,
    /// point)`: [`Point::Value`] (NaN included), [`Point::Stale`] for a stale marker in the
    /// shape, and [`Point::End`] once, at the tick its series' shape ends, unless its last
    /// sample was a stale marker already (a shape closed by `end`/`removeTimeSeries`, or
    /// ending in `stale`) or it never had one: one stale marker ends a series. A missing point
    /// yields nothing. Returns whether any series is still running (as
    /// [`Registry::all_ended`] would say, without a second pass over the series).
    ///
    /// This is how the samples of a registry at a tick are read: remote write
    /// ([`Registry::collect`]) and the CLI's preview go through it, and scrapes and backfill
    /// files through the same step of each series, so that a histogram draws its
    /// `perScrape` observations the same way for each of them.
    ///
    /// ```
    /// use promgen::{config::Config, shape::Point};
    /// let yaml = "metrics:\n  - name: h\n    type: histogram\n    buckets: [1]\n    timeseries:\n      - observations: '[0.5, 2, 3]'\n        perScrape: 3\n";
    /// let mut registry = Config::parse(yaml, "h.yaml")?.build_registry()?;
    /// let mut points = Vec::new();
    /// registry.step(0, |i, p| points.push((i, p)));
    /// // h_bucket{le="1"}, h_bucket{le="+Inf"}, h_sum, h_count after one scrape of 3 observations.
    /// assert_eq!(points, [(0, Point::Value(1.0)), (1, Point::Value(3.0)), (2, Point::Value(5.5)), (3, Point::Value(3.0))]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn step(&mut self, timestamp_ms: i64, mut sink: impl FnMut(usize, Point)) -> bool {
        let mut base = 0;
        let mut running = false;
        for family in &mut self.families {
            for m in &mut family.members {
                let n = m.shared.outputs.len();
                if m.churn_to(timestamp_ms).left_live {
                    for k in 0..n {
                        sink(base + k, Point::End);
                    }
                }
                if m.churn.is_some() {
                    // Its next series is to come, whatever this one does.
                    running = true;
                    if !m.present() {
                        base += n;
                        continue;
                    }
                }
                let step = m.cursor.advance(timestamp_ms, |k, v| {
                    let point = if is_stale(v) {
                        Point::Stale
                    } else {
                        Point::Value(v)
                    };
                    sink(base + k, point);
                });
                match step {
                    Step::Running => running = true,
                    Step::EndedNow if m.cursor.live() => {
                        m.cursor.set_not_live();
                        for k in 0..n {
                            sink(base + k, Point::End);
                        }
                    }
                    Step::EndedNow | Step::Ended => {}
                }
                base += n;
            }
        }
        running
    }

    /// One tick at `timestamp_ms` for remote write, read through [`Registry::step`]: each
    /// sample goes to `sink` as `(index into` [`Registry::wire_series`]`, value)`. Unlike a
    /// scrape, a stale marker is a sample ([`stale_nan`]), and a series whose shape ends
    /// yields a stale marker for each of its wire series at that tick, as Prometheus would
    /// record when a scraped series disappears. A missing point yields nothing. Returns
    /// whether any series is still running.
    pub fn collect(&mut self, timestamp_ms: i64, mut sink: impl FnMut(usize, f64)) -> bool {
        self.step(timestamp_ms, |i, point| match point {
            Point::Value(v) => sink(i, v),
            Point::Stale | Point::End => sink(i, stale_nan()),
            Point::Missing => {}
        })
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
    ///     definition: None,
    ///     churn: None,
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
                let n = m.shared.outputs.len();
                if m.cursor.live() {
                    m.cursor.set_not_live();
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
        self.families.iter().all(|f| {
            f.members
                .iter()
                .all(|m| m.churn.is_none() && m.cursor.ended())
        })
    }

    /// The families and their members, for writers that go series by series (a backfill
    /// file), in the same order as [`Registry::wire_series`].
    pub(crate) fn families_mut(&mut self) -> impl Iterator<Item = &mut Family> {
        self.families.iter_mut()
    }
}

#[cfg(test)]
mod tests;
