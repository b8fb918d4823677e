//! Config nodes written back as JSON text, so that a series read from YAML (or from a
//! control-API body) can be listed in a form the control API takes again.
//!
//! The decoder reads scalars by their text, so a scalar keeps its text: a plain scalar that
//! is a JSON number, `true` or `false` stays bare, a plain null becomes `null`, anything else
//! becomes a string (`.inf`, `_` and `stale` read the same quoted as plain).

use super::yaml::{Kind, Node};
use std::fmt::Write as _;

/// The node as JSON text.
pub(crate) fn to_json(node: &Node) -> String {
    let mut out = String::new();
    write_node(&mut out, node);
    out
}

/// A JSON object of the given entries, in order.
pub(crate) fn object<'n>(entries: impl IntoIterator<Item = (&'n str, &'n Node)>) -> String {
    object_with(entries, |_| None)
}

/// A JSON object of the given entries, in order, the value of each key `replace` gives
/// (JSON text) instead of the node's.
pub(crate) fn object_with<'n>(
    entries: impl IntoIterator<Item = (&'n str, &'n Node)>,
    replace: impl Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_string(&mut out, key);
        out.push_str(": ");
        match replace(key) {
            Some(json) => out.push_str(&json),
            None => write_node(&mut out, value),
        }
    }
    out.push('}');
    out
}

/// Writes a JSON object of strings.
pub(crate) fn write_string_map<'a>(
    out: &mut String,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    out.push('{');
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_string(out, k);
        out.push_str(": ");
        write_string(out, v);
    }
    out.push('}');
}

fn write_node(out: &mut String, node: &Node) {
    match &node.kind {
        _ if node.is_null() => out.push_str("null"),
        Kind::Scalar { text, plain: true } if is_json_literal(text) => out.push_str(text),
        Kind::Scalar { text, .. } => write_string(out, text),
        Kind::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_node(out, item);
            }
            out.push(']');
        }
        Kind::Map(entries) => {
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match &key.kind {
                    Kind::Scalar { text, .. } => write_string(out, text),
                    // The decoder refuses such keys, so no listed series has one.
                    _ => write_string(out, ""),
                }
                out.push_str(": ");
                write_node(out, value);
            }
            out.push('}');
        }
    }
}

/// `true`, `false`, or a number in JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_literal(text: &str) -> bool {
    if text == "true" || text == "false" {
        return true;
    }
    let b = text.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

pub(crate) fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                // Writing into a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::parse;

    fn json(yaml: &str) -> String {
        to_json(&parse(yaml).unwrap().unwrap())
    }

    #[test]
    fn scalars_keep_their_text() {
        assert_eq!(
            json("[1, -2.5e3, 0, .5, +1, .inf, NaN, _, stale, null, ~, '1', true, x]"),
            r#"[1, -2.5e3, 0, ".5", "+1", ".inf", "NaN", "_", "stale", null, null, "1", true, "x"]"#
        );
        assert_eq!(
            json("{a: \"say \\\"hi\\\"\\n\\\\\", b: \"\\t\\u0001\"}"),
            r#"{"a": "say \"hi\"\n\\", "b": "\t\u0001"}"#
        );
    }

    #[test]
    fn block_yaml_reads_back_as_the_same_tree() {
        let yaml = "data:\n  - LinearSegment: {iterationCount: 3, amplitudeStart: 0, amplitudeEnd: 1}\n  - CustomValues:\n      values: [1, null, stale]\n  - Loop:\n      count: 2\n      data: [{Void: {count: 1}}]\n";
        let text = json(yaml);
        assert_eq!(
            text,
            r#"{"data": [{"LinearSegment": {"iterationCount": 3, "amplitudeStart": 0, "amplitudeEnd": 1}}, {"CustomValues": {"values": [1, null, "stale"]}}, {"Loop": {"count": 2, "data": [{"Void": {"count": 1}}]}}]}"#
        );
        // JSON is YAML: the text parses back to the same JSON.
        assert_eq!(json(&text), text);
    }
}
