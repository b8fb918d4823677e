//! Random shapes. Each is seeded: explicitly with `.seed(n)`, or from the series' labels.
//!
//! Every random shape draws from ChaCha8, held one of three ways that give the same numbers:
//! [`Buffered`] (the default: the generator with its 64-word buffer, the fastest draws),
//! [`Compact`] (its seed and position only, for serving millions of series, where the buffer
//! would be most of each series' memory) or [`Blocked`] (seed, position and one 16-word
//! block, for writing millions of series: a block computed every eighth draw, not at each).

#[cfg(doc)]
use super::ShapeExt;
pub use super::chacha::Words;
use super::{Point, SeedSeq, Shape};
use crate::Tick;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::fmt::Debug;

/// How a random shape holds its ChaCha8 stream. Both kinds give the same numbers for the same
/// seed; they differ in memory and in the cost of a draw.
pub trait Stream: Clone + Debug + PartialEq + Send + Sync + 'static {
    /// The stream of `seed` (through [`SeedableRng::seed_from_u64`]), from its start.
    fn from_seed(seed: u64) -> Self;
    /// The generator a draw runs on.
    type Rng: RngCore;
    /// Runs `f` on the generator at the stream's position, then keeps the position it left.
    fn draw<T>(&mut self, f: impl FnOnce(&mut Self::Rng) -> T) -> T;
}

/// The generator itself, with ChaCha8's 64-word buffer (312 bytes): a draw is a load from the
/// buffer, refilled every 32 draws. The default.
#[derive(Debug, Clone, PartialEq)]
pub struct Buffered {
    rng: ChaCha8Rng,
    seed: u64,
}

impl Buffered {
    /// The same stream at the same position, held as [`Compact`].
    fn compact(&self) -> Compact {
        Compact {
            seed: self.seed,
            word: u64::try_from(self.rng.get_word_pos()).unwrap_or(u64::MAX),
        }
    }

    /// The same stream at the same position, held as [`Blocked`].
    fn blocked(&self) -> Blocked {
        let Compact { seed, word } = self.compact();
        let mut words = [0; 16];
        if word % 16 != 0 {
            // The block the position is in: its first word drawn from the block's start.
            let mut from_start = Words::new(seed, word - word % 16);
            from_start.next_u32();
            words = from_start.words;
        }
        Blocked { seed, word, words }
    }
}

impl Stream for Buffered {
    type Rng = ChaCha8Rng;
    fn from_seed(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            seed,
        }
    }
    #[inline]
    fn draw<T>(&mut self, f: impl FnOnce(&mut ChaCha8Rng) -> T) -> T {
        f(&mut self.rng)
    }
}

/// The stream as its seed and position (16 bytes): each draw computes the one 16-word block
/// its words are in (a [`Words`] generator), some tens of nanoseconds instead of about
/// two. What a registry of many series uses, where each series draws once a scrape and the
/// buffer would be most of its memory.
///
/// ```
/// use promgen::shape::{uniform, ShapeExt};
/// let a: Vec<_> = uniform(0.0, 1.0).seed(3).take(100).points().collect();
/// let b: Vec<_> = uniform(0.0, 1.0).compact().seed(3).take(100).points().collect();
/// assert_eq!(a, b);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Compact {
    seed: u64,
    /// How many 32-bit words of the stream have been used.
    word: u64,
}

impl Stream for Compact {
    type Rng = Words;
    fn from_seed(seed: u64) -> Self {
        Self { seed, word: 0 }
    }
    fn draw<T>(&mut self, f: impl FnOnce(&mut Words) -> T) -> T {
        let mut words = Words::new(self.seed, self.word);
        let out = f(&mut words);
        // A stream of 2^64 words is never used up: a million draws a second take 290 000 years.
        self.word = words.word;
        out
    }
}

/// The stream as its seed, its position and the 16-word block its next words are in (80
/// bytes): a draw computes a block only when it reaches a new one, so a series drawing a
/// `u64` a tick computes one every eight ticks, where [`Compact`] computes one every tick.
/// What a remote writer of many series uses, where the draws are most of its own CPU.
///
/// ```
/// use promgen::shape::{normal, ShapeExt};
/// let a: Vec<_> = normal(0.0, 1.0).seed(3).take(100).points().collect();
/// let b: Vec<_> = normal(0.0, 1.0).blocked().seed(3).take(100).points().collect();
/// assert_eq!(a, b);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Blocked {
    seed: u64,
    /// How many 32-bit words of the stream have been used.
    word: u64,
    /// The block word `word` is in, when `word` is not at a block's start.
    words: [u32; 16],
}

impl Stream for Blocked {
    type Rng = Words;
    fn from_seed(seed: u64) -> Self {
        Self {
            seed,
            word: 0,
            words: [0; 16],
        }
    }
    #[inline]
    fn draw<T>(&mut self, f: impl FnOnce(&mut Words) -> T) -> T {
        let mut words = Words::resume(self.seed, self.word, &self.words);
        let out = f(&mut words);
        // The last word drawn was in the block `words` holds, and so is the next word unless
        // it starts a block (then the next draw computes that one).
        self.word = words.word;
        self.words = words.words;
        out
    }
}

/// The random source of a shape: its stream, and whether its seed was fixed by the user.
#[derive(Debug, Clone, PartialEq)]
struct Source<S> {
    stream: S,
    /// A seed set by the user; it wins over the seed a series hands down.
    explicit: bool,
}

impl Source<Buffered> {
    fn compact(&self) -> Source<Compact> {
        Source {
            stream: self.stream.compact(),
            explicit: self.explicit,
        }
    }

