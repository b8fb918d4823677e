//! The exposition formats a scrape answers in: Prometheus text 0.0.4 and OpenMetrics 1.0.
//!
//! Written by hand for speed: each sample is a few `write`s into one buffer, with no
//! allocation; its labels are rendered once per series ([`RenderedLabels`]) or, where a
//! second copy of millions of label sets would cost too much memory, escaped from the
//! [`Labels`](crate::Labels) as the line is written ([`LineLabels`]).
//!
//! ```
//! use promgen::exposition::{Format, RenderedLabels, Writer};
//! use promgen::{Labels, MetricType};
//! let labels = RenderedLabels::new(&Labels::new("requests", [("code", "200")])?);
//! let mut out = Vec::new();
//! let mut w = Writer::new(&mut out, Format::OpenMetrics);
//! w.family("requests", MetricType::Counter, Some("Requests served."));
//! w.sample("requests", MetricType::Counter, "", &labels, None, 42.0);
//! w.finish();
//! assert_eq!(String::from_utf8(out).unwrap(), "\
//! ## HELP requests Requests served.
//! ## TYPE requests counter
//! requests_total{code=\"200\"} 42
//! ## EOF
//! ".replace("## ", "# "));
//! # Ok::<(), promgen::LabelError>(())
//! ```

mod names;
mod negotiate;
mod writer;

pub use names::{Clash, Family, ReservedLabel};
pub use negotiate::Format;
pub use writer::{LineLabels, RenderedLabels, Writer, openmetrics_timestamp};
