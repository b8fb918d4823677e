//! promtool's expanding notation for series values, as in `promtool test rules` files.
//!
//! ```text
//! 1 2 3          three values
//! 0+10x3         0 10 20 30      a+bxn: n+1 values, adding b each time
//! 5-1x2          5 4 3           a-bxn
//! 7x2            7 7 7           axn
//! _  _x3         one missing scrape, then three more
//! stale          a stale marker
//! Inf -Inf NaN   special values (any case)
//! ```
//!
//! Values are computed by repeated addition, exactly as promtool does, so `0.1+0.7x3` gives
//! `0.1 0.7999999999999999 1.5 2.2`. Expansion is lazy: `0+1x1000000000` costs nothing until
//! it is played.
//!
//! ```
//! use promgen::notation::Notation;
//! use promgen::shape::ShapeExt;
//! let n: Notation = "1+1x2 _ stale".parse()?;
//! let text: Vec<String> = n.points().map(|p| p.to_string()).collect();
//! assert_eq!(text, ["1", "2", "3", "_", "stale"]);
//!
//! let err = "3+3x4-4".parse::<Notation>().unwrap_err();
//! assert_eq!(err.to_string(), "column 6: expected a space between values, found '-'");
//! # Ok::<(), promgen::notation::NotationError>(())
//! ```

use crate::{
    Tick,
    sample::stale_nan,
    shape::{Point, Shape},
};
use std::{fmt, str::FromStr};

/// A malformed notation, with the 1-based column (in characters) where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct NotationError {
    /// 1-based column of the offending character.
    pub column: usize,
    /// What was expected.
    pub message: String,
}

/// One item of the notation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Item {
    /// `count` missing scrapes (`_` is 1, `_xN` is N).
    Gap {
        /// How many.
        count: u64,
    },
    /// `count` values starting at `start`, each `step` more than the last (`a`, `axn`, `a+bxn`).
    Run {
        /// The first value (may be the stale marker).
        start: f64,
        /// Added after each value.
        step: f64,
        /// How many values: n+1 for `xn`, 1 for a single value.
        count: u64,
    },
}

/// Parsed promtool notation; it is a [`Shape`] that yields the expanded values in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Notation {
    items: Vec<Item>,
    text: String,
    /// Position: the item, how far into it, and the running value of a run.
    item: usize,
    done_in_item: u64,
    current: f64,
}

impl Notation {
    /// Parses `text`.
    ///
    /// # Errors
    /// [`NotationError`] naming the column of the first mistake.
    pub fn parse(text: &str) -> Result<Self, NotationError> {
        let items = Parser { text, pos: 0 }.items()?;
        let current = first_value(&items, 0);
        Ok(Self {
            items,
            text: text.to_owned(),
            item: 0,
            done_in_item: 0,
            current,
        })
    }

    /// The parsed items.
    #[must_use]
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The text it was parsed from.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How many points the notation expands to (gaps included).
    #[must_use]
    pub fn len(&self) -> u64 {
        self.items
            .iter()
            .map(|i| match *i {
                Item::Gap { count } | Item::Run { count, .. } => count,
            })
            .fold(0, u64::saturating_add)
    }

    /// Whether the notation expands to nothing (`""`, `_x0`).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn first_value(items: &[Item], index: usize) -> f64 {
    match items.get(index) {
        Some(Item::Run { start, .. }) => *start,
        _ => 0.0,
    }
}

impl FromStr for Notation {
    type Err = NotationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Notation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Shape for Notation {
    fn next_point(&mut self, _tick: Tick) -> Point {
        loop {
            let Some(&item) = self.items.get(self.item) else {
                return Point::End;
            };
            let (count, point) = match item {
                Item::Gap { count } => (count, Point::Missing),
                Item::Run { count, .. } => (count, Point::from_value(self.current)),
            };
            if self.done_in_item < count {
                self.done_in_item += 1;
                if let Item::Run { step, .. } = item {
                    // Repeated addition, as promtool expands `a+bxn`.
                    self.current += step;
                }
                return point;
            }
            self.item += 1;
            self.done_in_item = 0;
            self.current = first_value(&self.items, self.item);
        }
    }
    fn restart(&mut self) {
        self.item = 0;
        self.done_in_item = 0;
        self.current = first_value(&self.items, 0);
    }
}

struct Parser<'a> {
    text: &'a str,
    /// Byte offset; the notation is ASCII, anything else is an error where it stands.
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn column(&self, pos: usize) -> usize {
        self.text[..pos].chars().count() + 1
    }

