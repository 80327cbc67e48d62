//! Which ownership announcements of a peer are fresh enough to act on.
//!
//! Announcements are unsequenced (see `delivery`): they may be lost,
//! duplicated, reordered, replayed. One from a peer is delivered to the
//! resource layer only if
//! - its `serial` is above every serial seen from that peer generation (a
//!   late copy, a duplicate or a replay is not), and
//! - its high-water mark (envelope `seq`: the sender's highest sequenced
//!   number when it built the announcement) is not below a resource message
//!   of the same sender already delivered: an announcement built before a
//!   message we acted on (say, the `IpRequestResp` that let us start a group
//!   the sender had just stopped) is older news than that message.
//!
//! The serial is recorded even when the announcement is then not delivered
//! (peer dead, stale), so that a replay of it later is refused too.

/// Freshness state of one peer (one generation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Freshness {
    /// Highest announcement serial seen.
    last_serial: Option<u64>,
    /// Highest sequence number of a resource message delivered.
    resource_seq: u64,
}

impl Freshness {
    /// A resource message with sequence number `seq` was delivered.
    pub(crate) fn delivered(&mut self, seq: u64) {
        self.resource_seq = self.resource_seq.max(seq);
    }

    /// Whether an announcement with `serial` and `high_water` is news;
    /// records the serial either way.
    pub(crate) fn accept(&mut self, serial: u64, high_water: u64) -> bool {
        if self.last_serial.is_some_and(|s| serial <= s) {
            return false;
        }
        self.last_serial = Some(serial);
        high_water >= self.resource_seq
    }

    /// The peer restarted: a new generation numbers from scratch.
    pub(crate) fn reset(&mut self) {
        *self = Freshness::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_serials_only() {
        let mut f = Freshness::default();
        assert!(f.accept(5, 0));
        assert!(!f.accept(5, 0), "duplicate");
        assert!(!f.accept(4, 0), "late copy");
        assert!(f.accept(9, 0));
    }

    #[test]
    fn older_than_a_delivered_resource_message_is_dropped_but_recorded() {
        let mut f = Freshness::default();
        f.delivered(10);
        assert!(!f.accept(1, 9));
        assert!(!f.accept(1, 10), "the serial was recorded");
        assert!(f.accept(2, 10));
        assert!(f.accept(3, 12));
    }

    #[test]
    fn a_restart_starts_over() {
        let mut f = Freshness::default();
        f.delivered(10);
        assert!(f.accept(7, 10));
        f.reset();
        assert!(f.accept(1, 0));
    }
}
