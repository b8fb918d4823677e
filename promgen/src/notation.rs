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
    shape::{Point, Shape},
};
pub use promgen_syntax::notation::{Item, NotationError};
use std::{fmt, str::FromStr};

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
        let items = promgen_syntax::notation::parse(text)?;
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
