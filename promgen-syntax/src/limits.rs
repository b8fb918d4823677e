//! How deep and how large one series may be: the same two limits for every front end (the
//! text DSL, `series!` tokens, YAML and JSON segments), so that no input reaches the stack.
//!
//! ```
//! use promgen_syntax::{limits::MAX_DEPTH, parse_str};
//! let deep = format!("{}1{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
//! assert_eq!(parse_str(&deep).unwrap_err().render(&deep), "1:65: nested deeper than 64 levels");
//! let long = vec!["1"; 10_000].join(" + ");
//! assert!(parse_str(&long).is_ok());
//! let longer = format!("{long} + 1");
//! assert_eq!(
//!     parse_str(&longer).unwrap_err().render(&longer),
//!     "1:40001: more than 10000 shapes in one series"
//! );
//! ```

use crate::{Error, Span};

/// The deepest a series may nest. A level is a pair of brackets, or a shape that holds others:
/// a unary `-`, a method call (`.abs()`), `x n`, a closer (`>> loop`), a chain of `>>` or of
/// operators (`a + b - c` is one level, however long), a segment holding segments.
pub const MAX_DEPTH: usize = 64;

/// The most shapes one series may hold. Each number, function, list, notation string, `_`,
/// `stale`, segment, and each unary `-`, method, `x n` and closer applied to them counts one;
/// `>>` and the operators only put shapes together, so `1 + 1 + …` holds one shape a term.
/// Long flat chains (`1 + 1 + …`, `a >> b >> …`, `a x 2 x 3 …`) are parsed, built and run
/// without recursion up to this size.
pub const MAX_SHAPES: usize = 10_000;

/// The message for a series nested deeper than [`MAX_DEPTH`].
#[must_use]
pub fn too_deep() -> String {
    format!("nested deeper than {MAX_DEPTH} levels")
}

/// The message for a series with more than [`MAX_SHAPES`] shapes.
#[must_use]
pub fn too_many() -> String {
    format!("more than {MAX_SHAPES} shapes in one series")
}

/// `depth` levels, or the error at `span` when that is deeper than [`MAX_DEPTH`].
pub(crate) fn check_depth(depth: usize, span: Span) -> Result<usize, Error> {
    if depth > MAX_DEPTH {
        Err(Error::new(span, too_deep()))
    } else {
        Ok(depth)
    }
}

/// Counts the shapes of one series as the parser makes them.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    shapes: usize,
}

impl Budget {
    /// One more shape, made at `span`.
    pub(crate) fn spend(&mut self, span: Span) -> Result<(), Error> {
        self.shapes += 1;
        if self.shapes > MAX_SHAPES {
            Err(Error::new(span, too_many()))
        } else {
            Ok(())
        }
    }
}
