//! Prometheus durations and the ways a start or end time can be written.

use std::fmt;

/// Why a duration or a time was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not a Prometheus duration.
    #[error("invalid duration {0:?}: expected a Prometheus duration like 15s, 1m30s, 1h or 1d")]
    Duration(String),
    /// Not a time in any accepted form.
    #[error(
        "invalid time {0:?}: expected RFC 3339 (2024-01-01T00:00:00Z), Unix seconds, `now` or an offset from now like -2h"
    )]
    Time(String),
    /// A time outside the range of millisecond timestamps.
    #[error("time {0:?} is out of range")]
    OutOfRange(String),
    /// An RFC 3339 time whose offset is not `Z` or `±HH:MM` within a day.
    #[error(
        "invalid time {0:?}: an RFC 3339 offset is Z or ±HH:MM, with HH from 00 to 23 and MM from 00 to 59"
    )]
    Offset(String),
}

use promgen_syntax::DURATION_UNITS as UNITS;

/// Parses a Prometheus duration (`15s`, `1m30s`, `1h`, `1d`, `2w`, `1y`, `500ms`, `0`) into
/// milliseconds. As in Prometheus, units go from largest to smallest, each at most once.
///
/// ```
/// use promgen::time::parse_duration;
/// assert_eq!(parse_duration("1m30s"), Ok(90_000));
/// assert_eq!(parse_duration("1d"), Ok(86_400_000));
/// assert!(parse_duration("30s1m").is_err());
/// assert!(parse_duration("1.5h").is_err());
/// ```
///
/// # Errors
/// [`TimeError::Duration`] for anything else.
pub fn parse_duration(text: &str) -> Result<i64, TimeError> {
    if text == "0" {
        return Ok(0);
    }
    promgen_syntax::parse_duration(text).ok_or_else(|| TimeError::Duration(text.to_owned()))
}

/// Formats milliseconds as a Prometheus duration, the inverse of [`parse_duration`].
///
/// ```
/// assert_eq!(promgen::time::Duration(90_000).to_string(), "1m30s");
/// assert_eq!(promgen::time::Duration(0).to_string(), "0s");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub i64);

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        if self.0 < 0 {
            f.write_str("-")?;
        }
        // unsigned_abs: i64::MIN has no positive counterpart.
        let mut ms = self.0.unsigned_abs();
        for (unit, size) in UNITS {
            let size = size.unsigned_abs();
            if ms >= size {
                write!(f, "{}{unit}", ms / size)?;
                ms %= size;
            }
        }
        Ok(())
    }
}

/// Parses a point in time into milliseconds since the Unix epoch. Accepted forms:
/// RFC 3339 (`2024-01-01T00:00:00Z`), Unix seconds (`1700000000`, `1700000000.5`),
/// `now`, and an offset from now (`-2h`, `+30m`, `-1h30m`).
///
/// `now_ms` is the present, passed in so that callers (and tests) decide what "now" is.
///
/// ```
/// use promgen::time::parse_time;
/// let now = 1_700_000_000_000;
/// assert_eq!(parse_time("2024-01-01T00:00:00Z", now), Ok(1_704_067_200_000));
/// assert_eq!(parse_time("0", now), Ok(0));
/// assert_eq!(parse_time("now", now), Ok(now));
/// assert_eq!(parse_time("-2h", now), Ok(now - 7_200_000));
/// ```
///
/// # Errors
/// [`TimeError::Time`] when the text is none of these forms.
pub fn parse_time(text: &str, now_ms: i64) -> Result<i64, TimeError> {
    let text = text.trim();
    if text == "now" {
        return Ok(now_ms);
    }
    if let Some(offset) = text.strip_prefix('-').or_else(|| text.strip_prefix('+'))
        && offset.starts_with(|c: char| c.is_ascii_digit())
        && !offset.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        let ms = parse_duration(offset).map_err(|_| TimeError::Time(text.to_owned()))?;
        let signed = if text.starts_with('-') { -ms } else { ms };
        return now_ms
            .checked_add(signed)
            .ok_or_else(|| TimeError::OutOfRange(text.to_owned()));
    }
    if let Ok(seconds) = text.parse::<f64>()
        && seconds.is_finite()
    {
        let ms = (seconds * 1000.0).round();
        if ms.abs() >= 9.2e18 {
            return Err(TimeError::OutOfRange(text.to_owned()));
        }
        return Ok(ms as i64);
    }
    let ts: jiff::Timestamp = text.parse().map_err(|_| TimeError::Time(text.to_owned()))?;
    // jiff takes offsets up to ±25:59:59 and other forms; RFC 3339 (and Prometheus) do not.
    if !has_rfc3339_offset(text) {
        return Err(TimeError::Offset(text.to_owned()));
    }
    Ok(ts.as_millisecond())
}