    fn error<T>(&self, pos: usize, message: impl Into<String>) -> Result<T, NotationError> {
        Err(NotationError {
            column: self.column(pos),
            message: message.into(),
        })
    }

    fn found(&self) -> String {
        match self.text[self.pos..].chars().next() {
            Some(c) => format!("found {c:?}"),
            None => "found the end".to_owned(),
        }
    }

    fn skip_spaces(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn items(mut self) -> Result<Vec<Item>, NotationError> {
        let mut items = Vec::new();
        self.skip_spaces();
        while self.peek().is_some() {
            items.push(self.item()?);
            if !self.skip_spaces() && self.peek().is_some() {
                return self.error(
                    self.pos,
                    format!("expected a space between values, {}", self.found()),
                );
            }
        }
        Ok(items)
    }

    fn item(&mut self) -> Result<Item, NotationError> {
        if self.peek() == Some(b'_') {
            self.pos += 1;
            if self.peek() == Some(b'x') {
                self.pos += 1;
                return Ok(Item::Gap {
                    count: self.count()?,
                });
            }
            return Ok(Item::Gap { count: 1 });
        }
        let start = self.value()?;
        match self.peek() {
            Some(b'x') => {
                self.pos += 1;
                let n = self.count()?;
                Ok(Item::Run {
                    start,
                    step: 0.0,
                    count: n.saturating_add(1),
                })
            }
            Some(sign @ (b'+' | b'-')) => {
                let at = self.pos;
                self.pos += 1;
                let step = self.unsigned_number()?;
                if self.peek() != Some(b'x') {
                    return self.error(
                        at,
                        format!(
                            "expected `x` and a count after {:?}, {}",
                            &self.text[at..self.pos],
                            self.found()
                        ),
                    );
                }
                self.pos += 1;
                let n = self.count()?;
                let step = if sign == b'-' { -step } else { step };
                Ok(Item::Run {
                    start,
                    step,
                    count: n.saturating_add(1),
                })
            }
            _ => Ok(Item::Run {
                start,
                step: 0.0,
                count: 1,
            }),
        }
    }

    /// A value: `stale`, or a number with an optional sign.
    fn value(&mut self) -> Result<f64, NotationError> {
        match self.peek() {
            Some(b'+') => {
                self.pos += 1;
                self.unsigned_number()
            }
            Some(b'-') => {
                self.pos += 1;
                self.unsigned_number().map(|v| -v)
            }
            Some(b) if b.is_ascii_alphabetic() => {
                let at = self.pos;
                let word = self.word();
                if word == "stale" {
                    Ok(stale_nan())
                } else {
                    self.special_number(word, at)
                }
            }
            _ => self.unsigned_number(),
        }
    }

    /// A word of letters, digits and `_` (as Prometheus lexes identifiers, so `Infx3` is one
    /// word and an error, exactly as in promtool).
    fn word(&mut self) -> &'a str {
        let at = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
        {
            self.pos += 1;
        }
        &self.text[at..self.pos]
    }

    fn special_number(&self, word: &str, at: usize) -> Result<f64, NotationError> {
        match word.to_ascii_lowercase().as_str() {
            "inf" => Ok(f64::INFINITY),
            "nan" => Ok(f64::NAN),
            _ => self.error(
                at,
                format!("unexpected {word:?}: expected a number, `_` or `stale`"),
            ),
        }
    }

