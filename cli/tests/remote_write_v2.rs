//! Remote Write 2.0 (2.0-rc.4 wire format), checked from the receiver's side against the
//! spec's SENDER rules, numbered S1..S27 as in notes/rw-spec-digest.md.
//!
//! Every request is decoded by a small protobuf wire-format reader written here (varints,
//! fixed64, length-delimited), with the field numbers from the spec's `.proto`, NOT with
//! promgen's own `prost` structs: a mistake in our schema cannot hide a mistake in our
//! encoder. What the receiver must get is computed independently by a second registry built
//! from the same YAML and driven with `collect` over the same ticks.
//!
//! Receivers are in-process axum servers on 127.0.0.1:0 (Prometheus 2.42, the one in the
//! test environment, cannot receive 2.0).

mod rw_common;

use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode},
};
use promgen::{
    MetricType, STALE_NAN_BITS, Scraper,
    remote_write::{Protocol, RemoteWriter, WriteOptions, WriteSummary},
};
use rw_common::{
    Points, START_MS, Samples, Server, Shared, Store, V2_CONTENT_TYPE, assert_samples_eq, count,
    expected, header_str, registry, reply, scraper, series_key, shared, written,
};
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::{Duration, Instant},
};

const V1_CONTENT_TYPE: &str = "application/x-protobuf";

/// The spec's stale marker: the NaN with these bits and no other.
const STALE_BITS: u64 = 0x7ff0_0000_0000_0002;

// ---------------------------------------------------------------------------------------
// An independent protobuf wire-format reader.
// ---------------------------------------------------------------------------------------

/// One field's payload, by wire type.
#[derive(Debug, Clone, Copy)]
enum Wire<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2.
    Bytes(&'a [u8]),
}

/// Reads a base-128 varint: at most 10 bytes, never past the end.
fn read_varint(buf: &mut &[u8]) -> Result<u64, String> {
    let mut value = 0u64;
    for i in 0..10 {
        let (&byte, rest) = buf
            .split_first()
            .ok_or("truncated varint (the buffer ends inside it)")?;
        *buf = rest;
        if i == 9 && byte > 1 {
            return Err("varint longer than 64 bits".into());
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint longer than 10 bytes".into())
}

fn take<'a>(buf: &mut &'a [u8], n: usize, what: &str) -> Result<&'a [u8], String> {
    if buf.len() < n {
        return Err(format!(
            "truncated {what}: {n} bytes needed, {} left",
            buf.len()
        ));
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Ok(head)
}

/// Every `(field number, payload)` of a message, in wire order.
fn fields(mut buf: &[u8]) -> Result<Vec<(u64, Wire<'_>)>, String> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let key = read_varint(&mut buf)?;
        let (field, wire_type) = (key >> 3, key & 7);
        if field == 0 {
            return Err("field number 0".into());
        }
        let value = match wire_type {
            0 => Wire::Varint(read_varint(&mut buf)?),
            1 => Wire::Fixed64(u64::from_le_bytes(
                take(&mut buf, 8, "fixed64")?.try_into().unwrap(),
            )),
            2 => {
                let len = usize::try_from(read_varint(&mut buf)?).map_err(|e| e.to_string())?;
                Wire::Bytes(take(&mut buf, len, "length-delimited field")?)
            }
            // No field of the spec's messages is fixed32, and groups are long gone.
            other => return Err(format!("field {field}: unexpected wire type {other}")),
        };
        out.push((field, value));
    }
    Ok(out)
}

fn wrong(message: &str, field: u64, value: &Wire<'_>) -> String {
    format!("{message}.{field}: unexpected wire type ({value:?})")
}

fn utf8<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str, String> {
    std::str::from_utf8(bytes).map_err(|e| format!("S11: {what} is not UTF-8: {e}"))
}

/// Appends a `repeated uint32`, packed (the proto3 default) or not.
fn push_u32s(out: &mut Vec<u32>, value: &Wire<'_>, what: &str) -> Result<(), String> {
    let mut push = |v: u64| {
        u32::try_from(v)
            .map(|v| out.push(v))
            .map_err(|_| format!("{what}: {v} does not fit uint32"))
    };
    match *value {
        Wire::Varint(v) => push(v),
        Wire::Bytes(mut packed) => {
            while !packed.is_empty() {
                push(read_varint(&mut packed)?)?;
            }
            Ok(())
        }
        _ => Err(format!("{what}: unexpected wire type ({value:?})")),
    }
}

/// `io.prometheus.write.v2.Request`, as far as a sender of float samples fills it.
#[derive(Debug, Default)]
struct V2Request {
    symbols: Vec<String>,
    timeseries: Vec<V2Series>,
}

#[derive(Debug, Default)]
struct V2Series {
    labels_refs: Vec<u32>,
    samples: Vec<V2Sample>,
    histograms: usize,
    exemplars: usize,
    metadata: Option<V2Metadata>,
}

#[derive(Debug, Default, Clone, Copy)]
struct V2Sample {
    /// The value's bits: a missing field is 0.0.
    value_bits: u64,
    timestamp: i64,
    start_timestamp: i64,
}

#[derive(Debug, Default, Clone, Copy)]
struct V2Metadata {
    metric_type: u64,
    help_ref: u32,
    unit_ref: u32,
}

fn decode_v2(buf: &[u8]) -> Result<V2Request, String> {
    let mut req = V2Request::default();
    for (field, value) in fields(buf)? {
        match (field, value) {
            // reserved 1 to 3: a 1.0 receiver must see an empty WriteRequest.
            (1..=3, _) => return Err(format!("Request.{field} is reserved in 2.0")),
            (4, Wire::Bytes(s)) => req.symbols.push(utf8(s, "a symbol")?.to_owned()),
            (5, Wire::Bytes(b)) => req.timeseries.push(decode_v2_series(b)?),
            (4 | 5, v) => return Err(wrong("Request", field, &v)),
            (_, v) => return Err(format!("Request.{field}: unknown field ({v:?})")),
        }
    }
    Ok(req)
}

