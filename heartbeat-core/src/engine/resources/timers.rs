//! The resource layer's waits, scaled from the configured heartbeat timers.
//!
//! Linux-HA uses fixed waits (10 s to settle, no retry at all); fixed waits
//! are too slow for a 10 ms keepalive and too eager for a 10 s one. Here each
//! wait is a few keepalives, never more than deadtime (by then a silent peer
//! is declared dead anyway, which unblocks whatever waited for it):
//!
//! | wait | value | what for |
//! | --- | --- | --- |
//! | `retry` | 2 × keepalive, at most deadtime | resend of an unanswered `IpRequest` |
//! | `settle` | 5 × keepalive, at most deadtime | nice_failback start-up without a stable peer report |
//! | `standby_reply` | 5 × keepalive, at most deadtime | a standby giver's wait for `Other` before it cancels (and may try again) |
//! | `announce` | 2 × keepalive, at most deadtime / 2, at least keepalive | period of the `Ownership` announcement after a change |
//! | `announce_max` | deadtime, at least `announce` | longest period of the `Ownership` announcement (steady state) |
//! | `reply_gap` | keepalive / 2 | least gap before an announcement answering a conflict, and between two answers to `Starting` |
//! | `orphan_grace` | keepalive | wait before taking a group whose holder announced it free (the new holder's announcement may still be on its way) |
//!
//! With Linux-HA's defaults (keepalive 2 s, deadtime 30 s) `settle` is the
//! familiar 10 s (so is `standby_reply`) and `retry` 4 s.

use std::time::Duration;

use crate::config::Timing;

/// Waits of the resource layer (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timers {
    /// Resend interval of an unanswered `IpRequest`.
    pub(crate) retry: Duration,
    /// nice_failback: how long a starting node waits for peer reports.
    pub(crate) settle: Duration,
    /// How long a standby giver waits for the taker's `Other`.
    pub(crate) standby_reply: Duration,
    /// Period of the `Ownership` announcement after a change.
    pub(crate) announce: Duration,
    /// Longest period of the `Ownership` announcement.
    pub(crate) announce_max: Duration,
    /// Least gap between two announcements when answering a conflict, and
    /// between two answers to `Starting`.
    pub(crate) reply_gap: Duration,
    /// Wait before acquiring a group whose believed holder announced it free.
    pub(crate) orphan_grace: Duration,
}

impl Timers {
    /// The waits for these heartbeat timers.
    pub(crate) fn new(timing: &Timing) -> Self {
        let ka = timing.keepalive.max(Duration::from_millis(1));
        let dt = timing.deadtime.max(ka);
        let announce = (ka * 2).min(dt / 2).max(ka);
        Timers {
            retry: (ka * 2).min(dt),
            settle: (ka * 5).min(dt),
            standby_reply: (ka * 5).min(dt),
            announce,
            announce_max: dt.max(announce),
            reply_gap: ka / 2,
            orphan_grace: ka,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(ka_ms: u64, dt_ms: u64) -> Timing {
        let ka = Duration::from_millis(ka_ms);
        let dt = Duration::from_millis(dt_ms);
        Timing {
            keepalive: ka,
            deadtime: dt,
            warntime: dt / 2,
            initdead: dt * 2,
            deadping: dt,
        }
    }

    #[test]
    fn linux_ha_defaults_give_the_familiar_waits() {
        let t = Timers::new(&timing(2_000, 30_000));
        assert_eq!(t.settle, Duration::from_secs(10));
        assert_eq!(t.standby_reply, Duration::from_secs(10));
        assert_eq!(t.retry, Duration::from_secs(4));
        assert_eq!(t.announce, Duration::from_secs(4));
        assert_eq!(t.announce_max, Duration::from_secs(30));
    }

    #[test]
    fn waits_never_exceed_deadtime() {
        let t = Timers::new(&timing(100, 300));
        assert_eq!(t.retry, Duration::from_millis(200));
        assert_eq!(t.settle, Duration::from_millis(300));
        assert_eq!(t.announce, Duration::from_millis(150));
    }
}