    fn blocked(&self) -> Source<Blocked> {
        Source {
            stream: self.stream.blocked(),
            explicit: self.explicit,
        }
    }
}

impl<S: Stream> Source<S> {
    fn new() -> Self {
        Self {
            stream: S::from_seed(0),
            explicit: false,
        }
    }

    fn inherit(&mut self, seeds: &mut SeedSeq) {
        // Always draw, so one fixed seed does not shift the seeds of the shapes after it.
        let seed = seeds.next_seed();
        // The first fixed seed wins: an inner `.seed(1)` survives an outer `.seed(2)`.
        if !self.explicit {
            self.stream = S::from_seed(seed);
            self.explicit = seeds.is_explicit();
        }
    }

    /// A uniform float in `[0, 1)`.
    #[inline]
    fn unit(&mut self) -> f64 {
        self.stream.draw(|rng| rng.random::<f64>())
    }
}

macro_rules! seeded_shape {
    ($ty:ident { $($field:ident),* }) => {
        impl<S: Stream> $ty<S> {
            /// The same shape with a fixed seed; the same as [`ShapeExt::with_seed`], so
            /// `.seed(n)` means the same numbers in Rust, in the DSL and in YAML.
            #[must_use]
            pub fn seed(mut self, seed: u64) -> Self {
                self.source.inherit(&mut SeedSeq::explicit(seed));
                self
            }
        }

        impl $ty<Buffered> {
            /// The same shape, at the same point of the same numbers, holding its stream as
            /// [`Compact`]: 16 bytes instead of 312, each draw dearer.
            #[must_use]
            pub fn compact(&self) -> $ty<Compact> {
                $ty {
                    $($field: self.$field.clone(),)*
                    source: self.source.compact(),
                }
            }

            /// The same shape, at the same point of the same numbers, holding its stream as
            /// [`Blocked`]: 80 bytes instead of 312, a draw in eight dearer.
            #[must_use]
            pub fn blocked(&self) -> $ty<Blocked> {
                $ty {
                    $($field: self.$field.clone(),)*
                    source: self.source.blocked(),
                }
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
pub struct Uniform<S = Buffered> {
    min: f64,
    width: f64,
    source: Source<S>,
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

seeded_shape!(Uniform { min, width });

impl<S: Stream> Shape for Uniform<S> {
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
pub struct Normal<S = Buffered> {
    mean: f64,
    sd: f64,
    source: Source<S>,
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

seeded_shape!(Normal { mean, sd });

impl<S: Stream> Shape for Normal<S> {
    #[inline]
    fn next_point(&mut self, _tick: Tick) -> Point {
        let z: f64 = self.source.stream.draw(|rng| rng.sample(StandardNormal));
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
pub struct Walk<S = Buffered> {
    start: f64,
    step: f64,
    current: Option<f64>,
    source: Source<S>,
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

seeded_shape!(Walk {
    start,
    step,
    current
});

impl<S: Stream> Shape for Walk<S> {
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

    /// Values as bits, so NaN-free runs compare exactly.
    fn bits(shape: impl Shape, n: usize) -> Vec<u64> {
        values(shape, n).into_iter().map(f64::to_bits).collect()
    }

    #[test]
    fn a_compact_stream_gives_the_buffered_numbers_across_many_buffers() {
        // 10 000 draws cross the 64-word buffer hundreds of times; the normal's ziggurat
        // sometimes takes more than one word pair a value.
        let n = 10_000;
        assert_eq!(
            bits(uniform(-1.0, 1.0).seed(7), n),
            bits(uniform(-1.0, 1.0).seed(7).compact(), n)
        );
        assert_eq!(
            bits(normal(5.0, 2.0).seed(8), n),
            bits(normal(5.0, 2.0).compact().seed(8), n)
        );
        assert_eq!(
            bits(walk(0.0, 1.0).seed(9), n),
            bits(walk(0.0, 1.0).seed(9).compact(), n)
        );
        for seed in [7, 8] {
            assert_eq!(
                bits(uniform(-1.0, 1.0).seed(seed), n),
                bits(uniform(-1.0, 1.0).seed(seed).blocked(), n)
            );
            assert_eq!(
                bits(normal(5.0, 2.0).seed(seed), n),
                bits(normal(5.0, 2.0).blocked().seed(seed), n)
            );
        }
        let inherited = |compact: bool| {
            let mut seeds = SeedSeq::new(11);
            if compact {
                let mut s = normal(0.0, 1.0).compact();
                s.seed_from(&mut seeds);
                bits(s, 500)
            } else {
                let mut s = normal(0.0, 1.0);
                s.seed_from(&mut seeds);
                bits(s, 500)
            }
        };
        assert_eq!(inherited(false), inherited(true));
        assert_ne!(
            bits(uniform(0.0, 1.0).seed(1).compact(), 5),
            bits(uniform(0.0, 1.0).seed(2).compact(), 5)
        );
    }

    #[test]
    fn compacting_or_blocking_mid_stream_goes_on_where_the_buffer_was() {
        for drawn in [0, 1, 31, 32, 33, 64, 1000] {
            let mut buffered = normal(0.0, 1.0).seed(3);
            let _ = render(&mut buffered, drawn);
            let (compact, blocked) = (buffered.compact(), buffered.blocked());
            let expected = bits(buffered, 300);
            assert_eq!(expected, bits(compact, 300), "after {drawn}");
            assert_eq!(expected, bits(blocked, 300), "after {drawn}");
        }
    }

    #[test]
    fn looping_draws_new_numbers() {
        let v = values(uniform(0.0, 1.0).seed(1).take(2).forever(), 4);
        assert_ne!(v[..2], v[2..]);
    }
}
