//! The preview's output formats.

mod chart;
mod csv;
mod json;
mod table;
mod values;

use crate::preview::Preview;
use std::io::{self, Write};

/// How `preview` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One row per scrape, one column per series.
    Table,
    /// `series,timestamp_ms,value`, one row per sample.
    Csv,
    /// Series with their labels and `[timestamp_ms, "value"]` pairs, as the Prometheus API does.
    Json,
    /// A one-line terminal chart per series.
    Chart,
    /// One line per series with every scrape's value (`_` for no sample).
    Values,
}

pub fn write(out: &mut impl Write, format: Format, preview: &Preview) -> io::Result<()> {
    match format {
        Format::Table => table::write(out, preview),
        Format::Csv => csv::write(out, preview),
        Format::Json => json::write(out, preview),
        Format::Chart => chart::write(out, preview),
        Format::Values => values::write(out, preview),
    }
}
