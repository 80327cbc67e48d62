//! Local health first (Lifeguard, DESIGN.md lesson 4).
//!
//! If [`super::Engine::handle_timeout`] runs much later than the earliest
//! timer that was due, our own process (or machine) stalled: peers' packets
//! may be waiting unread in socket buffers, so judging them on this tick
//! would be unfair. The engine then pushes every death deadline back by the
//! lateness (and at least a grace period past now), reports
//! [`super::Event::LocalStall`], and judges nobody on that tick.
//!
//! A timer counts as late when it fires more than one keepalive after it was
//! due, or after the previous tick when it was already overdue then (a
//! deadline computed in the past, such as a peer's death deadline
//! recomputed with its own deadtime at comm-up, fires at the next tick and
//! is no stall: the driver could not have called earlier). Drivers must
//! therefore call `handle_timeout` at (or very soon after)
//! [`super::Engine::poll_timeout`]; simulations must not jump over due timers.

use std::time::{Duration, Instant};

/// A stall found by [`Lifeguard::check`]: every death deadline is pushed
/// back by its lateness, and to at least a grace period past `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stall {
    /// When the stall was noticed.
    pub(crate) now: Instant,
    /// How late the earliest timer fired.
    pub(crate) late_by: Duration,
    /// Least time granted past `now`.
    pub(crate) grace: Duration,
}

impl Stall {
    /// Push `deadline` back (the one rule every part applies).
    pub(crate) fn postpone(&self, deadline: &mut Instant) {
        *deadline = (*deadline + self.late_by).max(self.now + self.grace);
    }
}

/// Stall detector.
#[derive(Clone, Debug)]
pub(crate) struct Lifeguard {
    threshold: Duration,
    grace: Duration,
    stalls: u64,
    worst: Duration,
    /// The latest tick checked (a due timer is not late before it).
    last_tick: Option<Instant>,
}

impl Lifeguard {
    /// A stall is a timer firing more than `keepalive` late; judged peers
    /// then get at least `min(2 × keepalive, deadtime)` more.
    pub(crate) fn new(keepalive: Duration, deadtime: Duration) -> Self {
        Lifeguard {
            threshold: keepalive,
            grace: (keepalive * 2).min(deadtime),
            stalls: 0,
            worst: Duration::ZERO,
            last_tick: None,
        }
    }

    /// Check a tick at `now` whose earliest due timer was `due`. Returns the
    /// lateness when it reveals a stall: how long after `due`, or after the
    /// previous tick if `due` was already past then, this tick came.
    pub(crate) fn check(&mut self, now: Instant, due: Option<Instant>) -> Option<Duration> {
        let previous = self
            .last_tick
            .replace(self.last_tick.map_or(now, |t| t.max(now)));
        let due = due?;
        let due = previous.map_or(due, |p| due.max(p));
        let lateness = now.saturating_duration_since(due);
        if lateness <= self.threshold {
            return None;
        }
        self.stalls += 1;
        self.worst = self.worst.max(lateness);
        Some(lateness)
    }

    /// The stall noticed at `now`, `late_by` late.
    pub(crate) fn stall(&self, now: Instant, late_by: Duration) -> Stall {
        Stall {
            now,
            late_by,
            grace: self.grace,
        }
    }

    /// Stalls seen so far.
    pub(crate) fn stalls(&self) -> u64 {
        self.stalls
    }

    /// Largest lateness seen.
    pub(crate) fn worst(&self) -> Duration {
        self.worst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_lateness_is_no_stall() {
        let t0 = Instant::now();
        let ka = Duration::from_millis(100);
        let mut l = Lifeguard::new(ka, Duration::from_secs(1));
        assert_eq!(l.check(t0 + ka, Some(t0)), None);
        assert_eq!(l.check(t0, None), None);
        assert_eq!(l.check(t0, Some(t0 + ka)), None, "early tick");
        let late = ka + Duration::from_millis(1);
        assert_eq!(l.check(t0 + ka + late, Some(t0 + ka)), Some(late));
        assert_eq!(l.stalls(), 1);
        assert_eq!(l.worst(), late);
        assert_eq!(l.stall(t0, late).grace, ka * 2);
    }

    /// A deadline armed in the past (a peer's death deadline recomputed at
    /// comm-up) fires at the next tick: late only from the previous tick on.
    #[test]
    fn a_deadline_armed_overdue_is_late_only_from_the_previous_tick() {
        let t0 = Instant::now();
        let ka = Duration::from_millis(100);
        let mut l = Lifeguard::new(ka, Duration::from_secs(1));
        let tick = t0 + ka * 10;
        assert_eq!(l.check(tick, Some(tick)), None);
        assert_eq!(l.check(tick, Some(t0)), None, "armed overdue at this tick");
        assert_eq!(l.stalls(), 0);
        let stalled = tick + ka * 3;
        assert_eq!(l.check(stalled, Some(t0)), Some(ka * 3), "a real stall");
    }
}
