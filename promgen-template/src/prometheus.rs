//! Prometheus's template functions (`template/template.go` of v2.42).

use std::rc::Rc;

use crate::exec::State;
use crate::gofmt::{format_float, quote};
use crate::value::Value;

fn s(v: &Value) -> &str {
    match v {
        Value::Str(s) => s,
        _ => unreachable!("checked string argument"),
    }
}

/// Calls the Prometheus function `name` with checked arguments.
pub(crate) fn call(st: &mut State<'_, '_, '_>, name: &str, a: Vec<Value>) -> Result<Value, String> {
    Ok(match name {
        "query" => {
            let samples = st.env.queries.query(s(&a[0]))?;
            Value::Samples(Rc::new(std::cell::RefCell::new(
                samples.into_iter().map(Rc::new).collect(),
            )))
        }
        "first" => match &a[0] {
            Value::Samples(l) if !l.borrow().is_empty() => {
                Value::Sample(Some(l.borrow()[0].clone()))
            }
            _ => return Err("first() called on vector with no elements".into()),
        },
        "label" => Value::str(
            sample(&a[1])?
                .labels
                .get(s(&a[0]))
                .map_or("", String::as_str),
        ),
        "value" => Value::Float(sample(&a[0])?.value),
        "strvalue" => Value::str(
            sample(&a[0])?
                .labels
                .get("__value__")
                .map_or("", String::as_str),
        ),
        "args" => Value::AnyMap(Rc::new(
            a.into_iter()
                .enumerate()
                .map(|(i, v)| (format!("arg{i}"), v))
                .collect(),
        )),
        "reReplaceAll" => {
            // regexp.MustCompile panics on a bad pattern; the template reports the panic.
            let re = compile(s(&a[0]))
                .map_err(|e| format!("regexp: Compile({}): {e}", go_quote_re(s(&a[0]))))?;
            Value::str(&re.replace_all(s(&a[2]), s(&a[1])))
        }
        "safeHtml" => Value::Html(s(&a[0]).into()),
        "match" => Value::Bool(compile(s(&a[0]))?.is_match(s(&a[1]))),
        "title" => Value::str(&title(s(&a[0]))),
        "toUpper" => Value::str(&map_chars(s(&a[0]), true)),
        "toLower" => Value::str(&map_chars(s(&a[0]), false)),
        "graphLink" => Value::str(&format!(
            "/graph?g0.expr={}&g0.tab=0",
            query_escape(s(&a[0]))
        )),
        "tableLink" => Value::str(&format!(
            "/graph?g0.expr={}&g0.tab=1",
            query_escape(s(&a[0]))
        )),
        "sortByLabel" => {
            let Value::Samples(l) = &a[1] else {
                unreachable!("checked queryResult")
            };
            let key = s(&a[0]);
            // Go's sort.Stable sorts the caller's slice: every holder sees the new order.
            l.borrow_mut().sort_by(|x, y| {
                let lx = x.labels.get(key).map_or("", String::as_str);
                let ly = y.labels.get(key).map_or("", String::as_str);
                lx.cmp(ly)
            });
            Value::Samples(l.clone())
        }
        "stripPort" => Value::str(&strip_port(s(&a[0]))),
        "stripDomain" => Value::str(&strip_domain(s(&a[0]))),
        "humanize" => Value::str(&humanize(to_float(&a[0])?)),
        "humanize1024" => Value::str(&humanize1024(to_float(&a[0])?)),
        "humanizeDuration" => Value::str(&humanize_duration(to_float(&a[0])?)),
        "humanizePercentage" => Value::str(&format!(
            "{}%",
            format_float(to_float(&a[0])? * 100.0, 'g', Some(4))
        )),
        "humanizeTimestamp" => {
            let v = to_float(&a[0])?;
            if !v.is_finite() {
                Value::str(&format_float(v, 'g', Some(4)))
            } else {
                Value::str(&Value::Time(float_to_time(v)?).to_string())
            }
        }
        "toTime" => {
            let v = to_float(&a[0])?;
            if !v.is_finite() {
                return Err("value is NaN or Inf".into());
            }
            Value::Time(float_to_time(v)?)
        }
        "pathPrefix" | "externalURL" => match &st.env.url {
            // promtool gives the rule manager no URL: Go dereferences a nil *url.URL.
            None => {
                return Err(
                    "runtime error: invalid memory address or nil pointer dereference".into(),
                );
            }
            Some(u) if name == "externalURL" => Value::str(u),
            Some(u) => Value::str(url_path(u)),
        },
        "parseDuration" => Value::Float(parse_duration(s(&a[0]))?),
        _ => return Err(format!("function {name:?} not implemented")),
    })
}

