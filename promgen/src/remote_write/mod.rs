//! Remote Write 1.0 and 2.0: our own small sender.
//!
//! Series go to the receiver time by time: every series' sample at t0, then at t1, and so
//! on, so a fresh Prometheus takes a backfill without an out-of-order window, and each
//! series' samples always arrive in timestamp order (the series are split into shards, each
//! sending its requests one after another). Writing history older than what a receiver
//! already holds needs its out-of-order window (`storage.tsdb.out_of_order_time_window` in
//! Prometheus 2.39+).
//!
//! [`WriteOptions`] and [`Protocol`] are always available (configs carry them); the sender
//! itself needs the `remote-write` feature.

#[cfg(feature = "remote-write")]
mod backoff;
#[cfg(feature = "remote-write")]
mod client;
#[cfg(feature = "remote-write")]
mod encode;
#[cfg(feature = "remote-write")]
mod halt;
pub(crate) mod options;
#[cfg(feature = "remote-write")]
mod printable;
#[cfg(feature = "remote-write")]
pub mod proto;
#[cfg(feature = "remote-write")]
mod redirect;
#[cfg(feature = "remote-write")]
mod report;
#[cfg(feature = "remote-write")]
mod series_table;
#[cfg(feature = "remote-write")]
mod staging;
#[cfg(feature = "remote-write")]
mod stats;
#[cfg(feature = "remote-write")]
mod writer;

#[cfg(feature = "remote-write")]
pub use backoff::MAX_RETRY_AFTER;
#[cfg(feature = "remote-write")]
pub use client::{Client, Delivery, FallbackReason, WriteError};
#[cfg(feature = "remote-write")]
pub use encode::{Batch, Encoder, v1_message};
pub use options::{Protocol, UnknownProtocol, WriteOptions};
#[cfg(feature = "remote-write")]
pub use printable::{MAX_SHOWN, printable};
#[cfg(feature = "remote-write")]
pub use redirect::{MAX_REDIRECTS, RedirectProblem};
#[cfg(feature = "remote-write")]
pub use report::{Interval, Report};
#[cfg(feature = "remote-write")]
pub use series_table::SeriesTable;
#[cfg(feature = "remote-write")]
pub use stats::WriteStats;
#[cfg(feature = "remote-write")]
pub use writer::{RemoteWriter, WriteSummary};
