//! What the fuzz targets hold promgen's output to: an exposition that Prometheus's own text
//! parsers (`promtool check metrics`, the scraper) take whole. A page they refuse loses
//! every series of the scrape, so every rule here is one whose break does that.
//!
//! Text format 0.0.4 (`expfmt.TextParser`) and OpenMetrics 1.0: line syntax, metric and
//! label names, label value escapes (`\\`, `\"`, `\n` only), values and timestamps, at most
//! one `TYPE` and one `HELP` per family and `TYPE` before its samples, the suffixes a
//! histogram, summary or (OpenMetrics) counter family may have, `le` / `quantile` where they
//! belong, no label twice in a sample, no series twice, and OpenMetrics' `# EOF`.

use promgen::{exposition::Format, registry::Registry};
use std::collections::{BTreeMap, BTreeSet};

/// Scrapes `registry` at a few ticks in both formats and checks each page.
///
/// # Panics
/// On the first page that breaks a rule, with the page.
pub fn scrape_and_check(registry: &mut Registry) {
    for (tick, format) in [Format::Text, Format::OpenMetrics, Format::Text]
        .into_iter()
        .enumerate()
    {
        let mut page = Vec::new();
        registry.scrape_into(&mut page, format, tick as i64 * 15_000);
        let text = String::from_utf8(page).expect("an exposition is UTF-8");
        if let Err(e) = check(&text, format == Format::OpenMetrics) {
            panic!("{e}\n--- the page ---\n{text}");
        }
    }
}

/// The family a `TYPE` line declared.
#[derive(Debug, Clone)]
struct Family {
    kind: String,
    samples: usize,
}

