//! Series with labels and `[timestamp_ms, "value"]` pairs, values as strings like the
//! Prometheus HTTP API (so `NaN`, `+Inf` and `stale` survive JSON). One series per line.

use crate::preview::Preview;
use promgen::FormatValue;
use serde_json::{Map, Value, json};
use std::io::{self, Write};

pub fn write(out: &mut impl Write, preview: &Preview) -> io::Result<()> {
    writeln!(out, "{{\"series\": [")?;
    for (i, s) in preview.series.iter().enumerate() {
        let labels: Map<String, Value> = s
            .labels
            .iter()
            .map(|(k, v)| (k.to_owned(), Value::from(v)))
            .collect();
        let samples: Vec<Value> = preview
            .ticks
            .iter()
            .zip(&s.values)
            .filter_map(|(ts, v)| v.map(|v| json!([ts, FormatValue(v).to_string()])))
            .collect();
        let entry = json!({
            "series": s.labels.to_string(),
            "type": s.metric_type.as_str(),
            "labels": labels,
            "samples": samples,
        });
        let comma = if i + 1 < preview.series.len() {
            ","
        } else {
            ""
        };
        writeln!(out, "  {entry}{comma}")?;
    }
    writeln!(out, "]}}")
}
