//! Split-brain safety: who may run groups, and when a dead node's groups
//! may start elsewhere (sans-io, like the rest of the engine).
//!
//! # The ladder
//!
//! - **Quorum** (`quorum on`, see [`quorum`]): without a strict majority a
//!   node stops its groups at once and starts none ([`Permission::Stop`]).
//! - **Fencing** (see [`fencing`]): a peer declared dead (not departed) is
//!   *unsafe* until it was reset; while any peer is unsafe no group starts
//!   ([`Permission::Hold`]). One node resets it and tells the others.
//! - **Watchdog** (see [`watchdog`]): this node pets its device only while
//!   it is healthy; a peer's groups wait for the peer's watchdog
//!   (deadtime, then the watchdog timeout plus [`watchdog_margin`]) when
//!   the cluster relies on watchdogs: quorum on, or nobody can fence the
//!   peer. Every node is assumed to run the watchdog its own `ha.cf` names
//!   (the file is the same everywhere).
//! - Nothing configured: a dead node's groups start at once (Heartbeat's
//!   behaviour).
//!
//! # Interface (called by the engine glue)
//!
//! Inputs: [`Safety::peer_alive`], [`Safety::peer_gone`],
//! [`Safety::record_view`], [`Safety::on_fenced`],
//! [`Safety::fence_finished`], [`Safety::confirm_down`],
//! [`Safety::stop_issued`] / [`Safety::stop_finished`],
//! [`Safety::tick`] (every keepalive), then [`Safety::drive`] after every
//! input. Outputs: [`Safety::permission`] for the resource layer,
//! [`Safety::poll_fence`], [`Safety::poll_event`], [`Safety::poll_send`]
//! (`Fenced` announcements), [`Safety::take_pet`], [`Safety::poll_timeout`].

pub(crate) mod fencing;
pub(crate) mod quorum;
pub(crate) mod watchdog;

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use crate::config::{self, Config};
use crate::engine::{Event, FenceRequest};
use crate::wire::{MembershipView, Message};

use fencing::{FenceRecord, Fencing};
use quorum::{Quorum, Votes};
use watchdog::{Watchdog, Withheld};

/// What the resource layer may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Permission {
    /// Run and start groups.
    Run,
    /// Keep running groups; start none (a dead peer is not reset yet).
    Hold,
    /// Stop every group and start none (no quorum).
    Stop,
}

/// Split-brain safety state of one node. See the module documentation.
#[derive(Debug)]
pub(crate) struct Safety {
    /// This node.
    me: String,
    /// Configured nodes in configuration order.
    nodes: Vec<String>,
    /// Devices, delays, quorum and watchdog settings.
    settings: config::Safety,
    /// Quorum bookkeeping.
    quorum: Quorum,
    /// Unsafe peers, resets, history.
    fencing: Fencing,
    /// The local watchdog, if configured.
    watchdog: Option<Watchdog>,
    /// How long a peer's groups wait for its watchdog after its death.
    watchdog_wait: Option<Duration>,
    /// Peers alive here.
    alive: BTreeSet<String>,
    /// Quorum as last reported.
    quorate: bool,
    /// Events not polled yet.
    events: VecDeque<Event>,
    /// Resets not polled yet.
    fences: VecDeque<FenceRequest>,
    /// `Fenced` announcements not polled yet.
    sends: VecDeque<Message>,
}

/// The margin a majority adds to a peer's watchdog timeout before it takes
/// the peer's groups: two keepalives (the peer learns it lost quorum from
/// the next statuses) plus one second (device and scheduling granularity).
pub fn watchdog_margin(keepalive: Duration) -> Duration {
    keepalive * 2 + Duration::from_secs(1)
}

impl Safety {
    /// The safety state of `config.local_node`.
    pub(crate) fn new(config: &Config) -> Self {
        let settings = config.safety.clone();
        let watchdog_timeout = config::Safety::watchdog_timeout(config.timing.deadtime);
        let watchdog = settings
            .watchdog
            .as_ref()
            .map(|_| Watchdog::new(watchdog_timeout));
        Safety {
            me: config.local_node.clone(),
            nodes: config.nodes.clone(),
            quorum: Quorum::new(&config.nodes, &config.local_node, settings.quorum),
            watchdog_wait: watchdog
                .as_ref()
                .map(|w| w.timeout() + watchdog_margin(config.timing.keepalive)),
            watchdog,
            settings,
            fencing: Fencing::default(),
            alive: BTreeSet::new(),
            quorate: false,
            events: VecDeque::new(),
            fences: VecDeque::new(),
            sends: VecDeque::new(),
        }
    }

