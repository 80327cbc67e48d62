//! The `IpRequest` / `IpRequestResp` handshake (Linux-HA `ip-request`), used
//! by every mode before a start and for hand-offs. (Double ownership after a
//! partition heal is resolved by the ownership announcements, not here.)
//!
//! Answers to an `IpRequest{g}` from `x`:
//! - we run, start or stop `g`: stop it (after the start in flight), then
//!   `we_own: true, ok: true`; if the stop fails, `we_own: true, ok: false`;
//! - our stop of `g` failed earlier: `we_own: true, ok: false`;
//! - we are requesting `g` ourselves and rank better than `x`:
//!   `we_own: false, ok: false` (`x` gives up);
//! - otherwise (we give up our own request, if any): `we_own: false, ok: true`.
//!
//! Unsolicited answers: `we_own: false, ok: true` hands the group over (after
//! the sender's failed start or standby release; the sender is then skipped
//! as a candidate); `we_own: true, ok: true` is a late release for a request
//! we gave up (the group is unheld; the rightful node takes it);
//! `we_own: true, ok: false` (an answer to a request we gave up meanwhile)
//! names the sender as the holder.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::group::{Group, Request};
use super::{LocalState, Resources};
use crate::config::AutoFailback;
use crate::wire::Message;

/// Acquire group `i`: start it at once when no peer is alive, otherwise ask
/// every live peer first.
pub(super) fn acquire(r: &mut Resources, now: Instant, i: usize) {
    if r.peers.is_empty() {
        r.groups[i].owner = Some(r.me.clone());
        r.start(i);
        return;
    }
    let peers = r.peers.clone();
    let retry = r.timers.retry;
    let g = &mut r.groups[i];
    g.request = Some(new_request(g, peers, now, retry));
    for p in r.peers.clone() {
        ask(r, i, &p);
    }
}

fn new_request(g: &Group, awaiting: BTreeSet<String>, now: Instant, retry: Duration) -> Request {
    let skip = g
        .owed
        .iter()
        .filter(|(p, n)| **n > 0 && awaiting.contains(*p))
        .map(|(p, n)| (p.clone(), *n))
        .collect();
    Request {
        awaiting,
        skip,
        retry_at: now + retry,
    }
}

/// Send an `IpRequest` for group `i` to `peer`, counting the answer we owe.
fn ask(r: &mut Resources, i: usize, peer: &str) {
    let g = &mut r.groups[i];
    *g.owed.entry(peer.to_owned()).or_default() += 1;
    let group = g.key.clone();
    r.send(Some(peer), Message::IpRequest { group });
}

/// Hand group `i`, which we no longer run, to the next rightful peer with an
/// unsolicited `we_own: false, ok: true`: after a failed start and its
/// clean-up stop, or after a standby release (so that a group the taker did
/// not expect is not left unheld). The receiver does not hand it back to us.
pub(super) fn hand_off(r: &mut Resources, i: usize) {
    if let Some(next) = r.rightful(i, Some(&r.me)) {
        let group = r.groups[i].key.clone();
        let msg = Message::IpRequestResp {
            group,
            we_own: false,
            ok: true,
        };
        r.send(Some(&next), msg);
    }
}

/// An `IpRequest` for `key` from `from` (answers: see the module doc).
pub(super) fn on_request(r: &mut Resources, _now: Instant, from: &str, key: &str) {
    let Some(i) = r.index(key) else { return };
    let (we_own, ok) = match r.groups[i].state() {
        LocalState::Failed => (true, false),
        LocalState::Running | LocalState::Starting | LocalState::Stopping => {
            r.groups[i].request = None; // our claim, if any, is moot
            r.stop(i, |after| {
                after.failed_start = false;
                *after.answer.entry(from.to_owned()).or_default() += 1;
            });
            return; // answered when the stop finishes
        }
        LocalState::Stopped => {
            let mine_better = r.rank(i, &r.me) < r.rank(i, from);
            let g = &mut r.groups[i];
            if g.request.is_some() && mine_better {
                (false, false)
            } else {
                g.request = None;
                g.owner = Some(from.to_owned());
                g.refused = false;
                (false, true)
            }
        }
    };
    let msg = Message::IpRequestResp {
        group: key.to_owned(),
        we_own,
        ok,
    };
    r.send(Some(from), msg);
}

