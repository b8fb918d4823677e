//! Custom values, given one by one.

use super::{Point, Shape};
use crate::{Tick, sample::stale_nan};

/// One custom value: a number, a missing scrape, or a stale marker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A sample with this value.
    Num(f64),
    /// No sample at this scrape.
    Missing,
    /// A stale marker.
    Stale,
}

impl Value {
    /// The point this value yields.
    #[inline]
    #[must_use]
    pub fn point(self) -> Point {
        match self {
            Self::Num(v) => Point::from_value(v),
            Self::Missing => Point::Missing,
            Self::Stale => Point::Stale,
        }
    }

    /// The value as a sample value: the number, the stale NaN, or `None` when missing.
    #[must_use]
    pub fn as_sample_value(self) -> Option<f64> {
        match self {
            Self::Num(v) => Some(v),
            Self::Missing => None,
            Self::Stale => Some(stale_nan()),
        }
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Self::Num(v)
    }
}

impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Self::Missing, Self::Num)
    }
}

/// Custom values, one per scrape, then the end (the seed's Custom Values).
///
/// The storage is anything that derefs to a slice: an array keeps the static path free of
/// allocation, a `Vec` serves configs.
///
/// ```
/// use promgen::shape::{values, Value, ShapeExt};
/// let shape = values([Value::Num(1.0), Value::Missing, Value::Stale]);
/// let text: Vec<String> = shape.points().map(|p| p.to_string()).collect();
/// assert_eq!(text, ["1", "_", "stale"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Values<V = Vec<Value>> {
    values: V,
    pos: usize,
}

/// A shape yielding `values` in order.
pub fn values<V: AsRef<[Value]>>(values: V) -> Values<V> {
    Values { values, pos: 0 }
}

impl<V: AsRef<[Value]>> Values<V> {
    /// The values, in order.
    pub fn as_slice(&self) -> &[Value] {
        self.values.as_ref()
    }
}

impl<V: AsRef<[Value]>> Shape for Values<V> {
    #[inline]
    fn next_point(&mut self, _tick: Tick) -> Point {
        match self.values.as_ref().get(self.pos) {
            Some(v) => {
                self.pos += 1;
                v.point()
            }
            None => Point::End,
        }
    }
    fn restart(&mut self) {
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::test_util::render;

    #[test]
    fn yields_each_value_then_ends() {
        let v = values(vec![
            Value::Num(2.0),
            Value::Missing,
            Value::Stale,
            Value::Num(stale_nan()),
        ]);
        assert_eq!(render(v, 5), ["2", "_", "stale", "stale", "end"]);
        assert_eq!(render(values([] as [Value; 0]), 1), ["end"]);
        assert_eq!(Value::from(None::<f64>), Value::Missing);
        assert_eq!(Value::Missing.as_sample_value(), None);
    }
}
