//! The series DSL as text: any input is a located error or a shape; a shape's canonical
//! text reads back to the same text, and the shape runs without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use promgen::{Tick, shape::Shape};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(tree) = promgen_syntax::parse_str(text) else {
        return;
    };
    let canonical = tree.to_string();
    let again = promgen_syntax::parse_str(&canonical).unwrap_or_else(|e| {
        panic!("canonical text {canonical:?} of {text:?} does not parse: {e:?}")
    });
    assert_eq!(again.to_string(), canonical, "canonical text of {text:?}");
    let spec = promgen::dsl::parse(text).expect("the same text parses through promgen");
    let mut shape = spec.build();
    for i in 0..256 {
        let _ = shape.next_point(Tick::new(i, i as i64 * 15_000));
    }
});
