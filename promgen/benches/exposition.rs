//! Rendering 100 000 series (10 families × 10 000 label sets, 4 labels each; set
//! `PROMGEN_BENCH_PER_FAMILY=100000` for a million): our exposition
//! writer against the `prometheus-client` crate's text encoder holding the same values, both
//! writing OpenMetrics (the only format `prometheus-client` writes). Also the whole scrape
//! through our `Registry` (which advances every series), `GET /metrics` over loopback, and
//! the memory a served series takes.
//!
//! Run: `cargo bench -p promgen --bench exposition --features server`
//! (`PROMGEN_BENCH_PER_FAMILY=100000 cargo bench …` for 1 000 000 series)

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{family::Family, gauge::Gauge},
    registry::Registry as ClientRegistry,
};
use promgen::{
    Labels, MetricType,
    exposition::{Format, RenderedLabels, Writer},
    registry::{Registry, SeriesDef, Source},
    server::Server,
    shape::constant,
};
use std::{
    alloc::{GlobalAlloc, Layout, System},
    hint::black_box,
    io::{Read, Write as _},
    net::TcpStream,
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

const FAMILIES: usize = 10;

/// Label sets per family: `PROMGEN_BENCH_PER_FAMILY`, else 10 000.
fn per_family() -> usize {
    std::env::var("PROMGEN_BENCH_PER_FAMILY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// How many series every benchmark here renders.
fn series_count() -> usize {
    FAMILIES * per_family()
}

/// `100k` or `1000k`, for the group names.
fn size_name() -> String {
    format!("{}k", series_count() / 1000)
}

/// Counts the bytes allocated and not yet freed, to measure memory per served series.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClientLabels {
    instance: String,
    job: String,
    method: String,
    path: String,
}

/// The i-th label set of a family, and its value.
fn series(i: usize) -> (ClientLabels, f64) {
    let labels = ClientLabels {
        instance: format!("host-{}:9100", i % 500),
        job: format!("job-{}", i % 7),
        method: ["GET", "POST", "PUT", "DELETE"][i % 4].to_owned(),
        path: format!("/api/v1/items/{i}"),
    };
    (labels, (i as f64) * 1.25 + 0.5)
}

fn family_name(f: usize) -> String {
    format!("bench_metric_{f}")
}

fn labels_of(f: usize, l: &ClientLabels) -> Labels {
    Labels::new(
        &family_name(f),
        [
            ("instance", l.instance.as_str()),
            ("job", &l.job),
            ("method", &l.method),
            ("path", &l.path),
        ],
    )
    .unwrap()
}

fn client_registry() -> ClientRegistry {
    let mut registry = ClientRegistry::default();
    for f in 0..FAMILIES {
        let family = Family::<ClientLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        for i in 0..per_family() {
            let (labels, value) = series(i);
            family.get_or_create(&labels).set(value);
        }
        registry.register(family_name(f), "A benchmark gauge", family);
    }
    registry
}

/// What our writer renders: pre-rendered label sets and values.
fn prepared() -> Vec<(String, Vec<(RenderedLabels, f64)>)> {
    (0..FAMILIES)
        .map(|f| {
            let members = (0..per_family())
                .map(|i| {
                    let (l, v) = series(i);
                    (RenderedLabels::new(&labels_of(f, &l)), v)
                })
                .collect();
            (family_name(f), members)
        })
        .collect()
}

fn our_registry() -> Registry {
    let mut registry = Registry::default();
    for f in 0..FAMILIES {
        for i in 0..per_family() {
            let (l, v) = series(i);
            let def = SeriesDef {
                labels: labels_of(f, &l),
                metric_type: MetricType::Gauge,
                help: Some("A benchmark gauge".into()),
                source: Source::Series(Box::new(constant(v))),
                description: "".into(),
                definition: None,
                churn: None,
            };
            registry.add(def).unwrap();
        }
    }
    registry
}

fn render(c: &mut Criterion) {
    let client = client_registry();
    let ours = prepared();
    let mut registry = our_registry();

    // Same samples, in the same order? Compare the sample lines of both outputs.
    let mut theirs = String::new();
    encode(&mut theirs, &client).unwrap();
    let mut mine = Vec::new();
    registry.scrape_into(&mut mine, Format::OpenMetrics, 0);
    let mine = String::from_utf8(mine).unwrap();
    let samples = |text: &str| -> Vec<String> {
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.replace(".0 ", " "))
            .collect();
        lines.sort();
        lines
    };
    let (a, b) = (samples(&theirs), samples(&mine));
    assert_eq!(a.len(), series_count());
    // prometheus-client writes whole floats as `5.0` and sorts labels as declared; ours
    // writes `5` and sorts by name. Compare values by series after normalising that.
    let key_values = |lines: &[String]| -> Vec<(String, f64)> {
        let mut kv: Vec<(String, f64)> = lines
            .iter()
            .map(|l| {
                let (series, value) = l.rsplit_once(' ').unwrap();
                let (name, labels) = series.split_once('{').unwrap();
                let mut labels: Vec<&str> = labels.trim_end_matches('}').split(',').collect();
                labels.sort_unstable();
                (
                    format!("{name}{{{}}}", labels.join(",")),
                    value.parse::<f64>().unwrap(),
                )
            })
            .collect();
        kv.sort_by(|x, y| x.0.cmp(&y.0));
        kv
    };
    assert_eq!(
        key_values(&a),
        key_values(&b),
        "both encoders hold the same samples"
    );

    let mut group = c.benchmark_group(format!("render_{}_series", size_name()));
    group.throughput(Throughput::Elements(series_count() as u64));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("promgen_writer", |b| {
        let mut out = Vec::with_capacity(16 << 20);
        b.iter(|| {
            out.clear();
            let mut w = Writer::new(&mut out, Format::OpenMetrics);
            for (name, members) in &ours {
                w.family(name, MetricType::Gauge, Some("A benchmark gauge"));
                for (labels, value) in members {
                    w.sample(name, MetricType::Gauge, "", labels, None, *value);
                }
            }
            w.finish();
            black_box(out.len())
        });
    });
    group.bench_function("promgen_registry_scrape", |b| {
        let mut out = Vec::with_capacity(16 << 20);
        b.iter(|| {
            out.clear();
            registry.scrape_into(&mut out, Format::OpenMetrics, 0);
            black_box(out.len())
        });
    });
    group.bench_function("prometheus_client_encode", |b| {
        let mut out = String::with_capacity(16 << 20);
        b.iter(|| {
            out.clear();
            encode(&mut out, &client).unwrap();
            black_box(out.len())
        });
    });
    group.finish();
}

/// `GET /metrics` for every series over loopback, one connection per request.
fn http(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(Server::new(our_registry()).spawn("127.0.0.1:0"))
        .unwrap();
    let addr = server.addr();
    let get = move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nAccept: text/plain\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut body = Vec::with_capacity(16 << 20);
        stream.read_to_end(&mut body).unwrap();
        body.len()
    };
    assert!(
        get() > series_count() * 60,
        "the response holds every series"
    );
    let mut group = c.benchmark_group(format!("http_get_metrics_{}_series", size_name()));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("text", |b| b.iter(|| black_box(get())));
    group.finish();
    drop(server);
}

/// Memory per served series: live heap bytes of a registry of every series, divided.
fn memory(_c: &mut Criterion) {
    let before = LIVE.load(Ordering::Relaxed);
    let registry = our_registry();
    let after = LIVE.load(Ordering::Relaxed);
    let series = series_count();
    let per = (after - before) as f64 / series as f64;
    eprintln!(
        "memory: {} bytes live for {series} series = {per:.0} bytes per served series",
        after - before
    );
    black_box(registry.len());
}

criterion_group!(benches, render, http, memory);
criterion_main!(benches);