fn decode_v2_series(buf: &[u8]) -> Result<V2Series, String> {
    let mut ts = V2Series::default();
    for (field, value) in fields(buf)? {
        match (field, value) {
            (1, v) => push_u32s(&mut ts.labels_refs, &v, "TimeSeries.labels_refs")?,
            (2, Wire::Bytes(b)) => ts.samples.push(decode_v2_sample(b)?),
            (3, Wire::Bytes(_)) => ts.histograms += 1,
            (4, Wire::Bytes(_)) => ts.exemplars += 1,
            (5, Wire::Bytes(b)) => {
                if ts.metadata.is_some() {
                    return Err("TimeSeries.metadata given twice".into());
                }
                ts.metadata = Some(decode_v2_metadata(b)?);
            }
            (6, _) => {
                return Err(
                    "TimeSeries.6 is reserved in rc.4 (rc.3's created_timestamp): wrong wire format"
                        .into(),
                );
            }
            (2..=5, v) => return Err(wrong("TimeSeries", field, &v)),
            (_, v) => return Err(format!("TimeSeries.{field}: unknown field ({v:?})")),
        }
    }
    Ok(ts)
}

fn decode_v2_sample(buf: &[u8]) -> Result<V2Sample, String> {
    let mut s = V2Sample::default();
    for (field, value) in fields(buf)? {
        match (field, value) {
            (1, Wire::Fixed64(bits)) => s.value_bits = bits,
            (2, Wire::Varint(v)) => s.timestamp = v as i64,
            (3, Wire::Varint(v)) => s.start_timestamp = v as i64,
            (1..=3, v) => return Err(wrong("Sample", field, &v)),
            (_, v) => return Err(format!("Sample.{field}: unknown field ({v:?})")),
        }
    }
    Ok(s)
}

fn decode_v2_metadata(buf: &[u8]) -> Result<V2Metadata, String> {
    let mut m = V2Metadata::default();
    let small = |v: u64, what: &str| u32::try_from(v).map_err(|_| format!("{what} {v} > u32"));
    for (field, value) in fields(buf)? {
        match (field, value) {
            (1, Wire::Varint(v)) => m.metric_type = v,
            (3, Wire::Varint(v)) => m.help_ref = small(v, "Metadata.help_ref")?,
            (4, Wire::Varint(v)) => m.unit_ref = small(v, "Metadata.unit_ref")?,
            (1 | 3 | 4, v) => return Err(wrong("Metadata", field, &v)),
            (_, v) => return Err(format!("Metadata.{field}: unknown field ({v:?})")),
        }
    }
    Ok(m)
}

/// A decoded `prometheus.WriteRequest` (1.0): series (labels, samples) and how many
/// metadata entries.
#[derive(Debug, Default)]
struct V1Request {
    timeseries: Vec<(Vec<(String, String)>, Points)>,
    metadata: usize,
}

/// `lenient`: skip unknown top-level fields, as any protobuf decoder does (how a 1.0
/// receiver reads a 2.0 body); otherwise refuse them (what our sender must not send).
fn decode_v1(buf: &[u8], lenient: bool) -> Result<V1Request, String> {
    let mut req = V1Request::default();
    for (field, value) in fields(buf)? {
        match (field, value) {
            (1, Wire::Bytes(b)) => {
                let (mut labels, mut samples) = (Vec::new(), Vec::new());
                for (f, v) in fields(b)? {
                    match (f, v) {
                        (1, Wire::Bytes(l)) => {
                            let (mut name, mut value) = (String::new(), String::new());
                            for (lf, lv) in fields(l)? {
                                match (lf, lv) {
                                    (1, Wire::Bytes(s)) => name = utf8(s, "a label name")?.into(),
                                    (2, Wire::Bytes(s)) => {
                                        value = utf8(s, "a label value")?.into();
                                    }
                                    (_, v) => return Err(wrong("Label", lf, &v)),
                                }
                            }
                            labels.push((name, value));
                        }
                        (2, Wire::Bytes(s)) => {
                            let (mut bits, mut ts) = (0u64, 0i64);
                            for (sf, sv) in fields(s)? {
                                match (sf, sv) {
                                    (1, Wire::Fixed64(b)) => bits = b,
                                    (2, Wire::Varint(t)) => ts = t as i64,
                                    (_, v) => return Err(wrong("Sample", sf, &v)),
                                }
                            }
                            samples.push((ts, bits));
                        }
                        (_, v) => return Err(wrong("TimeSeries", f, &v)),
                    }
                }
                req.timeseries.push((labels, samples));
            }
            (3, Wire::Bytes(_)) => req.metadata += 1,
            (1 | 3, v) => return Err(wrong("WriteRequest", field, &v)),
            _ if lenient => {}
            (_, v) => return Err(format!("WriteRequest.{field}: unknown field ({v:?})")),
        }
    }
    Ok(req)
}

/// S1: the body is snappy's block format (not the framed stream format).
fn unsnappy(body: &[u8]) -> Result<Vec<u8>, String> {
    if body.starts_with(&[0xff, 0x06, 0x00, 0x00, b's', b'N', b'a', b'P', b'p', b'Y']) {
        return Err(
            "S1: the body is snappy's FRAMED format; the spec requires block format".into(),
        );
    }
    let len = snap::raw::decompress_len(body).map_err(|e| format!("S1: not snappy: {e}"))?;
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| format!("S1: not a snappy block: {e}"))?;
    if raw.len() != len {
        return Err("S1: snappy block length disagrees with its preamble".into());
    }
    Ok(raw)
}

// ---------------------------------------------------------------------------------------
// The checking 2.0 receiver.
// ---------------------------------------------------------------------------------------

/// What the receiver knows of each series beforehand: the metric type number the spec's
/// `Metadata.MetricType` gives its family, and its family's HELP text.
type Catalog = BTreeMap<String, (u64, String)>;

/// `io.prometheus.write.v2.Metadata.MetricType`, from the spec's proto.
fn spec_type_number(t: MetricType) -> u64 {
    match t {
        MetricType::Untyped => 0,
        MetricType::Counter => 1,
        MetricType::Gauge => 2,
        MetricType::Histogram => 3,
        MetricType::Summary => 5,
    }
}

fn catalog(yaml: &str) -> Catalog {
    registry(yaml)
        .wire_series()
        .iter()
        .map(|w| {
            (
                series_key(w.labels.iter()),
                (
                    spec_type_number(w.metric_type),
                    w.help.clone().unwrap_or_default(),
                ),
            )
        })
        .collect()
}

#[derive(Debug, Default)]
struct V2Log {
    store: Store,
    requests: usize,
    /// Per series key: how many requests carried it.
    requests_per_series: BTreeMap<String, usize>,
    /// Requests that carried more than one series.
    multi_series_requests: usize,
    /// The largest request, in samples.
    max_samples: usize,
    /// User-Agents seen.
    user_agents: BTreeSet<String>,
    /// Counters with `Sample.start_timestamp` set (S15 is a SHOULD: reported, not required).
    start_timestamps: usize,
}

