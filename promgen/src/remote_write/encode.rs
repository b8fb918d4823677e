//! Request bodies: batches of samples encoded as Remote Write 1.0 or 2.0 protobuf, then
//! snappy-compressed (block format).
//!
//! Building `prost` messages would allocate every label string for every request. Instead
//! each series' labels are encoded once ([`SeriesTable`]), and [`Encoder`] writes the wire
//! format around them directly; tests check the bytes against the derived messages.

use super::{
    Protocol,
    proto::{metric_type_number, v1},
};
use crate::{Sample, registry::WireSeries};
use prost::{Message, encoding::encoded_len_varint};
use std::collections::HashMap;

// Field keys: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).
const KEY_V1_TIMESERIES: u8 = 1 << 3 | 2;
const KEY_SAMPLES: u8 = 2 << 3 | 2;
const KEY_SAMPLE_VALUE: u8 = 1 << 3 | 1;
const KEY_SAMPLE_TIMESTAMP: u8 = 2 << 3;
const KEY_V2_SYMBOLS: u8 = 4 << 3 | 2;
const KEY_V2_TIMESERIES: u8 = 5 << 3 | 2;
const KEY_V2_LABELS_REFS: u8 = 1 << 3 | 2;
const KEY_V2_METADATA: u8 = 5 << 3 | 2;
const KEY_V2_METADATA_TYPE: u8 = 1 << 3;
const KEY_V2_METADATA_HELP: u8 = 3 << 3;

/// The series a writer sends, with everything about them that never changes encoded once:
/// 1.0 label fields, 2.0 label and help strings as ids into one table, family metadata.
#[derive(Debug, Clone)]
pub struct SeriesTable {
    /// Per series: its `labels` fields of a 1.0 `TimeSeries`, ready to copy.
    v1_labels: Vec<Box<[u8]>>,
    /// Per series: name and value ids into `strings`, in label order.
    v2_labels: Vec<Box<[u32]>>,
    /// Per series: metric type number and HELP text id (0 = none).
    v2_metadata: Vec<(i32, u32)>,
    /// Every distinct string; `strings[0]` is `""`.
    strings: Vec<String>,
    /// One entry per family, for 1.0's metadata request.
    families: Vec<v1::MetricMetadata>,
}

impl SeriesTable {
    /// The table for `series`; a sample's series id is its index here.
    #[must_use]
    pub fn new(series: &[WireSeries]) -> Self {
        let mut ids: HashMap<&str, u32> = HashMap::from([("", 0)]);
        let mut strings = vec![String::new()];
        let mut v1_labels = Vec::with_capacity(series.len());
        let mut v2_labels = Vec::with_capacity(series.len());
        let mut v2_metadata = Vec::with_capacity(series.len());
        let mut families: Vec<v1::MetricMetadata> = Vec::new();
        for s in series {
            let mut buf = Vec::new();
            let mut refs = Vec::with_capacity(s.labels.iter().len() * 2);
            for (name, value) in s.labels.iter() {
                let label = v1::Label {
                    name: name.to_owned(),
                    value: value.to_owned(),
                };
                prost::encoding::message::encode(1, &label, &mut buf);
                for text in [name, value] {
                    refs.push(intern(&mut ids, &mut strings, text));
                }
            }
            let help = s.help.as_deref().unwrap_or("");
            let help_id = intern(&mut ids, &mut strings, help);
            v1_labels.push(buf.into_boxed_slice());
            v2_labels.push(refs.into_boxed_slice());
            v2_metadata.push((metric_type_number(s.metric_type), help_id));
            if !families.iter().any(|f| f.metric_family_name == s.family) {
                families.push(v1::MetricMetadata {
                    r#type: metric_type_number(s.metric_type),
                    metric_family_name: s.family.clone(),
                    help: s.help.clone().unwrap_or_default(),
                    unit: String::new(),
                });
            }
        }
        Self {
            v1_labels,
            v2_labels,
            v2_metadata,
            strings,
            families,
        }
    }

