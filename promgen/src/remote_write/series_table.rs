//! The series a writer sends, with everything about them that never changes encoded once.

use super::{
    Protocol,
    proto::{metric_type_number, v1},
};
use crate::{
    Labels, MetricType,
    registry::{Registry, WireSeries},
};
use hashbrown::HashTable;
use std::{
    collections::HashSet,
    hash::{BuildHasher, RandomState},
};

/// The series a writer sends, with everything about them that never changes encoded once:
/// 1.0 label fields, 2.0 label and help strings as ids into one table, family metadata.
/// Each kind is kept for all series in one buffer, one series after the other, so a request's
/// series are read from neighbouring memory rather than from an allocation each.
///
/// A table holds what its protocols need: [`SeriesTable::new`] both, [`SeriesTable::for_protocol`]
/// 1.0's alone for a 1.0 writer (a 2.0 writer may fall back to 1.0, so its table has both).
///
/// ```
/// use promgen::{Labels, MetricType, Sample, registry::WireSeries};
/// use promgen::remote_write::{Batch, Encoder, Protocol, SeriesTable};
/// let series = [WireSeries {
///     labels: Labels::new("up", [("job", "api")])?,
///     family: "up".into(),
///     metric_type: MetricType::Gauge,
///     help: None,
///     member: 0,
/// }];
/// let (both, v1) = (SeriesTable::new(&series), SeriesTable::for_protocol(&series, Protocol::V1));
/// let mut batch = Batch::default();
/// batch.push(0, [Sample::new(0, 1.0)]);
/// let mut encoder = Encoder::default();
/// let body = encoder.encode(&both, &batch, Protocol::V1).to_vec();
/// assert_eq!(encoder.encode(&v1, &batch, Protocol::V1), body);
/// assert!(v1.holds(Protocol::V1) && !v1.holds(Protocol::V2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SeriesTable {
    /// Every series' `labels` fields of a 1.0 `TimeSeries`, ready to copy.
    pub(super) v1_labels: Vec<u8>,
    /// Where each series' end in `v1_labels`.
    v1_ends: Vec<usize>,
    /// Every series' label name and value ids into `strings`, in label order.
    v2_labels: Vec<u32>,
    /// Where each series' end in `v2_labels`.
    v2_ends: Vec<usize>,
    /// Per series: metric type number and HELP text id (0 = none).
    pub(super) v2_metadata: Vec<(i32, u32)>,
    /// Every distinct string; `strings[0]` is `""`.
    pub(super) strings: Vec<String>,
    /// One entry per family, for 1.0's metadata request.
    families: Vec<v1::MetricMetadata>,
    len: usize,
    v1: bool,
    v2: bool,
}

impl SeriesTable {
    /// The table for `series`, for either protocol; a sample's series id is its index here.
    #[must_use]
    pub fn new(series: &[WireSeries]) -> Self {
        Self::of(series, true)
    }

    /// The table for `series`, holding what a writer of `protocol` needs.
    #[must_use]
    pub fn for_protocol(series: &[WireSeries], protocol: Protocol) -> Self {
        Self::of(series, protocol == Protocol::V2)
    }

    fn of(series: &[WireSeries], v2: bool) -> Self {
        let mut builder = Builder::new(v2, series.len());
        for s in series {
            builder.add(&s.labels, &s.family, s.metric_type, s.help.as_deref());
        }
        builder.finish()
    }

    /// The table of `registry`'s wire series for a writer of `protocol`, and each wire
    /// series' member (as [`WireSeries::member`] says), built without the list of wire
    /// series: a load of a million series would hold it beside the table.
    pub(crate) fn of_registry(registry: &Registry, protocol: Protocol) -> (Self, Vec<usize>) {
        let mut builder = Builder::new(protocol == Protocol::V2, registry.len());
        let mut members = Vec::with_capacity(registry.len());
        registry.each_wire_series(|w| {
            builder.add(w.labels, w.family, w.metric_type, w.help);
            members.push(w.member);
        });
        (builder.finish(), members)
    }

