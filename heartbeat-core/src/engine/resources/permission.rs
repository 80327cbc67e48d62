//! What the safety part allows (see `engine::safety`): without quorum every
//! group stops and none starts; while a dead peer waits for its reset,
//! running groups keep running and none starts.
//!
//! Every start goes through [`Resources::acquire`] or the end of a
//! handshake (`complete`); both ask [`Resources::may_start`]. A start that
//! is refused is simply not begun: once starting is allowed again,
//! `reconcile` acquires what this node is rightful for.
//!
//! A node that regains quorum knows nothing of what the others ran
//! meanwhile (it believed them dead): before it acquires anything it waits
//! until every live peer announced its groups, or `announce_max` (deadtime)
//! passed (a peer that never announces: a Heartbeat node). Otherwise the
//! preferred node would pull its group back from the node that took it
//! over: the announcement a peer sends when it sees us return may arrive
//! before its status, while it is still dead here, and is then ignored; its
//! next periodic one (after `announce`) is the one we wait for.

use std::time::Instant;

use super::group::Then;
use super::{LocalState, Resources};
use crate::engine::safety::Permission;

impl Resources {
    /// The safety part allows `permission` from now on.
    pub(crate) fn set_permission(&mut self, now: Instant, permission: Permission) {
        let before = std::mem::replace(&mut self.permission, permission);
        if permission == Permission::Stop && before != Permission::Stop {
            self.stop_everything();
        }
        if before == Permission::Stop && permission != Permission::Stop {
            self.rejoin_until = Some(now + self.timers.announce_max);
        }
        self.settle(now);
    }

    /// Whether a group may start here now.
    pub(super) fn may_start(&self) -> bool {
        self.permission == Permission::Run
    }

    /// Whether `reconcile` may acquire groups at `now`: not while a node
    /// that regained quorum still waits for the peers' announcements.
    pub(super) fn rejoined(&mut self, now: Instant) -> bool {
        let Some(until) = self.rejoin_until else {
            return true;
        };
        let heard_all = self.peers.iter().all(|p| self.ownership.heard_from(p));
        if heard_all || now >= until {
            self.rejoin_until = None;
        }
        self.rejoin_until.is_none()
    }

    /// Quorum lost: give up requests and queued standby exchanges, stop
    /// every group that runs or starts here (a failed one cannot be
    /// stopped). Nobody is handed anything: the majority takes the groups.
    /// A standby exchange under way runs to its end (its starts are refused
    /// like any other), so that its peer is not left waiting for our `Done`
    /// with the moving groups tied to the exchange.
    fn stop_everything(&mut self) {
        self.standby.clear_queue();
        for i in 0..self.groups.len() {
            self.groups[i].request = None;
            if matches!(
                self.groups[i].state(),
                LocalState::Running | LocalState::Starting
            ) {
                self.stop(i, |after| {
                    after.failed_start = false;
                    after.then = Then::Release;
                });
            }
        }
    }
}