    // ----- inputs -----

    /// Peer `node` is alive (joined, returned, restarted).
    pub(crate) fn peer_alive(&mut self, node: &str) {
        self.alive.insert(node.to_owned());
        self.fencing.peer_safe(node);
    }

    /// Peer `node` (in `generation`, 0 if never heard) died at `now`, or
    /// departed gracefully. `i_hold` / `it_held`: whether this node / the
    /// peer held a group (the fence priority of a two-node race).
    pub(crate) fn peer_gone(
        &mut self,
        now: Instant,
        node: &str,
        generation: u64,
        departed: bool,
        i_hold: bool,
        it_held: bool,
    ) {
        self.alive.remove(node);
        self.quorum.forget(node);
        if departed || !self.protects(node) {
            self.fencing.peer_safe(node);
            return;
        }
        let delay = if self.quorum.required() || self.wins_race(node, i_hold, it_held) {
            Duration::ZERO
        } else {
            self.settings.fence_delay
        };
        self.fencing.peer_died(now, node, generation, delay);
    }

    /// A status of alive peer `node` carried `view`.
    pub(crate) fn record_view(&mut self, node: &str, view: Option<&MembershipView>) {
        self.quorum.record_view(node, view);
    }

    /// Peer `from` announced that `node` (in `generation`) was reset.
    pub(crate) fn on_fenced(&mut self, now: Instant, from: &str, node: &str, generation: u64) {
        if node == self.me {
            return; // we are alive: whatever it reset, it was not us
        }
        if self.fencing.reset_known(node, generation) {
            self.succeeded(now, node, from.to_owned(), "announced".into());
        }
    }

    /// This node's reset of `target` finished.
    pub(crate) fn fence_finished(&mut self, now: Instant, target: &str, ok: bool, method: String) {
        if !self.fencing.in_flight.remove(target) {
            return; // not requested, or reported twice
        }
        if ok {
            let generation = self
                .fencing
                .unsafe_peers
                .get(target)
                .map_or(0, |u| u.generation);
            self.fencing.reset_known(target, generation);
            self.announce(target, generation);
            self.succeeded(now, target, self.me.clone(), method);
            return;
        }
        self.fencing.record(FenceRecord {
            target: target.to_owned(),
            by: self.me.clone(),
            method: method.clone(),
            ok: false,
            at: now,
        });
        if let Some((retry_in, attempt)) = self.fencing.reset_failed(now, target) {
            self.events.push_back(Event::FenceFailed {
                target: target.to_owned(),
                attempt,
                method,
                retry_in,
            });
        }
    }

    /// The operator confirms dead node `node` is down.
    pub(crate) fn confirm_down(&mut self, now: Instant, node: &str) {
        let Some(generation) = self.fencing.unsafe_peers.get(node).map(|u| u.generation) else {
            return;
        };
        self.fencing.reset_known(node, generation);
        self.announce(node, generation);
        self.succeeded(now, node, self.me.clone(), "operator".into());
    }

    /// A stop of `group` was issued (for the watchdog's stuck-stop rule).
    pub(crate) fn stop_issued(&mut self, now: Instant, group: &str) {
        if let Some(w) = &mut self.watchdog {
            w.stop_issued(now, group);
        }
    }

    /// The stop of `group` finished.
    pub(crate) fn stop_finished(&mut self, group: &str) {
        if let Some(w) = &mut self.watchdog {
            w.stop_finished(group);
        }
    }

    /// A keepalive tick: decide the watchdog pet. `stalled`: the tick came
    /// late; `holding`: a group may still run here.
    pub(crate) fn tick(&mut self, now: Instant, stalled: bool, holding: bool) {
        let lacks_quorum = self.quorum.required() && !self.votes().quorate();
        let Some(w) = &mut self.watchdog else { return };
        if let Some(withheld) = w.tick(now, stalled, lacks_quorum && holding) {
            self.events.push_back(Event::WatchdogPetting {
                petting: withheld.is_none(),
                reason: withheld.map(reason).unwrap_or_default().to_owned(),
            });
        }
    }

