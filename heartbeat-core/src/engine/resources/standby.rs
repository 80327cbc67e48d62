//! The standby protocol (`AskResources`, Linux-HA `ask_resources`), operator
//! standby / takeover, and auto-failback (`auto_failback on`).
//!
//! Exchange between a giver G and a taker T:
//! 1. G sends `AskResources{set, Me}` to T (both must be stable); G waits
//!    the `standby_reply` wait ([`Timers`](super::Timers)) for an answer,
//!    then cancels.
//! 2. T answers `Other`.
//! 3. G sends an unstable report, stops the moving groups, sends `Done`.
//! 4. T acquires the moving groups (handshake), sends `Done`; both send stable
//!    reports.
//!
//! The *moving* groups are computed the same way on both sides: groups G holds
//! whose class relative to G is in `set` and whose rightful node without G is
//! T. With two nodes that is exactly Linux-HA's "complementary set"; with more
//! nodes a standby runs one exchange per taker, one after the other.
//!
//! `takeover(set)` acquires every group of `set` (relative to this node) that
//! this node does not run, through the `IpRequest` handshake: the holder stops
//! and answers, as in Linux-HA's `ip-request` (instead of `hb_takeover`, which
//! has no message of its own here).
//!
//! Auto-failback: when a peer that sent `Starting` reports itself stable and
//! we hold groups it prefers, we run the exchange for our foreign set with it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::group::includes;
use super::{handshake, nice, LocalState, Resources};
use crate::config::AutoFailback;
use crate::wire::{Holdings, Message, StandbyPhase};

/// How long either side waits for the other's `Done` (Linux-HA: 1 hour).
pub(crate) const DONE_WAIT: Duration = Duration::from_secs(3600);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Giver: `Me` sent.
    AwaitOther,
    /// Giver: stopping the moving groups.
    Releasing,
    /// Giver: `Done` sent, waiting for the taker's.
    GiverDone,
    /// Taker: `Other` sent.
    AwaitDone,
    /// Taker: acquiring the moving groups.
    Acquiring,
}

#[derive(Clone, Debug)]
struct Exchange {
    peer: String,
    set: Holdings,
    moving: Vec<usize>,
    step: Step,
    deadline: Instant,
}

/// Standby bookkeeping: at most one exchange at a time, plus queued ones.
#[derive(Debug, Default)]
pub(super) struct Standby {
    exchange: Option<Exchange>,
    /// Operator standby exchanges still to run: (taker, set).
    queue: VecDeque<(String, Holdings)>,
}

impl Standby {
    /// Whether an exchange is under way.
    pub(super) fn busy(&self) -> bool {
        self.exchange.is_some()
    }

    /// When the exchange under way times out.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.exchange.as_ref().map(|x| x.deadline)
    }

    /// Whether an exchange with `peer` as the giver is under way here.
    pub(super) fn taking_from(&self, peer: &str) -> bool {
        self.exchange
            .as_ref()
            .is_some_and(|x| x.peer == peer && matches!(x.step, Step::AwaitDone | Step::Acquiring))
    }

    /// Whether group `i` moves in the current exchange.
    pub(super) fn involves(&self, i: usize) -> bool {
        self.exchange
            .as_ref()
            .is_some_and(|x| x.moving.contains(&i))
    }
}

fn nice_ready(r: &Resources) -> bool {
    r.policy != AutoFailback::Legacy && r.comm_up && !r.shutting_down && r.nice.is_stable()
}

/// Groups this node would give to `taker` for `set`.
fn giving(r: &Resources, set: Holdings, taker: &str) -> Vec<usize> {
    (0..r.groups.len())
        .filter(|&i| {
            let g = &r.groups[i];
            g.state() == LocalState::Running
                && includes(set, g.class_for(&r.me))
                && r.rightful(i, Some(&r.me)).as_deref() == Some(taker)
        })
        .collect()
}

/// Groups this node would take from `giver` for `set`.
fn taking(r: &Resources, set: Holdings, giver: &str) -> Vec<usize> {
    (0..r.groups.len())
        .filter(|&i| {
            let g = &r.groups[i];
            g.owner.as_deref() == Some(giver)
                && includes(set, g.class_for(giver))
                && r.rightful(i, Some(giver)).as_deref() == Some(r.me.as_str())
        })
        .collect()
}

/// Operator standby: queue one exchange per taker of the groups of `set`.
pub(super) fn standby_command(r: &mut Resources, _now: Instant, set: Holdings) {
    if !nice_ready(r) {
        return; // Linux-HA ignores standby in legacy mode and while unstable
    }
    let mut takers: Vec<String> = Vec::new();
    for i in 0..r.groups.len() {
        let g = &r.groups[i];
        if g.state() != LocalState::Running || !includes(set, g.class_for(&r.me)) {
            continue;
        }
        if let Some(t) = r.rightful(i, Some(&r.me)) {
            if !takers.contains(&t) {
                takers.push(t);
            }
        }
    }
    r.standby.queue.extend(takers.into_iter().map(|t| (t, set)));
}

/// Operator takeover: acquire the groups of `set` through the handshake.
pub(super) fn takeover_command(r: &mut Resources, now: Instant, set: Holdings) {
    if !nice_ready(r) {
        return;
    }
    for i in 0..r.groups.len() {
        let g = &mut r.groups[i];
        let wanted = includes(set, g.class_for(&r.me))
            && g.state() == LocalState::Stopped
            && g.request.is_none();
        if wanted && !r.standby.involves(i) {
            g.failed_on.remove(&r.me);
            g.owner = None;
            handshake::acquire(r, now, i);
        }
    }
}

