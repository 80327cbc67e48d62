//! Fault models: what can go wrong on a simulated link and in a resource script.

use std::time::Duration;

use crate::rng::SimRng;

/// Faults of one directed link (source node, destination node, medium).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkFaults {
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Fixed one-way delay.
    pub delay: Duration,
    /// Extra delay drawn uniformly from `0..=jitter`.
    pub jitter: Duration,
    /// Probability that a datagram is delivered twice (each copy with its own delay).
    pub duplicate: f64,
    /// Probability that a datagram is held back by up to [`LinkFaults::reorder_hold`]
    /// extra, so that later datagrams overtake it.
    pub reorder: f64,
    /// Largest extra delay of a reordered datagram.
    pub reorder_hold: Duration,
}

impl LinkFaults {
    /// A perfect link: no loss, 100 µs delay, no jitter.
    pub const CLEAN: LinkFaults = LinkFaults {
        loss: 0.0,
        delay: Duration::from_micros(100),
        jitter: Duration::ZERO,
        duplicate: 0.0,
        reorder: 0.0,
        reorder_hold: Duration::ZERO,
    };

    /// A clean link with the given loss probability.
    pub fn lossy(loss: f64) -> Self {
        LinkFaults {
            loss,
            ..Self::CLEAN
        }
    }

    /// The largest one-way delay a datagram can see on this link.
    pub fn max_delay(&self) -> Duration {
        let hold = if self.reorder > 0.0 {
            self.reorder_hold
        } else {
            Duration::ZERO
        };
        self.delay + self.jitter + hold
    }

    /// Draw the fate of one datagram: the delays of the copies to deliver (empty
    /// when it is lost).
    pub fn draw(&self, rng: &mut SimRng) -> Vec<Duration> {
        if rng.chance(self.loss) {
            return Vec::new();
        }
        let copies = if rng.chance(self.duplicate) { 2 } else { 1 };
        (0..copies)
            .map(|_| {
                let mut d = self.delay + rng.duration(Duration::ZERO, self.jitter);
                if rng.chance(self.reorder) {
                    d += rng.duration(Duration::ZERO, self.reorder_hold);
                }
                d
            })
            .collect()
    }
}

impl Default for LinkFaults {
    fn default() -> Self {
        Self::CLEAN
    }
}

/// How the simulated resource scripts behave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ActionFaults {
    /// Shortest run time of a start or stop.
    pub min_delay: Duration,
    /// Longest run time of a start or stop.
    pub max_delay: Duration,
    /// Probability that a start fails.
    pub start_failure: f64,
    /// Probability that a stop fails.
    pub stop_failure: f64,
}

impl ActionFaults {
    /// Scripts that always succeed after 5 ms.
    pub const RELIABLE: ActionFaults = ActionFaults {
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(5),
        start_failure: 0.0,
        stop_failure: 0.0,
    };

    /// Whether any failure can be injected.
    pub fn can_fail(&self) -> bool {
        self.start_failure > 0.0 || self.stop_failure > 0.0
    }
}

impl Default for ActionFaults {
    fn default() -> Self {
        Self::RELIABLE
    }
}

/// Which way a partition cuts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Only datagrams from the first node to the second are dropped.
    OneWay,
    /// Datagrams are dropped both ways.
    TwoWay,
}
