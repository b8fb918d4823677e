//! The series DSL as text: parsed by `promgen-syntax`, built into the same shapes the
//! `series!` macro composes, behind [`DynShape`](crate::shape::DynShape).
//!
//! ```
//! use promgen::dsl;
//! use promgen::shape::ShapeExt;
//! let spec = dsl::parse("linear(0..=10, 5) x 2 >> [1, _, stale]")?;
//! let text: Vec<String> = spec.build().points().map(|p| p.to_string()).collect();
//! assert_eq!(text, ["0", "2.5", "5", "7.5", "10", "0", "2.5", "5", "7.5", "10", "1", "_", "stale"]);
//!
//! let err = dsl::parse("lienar(0..10)").unwrap_err();
//! assert_eq!(err.to_string(), "1:1: unknown function 'lienar', did you mean 'linear'?");
//! # Ok::<(), promgen::dsl::DslError>(())
//! ```

use crate::{
    config::{ArithOp, Period, ShapeSpec},
    notation::Notation,
    shape::{EndStrategy, Value, WaveKind, WaveParams},
};
use promgen_syntax::{Arg, Closer, Item, Op, Shape};

pub use promgen_syntax::limits::{MAX_DEPTH, MAX_SHAPES};

/// A mistake in a DSL expression, with its line and column (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct DslError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses a DSL expression into a [`ShapeSpec`].
///
/// ```
/// let deep = format!("{}1{}", "(".repeat(65), ")".repeat(65));
/// let err = promgen::dsl::parse(&deep).unwrap_err();
/// assert_eq!(err.to_string(), "1:65: nested deeper than 64 levels");
/// ```
///
/// # Errors
/// [`DslError`] at the first mistake, and where an expression nests deeper than
/// [`MAX_DEPTH`] or holds more than [`MAX_SHAPES`] shapes.
pub fn parse(text: &str) -> Result<ShapeSpec, DslError> {
    let shape = promgen_syntax::parse_str(text).map_err(|e| {
        let (line, column) = e.span.line_column(text);
        DslError {
            line,
            column,
            message: e.message,
        }
    })?;
    Ok(spec(&shape))
}

/// The value of a literal argument. Text never holds Rust expressions, so every argument
/// is a literal; the fallback only keeps this total.
fn num(arg: &Arg) -> f64 {
    arg.literal().unwrap_or(f64::NAN)
}

fn whole(arg: &Arg) -> u64 {
    match arg {
        Arg::Num { int: Some(n), .. } => *n,
        other => num(other) as u64,
    }
}

fn arith_op(op: Op) -> ArithOp {
    match op {
        Op::Add => ArithOp::Add,
        Op::Sub => ArithOp::Sub,
        Op::Mul => ArithOp::Mul,
        Op::Div => ArithOp::Div,
    }
}

fn boxed(shape: &Shape) -> Box<ShapeSpec> {
    Box::new(spec(shape))
}

