//! The invariants checked after every simulation step, their bounds, and the
//! violation report.
//!
//! | invariant | rule |
//! | --- | --- |
//! | [`Invariant::SplitBrain`] | no group runs on two live nodes that have seen each other alive (`Up`/`Active`) for longer than [`Bounds::split_brain_grace`] |
//! | [`Invariant::LateDetection`] | a crashed node X is declared dead by every live peer P that saw it alive and was itself `Active` when X crashed, no later than X's last status + max(X's advertised deadtime, P's deadtime) + X's keepalive + the largest one-way delay X→P + [`Bounds::detection_slack`] |
//! | [`Invariant::Forged`] | a forged datagram (wrong key, unknown key index, flipped bit) yields no event but `Rejected`/`Dropped`, no transmit, no action; a replayed authentic datagram (already delivered, or from an older generation) yields at most `Rejected`/`Dropped`/`LinkState` events; every application payload is one the harness sent from that node and is delivered at most once per receiver incarnation |
//! | [`Invariant::Liveness`] | two live nodes that can hear each other (see [`crate::Network::connected`]) do not keep seeing each other dead for longer than [`Bounds::liveness_grace`] |
//! | [`Invariant::Convergence`] | after a heal and a quiet period, every group runs on exactly one node (at most one if resource failures were injected) |
//! | [`Invariant::Exclusion`] | with fencing configured, or a watchdog and quorum on 3+ nodes ([`crate::Protection::guarantees_exclusion`]): no group runs on two nodes at the same instant, whoever hears whom; a group runs on a node from the moment its start is issued until its stop finished or the node went down ([`SimNode::holds`]), hung nodes included |
//!
//! Hung nodes ([`crate::Op::Hang`]) fall silent like crashed ones: their
//! peers must declare them dead in time (LateDetection), they owe nothing
//! while hung, and the liveness rule starts over when they resume.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use bytes::Bytes;

use crate::faults::ActionFaults;
use crate::network::{Network, Origin};
use crate::node::SimNode;
use heartbeat_core::config::Timing;
use heartbeat_core::engine::{Event, NodeState};
use heartbeat_core::wire::NodeStatus;

/// Which rule was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invariant {
    /// A group ran on two nodes that could hear each other.
    SplitBrain,
    /// A crashed node was not declared dead in time.
    LateDetection,
    /// A forged or replayed datagram was accepted.
    Forged,
    /// Two connected nodes kept seeing each other dead.
    Liveness,
    /// The cluster did not settle on one owner per group.
    Convergence,
    /// The engine's timer did not move forward (the driver would spin).
    Livelock,
    /// The engine broke its API contract (e.g. asked for an action on an unknown group).
    Contract,
    /// A group ran on two nodes at the same instant although the cluster
    /// is protected against it.
    Exclusion,
}

/// A broken invariant, with everything needed to replay it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The scenario seed.
    pub seed: u64,
    /// The step at which it was detected.
    pub step: u64,
    /// Virtual time of detection.
    pub at: Duration,
    /// The rule.
    pub invariant: Invariant,
    /// What happened.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} violated at t={:?} (step {}): {}; replay with SIM_SEED={}",
            self.invariant, self.at, self.step, self.detail, self.seed
        )
    }
}

impl std::error::Error for Violation {}

/// A rule broken, before the driver adds seed and step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breach {
    /// The rule.
    pub invariant: Invariant,
    /// What happened.
    pub detail: String,
}

fn breach(invariant: Invariant, detail: String) -> Result<(), Breach> {
    Err(Breach { invariant, detail })
}

/// Tolerances of the time-bounded invariants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// How long two nodes that see each other alive may both run a group.
    pub split_brain_grace: Duration,
    /// Added to the detection deadline (zero by default: the bound is exactly
    /// last status + deadtime + keepalive + largest one-way delay).
    pub detection_slack: Duration,
    /// How long a node may keep seeing a live, connected peer dead.
    pub liveness_grace: Duration,
}

