//! The `IpRequest` / `IpRequestResp` handshake (Linux-HA `ip-request`), used
//! by every mode before a start and for hand-offs. (Double ownership after a
//! partition heal is resolved by the ownership announcements, not here.)
//!
//! Answers to an `IpRequest{g}` from `x`:
//! - we run, start or stop `g`: stop it (after the start in flight), then
//!   `we_own: true, ok: true`; if the stop fails, `we_own: true, ok: false`
//!   (the requester joins the stop's [`AfterStop`](super::group::AfterStop));
//! - our stop of `g` failed earlier: `we_own: true, ok: false`;
//! - we are requesting `g` ourselves and rank better than `x`:
//!   `we_own: false, ok: false` (`x` gives up);
//! - otherwise (we give up our own request, if any): `we_own: false, ok: true`.
//!
//! Unsolicited answers: `we_own: false, ok: true` hands the group over (after
//! the sender's failed start, standby release or health handover; the
//! sender is then skipped as a candidate); `we_own: true, ok: true` is a late release for a request
//! we gave up (the group is unheld; the rightful node takes it);
//! `we_own: true, ok: false` (an answer to a request we gave up meanwhile)
//! names the sender as the holder.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::group::Request;
use super::{LocalState, Resources};
use crate::config::AutoFailback;
use crate::wire::Message;

impl Request {
    /// A request to the peers `awaiting`, resent at `now + retry`. Answers still owed for earlier requests (`owed`, per
    /// peer) are skipped when they arrive.
    fn new(
        owed: &BTreeMap<String, u32>,
        awaiting: BTreeSet<String>,
        now: Instant,
        retry: Duration,
    ) -> Self {
        let skip = owed
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
}

impl Resources {
    /// Acquire group `i`: start it at once when no peer is alive, otherwise
    /// ask every live peer first.
    pub(super) fn acquire(&mut self, now: Instant, i: usize) {
        if !self.may_start() {
            return; // `reconcile` acquires it once starting is allowed
        }
        if self.peers.is_empty() {
            self.groups[i].owner = Some(self.me.clone());
            self.start(i);
            return;
        }
        let g = &mut self.groups[i];
        g.request = Some(Request::new(
            &g.owed,
            self.peers.clone(),
            now,
            self.timers.retry,
        ));
        for p in self.peers.clone() {
            self.ask(i, &p);
        }
    }

    /// Send an `IpRequest` for group `i` to `peer`, counting the answer we owe.
    pub(super) fn ask(&mut self, i: usize, peer: &str) {
        let g = &mut self.groups[i];
        *g.owed.entry(peer.to_owned()).or_default() += 1;
        let group = g.key.clone();
        self.send(Some(peer), Message::IpRequest { group });
    }

    /// Hand group `i`, which we no longer run, to the next rightful peer with
    /// an unsolicited `we_own: false, ok: true`: after a failed start and its
    /// clean-up stop, after a standby release (so that a group the taker did
    /// not expect is not left unheld), or for health. The receiver does not
    /// hand it back to us.
    pub(super) fn hand_off(&mut self, i: usize) {
        if let Some(next) = self.rightful(i, Some(&self.me)) {
            self.respond(&next, i, false, true);
        }
    }

    /// Send `IpRequestResp { we_own, ok }` for group `i` to `dest`.
    pub(super) fn respond(&mut self, dest: &str, i: usize, we_own: bool, ok: bool) {
        let msg = Message::IpRequestResp {
            group: self.groups[i].key.clone(),
            we_own,
            ok,
        };
        self.send(Some(dest), msg);
    }

    /// An `IpRequest` for `key` from `from` (answers: see the module doc).
    pub(super) fn on_request(&mut self, from: &str, key: &str) {
        let Some(i) = self.index(key) else { return };
        let (we_own, ok) = match self.groups[i].state() {
            LocalState::Failed => (true, false),
            LocalState::Running | LocalState::Starting | LocalState::Stopping => {
                self.groups[i].request = None; // our claim, if any, is moot
                self.stop(i, |after| {
                    after.failed_start = false;
                    *after.answer.entry(from.to_owned()).or_default() += 1;
                });
                return; // answered when the stop finishes
            }
            LocalState::Stopped => {
                let mine_better = self.rank(i, &self.me) < self.rank(i, from);
                let g = &mut self.groups[i];
                if g.request.is_some() && mine_better {
                    (false, false)
                } else {
                    g.request = None;
                    g.believe_owner(Some(from.to_owned()));
                    (false, true)
                }
            }
        };
        self.respond(from, i, we_own, ok);
    }

    /// An `IpRequestResp` for `key` from `from`: an answer to our request,
    /// or unsolicited (see the module doc).
    pub(super) fn on_response(
        &mut self,
        now: Instant,
        from: &str,
        key: &str,
        we_own: bool,
        ok: bool,
    ) {
        let Some(i) = self.index(key) else { return };
        let g = &mut self.groups[i];
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
                self.complete(i);
            }
            return;
        }
        if g.state() != LocalState::Stopped || g.request.is_some() || self.shutting_down {
            return;
        }
        if we_own && !ok {
            // Announcement: the sender holds the group and keeps it.
            g.believe_owner(Some(from.to_owned()));
            return;
        }
        let from_owner = g.owner.as_deref().is_none_or(|o| o == from);
        if we_own {
            // A late release for a request we gave up: the group is unheld
            // now; `reconcile` lets the rightful node take it.
            if from_owner {
                g.believe_owner(None);
            }
            return;
        }
        // A hand-off: the sender gave the group up (failed start, standby or
        // health; in a standby exchange our belief of its owner may be stale).
        let expected = from_owner || self.standby.taking_from(from);
        let g = &mut self.groups[i];
        if g.failed_on.contains(&self.me) || g.health.faulty || !expected {
            return;
        }
        g.failed_on.insert(from.to_owned());
        g.believe_owner(None);
        // Before comm-up (or before nice_failback settled) `reconcile` takes
        // it later; the sender picked us.
        let ready = self.comm_up && (self.policy == AutoFailback::Legacy || self.nice.is_stable());
        if ready {
            self.acquire(now, i);
        }
    }

    /// Every peer answered `ok`: start the group.
    fn complete(&mut self, i: usize) {
        if self.groups[i].request.take().is_none() {
            return;
        }
        let allowed = !self.shutting_down && self.may_start();
        if allowed && self.groups[i].state() == LocalState::Stopped {
            self.groups[i].owner = Some(self.me.clone());
            self.start(i);
        }
    }

    /// A peer is gone: it will not answer, nor wait for our answers.
    pub(super) fn forget_requests(&mut self, peer: &str) {
        for i in 0..self.groups.len() {
            let g = &mut self.groups[i];
            g.forget_requester(peer);
            if let Some(req) = g.request.as_mut() {
                if req.awaiting.remove(peer) && req.awaiting.is_empty() {
                    self.complete(i);
                }
            }
        }
    }

    /// Resend unanswered requests that are due.
    pub(super) fn retry_requests(&mut self, now: Instant) {
        let mut resend = Vec::new();
        for (i, g) in self.groups.iter_mut().enumerate() {
            if let Some(req) = g.request.as_mut().filter(|q| q.retry_at <= now) {
                req.retry_at = now + self.timers.retry;
                resend.extend(req.awaiting.iter().map(|p| (i, p.clone())));
            }
        }
        for (i, peer) in resend {
            self.ask(i, &peer);
        }
    }
}
