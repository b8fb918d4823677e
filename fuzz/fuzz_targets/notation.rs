//! promtool's expanding notation: any input is a located error or a notation whose length
//! is the number of points it yields before it ends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use promgen::{
    Tick,
    notation::Notation,
    shape::{Point, Shape},
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(notation) = Notation::parse(text) else {
        return;
    };
    let len = notation.len();
    let mut shape = notation;
    let mut n = 0u64;
    while n <= len.min(100_000) {
        if shape.next_point(Tick::new(n, n as i64 * 15_000)) == Point::End {
            break;
        }
        n += 1;
    }
    if len <= 100_000 {
        assert_eq!(n, len, "{text:?} says {len} points and gave {n}");
    }
});
