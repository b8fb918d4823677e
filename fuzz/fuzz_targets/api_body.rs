//! The control API's body decoder (JSON or YAML): any body is a list of errors naming the
//! field, or one series that serves a valid exposition.
#![no_main]

use libfuzzer_sys::fuzz_target;
use promgen::{config::Config, registry::Registry};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(metric) = Config::parse_api_series(text) else {
        return;
    };
    let mut registry = Registry::default();
    for s in &metric.series {
        if registry.add(metric.series_def(s)).is_err() {
            return;
        }
    }
    promgen_fuzz::scrape_and_check(&mut registry);
});
