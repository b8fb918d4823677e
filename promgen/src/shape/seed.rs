//! Reproducible seeds for random shapes.

/// A sequence of seeds: random shapes without an explicit seed each take the next one.
///
/// SplitMix64 spreads a single starting value (a label hash, or a seed the user gave) into
/// well-mixed, independent seeds. The sequence is fixed by the starting value alone, so it is
/// the same on every machine and in every build.
///
/// ```
/// use promgen::shape::SeedSeq;
/// let mut a = SeedSeq::new(7);
/// let mut b = SeedSeq::new(7);
/// assert_eq!(a.next_seed(), b.next_seed());
/// assert_ne!(a.next_seed(), SeedSeq::new(8).next_seed());
/// ```
#[derive(Debug, Clone)]
pub struct SeedSeq {
    state: u64,
    explicit: bool,
}

impl SeedSeq {
    /// A sequence of default seeds starting from `seed` (a series hands these down; a seed
    /// the user fixed wins over them).
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self {
            state: seed,
            explicit: false,
        }
    }

    /// A sequence of seeds the user fixed (`.seed(n)`): later default seeds do not replace
    /// them.
    #[must_use]
    pub const fn explicit(seed: u64) -> Self {
        Self {
            state: seed,
            explicit: true,
        }
    }

    /// Whether these seeds were fixed by the user.
    #[must_use]
    pub const fn is_explicit(&self) -> bool {
        self.explicit
    }

    /// The next seed.
    pub fn next_seed(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
