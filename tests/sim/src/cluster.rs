//! The simulation driver: engines, network, resource scripts and invariants.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::faults::{ActionFaults, Direction, LinkFaults};
use crate::forge::{self, ForgeKind};
use crate::invariants::{check_injected, Bounds, Breach, Checker, Invariant, Outputs, Violation};
use crate::network::{Datagram, Network, Origin};
use crate::node::{Deferred, GroupRun, Observed, PeerView, SimNode, StatusSent, SOCKET_BUFFER};
use crate::rng::SimRng;
use crate::safety::{FenceDevice, SafetySpec};
use crate::{config_for, node_name, timing, VirtualClock};
use heartbeat_core::config::{AutoFailback, Timing};
use heartbeat_core::engine::{
    ActionKind, Command, Engine, Event, FenceRequest, Identity, NodeState, ResourceAction, Transmit,
};
use heartbeat_core::wire::{native, Keyring, Message, NodeUuid, Packet};

/// How many steps may happen at one virtual instant before the driver reports a
/// livelock (an engine whose `poll_timeout` does not move past `now`).
const MAX_STEPS_PER_INSTANT: u32 = 100_000;

/// How many recent datagrams are kept per node as replay material.
const REPLAY_RING: usize = 32;

/// What to simulate.
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    /// Number of nodes (2..=5 in the suites; any number works).
    pub nodes: usize,
    /// Number of media (`eth0`, `eth1`, ...).
    pub media: usize,
    /// Timers of every node.
    pub timing: Timing,
    /// `auto_failback` policy.
    pub policy: AutoFailback,
    /// Preferred node index of each group (`grp1`, `grp2`, ...).
    pub groups: Vec<usize>,
    /// Faults of every link at the start.
    pub link: LinkFaults,
    /// Resource script behaviour.
    pub actions: ActionFaults,
    /// Whether nodes hear their own broadcasts.
    pub loopback: bool,
    /// Start time of each node (missing entries: zero). A node whose start time
    /// is `None` is not started until an [`Op::Start`].
    pub start_at: Vec<Option<Duration>>,
    /// The seed of everything.
    pub seed: u64,
    /// The wire dialect each node speaks (missing entries: native). Every
    /// node reads both, so a cluster can mix them.
    pub wire_dialects: Vec<heartbeat_core::config::WireDialect>,
    /// Split-brain protection: quorum, fence devices, watchdogs.
    pub safety: SafetySpec,
}

impl ClusterSpec {
    /// `nodes` nodes on two clean media, keepalive 100 ms / deadtime 500 ms,
    /// legacy failback, one group preferred by each node, all started at zero.
    pub fn new(nodes: usize, seed: u64) -> Self {
        ClusterSpec {
            nodes,
            media: 2,
            timing: timing(Duration::from_millis(100), Duration::from_millis(500)),
            policy: AutoFailback::Legacy,
            groups: (0..nodes).collect(),
            link: LinkFaults::CLEAN,
            actions: ActionFaults::RELIABLE,
            loopback: false,
            start_at: vec![Some(Duration::ZERO); nodes],
            seed,
            wire_dialects: Vec::new(),
            safety: SafetySpec::none(),
        }
    }
}

/// Something the harness does to the cluster, now or at a scheduled time.
#[derive(Clone, Debug)]
pub enum Op {
    /// kill -9: the engine disappears; its datagrams in flight still arrive.
    Crash(usize),
    /// Start a stopped node (a restart gets generation + 1, same uuid).
    Start(usize),
    /// Graceful shutdown ([`Command::Shutdown`]); the engine is dropped at
    /// [`Event::ShutdownComplete`].
    Shutdown(usize),
    /// Any engine command.
    Command(usize, Command),
    /// Send a fresh, unique application payload from a node (to one node or all).
    SendApp {
        /// Sender.
        from: usize,
        /// Destination, `None` for all.
        to: Option<usize>,
    },
    /// Cut a link (see [`Network::partition`]).
    Partition {
        /// First node.
        a: usize,
        /// Second node.
        b: usize,
        /// One medium or all.
        medium: Option<usize>,
        /// One or both directions.
        dir: Direction,
    },
    /// Undo a [`Op::Partition`] with the same arguments.
    Heal {
        /// First node.
        a: usize,
        /// Second node.
        b: usize,
        /// One medium or all.
        medium: Option<usize>,
        /// One or both directions.
        dir: Direction,
    },
    /// Split the cluster: these nodes on one side, the rest on the other.
    Split(Vec<usize>),
    /// Remove every partition.
    HealAll,
    /// Set the faults of one directed link.
    SetLink {
        /// Sender.
        from: usize,
        /// Receiver.
        to: usize,
        /// Medium.
        medium: usize,
        /// Faults.
        faults: LinkFaults,
    },
    /// Set the faults of every link of a medium.
    SetMedium(usize, LinkFaults),
    /// Set the faults of every link.
    SetAll(LinkFaults),
    /// Change the resource script behaviour.
    SetActions(ActionFaults),
    /// Inject a forged or replayed datagram at a random suitable target.
    Forge(ForgeKind),
    /// The process hangs: no timer, datagram or command is handled (datagrams
    /// wait in its socket, up to [`SOCKET_BUFFER`]); its resources keep
    /// running, its watchdog is not petted.
    Hang(usize),
    /// A hung process resumes: its overdue timers first, then the datagrams
    /// of its socket and what else waited, in order.
    Resume(usize),
    /// Replace the fence device of one node (`None`: of every node).
    SetFence(Option<usize>, FenceDevice),
}