/// Checks one request against S1–S18; returns its series (key, samples) or every violation.
fn check_v2(
    headers: &HeaderMap,
    body: &[u8],
    catalog: &Catalog,
    window: (i64, i64, i64),
    log: &mut V2Log,
) -> Result<Vec<(String, Points)>, Vec<String>> {
    let mut v = Vec::new();
    // S2/S3: Content-Encoding present and `snappy`.
    match header_str(headers, "content-encoding") {
        Some("snappy") => {}
        other => v.push(format!(
            "S2/S3: Content-Encoding must be snappy, got {other:?}"
        )),
    }
    // S2/S4: Content-Type names the 2.0 message.
    match header_str(headers, "content-type") {
        Some(V2_CONTENT_TYPE) => {}
        other => v.push(format!(
            "S2/S4: Content-Type must be {V2_CONTENT_TYPE:?}, got {other:?}"
        )),
    }
    // S2/S5: the version is 2.0.0.
    match header_str(headers, "x-prometheus-remote-write-version") {
        Some("2.0.0") => {}
        other => v.push(format!(
            "S2/S5: X-Prometheus-Remote-Write-Version must be 2.0.0, got {other:?}"
        )),
    }
    // S2/S6: User-Agent present, `product/version` (RFC 9110).
    match header_str(headers, "user-agent") {
        Some(ua)
            if ua
                .split_once('/')
                .is_some_and(|(p, ver)| !p.is_empty() && !ver.is_empty()) =>
        {
            log.user_agents.insert(ua.to_owned());
        }
        other => v.push(format!(
            "S2/S6: User-Agent must be product/version, got {other:?}"
        )),
    }
    for name in [
        "content-encoding",
        "content-type",
        "x-prometheus-remote-write-version",
        "user-agent",
    ] {
        if headers.get_all(name).iter().count() > 1 {
            v.push(format!("S2: reserved header {name} sent more than once"));
        }
    }
    // S1: protobuf in a snappy block.
    let raw = match unsnappy(body) {
        Ok(raw) => raw,
        Err(e) => {
            v.push(e);
            return Err(v);
        }
    };
    let req = match decode_v2(&raw) {
        Ok(r) => r,
        Err(e) => {
            v.push(format!(
                "S1: not a valid io.prometheus.write.v2.Request: {e}"
            ));
            return Err(v);
        }
    };
    // S8: symbols given, "" first, deduplicated.
    if req.symbols.first().map(String::as_str) != Some("") {
        v.push(format!(
            "S8: symbols[0] must be \"\", got {:?}",
            req.symbols.first()
        ));
    }
    let mut unique = BTreeSet::new();
    for s in &req.symbols {
        if !unique.insert(s.as_str()) {
            v.push(format!("S8: symbol {s:?} is not deduplicated"));
        }
    }
    let symbol = |r: u32, what: &str, v: &mut Vec<String>| -> Option<String> {
        let s = req.symbols.get(r as usize).cloned();
        if s.is_none() {
            v.push(format!(
                "S8: {what} ref {r} is outside symbols (len {})",
                req.symbols.len()
            ));
        }
        s
    };
    let (start, end, interval) = window;
    let mut out = Vec::new();
    let mut samples_in_request = 0;
    for (n, ts) in req.timeseries.iter().enumerate() {
        let at = format!("timeseries[{n}]");
        // S9: labels_refs given, in (name, value) pairs.
        if ts.labels_refs.is_empty() || ts.labels_refs.len() % 2 != 0 {
            v.push(format!(
                "S9: {at}: labels_refs must be non-empty and of even length, got {}",
                ts.labels_refs.len()
            ));
            continue;
        }
        let mut labels: Vec<(String, String)> = Vec::new();
        for pair in ts.labels_refs.chunks(2) {
            let name = symbol(pair[0], &format!("{at}: label name"), &mut v);
            let value = symbol(pair[1], &format!("{at}: label value"), &mut v);
            if let (Some(name), Some(value)) = (name, value) {
                labels.push((name, value));
            }
        }
        // S10: sorted by name, no repeated name, no empty name or value, __name__ present.
        for w in labels.windows(2) {
            if w[0].0 == w[1].0 {
                v.push(format!("S10: {at}: label name {:?} repeated", w[0].0));
            } else if w[0].0 > w[1].0 {
                v.push(format!(
                    "S10: {at}: label names not sorted: {:?} before {:?}",
                    w[0].0, w[1].0
                ));
            }
        }
        for (name, value) in &labels {
            if name.is_empty() || value.is_empty() {
                v.push(format!(
                    "S10: {at}: empty label name or value {name:?}={value:?}"
                ));
            }
        }
        let Some(metric) = labels
            .iter()
            .find(|(k, _)| k == "__name__")
            .map(|(_, val)| val.clone())
        else {
            v.push(format!("S10: {at}: no __name__ label in {labels:?}"));
            continue;
        };
        // S11 (SHOULD, met by everything promgen makes): Prometheus's name syntax.
        let ok_name = |s: &str, colon: bool| {
            let ok = |c: char, first: bool| {
                c.is_ascii_alphabetic()
                    || c == '_'
                    || (colon && c == ':')
                    || (!first && c.is_ascii_digit())
            };
            s.chars().enumerate().all(|(i, c)| ok(c, i == 0)) && !s.is_empty()
        };
        if !ok_name(&metric, true) {
            v.push(format!("S11: {at}: metric name {metric:?}"));
        }
        for (name, _) in &labels {
            if !ok_name(name, false) {
                v.push(format!("S11: {at}: label name {name:?}"));
            }
        }
        let key = series_key(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let Some((want_type, want_help)) = catalog.get(&key) else {
            v.push(format!("{at}: a series the config does not have: {key}"));
            continue;
        };
        // S12: float samples only, at least one, no histograms (promgen writes classic
        // histograms as _bucket/_sum/_count float series).
        if ts.samples.is_empty() {
            v.push(format!("S12: {at} {key}: no samples"));
        }
        if ts.histograms > 0 {
            v.push(format!("S12: {at} {key}: carries native histograms"));
        }
        if ts.exemplars > 0 {
            v.push(format!(
                "S14: {at} {key}: exemplars, though the config has none"
            ));
        }
        // S13: metadata: the family's type, and help_ref pointing at its HELP ("" if none).
        match ts.metadata {
            None => v.push(format!("S13: {at} {key}: no metadata")),
            Some(m) => {
                if m.metric_type == 0 || m.metric_type != *want_type {
                    v.push(format!(
                        "S13: {at} {key}: metadata type {} (want {want_type}, set)",
                        m.metric_type
                    ));
                }
                if let Some(help) = symbol(m.help_ref, &format!("{at}: help"), &mut v)
                    && help != *want_help
                {
                    v.push(format!(
                        "S13: {at} {key}: help_ref {} -> {help:?}, want {want_help:?}",
                        m.help_ref
                    ));
                }
                if let Some(unit) = symbol(m.unit_ref, &format!("{at}: unit"), &mut v)
                    && !unit.is_empty()
                {
                    v.push(format!("S13: {at} {key}: unit {unit:?}, config has none"));
                }
            }
        }
        // S16: int64 milliseconds (on the scraper's grid, inside its window);
        // S17: oldest first within the series.
        let mut samples = Vec::with_capacity(ts.samples.len());
        for (i, s) in ts.samples.iter().enumerate() {
            if s.timestamp < start || s.timestamp > end || (s.timestamp - start) % interval != 0 {
                v.push(format!(
                    "S16: {at} {key}: timestamp {} is not a millisecond tick in [{start}, {end}]",
                    s.timestamp
                ));
            }
            if i > 0 && s.timestamp <= ts.samples[i - 1].timestamp {
                v.push(format!(
                    "S17: {at} {key}: timestamp {} after {} in one request",
                    s.timestamp,
                    ts.samples[i - 1].timestamp
                ));
            }
            // S18: a NaN is the stale marker, exactly, or the config's plain NaN: never
            // anything in between (the bit-exact comparison says which was due where).
            if f64::from_bits(s.value_bits).is_nan()
                && s.value_bits != STALE_BITS
                && s.value_bits != f64::NAN.to_bits()
            {
                v.push(format!(
                    "S18: {at} {key}: NaN with bits {:#x}: neither a stale marker nor a plain NaN",
                    s.value_bits
                ));
            }
            // S15 is a SHOULD: when a start timestamp is given it must not be later.
            if s.start_timestamp != 0 {
                log.start_timestamps += 1;
                if s.start_timestamp > s.timestamp {
                    v.push(format!(
                        "S15: {at} {key}: start_timestamp {} after timestamp {}",
                        s.start_timestamp, s.timestamp
                    ));
                }
            }
            samples.push((s.timestamp, s.value_bits));
        }
        samples_in_request += samples.len();
        *log.requests_per_series.entry(key.clone()).or_default() += 1;
        out.push((key, samples));
    }
    if out.len() > 1 {
        log.multi_series_requests += 1;
    }
    log.max_samples = log.max_samples.max(samples_in_request);
    if v.is_empty() { Ok(out) } else { Err(v) }
}

/// A 2.0 receiver checking every request; a request breaking a rule gets a 400 naming it
/// (so the write fails), and the violation is kept for the test's own assertion.
async fn checking_receiver(catalog: Catalog, scraper: &Scraper) -> (Server, Shared<V2Log>) {
    let log: Shared<V2Log> = shared();
    let catalog = Arc::new(catalog);
    let end = scraper
        .tick(scraper.tick_count().unwrap() - 1)
        .unwrap()
        .timestamp_ms;
    let window = (scraper.start_ms(), end, scraper.interval_ms());
    let state = Arc::clone(&log);
    let server = Server::start(move |headers: HeaderMap, body: Bytes| {
        let (log, catalog) = (Arc::clone(&state), Arc::clone(&catalog));
        async move {
            let mut log = log.lock().unwrap();
            log.requests += 1;
            match check_v2(&headers, &body, &catalog, window, &mut log) {
                Ok(series) => {
                    let n = series.iter().map(|(_, s)| s.len()).sum();
                    log.store.add(series);
                    written(n)
                }
                Err(violations) => {
                    let text = violations.join("\n");
                    log.store.violations.extend(violations);
                    reply(StatusCode::BAD_REQUEST, &[], &text)
                }
            }
        }
    })
    .await;
    (server, log)
}

// ---------------------------------------------------------------------------------------
// The config and the write.
// ---------------------------------------------------------------------------------------

/// A gauge with HELP (quotes, a backslash, non-ASCII), a counter without HELP, a series
/// with a gap and a stale marker of its own, a series that ends (its stale marker), a
/// histogram with two label sets, and multiple label sets everywhere.
const CONFIG: &str = r#"
metrics:
  - name: room_temperature_celsius
    help: 'Room temperature, with "quotes", a \ backslash and ü.'
    type: gauge
    labels: [room, floor]
    timeseries:
      - labels: {room: lab, floor: "1"}
        endStrategy: loop
        values: "20 20.5 0 NaN -3.25 Inf 21"
      - labels: {room: office, floor: "2"}
        series: 'normal(21, 0.5)'
  - name: jobs_processed_total
    type: counter
    timeseries:
      - labels: {queue: default}
        series: 'uniform(0..5).cumsum()'
      - labels: {queue: gappy}
        endStrategy: loop
        values: "0+1x4 _x3 8+1x2 stale 11 12"
  - name: batch_progress
    help: A nightly batch that finishes part way through.
    type: gauge
    timeseries:
      - labels: {job: nightly}
        values: "0+10x9"
  - name: request_duration_seconds
    help: Request latency.
    type: histogram
    buckets: [0.1, 0.25, 0.5, 1]
    timeseries:
      - labels: {handler: /api}
        observations: 'normal(0.3, 0.1).clamp(0, 10)'
        perScrape: 20
      - labels: {handler: /health}
        observations: 'uniform(0..0.2)'
        perScrape: 3
"#;

const TICKS: i64 = 40;
const INTERVAL_MS: i64 = 15_000;

fn options(url: String, protocol: Protocol) -> WriteOptions {
    let mut opts = WriteOptions::new(url);
    opts.protocol = protocol;
    opts.concurrency = 3;
    opts.max_samples_per_send = 7;
    opts.min_backoff = Duration::from_millis(10);
    opts.max_backoff = Duration::from_millis(100);
    opts.retry_for = Duration::from_secs(5);
    opts.timeout = Duration::from_secs(5);
    opts
}

async fn write(opts: &WriteOptions, yaml: &str, scraper: &Scraper) -> WriteSummary {
    let mut registry = registry(yaml);
    let writer = RemoteWriter::new(opts).unwrap();
    tokio::time::timeout(
        Duration::from_secs(20),
        writer.run(&mut registry, scraper, std::future::pending()),
    )
    .await
    .expect("the write did not finish in 20 s")
    .unwrap_or_else(|e| panic!("the write failed: {e}"))
}

fn at(tick: i64) -> i64 {
    START_MS + tick * INTERVAL_MS
}

fn bits(v: f64) -> u64 {
    v.to_bits()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn v2_requests_follow_the_sender_rules_and_carry_exactly_the_samples() {
    let started = Instant::now();
    let clock = scraper(TICKS, INTERVAL_MS);
    let want = expected(CONFIG, &clock);
    let (server, log) = checking_receiver(catalog(CONFIG), &clock).await;

    let summary = write(&options(server.url(), Protocol::V2), CONFIG, &clock).await;
    server.shutdown().await;

    let log = std::mem::take(&mut *log.lock().unwrap());
    assert!(
        log.store.violations.is_empty(),
        "sender rules broken:\n  {}",
        log.store.violations.join("\n  ")
    );
    // Bit-exact, stale markers included, each sample once, in order per series (S16-S18).
    assert_samples_eq(&log.store.samples, &want, "2.0 receiver");

    // The written headers were read: no fallback, nothing retried, every sample counted.
    assert_eq!(
        summary.protocol,
        Protocol::V2,
        "S23: no reason to fall back"
    );
    assert_eq!(summary.retries, 0);
    assert_eq!(summary.samples as usize, count(&want));
    assert_eq!(summary.requests as usize, log.requests);
    assert_eq!(summary.series, catalog(CONFIG).len());

    // The write really split series across requests, in several shards, and batched
    // several series together: what the ordering checks are about.
    assert!(
        log.max_samples <= 7,
        "max_samples_per_send 7: {}",
        log.max_samples
    );
    let split = log.requests_per_series.values().filter(|&&n| n > 1).count();
    assert_eq!(
        split,
        want.len(),
        "every series should span several requests: {:?}",
        log.requests_per_series
    );
    assert!(
        log.multi_series_requests > 0,
        "no request carried two series"
    );
    assert_eq!(
        log.user_agents.len(),
        1,
        "S6: one User-Agent: {:?}",
        log.user_agents
    );

    // Hand-checked: the collect-based expectation itself says what the config says.
    let samples = &log.store.samples;
    // S18: a series whose shape ends gets one stale marker, with exactly these bits, at the
    // tick after its last value, and nothing after it.
    let nightly = &samples[&series_key([("__name__", "batch_progress"), ("job", "nightly")])];
    let mut want_nightly: Points = (0..10).map(|i| (at(i), bits(i as f64 * 10.0))).collect();
    want_nightly.push((at(10), STALE_BITS));
    assert_eq!(nightly, &want_nightly, "S18: the ended series");
    assert_eq!(STALE_BITS, STALE_NAN_BITS, "S18: promgen's stale bits");
    // A gap sends nothing; a stale marker of the shape is sent as one; NaN stays a plain
    // NaN, 0 stays 0 (proto3 leaves the field out), Inf stays Inf.
    let gappy = &samples[&series_key([("__name__", "jobs_processed_total"), ("queue", "gappy")])];
    let want_gappy = [
        (at(0), bits(0.0)),
        (at(1), bits(1.0)),
        (at(2), bits(2.0)),
        (at(3), bits(3.0)),
        (at(4), bits(4.0)),
        (at(8), bits(8.0)),
        (at(9), bits(9.0)),
        (at(10), bits(10.0)),
        (at(11), STALE_BITS),
        (at(12), bits(11.0)),
        (at(13), bits(12.0)),
        (at(14), bits(0.0)),
    ];
    assert_eq!(&gappy[..want_gappy.len()], &want_gappy, "the gappy series");
    let lab = &samples[&series_key([
        ("__name__", "room_temperature_celsius"),
        ("floor", "1"),
        ("room", "lab"),
    ])];
    let lab_values: Vec<u64> = lab.iter().take(7).map(|&(_, b)| b).collect();
    assert_eq!(
        lab_values,
        [20.0, 20.5, 0.0, f64::NAN, -3.25, f64::INFINITY, 21.0].map(bits),
        "the lab gauge, bit for bit"
    );
    // Five buckets, _sum and _count for each handler.
    let buckets = samples
        .keys()
        .filter(|k| k.contains("request_duration_seconds_bucket"))
        .count();
    assert_eq!(buckets, 10);

    // S15 is a SHOULD (start timestamps for counters): reported, not required.
    eprintln!(
        "{} samples in {} requests over {:.2}s; samples with a start_timestamp (S15): {}",
        summary.samples,
        summary.requests,
        started.elapsed().as_secs_f64(),
        log.start_timestamps
    );
}

// ---------------------------------------------------------------------------------------
// Falling back to 1.0 (S23, S26).
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct FallbackLog {
    store: Store,
    /// 2.0 requests received (answered 415, or 204 without the written headers).
    v2_requests: usize,
    /// 1.0 requests received.
    v1_requests: usize,
    /// 1.0 requests carrying family metadata.
    metadata_requests: usize,
}

/// Checks and stores a 1.0 request, as it must be sent to a 1.0 receiver (S4, S5).
fn take_v1(headers: &HeaderMap, body: &[u8], log: &mut FallbackLog) -> Result<usize, String> {
    let mut v = Vec::new();
    if header_str(headers, "content-type") != Some(V1_CONTENT_TYPE) {
        v.push(format!(
            "S4: 1.0 Content-Type must be {V1_CONTENT_TYPE:?}, got {:?}",
            header_str(headers, "content-type")
        ));
    }
    if header_str(headers, "x-prometheus-remote-write-version") != Some("0.1.0") {
        v.push(format!(
            "S5: 1.0 version must be 0.1.0, got {:?}",
            header_str(headers, "x-prometheus-remote-write-version")
        ));
    }
    if header_str(headers, "content-encoding") != Some("snappy") {
        v.push("S3: Content-Encoding must be snappy".into());
    }
    if header_str(headers, "user-agent").is_none_or(str::is_empty) {
        v.push("S6: no User-Agent".into());
    }
    let req = unsnappy(body).and_then(|raw| decode_v1(&raw, false));
    let req = match req {
        Ok(r) => r,
        Err(e) => {
            v.push(format!("not a 1.0 WriteRequest: {e}"));
            return Err(v.join("; "));
        }
    };
    if !v.is_empty() {
        return Err(v.join("; "));
    }
    log.v1_requests += 1;
    if req.metadata > 0 {
        log.metadata_requests += 1;
    }
    let mut n = 0;
    let series = req
        .timeseries
        .into_iter()
        .map(|(labels, samples)| {
            n += samples.len();
            (
                series_key(labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                samples,
            )
        })
        .collect();
    log.store.add(series);
    Ok(n)
}

async fn fallback_write(receiver_415: bool) -> (WriteSummary, FallbackLog, Samples) {
    let clock = scraper(TICKS, INTERVAL_MS);
    let want = expected(CONFIG, &clock);
    let log: Shared<FallbackLog> = shared();
    let state = Arc::clone(&log);
    let server = Server::start(move |headers: HeaderMap, body: Bytes| {
        let log = Arc::clone(&state);
        async move {
            let mut log = log.lock().unwrap();
            let v2 = header_str(&headers, "content-type") == Some(V2_CONTENT_TYPE);
            if v2 {
                log.v2_requests += 1;
            }
            if receiver_415 {
                // A receiver that does not take the 2.0 message (as the spec says: 415).
                if v2 {
                    return reply(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        &[],
                        "unsupported content type",
                    );
                }
            } else if v2 {
                // Prometheus 2.42: the content type is not looked at; the 2.0 body decodes
                // as an empty 1.0 request (fields 1-3 reserved in 2.0), nothing is written,
                // and the answer is 204 without any written header.
                let empty = unsnappy(&body)
                    .and_then(|raw| decode_v1(&raw, true))
                    .map(|r| r.timeseries.is_empty() && r.metadata == 0);
                return match empty {
                    Ok(true) => reply(StatusCode::NO_CONTENT, &[], ""),
                    Ok(false) => {
                        let text = "a 2.0 body decoded as 1.0 is not empty";
                        log.store.violations.push(text.into());
                        reply(StatusCode::BAD_REQUEST, &[], text)
                    }
                    Err(e) => {
                        log.store.violations.push(e.clone());
                        reply(StatusCode::BAD_REQUEST, &[], &e)
                    }
                };
            }
            match take_v1(&headers, &body, &mut log) {
                Ok(_) => reply(StatusCode::NO_CONTENT, &[], ""),
                Err(e) => {
                    log.store.violations.push(e.clone());
                    reply(StatusCode::BAD_REQUEST, &[], &e)
                }
            }
        }
    })
    .await;
    let summary = write(&options(server.url(), Protocol::V2), CONFIG, &clock).await;
    server.shutdown().await;
    let log = std::mem::take(&mut *log.lock().unwrap());
    (summary, log, want)
}

fn check_fallback(summary: &WriteSummary, log: &FallbackLog, want: &Samples, what: &str) {
    assert!(
        log.store.violations.is_empty(),
        "{what}: {}",
        log.store.violations.join("\n")
    );
    assert!(log.v2_requests >= 1, "{what}: the writer never tried 2.0");
    assert!(
        log.v2_requests <= 3,
        "{what}: at most one 2.0 request per shard before the fallback, got {}",
        log.v2_requests
    );
    assert_eq!(summary.protocol, Protocol::V1, "{what}: summary.protocol");
    assert_eq!(summary.retries, 0, "{what}: a fallback is not a retry");
    // 2.0 carried type and help on every series; 1.0 sends them apart, once.
    assert_eq!(
        log.metadata_requests, 1,
        "{what}: the families' metadata is sent once in 1.0 after the fallback"
    );
    assert_samples_eq(&log.store.samples, want, what);
    assert_eq!(
        summary.samples as usize,
        count(want),
        "{what}: summary.samples"
    );
}

/// S26: a receiver that answers 415 to the 2.0 message is written to in 1.0, and gets every
/// sample once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_415_makes_the_writer_fall_back_to_1_0_and_nothing_is_lost_or_doubled() {
    let (summary, log, want) = fallback_write(true).await;
    check_fallback(&summary, &log, &want, "415 receiver");
}

/// S23: 204 without any X-Prometheus-Remote-Write-*-Written header to a 2.0 request (what
/// Prometheus 2.42 answers, having written nothing) counts as 415: fall back, resend.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_204_without_written_headers_means_a_1_0_receiver_and_everything_is_resent() {
    let (summary, log, want) = fallback_write(false).await;
    check_fallback(&summary, &log, &want, "Prometheus 2.42-like receiver");
}

// ---------------------------------------------------------------------------------------
// Rules that need a config or options of their own.
// ---------------------------------------------------------------------------------------

/// S2: the four reserved headers cannot be overridden by the user's extra headers
/// (`WriteOptions::headers` documents the same), while other extra headers are sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s2_extra_headers_cannot_override_the_reserved_ones() {
    let yaml =
        "metrics: [{name: up, type: gauge, timeseries: [{labels: {job: a}, values: '1 2 3'}]}]";
    let clock = scraper(3, INTERVAL_MS);
    let seen: Shared<Vec<HeaderMap>> = shared();
    let state = Arc::clone(&seen);
    let server = Server::start(move |headers: HeaderMap, _body: Bytes| {
        let seen = Arc::clone(&state);
        async move {
            seen.lock().unwrap().push(headers);
            written(3)
        }
    })
    .await;
    let mut opts = options(server.url(), Protocol::V2);
    opts.concurrency = 1;
    opts.headers = vec![
        ("X-Scope-OrgID".into(), "tenant-1".into()),
        ("User-Agent".into(), "impostor/6.6.6".into()),
        ("Content-Type".into(), "text/plain".into()),
        ("Content-Encoding".into(), "gzip".into()),
        ("X-Prometheus-Remote-Write-Version".into(), "9.9.9".into()),
    ];
    // Either refusing such options or ignoring the overrides is fine; sending them is not.
    let writer = match RemoteWriter::new(&opts) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("the reserved headers were refused: {e}");
            return;
        }
    };
    let mut registry = registry(yaml);
    writer
        .run(&mut registry, &clock, std::future::pending())
        .await
        .unwrap();
    server.shutdown().await;
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    for headers in seen.iter() {
        let all = |name: &str| -> Vec<&str> {
            headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap())
                .collect()
        };
        assert_eq!(all("x-scope-orgid"), ["tenant-1"], "extra headers are sent");
        assert_eq!(all("content-type"), [V2_CONTENT_TYPE], "S2/S4");
        assert_eq!(all("content-encoding"), ["snappy"], "S2/S3");
        assert_eq!(all("x-prometheus-remote-write-version"), ["2.0.0"], "S2/S5");
        let ua = all("user-agent");
        assert!(
            ua.len() == 1 && ua[0].starts_with("promgen/"),
            "S2/S6: the user's User-Agent replaced the sender's: {ua:?}"
        );
    }
}

