//! Reactions to membership changes (comm-up, join, death, `Shutdone`), local
//! shutdown, and the reconciliation that makes the rightful node acquire every
//! unheld group.

use std::time::Instant;

use super::{Group, LocalState, Resources};
use crate::config::AutoFailback;
use crate::engine::Event;
use crate::wire::{Holdings, Message};

impl Resources {
    /// Communications are up with `peers_alive` alive.
    pub(super) fn on_comm_up(&mut self, now: Instant, peers_alive: &[String]) {
        if self.comm_up {
            return;
        }
        self.comm_up = true;
        self.ownership.announce();
        self.peers = peers_alive
            .iter()
            .filter(|p| **p != self.me)
            .cloned()
            .collect();
        if self.policy != AutoFailback::Legacy {
            self.begin_nice(now);
        }
        // Legacy: `settle` -> `reconcile` requests our groups (and orphans we
        // are rightful for) with the handshake, or starts them if we are alone.
    }

    /// `node` became alive (first time, restart, or return after a partition).
    pub(super) fn on_peer_joined(&mut self, node: &str) {
        if node == self.me || !self.peers.insert(node.to_owned()) {
            return;
        }
        // A returning node gets a fresh chance at groups that failed on it.
        for g in &mut self.groups {
            g.failed_on.remove(node);
        }
        if !self.comm_up || self.shutting_down {
            return;
        }
        self.include_in_requests(node);
        // Tell everyone what we hold: if `node` runs a group we run too (it
        // restarted inside a partition, or declared us dead), the
        // announcements make the worse-ranked copy stop (see `ownership`).
        self.ownership.announce();
        if self.policy != AutoFailback::Legacy {
            self.send_report(Some(node));
        }
    }

    /// `node` died or announced `Shutdone`: it holds nothing any more.
    pub(super) fn on_peer_gone(&mut self, node: &str) {
        if node == self.me {
            return;
        }
        self.peers.remove(node);
        self.forget_nice(node);
        self.standby.forget(node);
        self.ownership.forget(node);
        self.forget_requests(node);
        for g in &mut self.groups {
            g.failed_on.remove(node);
            // `owed` stays: if the same incarnation returns, it still answers
            // our earlier requests, in order (see `forget_owed`).
            // A departure or death is no news on its way: take over at once.
            g.orphaned_at = None;
            g.forget_owner(node);
        }
    }

    /// A peer restarted (a new generation): it will never answer the
    /// requests its previous incarnation owed us.
    pub(super) fn forget_owed(&mut self, node: &str) {
        for g in &mut self.groups {
            g.owed.remove(node);
        }
    }

    /// A peer joined while requests of ours are pending: it must answer
    /// them too (it may hold the group), skipping the answers it still owes
    /// to earlier requests.
    fn include_in_requests(&mut self, node: &str) {
        for i in 0..self.groups.len() {
            let g = &mut self.groups[i];
            let owed = g.owed.get(node).copied().unwrap_or(0);
            let Some(req) = g.request.as_mut() else {
                continue;
            };
            if !req.awaiting.insert(node.to_owned()) {
                continue;
            }
            if owed > 0 {
                req.skip.insert(node.to_owned(), owed);
            }
            self.ask(i, node);
        }
    }

    /// Acquire every unheld group this node is the rightful holder of.
    pub(super) fn reconcile(&mut self, now: Instant) {
        let grace = self.timers.orphan_grace;
        for g in &mut self.groups {
            if g.orphaned_at.is_some_and(|t| t + grace <= now) || g.owner.is_some() {
                g.orphaned_at = None;
            }
            if g.owner.as_ref().is_some_and(|o| *o != self.me) || !g.health.faulty {
                g.health.reclaim_if_unhealthy = false;
            }
        }
        if !self.comm_up || self.shutting_down || !self.may_start() || !self.rejoined(now) {
            return;
        }
        if self.policy != AutoFailback::Legacy && !self.nice.is_stable() {
            return;
        }
        let legacy = self.policy == AutoFailback::Legacy;
        for i in 0..self.groups.len() {
            let g = &self.groups[i];
            // nice_failback: only groups nobody holds. Legacy: also reclaim
            // from a worse-ranked holder (pulls only go up the rank order: no
            // ping-pong).
            let unheld = match g.owner.as_deref() {
                None => true,
                Some(o) => {
                    legacy && !g.refused && o != self.me && self.rank(i, &self.me) < self.rank(i, o)
                }
            };
            let idle = unheld
                && g.orphaned_at.is_none()
                && g.state() == LocalState::Stopped
                && g.request.is_none()
                && !g.failed_on.contains(&self.me)
                && !self.standby.involves(i);
            let rightful = self.rightful(i, None);
            let reclaim = g.health.reclaim_if_unhealthy && g.owner.is_none() && rightful.is_none();
            if idle && (rightful.as_deref() == Some(self.me.as_str()) || reclaim) {
                self.acquire(now, i);
            }
        }
    }

    /// Local shutdown: cancel exchanges and stop every group.
    pub(super) fn begin_shutdown(&mut self) {
        if self.shutting_down {
            return;
        }
        self.shutting_down = true;
        self.standby.cancel_all();
        if self.comm_up && self.policy != AutoFailback::Legacy {
            let msg = Message::ResourceReport {
                holdings: Holdings::None,
                full: true,
                stable: false,
            };
            self.send(None, msg);
        }
        for i in 0..self.groups.len() {
            let g = &mut self.groups[i];
            g.request = None;
            if let Some(kind) = g.retry_failed_stop() {
                self.issue(i, Some(kind));
                continue;
            }
            // A stop in flight (a clean-up after a failed start, say) keeps
            // its follow-up; one queued behind a start stays queued.
            self.stop(i, |_| {});
        }
    }

    /// Report [`Event::ShutdownComplete`] once every group is stopped, or
    /// [`Event::ShutdownIncomplete`] once no action is left to wait for but
    /// a stop failed (again).
    pub(super) fn check_shutdown(&mut self) {
        if !self.shutting_down || self.shutdown_reported {
            return;
        }
        let settled = |g: &Group| matches!(g.state(), LocalState::Stopped | LocalState::Failed);
        if !self.groups.iter().all(settled) {
            return;
        }
        self.shutdown_reported = true;
        let left_behind: Vec<String> = self
            .groups
            .iter()
            .filter(|g| g.state() == LocalState::Failed)
            .map(|g| g.key.clone())
            .collect();
        self.events.push_back(if left_behind.is_empty() {
            Event::ShutdownComplete
        } else {
            Event::ShutdownIncomplete { left_behind }
        });
    }
}
