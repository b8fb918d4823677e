//! Writing rule results back into Prometheus, as the rule manager appends them: each rule's
//! output series at its evaluation times, with a stale marker at the first evaluation that
//! no longer gives a series.

use super::rules::{ALERTS, ALERTS_FOR_STATE};
use crate::{HarnessError, state::LabelMap};
use promgen::{
    Labels, MetricType, Sample,
    registry::WireSeries,
    remote_write::{Batch, Client, Encoder, SeriesTable, WriteOptions},
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The most samples in one request.
const BATCH: usize = 20_000;

/// A rule's output series: `__name__` and labels.
pub(crate) type SeriesKey = LabelMap;

/// What a rule wrote at the previous evaluation, to mark stale what it no longer writes.
#[derive(Debug, Default)]
pub(crate) struct Staleness {
    previous: BTreeSet<SeriesKey>,
}

impl Staleness {
    /// The samples one evaluation at `ts` appends: `outputs`, and a stale marker for each
    /// series of the previous evaluation that is not among them.
    pub(crate) fn evaluation(
        &mut self,
        ts: i64,
        outputs: Vec<(SeriesKey, f64)>,
        into: &mut Outputs,
    ) {
        let current: BTreeSet<SeriesKey> = outputs.iter().map(|(k, _)| k.clone()).collect();
        for gone in self.previous.difference(&current) {
            into.push(gone.clone(), Sample::stale(ts));
        }
        for (key, value) in outputs {
            into.push(key, Sample::new(ts, value));
        }
        self.previous = current;
    }
}

/// Samples to write, by series, each series' in time order.
#[derive(Debug, Default)]
pub(crate) struct Outputs {
    pub(crate) series: BTreeMap<SeriesKey, Vec<Sample>>,
}

impl Outputs {
    fn push(&mut self, key: SeriesKey, sample: Sample) {
        self.series.entry(key).or_default().push(sample);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

/// Sends rule outputs to one Prometheus, and counts what it sent (stale markers apart).
///
/// Rules that share a name can give the same series (two `High` rules that both make
/// `ALERTS{alertname="High",job="a"}`): the rule manager appends the first rule's sample at a
/// time and drops the others as duplicates, and so does the writer.
pub(crate) struct SampleWriter {
    client: Client,
    encoder: Encoder,
    /// Names more than one rule writes under: alert names, recorded names.
    shared: BTreeSet<String>,
    /// For series under a shared name, the times written.
    seen: HashMap<SeriesKey, BTreeSet<i64>>,
    /// Samples written (not stale markers), for the final check.
    pub(crate) written: u64,
    /// The metric names written.
    pub(crate) names: BTreeSet<String>,
}

impl SampleWriter {
    /// A writer to `url` for rules whose names are `names` (an alert's, a record's; the
    /// same name more than once for rules that share it).
    pub(crate) fn new<'n>(
        url: String,
        names: impl IntoIterator<Item = &'n str>,
    ) -> Result<Self, HarnessError> {
        let client =
            Client::new(&WriteOptions::new(url)).map_err(|e| HarnessError::Write(e.to_string()))?;
        let mut once = BTreeSet::new();
        let shared = names
            .into_iter()
            .filter(|n| !once.insert(*n))
            .map(str::to_owned)
            .collect();
        Ok(Self {
            client,
            encoder: Encoder::default(),
            shared,
            seen: HashMap::new(),
            written: 0,
            names: BTreeSet::new(),
        })
    }

    /// Writes `outputs` (and empties it).
    pub(crate) async fn write(&mut self, outputs: &mut Outputs) -> Result<(), HarnessError> {
        let mut series = std::mem::take(&mut outputs.series);
        if !self.shared.is_empty() {
            for (key, samples) in &mut series {
                if !self.shared.contains(owner(key)) {
                    continue;
                }
                let seen = self.seen.entry(key.clone()).or_default();
                samples.retain(|s| seen.insert(s.timestamp_ms));
            }
            series.retain(|_, samples| !samples.is_empty());
        }
        let mut wire = Vec::with_capacity(series.len());
        for (i, key) in series.keys().enumerate() {
            let labels = Labels::from_pairs(key.iter().map(|(k, v)| (k.clone(), v.clone())))
                .map_err(|e| HarnessError::Rules(format!("a rule's output {key:?}: {e}")))?;
            self.names.insert(labels.name().to_owned());
            wire.push(WireSeries {
                family: labels.name().to_owned(),
                labels,
                metric_type: MetricType::Untyped,
                help: None,
                member: i,
            });
        }
        let table = SeriesTable::new(&wire);
        let mut batch = Batch::default();
        for (id, samples) in series.into_values().enumerate() {
            self.written += samples.iter().filter(|s| !s.is_stale()).count() as u64;
            for chunk in samples.chunks(BATCH) {
                if batch.sample_count() + chunk.len() > BATCH {
                    self.send(&table, &mut batch).await?;
                }
                batch.push(id as u32, chunk.iter().copied());
            }
        }
        self.send(&table, &mut batch).await
    }

    async fn send(&mut self, table: &SeriesTable, batch: &mut Batch) -> Result<(), HarnessError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.client
            .send(table, batch, &mut self.encoder)
            .await
            .map_err(|e| HarnessError::Write(format!("writing rule results back: {e}")))?;
        batch.clear();
        Ok(())
    }
}

/// The rule name a series is written under: `alertname` for `ALERTS` and
/// `ALERTS_FOR_STATE`, else the recorded metric's name.
fn owner(key: &SeriesKey) -> &str {
    let name = key.get("__name__").map_or("", String::as_str);
    if name == ALERTS || name == ALERTS_FOR_STATE {
        key.get("alertname").map_or("", String::as_str)
    } else {
        name
    }
}
