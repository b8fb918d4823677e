//! Stands in for `promgen-test` in the `#[promgen_test]` compile-fail tests: the names the
//! macro and the test cases use, and none of promgen-test's dependencies (HTTP, TLS, tokio),
//! so trybuild builds its project in seconds instead of minutes. The macro's errors are
//! its own; the real crate's passing tests (promgen-test/tests/attribute.rs) use the real
//! runtime.

pub use promgen_macros::promgen_test;

/// The fixture's stand-in.
pub struct Prometheus;

/// The harness error's stand-in.
#[derive(Debug)]
pub struct HarnessError;

#[doc(hidden)]
pub mod __private {
    use std::{fmt::Debug, future::Future};

    /// As in promgen-test.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct TestOptions {
        pub rules: &'static [&'static str],
        pub evaluation_interval: Option<&'static str>,
        pub scrape_interval: Option<&'static str>,
        pub backend: Option<&'static str>,
    }

    /// As in promgen-test.
    pub trait TestResult {}
    impl TestResult for () {}
    impl<E: Debug> TestResult for Result<(), E> {}

    /// As in promgen-test, without running anything.
    pub fn run_test<F, Fut>(_name: &'static str, _options: TestOptions, _test: F)
    where
        F: FnOnce(super::Prometheus) -> Fut,
        Fut: Future,
        Fut::Output: TestResult,
    {
    }
}