/// Why a node was powered off by the harness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetCause {
    /// A fence device, at the request of this node.
    Fenced {
        /// The node whose device reset it.
        by: usize,
    },
    /// Its watchdog was not petted for its timeout.
    Watchdog,
}

/// A reset carried out by the harness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reset {
    /// When.
    pub at: Duration,
    /// Which node.
    pub node: usize,
    /// Why.
    pub cause: ResetCause,
    /// Whether it was hung at that moment.
    pub was_hung: bool,
}

enum TimerKind {
    ActionDone {
        node: usize,
        incarnation: u32,
        group: String,
        kind: ActionKind,
        ok: bool,
    },
    Op(Op),
    FenceDone {
        fencer: usize,
        incarnation: u32,
        target: usize,
        ok: bool,
    },
}

struct Timer {
    at: Duration,
    order: u64,
    kind: TimerKind,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timer {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.order).cmp(&(self.at, self.order))
    }
}

/// What the next step does.
enum Due {
    Engine(usize),
    Watchdog(usize),
    Timer,
    Delivery,
}

/// A datagram kept as replay material.
#[derive(Clone)]
struct Sent {
    generation: u64,
    bytes: Bytes,
    packet: Arc<Packet>,
}

/// A simulated cluster: see the [module documentation](super).
pub struct Cluster {
    spec: ClusterSpec,
    clock: VirtualClock,
    nodes: Vec<SimNode>,
    net: Network,
    rng: SimRng,
    keys: Keyring,
    checker: Checker,
    timers: BinaryHeap<Timer>,
    timer_order: u64,
    step: u64,
    steps_at_instant: u32,
    last_step_at: Duration,
    ever_started: Vec<bool>,
    sent: Vec<VecDeque<Sent>>,
    prev_sent: Vec<VecDeque<Sent>>,
    received: Vec<VecDeque<(u32, Datagram)>>,
    gen_seen: Vec<Vec<(u32, u64)>>,
    app_counter: u64,
    forged_counter: u64,
    failures_possible: bool,
    trace: Option<Vec<String>>,
    resets: Vec<Reset>,
    fence_requests: u64,
    fence_failures: u64,
}

