//! A description of a shape, built from config (and later text), turned into a [`DynShape`].

use crate::{
    notation::{Item, Notation},
    shape::{
        ArithChain, Chain, DynShape, EndStrategy, Linear, OpAdd, OpDiv, OpMul, OpSub, Repeat,
        Shape, ShapeExt, Value, WaveParams, constant, continuous_linear, gap, linear, normal,
        uniform, values, walk,
    },
};

/// The period of a wave: a number of scrapes (discrete) or a duration (continuous).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// One cycle every this many scrapes.
    Scrapes(u64),
    /// One cycle every this many milliseconds, computed from each tick's timestamp.
    Millis(i64),
}

pub use crate::shape::ArithOp;

/// A shape described as data: what configs decode into and what [`ShapeSpec::build`] turns
/// into a running [`DynShape`].
///
/// `build`, `range` and the derived traits walk the tree recursively. The DSL and the config
/// decoder never make one deeper than [`MAX_DEPTH`](crate::dsl::MAX_DEPTH) levels (long
/// chains are [`ShapeSpec::Join`] and [`ShapeSpec::ArithChain`], one level each); a tree built
/// by hand should stay within that too.
///
/// ```
/// use promgen::config::ShapeSpec;
/// use promgen::shape::ShapeExt;
/// let spec = ShapeSpec::Join(vec![
///     ShapeSpec::Linear { start: 0.0, end: 10.0, count: 3 },
///     ShapeSpec::Gap(1),
/// ]);
/// let text: Vec<String> = spec.build().points().map(|p| p.to_string()).collect();
/// assert_eq!(text, ["0", "5", "10", "_"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ShapeSpec {
    /// `count` points from `start` to `end` inclusive.
    Linear {
        /// First value.
        start: f64,
        /// Last value.
        end: f64,
        /// How many points.
        count: u64,
    },
    /// `count` points from `start`, `step` apart (the DSL's `linear(a..b)`).
    LinearStep {
        /// First value.
        start: f64,
        /// Added each time.
        step: f64,
        /// How many points.
        count: u64,
    },
    /// A line from `start` to `end` over a duration, read from the clock.
    ContinuousLinear {
        /// Value at the first tick.
        start: f64,
        /// Value after `duration_ms`.
        end: f64,
        /// Length of the line.
        duration_ms: i64,
    },
    /// Custom values.
    Values(Vec<Value>),
    /// promtool expanding notation.
    Notation(Notation),
    /// A value forever.
    Constant(f64),
    /// Missing scrapes.
    Gap(u64),
    /// Uniform random values in `[min, max)`, forever.
    Uniform {
        /// Lower bound (inclusive).
        min: f64,
        /// Upper bound (exclusive).
        max: f64,
        /// An explicit seed.
        seed: Option<u64>,
    },
    /// Normal random values, forever.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        stddev: f64,
        /// An explicit seed.
        seed: Option<u64>,
    },
    /// A random walk, forever.
    Walk {
        /// First value.
        start: f64,
        /// Largest step.
        step: f64,
        /// An explicit seed.
        seed: Option<u64>,
    },
    /// A waveform, forever.
    Wave {
        /// Form, amplitude, offset, phase, duty.
        params: WaveParams,
        /// Scrapes or duration.
        period: Period,
    },
    /// One after another.
    Join(Vec<ShapeSpec>),
    /// Repeated `count` times, or forever when `None`.
    Loop {
        /// How many passes.
        count: Option<u64>,
        /// What is repeated.
        body: Box<ShapeSpec>,
    },
    /// The first `count` points.
    Take {
        /// How many points.
        count: u64,
        /// Of what.
        inner: Box<ShapeSpec>,
    },
    /// Pointwise arithmetic.
    Arith {
        /// The operator.
        op: ArithOp,
        /// Left operand.
        left: Box<ShapeSpec>,
        /// Right operand.
        right: Box<ShapeSpec>,
    },
    /// Pointwise arithmetic of any number of operands, left to right: `first op₁ s₁ op₂ s₂ …`
    /// is `((first op₁ s₁) op₂ s₂) …`. The DSL's `a + b - c …`, built and run in a loop, so a
    /// long chain is no deeper than a short one.
    ArithChain {
        /// The first operand.
        first: Box<ShapeSpec>,
        /// Each operator with its operand.
        rest: Vec<(ArithOp, ShapeSpec)>,
    },
    /// Values limited to `min..=max`.
    Clamp {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
        /// Of what.
        inner: Box<ShapeSpec>,
    },
    /// Values rounded to integers.
    Round(Box<ShapeSpec>),
    /// Absolute values.
    Abs(Box<ShapeSpec>),
    /// Running total.
    Cumsum(Box<ShapeSpec>),
    /// Each point held for `count` scrapes.
    Hold {
        /// How many scrapes.
        count: u64,
        /// Of what.
        inner: Box<ShapeSpec>,
    },
    /// What happens when the inner shape ends (the DSL's `loop`, `hold`, `end`, `const(v)`).
    Ended {
        /// The strategy.
        strategy: EndStrategy,
        /// Of what.
        inner: Box<ShapeSpec>,
    },
    /// Random shapes inside with seeds fixed from `seed` (the DSL's `.seed(n)`).
    Seeded {
        /// The seed.
        seed: u64,
        /// Of what.
        inner: Box<ShapeSpec>,
    },
}

