//! Every class of `series!` mistake is a compile error on the offending token, with the message
//! and span recorded in `tests/ui/*.stderr`.

#[test]
fn series_macro_errors() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
