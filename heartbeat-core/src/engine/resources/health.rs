//! Service health of groups: tracked checks run by the driver report each
//! group healthy or faulty on this node ([`Resources::set_health`]); the
//! ownership announcements carry every node's fault bits to its peers.
//!
//! # Rules
//!
//! - A group is faulty here while one of its tracked checks fails, or while
//!   every ping node is lost ([`Resources::set_ping_lost`]: this node lost
//!   the network, so a peer that still reaches a ping node should serve).
//! - A node whose group is faulty is no candidate for it: it is skipped by
//!   `Resources::rightful` (so it neither acquires it nor is handed it),
//!   and it refuses a hand-off of it.
//! - **Handover.** The owner of a group that turns faulty stops it and hands
//!   it to the rightful healthy peer (an unsolicited `we_own: false, ok:
//!   true`, the same hand-off as after a failed start; the taker then runs
//!   the usual `IpRequest` handshake before its start), as soon as a live
//!   peer has announced the group healthy. Until then it keeps the group and
//!   reports [`Event::GroupKeptFaulty`] once per fault.
//! - **Recovery.** Nothing moves when a group turns healthy again except as
//!   `auto_failback` says: `legacy` reclaims by rank (the preferred node
//!   pulls its group back through the handshake); `on` gives it back as to
//!   a returning node (the holder, on hearing the preferred node announce
//!   the group healthy again, starts the usual failback exchange with it);
//!   `off` leaves the group where it runs. Damping is the checks'
//!   `rise`/`fall`: the engine hands a group over at most once per fault
//!   report.
//! - **No healthy taker after all.** If the chosen peer turned faulty too
//!   before it could take the group (a lost gateway usually hits every node
//!   at once), it refuses the hand-off; once no live node is healthy for the
//!   group, the node that handed it over takes it back (it would have kept
//!   it had it known), so the group is not left stopped.
//! - A peer that never announced fault bits counts as healthy for rank, but
//!   a handover waits for an announcement from the taker.

use super::group::Then;
use super::{LocalState, Resources};
use crate::config::AutoFailback;
use crate::engine::Event;

impl Resources {
    /// The driver reports group `key`'s tracked checks passing or failing.
    pub(super) fn record_check(&mut self, key: &str, healthy: bool) {
        let Some(i) = self.index(key) else { return };
        self.groups[i].health.check_failed = !healthy;
        if self.refresh_health(i) {
            self.ownership.announce();
        }
    }

    /// Every ping node is lost (`true`) or one answers again.
    pub(super) fn record_ping_lost(&mut self, lost: bool) {
        if self.ping_lost == lost {
            return;
        }
        self.ping_lost = lost;
        let mut changed = false;
        for i in 0..self.groups.len() {
            changed |= self.refresh_health(i);
        }
        if changed {
            self.ownership.announce();
        }
    }

    /// Recompute whether group `i` is faulty here; on a change, report
    /// [`Event::GroupHealth`]. Returns whether it changed.
    fn refresh_health(&mut self, i: usize) -> bool {
        let g = &mut self.groups[i];
        if !g.health.refresh(self.ping_lost) {
            return false;
        }
        self.events.push_back(Event::GroupHealth {
            group: g.key.clone(),
            healthy: !g.health.faulty,
        });
        true
    }

    /// `node` announced group `i` healthy again after a fault: under
    /// `auto_failback on`, a group it prefers goes back to it as to a
    /// returning node (see `standby`).
    pub(super) fn peer_recovered(&mut self, node: &str, i: usize) {
        if self.policy == AutoFailback::On && self.groups[i].preferred == node {
            self.nice.returning.insert(node.to_owned());
        }
    }

    /// Hand every faulty group we run to a healthy peer, or report that we
    /// keep it (see the module doc).
    pub(super) fn hand_over_faulty(&mut self) {
        if !self.comm_up || self.shutting_down {
            return;
        }
        for i in 0..self.groups.len() {
            let g = &self.groups[i];
            // Running: no stop asked for yet (a health handover stops at once).
            let eligible = g.health.faulty
                && g.state() == LocalState::Running
                && g.request.is_none()
                && !self.standby.involves(i);
            if !eligible {
                continue;
            }
            let taker = self
                .rightful(i, Some(&self.me))
                .filter(|p| self.ownership.heard_from(p));
            let g = &mut self.groups[i];
            match taker {
                Some(to) => {
                    g.health.fault_reported = true;
                    let group = g.key.clone();
                    self.events.push_back(Event::GroupHandedOver { group, to });
                    self.stop(i, |after| after.then = Then::HandOverForHealth);
                }
                None if !g.health.fault_reported => {
                    g.health.fault_reported = true;
                    let group = g.key.clone();
                    self.events.push_back(Event::GroupKeptFaulty { group });
                }
                None => {}
            }
        }
    }
}
