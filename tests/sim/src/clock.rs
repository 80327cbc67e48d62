//! Virtual time: an origin [`Instant`] plus an offset that only the driver moves.

use std::time::{Duration, Instant};

/// The simulation's clock. It never reads the system clock after its creation:
/// time only moves when the driver calls [`VirtualClock::advance_to`].
///
/// The origin is one `Instant` taken when the clock is built (the standard library
/// offers no other way to make one); nothing depends on its value, only on the
/// offsets added to it, so runs are reproducible.
#[derive(Clone, Debug)]
pub struct VirtualClock {
    origin: Instant,
    elapsed: Duration,
}

impl VirtualClock {
    /// A clock at virtual time zero.
    pub fn new() -> Self {
        VirtualClock {
            origin: Instant::now(),
            elapsed: Duration::ZERO,
        }
    }

    /// The current instant, to hand to the engines.
    pub fn now(&self) -> Instant {
        self.origin + self.elapsed
    }

    /// Virtual time elapsed since the start of the simulation.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The instant `offset` after the origin.
    pub fn at(&self, offset: Duration) -> Instant {
        self.origin + offset
    }

    /// The offset of `instant` from the origin (zero if it lies before it).
    pub fn offset_of(&self, instant: Instant) -> Duration {
        instant.saturating_duration_since(self.origin)
    }

    /// Move time forward to `offset`; an earlier offset leaves the clock unchanged.
    pub fn advance_to(&mut self, offset: Duration) {
        if offset > self.elapsed {
            self.elapsed = offset;
        }
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self::new()
    }
}
