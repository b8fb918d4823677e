//! Request bodies: batches of samples encoded as Remote Write 1.0 or 2.0 protobuf, then
//! snappy-compressed (block format).
//!
//! Building `prost` messages would allocate every label string for every request. Instead
//! each series' labels are encoded once ([`SeriesTable`]), and [`Encoder`] writes the wire
//! format around them directly; tests check the bytes against the derived messages.

use super::SeriesTable;
use super::{Protocol, proto::v1};
use crate::Sample;
use prost::{Message, encoding::encoded_len_varint};

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

    /// Room for `samples` samples, of as many series.
    pub(super) fn with_capacity(samples: usize) -> Self {
        Self {
            series: Vec::with_capacity(samples),
            ends: Vec::with_capacity(samples),
            samples: Vec::with_capacity(samples),
        }
    }

    /// Adds samples tagged with their series, each series' together and in time order: a
    /// run of one series' samples is one entry of it (as [`Batch::push`] would make).
    pub(super) fn push_sorted(&mut self, entries: &[(u32, Sample)]) {
        for &(id, sample) in entries {
            self.samples.push(sample);
            match self.ends.last_mut() {
                Some(end) if self.series.last() == Some(&id) => *end = self.samples.len(),
                _ => {
                    self.series.push(id);
                    self.ends.push(self.samples.len());
                }
            }
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
    /// The first part of the uncompressed request: 2.0's symbols, or a whole message from
    /// [`Encoder::encode_message`]; empty for 1.0.
    head: Vec<u8>,
    /// The rest: the series, written in place ([`Out`]); only the first `series_len` bytes
    /// are this request's. 2.0's follow the symbols but are written before these are known.
    series: Vec<u8>,
    series_len: usize,
    /// The compressed request.
    compressed: Vec<u8>,
    /// The compressed head, before it is put in front of the series.
    compressed_head: Vec<u8>,
    /// 2.0: table string id → (the request that last used it, its symbol there): this
    /// request's symbol where the first is `generation`.
    local: Vec<(u32, u32)>,
    generation: u32,
    /// 2.0: this request's symbols, as table string ids.
    symbols: Vec<u32>,
    snappy: snap::raw::Encoder,
}

impl Default for Encoder {
    fn default() -> Self {
        Self {
            head: Vec::new(),
            series: Vec::new(),
            series_len: 0,
            compressed: Vec::new(),
            compressed_head: Vec::new(),
            local: Vec::new(),
            generation: 0,
            symbols: Vec::new(),
            snappy: snap::raw::Encoder::new(),
        }
    }
}

impl Encoder {
    /// The compressed body of `batch` in `protocol`.
    ///
    /// # Panics
    /// When `table` was built for the other protocol only ([`SeriesTable::holds`]): its
    /// requests would have no labels.
    pub fn encode(&mut self, table: &SeriesTable, batch: &Batch, protocol: Protocol) -> &[u8] {
        assert!(
            table.holds(protocol),
            "a series table built for 1.0 alone cannot encode a 2.0 request"
        );
        self.head.clear();
        self.series_len = match protocol {
            Protocol::V1 => self.v1(table, batch),
            Protocol::V2 => self.v2(table, batch),
        };
        self.compress()
    }

    /// The compressed body of any message (the metadata request, say).
    pub fn encode_message(&mut self, message: &impl Message) -> &[u8] {
        self.head.clear();
        self.series_len = 0;
        // Encoding into a Vec cannot run out of room.
        let _ = message.encode(&mut self.head);
        self.compress()
    }

    /// The uncompressed body of the last request (a copy: it is kept in two parts).
    #[must_use]
    pub fn uncompressed(&self) -> Vec<u8> {
        [&self.head[..], &self.series[..self.series_len]].concat()
    }

    /// The body, `head` then the series, compressed without first copying the series behind
    /// the head (for 2.0, the largest part of every request behind its symbols).
    ///
    /// Snappy's block format is the uncompressed length (a varint), then literals and copies
    /// of earlier output. Each part compressed on its own is a valid run of those (the `snap`
    /// crate compresses every 64 KiB of its input on its own anyway), and a copy only reaches
    /// back within its own part; so the two runs, one after the other under the total length,
    /// decompress to the two parts one after the other.
    fn compress(&mut self) -> &[u8] {
        let (head, series) = (&self.head, &self.series[..self.series_len]);
        let total = head.len() + series.len();
        let header = encoded_len_varint(total as u64);
        let room = snap::raw::max_compress_len(head.len());
        grow(&mut self.compressed_head, room);
        // Each buffer is as large as snappy can need, so compression cannot fail.
        let n = self
            .snappy
            .compress(head, &mut self.compressed_head[..room])
            .unwrap_or(0);
        let head_runs = &self.compressed_head[encoded_len_varint(head.len() as u64)..n];
        let runs_end = header + head_runs.len();
        let room = snap::raw::max_compress_len(series.len()) + encoded_len_varint(total as u64);
        grow(&mut self.compressed, runs_end + room);
        // The series' own length header lands on the last bytes of where the head's runs go
        // (the total's header is at least as long as it), and is overwritten by them.
        let at = runs_end - encoded_len_varint(series.len() as u64);
        let m = self
            .snappy
            .compress(series, &mut self.compressed[at..])
            .unwrap_or(0);
        self.compressed[header..runs_end].copy_from_slice(head_runs);
        put_varint(&mut self.compressed[..header], total as u64);
        &self.compressed[..at + m]
    }

    /// Writes a 1.0 request into `series`, returning its length.
    fn v1(&mut self, table: &SeriesTable, batch: &Batch) -> usize {
        let bound: usize = batch
            .iter()
            .map(|(id, samples)| 1 + MAX_LEN_WIDTH + v1_series_bound(table.v1_labels(id), samples))
            .sum();
        let mut out = Out::new(&mut self.series, bound);
        for (id, samples) in batch.iter() {
            let labels = table.v1_labels(id);
            out.byte(KEY_V1_TIMESERIES);
            let series = out.open(v1_series_bound(labels, samples));
            out.bytes(labels);
            out.samples(samples);
            out.close(series);
        }
        out.finish()
    }

    /// Writes a 2.0 request: its symbols into `head`, its series into `series`, returning
    /// their length.
    fn v2(&mut self, table: &SeriesTable, batch: &Batch) -> usize {
        self.start_symbols(table);
        let bound: usize = batch
            .iter()
            .map(|(id, samples)| 1 + MAX_LEN_WIDTH + v2_series_bound(table.v2_labels(id), samples))
            .sum();
        let mut series = std::mem::take(&mut self.series);
        let mut out = Out::new(&mut series, bound);
        for (id, samples) in batch.iter() {
            let labels = table.v2_labels(id);
            let (metric_type, help) = table.v2_metadata[id as usize];
            out.byte(KEY_V2_TIMESERIES);
            let timeseries = out.open(v2_series_bound(labels, samples));
            out.byte(KEY_V2_LABELS_REFS);
            let refs = out.open(labels.len() * MAX_VARINT32);
            for &string in labels {
                out.varint(u64::from(self.symbol(string)));
            }
            out.close(refs);
            out.samples(samples);
            let help = self.symbol(help);
            out.byte(KEY_V2_METADATA);
            let metadata = out.open(MAX_V2_METADATA_FIELD - 2);
            if metric_type != 0 {
                out.byte(KEY_V2_METADATA_TYPE);
                out.varint(metric_type as u64);
            }
            if help != 0 {
                out.byte(KEY_V2_METADATA_HELP);
                out.varint(u64::from(help));
            }
            out.close(metadata);
            out.close(timeseries);
        }
        let len = out.finish();
        self.series = series;
        for &string in &self.symbols {
            let s = table.strings[string as usize].as_bytes();
            self.head.push(KEY_V2_SYMBOLS);
            encode_varint(s.len() as u64, &mut self.head);
            self.head.extend_from_slice(s);
        }
        len
    }

    /// Starts a request's symbol table with `""` as symbol 0.
    fn start_symbols(&mut self, table: &SeriesTable) {
        if self.local.len() < table.strings.len() {
            self.local.resize(table.strings.len(), (0, 0));
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // After 2^32 requests the stamps wrap: forget them all.
            self.local.fill((0, 0));
            self.generation = 1;
        }
        self.symbols.clear();
        self.symbol(0);
    }

    /// This request's symbol for table string `string`, added on first use.
    #[inline]
    fn symbol(&mut self, string: u32) -> u32 {
        let entry = &mut self.local[string as usize];
        if entry.0 != self.generation {
            *entry = (
                self.generation,
                u32::try_from(self.symbols.len()).unwrap_or(u32::MAX),
            );
            self.symbols.push(string);
        }
        entry.1
    }
}

/// The most bytes a length prefix takes here: messages are under 2^35 bytes.
const MAX_LEN_WIDTH: usize = 5;
/// The most bytes a varint of a `u32` takes.
const MAX_VARINT32: usize = 5;
/// The longest `samples` field: key, length, and a message of at most 20 bytes (a key and
/// 8 bytes, a key and a 10-byte varint).
const MAX_SAMPLE_FIELD: usize = 22;
/// The longest 2.0 `metadata` field: key and length, then type and help, a key and a varint
/// each.
const MAX_V2_METADATA_FIELD: usize = 2 + 2 * (1 + MAX_VARINT32);

/// The most a 1.0 `TimeSeries` message of these label fields and samples takes.
fn v1_series_bound(labels: &[u8], samples: &[Sample]) -> usize {
    labels.len() + samples.len() * MAX_SAMPLE_FIELD
}

/// The most a 2.0 `TimeSeries` message of these label references and samples takes.
fn v2_series_bound(labels: &[u32], samples: &[Sample]) -> usize {
    1 + MAX_LEN_WIDTH
        + labels.len() * MAX_VARINT32
        + samples.len() * MAX_SAMPLE_FIELD
        + MAX_V2_METADATA_FIELD
}

/// A writer into a buffer made as long as all that will be written, beforehand: each write
/// is a store of a known size at a cursor, with no growing and no byte-by-byte pushing.
/// Length prefixes are written after their message, into room kept for the longest the
/// message could be (`open`, `close`). The buffer is not cut back afterwards (its length is
/// returned instead), so it is not filled with zeros again for every request.
struct Out<'a> {
    buf: &'a mut Vec<u8>,
    at: usize,
}