fn sample(v: &Value) -> Result<&crate::Sample, String> {
    match v {
        Value::Sample(Some(s)) => Ok(s),
        _ => Err("runtime error: invalid memory address or nil pointer dereference".into()),
    }
}

/// Go's `regexp.MustCompile` quoting of a pattern in its panic message.
fn go_quote_re(p: &str) -> String {
    if !p.contains('`') && p.chars().all(|c| c == '\t' || crate::gofmt::is_print(c)) {
        format!("`{p}`")
    } else {
        quote(p)
    }
}

/// Compiles a Go (RE2) pattern. Go's `\d`, `\w`, `\s` and `\b` are ASCII-only, where
/// the regex crate's are Unicode-aware, so those are rewritten to ASCII classes.
pub(crate) fn compile(pattern: &str) -> Result<regex::Regex, String> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let rep = match (n, in_class) {
                    ('d', false) => "[0-9]",
                    ('D', false) => "[^0-9]",
                    ('w', false) => "[0-9A-Za-z_]",
                    ('W', false) => "[^0-9A-Za-z_]",
                    ('s', false) => "[\\t\\n\\f\\r ]",
                    ('S', false) => "[^\\t\\n\\f\\r ]",
                    ('b', false) => "(?-u:\\b)",
                    ('B', false) => "(?-u:\\B)",
                    ('d', true) => "0-9",
                    ('w', true) => "0-9A-Za-z_",
                    ('s', true) => "\\t\\n\\f\\r ",
                    _ => {
                        out.push('\\');
                        out.push(n);
                        continue;
                    }
                };
                out.push_str(rep);
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // A POSIX class such as [:alpha:] inside a class.
                out.push('[');
                for c2 in chars.by_ref() {
                    out.push(c2);
                    if c2 == ']' {
                        break;
                    }
                }
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    regex::RegexBuilder::new(&out)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| {
            go_regex_error(pattern).unwrap_or_else(|| format!("error parsing regexp: {e}"))
        })
}

/// Go's `regexp/syntax` message for the common mistakes in a pattern:
/// `error parsing regexp: CODE: `EXPR``.
fn go_regex_error(pattern: &str) -> Option<String> {
    use regex_syntax::ast::ErrorKind as K;
    let e = regex_syntax::ast::parse::Parser::new()
        .parse(pattern)
        .err()?;
    let span = e.span();
    let frag = pattern
        .get(span.start.offset..span.end.offset)
        .unwrap_or("");
    let (code, expr) = match e.kind() {
        K::GroupUnclosed => ("missing closing )", pattern),
        K::GroupUnopened => ("unexpected )", pattern),
        K::ClassUnclosed => (
            "missing closing ]",
            pattern.get(span.start.offset..).unwrap_or(""),
        ),
        K::EscapeUnrecognized
        | K::EscapeHexInvalid
        | K::EscapeHexInvalidDigit
        | K::EscapeHexEmpty => ("invalid escape sequence", frag),
        K::EscapeUnexpectedEof => ("trailing backslash at end of expression", ""),
        K::RepetitionMissing => ("missing argument to repetition operator", frag),
        K::ClassRangeInvalid => ("invalid character class range", frag),
        K::RepetitionCountInvalid => ("invalid repeat count", frag),
        K::GroupNameInvalid | K::GroupNameEmpty | K::GroupNameUnexpectedEof => {
            ("invalid named capture", frag)
        }
        _ => return None,
    };
    Some(format!("error parsing regexp: {code}: `{expr}`"))
}