fn seeded<S>(shape: S, seed: Option<u64>, set: impl FnOnce(S, u64) -> S) -> S {
    match seed {
        Some(seed) => set(shape, seed),
        None => shape,
    }
}

/// Puts a concrete leaf shape into its (static) wrapper and boxes the result.
trait Wrap {
    fn wrap<S: Shape + Send + 'static>(self, leaf: S) -> DynShape;
}

/// The leaf alone.
struct Boxed;

impl Wrap for Boxed {
    fn wrap<S: Shape + Send + 'static>(self, leaf: S) -> DynShape {
        Box::new(leaf)
    }
}

struct EndWith(EndStrategy);

impl Wrap for EndWith {
    fn wrap<S: Shape + Send + 'static>(self, leaf: S) -> DynShape {
        Box::new(leaf.end_with(self.0))
    }
}

struct Loop(Option<u64>);

impl Wrap for Loop {
    fn wrap<S: Shape + Send + 'static>(self, leaf: S) -> DynShape {
        match self.0 {
            Some(n) => Box::new(Repeat::times(leaf, n)),
            None => Box::new(Repeat::forever(leaf)),
        }
    }
}

struct TakeN(u64);

impl Wrap for TakeN {
    fn wrap<S: Shape + Send + 'static>(self, leaf: S) -> DynShape {
        Box::new(leaf.take(self.0))
    }
}

/// How the random shapes of a built shape hold their numbers: the same numbers either way
/// ([`crate::shape::Compact`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Streams {
    /// The generator with its buffer: the fastest draws (312 bytes each).
    #[default]
    Buffered,
    /// Seed and position only (16 bytes each): for serving many series.
    Compact,
    /// Seed, position and one block (80 bytes each): for writing many series, a block
    /// computed every eighth draw instead of at each ([`crate::shape::Blocked`]).
    Blocked,
}

impl Streams {
    /// For a registry of `series` series that is scraped: [`Streams::Compact`] from
    /// [`super::COMPACT_STREAMS_FROM`] series on (each series draws once a scrape, and the
    /// memory is what limits), else [`Streams::Buffered`].
    ///
    /// ```
    /// use promgen::config::Streams;
    /// assert_eq!(Streams::for_serving(1_000_000), Streams::Compact);
    /// assert_eq!(Streams::for_serving(10), Streams::Buffered);
    /// ```
    #[must_use]
    pub const fn for_serving(series: usize) -> Self {
        if series >= super::COMPACT_STREAMS_FROM {
            Self::Compact
        } else {
            Self::Buffered
        }
    }

    /// For a registry of `series` series that is written (remote write, backfill):
    /// [`Streams::Blocked`] from [`super::COMPACT_STREAMS_FROM`] series on (every series
    /// draws every tick, and the draws are most of the writer's own CPU), else
    /// [`Streams::Buffered`].
    ///
    /// ```
    /// use promgen::config::Streams;
    /// assert_eq!(Streams::for_writing(1_000_000), Streams::Blocked);
    /// ```
    #[must_use]
    pub const fn for_writing(series: usize) -> Self {
        if series >= super::COMPACT_STREAMS_FROM {
            Self::Blocked
        } else {
            Self::Buffered
        }
    }
}

