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
use super::{LocalState, Resources};
use crate::config::AutoFailback;
use crate::wire::{Holdings, Message, StandbyPhase};

/// How long either side waits for the other's `Done` (Linux-HA: 1 hour).
const DONE_WAIT: Duration = Duration::from_secs(3600);

/// Where this node is in an exchange.
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

/// One exchange under way with `peer`.
#[derive(Clone, Debug)]
struct Exchange {
    peer: String,
    set: Holdings,
    /// The moving groups (indices).
    moving: Vec<usize>,
    step: Step,
    /// When the exchange is cancelled.
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

    /// The step of the exchange with `peer`, if one is under way.
    fn step_with(&self, peer: &str) -> Option<Step> {
        self.exchange
            .as_ref()
            .filter(|x| x.peer == peer)
            .map(|x| x.step)
    }

    /// Move the exchange under way to `step` (and its deadline to
    /// `deadline`, if given); returns its moving groups.
    fn advance(&mut self, step: Step, deadline: Option<Instant>) -> Vec<usize> {
        let x = self.exchange.as_mut().expect("exchange in progress");
        x.step = step;
        x.deadline = deadline.unwrap_or(x.deadline);
        x.moving.clone()
    }

    /// Cancel the exchange if its wait is over at `now`; returns whether it was.
    fn expire(&mut self, now: Instant) -> bool {
        let expired = self.deadline().is_some_and(|d| d <= now);
        if expired {
            self.exchange = None;
        }
        expired
    }

    /// Drop the operator exchanges still queued (the one under way goes on).
    pub(super) fn clear_queue(&mut self) {
        self.queue.clear();
    }

    /// A peer died or left: drop the exchange with it and its queued ones.
    pub(super) fn forget(&mut self, node: &str) {
        if self.exchange.as_ref().is_some_and(|x| x.peer == node) {
            self.exchange = None;
        }
        self.queue.retain(|(t, _)| t != node);
    }

    /// Shutdown: no exchange any more.
    pub(super) fn cancel_all(&mut self) {
        self.exchange = None;
        self.queue.clear();
    }
}

impl Resources {
    /// Whether this node may run an exchange or a takeover (nice_failback,
    /// communications up, start-up over, not leaving).
    fn nice_ready(&self) -> bool {
        self.policy != AutoFailback::Legacy
            && self.comm_up
            && !self.shutting_down
            && self.nice.is_stable()
    }

    /// The peer to which this node would give group `i` for `set`: the
    /// rightful node without this one, if we run `i` and it is in `set`.
    fn taker_of(&self, i: usize, set: Holdings) -> Option<String> {
        let g = &self.groups[i];
        let given = g.state() == LocalState::Running && includes(set, g.class_for(&self.me));
        given.then(|| self.rightful(i, Some(&self.me))).flatten()
    }

    /// Groups this node would give to `taker` for `set`.
    fn giving(&self, set: Holdings, taker: &str) -> Vec<usize> {
        (0..self.groups.len())
            .filter(|&i| self.taker_of(i, set).as_deref() == Some(taker))
            .collect()
    }

    /// Groups this node would take from `giver` for `set`.
    fn taking(&self, set: Holdings, giver: &str) -> Vec<usize> {
        (0..self.groups.len())
            .filter(|&i| {
                let g = &self.groups[i];
                g.owner.as_deref() == Some(giver)
                    && includes(set, g.class_for(giver))
                    && self.rightful(i, Some(giver)).as_deref() == Some(self.me.as_str())
            })
            .collect()
    }

    /// Operator standby: queue one exchange per taker of the groups of `set`.
    pub(super) fn standby_command(&mut self, set: Holdings) {
        if !self.nice_ready() {
            return; // Linux-HA ignores standby in legacy mode and while unstable
        }
        let mut takers: Vec<String> = Vec::new();
        for t in (0..self.groups.len()).filter_map(|i| self.taker_of(i, set)) {
            if !takers.contains(&t) {
                takers.push(t);
            }
        }
        self.standby
            .queue
            .extend(takers.into_iter().map(|t| (t, set)));
    }

    /// Operator takeover: acquire the groups of `set` through the handshake.
    pub(super) fn takeover_command(&mut self, now: Instant, set: Holdings) {
        if !self.nice_ready() {
            return;
        }
        for i in 0..self.groups.len() {
            let g = &mut self.groups[i];
            let wanted = includes(set, g.class_for(&self.me))
                && g.state() == LocalState::Stopped
                && g.request.is_none();
            if wanted && !self.standby.involves(i) {
                g.failed_on.remove(&self.me);
                g.owner = None;
                self.acquire(now, i);
            }
        }
    }