/// Whether `text` ends in an RFC 3339 offset: `Z`, or `+HH:MM` / `-HH:MM` with HH at most 23
/// and MM at most 59.
fn has_rfc3339_offset(text: &str) -> bool {
    if text.ends_with(['Z', 'z']) {
        return true;
    }
    let Some(offset) = text.len().checked_sub(6).and_then(|at| text.get(at..)) else {
        return false;
    };
    let b = offset.as_bytes();
    let two = |i: usize| {
        let (hi, lo) = (b[i], b[i + 1]);
        (hi.is_ascii_digit() && lo.is_ascii_digit()).then(|| (hi - b'0') * 10 + (lo - b'0'))
    };
    matches!(b[0], b'+' | b'-')
        && b[3] == b':'
        && two(1).is_some_and(|h| h <= 23)
        && two(4).is_some_and(|m| m <= 59)
}

/// The wall clock in milliseconds since the Unix epoch.
#[must_use]
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Formats milliseconds since the epoch as RFC 3339 in UTC, with milliseconds only when
/// they are not zero.
///
/// ```
/// assert_eq!(promgen::time::Rfc3339(0).to_string(), "1970-01-01T00:00:00Z");
/// assert_eq!(promgen::time::Rfc3339(1500).to_string(), "1970-01-01T00:00:01.5Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339(pub i64);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(ts) => write!(f, "{ts}"),
            Err(_) => write!(f, "{}ms", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_prometheus() {
        let ok = [
            ("15s", 15_000),
            ("1m30s", 90_000),
            ("1h", 3_600_000),
            ("1d", 86_400_000),
            ("2w", 14 * 86_400_000),
            ("1y", 365 * 86_400_000),
            ("500ms", 500),
            ("1s500ms", 1_500),
            ("1h30m", 5_400_000),
            ("0", 0),
            ("0s", 0),
        ];
        for (text, ms) in ok {
            assert_eq!(parse_duration(text), Ok(ms), "{text}");
            assert_eq!(parse_duration(&Duration(ms).to_string()), Ok(ms));
        }
        assert_eq!(Duration(-1500).to_string(), "-1s500ms");
        assert!(Duration(i64::MIN).to_string().starts_with("-292471208y"));
        for bad in [
            "",
            "s",
            "15",
            "1.5h",
            "30s1m",
            "1m1m",
            "-1s",
            "1x",
            "1 s",
            "99999999999999y",
        ] {
            assert_eq!(
                parse_duration(bad),
                Err(TimeError::Duration(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn times_in_every_form() {
        let now = 1_000_000_000;
        assert_eq!(parse_time("1970-01-01T00:00:01Z", now), Ok(1000));
        assert_eq!(parse_time("1970-01-01T01:00:00+01:00", now), Ok(0));
        assert_eq!(parse_time("1.5", now), Ok(1500));
        assert_eq!(parse_time("+1m", now), Ok(now + 60_000));
        assert_eq!(parse_time("-1h30m", now), Ok(now - 5_400_000));
        assert_eq!(
            parse_time("-5", now),
            Ok(-5000),
            "negative Unix seconds, not an offset"
        );
        for bad in ["yesterday", "-2x", "2024-13-01T00:00:00Z", ""] {
            assert!(parse_time(bad, now).is_err(), "{bad}");
        }
    }

    /// Issue #12 item 10: `--start 2024-01-01T00:00:00+25:00` was accepted (jiff takes
    /// offsets up to ±25:59:59). RFC 3339 offsets stay within a day, as in Prometheus.
    #[test]
    fn rfc3339_offsets_stay_within_a_day() {
        let now = 0;
        assert_eq!(
            parse_time("2024-01-01T00:00:00+23:59", now),
            Ok(1_703_980_860_000)
        );
        assert_eq!(
            parse_time("2024-01-01T00:00:00-00:00", now),
            Ok(1_704_067_200_000)
        );
        assert_eq!(
            parse_time("2024-01-01t00:00:00z", now),
            Ok(1_704_067_200_000)
        );
        for bad in [
            "2024-01-01T00:00:00+25:00",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00-24:30",
            "2024-01-01T00:00:00+01:60",
            "2024-01-01T00:00:00+0100",
            "2024-01-01T00:00:00+01",
        ] {
            let refused = parse_time(bad, now);
            assert!(
                matches!(&refused, Err(TimeError::Offset(t)) if t == bad)
                    || matches!(&refused, Err(TimeError::Time(t)) if t == bad),
                "{bad}: {refused:?}"
            );
        }
        assert_eq!(
            parse_time("2024-01-01T00:00:00+25:00", now),
            Err(TimeError::Offset("2024-01-01T00:00:00+25:00".into()))
        );
    }
}