    /// How many series.
    #[must_use]
    pub fn len(&self) -> usize {
        self.v1_labels.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.v1_labels.is_empty()
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

/// `text`'s id in `strings`, added on first sight.
fn intern<'a>(ids: &mut HashMap<&'a str, u32>, strings: &mut Vec<String>, text: &'a str) -> u32 {
    *ids.entry(text).or_insert_with(|| {
        strings.push(text.to_owned());
        u32::try_from(strings.len() - 1).unwrap_or(u32::MAX)
    })
}

/// Samples for one request: runs of samples, each for one series, each in time order.
///
/// ```
/// use promgen::{Sample, remote_write::Batch};
/// let mut batch = Batch::default();
/// batch.push(3, [Sample::new(0, 1.0), Sample::new(15_000, 2.0)]);
/// batch.push(0, [Sample::new(0, 5.0)]);
/// assert_eq!(batch.sample_count(), 3);
/// assert_eq!(batch.iter().map(|(id, s)| (id, s.len())).collect::<Vec<_>>(), [(3, 2), (0, 1)]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    series: Vec<u32>,
    ends: Vec<usize>,
    samples: Vec<Sample>,
}

impl Batch {
    /// Adds series `id`'s next samples (in time order). Nothing is added for none.
    pub fn push(&mut self, id: u32, samples: impl IntoIterator<Item = Sample>) {
        let before = self.samples.len();
        self.samples.extend(samples);
        if self.samples.len() > before {
            self.series.push(id);
            self.ends.push(self.samples.len());
        }
    }

    /// Every series with its samples, in the order pushed.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &[Sample])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.series
            .iter()
            .zip(starts.zip(&self.ends))
            .map(|(&id, (start, &end))| (id, &self.samples[start..end]))
    }

    /// How many samples.
    #[must_use]
    pub fn sample_count(&self) -> usize {
        self.samples.len()
    }

    /// How many series.
    #[must_use]
    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    /// Whether it holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Empties it, keeping its memory.
    pub fn clear(&mut self) {
        self.series.clear();
        self.ends.clear();
        self.samples.clear();
    }
}

/// Encodes batches into compressed request bodies, reusing its buffers between requests.
///
/// ```
/// use promgen::{Labels, MetricType, Sample};
/// use promgen::registry::WireSeries;
/// use promgen::remote_write::{Batch, Encoder, Protocol, SeriesTable};
/// let series = [WireSeries {
///     labels: Labels::new("up", [("job", "api")])?,
///     family: "up".into(),
///     metric_type: MetricType::Gauge,
///     help: None,
///     member: 0,
/// }];
/// let table = SeriesTable::new(&series);
/// let mut batch = Batch::default();
/// batch.push(0, [Sample::new(1_700_000_000_000, 1.0)]);
/// let body = Encoder::default().encode(&table, &batch, Protocol::V1).to_vec();
/// let raw = snap::raw::Decoder::new().decompress_vec(&body)?;
/// use prost::Message;
/// let request = promgen::remote_write::proto::v1::WriteRequest::decode(&raw[..])?;
/// assert_eq!(request.timeseries[0].labels[1].value, "api");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Encoder {
    /// The uncompressed request.
    body: Vec<u8>,
    /// 2.0: the series, written before the symbols are known.
    series: Vec<u8>,
    /// The compressed request.
    compressed: Vec<u8>,
    /// 2.0: table string id → this request's symbol, valid where `seen[id] == generation`.
    local: Vec<u32>,
    seen: Vec<u32>,
    generation: u32,
    /// 2.0: this request's symbols, as table string ids.
    symbols: Vec<u32>,
    snappy: snap::raw::Encoder,
}

impl Default for Encoder {
    fn default() -> Self {
        Self {
            body: Vec::new(),
            series: Vec::new(),
            compressed: Vec::new(),
            local: Vec::new(),
            seen: Vec::new(),
            generation: 0,
            symbols: Vec::new(),
            snappy: snap::raw::Encoder::new(),
        }
    }
}