/// Go's `strings.Title`: upper-cases letters that follow a separator.
fn title(s: &str) -> String {
    let is_sep = |r: char| {
        if r.is_ascii() {
            return !(r.is_ascii_alphanumeric() || r == '_');
        }
        if r.is_alphabetic() || r.is_numeric() {
            return false;
        }
        r.is_whitespace()
    };
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_sep(prev) { to_title(c) } else { c };
            prev = c;
            out
        })
        .collect()
}

/// Go's `unicode.ToTitle`: upper case, except the digraphs with a title form.
fn to_title(c: char) -> char {
    match c {
        'Ǆ' | 'ǅ' | 'ǆ' => 'ǅ',
        'Ǉ' | 'ǈ' | 'ǉ' => 'ǈ',
        'Ǌ' | 'ǋ' | 'ǌ' => 'ǋ',
        'Ǳ' | 'ǲ' | 'ǳ' => 'ǲ',
        c => single_case(c, true),
    }
}

/// Go maps case rune by rune with Unicode's simple mappings; where Rust's full
/// mapping is several runes, the simple one is the exception below or the rune itself.
fn single_case(c: char, upper: bool) -> char {
    let u = c as u32;
    if !upper && c == '\u{130}' {
        return 'i';
    }
    if upper && (matches!(u, 0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7)) {
        return char::from_u32(u + 8).unwrap_or(c);
    }
    if upper && matches!(u, 0x1FB3 | 0x1FC3 | 0x1FF3) {
        return char::from_u32(u + 9).unwrap_or(c);
    }
    let mut it: Box<dyn Iterator<Item = char>> = if upper {
        Box::new(c.to_uppercase())
    } else {
        Box::new(c.to_lowercase())
    };
    match (it.next(), it.next()) {
        (Some(m), None) => m,
        _ => c,
    }
}

fn map_chars(s: &str, upper: bool) -> String {
    s.chars().map(|c| single_case(c, upper)).collect()
}

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `net.SplitHostPort`, as far as the strip functions need it.
fn split_host_port(hp: &str) -> Option<(&str, &str)> {
    let i = hp.rfind(':')?;
    let (host, j, k) = if hp.starts_with('[') {
        let end = hp.find(']')?;
        if end + 1 != i {
            return None;
        }
        (&hp[1..end], 1, end + 1)
    } else {
        let host = &hp[..i];
        if host.contains(':') {
            return None;
        }
        (host, 0, 0)
    };
    if hp[j..].contains('[') || hp[k..].contains(']') {
        return None;
    }
    Some((host, &hp[i + 1..]))
}

fn strip_port(hp: &str) -> String {
    match split_host_port(hp) {
        Some((h, _)) => h.to_string(),
        None => hp.to_string(),
    }
}

fn strip_domain(hp: &str) -> String {
    let (host, port) = split_host_port(hp).unwrap_or((hp, ""));
    if host.parse::<std::net::IpAddr>().is_ok() {
        return hp.to_string();
    }
    let host = host.split('.').next().unwrap_or("");
    if port.is_empty() {
        host.to_string()
    } else if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Prometheus's `convertToFloat`: floats and ints as they are, strings parsed.
fn to_float(v: &Value) -> Result<f64, String> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Str(s) => parse_float(s),
        Value::Nil => Err("can't convert <nil> to float".into()),
        other => Err(format!("can't convert {} to float", other.type_name())),
    }
}

