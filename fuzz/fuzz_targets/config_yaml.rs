//! YAML configs: any input is a list of located errors or a config; a config's series are
//! served as an exposition Prometheus's parsers take whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use promgen::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Config::parse_at(text, "fuzz.yaml", 0) else {
        return;
    };
    if config.series_count() > 200 {
        return;
    }
    let Ok(mut registry) = config.build_registry() else {
        panic!("a valid config's registry is refused: {text:?}");
    };
    promgen_fuzz::scrape_and_check(&mut registry);
});