impl Encoder {
    /// The compressed body of `batch` in `protocol`.
    pub fn encode(&mut self, table: &SeriesTable, batch: &Batch, protocol: Protocol) -> &[u8] {
        self.body.clear();
        match protocol {
            Protocol::V1 => self.v1(table, batch),
            Protocol::V2 => self.v2(table, batch),
        }
        self.compress()
    }

    /// The compressed body of any message (the metadata request, say).
    pub fn encode_message(&mut self, message: &impl Message) -> &[u8] {
        self.body.clear();
        // Encoding into a Vec cannot run out of room.
        let _ = message.encode(&mut self.body);
        self.compress()
    }

    /// The uncompressed body of the last request.
    #[must_use]
    pub fn uncompressed(&self) -> &[u8] {
        &self.body
    }

    fn compress(&mut self) -> &[u8] {
        self.compressed
            .resize(snap::raw::max_compress_len(self.body.len()), 0);
        // The buffer is as large as snappy can need, so compression cannot fail.
        let n = self
            .snappy
            .compress(&self.body, &mut self.compressed)
            .unwrap_or(0);
        &self.compressed[..n]
    }

    fn v1(&mut self, table: &SeriesTable, batch: &Batch) {
        for (id, samples) in batch.iter() {
            let labels = &table.v1_labels[id as usize];
            let len = labels.len() + samples_len(samples);
            self.body.push(KEY_V1_TIMESERIES);
            encode_varint(len as u64, &mut self.body);
            self.body.extend_from_slice(labels);
            write_samples(&mut self.body, samples);
        }
    }

    fn v2(&mut self, table: &SeriesTable, batch: &Batch) {
        self.start_symbols(table);
        self.series.clear();
        let mut refs: Vec<u32> = Vec::with_capacity(32);
        for (id, samples) in batch.iter() {
            refs.clear();
            for &string in &*table.v2_labels[id as usize] {
                refs.push(self.symbol(string));
            }
            let (metric_type, help) = table.v2_metadata[id as usize];
            let help = self.symbol(help);
            let refs_len: usize = refs.iter().map(|&r| encoded_len_varint(u64::from(r))).sum();
            let metadata_len =
                varint_field_len(metric_type as u64) + varint_field_len(u64::from(help));
            let len = 1
                + encoded_len_varint(refs_len as u64)
                + refs_len
                + samples_len(samples)
                + 1
                + encoded_len_varint(metadata_len as u64)
                + metadata_len;
            let out = &mut self.series;
            out.push(KEY_V2_TIMESERIES);
            encode_varint(len as u64, out);
            out.push(KEY_V2_LABELS_REFS);
            encode_varint(refs_len as u64, out);
            for &r in &refs {
                encode_varint(u64::from(r), out);
            }
            write_samples(out, samples);
            out.push(KEY_V2_METADATA);
            encode_varint(metadata_len as u64, out);
            if metric_type != 0 {
                out.push(KEY_V2_METADATA_TYPE);
                encode_varint(metric_type as u64, out);
            }
            if help != 0 {
                out.push(KEY_V2_METADATA_HELP);
                encode_varint(u64::from(help), out);
            }
        }
        for &string in &self.symbols {
            let s = table.strings[string as usize].as_bytes();
            self.body.push(KEY_V2_SYMBOLS);
            encode_varint(s.len() as u64, &mut self.body);
            self.body.extend_from_slice(s);
        }
        self.body.extend_from_slice(&self.series);
    }