/// S10: labels are sorted lexicographically by name (bytewise, as Prometheus does), so a
/// label name starting with a capital letter sorts BEFORE `__name__` ('Z' < '_'). Such
/// names are valid (`[a-zA-Z_][a-zA-Z0-9_]*`) and must be writable.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s10_capitalised_label_names_are_written_and_sorted_before_the_name() {
    let yaml = "metrics: [{name: up, type: gauge, timeseries: [{labels: {Zone: eu, job: a}, values: '1 2 3'}]}]";
    let clock = scraper(3, INTERVAL_MS);
    let config = promgen::config::Config::parse(yaml, "t.yaml");
    assert!(
        config.is_ok(),
        "S10/S11: a config with the valid label name `Zone` is refused: {}",
        config.err().map(|e| e.to_string()).unwrap_or_default()
    );
    let want = expected(yaml, &clock);
    let (server, log) = checking_receiver(catalog(yaml), &clock).await;
    write(&options(server.url(), Protocol::V2), yaml, &clock).await;
    server.shutdown().await;
    let log = log.lock().unwrap();
    assert!(
        log.store.violations.is_empty(),
        "{}",
        log.store.violations.join("\n")
    );
    assert_samples_eq(&log.store.samples, &want, "Zone");
}

// ---------------------------------------------------------------------------------------
// The checker checked: hand-made requests breaking one rule each must be caught, so a
// passing write above means something.
// ---------------------------------------------------------------------------------------

