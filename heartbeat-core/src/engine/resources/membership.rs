//! Reactions to membership changes (comm-up, join, death, `Shutdone`), local
//! shutdown, and the reconciliation that makes the rightful node acquire every
//! unheld group.

use std::time::Instant;

use super::{handshake, nice, ownership, standby, Group, LocalState, Resources};
use crate::config::AutoFailback;
use crate::engine::Event;
use crate::wire::{Holdings, Message};

/// Communications are up with `peers_alive` alive.
pub(super) fn comm_up(r: &mut Resources, now: Instant, peers_alive: &[String]) {
    if r.comm_up {
        return;
    }
    r.comm_up = true;
    ownership::announce(r);
    r.peers = peers_alive
        .iter()
        .filter(|p| **p != r.me)
        .cloned()
        .collect();
    if r.policy != AutoFailback::Legacy {
        nice::begin(r, now);
    }
    // Legacy: `settle` -> `reconcile` requests our groups (and orphans we are
    // rightful for) with the handshake, or starts them if we are alone.
}

/// `node` became alive (first time, restart, or return after a partition).
pub(super) fn peer_joined(r: &mut Resources, now: Instant, node: &str) {
    if node == r.me || !r.peers.insert(node.to_owned()) {
        return;
    }
    // A returning node gets a fresh chance at groups that failed on it.
    for g in &mut r.groups {
        g.failed_on.remove(node);
    }
    if !r.comm_up || r.shutting_down {
        return;
    }
    // Tell everyone what we hold: if `node` runs a group we run too (it
    // restarted inside a partition, or declared us dead), the announcements
    // make the worse-ranked copy stop (see `ownership`).
    ownership::announce(r);
    if r.policy != AutoFailback::Legacy {
        nice::send_report(r, Some(node));
    }
    let _ = now;
}

/// `node` died or announced `Shutdone`: it holds nothing any more.
pub(super) fn peer_gone(r: &mut Resources, _now: Instant, node: &str) {
    if node == r.me {
        return;
    }
    r.peers.remove(node);
    nice::forget(r, node);
    standby::forget(r, node);
    ownership::forget(r, node);
    handshake::forget_peer(r, node);
    for g in &mut r.groups {
        g.failed_on.remove(node);
        g.owed.remove(node);
        // A departure or death is no news on its way: take over at once.
        g.orphaned_at = None;
        if g.owner.as_deref() == Some(node) {
            g.owner = None;
            g.refused = false;
        }
    }
}

/// Acquire every unheld group this node is the rightful holder of.
pub(super) fn reconcile(r: &mut Resources, now: Instant) {
    let grace = r.timers.orphan_grace;
    for g in &mut r.groups {
        if g.orphaned_at.is_some_and(|t| t + grace <= now) || g.owner.is_some() {
            g.orphaned_at = None;
        }
        if g.owner.as_ref().is_some_and(|o| *o != r.me) || !g.health.faulty {
            g.health.reclaim_if_unhealthy = false;
        }
    }
    if !r.comm_up || r.shutting_down {
        return;
    }
    if r.policy != AutoFailback::Legacy && !r.nice.is_stable() {
        return;
    }
    let legacy = r.policy == AutoFailback::Legacy;
    for i in 0..r.groups.len() {
        let g = &r.groups[i];
        // nice_failback: only groups nobody holds. Legacy: also reclaim from a
        // worse-ranked holder (pulls only go up the rank order: no ping-pong).
        let unheld = match g.owner.as_deref() {
            None => true,
            Some(o) => legacy && !g.refused && o != r.me && r.rank(i, &r.me) < r.rank(i, o),
        };
        let idle = unheld
            && g.orphaned_at.is_none()
            && g.state() == LocalState::Stopped
            && g.request.is_none()
            && !g.failed_on.contains(&r.me)
            && !r.standby.involves(i);
        let rightful = r.rightful(i, None);
        let reclaim = g.health.reclaim_if_unhealthy && g.owner.is_none() && rightful.is_none();
        if idle && (rightful.as_deref() == Some(r.me.as_str()) || reclaim) {
            handshake::acquire(r, now, i);
        }
    }
}

/// Local shutdown: cancel exchanges and stop every group.
pub(super) fn shutdown(r: &mut Resources) {
    if r.shutting_down {
        return;
    }
    r.shutting_down = true;
    standby::cancel_all(r);
    if r.comm_up && r.policy != AutoFailback::Legacy {
        let msg = Message::ResourceReport {
            holdings: Holdings::None,
            full: true,
            stable: false,
        };
        r.send(None, msg);
    }
    for i in 0..r.groups.len() {
        let g = &mut r.groups[i];
        g.request = None;
        if let Some(kind) = g.retry_failed_stop() {
            r.issue(i, Some(kind));
            continue;
        }
        // A stop in flight (a clean-up after a failed start, say) keeps its
        // follow-up; one queued behind a start stays queued.
        r.stop(i, |_| {});
    }
}

/// Report [`Event::ShutdownComplete`] once every group is stopped, or
/// [`Event::ShutdownIncomplete`] once no action is left to wait for but a
/// stop failed (again).
pub(super) fn check_shutdown(r: &mut Resources) {
    if !r.shutting_down || r.shutdown_reported {
        return;
    }
    let settled = |g: &&Group| matches!(g.state(), LocalState::Stopped | LocalState::Failed);
    if !r.groups.iter().all(|g| settled(&g)) {
        return;
    }
    r.shutdown_reported = true;
    let left_behind: Vec<String> = r
        .groups
        .iter()
        .filter(|g| g.state() == LocalState::Failed)
        .map(|g| g.key.clone())
        .collect();
    r.events.push_back(if left_behind.is_empty() {
        Event::ShutdownComplete
    } else {
        Event::ShutdownIncomplete { left_behind }
    });
}
