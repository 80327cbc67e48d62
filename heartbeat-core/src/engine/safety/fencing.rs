//! Fencing: which dead peers must be reset before their groups may start
//! elsewhere, who resets them, and the retries.
//!
//! # Rules
//!
//! - A peer declared dead (not after a graceful departure) is *unsafe*
//!   until it was reset, the operator confirmed it down, or (when the
//!   cluster relies on watchdogs, see `super`) its watchdog must have
//!   reset it. While any peer is unsafe no group starts here.
//! - Exactly one node resets it: the first node in configuration order,
//!   among this node and the peers alive here, that has a device for it
//!   ([`crate::config::Safety::can_fence`]). Every node computes the same
//!   fencer from the same view; if the fencer dies, the next one takes
//!   over.
//! - The fencer announces a success as [`Message::Fenced`] with the
//!   target's generation; a receiver keeps it, so a node that declares the
//!   target dead later (it heard it longer) does not wait again.
//! - A failed reset is tried again after 1 s, doubling up to
//!   [`MAX_BACKOFF`].
//! - With quorum off (two nodes), the node with the lower fence priority
//!   waits `fence_delay` before it fences: a node that holds a group beats
//!   one that holds none, and between equals the one listed first wins. A
//!   cut link between two live nodes then ends with the owner alive.
//!
//! [`Message::Fenced`]: crate::wire::Message::Fenced

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// Longest wait between two tries of a failing reset.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// First wait after a failed reset.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// How many fence results the history keeps.
pub(crate) const HISTORY_LEN: usize = 32;

/// A dead peer whose groups wait.
#[derive(Clone, Debug)]
pub(crate) struct Unsafe {
    /// Its generation when it was declared dead (0: never heard).
    pub(crate) generation: u64,
    /// When it was declared dead.
    pub(crate) since: Instant,
    /// No reset starts before this instant (fence delay, backoff).
    pub(crate) not_before: Instant,
    /// Tries that failed so far.
    pub(crate) failures: u32,
    /// Whether [`super::Event::TakeoverHeld`] was reported.
    pub(crate) reported: bool,
}

/// One result in the fence history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FenceRecord {
    /// The node reset.
    pub target: String,
    /// The node that reset it (or that the operator confirmed it on).
    pub by: String,
    /// Device, agent, or `operator`.
    pub method: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// When the result was known here.
    pub at: Instant,
}

/// Fencing state of one node.
#[derive(Debug, Default)]
pub(crate) struct Fencing {
    /// Dead peers whose groups wait, by name.
    pub(crate) unsafe_peers: BTreeMap<String, Unsafe>,
    /// Resets requested from the driver and not finished.
    pub(crate) in_flight: BTreeSet<String>,
    /// Per node, the generation whose reset is known (from us or a peer).
    pub(crate) fenced: BTreeMap<String, u64>,
    /// The latest results, oldest first.
    pub(crate) history: Vec<FenceRecord>,
}

impl Fencing {
    /// Peer `node` in generation `generation` died at `now`; it is unsafe
    /// unless its reset in this generation is already known. `delay`: the
    /// fence delay that applies to this node.
    pub(crate) fn peer_died(
        &mut self,
        now: Instant,
        node: &str,
        generation: u64,
        delay: Duration,
    ) -> bool {
        if generation != 0 && self.fenced.get(node) == Some(&generation) {
            return false;
        }
        self.unsafe_peers.insert(
            node.to_owned(),
            Unsafe {
                generation,
                since: now,
                not_before: now + delay,
                failures: 0,
                reported: false,
            },
        );
        true
    }

    /// Peer `node` is alive again (or departed): nothing waits for it.
    pub(crate) fn peer_safe(&mut self, node: &str) {
        self.unsafe_peers.remove(node);
    }

    /// `node` in `generation` (0: unknown) was reset: remembered, and it is
    /// no longer unsafe when its death was of that generation. Returns
    /// whether it was unsafe.
    pub(crate) fn reset_known(&mut self, node: &str, generation: u64) -> bool {
        if generation != 0 {
            self.fenced.insert(node.to_owned(), generation);
        }
        let matches = self
            .unsafe_peers
            .get(node)
            .is_some_and(|u| generation == 0 || u.generation == generation);
        if matches {
            self.unsafe_peers.remove(node);
        }
        matches
    }

    /// A reset of `node` by this node failed at `now`: the next try waits.
    /// Returns the wait and the number of the failed try.
    pub(crate) fn reset_failed(&mut self, now: Instant, node: &str) -> Option<(Duration, u32)> {
        let u = self.unsafe_peers.get_mut(node)?;
        u.failures += 1;
        let wait = backoff(u.failures);
        u.not_before = now + wait;
        Some((wait, u.failures))
    }

    /// Add a result to the history.
    pub(crate) fn record(&mut self, record: FenceRecord) {
        if self.history.len() == HISTORY_LEN {
            self.history.remove(0);
        }
        self.history.push(record);
    }
}

/// Wait after the `failures`-th failed try: 1 s, doubling, at most
/// [`MAX_BACKOFF`].
pub(crate) fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    (FIRST_BACKOFF * (1u32 << doublings)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(4), Duration::from_secs(8));
        assert_eq!(backoff(7), MAX_BACKOFF);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn a_known_reset_of_the_same_generation_clears_a_later_death() {
        let now = Instant::now();
        let mut f = Fencing::default();
        assert!(!f.reset_known("b", 7), "b alive: nothing waited");
        assert!(!f.peer_died(now, "b", 7, Duration::ZERO), "already reset");
        assert!(
            f.peer_died(now, "b", 8, Duration::ZERO),
            "a new incarnation"
        );
        assert!(!f.reset_known("b", 7), "an old reset does not clear it");
        assert!(f.reset_known("b", 8));
        assert!(f.unsafe_peers.is_empty());
    }

    #[test]
    fn failures_push_the_next_try_back() {
        let now = Instant::now();
        let mut f = Fencing::default();
        f.peer_died(now, "b", 1, Duration::ZERO);
        assert_eq!(f.reset_failed(now, "b"), Some((Duration::from_secs(1), 1)));
        assert_eq!(f.reset_failed(now, "b"), Some((Duration::from_secs(2), 2)));
        assert_eq!(f.unsafe_peers["b"].not_before, now + Duration::from_secs(2));
        assert_eq!(f.reset_failed(now, "x"), None);
    }

    #[test]
    fn history_is_bounded() {
        let now = Instant::now();
        let mut f = Fencing::default();
        for i in 0..HISTORY_LEN + 5 {
            f.record(FenceRecord {
                target: format!("n{i}"),
                by: "a".into(),
                method: "m".into(),
                ok: true,
                at: now,
            });
        }
        assert_eq!(f.history.len(), HISTORY_LEN);
        assert_eq!(f.history[0].target, "n5");
    }
}