    /// Whether the table holds what `protocol`'s requests need.
    #[must_use]
    pub const fn holds(&self, protocol: Protocol) -> bool {
        match protocol {
            Protocol::V1 => self.v1,
            Protocol::V2 => self.v2,
        }
    }

    /// Series `id`'s 1.0 label fields.
    pub(super) fn v1_labels(&self, id: u32) -> &[u8] {
        let id = id as usize;
        let start = if id == 0 { 0 } else { self.v1_ends[id - 1] };
        &self.v1_labels[start..self.v1_ends[id]]
    }

    /// Series `id`'s 2.0 label string ids.
    pub(super) fn v2_labels(&self, id: u32) -> &[u32] {
        let id = id as usize;
        let start = if id == 0 { 0 } else { self.v2_ends[id - 1] };
        &self.v2_labels[start..self.v2_ends[id]]
    }

    /// How many series.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A 1.0 request holding only the families' metadata (type and help), which Prometheus
    /// sends apart from samples too.
    #[must_use]
    pub fn v1_metadata_request(&self) -> v1::WriteRequest {
        v1::WriteRequest {
            timeseries: Vec::new(),
            metadata: self.families.clone(),
        }
    }
}

/// A table being built, series by series.
struct Builder {
    table: SeriesTable,
    /// Each string's id, by the hash of the string (2.0 only).
    ids: HashTable<u32>,
    hasher: RandomState,
    family_names: HashSet<String>,
}

impl Builder {
    fn new(v2: bool, capacity: usize) -> Self {
        let mut builder = Self {
            table: SeriesTable {
                v1_labels: Vec::new(),
                v1_ends: Vec::with_capacity(capacity),
                v2_labels: Vec::new(),
                v2_ends: Vec::with_capacity(if v2 { capacity } else { 0 }),
                v2_metadata: Vec::with_capacity(if v2 { capacity } else { 0 }),
                strings: Vec::new(),
                families: Vec::new(),
                len: 0,
                v1: true,
                v2,
            },
            ids: HashTable::new(),
            hasher: RandomState::new(),
            family_names: HashSet::new(),
        };
        if v2 {
            builder.intern("");
        }
        builder
    }

    fn add(&mut self, labels: &Labels, family: &str, metric_type: MetricType, help: Option<&str>) {
        let t = &mut self.table;
        for (name, value) in labels.iter() {
            push_v1_label(&mut t.v1_labels, name, value);
        }
        t.v1_ends.push(t.v1_labels.len());
        if t.v2 {
            for (name, value) in labels.iter() {
                for text in [name, value] {
                    let id = self.intern(text);
                    self.table.v2_labels.push(id);
                }
            }
            let help_id = self.intern(help.unwrap_or(""));
            let t = &mut self.table;
            t.v2_ends.push(t.v2_labels.len());
            t.v2_metadata
                .push((metric_type_number(metric_type), help_id));
        }
        if !self.family_names.contains(family) {
            self.family_names.insert(family.to_owned());
            self.table.families.push(v1::MetricMetadata {
                r#type: metric_type_number(metric_type),
                metric_family_name: family.to_owned(),
                help: help.unwrap_or_default().to_owned(),
                unit: String::new(),
            });
        }
        self.table.len += 1;
    }

    /// `text`'s id in the strings, added on first sight.
    fn intern(&mut self, text: &str) -> u32 {
        let strings = &mut self.table.strings;
        let hash = self.hasher.hash_one(text);
        let found = self
            .ids
            .find(hash, |&id| strings[id as usize] == text)
            .copied();
        found.unwrap_or_else(|| {
            let id = u32::try_from(strings.len()).unwrap_or(u32::MAX);
            strings.push(text.to_owned());
            let hasher = &self.hasher;
            self.ids.insert_unique(hash, id, |&id| {
                hasher.hash_one(strings[id as usize].as_str())
            });
            id
        })
    }

