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
    /// `a + b - c` and the other operators: the first operand, then each operator with its
    /// operand, applied left to right (`((a + b) - c)`). One node however long the chain, so
    /// that a long chain is no deeper than a short one; `*` and `/` bind tighter, so
    /// `a + b * c` holds `b * c` as one operand.
    Arith(Box<Shape>, Vec<(Op, Shape)>),
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

use std::fmt;

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A whole number as written: above 2^53 its float is another number.
            Self::Num { int: Some(n), .. } => write!(f, "{n}"),
            Self::Num { value, .. } => write!(f, "{value}"),
            Self::Expr(tokens, _) => write!(f, "{tokens}"),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Duration(ms) => write!(f, "{ms}ms"),
            Self::Scrapes(n) => write!(f, "{n}"),
            Self::Expr(tokens) => write!(f, "{tokens}"),
        }
    }
}

/// Canonical DSL text: every compound operand in parentheses, so it parses back to the same
/// tree. (For a series listing, and for checking that both front ends agree.) Each level of
/// the tree is one pair of brackets, so the text nests as deep as the tree, and whatever
/// parsed parses again.
///
/// ```
/// let shape = promgen_syntax::parse_str("linear(0..=10, 5) x 2 >> [1, _, stale] + 1").unwrap();
/// assert_eq!(shape.to_string(), "((linear(0..=10, 5) x 2) >> ([1, _, stale] + constant(1)))");
/// ```
impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LinearRange { start, end } => write!(f, "linear({start}..{end})"),
            Self::Linear { start, end, count } => write!(f, "linear({start}..={end}, {count})"),
            Self::Constant(v) => write!(f, "constant({v})"),
            Self::Gap(n) => write!(f, "gap({n})"),
            Self::Uniform { min, max } => write!(f, "uniform({min}..{max})"),
            Self::Normal { mean, sd } => write!(f, "normal({mean}, {sd})"),
            Self::Walk { start, step } => write!(f, "walk(start = {start}, step = {step})"),
            Self::Wave(w) => {
                let name = match w.kind {
                    WaveKind::Sin => "sin",
                    WaveKind::Cos => "cos",
                    WaveKind::Square => "square",
                    WaveKind::Sawtooth => "sawtooth",
                    WaveKind::Triangle => "triangle",
                    WaveKind::Pulse => "pulse",
                };
                write!(f, "{name}(period = {}", w.period)?;
                for (key, arg) in [
                    ("amplitude", &w.amplitude),
                    ("offset", &w.offset),
                    ("phase", &w.phase),
                    ("duty", &w.duty),
                ] {
                    if let Some(arg) = arg {
                        write!(f, ", {key} = {arg}")?;
                    }
                }
                f.write_str(")")
            }
            Self::Values(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match item {
                        Item::Num(v) => write!(f, "{v}")?,
                        Item::Missing => f.write_str("_")?,
                        Item::Stale => f.write_str("stale")?,
                    }
                }
                f.write_str("]")
            }
            Self::Notation(text) => write!(f, "{text:?}"),
            Self::Join(parts) => {
                f.write_str("(")?;
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" >> ")?;
                    }
                    write!(f, "{part}")?;
                }
                f.write_str(")")
            }
            Self::Repeat(inner, n) => write!(f, "({inner} x {n})"),
            Self::Closed(inner, closer) => {
                let closer = match closer {
                    Closer::Loop => "loop".to_owned(),
                    Closer::Hold => "hold".to_owned(),
                    Closer::End => "end".to_owned(),
                    Closer::Const(v) => format!("const({v})"),
                };
                write!(f, "({inner} >> {closer})")
            }
            Self::Arith(first, rest) => {
                write!(f, "({first}")?;
                for (op, operand) in rest {
                    let op = match op {
                        Op::Add => '+',
                        Op::Sub => '-',
                        Op::Mul => '*',
                        Op::Div => '/',
                    };
                    write!(f, " {op} {operand}")?;
                }
                f.write_str(")")
            }
            Self::Neg(inner) => write!(f, "-({inner})"),
            Self::Seed(inner, seed) => write!(f, "({inner}).seed({seed})"),
            Self::Clamp(inner, lo, hi) => write!(f, "({inner}).clamp({lo}, {hi})"),
            Self::Round(inner) => write!(f, "({inner}).round()"),
            Self::Abs(inner) => write!(f, "({inner}).abs()"),
            Self::Cumsum(inner) => write!(f, "({inner}).cumsum()"),
            Self::Every(inner, n) => write!(f, "({inner}).every({n})"),
        }
    }
}