impl ShapeSpec {
    /// Builds the running shape.
    #[must_use]
    pub fn build(&self) -> DynShape {
        self.build_with(Streams::Buffered)
    }

    /// Builds the running shape, its random shapes holding their numbers as `streams` says
    /// (the same numbers either way).
    #[must_use]
    pub fn build_with(&self, streams: Streams) -> DynShape {
        // Leaves, and the common wrappers of a leaf, are built as one static shape: a single
        // virtual call per point instead of one per layer.
        let wrapped = match self {
            Self::Ended { strategy, inner } if *strategy != EndStrategy::Stop => {
                inner.leaf(EndWith(*strategy), streams).ok()
            }
            Self::Loop { count, body } => body.leaf(Loop(*count), streams).ok(),
            Self::Take { count, inner } => inner.leaf(TakeN(*count), streams).ok(),
            _ => None,
        };
        if let Some(shape) = wrapped {
            return shape;
        }
        if let Ok(leaf) = self.leaf(Boxed, streams) {
            return leaf;
        }
        match self {
            Self::Join(parts) => Box::new(Chain::new(
                parts.iter().map(|p| p.build_with(streams)).collect(),
            )),
            Self::Loop {
                count: Some(n),
                body,
            } => Box::new(Repeat::times(body.build_with(streams), *n)),
            Self::Loop { count: None, body } => Box::new(Repeat::forever(body.build_with(streams))),
            Self::Take { count, inner } => Box::new(inner.build_with(streams).take(*count)),
            Self::Arith { op, left, right } => {
                let (l, r) = (left.build_with(streams), right.build_with(streams));
                match op {
                    ArithOp::Add => Box::new(l.combine(r, OpAdd)),
                    ArithOp::Sub => Box::new(l.combine(r, OpSub)),
                    ArithOp::Mul => Box::new(l.combine(r, OpMul)),
                    ArithOp::Div => Box::new(l.combine(r, OpDiv)),
                }
            }
            Self::ArithChain { first, rest } => Box::new(ArithChain::new(
                first.build_with(streams),
                rest.iter()
                    .map(|(op, s)| (*op, s.build_with(streams)))
                    .collect(),
            )),
            Self::Clamp { min, max, inner } => {
                Box::new(inner.build_with(streams).clamp(*min, *max))
            }
            Self::Round(inner) => Box::new(inner.build_with(streams).round()),
            Self::Abs(inner) => Box::new(inner.build_with(streams).abs()),
            Self::Cumsum(inner) => Box::new(inner.build_with(streams).cumsum()),
            Self::Hold { count, inner } => Box::new(inner.build_with(streams).hold(*count)),
            Self::Ended {
                strategy: EndStrategy::Stop,
                inner,
            } => inner.build_with(streams),
            Self::Ended { strategy, inner } => {
                Box::new(inner.build_with(streams).end_with(*strategy))
            }
            Self::Seeded { seed, inner } => Box::new(inner.build_with(streams).with_seed(*seed)),
            // Every leaf was built above; an empty shape keeps this match total.
            _ => Box::new(gap(0)),
        }
    }