impl Bounds {
    /// The default bounds for a cluster with these timers, resource script run
    /// times and largest one-way network delay:
    ///
    /// - split-brain grace = deadtime + 4 × keepalive + 2 × delay + 2 × longest action;
    /// - detection slack = 0;
    /// - liveness grace = initdead + deadtime + 10 × keepalive + 2 × delay.
    pub fn for_timing(timing: &Timing, actions: &ActionFaults, max_delay: Duration) -> Self {
        Bounds {
            split_brain_grace: timing.deadtime
                + timing.keepalive * 4
                + max_delay * 2
                + actions.max_delay * 2,
            detection_slack: Duration::ZERO,
            liveness_grace: timing.initdead
                + timing.deadtime
                + timing.keepalive * 10
                + max_delay * 2,
        }
    }
}

/// One measured detection: a crash and the moment a peer declared the node dead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DetectionSample {
    /// The crashed node.
    pub crashed: usize,
    /// The peer that declared it dead.
    pub peer: usize,
    /// When it crashed.
    pub crash_at: Duration,
    /// When it sent its last status.
    pub last_status_at: Duration,
    /// When the peer reported it dead.
    pub dead_at: Duration,
    /// The deadline the invariant applied.
    pub deadline: Duration,
}

impl DetectionSample {
    /// Crash → dead event.
    pub fn detection_time(&self) -> Duration {
        self.dead_at.saturating_sub(self.crash_at)
    }
}

struct Obligation {
    crashed: usize,
    peer: usize,
    peer_incarnation: u32,
    crash_at: Duration,
    last_status_at: Duration,
    deadline: Duration,
}

/// The invariant checker: fed by the driver with crashes, restarts, events and
/// application sends, and asked to check the whole cluster after every step.
pub struct Checker {
    bounds: Bounds,
    obligations: Vec<Obligation>,
    samples: Vec<DetectionSample>,
    connected_since: Vec<Option<Duration>>,
    app_sent: HashMap<Bytes, usize>,
    app_seen: HashSet<(usize, u32, Bytes)>,
    nodes: usize,
    exclusion: bool,
}

impl Checker {
    /// A checker for `nodes` nodes with these bounds; `exclusion`: whether
    /// [`Invariant::Exclusion`] applies.
    pub fn new(nodes: usize, bounds: Bounds, exclusion: bool) -> Self {
        Checker {
            bounds,
            obligations: Vec::new(),
            samples: Vec::new(),
            connected_since: vec![Some(Duration::ZERO); nodes * nodes],
            app_sent: HashMap::new(),
            app_seen: HashSet::new(),
            nodes,
            exclusion,
        }
    }

    /// The bounds in force.
    pub fn bounds(&self) -> Bounds {
        self.bounds
    }

    /// Replace the bounds.
    pub fn set_bounds(&mut self, bounds: Bounds) {
        self.bounds = bounds;
    }

    /// Detections measured so far.
    pub fn samples(&self) -> &[DetectionSample] {
        &self.samples
    }

    /// Node `crashed` just crashed (its engine is already gone, its views intact).
    pub fn on_crash(&mut self, now: Duration, crashed: usize, nodes: &[SimNode], net: &Network) {
        let Some(last) = nodes[crashed].last_status else {
            return;
        };
        let keepalive = nodes[crashed].config.timing.keepalive;
        for (peer, p) in nodes.iter().enumerate() {
            if peer == crashed || !p.is_running() || p.shutting_down {
                continue;
            }
            let sees_alive = p.views[crashed].alive();
            let active = p.last_status.map(|s| s.status) == Some(NodeStatus::Active);
            if !sees_alive || !active {
                continue;
            }
            let deadtime = last.deadtime.max(p.config.timing.deadtime);
            let deadline = (last.at + deadtime).max(last.alive_claim_until)
                + keepalive
                + net.max_delay(crashed, peer)
                + self.bounds.detection_slack;
            self.obligations.push(Obligation {
                crashed,
                peer,
                peer_incarnation: p.incarnation,
                crash_at: now,
                last_status_at: last.at,
                deadline,
            });
        }
    }

    /// Node `node` (re)started or stopped: obligations about it or owed by it lapse.
    pub fn on_lifecycle(&mut self, node: usize) {
        self.obligations
            .retain(|o| o.crashed != node && o.peer != node);
    }

    /// The harness asked `from` to send application payload `payload`.
    pub fn on_app_send(&mut self, from: usize, payload: Bytes) {
        self.app_sent.insert(payload, from);
    }