    /// `Inf`, `NaN`, or digits with an optional fraction and exponent (no hexadecimal: in
    /// series values `0x10` is 0 repeated 10 times).
    fn unsigned_number(&mut self) -> Result<f64, NotationError> {
        let at = self.pos;
        if self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            let word = self.word();
            return self.special_number(word, at);
        }
        let digits = |p: &mut Self| {
            let s = p.pos;
            while p.peek().is_some_and(|b| b.is_ascii_digit()) {
                p.pos += 1;
            }
            p.pos - s
        };
        let mut count = digits(self);
        if self.peek() == Some(b'.') {
            self.pos += 1;
            count += digits(self);
        }
        if count == 0 {
            return self.error(at, format!("expected a number, {}", self.found_at(at)));
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return self.error(
                    at,
                    format!(
                        "bad number {:?}: the exponent has no digits",
                        &self.text[at..self.pos]
                    ),
                );
            }
        }
        if self
            .peek()
            .is_some_and(|b| b != b'x' && (b.is_ascii_alphanumeric() || b == b'_'))
        {
            return self.error(
                self.pos,
                format!(
                    "bad number: unexpected {:?} after {:?}",
                    self.text[self.pos..].chars().next().unwrap_or(' '),
                    &self.text[at..self.pos]
                ),
            );
        }
        match self.text[at..self.pos].parse() {
            Ok(v) => Ok(v),
            Err(_) => self.error(at, format!("bad number {:?}", &self.text[at..self.pos])),
        }
    }

    fn found_at(&self, at: usize) -> String {
        match self.text[at..].chars().next() {
            Some(c) => format!("found {c:?}"),
            None => "found the end".to_owned(),
        }
    }

    /// The repetition count after `x`: plain decimal digits.
    fn count(&mut self) -> Result<u64, NotationError> {
        let at = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if at == self.pos {
            return self.error(
                at,
                format!("expected a repetition count after `x`, {}", self.found()),
            );
        }
        match self.text[at..self.pos].parse() {
            Ok(n) => Ok(n),
            Err(_) => self.error(at, "repetition count is too large"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::ShapeExt;

    fn expand(text: &str) -> Vec<String> {
        Notation::parse(text)
            .unwrap()
            .points()
            .map(|p| p.to_string())
            .collect()
    }

    fn error(text: &str) -> (usize, String) {
        let e = Notation::parse(text).unwrap_err();
        (e.column, e.message)
    }

    #[test]
    fn expands_like_promtool() {
        assert_eq!(
            expand("0.1+0.7x3"),
            ["0.1", "0.7999999999999999", "1.5", "2.2"]
        );
        assert_eq!(
            expand("0+10x2 _x2 stale"),
            ["0", "10", "20", "_", "_", "stale"]
        );
        assert_eq!(expand("5-2x2"), ["5", "3", "1"]);
        assert_eq!(expand("7x2"), ["7", "7", "7"]);
        assert_eq!(expand("_ 1 _x0 2x0"), ["_", "1", "2"]);
        assert_eq!(
            expand("Inf -Inf +inf NaN nan"),
            ["+Inf", "-Inf", "+Inf", "NaN", "NaN"]
        );
        assert_eq!(
            expand("1e3x1 .5 1. -.5 1.5e-3"),
            ["1000", "1000", "0.5", "1", "-0.5", "0.0015"]
        );
        assert_eq!(
            expand("0x10").len(),
            11,
            "no hexadecimal: 0 repeated 10 times"
        );
        assert_eq!(expand("-1-1x2 +1+1x1"), ["-1", "-2", "-3", "1", "2"]);
        assert_eq!(expand("  1   2  "), ["1", "2"]);
        assert_eq!(expand("Inf+1x1"), ["+Inf", "+Inf"]);
        assert!(expand("").is_empty());
    }

    #[test]
    fn a_stale_run_becomes_nan_after_the_first_marker() {
        // As in Go: arithmetic on the marker yields an ordinary NaN.
        assert_eq!(expand("stale+1x1"), ["stale", "NaN"]);
    }

    #[test]
    fn malformed_input_names_the_column() {
        assert_eq!(
            error("3+3x4-4"),
            (6, "expected a space between values, found '-'".into())
        );
        assert_eq!(
            error("_a4"),
            (2, "expected a space between values, found 'a'".into())
        );
        assert_eq!(
            error("1+1"),
            (
                2,
                "expected `x` and a count after \"+1\", found the end".into()
            )
        );
        assert_eq!(
            error("1x"),
            (
                3,
                "expected a repetition count after `x`, found the end".into()
            )
        );
        assert_eq!(error("Infx3").0, 1);
        assert_eq!(error("stalex2").0, 1);
        assert_eq!(error("1+-1x1"), (3, "expected a number, found '-'".into()));
        assert_eq!(
            error("1e"),
            (1, "bad number \"1e\": the exponent has no digits".into())
        );
        assert_eq!(error("1_000").0, 2);
        assert_eq!(
            error("1,2"),
            (2, "expected a space between values, found ','".into())
        );
        assert_eq!(
            error("1 1m"),
            (4, "bad number: unexpected 'm' after \"1\"".into())
        );
        assert_eq!(error("é").0, 1);
        assert_eq!(error("1 é"), (3, "expected a number, found 'é'".into()));
        assert_eq!(
            error("1x99999999999999999999").1,
            "repetition count is too large"
        );
    }

    #[test]
    fn lazy_length_and_restart() {
        let mut n = Notation::parse("0+1x999999999999 _x3").unwrap();
        assert_eq!(n.len(), 1_000_000_000_003);
        let first: Vec<_> = (&mut n).points().take(3).map(|p| p.to_string()).collect();
        assert_eq!(first, ["0", "1", "2"]);
        n.restart();
        assert_eq!(n.next_point(Tick::new(0, 0)), Point::Value(0.0));
        assert!(Notation::parse("_x0").unwrap().is_empty());
    }
}