/// Start the next queued standby exchange, or an auto-failback.
pub(super) fn maybe_start(r: &mut Resources, now: Instant) {
    if !nice_ready(r) || r.standby.busy() {
        return;
    }
    while let Some((taker, set)) = r.standby.queue.pop_front() {
        if !r.nice.stable_peers.contains(&taker) {
            continue; // "standby message ignored": taker not stable
        }
        let moving = giving(r, set, &taker);
        if !moving.is_empty() {
            begin(r, now, taker, set, moving);
            return;
        }
    }
    if r.policy != AutoFailback::On {
        return;
    }
    let candidates: Vec<String> = r
        .nice
        .returning
        .intersection(&r.nice.stable_peers)
        .cloned()
        .collect();
    for peer in candidates {
        let moving = giving(r, Holdings::Foreign, &peer);
        if moving.iter().any(|&i| r.groups[i].preferred == peer) {
            begin(r, now, peer, Holdings::Foreign, moving);
            return;
        }
        r.nice.returning.remove(&peer);
    }
}

fn begin(r: &mut Resources, now: Instant, taker: String, set: Holdings, moving: Vec<usize>) {
    let msg = Message::AskResources {
        holdings: set,
        phase: StandbyPhase::Me,
    };
    r.send(Some(&taker), msg);
    r.standby.exchange = Some(Exchange {
        peer: taker,
        set,
        moving,
        step: Step::AwaitOther,
        deadline: now + r.timers.standby_reply,
    });
}

/// An `AskResources` from `from`: a step of an exchange.
pub(super) fn on_ask(
    r: &mut Resources,
    now: Instant,
    from: &str,
    set: Holdings,
    phase: StandbyPhase,
) {
    if r.policy == AutoFailback::Legacy {
        return;
    }
    let step = r
        .standby
        .exchange
        .as_ref()
        .filter(|x| x.peer == from)
        .map(|x| x.step);
    match (phase, step) {
        (StandbyPhase::Me, _) => {
            // Only a stable node sends `Me`: its stable report may still be on
            // its way (sequenced messages are delivered as they arrive, not
            // put back in order), so take `Me` as one.
            r.nice.stable_peers.insert(from.to_owned());
            let ready = nice_ready(r) && !r.standby.busy();
            if !ready {
                return; // "standby message ignored"
            }
            let moving = taking(r, set, from);
            let msg = Message::AskResources {
                holdings: set,
                phase: StandbyPhase::Other,
            };
            r.send(Some(from), msg);
            r.standby.exchange = Some(Exchange {
                peer: from.to_owned(),
                set,
                moving,
                step: Step::AwaitDone,
                deadline: now + DONE_WAIT,
            });
        }
        (StandbyPhase::Other, Some(Step::AwaitOther)) => {
            let x = r.standby.exchange.as_mut().expect("exchange in progress");
            x.step = Step::Releasing;
            x.deadline = now + DONE_WAIT;
            let moving = x.moving.clone();
            nice::send_report(r, None); // unstable: standby in progress
            for i in moving {
                r.stop(i, |_| {});
            }
        }
        (StandbyPhase::Done, Some(Step::GiverDone)) => finish(r, from),
        (StandbyPhase::Done, Some(Step::AwaitDone)) => {
            let x = r.standby.exchange.as_mut().expect("exchange in progress");
            x.step = Step::Acquiring;
            let moving = x.moving.clone();
            for i in moving {
                let g = &mut r.groups[i];
                if g.state() == LocalState::Stopped && g.request.is_none() {
                    g.owner = None;
                    handshake::acquire(r, now, i);
                }
            }
        }
        _ => {} // stale or unexpected
    }
}

/// Move the exchange on once local actions finished.
pub(super) fn progress(r: &mut Resources, _now: Instant) {
    let Some(x) = r.standby.exchange.as_ref() else {
        return;
    };
    let groups = &r.groups;
    match x.step {
        Step::Releasing => {
            let released = x
                .moving
                .iter()
                .all(|&i| matches!(groups[i].state(), LocalState::Stopped | LocalState::Failed));
            if released {
                let (peer, set) = (x.peer.clone(), x.set);
                r.standby.exchange.as_mut().expect("exchange").step = Step::GiverDone;
                send_done(r, &peer, set);
            }
        }
        Step::Acquiring => {
            let settled = x
                .moving
                .iter()
                .all(|&i| !groups[i].busy() && groups[i].request.is_none());
            if settled {
                let (peer, set) = (x.peer.clone(), x.set);
                send_done(r, &peer, set);
                finish(r, &peer);
            }
        }
        _ => {}
    }
}

fn send_done(r: &mut Resources, peer: &str, set: Holdings) {
    let msg = Message::AskResources {
        holdings: set,
        phase: StandbyPhase::Done,
    };
    r.send(Some(peer), msg);
}

fn finish(r: &mut Resources, peer: &str) {
    r.standby.exchange = None;
    r.nice.returning.remove(peer);
    nice::send_report(r, None);
}

/// Cancel an exchange whose wait is over.
pub(super) fn on_timeout(r: &mut Resources, now: Instant) {
    if r.standby.deadline().is_some_and(|d| d <= now) {
        // "No reply to standby request. Standby request cancelled."
        r.standby.exchange = None;
        if r.comm_up {
            nice::send_report(r, None);
        }
    }
}

/// A peer died or left: drop the exchange with it.
pub(super) fn forget(r: &mut Resources, node: &str) {
    if r.standby.exchange.as_ref().is_some_and(|x| x.peer == node) {
        r.standby.exchange = None;
    }
    r.standby.queue.retain(|(t, _)| t != node);
}

/// Shutdown: no exchange any more.
pub(super) fn cancel_all(r: &mut Resources) {
    r.standby.exchange = None;
    r.standby.queue.clear();
}
