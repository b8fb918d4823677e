//! The bounds a histogram or summary reports on: bucket upper bounds and summary objectives,
//! checked once, so a typo (`[0.5, 0.1, 1, 1]`) is an error instead of being sorted away.

use crate::FormatValue;
use std::fmt;

/// The client libraries' default buckets.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The default summary objectives.
pub const DEFAULT_OBJECTIVES: [f64; 3] = [0.5, 0.9, 0.99];

/// A histogram's bucket upper bounds: finite and strictly increasing. `+Inf` is not one of
/// them: every histogram has that bucket.
///
/// ```
/// use promgen::observe::Buckets;
/// assert_eq!(Buckets::new(vec![0.1, 0.5, 1.0])?.as_slice(), [0.1, 0.5, 1.0]);
/// let err = Buckets::new(vec![0.5, 0.1, 1.0, 1.0]).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "buckets[1]: 0.1 is below the bound before it (0.5): bounds must increase; buckets[3]: 1 repeats buckets[2]"
/// );
/// # Ok::<(), promgen::observe::BoundsError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets(Vec<f64>);

impl Buckets {
    /// The bounds, when each is finite and above the one before it.
    ///
    /// # Errors
    /// Every bound that is not.
    pub fn new(bounds: Vec<f64>) -> Result<Self, BoundsError> {
        check(List::Buckets, &bounds).map(|()| Self(bounds))
    }

    /// The bounds, in increasing order.
    #[must_use]
    pub fn as_slice(&self) -> &[f64] {
        &self.0
    }
}

impl Default for Buckets {
    /// [`DEFAULT_BUCKETS`].
    fn default() -> Self {
        Self(DEFAULT_BUCKETS.to_vec())
    }
}

/// A summary's objectives: quantiles between 0 and 1, strictly increasing.
///
/// ```
/// use promgen::observe::Objectives;
/// assert_eq!(Objectives::new(vec![0.5, 0.99])?.as_slice(), [0.5, 0.99]);
/// assert_eq!(
///     Objectives::new(vec![0.9, 0.5]).unwrap_err().to_string(),
///     "objectives[1]: 0.5 is below the objective before it (0.9): objectives must increase"
/// );
/// # Ok::<(), promgen::observe::BoundsError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Objectives(Vec<f64>);

impl Objectives {
    /// The quantiles, when each is between 0 and 1 and above the one before it.
    ///
    /// # Errors
    /// Every quantile that is not.
    pub fn new(quantiles: Vec<f64>) -> Result<Self, BoundsError> {
        check(List::Objectives, &quantiles).map(|()| Self(quantiles))
    }

    /// The quantiles, in increasing order.
    #[must_use]
    pub fn as_slice(&self) -> &[f64] {
        &self.0
    }
}

impl Default for Objectives {
    /// [`DEFAULT_OBJECTIVES`].
    fn default() -> Self {
        Self(DEFAULT_OBJECTIVES.to_vec())
    }
}

/// Which list a bound belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// A histogram's `buckets`.
    Buckets,
    /// A summary's `objectives`.
    Objectives,
}

impl List {
    /// The list's name, as the config's key spells it.
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::Buckets => "buckets",
            Self::Objectives => "objectives",
        }
    }
}

/// What is wrong with one bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Problem {
    /// Not a finite number (a bucket), or not between 0 and 1 (an objective).
    OutOfRange,
    /// Below the bound before it, which is given.
    Below(f64),
    /// Equal to the bound at this index.
    Repeats(usize),
}

/// One bound that is not allowed: where it stands, its value and why.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub struct BoundError {
    /// Its list.
    pub list: List,
    /// Its index in the list.
    pub index: usize,
    /// Its value.
    pub value: f64,
    /// What is wrong.
    pub problem: Problem,
}

impl BoundError {
    /// Why the bound is refused, without its place: `1 repeats buckets[2]`.
    #[must_use]
    pub fn reason(&self) -> String {
        let (one, many) = match self.list {
            List::Buckets => ("bound", "bounds"),
            List::Objectives => ("objective", "objectives"),
        };
        let v = FormatValue(self.value);
        match (self.problem, self.list) {
            (Problem::OutOfRange, List::Buckets) => {
                "a bucket must be a finite number (+Inf is always added)".to_owned()
            }
            (Problem::OutOfRange, List::Objectives) => {
                "an objective must be between 0 and 1".to_owned()
            }
            (Problem::Below(before), _) => format!(
                "{v} is below the {one} before it ({}): {many} must increase",
                FormatValue(before)
            ),
            (Problem::Repeats(i), list) => format!("{v} repeats {}[{i}]", list.key()),
        }
    }
}