    /// Start the next queued standby exchange, or an auto-failback.
    pub(super) fn begin_next_exchange(&mut self, now: Instant) {
        if !self.nice_ready() || self.standby.busy() {
            return;
        }
        while let Some((taker, set)) = self.standby.queue.pop_front() {
            if !self.nice.stable_peers.contains(&taker) {
                continue; // "standby message ignored": taker not stable
            }
            let moving = self.giving(set, &taker);
            if !moving.is_empty() {
                self.begin_exchange(now, taker, set, moving);
                return;
            }
        }
        if self.policy != AutoFailback::On {
            return;
        }
        let candidates: Vec<String> = self
            .nice
            .returning
            .intersection(&self.nice.stable_peers)
            .cloned()
            .collect();
        for peer in candidates {
            let moving = self.giving(Holdings::Foreign, &peer);
            if moving.iter().any(|&i| self.groups[i].preferred == peer) {
                self.begin_exchange(now, peer, Holdings::Foreign, moving);
                return;
            }
            self.nice.returning.remove(&peer);
        }
    }

    /// Giver, step 1: ask `taker` to take `moving`.
    fn begin_exchange(&mut self, now: Instant, taker: String, set: Holdings, moving: Vec<usize>) {
        self.send_ask(&taker, set, StandbyPhase::Me);
        self.standby.exchange = Some(Exchange {
            peer: taker,
            set,
            moving,
            step: Step::AwaitOther,
            deadline: now + self.timers.standby_reply,
        });
    }

    /// An `AskResources` from `from`: a step of an exchange.
    pub(super) fn on_ask(&mut self, now: Instant, from: &str, set: Holdings, phase: StandbyPhase) {
        if self.policy == AutoFailback::Legacy {
            return;
        }
        match (phase, self.standby.step_with(from)) {
            (StandbyPhase::Me, _) => {
                // Only a stable node sends `Me`: its stable report may still
                // be on its way (sequenced messages are delivered as they
                // arrive, not put back in order), so take `Me` as one.
                self.nice.stable_peers.insert(from.to_owned());
                if !self.nice_ready() || self.standby.busy() {
                    return; // "standby message ignored"
                }
                let moving = self.taking(set, from);
                self.send_ask(from, set, StandbyPhase::Other);
                self.standby.exchange = Some(Exchange {
                    peer: from.to_owned(),
                    set,
                    moving,
                    step: Step::AwaitDone,
                    deadline: now + DONE_WAIT,
                });
            }
            (StandbyPhase::Other, Some(Step::AwaitOther)) => {
                let moving = self.standby.advance(Step::Releasing, Some(now + DONE_WAIT));
                self.send_report(None); // unstable: standby in progress
                for i in moving {
                    self.stop(i, |_| {});
                }
            }
            (StandbyPhase::Done, Some(Step::GiverDone)) => self.finish_exchange(from),
            (StandbyPhase::Done, Some(Step::AwaitDone)) => {
                for i in self.standby.advance(Step::Acquiring, None) {
                    let g = &mut self.groups[i];
                    if g.state() == LocalState::Stopped && g.request.is_none() {
                        g.owner = None;
                        self.acquire(now, i);
                    }
                }
            }
            _ => {} // stale or unexpected
        }
    }

    /// Move the exchange on once local actions finished.
    pub(super) fn exchange_progress(&mut self) {
        let Some(x) = self.standby.exchange.as_ref() else {
            return;
        };
        let groups = &self.groups;
        let (peer, set) = (x.peer.clone(), x.set);
        match x.step {
            Step::Releasing => {
                let released = x.moving.iter().all(|&i| {
                    matches!(groups[i].state(), LocalState::Stopped | LocalState::Failed)
                });
                if released {
                    self.standby.advance(Step::GiverDone, None);
                    self.send_ask(&peer, set, StandbyPhase::Done);
                }
            }
            Step::Acquiring => {
                let settled = x
                    .moving
                    .iter()
                    .all(|&i| !groups[i].busy() && groups[i].request.is_none());
                if settled {
                    self.send_ask(&peer, set, StandbyPhase::Done);
                    self.finish_exchange(&peer);
                }
            }
            _ => {}
        }
    }

    /// Send the `AskResources` step `phase` for `set` to `peer`.
    fn send_ask(&mut self, peer: &str, set: Holdings, phase: StandbyPhase) {
        let msg = Message::AskResources {
            holdings: set,
            phase,
        };
        self.send(Some(peer), msg);
    }

    /// The exchange with `peer` is over: tell everyone with a stable report.
    fn finish_exchange(&mut self, peer: &str) {
        self.standby.exchange = None;
        self.nice.returning.remove(peer);
        self.send_report(None);
    }

    /// Cancel an exchange whose wait is over.
    pub(super) fn standby_timeout(&mut self, now: Instant) {
        // "No reply to standby request. Standby request cancelled."
        if self.standby.expire(now) && self.comm_up {
            self.send_report(None);
        }
    }
}
