//! Label sets as promtool reads them in `input_series` and `exp_samples` (PromQL's
//! `parser.ParseMetric`): `name`, `name{label="value", …}` or `{label="value", …}`, values in
//! any of Go's string quotes (`"…"` with escapes, `'…'`, `` `…` ``), a trailing comma allowed.

use crate::state::LabelMap;

/// Parses a label set; the metric name, when there is one, is `__name__`.
///
/// # Errors
/// What is wrong, and the column.
pub(crate) fn parse_metric(text: &str) -> Result<LabelMap, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut p = Parser { chars, at: 0 };
    let mut labels = LabelMap::new();
    p.space();
    // promtool reads an empty (or missing) `labels` as the empty label set.
    if p.at == p.chars.len() {
        return Ok(labels);
    }
    let name = p.name(true);
    if !name.is_empty() {
        labels.insert("__name__".into(), name);
    }
    p.space();
    if p.peek() == Some('{') {
        p.at += 1;
        loop {
            p.space();
            if p.peek() == Some('}') {
                p.at += 1;
                break;
            }
            let key = p.name(false);
            if key.is_empty() {
                return Err(p.error("expected a label name"));
            }
            p.space();
            if p.peek() != Some('=') {
                return Err(p.error("expected \"=\" after the label name"));
            }
            p.at += 1;
            p.space();
            let value = p.string()?;
            if labels.insert(key.clone(), value).is_some() {
                return Err(p.error(&format!("label {key:?} given twice")));
            }
            p.space();
            match p.peek() {
                Some(',') => p.at += 1,
                Some('}') => {}
                _ => return Err(p.error("expected \",\" or \"}\"")),
            }
        }
    } else if labels.is_empty() {
        return Err(p.error("expected a metric name or \"{\""));
    }
    p.space();
    if p.at != p.chars.len() {
        return Err(p.error("unexpected text after the label set"));
    }
    Ok(labels)
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    /// As PromQL's parser words its errors: `1:COLUMN: parse error: …`.
    fn error(&self, message: &str) -> String {
        format!("1:{}: parse error: {message}", self.at + 1)
    }

    /// A metric name (with `:`) or a label name.
    fn name(&mut self, metric: bool) -> String {
        let start = self.at;
        while let Some(c) = self.peek() {
            let ok = c.is_ascii_alphabetic()
                || c == '_'
                || (metric && c == ':')
                || (self.at > start && c.is_ascii_digit());
            if !ok {
                break;
            }
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect()
    }

    /// A Go string literal.
    fn string(&mut self) -> Result<String, String> {
        let quote = match self.peek() {
            Some(q @ ('"' | '\'' | '`')) => q,
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let word = self.name(false);
                self.at -= word.chars().count();
                return Err(self.error(&format!(
                    "unexpected identifier {} in label set, expected string",
                    super::words::go_quote(&word)
                )));
            }
            _ => return Err(self.error("expected a quoted value")),
        };
        self.at += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("unterminated quoted string"));
            };
            self.at += 1;
            match c {
                c if c == quote => return Ok(out),
                '\\' if quote != '`' => {
                    let Some(e) = self.peek() else {
                        return Err(self.error("unterminated quoted string"));
                    };
                    self.at += 1;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'a' => out.push('\u{7}'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'v' => out.push('\u{b}'),
                        '\\' | '"' | '\'' => out.push(e),
                        'x' | 'u' | 'U' => {
                            let digits = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let hex: String =
                                self.chars.iter().skip(self.at).take(digits).collect();
                            let code = u32::from_str_radix(&hex, 16)
                                .ok()
                                .filter(|_| hex.len() == digits)
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.error("bad escape"))?;
                            self.at += digits;
                            out.push(code);
                        }
                        _ => return Err(self.error("unknown escape sequence")),
                    }
                }
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_promql_takes() {
        let m = parse_metric(r#"up{job="api", path='/a', x=`\n`,}"#).unwrap();
        assert_eq!(m["__name__"], "up");
        assert_eq!((m["path"].as_str(), m["x"].as_str()), ("/a", "\\n"));
        let m = parse_metric(r#"{__name__="job:up:sum", a="\"q\""}"#).unwrap();
        assert_eq!(
            (m["__name__"].as_str(), m["a"].as_str()),
            ("job:up:sum", "\"q\"")
        );
        assert_eq!(parse_metric("{}").unwrap(), LabelMap::new());
        assert_eq!(parse_metric("x").unwrap()["__name__"], "x");
        assert!(parse_metric("up{job=api}").is_err());
        assert_eq!(parse_metric("  ").unwrap(), LabelMap::new());
    }
}