impl fmt::Display for BoundError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}", self.list.key(), self.index, self.reason())
    }
}

/// Every bound of a list that is not allowed (at least one).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct BoundsError(pub Vec<BoundError>);

impl fmt::Display for BoundsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Checks a whole list, as [`problems`] does.
fn check(list: List, values: &[f64]) -> Result<(), BoundsError> {
    let errors = problems(list, values.iter().copied().map(Some));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(BoundsError(errors))
    }
}

/// Every bound in `values` that is out of range, below the bound before it, or equal to it.
/// `None` stands for an item that is not a number at all (already reported by whoever read
/// it): it is skipped, and the item after it is not compared with anything.
pub(crate) fn problems(
    list: List,
    values: impl IntoIterator<Item = Option<f64>>,
) -> Vec<BoundError> {
    let in_range = |v: f64| match list {
        List::Buckets => v.is_finite(),
        List::Objectives => (0.0..=1.0).contains(&v),
    };
    let mut errors = Vec::new();
    let mut before: Option<(usize, f64)> = None;
    for (index, value) in values.into_iter().enumerate() {
        let Some(value) = value else {
            before = None;
            continue;
        };
        let problem = if !in_range(value) {
            Some(Problem::OutOfRange)
        } else {
            match before {
                Some((_, b)) if value < b => Some(Problem::Below(b)),
                // `==`, so -0 repeats 0: both would count the same observations.
                Some((i, b)) if value == b => Some(Problem::Repeats(i)),
                _ => None,
            }
        };
        before = (problem != Some(Problem::OutOfRange)).then_some((index, value));
        if let Some(problem) = problem {
            errors.push(BoundError {
                list,
                index,
                value,
                problem,
            });
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(list: List, values: &[f64]) -> Vec<String> {
        problems(list, values.iter().copied().map(Some))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn every_bound_out_of_order_is_named_with_the_one_before_it() {
        assert_eq!(
            reasons(List::Buckets, &[0.5, 0.1, 1.0, 1.0]),
            [
                "buckets[1]: 0.1 is below the bound before it (0.5): bounds must increase",
                "buckets[3]: 1 repeats buckets[2]",
            ]
        );
        assert_eq!(
            reasons(List::Buckets, &[3.0, 2.0, 1.0]),
            [
                "buckets[1]: 2 is below the bound before it (3): bounds must increase",
                "buckets[2]: 1 is below the bound before it (2): bounds must increase",
            ]
        );
        assert_eq!(
            reasons(List::Buckets, &[0.0, -0.0, f64::INFINITY, 1.0]),
            [
                "buckets[1]: -0 repeats buckets[0]",
                "buckets[2]: a bucket must be a finite number (+Inf is always added)",
            ],
            "after a refused bound, the next is not compared with it"
        );
        assert_eq!(
            reasons(List::Objectives, &[0.5, 0.5, 1.5, f64::NAN]),
            [
                "objectives[1]: 0.5 repeats objectives[0]",
                "objectives[2]: an objective must be between 0 and 1",
                "objectives[3]: an objective must be between 0 and 1",
            ]
        );
        assert!(reasons(List::Buckets, &[-1.0, 0.0, 1e300]).is_empty());
        assert!(reasons(List::Buckets, &[]).is_empty());
    }

    #[test]
    fn an_item_that_is_no_number_is_skipped() {
        let errors = problems(List::Buckets, [Some(2.0), None, Some(1.0), Some(0.5)]);
        let at: Vec<usize> = errors.iter().map(|e| e.index).collect();
        assert_eq!(at, [3], "{errors:?}");
    }

    #[test]
    fn the_defaults_pass_their_own_check() {
        assert_eq!(
            Buckets::new(DEFAULT_BUCKETS.to_vec()),
            Ok(Buckets::default())
        );
        assert_eq!(
            Objectives::new(DEFAULT_OBJECTIVES.to_vec()),
            Ok(Objectives::default())
        );
    }
}