    /// A leaf shape, handed to `wrap` as its concrete type; `Err(wrap)` for anything else.
    fn leaf<W: Wrap>(&self, wrap: W, streams: Streams) -> Result<DynShape, W> {
        /// A random leaf, its stream held as `streams` says.
        macro_rules! random {
            ($shape:expr, $seed:expr) => {
                match streams {
                    Streams::Buffered => wrap.wrap(seeded($shape, *$seed, |s, n| s.seed(n))),
                    Streams::Compact => {
                        wrap.wrap(seeded($shape.compact(), *$seed, |s, n| s.seed(n)))
                    }
                    Streams::Blocked => {
                        wrap.wrap(seeded($shape.blocked(), *$seed, |s, n| s.seed(n)))
                    }
                }
            };
        }
        Ok(match self {
            Self::Linear { start, end, count } => wrap.wrap(linear(*start, *end, *count).boxed()),
            Self::LinearStep { start, step, count } => {
                wrap.wrap(Linear::with_step(*start, *step, *count).boxed())
            }
            Self::ContinuousLinear {
                start,
                end,
                duration_ms,
            } => wrap.wrap(continuous_linear(*start, *end, *duration_ms)),
            Self::Values(v) => wrap.wrap(values(v.clone())),
            Self::Notation(n) => wrap.wrap(n.clone()),
            Self::Constant(v) => wrap.wrap(constant(*v)),
            Self::Gap(n) => wrap.wrap(gap(*n)),
            Self::Uniform { min, max, seed } => random!(uniform(*min, *max), seed),
            Self::Normal { mean, stddev, seed } => random!(normal(*mean, *stddev), seed),
            Self::Walk { start, step, seed } => random!(walk(*start, *step), seed),
            Self::Wave {
                params,
                period: Period::Scrapes(n),
            } => wrap.wrap(params.every_scrapes(*n)),
            Self::Wave {
                params,
                period: Period::Millis(ms),
            } => wrap.wrap(params.every_ms(*ms)),
            _ => return Err(wrap),
        })
    }

    /// Bounds on the values this shape can yield, used to refuse counters that could go
    /// negative or NaN. Conservative: the true values lie within, the bounds may be wider.
    #[must_use]
    pub fn range(&self) -> Range {
        match self {
            Self::Linear { start, end, count } if *count > 1 => Range::of(*start).with(*end),
            Self::Linear { start, .. } => Range::of(*start),
            Self::LinearStep { start, step, count } => {
                Range::of(*start).with(start + step * count.saturating_sub(1) as f64)
            }
            Self::ContinuousLinear { start, end, .. } => Range::of(*start).with(*end),
            Self::Values(v) => v
                .iter()
                .filter_map(|v| match v {
                    Value::Num(x) => Some(Range::of(*x)),
                    _ => None,
                })
                .fold(Range::EMPTY, Range::union),
            Self::Notation(n) => n
                .items()
                .iter()
                .filter_map(|item| match *item {
                    Item::Run { start, .. } if crate::is_stale(start) => None,
                    Item::Run { start, step, count } => {
                        // Repeated addition drifts from start + step * (count - 1) by rounding only.
                        let last = start + step * count.saturating_sub(1) as f64;
                        Some(Range::of(start).with(last))
                    }
                    Item::Gap { .. } => None,
                })
                .fold(Range::EMPTY, Range::union),
            Self::Constant(v) => Range::of(*v),
            Self::Gap(_) => Range::EMPTY,
            Self::Uniform { min, max, .. } => Range::of(*min).with(*max),
            Self::Normal { .. } | Self::Walk { .. } => Range::UNBOUNDED,
            Self::Wave { params, .. } => {
                let unit = if params.kind == crate::shape::WaveKind::Pulse {
                    Range {
                        lo: 0.0,
                        hi: 1.0,
                        nan: false,
                    }
                } else {
                    Range {
                        lo: -1.0,
                        hi: 1.0,
                        nan: false,
                    }
                };
                unit.scale(params.amplitude).shift(params.offset)
            }
            Self::Join(parts) => parts
                .iter()
                .map(Self::range)
                .fold(Range::EMPTY, Range::union),
            Self::Loop { body: inner, .. }
            | Self::Take { inner, .. }
            | Self::Hold { inner, .. }
            | Self::Seeded { inner, .. } => inner.range(),
            Self::Ended { strategy, inner } => match strategy {
                EndStrategy::SendCustomValue(Value::Num(v)) => inner.range().with(*v),
                _ => inner.range(),
            },
            Self::Arith { op, left, right } => left.range().arith(*op, right.range()),
            Self::ArithChain { first, rest } => rest
                .iter()
                .fold(first.range(), |range, (op, s)| range.arith(*op, s.range())),
            Self::Clamp { min, max, inner } => {
                let r = inner.range();
                Range {
                    lo: r.lo.max(*min).min(*max),
                    hi: r.hi.min(*max).max(*min),
                    nan: r.nan,
                }
            }
            Self::Round(inner) => {
                let r = inner.range();
                Range {
                    lo: r.lo.round(),
                    hi: r.hi.round(),
                    nan: r.nan,
                }
            }
            Self::Abs(inner) => {
                let r = inner.range();
                let lo = if r.lo <= 0.0 && r.hi >= 0.0 {
                    0.0
                } else {
                    r.lo.abs().min(r.hi.abs())
                };
                Range {
                    lo,
                    hi: r.lo.abs().max(r.hi.abs()),
                    nan: r.nan,
                }
            }
            Self::Cumsum(inner) => {
                let r = inner.range();
                // Non-negative increments give a non-decreasing total from 0; anything else
                // can wander anywhere.
                if r.lo >= 0.0 && !r.nan {
                    Range {
                        lo: 0.0,
                        hi: f64::INFINITY,
                        nan: false,
                    }
                } else {
                    Range {
                        nan: r.nan,
                        ..Range::UNBOUNDED
                    }
                }
            }
        }
    }
}

