//! A one-line chart per series, drawn with block characters.

use crate::preview::Preview;
use promgen::{FormatValue, is_stale};
use std::io::{self, Write};

/// The widest chart; longer previews are averaged into this many columns.
const MAX_WIDTH: usize = 100;
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

pub fn write(out: &mut impl Write, preview: &Preview) -> io::Result<()> {
    let name_width = preview
        .series
        .iter()
        .map(|s| s.labels.to_string().chars().count())
        .max()
        .unwrap_or(0);
    for series in &preview.series {
        let cells = columns(&series.values);
        let finite = || {
            series
                .values
                .iter()
                .flatten()
                .copied()
                .filter(|v| v.is_finite())
        };
        let (lo, hi) = (
            finite().fold(f64::INFINITY, f64::min),
            finite().fold(f64::NEG_INFINITY, f64::max),
        );
        let line: String = cells.iter().map(|c| glyph(*c, lo, hi)).collect();
        let range = if lo <= hi {
            format!("{} … {}", FormatValue(lo), FormatValue(hi))
        } else {
            "no values".to_owned()
        };
        writeln!(
            out,
            "{:<name_width$}  {line}  {range}",
            series.labels.to_string()
        )?;
    }
    writeln!(
        out,
        "{} scrapes; ' ' no sample, '×' stale marker, '?' NaN or infinite",
        preview.ticks.len()
    )
}

#[derive(Clone, Copy)]
enum Cell {
    Empty,
    Stale,
    Odd,
    Value(f64),
}

/// Groups the values into at most `MAX_WIDTH` columns; a column is the mean of its values,
/// stale if it holds only stale markers, and empty if it holds no sample.
fn columns(values: &[Option<f64>]) -> Vec<Cell> {
    let per = values.len().div_ceil(MAX_WIDTH).max(1);
    values
        .chunks(per)
        .map(|chunk| {
            let samples: Vec<f64> = chunk.iter().flatten().copied().collect();
            let plain: Vec<f64> = samples.iter().copied().filter(|v| !is_stale(*v)).collect();
            if samples.is_empty() {
                Cell::Empty
            } else if plain.is_empty() {
                Cell::Stale
            } else if plain.iter().any(|v| !v.is_finite()) {
                Cell::Odd
            } else {
                Cell::Value(plain.iter().sum::<f64>() / plain.len() as f64)
            }
        })
        .collect()
}

fn glyph(cell: Cell, lo: f64, hi: f64) -> char {
    match cell {
        Cell::Empty => ' ',
        Cell::Stale => '×',
        Cell::Odd => '?',
        Cell::Value(_) if hi <= lo => BARS[3],
        Cell::Value(v) => {
            let level = ((v - lo) / (hi - lo) * (BARS.len() - 1) as f64).round() as usize;
            BARS[level.min(BARS.len() - 1)]
        }
    }
}
