//! The local watchdog: when this node may pet its kernel watchdog.
//!
//! The driver pets the device when [`Watchdog::take_pet`] says so; the
//! engine says so once per keepalive tick, unless (SBD's rule):
//! - the tick came late (this process stalled: it must not look healthy);
//! - this node has no quorum while a group may still run here (its stop
//!   has not finished, or failed);
//! - a stop of a group has been running for longer than the watchdog
//!   timeout.
//!
//! Not petted, the device resets the node one timeout after the last pet,
//! which bounds how long a lost or stuck node can keep its groups: the
//! majority waits that long before it starts them (see `super`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Why the watchdog was not petted on a tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Withheld {
    /// The tick came late: this process stalled.
    Stalled,
    /// No quorum and a group may still run here.
    NoQuorum,
    /// A stop has run for longer than the watchdog timeout.
    StuckStop,
}

/// Petting decisions of one node.
#[derive(Debug)]
pub(crate) struct Watchdog {
    /// The device's timeout.
    timeout: Duration,
    /// Stops in flight, by group, with when they were issued.
    stops: BTreeMap<String, Instant>,
    /// A pet is due (taken by the driver).
    pet_due: bool,
    /// Why the last tick withheld the pet, if it did.
    withheld: Option<Withheld>,
}

impl Watchdog {
    /// Decisions for a device with `timeout`.
    pub(crate) fn new(timeout: Duration) -> Self {
        Watchdog {
            timeout,
            stops: BTreeMap::new(),
            pet_due: false,
            withheld: None,
        }
    }

    /// The device's timeout.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A stop of `group` was issued at `now`.
    pub(crate) fn stop_issued(&mut self, now: Instant, group: &str) {
        self.stops.entry(group.to_owned()).or_insert(now);
    }

    /// The stop of `group` finished (well or not).
    pub(crate) fn stop_finished(&mut self, group: &str) {
        self.stops.remove(group);
    }

    /// A keepalive tick at `now`: `stalled` if it came late; `unsafe_holding`
    /// if this node lacks quorum while a group may still run here. Returns
    /// why the pet is withheld when it changed (for the log).
    pub(crate) fn tick(
        &mut self,
        now: Instant,
        stalled: bool,
        unsafe_holding: bool,
    ) -> Option<Option<Withheld>> {
        let stuck = self.stops.values().any(|t| now >= *t + self.timeout);
        let withheld = if stalled {
            Some(Withheld::Stalled)
        } else if unsafe_holding {
            Some(Withheld::NoQuorum)
        } else if stuck {
            Some(Withheld::StuckStop)
        } else {
            None
        };
        self.pet_due = withheld.is_none();
        let changed = withheld != self.withheld;
        self.withheld = withheld;
        changed.then_some(withheld)
    }

    /// Whether the driver should pet the device now (once per tick).
    pub(crate) fn take_pet(&mut self) -> bool {
        std::mem::take(&mut self.pet_due)
    }

    /// Why the last tick withheld the pet.
    pub(crate) fn withheld(&self) -> Option<Withheld> {
        self.withheld
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pets_once_per_healthy_tick() {
        let now = Instant::now();
        let mut w = Watchdog::new(Duration::from_secs(2));
        assert_eq!(w.tick(now, false, false), None, "no change");
        assert!(w.take_pet());
        assert!(!w.take_pet(), "once per tick");
    }

    #[test]
    fn withholds_when_stalled_without_quorum_or_stuck() {
        let now = Instant::now();
        let s = Duration::from_secs(1);
        let mut w = Watchdog::new(Duration::from_secs(2));
        assert_eq!(w.tick(now, true, false), Some(Some(Withheld::Stalled)));
        assert!(!w.take_pet());
        assert_eq!(w.tick(now, false, true), Some(Some(Withheld::NoQuorum)));
        assert!(!w.take_pet());
        assert_eq!(w.tick(now, false, false), Some(None));
        assert!(w.take_pet());
        w.stop_issued(now, "web");
        w.tick(now + s, false, false);
        assert!(w.take_pet(), "a stop within the timeout is fine");
        w.tick(now + 2 * s, false, false);
        assert_eq!(w.withheld(), Some(Withheld::StuckStop));
        assert!(!w.take_pet());
        w.stop_finished("web");
        w.tick(now + 3 * s, false, false);
        assert!(w.take_pet());
    }
}
