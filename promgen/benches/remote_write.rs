//! Remote Write request bodies for 1 000 series: our direct encoder (protobuf written around
//! label fields encoded once, then snappy) for 1.0 and 2.0, against building `prost` messages
//! and encoding those, the naive path. Throughput is in samples, so criterion reports
//! samples/s on one core directly.
//!
//! The series are those of `scripts/bench-backfill.sh` (`config_yaml` below writes the same
//! config): 10 families × 100 label sets, 4 counters (name + 4 labels) and 6 gauges (name + 3
//! labels), their values drawn from the shapes themselves through `Registry::collect`, 15 s
//! apart.
//!
//! Batches are built as `RemoteWriter` builds them with its defaults (`concurrency` 4,
//! `max_samples_per_send` 2 000): the series are split into 4 shards of consecutive members
//! (250 series each), and a shard's request is sent once it holds 2 000 samples, that is after 8
//! ticks: 250 series × 8 samples, series by series, in series order (`rw_encode_250x8`). With
//! `--concurrency 1` a request is 1 000 series × 2 ticks instead (`rw_encode_1000x2`).
//! Each iteration encodes 32 such requests (64 000 samples) with one reused `Encoder`, as a
//! shard's worker does.
//!
//! Run: `cargo bench -p promgen --bench remote_write --features remote-write`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use promgen::{
    Sample,
    config::Config,
    registry::WireSeries,
    remote_write::{
        Batch, Encoder, Protocol, SeriesTable,
        proto::{v1, v2},
        v1_message,
    },
};
use prost::Message;
use std::{collections::HashMap, hint::black_box, time::Duration};

/// Label sets per family.
const PER_FAMILY: usize = 100;
/// Requests encoded per iteration.
const REQUESTS: usize = 32;
/// The writer's default `max_samples_per_send`.
const MAX_SAMPLES: usize = 2_000;
/// The first sample's time: an ordinary "now", not on a 15 s boundary, as `--from -24h` gives.
const START_MS: i64 = 1_764_069_311_512;
const INTERVAL_MS: i64 = 15_000;

/// The 10 families: name, type, help, and the series expression for label set `i`.
type Family = (
    &'static str,
    &'static str,
    &'static str,
    fn(usize) -> String,
);

const FAMILIES: [Family; 10] = [
    (
        "bench_http_requests_total",
        "counter",
        "Requests served.",
        |i| format!("linear(0..{}) >> loop", 1000 + i),
    ),
    (
        "bench_cpu_temperature_celsius",
        "gauge",
        "CPU temperature.",
        |i| {
            format!(
                "sin(period = {}, amplitude = 10, offset = 50) + normal(0, 1)",
                100 + i
            )
        },
    ),
    ("bench_queue_depth", "gauge", "Jobs waiting.", |_| {
        r#""0+5x99 500-5x99" >> loop"#.to_owned()
    }),
    ("bench_bytes_sent_total", "counter", "Bytes sent.", |i| {
        format!("uniform(0..1000).seed({i}).round().cumsum()")
    }),
    (
        "bench_memory_usage_bytes",
        "gauge",
        "Resident memory.",
        |_| "walk(start = 1e9, step = 1e6)".to_owned(),
    ),
    (
        "bench_cpu_utilisation_ratio",
        "gauge",
        "CPU busy ratio.",
        |_| {
            "(sin(period = 240, amplitude = 0.2, offset = 0.25) + uniform(0..0.05)).clamp(0, 1)"
                .to_owned()
        },
    ),
    ("bench_up", "gauge", "Whether the target is up.", |_| {
        "constant(1)".to_owned()
    }),
    ("bench_errors_total", "counter", "Requests failed.", |_| {
        r#""0+1x99" >> loop"#.to_owned()
    }),
    ("bench_load_average", "gauge", "Load average.", |_| {
        "square(period = 240, amplitude = 1, offset = 2) + normal(0, 0.1)".to_owned()
    }),
    ("bench_disk_free_bytes", "gauge", "Free disk space.", |_| {
        "linear(1e12..=5e11, 5761) >> hold".to_owned()
    }),
];

/// The config of `scripts/bench-backfill.sh`: `instance`, `job` and `region` on every series,
/// `method` on the counters' too.
fn config_yaml() -> String {
    let mut y = String::from("scraper:\n  scrapeInterval: 15s\nmetrics:\n");
    for (name, kind, help, expr) in FAMILIES {
        y += &format!("  - name: {name}\n    type: {kind}\n    help: {help}\n    timeseries:\n");
        for i in 0..PER_FAMILY {
            let job = ["node", "api", "db", "cache"][i % 4];
            let region = ["eu-west-1", "us-east-1", "ap-southeast-2"][i % 3];
            let method = if kind == "counter" {
                format!(", method: {}", ["GET", "POST"][i % 2])
            } else {
                String::new()
            };
            y += &format!(
                "      - labels: {{instance: \"host-{i:02}:9100\", job: {job}, region: {region}{method}}}\n        series: '{}'\n",
                expr(i)
            );
        }
    }
    y
}

