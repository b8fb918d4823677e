//! # promgen-test
//!
//! Alert tests against a real Prometheus. Feed it synthetic series (promtool notation, the
//! series DSL, `series!` shapes, or a promgen config) and check what your alerting rules do:
//!
//! - **Replay** ([`Prometheus::replay`]): the whole history is written at once, every rule
//!   is evaluated through Prometheus's own PromQL engine at every evaluation step, and
//!   Prometheus's alert state machine (`for`, `keep_firing_for`) gives a [`Timeline`] of
//!   pending, firing and inactive per alert. Hours of behaviour in well under a second.
//! - **Live** ([`Prometheus::wait_for`]): Prometheus scrapes the series as time passes and
//!   its own rule manager evaluates; assertions wait for a state.
//! - **promtool test files** ([`promtool`]): the `promtool test rules` files you have, run
//!   unchanged by replay with promtool's semantics and verdicts (`promgen-cli test`).
//!
//! In a test (`#[tokio::test] async fn …`, or [`promgen_test`], which starts the
//! Prometheus for you):
//!
//! ```
//! use promgen_test::{Feed, Prometheus};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), promgen_test::HarnessError> {
//! let prometheus = Prometheus::builder()
//!     .rule_file("tests/rules/errors.yml") // HighErrorRate: over 5% errors for 5m
//!     .start()
//!     .await?;
//! let feed = Feed::new()
//!     .interval("1m")?
//!     // No errors for 10 minutes, then 10 a minute for 20 minutes, then none.
//!     .notation(r#"http_requests_total{code="500"}"#, "0x10 0+10x20 200x30")?
//!     .notation(r#"http_requests_total{code="200"}"#, "0+100x60")?;
//! let timeline = prometheus.replay(&feed, "1h").await?;
//! timeline
//!     .expect("HighErrorRate")
//!     .never_fires_before("15m")
//!     .firing_at("20m")
//!     .inactive_at("45m");
//! # Ok(()) }
//! ```
//!
//! The Prometheus comes from a local binary or Docker: see [`BackendKind`].

mod api;
mod backend;
mod export;
mod feed;
mod fixture;
mod lifetime;
mod live;
#[doc(hidden)]
pub mod __private {
    pub use crate::private::*;
}
mod private;
pub mod promtool;
mod replay;
mod selector;
mod startup_log;
pub mod state;
mod templates;
mod timeline;

pub use backend::{BackendKind, DEFAULT_IMAGE, Version};
pub use export::PROMTOOL_TEST_FILE;
pub use feed::Feed;
pub use fixture::{Prometheus, PrometheusBuilder};
pub use live::{LiveAlert, LiveWrite};
pub use promgen_macros::promgen_test;
pub use replay::MAX_REPLAY;
pub use selector::LabelMatch;
pub use timeline::{AlertState, At, Check, Expect, Timeline};

/// Why the harness could not do what a test asked.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// No Prometheus to run, or the backend failed.
    #[error("{0}")]
    Backend(String),
    /// The Prometheus found is too old for what the harness needs.
    #[error("{version} is too old: promgen-test needs {needs}")]
    TooOld {
        /// The version found.
        version: String,
        /// What is needed.
        needs: &'static str,
    },
    /// Prometheus refused a rule file: its message, naming the file as the test did
    /// (its path, or `rules_yaml #N`) with the line and column.
    #[error("Prometheus refused the rules: {0}")]
    RefusedRules(String),
    /// Prometheus exited while starting for another reason: the error lines of its log.
    #[error("Prometheus exited while starting:\n{0}")]
    Exited(String),
    /// Prometheus did not become ready in time; its log.
    #[error("Prometheus was not ready after {after:?}:\n{log}")]
    NotReady {
        /// How long it was given.
        after: std::time::Duration,
        /// Its log.
        log: String,
    },
    /// Files or sockets.
    #[error("{0}")]
    Io(String),
    /// The API refused a call, or answered nonsense.
    #[error("Prometheus API: {0}")]
    Api(String),
    /// A rule the harness cannot replay.
    #[error("rules: {0}")]
    Rules(String),
    /// A bad series, config or time.
    #[error("feed: {0}")]
    Feed(String),
    /// Writing the series failed.
    #[error("writing the series: {0}")]
    Write(String),
    /// A bad selector or time in an assertion.
    #[error("assertion: {0}")]
    Assertion(String),
    /// A live assertion that did not come true in time.
    #[error("{0}")]
    Timeout(String),
}