/// Go's `strconv.ParseFloat(s, 64)` with its error text.
pub(crate) fn parse_float(s: &str) -> Result<f64, String> {
    let err = |what: &str| format!("strconv.ParseFloat: parsing {}: {what}", quote(s));
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    let neg = s.starts_with('-');
    let special = match lower.as_str() {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    };
    if let Some(v) = special {
        return Ok(if neg { -v } else { v });
    }
    let ok_chars = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'));
    if !ok_chars || lower.starts_with("0x") {
        return Err(err("invalid syntax"));
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    match clean.parse::<f64>() {
        Ok(v) if v.is_infinite() => Err(err("value out of range")),
        Ok(v) => Ok(v),
        Err(_) => Err(err("invalid syntax")),
    }
}

fn g4(v: f64) -> String {
    format_float(v, 'g', Some(4))
}

fn humanize(mut v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return g4(v);
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", g4(v))
}

fn humanize1024(mut v: f64) -> String {
    if v.abs() <= 1.0 || !v.is_finite() {
        return g4(v);
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", g4(v))
}

fn humanize_duration(mut v: f64) -> String {
    if !v.is_finite() {
        return g4(v);
    }
    if v == 0.0 {
        return format!("{}s", g4(v));
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        v = v.abs();
        // Go converts with int64(v): out of range it is the minimum int64 on amd64.
        let d = if v >= i64::MAX as f64 {
            i64::MIN
        } else {
            v as i64
        };
        let (secs, mins, hours, days) = (d % 60, d / 60 % 60, d / 3600 % 24, d / 86_400);
        if days != 0 {
            return format!("{sign}{days}d {hours}h {mins}m {secs}s");
        }
        if hours != 0 {
            return format!("{sign}{hours}h {mins}m {secs}s");
        }
        if mins != 0 {
            return format!("{sign}{mins}m {secs}s");
        }
        return format!("{sign}{}s", g4(v));
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", g4(v))
}

/// Prometheus's `floatToTime`: seconds to a millisecond-precision UTC time, in ns.
fn float_to_time(v: f64) -> Result<i64, String> {
    let ts = v * 1e9;
    if ts > i64::MAX as f64 || ts < i64::MIN as f64 {
        return Err(format!(
            "{} cannot be represented as a nanoseconds timestamp since it overflows int64",
            crate::gofmt::float_v(v)
        ));
    }
    // model.TimeFromUnixNano truncates to milliseconds.
    let ms = (ts as i64) / 1_000_000;
    Ok(ms * 1_000_000)
}

/// The path of an absolute URL, as Go's `url.URL.Path`.
fn url_path(u: &str) -> &str {
    let rest = match u.find("://") {
        Some(i) => &u[i + 3..],
        None => return u.split(['?', '#']).next().unwrap_or(""),
    };
    match rest.find('/') {
        Some(i) => rest[i..].split(['?', '#']).next().unwrap_or(""),
        None => "",
    }
}

/// prometheus/common's `model.ParseDuration`, in seconds.
fn parse_duration(d: &str) -> Result<f64, String> {
    let bad = || format!("not a valid duration string: {}", quote(d));
    if d == "0" {
        return Ok(0.0);
    }
    if d.is_empty() {
        return Err("empty duration string".into());
    }
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 24 * 3600 * 1000),
        ("w", 7 * 24 * 3600 * 1000),
        ("d", 24 * 3600 * 1000),
        ("h", 3600 * 1000),
        ("m", 60 * 1000),
        ("s", 1000),
        ("ms", 1),
    ];
    let mut rest = d;
    let mut next_unit = 0;
    let mut total_ms: u64 = 0;
    while !rest.is_empty() {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad());
        }
        let num: u64 = rest[..n]
            .parse()
            .map_err(|_| "duration out of range".to_string())?;
        rest = &rest[n..];
        // "ms" before "m": try the longest unit that matches at this point.
        let unit_len = if rest.starts_with("ms") { 2 } else { 1 };
        let unit = rest.get(..unit_len).ok_or_else(bad)?;
        let Some(pos) = UNITS.iter().position(|(u, _)| *u == unit) else {
            return Err(bad());
        };
        if pos < next_unit {
            return Err(bad());
        }
        next_unit = pos + 1;
        rest = &rest[unit_len..];
        let add = num
            .checked_mul(UNITS[pos].1)
            .ok_or("duration out of range")?;
        total_ms = total_ms.checked_add(add).ok_or("duration out of range")?;
    }
    if total_ms > i64::MAX as u64 / 1_000_000 {
        return Err("duration out of range".into());
    }
    // float64(time.Duration(v)) / float64(time.Second): nanoseconds over 1e9.
    Ok((total_ms * 1_000_000) as f64 / 1e9)
}
