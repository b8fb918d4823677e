//! What `#[promgen_test]` expands to calls: build the fixture from the attribute's
//! arguments, run the test's future on a runtime, turn its result into pass or panic. The
//! macro stays thin; the work is here (as `#[sqlx::test]` does it).

use crate::{BackendKind, Prometheus};
use std::{fmt::Debug, future::Future};

/// The attribute's arguments, checked by the macro.
#[derive(Debug, Clone, Copy, Default)]
pub struct TestOptions {
    /// Rule files, absolute (the macro joins them to `CARGO_MANIFEST_DIR`).
    pub rules: &'static [&'static str],
    /// `evaluation_interval`, a Prometheus duration.
    pub evaluation_interval: Option<&'static str>,
    /// `scrape_interval`, a Prometheus duration.
    pub scrape_interval: Option<&'static str>,
    /// `backend`: `auto`, `binary` or `docker` (else `PROMGEN_PROMETHEUS`).
    pub backend: Option<&'static str>,
}

/// A test function's result: `()` passes; `Err` fails with its message.
#[diagnostic::on_unimplemented(
    message = "a #[promgen_test] function returns `()` or `Result<(), E>` with `E: Debug`, not `{Self}`",
    label = "this return type"
)]
pub trait TestResult {
    /// Panics when it is a failure.
    fn check(self, name: &str);
}

impl TestResult for () {
    fn check(self, _: &str) {}
}

impl<E: Debug> TestResult for Result<(), E> {
    #[track_caller]
    fn check(self, name: &str) {
        if let Err(e) = self {
            panic!("{name} failed: {e:?}");
        }
    }
}

/// Starts the Prometheus `options` describe, hands it to `test`, and checks the result.
#[track_caller]
pub fn run_test<F, Fut>(name: &'static str, options: TestOptions, test: F)
where
    F: FnOnce(Prometheus) -> Fut,
    Fut: Future,
    Fut::Output: TestResult,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{name}: cannot start a tokio runtime: {e}"));
    let mut builder = Prometheus::builder();
    for rule in options.rules {
        builder = builder.rule_file(*rule);
    }
    if let Some(i) = options.evaluation_interval {
        builder = builder.evaluation_interval(i);
    }
    if let Some(i) = options.scrape_interval {
        builder = builder.scrape_interval(i);
    }
    if let Some(b) = options.backend {
        builder = builder.backend(match b {
            "binary" => BackendKind::Binary,
            "docker" => BackendKind::Docker,
            _ => BackendKind::Auto,
        });
    }
    let prometheus = runtime
        .block_on(builder.start())
        .unwrap_or_else(|e| panic!("{name}: cannot start Prometheus: {e}"));
    runtime.block_on(test(prometheus)).check(name);
}