/// A tiny protobuf writer, for hand-made requests.
#[derive(Default, Clone)]
struct Pb(Vec<u8>);

impl Pb {
    fn varint(mut self, field: u64, v: u64) -> Self {
        self.key(field, 0);
        self.raw_varint(v);
        self
    }
    fn fixed64(mut self, field: u64, v: u64) -> Self {
        self.key(field, 1);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn bytes(mut self, field: u64, b: &[u8]) -> Self {
        self.key(field, 2);
        self.raw_varint(b.len() as u64);
        self.0.extend_from_slice(b);
        self
    }
    fn packed(self, field: u64, vs: &[u64]) -> Self {
        let mut inner = Pb::default();
        for &v in vs {
            inner.raw_varint(v);
        }
        self.bytes(field, &inner.0)
    }
    fn key(&mut self, field: u64, wire_type: u64) {
        self.raw_varint(field << 3 | wire_type);
    }
    fn raw_varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
}

fn sample(value: f64, ts: i64) -> Vec<u8> {
    Pb::default()
        .fixed64(1, value.to_bits())
        .varint(2, ts as u64)
        .0
}

fn series(refs: &[u64], samples: &[Vec<u8>], metadata: Option<Vec<u8>>) -> Vec<u8> {
    let mut ts = Pb::default().packed(1, refs);
    for s in samples {
        ts = ts.bytes(2, s);
    }
    if let Some(m) = metadata {
        ts = ts.bytes(5, &m);
    }
    ts.0
}

fn request(symbols: &[&str], timeseries: &[Vec<u8>]) -> Vec<u8> {
    let mut req = Pb::default();
    for s in symbols {
        req = req.bytes(4, s.as_bytes());
    }
    for ts in timeseries {
        req = req.bytes(5, ts);
    }
    req.0
}

fn v2_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("content-encoding", "snappy".parse().unwrap());
    h.insert("content-type", V2_CONTENT_TYPE.parse().unwrap());
    h.insert(
        "x-prometheus-remote-write-version",
        "2.0.0".parse().unwrap(),
    );
    h.insert("user-agent", "test/1".parse().unwrap());
    h
}

