//! One line per series: its name, then every scrape's point (`_` for no sample).

use crate::preview::Preview;
use promgen::FormatValue;
use std::io::{self, Write};

pub fn write(out: &mut impl Write, preview: &Preview) -> io::Result<()> {
    let width = preview
        .series
        .iter()
        .map(|s| s.labels.to_string().chars().count())
        .max()
        .unwrap_or(0);
    for series in &preview.series {
        let points: Vec<String> = series
            .values
            .iter()
            .map(|v| v.map_or_else(|| "_".to_owned(), |v| FormatValue(v).to_string()))
            .collect();
        writeln!(
            out,
            "{:<width$}  {}",
            series.labels.to_string(),
            points.join(" ")
        )?;
    }
    Ok(())
}
