//! # promgen
//!
//! Synthetic Prometheus time series, on purpose. Compose a series from shapes (linear
//! segments, custom values with gaps, random values, waveforms, joins, loops, arithmetic,
//! counters) and drive it with a [`Scraper`] clock.
//!
//! ```
//! use promgen::shape::{linear, uniform, ShapeExt, EndStrategy};
//! use promgen::{Labels, Scraper, Series, Stop, MetricType};
//!
//! // A ramp from 0 to 100 over 11 scrapes, with noise, looping forever.
//! let shape = (linear(0.0, 100.0, 11) + uniform(-1.0, 1.0)).end_with(EndStrategy::Loop);
//! let labels = Labels::new("cpu_usage", [("host", "a")])?;
//! let mut series = Series::new(labels, MetricType::Gauge, shape);
//! let scraper = Scraper::new(0, 15_000, Stop::Count(20))?;
//! let samples: Vec<_> = series.samples(&scraper).collect();
//! assert_eq!(samples.len(), 20);
//! assert_eq!(samples[1].timestamp_ms, 15_000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same shapes can be described in YAML ([`config`]) or in promtool's expanding notation
//! ([`notation`]). A [`registry::Registry`] of series is served on `/metrics` ([`server`],
//! feature `server`), written into a receiver by Remote Write 1.0 or 2.0 ([`remote_write`],
//! feature `remote-write`), or written out as an OpenMetrics backfill file ([`backfill`]).

pub mod backfill;
pub mod churn;
pub mod config;
pub mod dsl;
pub mod exposition;
pub mod labels;
pub mod latency;
mod metric_type;
pub mod notation;
pub mod observe;
pub mod registry;
pub mod remote_write;
mod sample;
mod scraper;
mod series;
#[cfg(feature = "server")]
pub mod server;
pub mod shape;
pub mod time;

pub use labels::{LabelError, Labels};
pub use metric_type::{MetricType, UnknownMetricType};
pub use sample::{FormatValue, STALE_NAN_BITS, Sample, is_stale, stale_nan};
pub use scraper::{Scraper, ScraperError, Stop, Tick};
pub use series::{Series, SeriesSamples};

#[cfg(feature = "macros")]
#[doc = include_str!("../docs/series.md")]
pub use promgen_macros::series;

/// The README's Rust examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
