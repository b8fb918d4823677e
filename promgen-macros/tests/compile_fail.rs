//! Every class of `#[promgen_test]` mistake is a compile error on the offending token, with
//! the message and span recorded in `tests/ui/*.stderr`. One trybuild run for all of them,
//! against the stand-in for promgen-test in `tests/shim` (the real crate's dependencies would
//! take trybuild minutes to build).

#[test]
fn promgen_test_attribute_errors() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