/// Checks one page; the error names the line.
pub fn check(page: &str, openmetrics: bool) -> Result<(), String> {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    let mut helps: BTreeSet<String> = BTreeSet::new();
    let mut series: BTreeSet<String> = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut closed: BTreeSet<String> = BTreeSet::new();
    // The families that have samples: a TYPE for one of them comes too late.
    let mut sampled: BTreeSet<String> = BTreeSet::new();
    let mut eof = false;
    for (n, line) in page.lines().enumerate() {
        let at = |e: String| format!("line {}: {e}: {line:?}", n + 1);
        if eof {
            return Err(at("text after # EOF".into()));
        }
        if line == "# EOF" && openmetrics {
            eof = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
            metric_name(name).map_err(at)?;
            help_text(text).map_err(at)?;
            if !helps.insert(name.to_owned()) {
                return Err(at(format!("second HELP line for {name}")));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest
                .split_once(' ')
                .ok_or_else(|| at("TYPE without a type".into()))?;
            metric_name(name).map_err(at)?;
            let kinds: &[&str] = if openmetrics {
                &[
                    "counter",
                    "gauge",
                    "histogram",
                    "summary",
                    "unknown",
                    "gaugehistogram",
                    "stateset",
                    "info",
                ]
            } else {
                &["counter", "gauge", "histogram", "summary", "untyped"]
            };
            if !kinds.contains(&kind) {
                return Err(at(format!("unknown type {kind}")));
            }
            if families.contains_key(name) || sampled.contains(name) {
                return Err(at(format!(
                    "second TYPE line for {name}, or TYPE after its samples"
                )));
            }
            if let Some(c) = current.replace(name.to_owned()) {
                closed.insert(c);
            }
            families.insert(
                name.to_owned(),
                Family {
                    kind: kind.to_owned(),
                    samples: 0,
                },
            );
            continue;
        }
        if line.starts_with('#') {
            if openmetrics {
                return Err(at("a comment other than HELP, TYPE, UNIT or EOF".into()));
            }
            continue;
        }
        if line.is_empty() {
            if openmetrics {
                return Err(at("an empty line".into()));
            }
            continue;
        }
        let (name, labels, rest) = sample(line).map_err(at)?;
        let owner = owner(&name, &labels, &families, openmetrics).map_err(at)?;
        if openmetrics {
            match &owner {
                Some(f) if Some(f) != current.as_ref() || closed.contains(f) => {
                    return Err(at(format!(
                        "{name} is not in the family {current:?} being written: families must not interleave"
                    )));
                }
                None => return Err(at(format!("{name} has no TYPE"))),
                _ => {}
            }
        }
        if let Some(f) = owner.as_ref().and_then(|f| families.get_mut(f)) {
            f.samples += 1;
        }
        // An untyped sample is a family of its own name, and of the name a suffix would
        // give it once a TYPE line came (`x_bucket` before `# TYPE x histogram`).
        match &owner {
            Some(f) => {
                sampled.insert(f.clone());
            }
            None => {
                sampled.insert(name.clone());
                sampled.insert(family_of(&name).to_owned());
            }
        }
        let mut values = rest.split(' ');
        let value = values.next().unwrap_or_default();
        float(value).map_err(|e| at(format!("value: {e}")))?;
        if let Some(ts) = values.next() {
            let ok = if openmetrics {
                float(ts).is_ok()
            } else {
                ts.parse::<i64>().is_ok()
            };
            if !ok {
                return Err(at(format!("timestamp {ts:?}")));
            }
        }
        if values.next().is_some() {
            return Err(at("more than a value and a timestamp".into()));
        }
        let key = format!("{name}{labels:?}");
        if !series.insert(key) {
            return Err(at(format!("{name} twice with the same labels")));
        }
    }
    if openmetrics && !eof {
        return Err("no # EOF at the end".into());
    }
    Ok(())
}

/// The family a series name would belong to by its suffix (for the TYPE-after-samples rule).
fn family_of(name: &str) -> &str {
    for suffix in ["_bucket", "_sum", "_count", "_total", "_created"] {
        if let Some(base) = name.strip_suffix(suffix) {
            return base;
        }
    }
    name
}

/// Which declared family a sample belongs to, checking its suffix and `le` / `quantile`.
fn owner(
    name: &str,
    labels: &BTreeMap<String, String>,
    families: &BTreeMap<String, Family>,
    openmetrics: bool,
) -> Result<Option<String>, String> {
    let suffixes: &[(&str, &str)] = &[
        ("histogram", "_bucket"),
        ("histogram", "_sum"),
        ("histogram", "_count"),
        ("histogram", "_created"),
        ("summary", "_sum"),
        ("summary", "_count"),
        ("summary", "_created"),
        ("counter", "_total"),
        ("counter", "_created"),
    ];
    for (kind, suffix) in suffixes {
        if let Some(base) = name.strip_suffix(suffix)
            && let Some(f) = families.get(base)
            && f.kind == *kind
        {
            if *suffix == "_bucket" {
                let le = labels
                    .get("le")
                    .ok_or_else(|| format!("{name} without le"))?;
                float(le).map_err(|e| format!("le: {e}"))?;
            }
            return Ok(Some(base.to_owned()));
        }
    }
    match families.get(name) {
        Some(f) => {
            let bare_ok = match f.kind.as_str() {
                "histogram" => false,
                "counter" => !openmetrics,
                "summary" => {
                    let q = labels
                        .get("quantile")
                        .ok_or_else(|| format!("summary {name} without quantile"))?;
                    float(q).map_err(|e| format!("quantile: {e}"))?;
                    true
                }
                _ => true,
            };
            if bare_ok {
                Ok(Some(name.to_owned()))
            } else {
                Err(format!(
                    "{name} is a {} family: its samples need a suffix",
                    f.kind
                ))
            }
        }
        None => Ok(None),
    }
}

/// `name{labels} rest`, parsed: the name, the labels (unescaped), and what follows.
fn sample(line: &str) -> Result<(String, BTreeMap<String, String>, &str), String> {
    let end = line
        .find(['{', ' '])
        .ok_or_else(|| "a sample without a value".to_owned())?;
    let name = &line[..end];
    metric_name(name)?;
    let mut labels = BTreeMap::new();
    let mut rest = &line[end..];
    if let Some(body) = rest.strip_prefix('{') {
        let mut chars = body.char_indices().peekable();
        let close;
        loop {
            match chars.peek() {
                Some((i, '}')) => {
                    close = *i;
                    break;
                }
                None => return Err("labels not closed".into()),
                _ => {}
            }
            let mut key = String::new();
            for (_, c) in chars.by_ref() {
                if c == '=' {
                    break;
                }
                key.push(c);
            }
            label_name(&key)?;
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err(format!("label {key}: value not quoted"));
            }
            let mut value = String::new();
            loop {
                match chars.next() {
                    Some((_, '"')) => break,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, '\\')) => value.push('\\'),
                        Some((_, '"')) => value.push('"'),
                        Some((_, 'n')) => value.push('\n'),
                        other => return Err(format!("label {key}: bad escape {other:?}")),
                    },
                    Some((_, '\n')) | None => return Err(format!("label {key}: value not closed")),
                    Some((_, c)) => value.push(c),
                }
            }
            if labels.insert(key.clone(), value).is_some() {
                return Err(format!("label name {key:?} is not unique"));
            }
            match chars.peek() {
                Some((_, ',')) => {
                    chars.next();
                }
                Some((_, '}')) => {}
                _ => return Err("labels: expected , or }".into()),
            }
        }
        rest = &body[close + 1..];
    }
    let rest = rest
        .strip_prefix(' ')
        .ok_or_else(|| "no space before the value".to_owned())?;
    Ok((name.to_owned(), labels, rest))
}