/// Bounds on values: every value `v` satisfies `lo <= v <= hi`, and NaN is possible when
/// `nan` is set. An empty range (no values at all) has `lo > hi`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
    /// Whether NaN can occur.
    pub nan: bool,
}

impl Range {
    /// No values.
    pub const EMPTY: Range = Range {
        lo: f64::INFINITY,
        hi: f64::NEG_INFINITY,
        nan: false,
    };
    /// Any number, but never NaN.
    pub const UNBOUNDED: Range = Range {
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
        nan: false,
    };
    /// Any value at all, NaN included.
    pub const ANY: Range = Range {
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
        nan: true,
    };

    fn of(v: f64) -> Self {
        if v.is_nan() {
            Range {
                nan: true,
                ..Self::EMPTY
            }
        } else {
            Range {
                lo: v,
                hi: v,
                nan: false,
            }
        }
    }

    fn with(self, v: f64) -> Self {
        self.union(Self::of(v))
    }

    fn union(self, other: Self) -> Self {
        Range {
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
            nan: self.nan || other.nan,
        }
    }

    fn is_empty(&self) -> bool {
        self.lo > self.hi
    }

    fn scale(self, k: f64) -> Self {
        Range {
            lo: (self.lo * k).min(self.hi * k),
            hi: (self.lo * k).max(self.hi * k),
            nan: self.nan || k.is_nan(),
        }
    }

    fn shift(self, k: f64) -> Self {
        Range {
            lo: self.lo + k,
            hi: self.hi + k,
            nan: self.nan || k.is_nan(),
        }
    }

    fn arith(self, op: ArithOp, other: Self) -> Self {
        if self.is_empty() || other.is_empty() {
            return Range {
                nan: self.nan || other.nan,
                ..Self::EMPTY
            };
        }
        let corners = |f: fn(f64, f64) -> f64| {
            [
                f(self.lo, other.lo),
                f(self.lo, other.hi),
                f(self.hi, other.lo),
                f(self.hi, other.hi),
            ]
        };
        let (values, mut nan) = match op {
            ArithOp::Add => (corners(|a, b| a + b), false),
            ArithOp::Sub => (corners(|a, b| a - b), false),
            ArithOp::Mul => (corners(|a, b| a * b), false),
            ArithOp::Div => {
                if other.lo <= 0.0 && other.hi >= 0.0 {
                    return Self::ANY;
                }
                (corners(|a, b| a / b), false)
            }
        };
        nan |= self.nan || other.nan || values.iter().any(|v| v.is_nan());
        let lo = values
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .fold(f64::INFINITY, f64::min);
        let hi = values
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .fold(f64::NEG_INFINITY, f64::max);
        Range { lo, hi, nan }
    }