    /// After every input: report quorum changes, start due resets, end
    /// watchdog waits that are over.
    pub(crate) fn drive(&mut self, now: Instant) {
        if self.quorum.required() {
            let votes = self.votes();
            if votes.quorate() != self.quorate {
                self.quorate = votes.quorate();
                self.events.push_back(Event::Quorum {
                    quorate: votes.quorate(),
                    votes: votes.seen,
                    needed: votes.needed,
                });
            }
        }
        let may_fence = !self.quorum.required() || self.votes().quorate();
        let waiting: Vec<String> = self.fencing.unsafe_peers.keys().cloned().collect();
        for node in waiting {
            let Some(u) = self.fencing.unsafe_peers.get(&node).cloned() else {
                continue;
            };
            if let Some(wait) = self.watchdog_wait_for(&node) {
                if now >= u.since + wait {
                    self.fencing.peer_safe(&node);
                    self.succeeded(now, &node, node.clone(), "watchdog".into());
                    continue;
                }
            }
            let fencer = self.fencer(&node);
            if !u.reported {
                let until = match (&fencer, self.watchdog_wait_for(&node)) {
                    (_, Some(wait)) => format!("its watchdog ({} ms)", wait.as_millis()),
                    (Some(f), None) => format!("a reset by {f}"),
                    (None, None) => "an operator's confirmation".to_owned(),
                };
                self.events.push_back(Event::TakeoverHeld {
                    node: node.clone(),
                    until,
                });
                if let Some(entry) = self.fencing.unsafe_peers.get_mut(&node) {
                    entry.reported = true;
                }
            }
            let mine = fencer.as_deref() == Some(self.me.as_str());
            if mine && may_fence && now >= u.not_before && !self.fencing.in_flight.contains(&node) {
                self.fencing.in_flight.insert(node.clone());
                let attempt = u.failures + 1;
                self.fences.push_back(FenceRequest {
                    target: node.clone(),
                    attempt,
                });
                self.events.push_back(Event::FenceStarted {
                    target: node,
                    attempt,
                });
            }
        }
    }

    // ----- outputs -----

    /// What the resource layer may do now.
    pub(crate) fn permission(&self) -> Permission {
        if self.quorum.required() && !self.votes().quorate() {
            Permission::Stop
        } else if !self.fencing.unsafe_peers.is_empty() {
            Permission::Hold
        } else {
            Permission::Run
        }
    }

    /// The next reset to carry out.
    pub(crate) fn poll_fence(&mut self) -> Option<FenceRequest> {
        self.fences.pop_front()
    }

    /// The next event.
    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next message to send to every node.
    pub(crate) fn poll_send(&mut self) -> Option<Message> {
        self.sends.pop_front()
    }

    /// Whether the driver should pet the watchdog now.
    pub(crate) fn take_pet(&mut self) -> bool {
        self.watchdog.as_mut().is_some_and(Watchdog::take_pet)
    }

