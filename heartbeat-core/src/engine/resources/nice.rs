//! nice_failback start-up (`auto_failback on|off`): `Starting` and
//! `ResourceReport` (Linux-HA `t=starting`, `t=resource`).
//!
//! At comm-up a node with live peers sends `Starting` and waits until every
//! live peer has answered with a report and an ownership announcement; it
//! becomes stable then if one of them is stable, or at once if nobody holds
//! anything (a cold start of the whole cluster: no fixed wait). Without
//! either it settles after the `settle` wait ([`Timers`](super::Timers)).
//! Only once stable does it acquire the groups nobody holds that it is
//! rightful for. Reports update our belief of who holds what: a holdings set
//! only says "local" / "foreign" relative to the sender, so for a foreign
//! group whose holder we already know the report does not change that belief
//! (exact with two nodes, the Linux-HA case); the per-group announcements
//! make beliefs exact with any number of nodes.
//!
//! The answer to a `Starting` (our full report, broadcast, and an ownership
//! announcement) goes out at once, but at most once per `reply_gap`: the
//! `Starting`s that arrive meanwhile are answered together at the end of
//! the gap. When a whole cluster of n nodes starts at once, each node thus
//! answers about twice instead of n − 1 times (n² broadcasts otherwise).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::group::{includes, union};
use super::Resources;
use crate::config::AutoFailback;
use crate::wire::{Holdings, Message};

/// Start-up phase of this node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// Communications not up yet.
    #[default]
    Init,
    /// `Starting` sent; waiting for a stable report until the deadline.
    Starting {
        /// When to settle without a stable report.
        settle_at: Instant,
    },
    /// Start-up finished.
    Stable,
}

/// nice_failback bookkeeping: the start-up phase and what peers reported.
#[derive(Debug, Default)]
pub(super) struct Nice {
    phase: Phase,
    /// Last known holdings of each peer.
    peer_holdings: BTreeMap<String, Holdings>,
    /// Peers whose last report said `stable`.
    pub(super) stable_peers: BTreeSet<String>,
    /// Peers that sent `Starting` and may get their groups back (auto-failback).
    pub(super) returning: BTreeSet<String>,
    /// Peers that sent a report since our `Starting`.
    reported: BTreeSet<String>,
    /// Peers that sent an ownership announcement since our `Starting`.
    announced: BTreeSet<String>,
    /// A `Starting` is waiting for our report and announcement.
    reply_pending: bool,
    /// When we last answered a `Starting`.
    last_reply_at: Option<Instant>,
}

impl Nice {
    /// Whether start-up is over.
    pub(super) fn is_stable(&self) -> bool {
        self.phase == Phase::Stable
    }

    /// When start-up settles without reports (while starting), or when a
    /// pending answer to a `Starting` may go out, whichever is first.
    pub(super) fn deadline(&self, reply_gap: Duration) -> Option<Instant> {
        let settle = match self.phase {
            Phase::Starting { settle_at } => Some(settle_at),
            _ => None,
        };
        let reply = self
            .last_reply_at
            .filter(|_| self.reply_pending)
            .map(|t| t + reply_gap);
        settle.into_iter().chain(reply).min()
    }

    /// Start-up begins (`Starting` sent): wait for reports until `settle_at`.
    fn begin(&mut self, settle_at: Instant) {
        self.phase = Phase::Starting { settle_at };
        self.reported.clear();
        self.announced.clear();
    }

    /// Whether start-up waits for reports and the wait is over at `now`.
    fn settle_due(&self, now: Instant) -> bool {
        matches!(self.phase, Phase::Starting { settle_at } if settle_at <= now)
    }

    /// Record a report of `from`; returns its holdings (a partial report is
    /// added to what it held).
    fn record_report(
        &mut self,
        from: &str,
        holdings: Holdings,
        full: bool,
        stable: bool,
    ) -> Holdings {
        let known = self.peer_holdings.get(from).copied().unwrap_or_default();
        let holdings = if full {
            holdings
        } else {
            union(known, holdings)
        };
        self.peer_holdings.insert(from.to_owned(), holdings);
        if stable {
            self.stable_peers.insert(from.to_owned());
        } else {
            self.stable_peers.remove(from);
        }
        self.reported.insert(from.to_owned());
        holdings
    }

    /// `from` (re)started: it holds nothing, is not stable, and may get its
    /// groups back.
    fn record_starting(&mut self, from: &str) {
        self.stable_peers.remove(from);
        self.returning.insert(from.to_owned());
        self.peer_holdings.insert(from.to_owned(), Holdings::None);
    }

    /// Whether the pending answer to `Starting`s may go out at `now` (at
    /// most one per `reply_gap`); if so it is no longer pending.
    fn take_reply(&mut self, now: Instant, reply_gap: Duration) -> bool {
        let gap_over = self.last_reply_at.is_none_or(|t| now >= t + reply_gap);
        if !self.reply_pending || !gap_over {
            return false;
        }
        self.reply_pending = false;
        self.last_reply_at = Some(now);
        true
    }