fn metric_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    if ok {
        Ok(())
    } else {
        Err(format!("bad metric name {name:?}"))
    }
}

fn label_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!("bad label name {name:?}"))
    }
}

/// HELP text: `\\` and `\n` are its only escapes, and no raw newline.
fn help_text(text: &str) -> Result<(), String> {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && !matches!(chars.next(), Some('\\' | 'n' | '"')) {
            return Err("HELP: bad escape".into());
        }
    }
    Ok(())
}

/// A value as Go's `strconv.ParseFloat` reads it (what both parsers use).
fn float(text: &str) -> Result<f64, String> {
    match text {
        "NaN" | "+Inf" | "-Inf" | "Inf" | "+inf" | "-inf" | "inf" => Ok(0.0),
        _ => text
            .parse::<f64>()
            .map_err(|_| format!("not a number: {text:?}"))
            .and_then(|v| {
                if v.is_finite() {
                    Ok(v)
                } else {
                    Err(format!("out of range: {text:?}"))
                }
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_pages_pass_and_each_broken_rule_is_caught() {
        let good = "# HELP h Latency.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n# TYPE g gauge\ng{a=\"x\\\"y\\\\z\\n\"} -0\n";
        check(good, false).unwrap();
        let om = "# TYPE c counter\nc_total 1 0.000\n# EOF\n";
        check(om, true).unwrap();
        // Gauges named as another family's parts are families of their own.
        check(
            "# TYPE q_bucket gauge\nq_bucket 1\n# TYPE q gauge\nq 1\n",
            false,
        )
        .unwrap();
        for (page, om) in [
            ("# TYPE g gauge\n# TYPE g gauge\ng 1\n", false),
            ("g 1\n# TYPE g gauge\n", false),
            ("g{le=\"1\",le=\"2\"} 1\n", false),
            ("g{a=\"\\t\"} 1\n", false),
            ("g 1\ng 2\n", false),
            ("# TYPE h histogram\nh 1\n", false),
            ("# TYPE h histogram\nh_bucket 1\n", false),
            ("x_bucket 1\n# TYPE x histogram\n", false),
            ("# TYPE c counter\nc 1\n# EOF\n", true),
            ("# TYPE c counter\nc_total 1\n", true),
            (
                "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x=\"1\"} 2\n# EOF\n",
                true,
            ),
            ("g 1e400\n", false),
        ] {
            assert!(check(page, om).is_err(), "{page:?} must be refused");
        }
    }
}