/// `REQUESTS` batches of up to `MAX_SAMPLES` samples, built as the writer builds them with
/// `shards` shards: every series' samples tick by tick, and a shard's batch once it is full.
fn batches(shards: usize) -> (Vec<WireSeries>, Vec<Batch>) {
    let config = Config::parse(&config_yaml(), "bench.yaml").expect("the config is valid");
    let mut registry = config.build_registry().expect("the registry builds");
    let wire = registry.wire_series();
    assert_eq!(wire.len(), FAMILIES.len() * PER_FAMILY);
    // Runs of consecutive members, as the writer shards them.
    let member_count = wire.last().map_or(1, |w| w.member + 1);
    let shard_of = |member: usize| member * shards / member_count;
    let mut members = vec![Vec::new(); shards];
    for (i, w) in wire.iter().enumerate() {
        members[shard_of(w.member)].push(i as u32);
    }
    let mut pending: Vec<Vec<Sample>> = vec![Vec::new(); wire.len()];
    let mut counts = vec![0; shards];
    let mut out = Vec::new();
    let mut ts = START_MS;
    while out.len() < REQUESTS {
        registry.collect(ts, |i, v| {
            pending[i].push(Sample::new(ts, v));
            counts[shard_of(wire[i].member)] += 1;
        });
        ts += INTERVAL_MS;
        for shard in 0..shards {
            while counts[shard] >= MAX_SAMPLES {
                let mut batch = Batch::default();
                let mut room = MAX_SAMPLES;
                for &id in &members[shard] {
                    let p = &mut pending[id as usize];
                    let take = p.len().min(room);
                    if take > 0 {
                        batch.push(id, p.drain(..take));
                        room -= take;
                    }
                }
                counts[shard] -= batch.sample_count();
                out.push(batch);
            }
        }
    }
    out.truncate(REQUESTS);
    (wire, out)
}

/// The naive 2.0 sender: a `prost` message per request, its symbols interned in a `HashMap`
/// (in the order our encoder interns them, so the bytes must come out the same).
fn v2_message(wire: &[WireSeries], batch: &Batch) -> v2::Request {
    let mut symbols = vec![String::new()];
    let mut ids: HashMap<String, u32> = HashMap::from([(String::new(), 0)]);
    let mut intern = |s: &str| -> u32 {
        if let Some(&id) = ids.get(s) {
            return id;
        }
        let id = symbols.len() as u32;
        symbols.push(s.to_owned());
        ids.insert(s.to_owned(), id);
        id
    };
    let timeseries = batch
        .iter()
        .map(|(id, samples)| {
            let w = &wire[id as usize];
            let labels_refs = w
                .labels
                .iter()
                .flat_map(|(n, v)| [n, v])
                .map(&mut intern)
                .collect();
            let help_ref = intern(w.help.as_deref().unwrap_or(""));
            v2::TimeSeries {
                labels_refs,
                samples: samples
                    .iter()
                    .map(|s| v2::Sample {
                        value: s.value,
                        timestamp: s.timestamp_ms,
                        start_timestamp: 0,
                    })
                    .collect(),
                metadata: Some(v2::Metadata {
                    r#type: match w.metric_type {
                        promgen::MetricType::Counter => 1,
                        promgen::MetricType::Gauge => 2,
                        _ => 0,
                    },
                    help_ref,
                    unit_ref: 0,
                }),
            }
        })
        .collect();
    v2::Request {
        symbols,
        timeseries,
    }
}

fn decompress(body: &[u8]) -> Vec<u8> {
    snap::raw::Decoder::new().decompress_vec(body).unwrap()
}

/// Apples to apples: our bodies decompress to exactly the bytes `prost` writes for the same
/// messages, and hold every sample. Returns the uncompressed and compressed sizes.
fn check(
    table: &SeriesTable,
    wire: &[WireSeries],
    batches: &[Batch],
    protocol: Protocol,
) -> (usize, usize) {
    let mut e = Encoder::default();
    let (mut raw_len, mut compressed_len) = (0, 0);
    for b in batches {
        let raw = decompress(e.encode(table, b, protocol));
        compressed_len += e.encode(table, b, protocol).len();
        raw_len += raw.len();
        assert_eq!(raw, e.uncompressed());
        let samples = match protocol {
            Protocol::V1 => {
                assert_eq!(raw, v1_message(table, b).encode_to_vec(), "v1 bytes");
                let r = v1::WriteRequest::decode(&raw[..]).unwrap();
                r.timeseries.iter().map(|t| t.samples.len()).sum::<usize>()
            }
            Protocol::V2 => {
                assert_eq!(raw, v2_message(wire, b).encode_to_vec(), "v2 bytes");
                let r = v2::Request::decode(&raw[..]).unwrap();
                r.timeseries.iter().map(|t| t.samples.len()).sum::<usize>()
            }
        };
        assert_eq!(samples, b.sample_count());
    }
    (raw_len, compressed_len)
}

