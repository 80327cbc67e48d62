//! Summaries of measured durations: min, median, p95, max.

use std::time::Duration;

/// Order statistics of a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Number of samples.
    pub count: usize,
    /// Smallest sample.
    pub min: Duration,
    /// 50th percentile.
    pub median: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// Largest sample.
    pub max: Duration,
}

/// The `p`-th percentile (0–100) of sorted `samples` by linear interpolation
/// between closest ranks; `None` on an empty sample.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    let last = sorted.len().checked_sub(1)?;
    let rank = p.clamp(0.0, 100.0) / 100.0 * last as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let frac = rank - lo as f64;
    let (a, b) = (sorted[lo].as_secs_f64(), sorted[hi].as_secs_f64());
    Some(Duration::from_secs_f64(a + (b - a) * frac))
}

impl Summary {
    /// Summarises `samples` (any order); `None` when empty.
    pub fn of(samples: &[Duration]) -> Option<Summary> {
        let mut sorted = samples.to_vec();
        sorted.sort();
        Some(Summary {
            count: sorted.len(),
            min: *sorted.first()?,
            median: percentile(&sorted, 50.0)?,
            p95: percentile(&sorted, 95.0)?,
            max: *sorted.last()?,
        })
    }
}

/// The median of `values` (any order; the mean of the middle two for an
/// even count); `None` when empty.
pub fn median_f64(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// A duration in ms with a precision that suits its size (`0.84`, `23.1`, `3712`).
pub fn fmt_ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else if ms < 1000.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn empty_sample_has_no_summary() {
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn single_sample_is_every_statistic() {
        let s = Summary::of(&ms(&[7])).unwrap();
        assert_eq!(
            (s.min, s.median, s.p95, s.max),
            (ms(&[7])[0], ms(&[7])[0], ms(&[7])[0], ms(&[7])[0])
        );
    }

    #[test]
    fn median_of_even_count_interpolates() {
        let s = Summary::of(&ms(&[40, 10, 30, 20])).unwrap();
        assert_eq!(s.median, Duration::from_millis(25));
        assert_eq!(s.min, Duration::from_millis(10));
        assert_eq!(s.max, Duration::from_millis(40));
        assert_eq!(s.count, 4);
    }

    #[test]
    fn p95_of_twenty_one_samples_is_the_twentieth() {
        let v: Vec<u64> = (0..=20).map(|i| i * 10).collect();
        let s = Summary::of(&ms(&v)).unwrap();
        assert_eq!(s.p95, Duration::from_millis(190));
        assert_eq!(s.median, Duration::from_millis(100));
    }

    #[test]
    fn median_of_floats() {
        assert_eq!(median_f64(&[]), None);
        assert_eq!(median_f64(&[0.3, 0.1, 0.2]), Some(0.2));
        assert_eq!(median_f64(&[0.4, 0.1, 0.3, 0.2]), Some(0.25));
    }

    #[test]
    fn milliseconds_are_printed_with_sensible_precision() {
        assert_eq!(fmt_ms(Duration::from_micros(840)), "0.84");
        assert_eq!(fmt_ms(Duration::from_micros(23_140)), "23.1");
        assert_eq!(fmt_ms(Duration::from_micros(3_712_400)), "3712");
    }
}
