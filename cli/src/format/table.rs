//! One row per scrape, one column per series.

use crate::preview::Preview;
use promgen::{FormatValue, time::Rfc3339};
use std::io::{self, Write};

pub fn write(out: &mut impl Write, preview: &Preview) -> io::Result<()> {
    let mut header = vec!["time".to_owned()];
    header.extend(preview.series.iter().map(|s| s.labels.to_string()));
    let rows: Vec<Vec<String>> = preview
        .ticks
        .iter()
        .enumerate()
        .map(|(i, ts)| {
            let mut row = vec![Rfc3339(*ts).to_string()];
            row.extend(preview.series.iter().map(|s| {
                s.values[i]
                    .map(|v| FormatValue(v).to_string())
                    .unwrap_or_default()
            }));
            row
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |out: &mut dyn Write, cells: &[String]| -> io::Result<()> {
        let text: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            // Times read left to right; numbers line up on the right.
            .map(|(c, (cell, w))| {
                if c == 0 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        writeln!(out, "{}", text.join("  ").trim_end())
    };
    line(out, &header)?;
    for row in &rows {
        line(out, row)?;
    }
    if preview.ticks.is_empty() {
        writeln!(out, "(no scrapes: every series is empty)")?;
    }
    Ok(())
}
