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
use super::{ownership, Resources};
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

/// nice_failback bookkeeping.
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
}

/// Comm-up in a nice_failback mode.
pub(super) fn begin(r: &mut Resources, now: Instant) {
    if r.peers.is_empty() {
        r.nice.phase = Phase::Stable;
        return;
    }
    r.nice.phase = Phase::Starting {
        settle_at: now + r.timers.settle,
    };
    r.send(None, Message::Starting);
    r.nice.reported.clear();
    r.nice.announced.clear();
}

/// Settle once every live peer reported and announced its groups since our
/// `Starting`, and either one of them is stable or nobody holds anything.
/// Waiting for all of them (not just the first stable report, as Linux-HA
/// does) matters with three or more nodes: we then know who holds what.
fn check_settled(r: &mut Resources) {
    if !matches!(r.nice.phase, Phase::Starting { .. }) {
        return;
    }
    // Without groups nobody announces anything.
    let heard = |p: &String| {
        r.nice.reported.contains(p) && (r.nice.announced.contains(p) || r.groups.is_empty())
    };
    let all = r.peers.iter().all(heard);
    let any_stable = r.peers.iter().any(|p| r.nice.stable_peers.contains(p));
    let nobody_holds = r.peers.iter().all(|p| {
        r.nice.peer_holdings.get(p) == Some(&Holdings::None) && !r.ownership.heard_holding_any(p)
    });
    if all && (any_stable || nobody_holds) {
        become_stable(r);
    }
}

/// Peer `from` sent an ownership announcement.
pub(super) fn on_announced(r: &mut Resources, from: &str) {
    r.nice.announced.insert(from.to_owned());
    check_settled(r);
}

/// Send our full report to `dest` (all nodes if `None`).
pub(super) fn send_report(r: &mut Resources, dest: Option<&str>) {
    let stable = r.nice.is_stable() && !r.standby.busy() && !r.shutting_down;
    let msg = Message::ResourceReport {
        holdings: r.holdings(),
        full: true,
        stable,
    };
    r.send(dest, msg);
}

fn become_stable(r: &mut Resources) {
    r.nice.phase = Phase::Stable;
    send_report(r, None);
    // `settle` -> `reconcile` now takes the groups nobody holds.
}

/// A peer sent `Starting`: it (re)started and holds nothing.
pub(super) fn on_starting(r: &mut Resources, from: &str) {
    if r.policy == crate::config::AutoFailback::Legacy {
        return;
    }
    // The peer (re)started: it holds nothing. It waits for our report and
    // announcement (see `flush_reply`).
    ownership::forget(r, from);
    r.nice.stable_peers.remove(from);
    r.nice.returning.insert(from.to_owned());
    r.nice.peer_holdings.insert(from.to_owned(), Holdings::None);
    for g in &mut r.groups {
        if g.owner.as_deref() == Some(from) {
            g.owner = None;
            g.refused = false;
        }
    }
    if r.comm_up {
        r.nice.reply_pending = true;
    } else {
        ownership::announce(r);
    }
}

/// End of every input: answer the pending `Starting`s with one report and
/// one announcement, unless we answered less than `reply_gap` ago.
pub(super) fn flush_reply(r: &mut Resources, now: Instant) {
    let gap_over = r
        .nice
        .last_reply_at
        .is_none_or(|t| now >= t + r.timers.reply_gap);
    if !r.nice.reply_pending || !gap_over {
        return;
    }
    r.nice.reply_pending = false;
    r.nice.last_reply_at = Some(now);
    ownership::announce(r);
    send_report(r, None);
}

/// A `ResourceReport` from `from`: its holdings and whether it is stable.
pub(super) fn on_report(
    r: &mut Resources,
    _now: Instant,
    from: &str,
    holdings: Holdings,
    full: bool,
    stable: bool,
) {
    let known = r.nice.peer_holdings.get(from).copied().unwrap_or_default();
    let holdings = if full {
        holdings
    } else {
        union(known, holdings)
    };
    r.nice.peer_holdings.insert(from.to_owned(), holdings);
    if stable {
        r.nice.stable_peers.insert(from.to_owned());
    } else {
        r.nice.stable_peers.remove(from);
    }
    // A holdings set names groups only by class relative to the sender. "Not
    // held" is exact for every group of the class; "held" is exact for the
    // sender's local groups, and for foreign ones only in a two-node cluster
    // (with more nodes, per-group announcements and claims tell us instead).
    let exact_foreign = r.nodes.len() <= 2;
    for g in &mut r.groups {
        let class = g.class_for(from);
        let covered = includes(holdings, class);
        match g.owner.as_deref() {
            None if covered && (class == Holdings::Local || exact_foreign) => {
                g.owner = Some(from.to_owned());
            }
            Some(o) if o == from && !covered => {
                g.owner = None;
                g.refused = false;
            }
            _ => {}
        }
    }
    r.nice.reported.insert(from.to_owned());
    check_settled(r);
}

/// Settle without reports once the wait is over.
pub(super) fn on_timeout(r: &mut Resources, now: Instant) {
    if let Phase::Starting { settle_at } = r.nice.phase {
        if settle_at <= now {
            become_stable(r);
        }
    }
}

/// A peer died or left.
pub(super) fn forget(r: &mut Resources, node: &str) {
    r.nice.peer_holdings.remove(node);
    r.nice.stable_peers.remove(node);
    r.nice.returning.remove(node);
    r.nice.reported.remove(node);
    r.nice.announced.remove(node);
    check_settled(r);
}
