//! `series,timestamp_ms,value`, one row per sample.

use crate::preview::Preview;
use promgen::FormatValue;
use std::io::{self, Write};

pub fn write(out: &mut impl Write, preview: &Preview) -> io::Result<()> {
    writeln!(out, "series,timestamp_ms,value")?;
    for series in &preview.series {
        let name = quote(&series.labels.to_string());
        for (ts, value) in preview.ticks.iter().zip(&series.values) {
            if let Some(v) = value {
                writeln!(out, "{name},{ts},{}", FormatValue(*v))?;
            }
        }
    }
    Ok(())
}

/// RFC 4180 quoting: a field with a comma, quote or line break goes in quotes, inner quotes
/// doubled. `m{a="b"}` becomes `"m{a=""b""}"`.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(super::quote("up"), "up");
        assert_eq!(super::quote(r#"m{a="b"}"#), r#""m{a=""b""}""#);
    }
}