/// An `IpRequestResp` for `key` from `from`: an answer to our request, or
/// unsolicited (see the module doc).
pub(super) fn on_response(
    r: &mut Resources,
    now: Instant,
    from: &str,
    key: &str,
    we_own: bool,
    ok: bool,
) {
    let Some(i) = r.index(key) else { return };
    let g = &mut r.groups[i];
    if let Some(n) = g.owed.get_mut(from) {
        *n = n.saturating_sub(1);
    }
    if let Some(req) = g.request.as_mut().filter(|q| q.awaiting.contains(from)) {
        if let Some(n) = req.skip.get_mut(from).filter(|n| **n > 0) {
            *n -= 1;
            return; // answer to an earlier request of ours: may be stale
        }
        req.awaiting.remove(from);
        if !ok {
            g.request = None;
            if g.state() == LocalState::Stopped {
                g.owner = Some(from.to_owned());
                g.refused = true;
            }
        } else if req.awaiting.is_empty() {
            complete(r, i);
        }
        return;
    }
    if g.state() != LocalState::Stopped || g.request.is_some() || r.shutting_down {
        return;
    }
    if we_own && !ok {
        // Announcement: the sender holds the group and keeps it.
        g.owner = Some(from.to_owned());
        g.refused = false;
        return;
    }
    let from_owner = g.owner.as_deref().is_none_or(|o| o == from);
    if we_own {
        // A late release for a request we gave up: the group is unheld now;
        // `reconcile` lets the rightful node take it.
        if from_owner {
            g.owner = None;
            g.refused = false;
        }
        return;
    }
    // A hand-off: the sender gave the group up (failed start or standby; in a
    // standby exchange our belief of its owner may be stale).
    let expected = from_owner || r.standby.taking_from(from);
    let g = &mut r.groups[i];
    if g.failed_on.contains(&r.me) || g.health.faulty || !expected {
        return;
    }
    g.failed_on.insert(from.to_owned());
    g.owner = None;
    g.refused = false;
    // Before comm-up (or before nice_failback settled) `reconcile` takes it
    // later; the sender picked us.
    let ready = r.comm_up && (r.policy == AutoFailback::Legacy || r.nice.is_stable());
    if ready {
        acquire(r, now, i);
    }
}

/// Every peer answered `ok`: start the group.
fn complete(r: &mut Resources, i: usize) {
    if r.groups[i].request.take().is_none() {
        return;
    }
    if !r.shutting_down && r.groups[i].state() == LocalState::Stopped {
        r.groups[i].owner = Some(r.me.clone());
        r.start(i);
    }
}

/// A peer is gone: it will not answer.
pub(super) fn forget_peer(r: &mut Resources, peer: &str) {
    for i in 0..r.groups.len() {
        let g = &mut r.groups[i];
        g.forget_requester(peer);
        if let Some(req) = g.request.as_mut() {
            if req.awaiting.remove(peer) && req.awaiting.is_empty() {
                complete(r, i);
            }
        }
    }
}

/// Resend unanswered requests that are due.
pub(super) fn on_timeout(r: &mut Resources, now: Instant) {
    let mut resend = Vec::new();
    for (i, g) in r.groups.iter_mut().enumerate() {
        if let Some(req) = g.request.as_mut().filter(|q| q.retry_at <= now) {
            req.retry_at = now + r.timers.retry;
            resend.extend(req.awaiting.iter().map(|p| (i, p.clone())));
        }
    }
    for (i, peer) in resend {
        ask(r, i, &peer);
    }
}
