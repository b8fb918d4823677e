//! The validated tree of a DSL expression.

use crate::Span;
use proc_macro2::TokenStream;

/// A scalar argument: a literal the parser could read, or (in the macro) a Rust expression
/// evaluated at run time.
#[derive(Debug, Clone)]
pub enum Arg {
    /// A number literal, possibly negative. `int` is set when it was written as a whole number.
    Num {
        /// The value.
        value: f64,
        /// The value, when written as a non-negative whole number.
        int: Option<u64>,
        /// Where it was written.
        span: Span,
    },
    /// A Rust expression (macro only).
    Expr(TokenStream, Span),
}

impl Arg {
    /// Where the argument stands.
    #[must_use]
    pub fn span(&self) -> Span {
        match self {
            Self::Num { span, .. } | Self::Expr(_, span) => *span,
        }
    }

    /// The literal value, if it is one.
    #[must_use]
    pub fn literal(&self) -> Option<f64> {
        match self {
            Self::Num { value, .. } => Some(*value),
            Self::Expr(..) => None,
        }
    }
}

/// One custom value in `[…]`.
#[derive(Debug, Clone)]
pub enum Item {
    /// A number.
    Num(Arg),
    /// `_`: a missing scrape.
    Missing,
    /// `stale`: a stale marker.
    Stale,
}

/// Pointwise operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

/// What closes a chain.
#[derive(Debug, Clone)]
pub enum Closer {
    /// `loop`: the chain again, forever.
    Loop,
    /// `hold`: the last value, forever.
    Hold,
    /// `end`: one stale marker, then nothing.
    End,
    /// `const(v)`: `v` forever.
    Const(Arg),
}

/// The waveforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaveKind {
    /// `sin`
    Sin,
    /// `cos`
    Cos,
    /// `square`
    Square,
    /// `sawtooth`
    Sawtooth,
    /// `triangle`
    Triangle,
    /// `pulse`
    Pulse,
}

/// A wave's period.
#[derive(Debug, Clone)]
pub enum Period {
    /// A duration literal (`10m`), in milliseconds: a continuous wave.
    Duration(i64),
    /// A whole number of scrapes: a discrete wave.
    Scrapes(u64),
    /// A Rust expression (macro only): an integer gives scrapes, a `std::time::Duration` a
    /// continuous wave.
    Expr(TokenStream),
}

/// The named arguments of a wave.
#[derive(Debug, Clone)]
pub struct WaveArgs {
    /// The form.
    pub kind: WaveKind,
    /// `period = …`, required.
    pub period: Period,
    /// `amplitude = …` (default 1).
    pub amplitude: Option<Arg>,
    /// `offset = …` (default 0).
    pub offset: Option<Arg>,
    /// `phase = …`, a fraction of the period (default 0).
    pub phase: Option<Arg>,
    /// `duty = …`, pulses only (default 0.5).
    pub duty: Option<Arg>,
}

/// A validated DSL expression.
#[derive(Debug, Clone)]
pub enum Shape {
    /// `linear(a..b)`: a, a±1, … up to but not including b.
    LinearRange {
        /// First value.
        start: Arg,
        /// Excluded end.
        end: Arg,
    },
    /// `linear(a..=b, n)`: n points from a to b inclusive.
    Linear {
        /// First value.
        start: Arg,
        /// Last value.
        end: Arg,
        /// How many points.
        count: Arg,
    },
    /// A number, or `constant(v)`: the value forever.
    Constant(Arg),
    /// `gap(n)` or `_`: missing scrapes.
    Gap(Arg),
    /// `uniform(a..b)`.
    Uniform {
        /// Lower bound.
        min: Arg,
        /// Upper bound (excluded).
        max: Arg,
    },
    /// `normal(mean, sd)`.
    Normal {
        /// Mean.
        mean: Arg,
        /// Standard deviation.
        sd: Arg,
    },
    /// `walk(start = …, step = …)`.
    Walk {
        /// First value.
        start: Arg,
        /// Largest step.
        step: Arg,
    },
    /// `sin(…)`, `cos(…)`, `square(…)`, `sawtooth(…)`, `triangle(…)`, `pulse(…)`.
    Wave(WaveArgs),
    /// `[1, _, stale]`.
    Values(Vec<Item>),
    /// `"0+10x5 _ stale"`: promtool notation (already checked).
    Notation(String),
    /// `a >> b >> c`.
    Join(Vec<Shape>),
    /// `a x n`.
    Repeat(Box<Shape>, u64),
    /// `chain >> loop` and the other closers.
    Closed(Box<Shape>, Closer),
    /// `a + b` and the other operators.
    Binary(Op, Box<Shape>, Box<Shape>),
    /// `-a`.
    Neg(Box<Shape>),
    /// `.seed(n)`: fixes the seeds of the random shapes inside.
    Seed(Box<Shape>, Arg),
    /// `.clamp(lo, hi)`.
    Clamp(Box<Shape>, Arg, Arg),
    /// `.round()`.
    Round(Box<Shape>),
    /// `.abs()`.
    Abs(Box<Shape>),
    /// `.cumsum()`.
    Cumsum(Box<Shape>),
    /// `.every(n)`: each point held for n scrapes.
    Every(Box<Shape>, Arg),
}
