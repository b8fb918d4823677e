//! promtool's expanding notation for series values: `0+10x100 _x5 stale`.
//!
//! The grammar of `promtool test rules` input series (Prometheus 2.x), parsed into [`Item`]s
//! that expand lazily. `promgen` plays them as a shape; the `series!` macro checks a notation
//! string at compile time.
//!
//! ```
//! use promgen_syntax::notation::{parse, Item};
//! assert_eq!(parse("1+2x3 _x2").unwrap(), [
//!     Item::Run { start: 1.0, step: 2.0, count: 4 },
//!     Item::Gap { count: 2 },
//! ]);
//! assert_eq!(parse("1x").unwrap_err().to_string(), "column 3: expected a repetition count after `x`, found the end");
//! ```

use std::fmt;

/// The stale marker's bits, as Prometheus writes them.
const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// A malformed notation, with the 1-based column (in characters) where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl fmt::Display for NotationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for NotationError {}

/// Parses promtool notation into its items.
///
/// # Errors
/// [`NotationError`] naming the column of the first mistake.
pub fn parse(text: &str) -> Result<Vec<Item>, NotationError> {
    Parser { text, pos: 0 }.items()
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
                    Ok(f64::from_bits(STALE_NAN_BITS))
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
        match self.text[at..self.pos].parse::<f64>() {
            // As promtool: a literal past the largest float is refused, not read as infinity.
            Ok(v) if v.is_infinite() => self.error(
                at,
                format!(
                    "bad number {:?}: value out of range",
                    &self.text[at..self.pos]
                ),
            ),
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