/// Where a length-prefixed message starts, from [`Out::open`].
struct Opened {
    /// Where its length goes.
    prefix: usize,
    /// The bytes kept for it.
    width: usize,
}

impl<'a> Out<'a> {
    /// Writes from the start of `buf`; `bound` is at least all that will be written.
    fn new(buf: &'a mut Vec<u8>, bound: usize) -> Self {
        grow(buf, bound);
        Self { buf, at: 0 }
    }

    #[inline]
    fn byte(&mut self, b: u8) {
        self.buf[self.at] = b;
        self.at += 1;
    }

    #[inline]
    fn bytes(&mut self, b: &[u8]) {
        self.buf[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
    }

    #[inline]
    fn varint(&mut self, v: u64) {
        if v < 0x80 {
            self.byte(v as u8);
        } else {
            self.at += put_varint(&mut self.buf[self.at..], v);
        }
    }

    /// Starts a message of at most `bound` bytes, keeping room for its length.
    #[inline]
    fn open(&mut self, bound: usize) -> Opened {
        let width = encoded_len_varint(bound as u64);
        let opened = Opened {
            prefix: self.at,
            width,
        };
        self.at += width;
        opened
    }

    /// Ends the message, writing its length. When the length is shorter than the room kept,
    /// the message moves back over the rest (rare: the bound and the length seldom fall on
    /// either side of a power of 128).
    #[inline]
    fn close(&mut self, opened: Opened) {
        let Opened { prefix, width } = opened;
        let start = prefix + width;
        let len = self.at - start;
        if width == 1 {
            // The bound was below 128, and so is the length.
            self.buf[prefix] = len as u8;
            return;
        }
        let real = encoded_len_varint(len as u64);
        if real < width {
            self.buf.copy_within(start..self.at, prefix + real);
            self.at -= width - real;
        }
        put_varint(&mut self.buf[prefix..prefix + real], len as u64);
    }

    /// The `samples` fields of `samples`.
    #[inline]
    fn samples(&mut self, samples: &[Sample]) {
        // The slice and cursor in locals, so they stay in registers across the stores.
        let buf = &mut self.buf[..];
        let mut at = self.at;
        for s in samples {
            let field: &mut [u8; MAX_SAMPLE_FIELD] = (&mut buf[at..at + MAX_SAMPLE_FIELD])
                .try_into()
                .expect("the slice is MAX_SAMPLE_FIELD long");
            let ts = s.timestamp_ms as u64;
            at += if s.value != 0.0 && ts.wrapping_sub(1) < (1 << 56) - 1 {
                // The usual sample, a value and a timestamp of 1 to 8 varint bytes, in three
                // stores of fixed size: bytes 0..8 are the keys, the length and the value's
                // first five bytes; 8..12 its last three and the timestamp's key.
                let (varint, n) = short_varint(ts);
                let bits = s.value.to_bits();
                let head = u64::from(KEY_SAMPLES)
                    | ((10 + n as u64) << 8)
                    | (u64::from(KEY_SAMPLE_VALUE) << 16)
                    | (bits << 24);
                let middle = (bits >> 40) as u32 | (u32::from(KEY_SAMPLE_TIMESTAMP) << 24);
                field[..8].copy_from_slice(&head.to_le_bytes());
                field[8..12].copy_from_slice(&middle.to_le_bytes());
                field[12..20].copy_from_slice(&varint.to_le_bytes());
                12 + n
            } else {
                unusual_sample(field, s)
            };
        }
        self.at = at;
    }

    /// How many bytes were written.
    fn finish(self) -> usize {
        self.at
    }
}

/// Makes `buf` at least `len` long, zeroing only what it adds.
fn grow(buf: &mut Vec<u8>, len: usize) {
    if buf.len() < len {
        buf.resize(len, 0);
    }
}

/// A sample with a zero value or timestamp (left out, as proto3 leaves defaults out, so
/// `-0.0`, which compares equal to 0, is sent as 0), or a timestamp of 9 or 10 varint bytes
/// (negative, or past the year 2^56 ms): its field written into `field`, its length returned.
#[cold]
fn unusual_sample(field: &mut [u8; MAX_SAMPLE_FIELD], s: &Sample) -> usize {
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
    n
}

/// `v` (below 2^56) as a varint in the low bytes of a `u64`, little end first, and its
/// length: each 7 bits moved to their byte (halves of 28 bits to their 32-bit lanes, their
/// halves to 16-bit lanes, theirs to bytes), and the continuation bit set on all but the last
/// byte, without a loop.
#[inline]
fn short_varint(v: u64) -> (u64, usize) {
    let n = encoded_len_varint(v);
    let x = (v & 0x0fff_ffff) | ((v << 4) & 0x0fff_ffff_0000_0000);
    let x = (x & 0x0000_3fff_0000_3fff) | ((x << 2) & 0x3fff_0000_3fff_0000);
    let x = (x & 0x007f_007f_007f_007f) | ((x << 1) & 0x7f00_7f00_7f00_7f00);
    let more = 0x8080_8080_8080_8080 & ((1u64 << (8 * (n - 1))) - 1);
    (x | more, n)
}

/// Writes `v` as a varint into `buf` (as long as the varint, at most 10 bytes), returning its
/// length.
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
pub(super) fn encode_varint(v: u64, out: &mut Vec<u8>) {
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
                    table.v1_labels(id),
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
    use crate::{Labels, MetricType, registry::WireSeries, stale_nan};

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

    /// Series `m{name="value"}`.
    fn one_label(name: &str, value: &str, t: MetricType, help: Option<&str>) -> WireSeries {
        WireSeries {
            labels: Labels::new("m", [(name, value)]).unwrap(),
            family: "m".into(),
            metric_type: t,
            help: help.map(Into::into),
            member: 0,
        }
    }

    fn decompress(body: &[u8]) -> Vec<u8> {
        snap::raw::Decoder::new().decompress_vec(body).unwrap()
    }

    #[test]
    fn a_sorted_run_of_tagged_samples_makes_the_batch_pushes_make() {
        let s = |t| Sample::new(t, t as f64);
        let mut pushed = Batch::default();
        pushed.push(0, [s(1), s(2)]);
        pushed.push(3, [s(1)]);
        pushed.push(7, [s(1), s(2), s(3)]);
        let mut sorted = Batch::with_capacity(6);
        sorted.push_sorted(&[
            (0, s(1)),
            (0, s(2)),
            (3, s(1)),
            (7, s(1)),
            (7, s(2)),
            (7, s(3)),
        ]);
        assert_eq!(sorted, pushed);
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
    fn lengths_kept_too_wide_are_cut_to_what_prost_writes() {
        // Room is kept for the longest a message could be (22 bytes a sample); these series
        // have 1 to 12 samples of 18 bytes and labels of many lengths, so some messages'
        // room needs a 2-byte length where the message needs 1, and some need 2 of both.
        let values: Vec<String> = (0..40).map(|i| "v".repeat(1 + i * 3)).collect();
        let series: Vec<WireSeries> = values
            .iter()
            .map(|v| one_label("k", v, MetricType::Counter, Some("Help.")))
            .collect();
        let table = SeriesTable::new(&series);
        let mut e = Encoder::default();
        // Growing, then shrinking: one encoder's buffers keep bytes of larger requests
        // beyond what a smaller one writes, which must not leak into it.
        for count in (1..=12).chain((1..12).rev()) {
            let mut batch = Batch::default();
            for id in 0..values.len() as u32 {
                batch.push(
                    id,
                    (0..count).map(|t| Sample::new(1_700_000_000_000 + t * 15_000, 2.5)),
                );
            }
            let raw = decompress(e.encode(&table, &batch, Protocol::V1));
            assert_eq!(
                raw,
                v1_message(&table, &batch).encode_to_vec(),
                "v1, {count}"
            );
            let raw = decompress(e.encode(&table, &batch, Protocol::V2));
            let req = v2::Request::decode(&raw[..]).unwrap();
            assert_eq!(raw, req.encode_to_vec(), "v2, {count}");
            let samples: usize = req.timeseries.iter().map(|t| t.samples.len()).sum();
            assert_eq!(samples, batch.sample_count());
        }
    }

    #[test]
    fn short_varints_are_prosts_varints() {
        for shift in 0..56 {
            for v in [1u64 << shift, (1u64 << shift) - 1, (1 << shift) | 0x55] {
                if v == 0 || v >= 1 << 56 {
                    continue;
                }
                let (bytes, n) = short_varint(v);
                let mut expected = Vec::new();
                prost::encoding::encode_varint(v, &mut expected);
                assert_eq!(&bytes.to_le_bytes()[..n], &expected[..], "{v}");
                assert!(bytes.to_le_bytes()[n..].iter().all(|&b| b == 0));
            }
        }
    }

    #[test]
    fn a_v2_body_past_snappys_blocks_in_both_parts_decompresses_whole() {
        // Symbols (~100 KB) and series (~200 KB) each past snappy's 64 KiB blocks, so each
        // part is compressed in several blocks before the two are joined.
        let n = 3_000;
        let ids: Vec<String> = (0..n).map(|i| format!("{i:0>30}")).collect();
        let series: Vec<WireSeries> = ids
            .iter()
            .map(|id| one_label("id", id, MetricType::Gauge, None))
            .collect();
        let table = SeriesTable::new(&series);
        let mut batch = Batch::default();
        for i in 0..n {
            batch.push(
                i,
                (0..3).map(|t| Sample::new(1_700_000_000_000 + t * 15_000, f64::from(i) + 0.5)),
            );
        }
        let mut e = Encoder::default();
        let raw = decompress(e.encode(&table, &batch, Protocol::V2));
        assert!(e.head.len() > 65_536 && e.series_len > 65_536);
        assert_eq!(raw, e.uncompressed());
        let req = v2::Request::decode(&raw[..]).unwrap();
        assert_eq!(raw, req.encode_to_vec());
        assert_eq!(req.timeseries.len(), n as usize);
        for (i, t) in req.timeseries.iter().enumerate() {
            let refs: Vec<&str> = t
                .labels_refs
                .iter()
                .map(|&r| req.symbols[r as usize].as_str())
                .collect();
            assert_eq!(refs, ["__name__", "m", "id", ids[i].as_str()]);
            assert_eq!(t.samples.len(), 3);
            assert!(t.samples.iter().all(|s| s.value == i as f64 + 0.5));
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
