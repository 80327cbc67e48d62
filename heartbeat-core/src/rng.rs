//! A tiny seeded pseudo-random generator (SplitMix64), the crate's only
//! source of randomness.
//!
//! The engine needs randomness only to spread retransmission requests in
//! time; it must be reproducible from the seed given to
//! [`crate::engine::Engine::new`], so a statistically decent 64-bit mixer is
//! enough. `runtime::Lossy` draws its drops from it too, and the
//! simulation harness (`heartbeat-sim`) builds its fault draws on it.

use std::time::Duration;

/// SplitMix64: a 64-bit state advanced by a constant and scrambled on output.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..=max` (inclusive), nearly uniform.
    pub fn below_inclusive(&mut self, max: u64) -> u64 {
        if max == u64::MAX {
            return self.next_u64();
        }
        // Multiply-shift reduction: the bias is at most max / 2^64.
        ((u128::from(self.next_u64()) * u128::from(max + 1)) >> 64) as u64
    }

    /// A duration in `lo..=hi`, at microsecond granularity; `lo` when `hi <= lo`.
    pub fn duration_between(&mut self, lo: Duration, hi: Duration) -> Duration {
        if hi <= lo {
            return lo;
        }
        let span = u64::try_from((hi - lo).as_micros()).unwrap_or(u64::MAX);
        lo + Duration::from_micros(self.below_inclusive(span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[test]
    fn bounded_values_stay_in_range() {
        let mut r = Rng::new(7);
        let lo = Duration::from_millis(50);
        let hi = Duration::from_millis(250);
        let mut seen_low = false;
        let mut seen_high = false;
        for _ in 0..10_000 {
            let d = r.duration_between(lo, hi);
            assert!(d >= lo && d <= hi);
            seen_low |= d < Duration::from_millis(60);
            seen_high |= d > Duration::from_millis(240);
        }
        assert!(seen_low && seen_high, "values spread over the range");
        assert_eq!(r.duration_between(hi, lo), hi);
        for _ in 0..1000 {
            assert!(r.below_inclusive(3) <= 3);
        }
    }
}