    /// Node `node` (incarnation `incarnation`) emitted `event` at `now`.
    pub fn on_event(
        &mut self,
        now: Duration,
        node: usize,
        incarnation: u32,
        event: &Event,
        name_of: impl Fn(&str) -> Option<usize>,
    ) -> Result<(), Breach> {
        match event {
            Event::NodeState {
                node: peer_name,
                state: NodeState::Dead,
            } => {
                if let Some(crashed) = name_of(peer_name) {
                    self.fulfil(now, crashed, node, incarnation);
                }
                Ok(())
            }
            Event::AppMessage { from, payload } => {
                let sender = name_of(from);
                match self.app_sent.get(payload) {
                    Some(&s) if Some(s) == sender => {}
                    _ => {
                        return breach(
                            Invariant::Forged,
                            format!("node{} delivered payload {payload:?} claimed from {from} that no one sent", node + 1),
                        )
                    }
                }
                if !self.app_seen.insert((node, incarnation, payload.clone())) {
                    return breach(
                        Invariant::Forged,
                        format!(
                            "node{} delivered payload {payload:?} from {from} twice",
                            node + 1
                        ),
                    );
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn fulfil(&mut self, now: Duration, crashed: usize, peer: usize, incarnation: u32) {
        let mut kept = Vec::with_capacity(self.obligations.len());
        for o in self.obligations.drain(..) {
            if o.crashed == crashed && o.peer == peer && o.peer_incarnation == incarnation {
                self.samples.push(DetectionSample {
                    crashed,
                    peer,
                    crash_at: o.crash_at,
                    last_status_at: o.last_status_at,
                    dead_at: now,
                    deadline: o.deadline,
                });
            } else {
                kept.push(o);
            }
        }
        self.obligations = kept;
    }

    /// Check every time-based invariant at `now`.
    pub fn check(&mut self, now: Duration, nodes: &[SimNode], net: &Network) -> Result<(), Breach> {
        self.check_detection(now, nodes)?;
        if self.exclusion {
            Self::check_exclusion(nodes)?;
        }
        self.check_split_brain(now, nodes)?;
        self.check_liveness(now, nodes, net)
    }

    fn check_detection(&self, now: Duration, nodes: &[SimNode]) -> Result<(), Breach> {
        for o in &self.obligations {
            if now > o.deadline {
                let p = &nodes[o.peer];
                return breach(
                    Invariant::LateDetection,
                    format!(
                        "{} crashed at {:?} (last status {:?}); {} still sees it {:?} after the deadline {:?}",
                        nodes[o.crashed].name, o.crash_at, o.last_status_at, p.name,
                        p.views[o.crashed].state, o.deadline
                    ),
                );
            }
        }
        Ok(())
    }

    fn check_exclusion(nodes: &[SimNode]) -> Result<(), Breach> {
        let Some(first) = nodes.first() else {
            return Ok(());
        };
        for group in first.groups.keys() {
            let holders: Vec<&SimNode> = nodes
                .iter()
                .filter(|n| n.is_up() && n.holds(group))
                .collect();
            if holders.len() > 1 {
                let who: Vec<String> = holders
                    .iter()
                    .map(|n| {
                        format!(
                            "{} ({:?}{})",
                            n.name,
                            n.groups[group],
                            if n.hung { ", hung" } else { "" }
                        )
                    })
                    .collect();
                return breach(
                    Invariant::Exclusion,
                    format!("group {group} runs on {}", who.join(" and ")),
                );
            }
        }
        Ok(())
    }

    fn check_split_brain(&self, now: Duration, nodes: &[SimNode]) -> Result<(), Breach> {
        let Some(first) = nodes.iter().find(|n| n.is_up()) else {
            return Ok(());
        };
        for group in first.groups.keys() {
            let owners: Vec<usize> = (0..nodes.len())
                .filter(|&i| nodes[i].is_up() && nodes[i].runs(group))
                .collect();
            for (k, &a) in owners.iter().enumerate() {
                for &b in &owners[k + 1..] {
                    let va = nodes[a].views[b];
                    let vb = nodes[b].views[a];
                    if !(va.alive() && vb.alive()) {
                        continue;
                    }
                    let since = va.since.max(vb.since);
                    if now.saturating_sub(since) > self.bounds.split_brain_grace {
                        return breach(
                            Invariant::SplitBrain,
                            format!(
                                "group {group} runs on {} and {} which have seen each other alive since {since:?} (grace {:?})",
                                nodes[a].name, nodes[b].name, self.bounds.split_brain_grace
                            ),
                        );
                    }
                }
            }
        }
        Ok(())
    }

    fn check_liveness(
        &mut self,
        now: Duration,
        nodes: &[SimNode],
        net: &Network,
    ) -> Result<(), Breach> {
        for a in 0..self.nodes {
            for b in 0..self.nodes {
                if a == b {
                    continue;
                }
                let slot = &mut self.connected_since[a * self.nodes + b];
                if !net.connected(a, b) {
                    *slot = None;
                    continue;
                }
                let since_conn = *slot.get_or_insert(now);
                let (na, nb) = (&nodes[a], &nodes[b]);
                if !na.is_running() || !nb.is_running() || na.shutting_down || nb.shutting_down {
                    continue;
                }
                let view = na.views[b];
                if view.state != NodeState::Dead {
                    continue;
                }
                let start = since_conn
                    .max(view.since)
                    .max(na.started_at)
                    .max(nb.started_at)
                    .max(na.resumed_at)
                    .max(nb.resumed_at);
                if now.saturating_sub(start) > self.bounds.liveness_grace {
                    return breach(
                        Invariant::Liveness,
                        format!(
                            "{} has seen {} dead since {:?} although they are connected since {since_conn:?} (grace {:?})",
                            na.name, nb.name, view.since, self.bounds.liveness_grace
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// Invariant (d): every group runs on exactly one live node (`at_most_one`:
    /// on at most one, when resource failures may have left a group stopped).
    pub fn check_converged(nodes: &[SimNode], at_most_one: bool) -> Result<(), Breach> {
        let Some(first) = nodes.first() else {
            return Ok(());
        };
        if !nodes.iter().any(SimNode::is_up) {
            return Ok(());
        }
        for group in first.groups.keys() {
            let owners: Vec<&str> = nodes
                .iter()
                .filter(|n| n.is_up() && n.runs(group))
                .map(|n| n.name.as_str())
                .collect();
            let ok = if at_most_one {
                owners.len() <= 1
            } else {
                owners.len() == 1
            };
            if !ok {
                // What each live node believes: whom it takes for the owner.
                let beliefs: Vec<String> = nodes
                    .iter()
                    .filter_map(|n| {
                        let status = n.engine.as_ref()?.status();
                        let g = status.groups.iter().find(|g| g.key == *group)?;
                        Some(format!("{}: owner {:?} {:?}", n.name, g.owner, g.activity))
                    })
                    .collect();
                return breach(
                    Invariant::Convergence,
                    format!(
                        "after the quiet period group {group} runs on {owners:?} (beliefs: {})",
                        beliefs.join("; ")
                    ),
                );
            }
        }
        Ok(())
    }
}

/// What handling one forged or replayed datagram produced.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    /// Events polled.
    pub events: Vec<Event>,
    /// Number of transmits polled.
    pub transmits: usize,
    /// Number of actions polled.
    pub actions: usize,
}

/// Invariant (c) for one forged or replayed datagram.
pub fn check_injected(origin: Origin, node: &str, out: &Outputs) -> Result<(), Breach> {
    let allowed = |e: &Event| match origin {
        Origin::Genuine => true,
        Origin::Forged => matches!(e, Event::Rejected { .. } | Event::Dropped { .. }),
        Origin::Replayed => matches!(
            e,
            Event::Rejected { .. } | Event::Dropped { .. } | Event::LinkState { .. }
        ),
    };
    if let Some(e) = out.events.iter().find(|e| !allowed(e)) {
        return breach(
            Invariant::Forged,
            format!("{node} reacted to a {origin:?} datagram with {e:?}"),
        );
    }
    if origin != Origin::Genuine && (out.transmits > 0 || out.actions > 0) {
        return breach(
            Invariant::Forged,
            format!(
                "{node} answered a {origin:?} datagram with {} transmits and {} actions",
                out.transmits, out.actions
            ),
        );
    }
    Ok(())
}