#[test]
fn the_checker_catches_each_broken_rule() {
    const SYMBOLS: [&str; 6] = ["", "__name__", "up", "job", "a", "Up or not."];
    let catalog: Catalog = [(
        series_key([("__name__", "up"), ("job", "a")]),
        (2, "Up or not.".to_owned()),
    )]
    .into();
    let window = (START_MS, START_MS + 60_000, 15_000);
    let meta = |t: u64, help: u64| Some(Pb::default().varint(1, t).varint(3, help).0);
    let good_samples = [sample(1.0, START_MS), sample(0.5, START_MS + 15_000)];
    let good = series(&[1, 2, 3, 4], &good_samples, meta(2, 5));
    let check = |headers: &HeaderMap, raw: &[u8], log: &mut V2Log| {
        let body = snap::raw::Encoder::new().compress_vec(raw).unwrap();
        check_v2(headers, &body, &catalog, window, log)
    };
    let fails = |headers: HeaderMap, raw: Vec<u8>, rule: &str| {
        let errors =
            check(&headers, &raw, &mut V2Log::default()).expect_err(&format!("{rule} not caught"));
        assert!(
            errors.iter().any(|e| e.starts_with(rule)),
            "{rule} expected, got {errors:?}"
        );
    };

    // The well-formed request passes.
    let mut log = V2Log::default();
    let ok = check(
        &v2_headers(),
        &request(&SYMBOLS, std::slice::from_ref(&good)),
        &mut log,
    )
    .unwrap();
    assert_eq!(
        ok,
        [(
            series_key([("__name__", "up"), ("job", "a")]),
            vec![
                (START_MS, 1.0f64.to_bits()),
                (START_MS + 15_000, 0.5f64.to_bits())
            ]
        )]
    );

    // Headers: S3, S4, S5, S6.
    for (name, value, rule) in [
        ("content-encoding", "gzip", "S2/S3"),
        ("content-type", "application/x-protobuf", "S2/S4"),
        ("x-prometheus-remote-write-version", "0.1.0", "S2/S5"),
        ("user-agent", "", "S2/S6"),
    ] {
        let mut h = v2_headers();
        h.insert(name, value.parse().unwrap());
        fails(h, request(&SYMBOLS, std::slice::from_ref(&good)), rule);
    }
    let mut h = v2_headers();
    h.remove("user-agent");
    fails(h, request(&SYMBOLS, std::slice::from_ref(&good)), "S2/S6");

    // S1: framed snappy, and a body that is not snappy at all.
    let raw = request(&SYMBOLS, std::slice::from_ref(&good));
    let mut framed = snap::write::FrameEncoder::new(Vec::new());
    std::io::Write::write_all(&mut framed, &raw).unwrap();
    let framed = framed.into_inner().unwrap();
    let errors = check_v2(
        &v2_headers(),
        &framed,
        &catalog,
        window,
        &mut V2Log::default(),
    )
    .unwrap_err();
    assert!(errors[0].starts_with("S1"), "{errors:?}");
    // S1: not a v2 message (a 1.0 WriteRequest: fields 1-3 are reserved in 2.0).
    fails(v2_headers(), Pb::default().bytes(1, &[]).0, "S1");

    // S8: symbols[0] not "", a duplicate, a ref out of range.
    let mut first = SYMBOLS;
    first[0] = "x";
    fails(
        v2_headers(),
        request(&first, std::slice::from_ref(&good)),
        "S8",
    );
    let dup = [&SYMBOLS[..], &["up"]].concat();
    fails(
        v2_headers(),
        request(&dup, std::slice::from_ref(&good)),
        "S8",
    );
    let far = series(&[1, 2, 3, 40], &good_samples, meta(2, 5));
    fails(v2_headers(), request(&SYMBOLS, &[far]), "S8");
    let far_help = series(&[1, 2, 3, 4], &good_samples, meta(2, 50));
    fails(v2_headers(), request(&SYMBOLS, &[far_help]), "S8");

    // S9: odd or empty labels_refs.
    let odd = series(&[1, 2, 3], &good_samples, meta(2, 5));
    fails(v2_headers(), request(&SYMBOLS, &[odd]), "S9");
    let none = series(&[], &good_samples, meta(2, 5));
    fails(v2_headers(), request(&SYMBOLS, &[none]), "S9");

    // S10: unsorted, repeated, empty value, no __name__.
    let unsorted = series(&[3, 4, 1, 2], &good_samples, meta(2, 5));
    fails(v2_headers(), request(&SYMBOLS, &[unsorted]), "S10");
    let repeated = series(&[1, 2, 3, 4, 3, 4], &good_samples, meta(2, 5));
    fails(v2_headers(), request(&SYMBOLS, &[repeated]), "S10");
    let empty = series(&[1, 2, 3, 0], &good_samples, meta(2, 5));
    fails(v2_headers(), request(&SYMBOLS, &[empty]), "S10");
    let nameless = series(&[3, 4], &good_samples, meta(2, 5));
    fails(v2_headers(), request(&SYMBOLS, &[nameless]), "S10");

    // S12: no samples; a histogram.
    let bare = series(&[1, 2, 3, 4], &[], meta(2, 5));
    fails(v2_headers(), request(&SYMBOLS, &[bare]), "S12");
    let mut histogram = good.clone();
    histogram.extend(Pb::default().bytes(3, &Pb::default().varint(1, 3).0).0);
    fails(v2_headers(), request(&SYMBOLS, &[histogram]), "S12");

    // S13: no metadata, no type, wrong type, help pointing elsewhere.
    for m in [None, meta(0, 5), meta(1, 5), meta(2, 0), meta(2, 4)] {
        let s = series(&[1, 2, 3, 4], &good_samples, m);
        fails(v2_headers(), request(&SYMBOLS, &[s]), "S13");
    }

    // S16: seconds, not milliseconds; S17: out of order in a request.
    let seconds = series(&[1, 2, 3, 4], &[sample(1.0, START_MS / 1000)], meta(2, 5));
    fails(v2_headers(), request(&SYMBOLS, &[seconds]), "S16");
    let backwards = [sample(1.0, START_MS + 15_000), sample(2.0, START_MS)];
    let backwards = series(&[1, 2, 3, 4], &backwards, meta(2, 5));
    fails(v2_headers(), request(&SYMBOLS, &[backwards]), "S17");

    // S18: a NaN that is neither the stale marker nor a plain NaN.
    let odd_nan = [sample(f64::from_bits(0x7ff0_0000_0000_0001), START_MS)];
    let odd_nan = series(&[1, 2, 3, 4], &odd_nan, meta(2, 5));
    fails(v2_headers(), request(&SYMBOLS, &[odd_nan]), "S18");

    // S17 across requests: the store refuses a sample older than one already taken.
    let mut store = Store::default();
    store.add(ok.clone());
    assert!(store.violations.is_empty());
    store.add(ok);
    assert!(
        store.violations.iter().any(|v| v.starts_with("S17")),
        "{:?}",
        store.violations
    );
}