    /// The next instant at which [`Safety::drive`] has something to do.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        // Without quorum this node may not fence: its resets wait for
        // quorum (an input), not for a deadline.
        let may_fence = !self.quorum.required() || self.votes().quorate();
        self.fencing
            .unsafe_peers
            .iter()
            .filter_map(|(node, u)| {
                let wait = self.watchdog_wait_for(node).map(|w| u.since + w);
                let mine = self.fencer(node).as_deref() == Some(self.me.as_str())
                    && !self.fencing.in_flight.contains(node);
                let retry = (mine && may_fence).then_some(u.not_before);
                wait.into_iter().chain(retry).min()
            })
            .min()
    }

    /// This node's view for its status (only when quorum is on).
    pub(crate) fn view(&self) -> Option<MembershipView> {
        self.quorum
            .required()
            .then(|| self.quorum.view(&self.alive))
    }

    /// Quorum, unsafe peers and the fence history, for the status.
    pub(crate) fn info(&self) -> SafetyInfo {
        let votes = self.votes();
        SafetyInfo {
            quorum: self.quorum.required().then_some(QuorumInfo {
                quorate: votes.quorate(),
                votes: votes.seen,
                needed: votes.needed,
            }),
            fencing_configured: self.settings.fencing_configured(),
            watchdog_timeout: self.watchdog.as_ref().map(Watchdog::timeout),
            watchdog_withheld: self
                .watchdog
                .as_ref()
                .and_then(Watchdog::withheld)
                .map(|w| reason(w).to_owned()),
            awaiting_fence: self
                .fencing
                .unsafe_peers
                .iter()
                .map(|(node, u)| AwaitingFence {
                    node: node.clone(),
                    since: u.since,
                    fencer: self.fencer(node),
                    failures: u.failures,
                    watchdog_until: self.watchdog_wait_for(node).map(|w| u.since + w),
                })
                .collect(),
            history: self.fencing.history.clone(),
        }
    }

    // ----- helpers -----

    /// Votes among the peers alive here.
    fn votes(&self) -> Votes {
        self.quorum.votes(&self.alive)
    }

    /// Whether anything protects against `node` running its groups after
    /// its death: a device for it, or a watchdog.
    fn protects(&self, node: &str) -> bool {
        self.watchdog.is_some() || self.nodes.iter().any(|n| self.settings.can_fence(n, node))
    }

    /// How long `node`'s groups wait for its watchdog after its death, if
    /// the cluster relies on it for `node`: quorum on (a lost node stops
    /// petting), or nobody can fence `node` (a hung node stops petting).
    fn watchdog_wait_for(&self, node: &str) -> Option<Duration> {
        let wait = self.watchdog_wait?;
        let fenceable = self.nodes.iter().any(|n| self.settings.can_fence(n, node));
        (self.quorum.required() || !fenceable).then_some(wait)
    }

    /// The node that resets `target`: the first in configuration order,
    /// among this node and the live peers, with a device for it.
    fn fencer(&self, target: &str) -> Option<String> {
        self.nodes
            .iter()
            .filter(|n| **n == self.me || self.alive.contains(*n))
            .find(|n| self.settings.can_fence(n, target))
            .cloned()
    }

    /// Whether this node wins a two-node fence race against `other`
    /// (fences without delay): holding a group beats holding none; between
    /// equals, the node listed first wins.
    fn wins_race(&self, other: &str, i_hold: bool, it_held: bool) -> bool {
        if i_hold != it_held {
            return i_hold;
        }
        let pos = |n: &str| self.nodes.iter().position(|x| x == n);
        pos(&self.me) < pos(other)
    }

    /// Queue the announcement that `node` (in `generation`) was reset.
    fn announce(&mut self, node: &str, generation: u64) {
        self.sends.push_back(Message::Fenced {
            node: node.to_owned(),
            generation,
        });
    }

    /// Record and report a success for `target`.
    fn succeeded(&mut self, now: Instant, target: &str, by: String, method: String) {
        self.fencing.record(FenceRecord {
            target: target.to_owned(),
            by: by.clone(),
            method: method.clone(),
            ok: true,
            at: now,
        });
        self.events.push_back(Event::FenceSucceeded {
            target: target.to_owned(),
            by,
            method,
        });
    }
}

/// The log text of a withheld pet.
fn reason(w: Withheld) -> &'static str {
    match w {
        Withheld::Stalled => "this process stalled",
        Withheld::NoQuorum => "no quorum while a group may still run here",
        Withheld::StuckStop => "a stop has run longer than the watchdog timeout",
    }
}

/// Quorum as this node sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuorumInfo {
    /// Whether this node has quorum.
    pub quorate: bool,
    /// Votes seen (this node and the peers that hear each other with it).
    pub votes: usize,
    /// Votes needed (a strict majority of the configured nodes).
    pub needed: usize,
}

/// A dead node whose groups wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwaitingFence {
    /// The dead node.
    pub node: String,
    /// When it was declared dead.
    pub since: Instant,
    /// The node that resets it, if any can.
    pub fencer: Option<String>,
    /// Failed tries so far.
    pub failures: u32,
    /// When its watchdog must have reset it, when the cluster relies on it.
    pub watchdog_until: Option<Instant>,
}

/// Split-brain safety in the status snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SafetyInfo {
    /// Quorum, when `quorum on`.
    pub quorum: Option<QuorumInfo>,
    /// Whether any STONITH device or fence agent is configured.
    pub fencing_configured: bool,
    /// The local watchdog's timeout, if one is configured.
    pub watchdog_timeout: Option<Duration>,
    /// Why the local watchdog is not being petted, if it is not.
    pub watchdog_withheld: Option<String>,
    /// Dead nodes whose groups wait for a reset or a watchdog.
    pub awaiting_fence: Vec<AwaitingFence>,
    /// The latest fence results, oldest first.
    pub history: Vec<FenceRecord>,
}
