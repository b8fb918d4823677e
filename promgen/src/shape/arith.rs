//! Pointwise arithmetic of two shapes (a number is a constant shape).

use super::{DynShape, Point, SeedSeq, Shape};
use crate::Tick;

/// A binary operation on values.
pub trait BinaryOp: Copy {
    /// The symbol, for display.
    const SYMBOL: char;
    /// Applies the operation.
    fn apply(self, a: f64, b: f64) -> f64;
}

macro_rules! binary_ops {
    ($($name:ident $sym:literal $op:tt,)*) => {$(
        #[doc = concat!("`a ", $sym, " b`.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name;

        impl BinaryOp for $name {
            const SYMBOL: char = $sym;
            #[inline(always)]
            fn apply(self, a: f64, b: f64) -> f64 {
                a $op b
            }
        }
    )*};
}

binary_ops! {
    OpAdd '+' +,
    OpSub '-' -,
    OpMul '*' *,
    OpDiv '/' /,
}

/// Two shapes combined point by point with `O`.
///
/// The result ends as soon as either side ends. Otherwise a stale marker on either side gives
/// a stale marker, then a missing scrape on either side gives a missing scrape, and two values
/// give `a O b` (IEEE arithmetic: `x / 0` is ±Inf, `0 / 0` NaN).
///
/// ```
/// use promgen::shape::{linear, ShapeExt, OpMul};
/// use promgen::shape::Shape;
/// let doubled = linear(1.0, 3.0, 3).combine(2.0, OpMul);
/// assert_eq!(doubled.points().filter_map(|p| p.value()).collect::<Vec<_>>(), [2.0, 4.0, 6.0]);
/// // The operators work too:
/// let sum = linear(1.0, 3.0, 3) + linear(10.0, 30.0, 3);
/// assert_eq!(promgen::shape::ShapeExt::points(sum).filter_map(|p| p.value()).collect::<Vec<_>>(), [11.0, 22.0, 33.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Combine<A, B, O> {
    left: A,
    right: B,
    op: O,
}

impl<A, B, O> Combine<A, B, O> {
    /// `left O right`.
    pub const fn new(left: A, right: B, op: O) -> Self {
        Self { left, right, op }
    }
}

/// Two points combined by `op`, by [`Combine`]'s rules.
#[inline(always)]
fn combine(left: Point, right: Point, op: impl FnOnce(f64, f64) -> f64) -> Point {
    match (left, right) {
        (Point::Value(a), Point::Value(b)) => Point::from_value(op(a, b)),
        (Point::End, _) | (_, Point::End) => Point::End,
        (Point::Stale, _) | (_, Point::Stale) => Point::Stale,
        _ => Point::Missing,
    }
}

impl<A: Shape, B: Shape, O: BinaryOp> Shape for Combine<A, B, O> {
    #[inline]
    fn next_point(&mut self, tick: Tick) -> Point {
        // Both sides advance on every tick, so they stay aligned whatever they yield.
        let (left, right) = (self.left.next_point(tick), self.right.next_point(tick));
        combine(left, right, |a, b| self.op.apply(a, b))
    }
    fn restart(&mut self) {
        self.left.restart();
        self.right.restart();
    }
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        self.left.seed_from(seeds);
        self.right.seed_from(seeds);
    }
}

/// A pointwise operator chosen at run time: what configs and text build, and
/// [`ArithChain`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl ArithOp {
    /// `a op b`.
    ///
    /// ```
    /// assert_eq!(promgen::shape::ArithOp::Div.apply(1.0, 4.0), 0.25);
    /// ```
    #[inline]
    #[must_use]
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Self::Add => a + b,
            Self::Sub => a - b,
            Self::Mul => a * b,
            Self::Div => a / b,
        }
    }
}

/// Any number of shapes combined point by point, left to right: `first op₁ s₁ op₂ s₂ …` is
/// `((first op₁ s₁) op₂ s₂) …` by [`Combine`]'s rules at each step (every shape advances on
/// every tick), but in a loop. The dynamic form of a long chain like `1 + 1 + …`: it nests
/// no deeper for ten thousand shapes than for two.
///
/// ```
/// use promgen::shape::{ArithChain, ArithOp, DynShape, ShapeExt, constant, linear};
/// let rest: Vec<(ArithOp, DynShape)> = vec![
///     (ArithOp::Add, Box::new(constant(1.0))),
///     (ArithOp::Mul, Box::new(constant(10.0))),
/// ];
/// let chain = ArithChain::new(Box::new(linear(0.0, 2.0, 3)), rest);
/// assert_eq!(chain.preview(5), "10 20 30"); // (x + 1) * 10
/// ```
pub struct ArithChain {
    first: DynShape,
    rest: Vec<(ArithOp, DynShape)>,
}

impl ArithChain {
    /// `first`, then each operator applied with its shape, in order.
    #[must_use]
    pub fn new(first: DynShape, rest: Vec<(ArithOp, DynShape)>) -> Self {
        Self { first, rest }
    }
}

impl std::fmt::Debug for ArithChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ops: Vec<ArithOp> = self.rest.iter().map(|(op, _)| *op).collect();
        write!(f, "ArithChain({ops:?})")
    }
}

