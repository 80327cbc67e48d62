//! The engine's timer table: one deadline per [`Timer`], the next timeout
//! being the earliest of them.
//!
//! The keepalive deadline lives here only; the other entries hold the
//! earliest deadline of the part that owns them (a peer's death, a link's
//! silence, ...), refreshed by the engine after each input.

use std::time::Instant;

/// What a deadline is for, in the order [`TimerTable::expired`] yields them
/// (the order in which a tick handles them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Timer {
    /// Our next status.
    Keepalive,
    /// The earliest peer to declare dead.
    NodeDeath,
    /// The earliest ping node to declare dead.
    PingDeath,
    /// The earliest link to declare dead.
    LinkDeath,
    /// The earliest retransmission request to send.
    Rexmit,
    /// The earliest deadline of the resource layer.
    Resources,
    /// The earliest deadline of the safety part (a reset to retry, a
    /// watchdog wait that ends).
    Safety,
}

impl Timer {
    /// Every timer, in handling order.
    pub(crate) const ALL: [Timer; 7] = [
        Timer::Keepalive,
        Timer::NodeDeath,
        Timer::PingDeath,
        Timer::LinkDeath,
        Timer::Rexmit,
        Timer::Resources,
        Timer::Safety,
    ];
}

/// One optional deadline per [`Timer`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TimerTable {
    data: [Option<Instant>; Timer::ALL.len()],
}

impl TimerTable {
    /// Arm `timer` for `at`.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.data[timer as usize] = Some(at);
    }

    /// Disarm `timer`.
    pub(crate) fn stop(&mut self, timer: Timer) {
        self.data[timer as usize] = None;
    }

    /// Arm `timer` for `at`, or disarm it when `at` is `None`.
    pub(crate) fn set_or_stop(&mut self, timer: Timer, at: Option<Instant>) {
        self.data[timer as usize] = at;
    }

    /// When `timer` fires, if armed.
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.data[timer as usize]
    }

    /// Whether `timer` is armed and due at `now`.
    pub(crate) fn is_expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|at| at <= now)
    }

    /// The timers due at `now`, in handling order.
    pub(crate) fn expired(&self, now: Instant) -> impl Iterator<Item = Timer> + '_ {
        Timer::ALL
            .into_iter()
            .filter(move |&t| self.is_expired(t, now))
    }

    /// The earliest armed deadline.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.data.iter().flatten().min().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn earliest_armed_deadline_and_expiry_order() {
        let t0 = Instant::now();
        let ms = Duration::from_millis(1);
        let mut t = TimerTable::default();
        assert_eq!(t.next_timeout(), None);
        t.set(Timer::Resources, t0 + ms);
        t.set(Timer::Keepalive, t0 + 5 * ms);
        t.set_or_stop(Timer::NodeDeath, Some(t0 + 2 * ms));
        assert_eq!(t.next_timeout(), Some(t0 + ms));
        assert_eq!(
            t.expired(t0 + 2 * ms).collect::<Vec<_>>(),
            [Timer::NodeDeath, Timer::Resources]
        );
        t.stop(Timer::Resources);
        t.set_or_stop(Timer::NodeDeath, None);
        assert_eq!(t.next_timeout(), Some(t0 + 5 * ms));
        assert!(!t.is_expired(Timer::Keepalive, t0 + 4 * ms));
        assert!(t.is_expired(Timer::Keepalive, t0 + 5 * ms));
    }
}
