//! Periodic waveforms, discrete (period in scrapes) and continuous (period as a duration).

use super::{Point, Shape};
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
        let f = (cycles + self.phase).rem_euclid(1.0);
        self.offset + self.amplitude * self.kind.at(f, self.duty)
    }

    /// A discrete wave: one period every `period` scrapes.
    #[must_use]
    pub const fn every_scrapes(self, period: u64) -> DiscreteWave {
        DiscreteWave {
            params: self,
            period,
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
    period: u64,
    pos: u64,
}

impl Shape for DiscreteWave {
    #[inline]
    fn next_point(&mut self, _tick: Tick) -> Point {
        let period = self.period.max(1);
        let v = self.params.value_at(self.pos as f64 / period as f64);
        self.pos = (self.pos + 1) % period;
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
    fn discrete_waves_restart() {
        let mut w = WaveParams::new(WaveKind::Sawtooth).every_scrapes(4);
        render(&mut w, 3);
        w.restart();
        assert_eq!(render(w, 1), ["-1"]);
    }
}