    fn finish(mut self) -> SeriesTable {
        self.table.v1_labels.shrink_to_fit();
        self.table.v2_labels.shrink_to_fit();
        self.table.strings.shrink_to_fit();
        self.table
    }
}

/// One `labels` field of a 1.0 `TimeSeries`, as prost writes a `Label` message: its name
/// (field 1) and value (field 2), each left out when empty.
fn push_v1_label(out: &mut Vec<u8>, name: &str, value: &str) {
    const KEY_LABELS: u8 = 1 << 3 | 2;
    const KEY_NAME: u8 = 1 << 3 | 2;
    const KEY_VALUE: u8 = 2 << 3 | 2;
    let field = |s: &str| {
        if s.is_empty() {
            0
        } else {
            1 + prost::encoding::encoded_len_varint(s.len() as u64) + s.len()
        }
    };
    out.push(KEY_LABELS);
    super::encode::encode_varint((field(name) + field(value)) as u64, out);
    for (key, s) in [(KEY_NAME, name), (KEY_VALUE, value)] {
        if !s.is_empty() {
            out.push(key);
            super::encode::encode_varint(s.len() as u64, out);
            out.extend_from_slice(s.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Sample,
        config::Config,
        remote_write::{Batch, Encoder},
    };

    /// Counters, a histogram and a summary: wire series that are a member's own labels and
    /// ones built for the bucket, quantile, sum and count.
    fn registry() -> Registry {
        let yaml = "metrics:\n  - name: c_total\n    type: counter\n    help: Counted.\n    timeseries:\n      - labels: {i: '{1..3}'}\n        series: '1'\n  - name: h\n    type: histogram\n    buckets: [1, 2]\n    timeseries:\n      - observations: '[0.5]'\n  - name: s\n    type: summary\n    help: Quantiles.\n    timeseries:\n      - labels: {a: \"x\\\"y\"}\n        observations: '[3]'\n";
        Config::parse(yaml, "t.yaml")
            .unwrap()
            .build_registry()
            .unwrap()
    }

    #[test]
    fn a_registrys_table_is_the_table_of_its_wire_series_in_both_protocols() {
        let registry = registry();
        let wire = registry.wire_series();
        let mut batch = Batch::default();
        for id in 0..wire.len() {
            batch.push(u32::try_from(id).unwrap(), [Sample::new(1_000, id as f64)]);
        }
        for protocol in [Protocol::V1, Protocol::V2] {
            let (ours, members) = SeriesTable::of_registry(&registry, protocol);
            assert_eq!(members, wire.iter().map(|w| w.member).collect::<Vec<_>>());
            assert_eq!(ours.len(), wire.len());
            let listed = SeriesTable::new(&wire);
            let (mut a, mut b) = (Encoder::default(), Encoder::default());
            assert_eq!(
                a.encode(&ours, &batch, protocol),
                b.encode(&listed, &batch, protocol),
                "{protocol:?}"
            );
            assert_eq!(ours.v1_metadata_request(), listed.v1_metadata_request());
        }
        let (v1, _) = SeriesTable::of_registry(&registry, Protocol::V1);
        assert!(v1.holds(Protocol::V1) && !v1.holds(Protocol::V2));
        assert!(
            v1.strings.is_empty() && v1.v2_labels.is_empty(),
            "no 2.0 parts for 1.0"
        );
        let (v2, _) = SeriesTable::of_registry(&registry, Protocol::V2);
        assert!(
            v2.holds(Protocol::V1) && v2.holds(Protocol::V2),
            "2.0 may fall back"
        );
    }

    #[test]
    #[should_panic(expected = "built for 1.0 alone")]
    fn a_table_for_1_0_refuses_to_encode_2_0() {
        let (v1, _) = SeriesTable::of_registry(&registry(), Protocol::V1);
        let mut batch = Batch::default();
        batch.push(0, [Sample::new(0, 1.0)]);
        let _ = Encoder::default().encode(&v1, &batch, Protocol::V2);
    }
}
