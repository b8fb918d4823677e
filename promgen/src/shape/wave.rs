//! Periodic waveforms, discrete (period in scrapes) and continuous (period as a duration).

use super::{Point, Shape, small_to_f64};
use crate::Tick;
use std::f64::consts::TAU;

/// The form of a wave over one period, as a function of the phase `f` in `[0, 1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaveKind {
    /// `sin(2πf)`: 0, up to 1 at a quarter period, down to -1 at three quarters.
    Sin,
    /// `cos(2πf)`: 1 at the start of each period.
    Cos,
    /// 1 for the first half of each period, -1 for the second.
    Square,
    /// A ramp from -1 up towards 1, then a drop back to -1.
    Sawtooth,
    /// -1 up to 1 at half the period, back down to -1.
    Triangle,
    /// 1 for the first `duty` fraction of each period, 0 for the rest.
    Pulse,
}

impl WaveKind {
    /// Every kind.
    pub const ALL: [WaveKind; 6] = [
        Self::Sin,
        Self::Cos,
        Self::Square,
        Self::Sawtooth,
        Self::Triangle,
        Self::Pulse,
    ];

    /// The lower-case name (`sin`, `cos`, `square`, `sawtooth`, `triangle`, `pulse`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sin => "sin",
            Self::Cos => "cos",
            Self::Square => "square",
            Self::Sawtooth => "sawtooth",
            Self::Triangle => "triangle",
            Self::Pulse => "pulse",
        }
    }

    /// The unit wave at phase `f` in `[0, 1)`.
    #[inline]
    #[must_use]
    pub fn at(self, f: f64, duty: f64) -> f64 {
        match self {
            Self::Sin => (TAU * f).sin(),
            Self::Cos => (TAU * f).cos(),
            Self::Square => {
                if f < 0.5 {
                    1.0
                } else {
                    -1.0
                }
            }
            Self::Sawtooth => 2.0 * f - 1.0,
            Self::Triangle => 1.0 - 4.0 * (f - 0.5).abs(),
            Self::Pulse => {
                if f < duty {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// How a wave is scaled and shifted: `offset + amplitude * wave(phase + f)`.
///
/// ```
/// use promgen::shape::{WaveKind, WaveParams};
/// let p = WaveParams::new(WaveKind::Sin).amplitude(5.0).offset(50.0);
/// assert_eq!(p.value_at(0.25), 55.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaveParams {
    /// The form.
    pub kind: WaveKind,
    /// Half the distance between the highest and lowest value (1 by default).
    pub amplitude: f64,
    /// The centre line (0 by default).
    pub offset: f64,
    /// Where in the period the wave starts, as a fraction of it (0 by default).
    pub phase: f64,
    /// For [`WaveKind::Pulse`]: the fraction of each period that is high (0.5 by default).
    pub duty: f64,
}

impl WaveParams {
    /// A unit wave of `kind`.
    #[must_use]
    pub const fn new(kind: WaveKind) -> Self {
        Self {
            kind,
            amplitude: 1.0,
            offset: 0.0,
            phase: 0.0,
            duty: 0.5,
        }
    }

    /// With this amplitude.
    #[must_use]
    pub const fn amplitude(mut self, amplitude: f64) -> Self {
        self.amplitude = amplitude;
        self
    }

    /// With this offset.
    #[must_use]
    pub const fn offset(mut self, offset: f64) -> Self {
        self.offset = offset;
        self
    }

    /// With this phase (a fraction of the period).
    #[must_use]
    pub const fn phase(mut self, phase: f64) -> Self {
        self.phase = phase;
        self
    }

    /// With this duty cycle (for pulses).
    #[must_use]
    pub const fn duty(mut self, duty: f64) -> Self {
        self.duty = duty;
        self
    }

    /// The value at `cycles` periods from the origin (any real number).
    #[inline]
    #[must_use]
    pub fn value_at(&self, cycles: f64) -> f64 {
        self.value_in_period(unit_phase(cycles + self.phase))
    }

    /// The value at `f` in `[0, 1)`, the phase included.
    #[inline]
    fn value_in_period(&self, f: f64) -> f64 {
        self.offset + self.amplitude * self.kind.at(f, self.duty)
    }

    /// A discrete wave: one period every `period` scrapes.
    #[must_use]
    pub const fn every_scrapes(self, period: u64) -> DiscreteWave {
        DiscreteWave {
            params: self,
            period,
            divisor: if period == 0 { 1.0 } else { period as f64 },
            // `pos / period` is below 1 for every `pos < period` up to 2^53: both are exact,
            // and `1 - 1 / period` rounds to at most `1 - 2^-53`. Adding a phase of ±0 changes
            // no fraction.
            in_period: self.phase == 0.0 && period <= 1 << 53,
            pos: 0,
        }
    }

    /// A continuous wave: one period every `period_ms`, phase 0 at the Unix epoch.
    #[must_use]
    pub const fn every_ms(self, period_ms: i64) -> ContinuousWave {
        ContinuousWave {
            params: self,
            period_ms,
        }
    }
}

/// `x.rem_euclid(1.0)`, bit for bit, without its cost where `x` is already in `[0, 1)`.
///
/// `rem_euclid` is a call to a software `fmod`: about 8% of a discrete sine wave's time, as
/// perf measured it in `benches/dsl.rs`. Both wave shapes hand `value_at` a fraction in
/// `[0, 1)`, so with a phase of 0 (and often with another) the reduction has nothing to do. For
/// `x` in `[0, 1)`, `-0.0` included, `fmod` returns `x` itself and `rem_euclid` adds nothing to
/// a result that is not below 0.
#[inline]
fn unit_phase(x: f64) -> f64 {
    if (0.0..1.0).contains(&x) {
        x
    } else {
        x.rem_euclid(1.0)
    }
}

/// What a wave's period can be: a number of scrapes (a discrete wave) or a
/// [`std::time::Duration`] (a continuous wave). Lets `series!` take the period as a Rust
/// expression.
///
/// ```
/// use promgen::shape::{WaveKind, WaveParams, WavePeriod};
/// let discrete = 20u32.wave(WaveParams::new(WaveKind::Sin));
/// let continuous = std::time::Duration::from_secs(600).wave(WaveParams::new(WaveKind::Sin));
/// # let _ = (discrete, continuous);
/// ```
pub trait WavePeriod {
    /// The wave this period gives.
    type Wave: Shape;
    /// The wave with these parameters and this period.
    fn wave(self, params: WaveParams) -> Self::Wave;
}

impl WavePeriod for std::time::Duration {
    type Wave = ContinuousWave;
    fn wave(self, params: WaveParams) -> ContinuousWave {
        params.every_ms(i64::try_from(self.as_millis()).unwrap_or(i64::MAX))
    }
}

macro_rules! scrape_periods {
    ($($t:ty),*) => {$(
        impl WavePeriod for $t {
            type Wave = DiscreteWave;
            fn wave(self, params: WaveParams) -> DiscreteWave {
                // A period below one scrape is one scrape.
                params.every_scrapes(u64::try_from(self).unwrap_or(0).max(1))
            }
        }
    )*};
}

scrape_periods!(u8, u16, u32, u64, usize, i32, i64);

/// A wave whose period is a number of scrapes, endless.
///
/// ```
/// use promgen::shape::{WaveKind, WaveParams, ShapeExt};
/// let square = WaveParams::new(WaveKind::Square).every_scrapes(4);
/// let v: Vec<f64> = square.take(4).points().filter_map(|p| p.value()).collect();
/// assert_eq!(v, [1.0, 1.0, -1.0, -1.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiscreteWave {
    params: WaveParams,
    /// In scrapes; 0 is taken as 1.
    period: u64,
    /// `period` as a float (1 for 0): the divisor of every point's position.
    divisor: f64,
    /// Whether `pos / period + phase` is always in `[0, 1)`, so that `value_at` needs no
    /// reduction: a phase of 0 (the default) and a period of at most 2^53 scrapes.
    in_period: bool,
    /// Below `period` (0 for a period of 0).
    pos: u64,
}

impl Shape for DiscreteWave {
    #[inline]
    fn next_point(&mut self, _tick: Tick) -> Point {
        // `value_at(pos / period)`, the same number, without its reduction where there is
        // none to make.
        let cycles = small_to_f64(self.pos) / self.divisor;
        let v = if self.in_period {
            self.params.value_in_period(cycles)
        } else {
            self.params.value_at(cycles)
        };
        // `(pos + 1) % period` (`pos < period`), without a division: a hardware `div` here
        // would lie on the chain from one point's `pos` to the next one's. A period of 0 or 1
        // keeps `pos` at 0.
        self.pos += 1;
        if self.pos >= self.period {
            self.pos = 0;
        }
        Point::Value(v)
    }
    fn restart(&mut self) {
        self.pos = 0;
    }
}

/// A wave whose period is a duration: the value is computed from each tick's timestamp, with
/// phase 0 at the Unix epoch, so it does not depend on when the scraping started.
///
/// ```
/// use promgen::shape::{WaveKind, WaveParams, Shape, Point};
/// use promgen::Tick;
/// let mut wave = WaveParams::new(WaveKind::Sawtooth).every_ms(60_000);
/// assert_eq!(wave.next_point(Tick::new(0, 30_000)), Point::Value(0.0));
/// assert_eq!(wave.next_point(Tick::new(0, 90_000)), Point::Value(0.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContinuousWave {
    params: WaveParams,
    period_ms: i64,
}

impl Shape for ContinuousWave {
    #[inline]
    fn next_point(&mut self, tick: Tick) -> Point {
        let period = self.period_ms.max(1);
        // Reduce in integers first so that large timestamps keep their precision.
        let within = tick.timestamp_ms.rem_euclid(period);
        Point::Value(self.params.value_at(within as f64 / period as f64))
    }
    fn restart(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{ShapeExt, test_util::render};

    fn one_period(kind: WaveKind) -> Vec<String> {
        render(WaveParams::new(kind).every_scrapes(4), 5)
    }

    #[test]
    fn every_kind_over_one_period() {
        // sin and cos of multiples of π/2 are not exact in floating point; round them.
        let rounded = |kind| -> Vec<f64> {
            WaveParams::new(kind)
                .every_scrapes(4)
                .take(4)
                .points()
                .filter_map(|p| p.value())
                .map(|v| (v * 1e9).round() / 1e9 + 0.0)
                .collect()
        };
        assert_eq!(rounded(WaveKind::Sin), [0.0, 1.0, 0.0, -1.0]);
        assert_eq!(rounded(WaveKind::Cos), [1.0, 0.0, -1.0, 0.0]);
        assert_eq!(one_period(WaveKind::Square), ["1", "1", "-1", "-1", "1"]);
        assert_eq!(
            one_period(WaveKind::Sawtooth),
            ["-1", "-0.5", "0", "0.5", "-1"]
        );
        assert_eq!(one_period(WaveKind::Triangle), ["-1", "0", "1", "0", "-1"]);
        assert_eq!(one_period(WaveKind::Pulse), ["1", "1", "0", "0", "1"]);
        let narrow = WaveParams::new(WaveKind::Pulse).duty(0.25).every_scrapes(4);
        assert_eq!(render(narrow, 4), ["1", "0", "0", "0"]);
    }

    #[test]
    fn amplitude_offset_and_phase() {
        let p = WaveParams::new(WaveKind::Square)
            .amplitude(2.0)
            .offset(10.0)
            .phase(0.5);
        assert_eq!(render(p.every_scrapes(2), 2), ["8", "12"]);
    }

    #[test]
    fn continuous_waves_follow_the_clock() {
        let mut w = WaveParams::new(WaveKind::Triangle).every_ms(1000);
        let at = |w: &mut ContinuousWave, t| w.next_point(Tick::new(0, t)).to_string();
        assert_eq!(at(&mut w, 0), "-1");
        assert_eq!(at(&mut w, 500), "1");
        assert_eq!(at(&mut w, 1_700_000_000_250), "0");
        assert_eq!(at(&mut w, -250), "0");
    }

    #[test]
    fn unit_phase_is_rem_euclid() {
        let mut xs = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            1.0 - f64::EPSILON / 2.0,
            -f64::EPSILON / 4.0,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        // Every fraction a discrete wave of up to 100 scrapes sees, with and without a phase.
        for period in 1..=100u32 {
            for pos in 0..period {
                let f = f64::from(pos) / f64::from(period);
                xs.extend([f, f + 0.25, f + 0.5, f - 0.5, f + 1.0, f - 3.75]);
            }
        }
        for x in xs {
            assert_eq!(
                unit_phase(x).to_bits(),
                x.rem_euclid(1.0).to_bits(),
                "unit_phase({x:e})"
            );
        }
    }

    #[test]
    fn small_to_f64_is_as_f64() {
        let mut ns: Vec<u64> = (0..10_000).collect();
        for shift in 0..64 {
            let p = 1u64 << shift;
            ns.extend([p - 1, p, p + 1, p.wrapping_mul(3) / 2, !0 >> (63 - shift)]);
        }
        // A simple deterministic spread over the whole range.
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ns.extend([x, x >> 12, x >> 11, x >> 40]);
        }
        ns.push(u64::MAX);
        for n in ns {
            assert_eq!(small_to_f64(n).to_bits(), (n as f64).to_bits(), "{n}");
        }
    }

    /// The discrete wave as it was before the fast paths: `(pos + 1) % period`,
    /// `pos as f64 / period as f64` and `rem_euclid`.
    #[test]
    fn discrete_waves_match_the_plain_formula() {
        for kind in WaveKind::ALL {
            for phase in [0.0, 0.25, -0.3, 1.5, -0.0] {
                for period in [0u64, 1, 2, 3, 7, 100, 1000] {
                    let params = WaveParams::new(kind)
                        .amplitude(3.0)
                        .offset(-1.0)
                        .phase(phase);
                    let mut wave = params.every_scrapes(period);
                    let p = period.max(1);
                    let mut pos = 0u64;
                    for i in 0..3 * p + 5 {
                        let f = (pos as f64 / p as f64 + phase).rem_euclid(1.0);
                        let expected = -1.0 + 3.0 * kind.at(f, 0.5);
                        pos = (pos + 1) % p;
                        let got = wave.next_point(Tick::new(i, 0)).value().unwrap();
                        assert_eq!(
                            got.to_bits(),
                            expected.to_bits(),
                            "{kind:?} {phase} {period} {i}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn long_periods_match_the_plain_formula() {
        let two_53 = 1u64 << 53;
        for phase in [0.0, 0.5] {
            let params = WaveParams::new(WaveKind::Sawtooth).phase(phase);
            for period in [
                two_53 - 1,
                two_53,
                two_53 + 1,
                two_53 + 2,
                1 << 60,
                u64::MAX,
            ] {
                let mut wave = params.every_scrapes(period);
                assert_eq!(wave.in_period, phase == 0.0 && period <= two_53);
                for pos in [0, 1, period / 2, period - 2, period - 1] {
                    wave.pos = pos;
                    let expected = (pos as f64 / period as f64 + phase).rem_euclid(1.0);
                    let expected = 2.0 * expected - 1.0;
                    let got = wave.next_point(Tick::new(0, 0)).value().unwrap();
                    assert_eq!(got.to_bits(), expected.to_bits(), "{phase} {period} {pos}");
                }
            }
        }
    }

    #[test]
    fn degenerate_periods_are_one_scrape() {
        for period in [0, 1] {
            let w = WaveParams::new(WaveKind::Sawtooth).every_scrapes(period);
            assert_eq!(render(w, 3), ["-1", "-1", "-1"]);
        }
        // The last position of the longest period, as the formula gives it, and the wrap after.
        let params = WaveParams::new(WaveKind::Sawtooth).phase(0.125);
        let mut w = params.every_scrapes(u64::MAX);
        w.pos = u64::MAX - 1;
        let expected = params.value_at((u64::MAX - 1) as f64 / u64::MAX as f64);
        assert_eq!(w.next_point(Tick::new(0, 0)), Point::Value(expected));
        assert_eq!(w.pos, 0);
    }

    #[test]
    fn discrete_waves_restart() {
        let mut w = WaveParams::new(WaveKind::Sawtooth).every_scrapes(4);
        render(&mut w, 3);
        w.restart();
        assert_eq!(render(w, 1), ["-1"]);
    }
}