/// S2 through `promgen-cli write --header`: the config's remoteWriter.headers refuses the
/// reserved headers; the flag must not let them through either (refusing is fine).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s2_the_cli_header_flag_cannot_override_the_user_agent() {
    let yaml =
        "metrics: [{name: up, type: gauge, timeseries: [{labels: {job: a}, values: '1 2 3'}]}]";
    let agents: Shared<Vec<String>> = shared();
    let state = Arc::clone(&agents);
    let server = Server::start(move |headers: HeaderMap, _body: Bytes| {
        let agents = Arc::clone(&state);
        async move {
            let ua = header_str(&headers, "user-agent").unwrap_or_default();
            agents.lock().unwrap().push(ua.to_owned());
            reply(StatusCode::NO_CONTENT, &[], "")
        }
    })
    .await;
    let file = std::env::temp_dir().join(format!("promgen-rw-v2-{}.yaml", std::process::id()));
    std::fs::write(&file, yaml).unwrap();
    let args = [
        "write".to_owned(),
        "--config".to_owned(),
        file.display().to_string(),
        "--url".to_owned(),
        server.url(),
        "--from".to_owned(),
        "2023-11-14T22:13:20Z".to_owned(),
        "--to".to_owned(),
        "2023-11-14T22:13:50Z".to_owned(),
        "--header".to_owned(),
        "User-Agent: impostor/6.6.6".to_owned(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
            .args(&args)
            .output()
            .expect("run promgen-cli write")
    })
    .await
    .unwrap();
    let _ = std::fs::remove_file(&file);
    server.shutdown().await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let agents = std::mem::take(&mut *agents.lock().unwrap());
    if output.status.success() {
        assert!(!agents.is_empty(), "nothing was sent: {stderr}");
        assert!(
            agents.iter().all(|ua| ua.starts_with("promgen/")),
            "S2/S6: --header replaced the sender's User-Agent: {agents:?}"
        );
    } else {
        assert!(
            agents.is_empty() && stderr.to_lowercase().contains("user-agent"),
            "refusing --header User-Agent is fine, but before sending and saying why: \
             {agents:?}\n{stderr}"
        );
    }
}
