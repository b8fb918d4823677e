//! The exposition writer fed with any label values, help texts and family types: whatever
//! `Labels` accepts is written as pages Prometheus's parsers take whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use promgen::{
    Labels, MetricType,
    observe::{Buckets, Histogram, Objectives, Summary},
    registry::{Registry, SeriesDef, Source},
    shape::constant,
};

fuzz_target!(|data: &[u8]| {
    // The first byte picks types, the rest is NUL-separated text: a name and a help text
    // for each family, then label names and values.
    let Some((&kinds, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let parts: Vec<&str> = text.split('\0').collect();
    let mut registry = Registry::default();
    for (f, chunk) in parts.chunks(6).take(4).enumerate() {
        let (name, help) = (chunk[0], chunk.get(1).copied().unwrap_or(""));
        let pairs: Vec<(&str, &str)> = chunk
            .get(2..)
            .unwrap_or_default()
            .chunks(2)
            .map(|p| (p[0], p.get(1).copied().unwrap_or("v")))
            .collect();
        let Ok(labels) = Labels::new(name, pairs) else {
            continue;
        };
        let observed = || Box::new(constant(0.5)) as promgen::shape::DynShape;
        let (metric_type, source) = match (kinds >> (2 * f)) & 3 {
            0 => (MetricType::Gauge, Source::Series(Box::new(constant(-0.0)))),
            1 => (MetricType::Counter, Source::Series(Box::new(constant(1.0)))),
            2 => (
                MetricType::Histogram,
                Source::Histogram(Histogram::new(
                    observed(),
                    2,
                    Buckets::new(vec![0.1, 1.0]).unwrap(),
                )),
            ),
            _ => (
                MetricType::Summary,
                Source::Summary(Summary::new(
                    observed(),
                    2,
                    Objectives::new(vec![0.5, 0.9]).unwrap(),
                )),
            ),
        };
        let _ = registry.add(SeriesDef {
            labels,
            metric_type,
            help: (!help.is_empty()).then(|| help.to_owned()),
            source,
            description: String::new(),
            definition: None,
        });
    }
    promgen_fuzz::scrape_and_check(&mut registry);
});
