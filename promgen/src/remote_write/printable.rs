//! What a receiver sends back (a response body, a header value), made safe to print: it
//! reaches terminals and logs through error messages, and a receiver is not trusted.

use std::fmt::Write as _;

/// The most escaped text shown of a receiver's text, in bytes; the rest is counted.
pub const MAX_SHOWN: usize = 512;

/// `raw` as text that is safe on a terminal and in a log line: control characters (escape
/// sequences, NUL, newlines), the Unicode controls that reorder or hide text, and bytes that
/// are not UTF-8 are written out visibly (`\x1b`, `\0`, `\n`, `\u{202e}`, `\xff`; a
/// backslash as `\\`, so that nothing reads as what it is not); trailing whitespace is
/// dropped; and past [`MAX_SHOWN`] bytes it is cut, saying how many bytes were left out.
///
/// ```
/// use promgen::remote_write::printable;
/// assert_eq!(printable(b"\x1b]0;TITLE\x07\x1b[2J\0\xff ok\n"), r"\x1b]0;TITLE\x07\x1b[2J\0\xff ok");
/// assert_eq!(printable("é".repeat(300).as_bytes()), format!("{}… (88 more bytes)", "é".repeat(256)));
/// ```
#[must_use]
pub fn printable(raw: &[u8]) -> String {
    let raw = raw.trim_ascii_end();
    let (mut text, shown) = escape(raw, MAX_SHOWN);
    if shown < raw.len() {
        let _ = write!(text, "… ({} more bytes)", raw.len() - shown);
    }
    text
}

/// The start of a text whose whole length is not known, longer than [`MAX_SHOWN`]: a body
/// that was still coming when reading stopped. As [`printable`], but what was left out is
/// "more than" the bytes of `start` not shown.
pub(super) fn printable_start(start: &[u8]) -> String {
    let (mut text, shown) = escape(start, MAX_SHOWN);
    let _ = write!(text, "… (more than {} more bytes)", start.len() - shown);
    text
}

/// `raw` escaped, up to `max` bytes of output, and how many bytes of `raw` that took.
fn escape(raw: &[u8], max: usize) -> (String, usize) {
    let mut text = String::new();
    let mut shown = 0;
    let mut piece = String::new();
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            piece.clear();
            escape_char(&mut piece, c);
            if !append(&mut text, &piece, max) {
                return (text, shown);
            }
            shown += c.len_utf8();
        }
        for byte in chunk.invalid() {
            piece.clear();
            let _ = write!(piece, "\\x{byte:02x}");
            if !append(&mut text, &piece, max) {
                return (text, shown);
            }
            shown += 1;
        }
    }
    (text, shown)
}

/// Appends `piece` whole if `text` stays within `max` bytes; false if it would not.
fn append(text: &mut String, piece: &str, max: usize) -> bool {
    let fits = text.len() + piece.len() <= max;
    if fits {
        text.push_str(piece);
    }
    fits
}

fn escape_char(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\0' => out.push_str("\\0"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        // ASCII controls (ESC, BEL, DEL, …) as the byte they are.
        c if c.is_ascii_control() => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        // C1 controls (U+0080–U+009F: CSI, OSC, …) and the characters that reorder or hide
        // text (bidirectional overrides and isolates, zero-width ones, line and paragraph
        // separators, the byte-order mark) as code points: `\x9b` would read as a raw byte.
        c if c.is_control() || hides_or_reorders(c) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// Format characters that change how the text around them is shown.
fn hides_or_reorders(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_invalid_bytes_are_written_out() {
        assert_eq!(
            printable(b"\x1b]0;TITLE\x07\x1b[2J"),
            r"\x1b]0;TITLE\x07\x1b[2J"
        );
        assert_eq!(printable(b"a\0b\xffc\x7f"), r"a\0b\xffc\x7f");
        assert_eq!(printable(b"two\nlines\r\tx"), r"two\nlines\r\tx");
        // A C1 control encoded in UTF-8 is not the raw byte 0x9b.
        assert_eq!(printable("\u{9b}2J".as_bytes()), r"\u{9b}2J");
        assert_eq!(printable(b"\x9b2J"), r"\x9b2J");
        assert_eq!(
            printable("admin\u{202e}gpj.exe\u{200b}".as_bytes()),
            r"admin\u{202e}gpj.exe\u{200b}"
        );
        assert_eq!(
            printable(br"C:\x1b"),
            r"C:\\x1b",
            "a backslash cannot fake an escape"
        );
        // An incomplete UTF-8 sequence, byte by byte.
        assert_eq!(printable(b"caf\xc3"), r"caf\xc3");
    }

    #[test]
    fn text_is_kept_as_it_is() {
        let body = r#"out of order sample: label "job"="a", übel, 日本"#;
        assert_eq!(printable(body.as_bytes()), body);
        assert_eq!(
            printable(b"slow down\r\n\n"),
            "slow down",
            "trailing newlines dropped"
        );
        assert_eq!(printable(b""), "");
    }

    #[test]
    fn long_text_is_cut_and_what_is_left_out_counted() {
        let long = "a".repeat(2000);
        let shown = printable(long.as_bytes());
        assert_eq!(shown, format!("{}… (1488 more bytes)", "a".repeat(512)));
        // Escapes count as what they print, and are never split.
        let shown = printable(&[0x1b; 200]);
        assert_eq!(shown, format!("{}… (72 more bytes)", r"\x1b".repeat(128)));
        // Nor are characters.
        let shown = printable("é".repeat(300).as_bytes());
        assert_eq!(shown, format!("{}… (88 more bytes)", "é".repeat(256)));
        // Exactly the limit is not cut.
        assert_eq!(printable("b".repeat(512).as_bytes()), "b".repeat(512));
        assert_eq!(
            printable_start("c".repeat(1000).as_bytes()),
            format!("{}… (more than 488 more bytes)", "c".repeat(512)),
            "a start says the rest is unknown"
        );
    }
}