impl Shape for ArithChain {
    fn next_point(&mut self, tick: Tick) -> Point {
        let mut point = self.first.next_point(tick);
        for (op, shape) in &mut self.rest {
            point = combine(point, shape.next_point(tick), |a, b| op.apply(a, b));
        }
        point
    }
    fn restart(&mut self) {
        self.first.restart();
        self.rest.iter_mut().for_each(|(_, s)| s.restart());
    }
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        self.first.seed_from(seeds);
        self.rest.iter_mut().for_each(|(_, s)| s.seed_from(seeds));
    }
}

/// Implements `+ - * /` between a shape type and any shape (numbers included), and with a
/// number on the left.
macro_rules! impl_operators {
    ($([$($gen:tt)*] $ty:ty;)*) => {$(
        impl_operators!(@one [$($gen)*] $ty, Add add OpAdd);
        impl_operators!(@one [$($gen)*] $ty, Sub sub OpSub);
        impl_operators!(@one [$($gen)*] $ty, Mul mul OpMul);
        impl_operators!(@one [$($gen)*] $ty, Div div OpDiv);
    )*};
    (@one [$($gen:tt)*] $ty:ty, $trait:ident $method:ident $op:ident) => {
        impl<$($gen)* Rhs: Shape> std::ops::$trait<Rhs> for $ty {
            type Output = Combine<Self, Rhs, $op>;
            #[inline]
            fn $method(self, rhs: Rhs) -> Self::Output {
                Combine::new(self, rhs, $op)
            }
        }
        impl<$($gen)*> std::ops::$trait<$ty> for f64 {
            type Output = Combine<f64, $ty, $op>;
            #[inline]
            fn $method(self, rhs: $ty) -> Self::Output {
                Combine::new(self, rhs, $op)
            }
        }
    };
}

use super::{
    Constant, ContinuousLinear, ContinuousWave, Cumsum, DiscreteWave, End, Gap, Hold, Join, Linear,
    Map, Normal, Repeat, Take, Uniform, Values, Walk,
};

impl_operators! {
    [] Constant;
    [] Gap;
    [] Linear;
    [] ContinuousLinear;
    [] Uniform;
    [] Normal;
    [] Walk;
    [] DiscreteWave;
    [] ContinuousWave;
    [V,] Values<V>;
    [A, B,] Join<A, B>;
    [S,] Repeat<S>;
    [S,] End<S>;
    [S,] Take<S>;
    [S, F,] Map<S, F>;
    [S,] Cumsum<S>;
    [S,] Hold<S>;
    [A, B, O,] Combine<A, B, O>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{ShapeExt, Value, gap, linear, test_util::render, values};

    #[test]
    fn arithmetic_with_shapes_and_numbers() {
        assert_eq!(render(linear(1.0, 2.0, 2) - 1.0, 3), ["0", "1", "end"]);
        assert_eq!(render(10.0 / linear(1.0, 2.0, 2), 2), ["10", "5"]);
        assert_eq!(
            render(linear(1.0, 2.0, 2) * linear(3.0, 3.0, 5), 3),
            ["3", "6", "end"]
        );
        assert_eq!(render(linear(1.0, 1.0, 1) / 0.0, 1), ["+Inf"]);
        assert_eq!(render(linear(0.0, 0.0, 1) / 0.0, 1), ["NaN"]);
    }

    #[test]
    fn gaps_and_stale_markers_win_over_values() {
        let v = || {
            values(vec![
                Value::Missing,
                Value::Stale,
                Value::Num(1.0),
                Value::Stale,
            ])
        };
        let g = || gap(1).then(gap(1)).then(2.0);
        assert_eq!(render(v() + 1.0, 5), ["_", "stale", "2", "stale", "end"]);
        assert_eq!(render(g() + v(), 4), ["_", "stale", "3", "stale"]);
    }

    #[test]
    fn a_chain_gives_what_nested_pairs_give() {
        let v = || {
            values(vec![
                Value::Num(1.0),
                Value::Missing,
                Value::Num(3.0),
                Value::Stale,
                Value::Num(0.0),
            ])
        };
        let g = || gap(1).then(linear(2.0, 5.0, 4));
        let nested = ((v() + g()) * 2.0 - v()) / g();
        let rest: Vec<(ArithOp, DynShape)> = vec![
            (ArithOp::Add, Box::new(g())),
            (ArithOp::Mul, Box::new(2.0)),
            (ArithOp::Sub, Box::new(v())),
            (ArithOp::Div, Box::new(g())),
        ];
        let mut chain = ArithChain::new(Box::new(v()), rest);
        let expected = render(nested, 7);
        assert_eq!(render(&mut chain, 7), expected);
        assert_eq!(expected, ["_", "_", "3", "stale", "2", "end", "end"]);
        chain.restart();
        assert_eq!(render(chain, 7), expected);
    }

    #[test]
    fn restart_rewinds_both_sides() {
        let mut s = linear(1.0, 2.0, 2) + linear(0.0, 10.0, 2);
        render(&mut s, 2);
        s.restart();
        assert_eq!(render(s, 1), ["1"]);
    }
}
