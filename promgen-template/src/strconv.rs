//! Go's `strconv` quoting and unquoting, and `unicode.IsPrint`, as templates use them.

/// Go's `unicode.IsPrint`, approximately: graphic characters and the ASCII space.
pub(crate) fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    // Format characters and private use/unassigned ranges Go rejects, roughly.
    !matches!(c as u32, 0xAD | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF)
}

/// `%#U` of a rune: `U+0041 'A'`, or `U+00A0` for an unprintable one.
pub(crate) fn sharp_u(c: char) -> String {
    if is_print(c) {
        format!("U+{:04X} '{}'", c as u32, c)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

pub(crate) fn quote_with(s: &str, q: char, ascii: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for c in s.chars() {
        if c == q || c == '\\' {
            out.push('\\');
            out.push(c);
        } else if is_print(c) && (!ascii || c.is_ascii()) {
            out.push(c);
        } else {
            match c {
                '\x07' => out.push_str("\\a"),
                '\x08' => out.push_str("\\b"),
                '\x0c' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\x0b' => out.push_str("\\v"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push_str(&format!("\\U{:08x}", c as u32)),
            }
        }
    }
    out.push(q);
    out
}

/// Go's `strconv.Quote`.
pub(crate) fn quote(s: &str) -> String {
    quote_with(s, '"', false)
}

fn hex_val(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// Reads one escape after a backslash; returns the bytes and how many input bytes it took.
fn unescape(b: &[u8], quote: u8) -> Option<(Vec<u8>, usize)> {
    let c = *b.first()?;
    let simple = match c {
        b'a' => Some(7u8),
        b'b' => Some(8),
        b'f' => Some(12),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        b'v' => Some(11),
        b'\\' => Some(b'\\'),
        b'\'' | b'"' if c == quote => Some(c),
        _ => None,
    };
    if let Some(s) = simple {
        return Some((vec![s], 1));
    }
    match c {
        b'x' | b'u' | b'U' => {
            let n = match c {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let digits = b.get(1..1 + n)?;
            let mut v = 0u32;
            for &d in digits {
                v = v.checked_mul(16)? + hex_val(d)?;
            }
            if c == b'x' {
                return Some((vec![v as u8], 1 + n));
            }
            let ch = char::from_u32(v)?;
            Some((ch.to_string().into_bytes(), 1 + n))
        }
        b'0'..=b'7' => {
            let digits = b.get(0..3)?;
            let mut v = 0u32;
            for &d in digits {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                v = v * 8 + (d - b'0') as u32;
            }
            if v > 255 {
                return None;
            }
            Some((vec![v as u8], 3))
        }
        _ => None,
    }
}

/// Go's `strconv.Unquote` for `"…"` and `` `…` `` literals.
pub(crate) fn unquote(s: &str) -> Result<String, ()> {
    let b = s.as_bytes();
    if b.len() < 2 {
        return Err(());
    }
    if b[0] == b'`' {
        if b[b.len() - 1] != b'`' {
            return Err(());
        }
        // Raw strings drop carriage returns, as Go's do.
        return Ok(s[1..s.len() - 1].replace('\r', ""));
    }
    if b[0] != b'"' || b[b.len() - 1] != b'"' {
        return Err(());
    }
    let inner = &b[1..b.len() - 1];
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        match inner[i] {
            b'\\' => {
                let (bytes, n) = unescape(&inner[i + 1..], b'"').ok_or(())?;
                out.extend(bytes);
                i += 1 + n;
            }
            b'"' | b'\n' => return Err(()),
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A whole `'c'` literal's rune; `Err(true)` when more follows the first rune
/// (Go's "malformed character constant"), `Err(false)` for a bad escape.
pub(crate) fn unquote_char(s: &str) -> Result<char, bool> {
    let inner = s
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .ok_or(false)?;
    if let Some(rest) = inner.strip_prefix('\\') {
        let (bytes, n) = unescape(rest.as_bytes(), b'\'').ok_or(false)?;
        if n != rest.len() {
            return Err(true);
        }
        if bytes.len() == 1 {
            return Ok(bytes[0] as char);
        }
        return std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| s.chars().next())
            .ok_or(false);
    }
    let mut it = inner.chars();
    let c = it.next().ok_or(false)?;
    if c == '\'' || c == '\n' {
        return Err(false);
    }
    if it.next().is_some() {
        return Err(true);
    }
    Ok(c)
}