    /// Whether every value is a valid counter value: not negative, not NaN.
    #[must_use]
    pub fn fits_counter(&self) -> bool {
        !self.nan && (self.is_empty() || self.lo >= 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::WaveKind;

    fn boxed(s: ShapeSpec) -> Box<ShapeSpec> {
        Box::new(s)
    }

    #[test]
    fn ranges_are_conservative_bounds() {
        let lin = ShapeSpec::Linear {
            start: 5.0,
            end: -1.0,
            count: 3,
        };
        assert_eq!(
            lin.range(),
            Range {
                lo: -1.0,
                hi: 5.0,
                nan: false
            }
        );
        assert!(!lin.range().fits_counter());
        let clamped = ShapeSpec::Clamp {
            min: 0.0,
            max: 10.0,
            inner: boxed(lin.clone()),
        };
        assert!(clamped.range().fits_counter());
        assert!(ShapeSpec::Abs(boxed(lin.clone())).range().fits_counter());
        let normal = ShapeSpec::Normal {
            mean: 10.0,
            stddev: 1.0,
            seed: None,
        };
        assert!(!normal.range().fits_counter());
        let sine = ShapeSpec::Wave {
            params: WaveParams::new(WaveKind::Sin).amplitude(2.0).offset(2.0),
            period: Period::Scrapes(4),
        };
        assert!(sine.range().fits_counter());
        let pulse = ShapeSpec::Wave {
            params: WaveParams::new(WaveKind::Pulse).amplitude(-1.0),
            period: Period::Scrapes(4),
        };
        assert!(!pulse.range().fits_counter());
        let diff = ShapeSpec::Arith {
            op: ArithOp::Sub,
            left: boxed(ShapeSpec::Constant(1.0)),
            right: boxed(ShapeSpec::Constant(2.0)),
        };
        assert!(!diff.range().fits_counter());
        let div = ShapeSpec::Arith {
            op: ArithOp::Div,
            left: boxed(ShapeSpec::Constant(1.0)),
            right: boxed(lin),
        };
        assert!(!div.range().fits_counter());
        let counter = ShapeSpec::Cumsum(boxed(ShapeSpec::Uniform {
            min: 0.0,
            max: 3.0,
            seed: None,
        }));
        assert!(counter.range().fits_counter());
        assert!(
            !ShapeSpec::Values(vec![Value::Num(f64::NAN)])
                .range()
                .fits_counter()
        );
        assert!(
            ShapeSpec::Values(vec![Value::Missing, Value::Stale])
                .range()
                .fits_counter()
        );
        assert!(
            !ShapeSpec::Notation("3-1x4".parse().unwrap())
                .range()
                .fits_counter()
        );
        assert!(
            ShapeSpec::Notation("stale 0+1x4".parse().unwrap())
                .range()
                .fits_counter()
        );
    }

    #[test]
    fn builds_each_kind() {
        use crate::shape::ShapeExt;
        let text = |s: ShapeSpec, n| {
            s.build()
                .points()
                .take(n)
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
        };
        let two = |s| ShapeSpec::Take {
            count: 2,
            inner: boxed(s),
        };
        assert_eq!(
            text(
                ShapeSpec::Loop {
                    count: Some(2),
                    body: boxed(ShapeSpec::Values(vec![Value::Num(1.0)]))
                },
                9
            ),
            ["1", "1"]
        );
        assert_eq!(text(two(ShapeSpec::Constant(4.0)), 9), ["4", "4"]);
        assert_eq!(
            text(
                ShapeSpec::Arith {
                    op: ArithOp::Mul,
                    left: boxed(two(ShapeSpec::Constant(4.0))),
                    right: boxed(ShapeSpec::Constant(0.5))
                },
                9
            ),
            ["2", "2"]
        );
        assert_eq!(
            text(
                ShapeSpec::Hold {
                    count: 2,
                    inner: boxed(ShapeSpec::Linear {
                        start: 1.0,
                        end: 2.0,
                        count: 2
                    })
                },
                9
            ),
            ["1", "1", "2", "2"]
        );
        assert_eq!(
            text(ShapeSpec::Cumsum(boxed(two(ShapeSpec::Constant(1.5)))), 9),
            ["1.5", "3"]
        );
        let seeded = |seed| {
            text(
                two(ShapeSpec::Uniform {
                    min: 0.0,
                    max: 1.0,
                    seed: Some(seed),
                }),
                2,
            )
        };
        assert_eq!(seeded(3), seeded(3));
        assert_ne!(seeded(3), seeded(4));
    }
}