impl Cluster {
    /// Build the cluster and start the nodes due at time zero.
    pub fn new(spec: ClusterSpec) -> Self {
        let mut rng = SimRng::new(spec.seed);
        let mut net = Network::new(spec.nodes, spec.media, rng.fork());
        net.set_all(spec.link);
        net.set_loopback(spec.loopback);
        let configs = config_for(
            spec.nodes,
            spec.media,
            spec.timing,
            spec.policy,
            &spec.groups,
        );
        let nodes: Vec<SimNode> = configs
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                c.wire_dialect = spec.wire_dialects.get(i).copied().unwrap_or_default();
                spec.safety.configure(&mut c);
                let identity = Identity {
                    uuid: NodeUuid([i as u8 + 1; 16]),
                    generation: 1,
                };
                let watchdog =
                    c.safety.watchdog.is_some().then(|| {
                        heartbeat_core::config::Safety::watchdog_timeout(c.timing.deadtime)
                    });
                let mut node = SimNode::new(c, identity, spec.nodes);
                node.watchdog_timeout = watchdog;
                node
            })
            .collect();
        let keys = nodes[0].config.keys.clone();
        let bounds = Bounds::for_timing(&spec.timing, &spec.actions, spec.link.max_delay());
        let n = spec.nodes;
        let exclusion = spec.safety.protection.guarantees_exclusion(n);
        let mut cluster = Cluster {
            checker: Checker::new(n, bounds, exclusion),
            resets: Vec::new(),
            fence_requests: 0,
            fence_failures: 0,
            failures_possible: spec.actions.can_fail(),
            trace: None,
            clock: VirtualClock::new(),
            nodes,
            net,
            rng,
            keys,
            timers: BinaryHeap::new(),
            timer_order: 0,
            step: 0,
            steps_at_instant: 0,
            last_step_at: Duration::ZERO,
            ever_started: vec![false; n],
            sent: vec![VecDeque::new(); n],
            prev_sent: vec![VecDeque::new(); n],
            received: vec![VecDeque::new(); n],
            gen_seen: vec![vec![(0, 0); n]; n],
            app_counter: 0,
            forged_counter: 0,
            spec,
        };
        for i in 0..n {
            match cluster
                .spec
                .start_at
                .get(i)
                .copied()
                .unwrap_or(Some(Duration::ZERO))
            {
                Some(t) if t.is_zero() => cluster.start_node(i),
                Some(t) => cluster.schedule(t, Op::Start(i)),
                None => {}
            }
        }
        cluster
    }

    /// Record a human-readable trace of ops, actions and events from now on.
    pub fn enable_trace(&mut self) {
        self.trace.get_or_insert_with(Vec::new);
    }

    /// The trace recorded since [`Cluster::enable_trace`] (empty if disabled).
    pub fn trace(&self) -> &[String] {
        self.trace.as_deref().unwrap_or_default()
    }

    fn log(&mut self, what: impl FnOnce() -> String) {
        if let Some(t) = self.trace.as_mut() {
            t.push(format!("{:>14?} {}", self.clock.elapsed(), what()));
        }
    }

    /// The seed of this run.
    pub fn seed(&self) -> u64 {
        self.spec.seed
    }

    /// The specification it was built from.
    pub fn spec(&self) -> &ClusterSpec {
        &self.spec
    }

    /// Current virtual time.
    pub fn now(&self) -> Duration {
        self.clock.elapsed()
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The nodes.
    pub fn nodes(&self) -> &[SimNode] {
        &self.nodes
    }

    /// One node.
    pub fn node(&self, i: usize) -> &SimNode {
        &self.nodes[i]
    }

    /// The network (read).
    pub fn net(&self) -> &Network {
        &self.net
    }

    /// The network, to change faults, partitions and filters directly.
    pub fn net_mut(&mut self) -> &mut Network {
        &mut self.net
    }

    /// The cluster keyring (to decode datagrams in filters).
    pub fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// The invariant bounds in force.
    pub fn bounds(&self) -> Bounds {
        self.checker.bounds()
    }

    /// Replace the invariant bounds.
    pub fn set_bounds(&mut self, bounds: Bounds) {
        self.checker.set_bounds(bounds);
    }

    /// Detections measured so far (crash → dead event, per peer).
    pub fn detections(&self) -> &[crate::DetectionSample] {
        self.checker.samples()
    }

    /// Resets by fence devices and watchdogs so far.
    pub fn resets(&self) -> &[Reset] {
        &self.resets
    }

    /// Fence requests the engines issued so far, and how many of them failed.
    pub fn fence_counts(&self) -> (u64, u64) {
        (self.fence_requests, self.fence_failures)
    }

    /// The nodes (up or hung) where `group`'s resources may run (see
    /// [`SimNode::holds`]).
    pub fn holders(&self, group: &str) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].is_up() && self.nodes[i].holds(group))
            .collect()
    }

    /// The last packet node `i` sent (as decoded by the harness), if any.
    pub fn last_sent(&self, i: usize) -> Option<Arc<Packet>> {
        self.sent[i].back().map(|s| s.packet.clone())
    }

    /// What node `i` currently believes about node `j`.
    pub fn view(&self, i: usize, j: usize) -> NodeState {
        self.nodes[i].views[j].state
    }

    /// The live nodes running `group`.
    pub fn owners(&self, group: &str) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].is_up() && self.nodes[i].runs(group))
            .collect()
    }

    /// When node `i` first emitted an event matching `pred` at or after `from`.
    pub fn first_event(
        &self,
        i: usize,
        from: Duration,
        pred: impl Fn(&Event) -> bool,
    ) -> Option<Duration> {
        self.nodes[i]
            .events
            .iter()
            .find(|o| o.at >= from && pred(&o.event))
            .map(|o| o.at)
    }

    /// Schedule `op` at virtual time `at` (now if `at` is in the past).
    pub fn schedule(&mut self, at: Duration, op: Op) {
        self.push_timer(at.max(self.now()), TimerKind::Op(op));
    }

    fn push_timer(&mut self, at: Duration, kind: TimerKind) {
        self.timer_order += 1;
        self.timers.push(Timer {
            at,
            order: self.timer_order,
            kind,
        });
    }

    /// Apply `op` now and check the invariants.
    pub fn apply(&mut self, op: Op) -> Result<(), Violation> {
        self.apply_op(op).map_err(|b| self.violation(b))?;
        self.check()
    }

    /// kill -9 of node `i`.
    pub fn crash(&mut self, i: usize) -> Result<(), Violation> {
        self.apply(Op::Crash(i))
    }

    /// Start (or restart) node `i`.
    pub fn start(&mut self, i: usize) -> Result<(), Violation> {
        self.apply(Op::Start(i))
    }

    /// Graceful shutdown of node `i`.
    pub fn shutdown(&mut self, i: usize) -> Result<(), Violation> {
        self.apply(Op::Shutdown(i))
    }

    /// Send an engine command to node `i`.
    pub fn command(&mut self, i: usize, command: Command) -> Result<(), Violation> {
        self.apply(Op::Command(i, command))
    }

    /// Run until virtual time `until`.
    pub fn run_until(&mut self, until: Duration) -> Result<(), Violation> {
        while self.step_before(until)? {}
        self.clock.advance_to(until);
        self.check()
    }

    /// Run for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) -> Result<(), Violation> {
        self.run_until(self.now() + d)
    }

    /// Run until `cond` holds (checked after every step) or `limit` of virtual
    /// time passed; returns whether `cond` held.
    pub fn run_until_cond(
        &mut self,
        limit: Duration,
        cond: impl Fn(&Cluster) -> bool,
    ) -> Result<bool, Violation> {
        let until = self.now() + limit;
        loop {
            if cond(self) {
                return Ok(true);
            }
            if !self.step_before(until)? {
                self.clock.advance_to(until);
                self.check()?;
                return Ok(cond(self));
            }
        }
    }

    /// Whether the cluster is at rest: every node up and seeing every other one
    /// `Active`, every group running on exactly one node, no action in progress.
    pub fn settled(&self) -> bool {
        let n = self.nodes.len();
        let all_active = (0..n).all(|i| {
            self.nodes[i].is_running()
                && !self.nodes[i].busy()
                && self.nodes[i].queued.values().all(VecDeque::is_empty)
                && (0..n).all(|j| i == j || self.view(i, j) == NodeState::Active)
        });
        all_active
            && self.nodes[0]
                .groups
                .keys()
                .all(|g| self.owners(g).len() == 1)
    }

    /// Invariant (d): every group runs on exactly one live node (at most one if
    /// resource failures could be injected in this run).
    pub fn check_converged(&self) -> Result<(), Violation> {
        Checker::check_converged(&self.nodes, self.failures_possible).map_err(|b| self.violation(b))
    }

    fn violation(&self, b: Breach) -> Violation {
        Violation {
            seed: self.spec.seed,
            step: self.step,
            at: self.now(),
            invariant: b.invariant,
            detail: b.detail,
        }
    }

    fn check(&mut self) -> Result<(), Violation> {
        let now = self.now();
        self.checker
            .check(now, &self.nodes, &self.net)
            .map_err(|b| self.violation(b))
    }

    fn next_due(&self) -> Option<(Duration, Due)> {
        let now = self.now();
        let mut best: Option<(Duration, Due)> = None;
        let mut consider = |t: Duration, d: Due| {
            if best.as_ref().is_none_or(|(bt, _)| t < *bt) {
                best = Some((t, d));
            }
        };
        for (i, n) in self.nodes.iter().enumerate() {
            if n.hung {
                continue;
            }
            if let Some(t) = n.engine.as_ref().and_then(Engine::poll_timeout) {
                consider(self.clock.offset_of(t).max(now), Due::Engine(i));
            }
        }
        if let Some(t) = self.timers.peek() {
            consider(t.at, Due::Timer);
        }
        if let Some(t) = self.net.next_delivery() {
            consider(t, Due::Delivery);
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if let Some(t) = n.watchdog_deadline() {
                consider(t.max(now), Due::Watchdog(i));
            }
        }
        best
    }

    /// Take one step if something is due at or before `until`.
    fn step_before(&mut self, until: Duration) -> Result<bool, Violation> {
        let Some((at, due)) = self.next_due() else {
            return Ok(false);
        };
        if at > until {
            return Ok(false);
        }
        self.clock.advance_to(at);
        self.step += 1;
        if at == self.last_step_at {
            self.steps_at_instant += 1;
            if self.steps_at_instant > MAX_STEPS_PER_INSTANT {
                return Err(self.violation(Breach {
                    invariant: Invariant::Livelock,
                    detail: format!("{MAX_STEPS_PER_INSTANT} steps at one instant"),
                }));
            }
        } else {
            self.last_step_at = at;
            self.steps_at_instant = 0;
        }
        let res = match due {
            Due::Engine(i) => {
                let now = self.clock.now();
                if let Some(e) = self.nodes[i].engine.as_mut() {
                    e.handle_timeout(now);
                }
                self.drain(i, Origin::Genuine)
            }
            Due::Watchdog(i) => {
                self.reset(i, ResetCause::Watchdog);
                Ok(())
            }
            Due::Timer => {
                let t = self.timers.pop().expect("peeked");
                match t.kind {
                    TimerKind::Op(op) => self.apply_op(op),
                    TimerKind::ActionDone {
                        node,
                        incarnation,
                        group,
                        kind,
                        ok,
                    } => self.finish_action(node, incarnation, group, kind, ok),
                    TimerKind::FenceDone {
                        fencer,
                        incarnation,
                        target,
                        ok,
                    } => self.fence_done(fencer, incarnation, target, ok),
                }
            }
            Due::Delivery => {
                let d = self.net.pop_due(at).expect("peeked");
                self.deliver(d)
            }
        };
        res.map_err(|b| self.violation(b))?;
        self.check()?;
        Ok(true)
    }

    fn deliver(&mut self, d: Datagram) -> Result<(), Breach> {
        let to = d.to;
        let now = self.clock.now();
        if self.nodes[to].hung {
            let node = &mut self.nodes[to];
            if node.socket.len() < SOCKET_BUFFER {
                node.socket.push_back(d);
            } else {
                node.socket_drops += 1;
            }
            return Ok(());
        }
        let Some(engine) = self.nodes[to].engine.as_mut() else {
            return Ok(());
        };
        engine.handle_datagram(now, d.medium, &d.bytes);
        let origin = d.origin;
        if let Some(p) = d
            .packet
            .as_ref()
            .filter(|p| !matches!(p.message, Message::Status(_)))
        {
            let (from, seq, gen) = (d.from, p.seq, p.generation);
            let msg = format!("{:?}", p.message);
            self.log(|| {
                format!(
                    "node{} <- node{} gen {gen} seq {seq} {origin:?}: {msg}",
                    to + 1,
                    from + 1
                )
            });
        }
        if origin == Origin::Genuine && d.from != to {
            if let Some(p) = &d.packet {
                let inc = self.nodes[to].incarnation;
                let seen = &mut self.gen_seen[to][d.from];
                if seen.0 != inc {
                    *seen = (inc, 0);
                }
                seen.1 = seen.1.max(p.generation);
                if p.seq > 0 {
                    let ring = &mut self.received[to];
                    ring.push_back((inc, d));
                    if ring.len() > REPLAY_RING {
                        ring.pop_front();
                    }
                }
            }
        }
        self.drain(to, origin)
    }

    /// Drain every output of node `i`; `origin` says what it just handled.
    fn drain(&mut self, i: usize, origin: Origin) -> Result<(), Breach> {
        let mut transmits: Vec<Transmit> = Vec::new();
        let mut events: Vec<Event> = Vec::new();
        let mut actions: Vec<ResourceAction> = Vec::new();
        let mut fences: Vec<FenceRequest> = Vec::new();
        let mut petted = false;
        if let Some(engine) = self.nodes[i].engine.as_mut() {
            loop {
                let mut any = false;
                while let Some(f) = engine.poll_fence() {
                    fences.push(f);
                    any = true;
                }
                petted |= engine.poll_watchdog_pet();
                while let Some(t) = engine.poll_transmit() {
                    transmits.push(t);
                    any = true;
                }
                while let Some(e) = engine.poll_event() {
                    events.push(e);
                    any = true;
                }
                while let Some(a) = engine.poll_action() {
                    actions.push(a);
                    any = true;
                }
                if !any {
                    break;
                }
            }
        }
        let injected = if origin == Origin::Genuine {
            Ok(())
        } else {
            let out = Outputs {
                events: events.clone(),
                transmits: transmits.len(),
                actions: actions.len(),
            };
            check_injected(origin, &self.nodes[i].name, &out)
        };
        let injected = injected.and(if origin != Origin::Genuine && !fences.is_empty() {
            Err(Breach {
                invariant: Invariant::Forged,
                detail: format!(
                    "{} asked for a reset after a {origin:?} datagram",
                    self.nodes[i].name
                ),
            })
        } else {
            Ok(())
        });
        if petted && self.nodes[i].watchdog_timeout.is_some() {
            self.nodes[i].last_pet = Some(self.now());
        }
        for t in transmits {
            self.transmit(i, t);
        }
        let mut result = injected;
        let mut stopped = false;
        for e in events {
            stopped |= matches!(e, Event::ShutdownComplete);
            let r = self.observe(i, e);
            if result.is_ok() {
                result = r;
            }
        }
        for a in actions {
            let r = self.begin_action(i, a.group, a.kind);
            if result.is_ok() {
                result = r;
            }
        }
        for f in fences {
            self.start_fence(i, f);
        }
        if stopped {
            let r = self.stop_gracefully(i);
            if result.is_ok() {
                result = r;
            }
        }
        result
    }

    fn transmit(&mut self, i: usize, t: Transmit) {
        let now = self.now();
        let packet = match heartbeat_core::wire::decode_any(&t.bytes, &self.keys) {
            Ok(heartbeat_core::wire::linuxha::Classified::Known { packet, .. }) => {
                Some(Arc::new(packet))
            }
            _ => None,
        };
        if let Some(p) = &packet {
            let node = &mut self.nodes[i];
            if let Message::Status(s) = &p.message {
                let newer = node.last_status.is_none_or(|l| p.seq >= l.seq);
                if newer {
                    let deadtime = Duration::from_millis(u64::from(s.deadtime_ms));
                    let claimed = node
                        .last_status
                        .map_or(Duration::ZERO, |l| l.alive_claim_until);
                    node.last_status = Some(StatusSent {
                        at: now,
                        seq: p.seq,
                        deadtime,
                        status: s.status,
                        alive_claim_until: claimed.max(now + deadtime),
                    });
                }
            }
            let ring = &mut self.sent[i];
            ring.push_back(Sent {
                generation: p.generation,
                bytes: t.bytes.clone(),
                packet: p.clone(),
            });
            if ring.len() > REPLAY_RING {
                ring.pop_front();
            }
        }
        self.net.send(now, i, t.via, &t.bytes, packet);
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    fn observe(&mut self, i: usize, event: Event) -> Result<(), Breach> {
        self.log(|| format!("node{} event {event:?}", i + 1));
        let now = self.now();
        let inc = self.nodes[i].incarnation;
        if let Event::NodeState { node, state } = &event {
            if let Some(j) = self.index_of(node) {
                let v = &mut self.nodes[i].views[j];
                let changed = v.alive() != matches!(state, NodeState::Up | NodeState::Active)
                    || (v.state == NodeState::Dead) != (*state == NodeState::Dead);
                *v = PeerView {
                    state: *state,
                    since: if changed { now } else { v.since },
                };
            }
        }
        let names: Vec<String> = self.nodes.iter().map(|n| n.name.clone()).collect();
        let r = self.checker.on_event(now, i, inc, &event, |name| {
            names.iter().position(|n| n == name)
        });
        self.nodes[i].events.push(Observed {
            at: now,
            incarnation: inc,
            event,
        });
        r
    }

    fn begin_action(&mut self, i: usize, group: String, kind: ActionKind) -> Result<(), Breach> {
        self.log(|| format!("node{} action {kind:?} {group}", i + 1));
        let node = &mut self.nodes[i];
        let Some(state) = node.groups.get(&group).copied() else {
            return Err(Breach {
                invariant: Invariant::Contract,
                detail: format!("{} asked to {kind:?} unknown group {group}", node.name),
            });
        };
        if matches!(state, GroupRun::Starting | GroupRun::Stopping) {
            node.queued.entry(group).or_default().push_back(kind);
            return Ok(());
        }
        let next = match kind {
            ActionKind::Start => GroupRun::Starting,
            ActionKind::Stop => GroupRun::Stopping,
        };
        node.groups.insert(group.clone(), next);
        let a = self.spec.actions;
        let delay = self.rng.duration(a.min_delay, a.max_delay);
        let p_fail = match kind {
            ActionKind::Start => a.start_failure,
            ActionKind::Stop => a.stop_failure,
        };
        let ok = !self.rng.chance(p_fail);
        let at = self.now() + delay;
        let incarnation = self.nodes[i].incarnation;
        self.push_timer(
            at,
            TimerKind::ActionDone {
                node: i,
                incarnation,
                group,
                kind,
                ok,
            },
        );
        Ok(())
    }

    fn finish_action(
        &mut self,
        i: usize,
        incarnation: u32,
        group: String,
        kind: ActionKind,
        ok: bool,
    ) -> Result<(), Breach> {
        if self.nodes[i].incarnation != incarnation || !self.nodes[i].is_up() {
            return Ok(());
        }
        if self.nodes[i].hung {
            self.nodes[i]
                .deferred
                .push_back(Deferred::ActionDone { group, kind, ok });
            return Ok(());
        }
        self.log(|| format!("node{} finished {kind:?} {group} ok={ok}", i + 1));
        let now = self.now();
        let node = &mut self.nodes[i];
        let after = match (kind, ok) {
            (ActionKind::Start, true) => GroupRun::Running { since: now },
            (ActionKind::Start, false) => GroupRun::Stopped,
            (ActionKind::Stop, true) => GroupRun::Stopped,
            // A failed stop leaves the resource in place: count it as running.
            (ActionKind::Stop, false) => GroupRun::Running { since: now },
        };
        node.groups.insert(group.clone(), after);
        let instant = self.clock.now();
        if let Some(e) = node.engine.as_mut() {
            e.handle_command(
                instant,
                Command::ActionFinished {
                    group: group.clone(),
                    kind,
                    ok,
                },
            );
        }
        let r = self.drain(i, Origin::Genuine);
        let next = self.nodes[i]
            .queued
            .get_mut(&group)
            .and_then(VecDeque::pop_front);
        let r2 = match next {
            Some(k) if self.nodes[i].is_up() => self.begin_action(i, group, k),
            _ => Ok(()),
        };
        r.and(r2)
    }

    fn start_node(&mut self, i: usize) {
        if self.nodes[i].is_up() {
            return;
        }
        let now = self.now();
        if self.ever_started[i] {
            self.nodes[i].identity.generation += 1;
            self.prev_sent[i] = std::mem::take(&mut self.sent[i]);
        }
        self.ever_started[i] = true;
        let seed = self.spec.seed
            ^ ((i as u64 + 1) << 48)
            ^ (u64::from(self.nodes[i].incarnation) << 32)
            ^ 0x5EED;
        let node = &mut self.nodes[i];
        node.reset_local_state(now);
        node.engine = Some(Engine::new(
            node.config.clone(),
            node.identity,
            self.clock.now(),
            seed,
        ));
        // The watchdog is armed when the process opens it.
        node.last_pet = node.watchdog_timeout.map(|_| now);
        self.checker.on_lifecycle(i);
    }

    fn crash_node(&mut self, i: usize) {
        if !self.nodes[i].is_up() {
            return;
        }
        let now = self.now();
        let was_hung = self.nodes[i].hung;
        self.checker.on_lifecycle(i);
        self.nodes[i].engine = None;
        if !was_hung {
            // A hung node's obligations were set when it hung.
            self.checker.on_crash(now, i, &self.nodes, &self.net);
        }
        let node = &mut self.nodes[i];
        node.incarnation += 1;
        node.reset_local_state(now);
    }

    fn stop_gracefully(&mut self, i: usize) -> Result<(), Breach> {
        let running = self.nodes[i].running_groups();
        self.checker.on_lifecycle(i);
        let now = self.now();
        let node = &mut self.nodes[i];
        node.engine = None;
        node.incarnation += 1;
        node.reset_local_state(now);
        if running.is_empty() {
            Ok(())
        } else {
            Err(Breach {
                invariant: Invariant::Contract,
                detail: format!(
                    "{} completed its shutdown with {running:?} running",
                    node.name
                ),
            })
        }
    }

    fn apply_op(&mut self, op: Op) -> Result<(), Breach> {
        self.log(|| format!("op {op:?}"));
        match op {
            Op::Crash(i) => self.crash_node(i),
            Op::Start(i) => {
                if self.nodes[i].hung {
                    return Ok(());
                }
                self.start_node(i);
                return self.drain(i, Origin::Genuine);
            }
            Op::Shutdown(i) => {
                if self.nodes[i].is_up() {
                    self.nodes[i].shutting_down = true;
                }
                return self.engine_command(i, Command::Shutdown);
            }
            Op::Command(i, c) => return self.engine_command(i, c),
            Op::SendApp { from, to } => {
                self.app_counter += 1;
                let payload = Bytes::from(format!(
                    "app-{}-{}-{}",
                    self.spec.seed, from, self.app_counter
                ));
                self.checker.on_app_send(from, payload.clone());
                let cmd = Command::Send {
                    to: to.map(node_name),
                    payload,
                };
                return self.engine_command(from, cmd);
            }
            Op::Partition { a, b, medium, dir } => self.net.partition(a, b, medium, dir),
            Op::Heal { a, b, medium, dir } => self.net.heal(a, b, medium, dir),
            Op::Split(side) => self.net.split(&side),
            Op::HealAll => self.net.heal_all(),
            Op::SetLink {
                from,
                to,
                medium,
                faults,
            } => self.net.set_link(from, to, medium, faults),
            Op::SetMedium(m, f) => self.net.set_medium(m, f),
            Op::SetAll(f) => self.net.set_all(f),
            Op::SetActions(a) => {
                self.failures_possible |= a.can_fail();
                self.spec.actions = a;
            }
            Op::Forge(kind) => self.forge(kind),
            Op::Hang(i) => {
                if self.nodes[i].is_running() {
                    self.nodes[i].hung = true;
                    // It falls silent like a crashed node: its peers must
                    // declare it dead in time; it owes nothing meanwhile.
                    self.checker.on_lifecycle(i);
                    let now = self.now();
                    self.checker.on_crash(now, i, &self.nodes, &self.net);
                }
            }
            Op::Resume(i) => return self.resume(i),
            Op::SetFence(node, device) => match node {
                Some(i) => {
                    let devices = &mut self.spec.safety.devices;
                    if devices.len() <= i {
                        devices.resize(i + 1, FenceDevice::RELIABLE);
                    }
                    devices[i] = device;
                }
                None => self.spec.safety.devices = vec![device; self.nodes.len()],
            },
        }
        Ok(())
    }

    /// Node `i` resumes from a hang: its overdue timers first (its
    /// lifeguard sees the stall), then its socket's datagrams (delivered at
    /// once, in order), then the commands and script ends that waited.
    fn resume(&mut self, i: usize) -> Result<(), Breach> {
        if !self.nodes[i].hung {
            return Ok(());
        }
        let now = self.now();
        let node = &mut self.nodes[i];
        node.hung = false;
        node.resumed_at = now;
        let socket = std::mem::take(&mut node.socket);
        let deferred = std::mem::take(&mut node.deferred);
        self.checker.on_lifecycle(i);
        let instant = self.clock.now();
        let due = self.nodes[i]
            .engine
            .as_ref()
            .and_then(Engine::poll_timeout)
            .is_some_and(|t| t <= instant);
        let mut result = Ok(());
        if due {
            if let Some(e) = self.nodes[i].engine.as_mut() {
                e.handle_timeout(instant);
            }
            result = self.drain(i, Origin::Genuine);
        }
        for d in socket {
            self.net.inject(now, d);
        }
        for item in deferred {
            if !self.nodes[i].is_running() {
                break;
            }
            let r = match item {
                Deferred::Command(c) => self.engine_command(i, c),
                Deferred::ActionDone { group, kind, ok } => {
                    let inc = self.nodes[i].incarnation;
                    self.finish_action(i, inc, group, kind, ok)
                }
            };
            if result.is_ok() {
                result = r;
            }
        }
        result
    }

    /// Node `fencer`'s engine asks for a reset: its device works for a
    /// while, then succeeds or fails (see [`crate::safety`]).
    fn start_fence(&mut self, fencer: usize, request: FenceRequest) {
        self.fence_requests += 1;
        let Some(target) = self.index_of(&request.target) else {
            return;
        };
        let device = self.spec.safety.device(fencer);
        let delay = self.rng.duration(device.min_delay, device.max_delay);
        let ok = !device.failing && !self.rng.chance(device.failure);
        self.log(|| {
            format!(
                "node{} fence request {} attempt {} (device: {} in {delay:?})",
                fencer + 1,
                request.target,
                request.attempt,
                if ok { "reset" } else { "fails" }
            )
        });
        let at = self.now() + delay;
        let incarnation = self.nodes[fencer].incarnation;
        self.push_timer(
            at,
            TimerKind::FenceDone {
                fencer,
                incarnation,
                target,
                ok,
            },
        );
    }

    /// A fence device finished: power the target off if it succeeded, and
    /// report to the fencer (when its process is still the one that asked).
    fn fence_done(
        &mut self,
        fencer: usize,
        incarnation: u32,
        target: usize,
        ok: bool,
    ) -> Result<(), Breach> {
        if ok {
            self.reset(target, ResetCause::Fenced { by: fencer });
        } else {
            self.fence_failures += 1;
        }
        if self.nodes[fencer].incarnation != incarnation || !self.nodes[fencer].is_up() {
            return Ok(());
        }
        let command = Command::FenceFinished {
            target: self.nodes[target].name.clone(),
            ok,
            method: "external/sim".into(),
        };
        self.engine_command(fencer, command)
    }

    /// Power node `i` off (a fence device or its watchdog): a crash, hung
    /// or not; it may start again later (see [`SafetySpec::restart_after_reset`]).
    fn reset(&mut self, i: usize, cause: ResetCause) {
        let was_hung = self.nodes[i].hung;
        let was_up = self.nodes[i].is_up();
        self.log(|| {
            format!(
                "node{} reset ({cause:?}, up {was_up}, hung {was_hung})",
                i + 1
            )
        });
        self.resets.push(Reset {
            at: self.now(),
            node: i,
            cause,
            was_hung,
        });
        if !was_up {
            return;
        }
        self.crash_node(i);
        if let Some((lo, hi)) = self.spec.safety.restart_after_reset {
            let at = self.now() + self.rng.duration(lo, hi);
            self.schedule(at, Op::Start(i));
        }
    }

    fn engine_command(&mut self, i: usize, command: Command) -> Result<(), Breach> {
        if self.nodes[i].hung {
            self.nodes[i].deferred.push_back(Deferred::Command(command));
            return Ok(());
        }
        let now = self.clock.now();
        match self.nodes[i].engine.as_mut() {
            Some(e) => e.handle_command(now, command),
            None => return Ok(()),
        }
        self.drain(i, Origin::Genuine)
    }

    /// Inject one forged or replayed datagram, if suitable material exists.
    fn forge(&mut self, kind: ForgeKind) {
        let now = self.now();
        let n = self.nodes.len();
        let up: Vec<usize> = (0..n).filter(|&i| self.nodes[i].is_up()).collect();
        if up.is_empty() {
            return;
        }
        let target = up[self.rng.index(up.len())];
        let medium = heartbeat_core::engine::MediumId(self.rng.index(self.net.media()));
        let datagram = |from: usize, bytes: Bytes, origin: Origin| Datagram {
            from,
            to: target,
            medium,
            bytes,
            packet: None,
            origin,
        };
        let made = match kind {
            ForgeKind::WrongKey | ForgeKind::UnknownKeyIndex => {
                let from = self.rng.index(n);
                let Some(template) = self.sent[from].back().map(|s| s.packet.clone()) else {
                    return;
                };
                self.forged_counter += 1;
                let payload = Bytes::from(format!("forged-{}", self.forged_counter));
                let as_status = self.rng.chance(0.5);
                let packet = forge::forged_packet(&template, payload, as_status);
                let keys = if kind == ForgeKind::WrongKey {
                    forge::wrong_secret(&self.keys)
                } else {
                    forge::unknown_index(&self.keys)
                };
                forge::sign_with(&packet, &keys).map(|b| datagram(from, b, Origin::Forged))
            }
            ForgeKind::BitFlip => {
                let from = self.rng.index(n);
                let Some(s) = self.sent[from].back().cloned() else {
                    return;
                };
                let flipped = forge::flip_bit(&s.bytes, &mut self.rng);
                match native::decode(&flipped, &self.keys) {
                    // The flip landed where the codec ignores it: nothing forged.
                    Ok(p) if p == *s.packet => None,
                    _ => Some(datagram(from, flipped, Origin::Forged)),
                }
            }
            ForgeKind::ReplayDuplicate => {
                let inc = self.nodes[target].incarnation;
                let ring: Vec<&(u32, Datagram)> = self.received[target]
                    .iter()
                    .filter(|(i, _)| *i == inc)
                    .collect();
                if ring.is_empty() {
                    return;
                }
                let (_, d) = ring[self.rng.index(ring.len())];
                let mut d = d.clone();
                d.origin = Origin::Replayed;
                Some(d)
            }
            ForgeKind::ReplayOldGeneration => {
                let inc = self.nodes[target].incarnation;
                let candidates: Vec<Sent> = (0..n)
                    .filter(|&s| s != target)
                    .flat_map(|s| {
                        let (seen_inc, seen_gen) = self.gen_seen[target][s];
                        self.prev_sent[s]
                            .iter()
                            .filter(move |x| seen_inc == inc && x.generation < seen_gen)
                            .cloned()
                            .collect::<Vec<_>>()
                    })
                    .collect();
                if candidates.is_empty() {
                    return;
                }
                let s = &candidates[self.rng.index(candidates.len())];
                let from = self.index_of(&s.packet.from).unwrap_or(0);
                Some(datagram(from, s.bytes.clone(), Origin::Replayed))
            }
        };
        if let Some(d) = made {
            self.net.inject(now, d);
        }
    }
}
