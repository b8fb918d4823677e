//! Go's `time.Time.Format` for UTC times, enough for `humanizeTimestamp`, `toTime` and
//! `(toTime …).Format "…"` in templates.

use crate::value::civil;

/// Go's month names (`time.Month.String`).
pub(crate) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Formats `ns` (nanoseconds since the epoch, UTC) with a Go reference-time layout.
pub(crate) fn format(ns: i64, layout: &str) -> String {
    let c = civil(ns);
    let b = layout.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    let starts = |i: usize, p: &str| layout[i..].starts_with(p);
    while i < b.len() {
        let rest = &layout[i..];
        let (text, n): (String, usize) = if rest.starts_with("January") {
            (MONTHS[c.month as usize - 1].into(), 7)
        } else if rest.starts_with("Jan") {
            (MONTHS[c.month as usize - 1][..3].into(), 3)
        } else if rest.starts_with("Monday") {
            (DAYS[c.weekday as usize].into(), 6)
        } else if rest.starts_with("Mon") {
            (DAYS[c.weekday as usize][..3].into(), 3)
        } else if rest.starts_with("MST") {
            ("UTC".into(), 3)
        } else if rest.starts_with("2006") {
            (format!("{:04}", c.year), 4)
        } else if rest.starts_with("002") {
            (format!("{:03}", c.yday), 3)
        } else if rest.starts_with("01") {
            (format!("{:02}", c.month), 2)
        } else if rest.starts_with("02") {
            (format!("{:02}", c.day), 2)
        } else if rest.starts_with("03") {
            (format!("{:02}", hour12(c.hour)), 2)
        } else if rest.starts_with("04") {
            (format!("{:02}", c.minute), 2)
        } else if rest.starts_with("05") {
            (format!("{:02}", c.second), 2)
        } else if rest.starts_with("06") {
            (format!("{:02}", c.year.rem_euclid(100)), 2)
        } else if rest.starts_with("15") {
            (format!("{:02}", c.hour), 2)
        } else if rest.starts_with("__2") {
            (format!("{:>3}", c.yday), 3)
        } else if rest.starts_with("_2") && !rest.starts_with("_2006") {
            (format!("{:>2}", c.day), 2)
        } else if starts(i, "1") {
            (c.month.to_string(), 1)
        } else if starts(i, "2") {
            (c.day.to_string(), 1)
        } else if starts(i, "3") {
            (hour12(c.hour).to_string(), 1)
        } else if starts(i, "4") {
            (c.minute.to_string(), 1)
        } else if starts(i, "5") {
            (c.second.to_string(), 1)
        } else if rest.starts_with("PM") {
            ((if c.hour >= 12 { "PM" } else { "AM" }).into(), 2)
        } else if rest.starts_with("pm") {
            ((if c.hour >= 12 { "pm" } else { "am" }).into(), 2)
        } else if let Some((t, n)) = zone(rest) {
            (t.into(), n)
        } else if let Some((t, n)) = fraction(rest, c.nanos) {
            (t, n)
        } else {
            let ch = rest.chars().next().unwrap_or(' ');
            (ch.to_string(), ch.len_utf8())
        };
        out.push_str(&text);
        i += n;
    }
    out
}

fn hour12(h: u32) -> u32 {
    match h % 12 {
        0 => 12,
        x => x,
    }
}

/// The numeric zone layouts; UTC has offset zero and `Z…` writes `Z`.
fn zone(rest: &str) -> Option<(&'static str, usize)> {
    for (p, t) in [
        ("Z07:00:00", "Z"),
        ("Z070000", "Z"),
        ("Z07:00", "Z"),
        ("Z0700", "Z"),
        ("Z07", "Z"),
        ("-07:00:00", "+00:00:00"),
        ("-070000", "+000000"),
        ("-07:00", "+00:00"),
        ("-0700", "+0000"),
        ("-07", "+00"),
    ] {
        if rest.starts_with(p) {
            return Some((t, p.len()));
        }
    }
    None
}

/// `.000`/`,000` (fixed digits) or `.999` (trailing zeros dropped), not followed by a digit.
fn fraction(rest: &str, nanos: u32) -> Option<(String, usize)> {
    let b = rest.as_bytes();
    if b.len() < 2 || !(b[0] == b'.' || b[0] == b',') || !(b[1] == b'0' || b[1] == b'9') {
        return None;
    }
    let ch = b[1];
    let mut j = 1;
    while j < b.len() && b[j] == ch {
        j += 1;
    }
    if j < b.len() && b[j].is_ascii_digit() {
        return None;
    }
    let n = (j - 1).min(9);
    let digits = format!("{nanos:09}");
    let mut d = digits[..n].to_string();
    if ch == b'9' {
        while d.ends_with('0') {
            d.pop();
        }
        if d.is_empty() {
            return Some((String::new(), j));
        }
    }
    Some((format!("{}{d}", b[0] as char), j))
}
