//! Random shapes. Each is seeded: explicitly with `.seed(n)`, or from the series' labels.

#[cfg(doc)]
use super::ShapeExt;
use super::{Point, SeedSeq, Shape};
use crate::Tick;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// The random source every random shape uses: ChaCha8, whose output for a given seed is
/// specified and portable, so a seed means the same numbers on every platform and version.
#[derive(Debug, Clone, PartialEq)]
struct Source {
    rng: ChaCha8Rng,
    /// A seed set by the user; it wins over the seed a series hands down.
    explicit: bool,
}

impl Source {
    fn new() -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(0),
            explicit: false,
        }
    }

    fn inherit(&mut self, seeds: &mut SeedSeq) {
        // Always draw, so one fixed seed does not shift the seeds of the shapes after it.
        let seed = seeds.next_seed();
        // The first fixed seed wins: an inner `.seed(1)` survives an outer `.seed(2)`.
        if !self.explicit {
            self.rng = ChaCha8Rng::seed_from_u64(seed);
            self.explicit = seeds.is_explicit();
        }
    }

    /// A uniform float in `[0, 1)`.
    #[inline]
    fn unit(&mut self) -> f64 {
        self.rng.random::<f64>()
    }
}

macro_rules! seeded_shape {
    ($ty:ident) => {
        impl $ty {
            /// The same shape with a fixed seed; the same as [`ShapeExt::with_seed`], so
            /// `.seed(n)` means the same numbers in Rust, in the DSL and in YAML.
            #[must_use]
            pub fn seed(mut self, seed: u64) -> Self {
                self.source.inherit(&mut SeedSeq::explicit(seed));
                self
            }
        }
    };
}

/// Uniformly distributed values in `[min, max)`, forever (the seed's Random, with `.take(n)`).
///
/// ```
/// use promgen::shape::{uniform, ShapeExt};
/// let v: Vec<f64> = uniform(0.0, 10.0).seed(1).take(100).points().filter_map(|p| p.value()).collect();
/// assert!(v.iter().all(|x| (0.0..10.0).contains(x)));
/// let again: Vec<f64> = uniform(0.0, 10.0).seed(1).take(100).points().filter_map(|p| p.value()).collect();
/// assert_eq!(v, again);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Uniform {
    min: f64,
    width: f64,
    source: Source,
}

/// Uniform values in `[min, max)`.
#[must_use]
pub fn uniform(min: f64, max: f64) -> Uniform {
    Uniform {
        min,
        width: max - min,
        source: Source::new(),
    }
}

seeded_shape!(Uniform);

impl Shape for Uniform {
    #[inline]
    fn next_point(&mut self, _tick: Tick) -> Point {
        Point::Value(self.min + self.width * self.source.unit())
    }
    fn restart(&mut self) {}
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        self.source.inherit(seeds);
    }
}

/// Normally distributed values with mean `mean` and standard deviation `sd`, forever.
///
/// ```
/// use promgen::shape::{normal, ShapeExt};
/// let v: Vec<f64> = normal(100.0, 1.0).seed(3).take(1000).points().filter_map(|p| p.value()).collect();
/// let mean = v.iter().sum::<f64>() / v.len() as f64;
/// assert!((mean - 100.0).abs() < 0.2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Normal {
    mean: f64,
    sd: f64,
    source: Source,
}

/// Normal values around `mean` with standard deviation `sd`.
#[must_use]
pub fn normal(mean: f64, sd: f64) -> Normal {
    Normal {
        mean,
        sd,
        source: Source::new(),
    }
}

seeded_shape!(Normal);

impl Shape for Normal {
    #[inline]
    fn next_point(&mut self, _tick: Tick) -> Point {
        let z: f64 = self.source.rng.sample(StandardNormal);
        Point::Value(self.mean + self.sd * z)
    }
    fn restart(&mut self) {}
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        self.source.inherit(seeds);
    }
}

/// A random walk: `start`, then each value a uniform step in `[-step, step)` from the last.
///
/// ```
/// use promgen::shape::{walk, ShapeExt};
/// let v: Vec<f64> = walk(100.0, 2.0).seed(7).take(50).points().filter_map(|p| p.value()).collect();
/// assert_eq!(v[0], 100.0);
/// assert!(v.windows(2).all(|w| (w[1] - w[0]).abs() <= 2.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Walk {
    start: f64,
    step: f64,
    current: Option<f64>,
    source: Source,
}

/// A random walk from `start` with steps of at most `step`.
#[must_use]
pub fn walk(start: f64, step: f64) -> Walk {
    Walk {
        start,
        step,
        current: None,
        source: Source::new(),
    }
}

seeded_shape!(Walk);

impl Shape for Walk {
    #[inline]
    fn next_point(&mut self, _tick: Tick) -> Point {
        let next = match self.current {
            None => self.start,
            Some(v) => v + self.step * (2.0 * self.source.unit() - 1.0),
        };
        self.current = Some(next);
        Point::Value(next)
    }
    fn restart(&mut self) {
        self.current = None;
    }
    fn seed_from(&mut self, seeds: &mut SeedSeq) {
        self.source.inherit(seeds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{ShapeExt, test_util::render};

    fn values(shape: impl Shape, n: usize) -> Vec<f64> {
        shape.points().take(n).filter_map(|p| p.value()).collect()
    }

    #[test]
    fn uniform_stays_in_range_and_covers_it() {
        let v = values(uniform(-1.0, 1.0).seed(9), 10_000);
        assert!(v.iter().all(|x| (-1.0..1.0).contains(x)));
        assert!(v.iter().any(|&x| x < -0.9) && v.iter().any(|&x| x > 0.9));
    }

    #[test]
    fn normal_has_the_asked_spread() {
        let v = values(normal(5.0, 2.0).seed(4), 20_000);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        assert!((mean - 5.0).abs() < 0.1, "mean {mean}");
        assert!((var.sqrt() - 2.0).abs() < 0.1, "sd {}", var.sqrt());
    }

    #[test]
    fn walk_restarts_from_its_start() {
        let mut w = walk(10.0, 1.0).seed(2);
        let first = render(&mut w, 3);
        assert_eq!(first[0], "10");
        w.restart();
        assert_eq!(render(w, 1), ["10"]);
    }

    #[test]
    fn seeds_from_the_series_are_reproducible_and_distinct() {
        let pair = || (uniform(0.0, 1.0).take(3), uniform(0.0, 1.0).take(3));
        let seeded = |seed| {
            let (a, b) = pair();
            let mut both = a.then(b);
            both.seed_from(&mut SeedSeq::new(seed));
            values(both, 6)
        };
        assert_eq!(seeded(1), seeded(1));
        assert_ne!(seeded(1), seeded(2));
        let v = seeded(1);
        assert_ne!(
            v[..3],
            v[3..],
            "two shapes in one chain get different seeds"
        );
    }

    #[test]
    fn an_explicit_seed_wins_and_does_not_shift_the_others() {
        let chain = |explicit: bool| {
            let first = if explicit {
                uniform(0.0, 1.0).seed(42)
            } else {
                uniform(0.0, 1.0)
            };
            values(first.take(2).then(uniform(0.0, 1.0).take(2)).seeded(5), 4)
        };
        let with = chain(true);
        let without = chain(false);
        assert_eq!(with[..2], values(uniform(0.0, 1.0).seed(42), 2)[..]);
        assert_eq!(with[2..], without[2..]);
    }

    #[test]
    fn looping_draws_new_numbers() {
        let v = values(uniform(0.0, 1.0).seed(1).take(2).forever(), 4);
        assert_ne!(v[..2], v[2..]);
    }
}