fn encode(c: &mut Criterion) {
    for (shards, group_name) in [(4, "rw_encode_250x8"), (1, "rw_encode_1000x2")] {
        let (wire, batches) = batches(shards);
        let table = SeriesTable::new(&wire);
        let samples: usize = batches.iter().map(Batch::sample_count).sum();
        assert_eq!(samples, REQUESTS * MAX_SAMPLES);
        assert!(batches.iter().all(|b| b.series_count() == 1000 / shards));

        let (v1_raw, v1_z) = check(&table, &wire, &batches, Protocol::V1);
        let (v2_raw, v2_z) = check(&table, &wire, &batches, Protocol::V2);
        let per = |n: usize| n as f64 / samples as f64;
        eprintln!(
            "{group_name}: {REQUESTS} requests, {samples} samples; bytes per sample \
             (uncompressed → snappy, ratio): v1 {:.2} → {:.2} ({:.2}×), v2 {:.2} → {:.2} ({:.2}×); \
             v1 ÷ v2 on the wire {:.2}×",
            per(v1_raw),
            per(v1_z),
            v1_raw as f64 / v1_z as f64,
            per(v2_raw),
            per(v2_z),
            v2_raw as f64 / v2_z as f64,
            v1_z as f64 / v2_z as f64,
        );

        let mut group = c.benchmark_group(group_name);
        group.throughput(Throughput::Elements(samples as u64));
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(5))
            .warm_up_time(Duration::from_secs(3));
        for (name, protocol) in [("v1", Protocol::V1), ("v2", Protocol::V2)] {
            group.bench_function(name, |b| {
                let mut e = Encoder::default();
                b.iter(|| {
                    let mut n = 0;
                    for batch in &batches {
                        n += e.encode(&table, batch, protocol).len();
                    }
                    black_box(n)
                });
            });
        }
        group.bench_function("prost_v1", |b| {
            let mut snappy = snap::raw::Encoder::new();
            b.iter(|| {
                let mut n = 0;
                for batch in &batches {
                    let raw = v1_message(&table, batch).encode_to_vec();
                    n += snappy.compress_vec(&raw).unwrap().len();
                }
                black_box(n)
            });
        });
        group.bench_function("prost_v2", |b| {
            let mut snappy = snap::raw::Encoder::new();
            b.iter(|| {
                let mut n = 0;
                for batch in &batches {
                    let raw = v2_message(&wire, batch).encode_to_vec();
                    n += snappy.compress_vec(&raw).unwrap().len();
                }
                black_box(n)
            });
        });
        if shards == 4 {
            // The compression alone, on the same uncompressed bodies, into a reused buffer
            // as `Encoder` does: what is left is the protobuf writing.
            for (name, protocol) in [
                ("snappy_only_v1", Protocol::V1),
                ("snappy_only_v2", Protocol::V2),
            ] {
                let bodies = bodies(&table, &batches, protocol);
                group.bench_function(name, |b| {
                    let mut snappy = snap::raw::Encoder::new();
                    let mut out = Vec::new();
                    b.iter(|| black_box(compress_all(&mut snappy, &mut out, &bodies)));
                });
            }
            for protocol in [Protocol::V1, Protocol::V2] {
                interleaved_ratio(&table, &batches, protocol);
            }
        }
        group.finish();
    }
}

/// The uncompressed bodies our encoder writes for `batches`.
fn bodies(table: &SeriesTable, batches: &[Batch], protocol: Protocol) -> Vec<Vec<u8>> {
    let mut e = Encoder::default();
    batches
        .iter()
        .map(|batch| {
            e.encode(table, batch, protocol);
            e.uncompressed()
        })
        .collect()
}

/// Snappy alone on `bodies`, into a reused buffer as `Encoder` does.
fn compress_all(snappy: &mut snap::raw::Encoder, out: &mut Vec<u8>, bodies: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for body in bodies {
        out.resize(snap::raw::max_compress_len(body.len()), 0);
        n += snappy.compress(body, out).unwrap();
    }
    n
}

/// Our encode + compress ÷ snappy alone, timed in alternation: 400 rounds, each timing one
/// pass of each over the 32 requests, and the median of the rounds' ratios. Criterion times
/// one benchmark after the other, so on a shared machine whose speed drifts over seconds,
/// the ratio of two medians can move by a tenth between runs; alternating puts both under
/// the same conditions within milliseconds.
fn interleaved_ratio(table: &SeriesTable, batches: &[Batch], protocol: Protocol) {
    use std::time::Instant;
    let bodies = bodies(table, batches, protocol);
    let (mut e, mut snappy, mut out) = (Encoder::default(), snap::raw::Encoder::new(), Vec::new());
    let mut ratios: Vec<f64> = (0..400)
        .map(|_| {
            let start = Instant::now();
            let mut n = 0;
            for batch in batches {
                n += e.encode(table, batch, protocol).len();
            }
            let ours = start.elapsed();
            let start = Instant::now();
            black_box(compress_all(&mut snappy, &mut out, &bodies) + n);
            ours.as_secs_f64() / start.elapsed().as_secs_f64()
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    eprintln!(
        "{protocol:?} encode + compress ÷ snappy alone, interleaved: median {:.3}× (quartiles {:.3}–{:.3}×, 400 rounds)",
        ratios[200], ratios[100], ratios[300]
    );
}

criterion_group!(benches, encode);
criterion_main!(benches);