fn spec(shape: &Shape) -> ShapeSpec {
    match shape {
        Shape::LinearRange { start, end } => {
            let (a, b) = (num(start), num(end));
            let span = b - a;
            let count = if span.is_finite() {
                span.abs().ceil() as u64
            } else {
                0
            };
            ShapeSpec::LinearStep {
                start: a,
                step: if span < 0.0 { -1.0 } else { 1.0 },
                count,
            }
        }
        Shape::Linear { start, end, count } => ShapeSpec::Linear {
            start: num(start),
            end: num(end),
            count: whole(count),
        },
        Shape::Constant(v) => ShapeSpec::Constant(num(v)),
        Shape::Gap(n) => ShapeSpec::Gap(whole(n)),
        Shape::Uniform { min, max } => ShapeSpec::Uniform {
            min: num(min),
            max: num(max),
            seed: None,
        },
        Shape::Normal { mean, sd } => ShapeSpec::Normal {
            mean: num(mean),
            stddev: num(sd),
            seed: None,
        },
        Shape::Walk { start, step } => ShapeSpec::Walk {
            start: num(start),
            step: num(step),
            seed: None,
        },
        Shape::Wave(w) => {
            let kind = match w.kind {
                promgen_syntax::WaveKind::Sin => WaveKind::Sin,
                promgen_syntax::WaveKind::Cos => WaveKind::Cos,
                promgen_syntax::WaveKind::Square => WaveKind::Square,
                promgen_syntax::WaveKind::Sawtooth => WaveKind::Sawtooth,
                promgen_syntax::WaveKind::Triangle => WaveKind::Triangle,
                promgen_syntax::WaveKind::Pulse => WaveKind::Pulse,
            };
            let mut params = WaveParams::new(kind);
            params.amplitude = w.amplitude.as_ref().map_or(params.amplitude, num);
            params.offset = w.offset.as_ref().map_or(params.offset, num);
            params.phase = w.phase.as_ref().map_or(params.phase, num);
            params.duty = w.duty.as_ref().map_or(params.duty, num);
            let period = match &w.period {
                promgen_syntax::Period::Duration(ms) => Period::Millis(*ms),
                promgen_syntax::Period::Scrapes(n) => Period::Scrapes(*n),
                // Only the macro produces expressions.
                promgen_syntax::Period::Expr(_) => Period::Scrapes(1),
            };
            ShapeSpec::Wave { params, period }
        }
        Shape::Values(items) => ShapeSpec::Values(
            items
                .iter()
                .map(|item| match item {
                    Item::Num(v) => Value::Num(num(v)),
                    Item::Missing => Value::Missing,
                    Item::Stale => Value::Stale,
                })
                .collect(),
        ),
        // The parser has already checked the notation.
        Shape::Notation(text) => match Notation::parse(text) {
            Ok(n) => ShapeSpec::Notation(n),
            Err(_) => ShapeSpec::Values(Vec::new()),
        },
        Shape::Join(parts) => ShapeSpec::Join(parts.iter().map(spec).collect()),
        Shape::Repeat(inner, n) => ShapeSpec::Loop {
            count: Some(*n),
            body: boxed(inner),
        },
        Shape::Closed(inner, closer) => {
            let strategy = match closer {
                Closer::Loop => EndStrategy::Loop,
                Closer::Hold => EndStrategy::SendLastValue,
                Closer::End => EndStrategy::RemoveTimeSeries,
                Closer::Const(v) => EndStrategy::SendCustomValue(Value::Num(num(v))),
            };
            ShapeSpec::Ended {
                strategy,
                inner: boxed(inner),
            }
        }
        Shape::Arith(first, rest) => match rest.as_slice() {
            [(op, right)] => ShapeSpec::Arith {
                op: arith_op(*op),
                left: boxed(first),
                right: Box::new(spec(right)),
            },
            _ => ShapeSpec::ArithChain {
                first: boxed(first),
                rest: rest
                    .iter()
                    .map(|(op, s)| (arith_op(*op), spec(s)))
                    .collect(),
            },
        },
        Shape::Neg(inner) => ShapeSpec::Arith {
            op: ArithOp::Mul,
            left: Box::new(ShapeSpec::Constant(-1.0)),
            right: boxed(inner),
        },
        Shape::Seed(inner, seed) => ShapeSpec::Seeded {
            seed: whole(seed),
            inner: boxed(inner),
        },
        Shape::Clamp(inner, lo, hi) => ShapeSpec::Clamp {
            min: num(lo),
            max: num(hi),
            inner: boxed(inner),
        },
        Shape::Round(inner) => ShapeSpec::Round(boxed(inner)),
        Shape::Abs(inner) => ShapeSpec::Abs(boxed(inner)),
        Shape::Cumsum(inner) => ShapeSpec::Cumsum(boxed(inner)),
        Shape::Every(inner, n) => ShapeSpec::Hold {
            count: whole(n),
            inner: boxed(inner),
        },
    }
}