    /// A peer died or left.
    fn forget(&mut self, node: &str) {
        self.peer_holdings.remove(node);
        self.stable_peers.remove(node);
        self.returning.remove(node);
        self.reported.remove(node);
        self.announced.remove(node);
    }
}

impl Resources {
    /// Comm-up in a nice_failback mode: alone, stable at once; otherwise
    /// send `Starting` and wait for the peers.
    pub(super) fn begin_nice(&mut self, now: Instant) {
        if self.peers.is_empty() {
            self.nice.phase = Phase::Stable;
            return;
        }
        self.nice.begin(now + self.timers.settle);
        self.send(None, Message::Starting);
    }

    /// Settle once every live peer reported and announced its groups since
    /// our `Starting`, and either one of them is stable or nobody holds
    /// anything. Waiting for all of them (not just the first stable report,
    /// as Linux-HA does) matters with three or more nodes: we then know who
    /// holds what.
    fn check_settled(&mut self) {
        if !matches!(self.nice.phase, Phase::Starting { .. }) {
            return;
        }
        let nice = &self.nice;
        // Without groups nobody announces anything.
        let heard = |p: &String| {
            nice.reported.contains(p) && (nice.announced.contains(p) || self.groups.is_empty())
        };
        let all = self.peers.iter().all(heard);
        let any_stable = self.peers.iter().any(|p| nice.stable_peers.contains(p));
        let nobody_holds = self.peers.iter().all(|p| {
            nice.peer_holdings.get(p) == Some(&Holdings::None)
                && !self.ownership.heard_holding_any(p)
        });
        if all && (any_stable || nobody_holds) {
            self.become_stable();
        }
    }

    /// Peer `from` sent an ownership announcement.
    pub(super) fn nice_heard_announcement(&mut self, from: &str) {
        self.nice.announced.insert(from.to_owned());
        self.check_settled();
    }

    /// Send our full report to `dest` (all nodes if `None`).
    pub(super) fn send_report(&mut self, dest: Option<&str>) {
        let stable = self.nice.is_stable() && !self.standby.busy() && !self.shutting_down;
        let msg = Message::ResourceReport {
            holdings: self.holdings(),
            full: true,
            stable,
        };
        self.send(dest, msg);
    }

    /// Start-up is over: say so with a stable report.
    fn become_stable(&mut self) {
        self.nice.phase = Phase::Stable;
        self.send_report(None);
        // `settle` -> `reconcile` now takes the groups nobody holds.
    }

    /// A peer sent `Starting`: it (re)started and holds nothing. It waits
    /// for our report and announcement (see `flush_reply`).
    pub(super) fn on_starting(&mut self, from: &str) {
        if self.policy == AutoFailback::Legacy {
            return;
        }
        self.ownership.forget(from);
        self.nice.record_starting(from);
        for g in &mut self.groups {
            g.forget_owner(from);
        }
        if self.comm_up {
            self.nice.reply_pending = true;
        } else {
            self.ownership.announce();
        }
    }

    /// End of every input: answer the pending `Starting`s with one report
    /// and one announcement, unless we answered less than `reply_gap` ago.
    pub(super) fn flush_reply(&mut self, now: Instant) {
        if self.nice.take_reply(now, self.timers.reply_gap) {
            self.ownership.announce();
            self.send_report(None);
        }
    }

    /// A `ResourceReport` from `from`: its holdings and whether it is stable.
    pub(super) fn on_report(&mut self, from: &str, holdings: Holdings, full: bool, stable: bool) {
        let holdings = self.nice.record_report(from, holdings, full, stable);
        // A holdings set names groups only by class relative to the sender.
        // "Not held" is exact for every group of the class; "held" is exact
        // for the sender's local groups, and for foreign ones only in a
        // two-node cluster (with more nodes, per-group announcements and
        // claims tell us instead).
        let exact_foreign = self.nodes.len() <= 2;
        for g in &mut self.groups {
            let class = g.class_for(from);
            let covered = includes(holdings, class);
            match g.owner.as_deref() {
                None if covered && (class == Holdings::Local || exact_foreign) => {
                    g.owner = Some(from.to_owned());
                }
                Some(o) if o == from && !covered => g.believe_owner(None),
                _ => {}
            }
        }
        self.check_settled();
    }

    /// Settle without reports once the wait is over.
    pub(super) fn nice_timeout(&mut self, now: Instant) {
        if self.nice.settle_due(now) {
            self.become_stable();
        }
    }

    /// A peer died or left.
    pub(super) fn forget_nice(&mut self, node: &str) {
        self.nice.forget(node);
        self.check_settled();
    }
}