    /// Starts a request's symbol table with `""` as symbol 0.
    fn start_symbols(&mut self, table: &SeriesTable) {
        if self.seen.len() < table.strings.len() {
            self.seen.resize(table.strings.len(), 0);
            self.local.resize(table.strings.len(), 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // After 2^32 requests the stamps wrap: forget them all.
            self.seen.fill(0);
            self.generation = 1;
        }
        self.symbols.clear();
        self.symbol(0);
    }

    /// This request's symbol for table string `string`, added on first use.
    fn symbol(&mut self, string: u32) -> u32 {
        let i = string as usize;
        if self.seen[i] != self.generation {
            self.seen[i] = self.generation;
            self.local[i] = u32::try_from(self.symbols.len()).unwrap_or(u32::MAX);
            self.symbols.push(string);
        }
        self.local[i]
    }
}

/// The length of an optional varint field: nothing when 0, as proto3 leaves defaults out.
fn varint_field_len(v: u64) -> usize {
    if v == 0 { 0 } else { 1 + encoded_len_varint(v) }
}

/// One `Sample` message's length. Like `prost`, zero fields are left out (so `-0.0`, which
/// compares equal to 0, is sent as 0).
fn sample_len(s: &Sample) -> usize {
    let value = if s.value == 0.0 { 0 } else { 9 };
    value + varint_field_len(s.timestamp_ms as u64)
}

/// The length of the repeated `samples` field holding `samples`.
fn samples_len(samples: &[Sample]) -> usize {
    samples
        .iter()
        .map(|s| {
            let n = sample_len(s);
            1 + encoded_len_varint(n as u64) + n
        })
        .sum()
}

fn write_samples(out: &mut Vec<u8>, samples: &[Sample]) {
    out.reserve(samples.len() * MAX_SAMPLE_FIELD);
    for s in samples {
        // The whole field on the stack, then one copy: the message is at most 20 bytes
        // (a key and 8 bytes, a key and a 10-byte varint), so its length is one byte.
        let mut field = [0u8; MAX_SAMPLE_FIELD];
        field[0] = KEY_SAMPLES;
        let mut n = 2;
        if s.value != 0.0 {
            field[n] = KEY_SAMPLE_VALUE;
            field[n + 1..n + 9].copy_from_slice(&s.value.to_le_bytes());
            n += 9;
        }
        if s.timestamp_ms != 0 {
            field[n] = KEY_SAMPLE_TIMESTAMP;
            n += 1 + put_varint(&mut field[n + 1..], s.timestamp_ms as u64);
        }
        field[1] = (n - 2) as u8;
        out.extend_from_slice(&field[..n]);
    }
}

/// The longest `samples` field: key, length, and a message of at most 20 bytes.
const MAX_SAMPLE_FIELD: usize = 22;

/// Writes `v` as a varint into `buf` (at least 10 bytes long), returning its length.
#[inline]
fn put_varint(buf: &mut [u8], mut v: u64) -> usize {
    let mut i = 0;
    while v >= 0x80 {
        buf[i] = (v as u8) | 0x80;
        v >>= 7;
        i += 1;
    }
    buf[i] = v as u8;
    i + 1
}

/// Appends `v` as a varint: inline, with one push for the small values most are (prost's
/// `encode_varint` is an out-of-line call that pushes a byte at a time).
#[inline]
fn encode_varint(v: u64, out: &mut Vec<u8>) {
    if v < 0x80 {
        out.push(v as u8);
    } else {
        let mut buf = [0u8; 10];
        let n = put_varint(&mut buf, v);
        out.extend_from_slice(&buf[..n]);
    }
}

/// The 1.0 message `batch` encodes to, built with the derived types (for tests and tools).
#[must_use]
pub fn v1_message(table: &SeriesTable, batch: &Batch) -> v1::WriteRequest {
    v1::WriteRequest {
        timeseries: batch
            .iter()
            .map(|(id, samples)| v1::TimeSeries {
                labels: v1::TimeSeries::decode(
                    // The stored fields are a valid TimeSeries body on their own.
                    &*table.v1_labels[id as usize],
                )
                .map(|t| t.labels)
                .unwrap_or_default(),
                samples: samples
                    .iter()
                    .map(|s| v1::Sample {
                        value: s.value,
                        timestamp: s.timestamp_ms,
                    })
                    .collect(),
            })
            .collect(),
        metadata: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::proto::v2;
    use super::*;
    use crate::{Labels, MetricType, stale_nan};

    fn series() -> Vec<WireSeries> {
        let mk = |name: &str, labels: &[(&str, &str)], t, help: Option<&str>| WireSeries {
            labels: Labels::new(name, labels.iter().copied()).unwrap(),
            family: name.trim_end_matches("_bucket").to_owned(),
            metric_type: t,
            help: help.map(Into::into),
            member: 0,
        };
        vec![
            mk("up", &[("job", "api")], MetricType::Gauge, None),
            mk(
                "jobs_total",
                &[("job", "api"), ("q", "ü\"x")],
                MetricType::Counter,
                Some("Jobs."),
            ),
            mk(
                "lat_bucket",
                &[("le", "+Inf")],
                MetricType::Histogram,
                Some("Latency."),
            ),
            mk("odd", &[], MetricType::Untyped, None),
        ]
    }

    fn batch() -> Batch {
        let mut b = Batch::default();
        b.push(
            1,
            [
                Sample::new(1_700_000_000_000, 1.5),
                Sample::new(1_700_000_015_000, 0.0),
            ],
        );
        b.push(0, [Sample::new(0, -0.0), Sample::new(-5, stale_nan())]);
        b.push(3, [Sample::new(i64::MAX, f64::INFINITY)]);
        b.push(2, [Sample::new(7, f64::NAN)]);
        b.push(2, []);
        b
    }

    fn decompress(body: &[u8]) -> Vec<u8> {
        snap::raw::Decoder::new().decompress_vec(body).unwrap()
    }

    #[test]
    fn v1_bytes_are_what_prost_writes() {
        let (table, batch) = (SeriesTable::new(&series()), batch());
        let mut e = Encoder::default();
        let raw = decompress(e.encode(&table, &batch, Protocol::V1));
        let expected = v1_message(&table, &batch);
        assert_eq!(raw, expected.encode_to_vec());
        let back = v1::WriteRequest::decode(&raw[..]).unwrap();
        assert_eq!(back.timeseries.len(), 4);
        assert_eq!(back.timeseries[0].labels[2].value, "ü\"x");
        assert_eq!(
            back.timeseries[1].samples[1].value.to_bits(),
            stale_nan().to_bits()
        );
    }

    #[test]
    fn v2_bytes_are_what_prost_writes_with_one_symbol_table_per_request() {
        let (table, batch) = (SeriesTable::new(&series()), batch());
        let mut e = Encoder::default();
        // Twice: the second request must start its own symbol table.
        for _ in 0..2 {
            let raw = decompress(e.encode(&table, &batch, Protocol::V2));
            let req = v2::Request::decode(&raw[..]).unwrap();
            assert_eq!(req.symbols[0], "");
            let sym = |r: u32| req.symbols[r as usize].as_str();
            let first = &req.timeseries[0];
            let labels: Vec<&str> = first.labels_refs.iter().map(|&r| sym(r)).collect();
            assert_eq!(
                labels,
                ["__name__", "jobs_total", "job", "api", "q", "ü\"x"]
            );
            let meta = first.metadata.unwrap();
            assert_eq!((meta.r#type, sym(meta.help_ref)), (1, "Jobs."));
            assert_eq!(req.timeseries[1].metadata.unwrap().help_ref, 0);
            let mut unique = req.symbols.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), req.symbols.len(), "symbols are deduplicated");
            // Byte for byte what the derived message gives.
            assert_eq!(raw, req.encode_to_vec());
        }
    }

    #[test]
    fn the_metadata_request_names_each_family_once() {
        let table = SeriesTable::new(&series());
        let m = table.v1_metadata_request();
        let names: Vec<_> = m
            .metadata
            .iter()
            .map(|f| (f.metric_family_name.as_str(), f.r#type))
            .collect();
        assert_eq!(
            names,
            [("up", 2), ("jobs_total", 1), ("lat", 3), ("odd", 0)]
        );
    }
}
