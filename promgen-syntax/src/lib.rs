//! The series DSL of promgen: one grammar, two front ends.
//!
//! The `series!` macro hands this crate a [`proc_macro2::TokenStream`]; configs and the CLI hand
//! it a `&str`. Both are lexed into the same tokens, parsed by the same parser and validated by
//! the same rules into a [`Shape`] tree. The macro compiles that tree into a static chain of
//! `promgen` shapes; `promgen` interprets it into the dynamic form.
//!
//! ```
//! use promgen_syntax::{parse_str, Shape};
//! let shape = parse_str("linear(0..=10, 5) x 2 >> [1, _, stale]").unwrap();
//! assert!(matches!(shape, Shape::Join(_)));
//!
//! let err = parse_str("lienar(0..10)").unwrap_err();
//! assert_eq!(err.render("lienar(0..10)"), "1:1: unknown function 'lienar', did you mean 'linear'?");
//! ```
//!
//! See the `series!` documentation in `promgen` for the grammar, with an example of each
//! construct.

mod ast;
mod error;
mod lex;
pub mod limits;
pub mod notation;
mod parse;

pub use ast::{Arg, Closer, Item, Op, Period, Shape, WaveArgs, WaveKind};
pub use error::{Error, Span, closest};
pub use lex::{DURATION_UNITS, parse_duration, whole_number};

/// Parses a DSL expression written as text (a YAML value, a command-line argument).
///
/// # Errors
/// The first mistake, with its place in `text` ([`Error::render`] gives `line:column: message`);
/// an expression past the [limits] too.
pub fn parse_str(text: &str) -> Result<Shape, Error> {
    let tokens = lex::lex_str(text)?;
    parse::parse(
        &tokens,
        Span::Text {
            start: text.len(),
            end: text.len(),
        },
    )
}

/// Parses the tokens of a `series!(…)` invocation. Arguments that are not plain literals stay
/// Rust expressions ([`Arg::Expr`]), to be evaluated at run time.
///
/// # Errors
/// The first mistake, spanned on the offending token; an expression past the [limits] too.
pub fn parse_tokens(tokens: proc_macro2::TokenStream) -> Result<Shape, Error> {
    let end = Span::Token(proc_macro2::Span::call_site());
    let tokens = lex::lex_tokens(tokens)?;
    parse::parse(&tokens, end)
}
