//! Two engines, `node1` and `node2`, on a virtual two-link network in
//! virtual time, driven by fuzzer-chosen steps: time passing, links cut and
//! restored, operator commands, failing resource actions, raw datagrams,
//! and packets that claim to come from the peer, correctly signed, with
//! arbitrary sequence numbers, generations, destinations and contents.
//!
//! Checked after every step:
//! - nothing panics, and every timer deadline moves forward (no engine asks
//!   to be woken again and again at the same instant);
//! - every datagram an engine sends decodes with the cluster's keys;
//! - an engine never asks for a second action on a group whose first one
//!   has not finished;
//! - each status names its own node and lists the other as its peer.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use bytes::Bytes;
use heartbeat_core::config::Config;
use heartbeat_core::engine::{ActionKind, Command, Engine, Identity, MediumId, Via};
use heartbeat_core::wire::linuxha::Classified;
use heartbeat_core::wire::{
    self, native, GroupHold, Holdings, Message, NodeStatus, NodeUuid, Ownership, Packet,
    StandbyPhase, Status,
};

/// The two nodes' `ha.cf` (the engine reads no interface: any name will do).
const HA_CF: &str = "node node1 node2\nkeepalive 100ms\nwarntime 300ms\ndeadtime 1\n\
                     initdead 2\nbcast eth0 eth1\nauto_failback on\n";
/// Two groups, one preferred by each node.
const HARESOURCES: &str = "node1 web\nnode2 db\n";
/// How many timer firings one step may cause before it counts as a spin.
const MAX_FIRINGS_PER_STEP: usize = 100_000;
/// How many datagrams one step may exchange before it counts as a storm.
const MAX_DELIVERIES_PER_STEP: usize = 100_000;

/// The fuzzer's input: a dialect and the steps.
#[derive(Arbitrary, Debug)]
pub struct Scenario {
    /// Both nodes speak Linux-HA's dialect (with sha1 keys) instead of the
    /// native one (sha256).
    pub linux_ha: bool,
    /// What happens, in order.
    pub steps: Vec<Step>,
}

/// One thing that happens to the pair.
#[derive(Arbitrary, Debug)]
pub enum Step {
    /// Virtual time passes (ms), timers fire and traffic flows.
    Advance(u16),
    /// The links between the nodes are cut (`true`) or restored.
    Partition(bool),
    /// A packet claiming to come from the other node reaches `to`.
    Inject {
        /// The receiving node (0 or 1).
        to: bool,
        /// On the second link instead of the first.
        second_link: bool,
        /// The packet.
        packet: FuzzPacket,
    },
    /// Raw bytes reach `to` (almost always rejected).
    Raw {
        /// The receiving node.
        to: bool,
        /// The datagram.
        bytes: Vec<u8>,
    },
    /// An operator or application command on `on`.
    Command {
        /// The node.
        on: bool,
        /// The command.
        command: FuzzCommand,
    },
    /// The next resource action of each node fails.
    FailNextActions,
}

/// A packet as the fuzzer builds it; signed before it is delivered.
#[derive(Arbitrary, Debug)]
pub struct FuzzPacket {
    /// Generation: the sender's real one, the next, or any.
    pub generation: Choice<u64>,
    /// Sequence number.
    pub seq: u64,
    /// Destination: everyone, the receiver, or the sender itself.
    pub dest: u8,
    /// Content.
    pub message: FuzzMessage,
}

/// A value that is usually a plausible one.
#[derive(Arbitrary, Debug)]
pub enum Choice<T> {
    /// The real value.
    Real,
    /// One more than the real value.
    Next,
    /// Anything.
    Any(T),
}

/// The message types of the native wire, with fuzzer-chosen fields.
#[derive(Arbitrary, Debug)]
#[allow(missing_docs)]
pub enum FuzzMessage {
    Status {
        status: u8,
        deadtime_ms: u32,
        holdings: u8,
        timestamp_ms: u64,
    },
    IpRequest(GroupName),
    IpRequestResp {
        group: GroupName,
        we_own: bool,
        ok: bool,
    },
    RexmitRequest {
        first_seq: u64,
        last_seq: u64,
    },
    NakRexmit(u64),
    Ack {
        ack_seq: u64,
        delay_us: u32,
    },
    Starting,
    ResourceReport {
        holdings: u8,
        full: bool,
        stable: bool,
    },
    AskResources {
        holdings: u8,
        phase: u8,
    },
    Shutdone,
    Ownership {
        serial: u64,
        groups_digest: Choice<u32>,
        first: u16,
        holds: Vec<u8>,
        faults: Vec<bool>,
    },
    App(Vec<u8>),
}

/// A group key: one of the configured ones, or any string.
#[derive(Arbitrary, Debug)]
pub enum GroupName {
    /// `web`.
    Web,
    /// `db`.
    Db,
    /// Anything.
    Other(String),
}

/// The commands an operator or application may give.
#[derive(Arbitrary, Debug)]
#[allow(missing_docs)]
pub enum FuzzCommand {
    Standby(u8),
    Takeover(u8),
    Send { to_peer: bool, payload: Vec<u8> },
    Shutdown,
    GroupHealth { group: GroupName, healthy: bool },
    PingReply(String),
}

/// Runs the scenario the fuzzer's bytes describe (as libFuzzer's typed
/// targets read them: [`Arbitrary::arbitrary_take_rest`]).
pub fn engine_pair(data: &[u8]) {
    if let Ok(scenario) = Scenario::arbitrary_take_rest(arbitrary::Unstructured::new(data)) {
        run(&scenario);
    }
}

/// Runs `scenario` (see the module documentation for what is checked).
pub fn run(scenario: &Scenario) {
    let mut pair = Pair::new(scenario.linux_ha);
    for step in &scenario.steps {
        pair.step(step);
        pair.check();
    }
    pair.advance(Duration::from_secs(10));
    pair.check();
}

struct Node {
    engine: Engine,
    identity: Identity,
    /// Groups with an action in flight.
    busy: BTreeSet<String>,
    /// Actions asked for and not yet finished.
    pending: Vec<(String, ActionKind)>,
    fail_next: bool,
}

struct Pair {
    nodes: [Node; 2],
    config: Config,
    start: Instant,
    now: Instant,
    partitioned: bool,
    /// Datagrams in flight: (to, medium, bytes).
    wire: Vec<(usize, MediumId, Bytes)>,
    /// The groups digest the engines announce (learned from their
    /// ownership announcements), so that forged ones can carry it.
    digest: u32,
}

const NAMES: [&str; 2] = ["node1", "node2"];

impl Pair {
    fn new(linux_ha: bool) -> Pair {
        let (method, dialect) = if linux_ha {
            ("sha1", "wire_dialect linux-ha\n")
        } else {
            ("sha256", "")
        };
        let authkeys = format!(
            "auth 1\n1 {method} {}\n",
            String::from_utf8_lossy(crate::SECRET)
        );
        let start = Instant::now();
        let node = |i: usize| {
            let ha_cf = format!("{HA_CF}{dialect}");
            let config = Config::from_texts(&ha_cf, &authkeys, HARESOURCES, NAMES[i])
                .expect("the fuzz cluster's configuration is valid");
            let identity = Identity {
                uuid: NodeUuid([i as u8 + 1; 16]),
                generation: 1000 + i as u64,
            };
            let engine = Engine::new(config, identity, start, i as u64);
            Node {
                engine,
                identity,
                busy: BTreeSet::new(),
                pending: Vec::new(),
                fail_next: false,
            }
        };
        let config = Config::from_texts(
            &format!("{HA_CF}{dialect}"),
            &authkeys,
            HARESOURCES,
            NAMES[0],
        )
        .expect("valid");
        let mut pair = Pair {
            nodes: [node(0), node(1)],
            config,
            start,
            now: start,
            partitioned: false,
            wire: Vec::new(),
            digest: 0,
        };
        pair.drain();
        pair
    }

    fn step(&mut self, step: &Step) {
        match step {
            Step::Advance(ms) => self.advance(Duration::from_millis(u64::from(*ms))),
            Step::Partition(cut) => self.partitioned = *cut,
            Step::Inject {
                to,
                second_link,
                packet,
            } => {
                let to = usize::from(*to);
                if let Some(bytes) = self.forge(1 - to, to, packet) {
                    let medium = MediumId(usize::from(*second_link));
                    self.nodes[to]
                        .engine
                        .handle_datagram(self.now, medium, &bytes);
                }
            }
            Step::Raw { to, bytes } => {
                self.nodes[usize::from(*to)]
                    .engine
                    .handle_datagram(self.now, MediumId(0), bytes);
            }
            Step::Command { on, command } => {
                let on = usize::from(*on);
                let command = self.command(on, command);
                self.nodes[on].engine.handle_command(self.now, command);
            }
            Step::FailNextActions => {
                for node in &mut self.nodes {
                    node.fail_next = true;
                }
            }
        }
        self.drain();
    }

    /// A correctly signed packet from `from` to `to`.
    fn forge(&self, from: usize, to: usize, p: &FuzzPacket) -> Option<Bytes> {
        let real = self.nodes[from].identity.generation;
        let generation = match p.generation {
            Choice::Real => real,
            Choice::Next => real + 1,
            Choice::Any(g) => g,
        };
        let dest = match p.dest % 3 {
            0 => None,
            1 => Some(NAMES[to].to_owned()),
            _ => Some(NAMES[from].to_owned()),
        };
        let packet = Packet {
            from: NAMES[from].to_owned(),
            from_uuid: self.nodes[from].identity.uuid,
            generation,
            seq: p.seq,
            dest,
            message: message(&p.message, self.digest),
        };
        native::encode(&packet, &self.config.keys).ok()
    }

    fn command(&self, on: usize, c: &FuzzCommand) -> Command {
        match c {
            FuzzCommand::Standby(h) => Command::Standby(holdings(*h)),
            FuzzCommand::Takeover(h) => Command::Takeover(holdings(*h)),
            FuzzCommand::Send { to_peer, payload } => Command::Send {
                to: to_peer.then(|| NAMES[1 - on].to_owned()),
                payload: Bytes::copy_from_slice(payload),
            },
            FuzzCommand::Shutdown => Command::Shutdown,
            FuzzCommand::GroupHealth { group, healthy } => Command::GroupHealth {
                group: group_key(group),
                healthy: *healthy,
            },
            FuzzCommand::PingReply(node) => Command::PingReply { node: node.clone() },
        }
    }

    /// Lets `span` pass: timers fire at their deadlines, actions finish,
    /// datagrams are delivered at once (unless the links are cut).
    fn advance(&mut self, span: Duration) {
        let until = self.now + span;
        let mut firings = 0;
        loop {
            self.finish_actions();
            let next = self
                .nodes
                .iter()
                .filter_map(|n| n.engine.poll_timeout())
                .min();
            let Some(at) = next.filter(|at| *at <= until) else {
                break;
            };
            self.now = self.now.max(at);
            for node in &mut self.nodes {
                if node.engine.poll_timeout().is_some_and(|t| t <= self.now) {
                    node.engine.handle_timeout(self.now);
                }
            }
            self.drain();
            firings += 1;
            assert!(
                firings < MAX_FIRINGS_PER_STEP,
                "timers spin at {:?}",
                self.now - self.start
            );
        }
        self.now = until;
    }

    /// Finishes every pending action (failing it if asked to).
    fn finish_actions(&mut self) {
        for node in &mut self.nodes {
            for (group, kind) in std::mem::take(&mut node.pending) {
                node.busy.remove(&group);
                let ok = !std::mem::take(&mut node.fail_next);
                let command = Command::ActionFinished { group, kind, ok };
                node.engine.handle_command(self.now, command);
            }
        }
        self.drain();
    }

    /// Carries out both engines' outputs until they are quiet.
    fn drain(&mut self) {
        let mut deliveries = 0;
        loop {
            for from in 0..2 {
                self.collect(from);
            }
            if self.wire.is_empty() {
                break;
            }
            for (to, medium, bytes) in std::mem::take(&mut self.wire) {
                self.nodes[to]
                    .engine
                    .handle_datagram(self.now, medium, &bytes);
                deliveries += 1;
            }
            assert!(deliveries < MAX_DELIVERIES_PER_STEP, "packet storm");
        }
    }

    /// Takes `from`'s transmits, actions and events, checking each.
    fn collect(&mut self, from: usize) {
        let keys = &self.config.keys;
        let node = &mut self.nodes[from];
        while let Some(t) = node.engine.poll_transmit() {
            let decoded = wire::decode_any(&t.bytes, keys);
            assert!(
                decoded.is_ok(),
                "{} sent a datagram that does not decode ({} bytes)",
                NAMES[from],
                t.bytes.len()
            );
            if let Ok(Classified::Known { packet, .. }) = decoded {
                if let Message::Ownership(o) = packet.message {
                    self.digest = o.groups_digest;
                }
            }
            if !self.partitioned {
                let media = match t.via {
                    Via::AllMedia => vec![MediumId(0), MediumId(1)],
                    Via::Medium(m) => vec![m],
                };
                for m in media {
                    self.wire.push((1 - from, m, t.bytes.clone()));
                }
            }
        }
        while let Some(action) = node.engine.poll_action() {
            assert!(
                node.busy.insert(action.group.clone()),
                "{} asked for a second action on {}",
                NAMES[from],
                action.group
            );
            node.pending.push((action.group, action.kind));
        }
        while node.engine.poll_event().is_some() {}
    }

    fn check(&self) {
        for (i, node) in self.nodes.iter().enumerate() {
            let status = node.engine.status();
            assert_eq!(status.local_node, NAMES[i]);
            let peers: Vec<&str> = status.nodes.iter().map(|n| n.name.as_str()).collect();
            assert_eq!(peers, [NAMES[1 - i]]);
        }
    }
}

fn message(m: &FuzzMessage, digest: u32) -> Message {
    match m {
        FuzzMessage::Status {
            status,
            deadtime_ms,
            holdings: h,
            timestamp_ms,
        } => Message::Status(Status {
            status: match status % 3 {
                0 => NodeStatus::Init,
                1 => NodeStatus::Up,
                _ => NodeStatus::Active,
            },
            deadtime_ms: *deadtime_ms,
            holdings: holdings(*h),
            timestamp_ms: *timestamp_ms,
            view: None,
        }),
        FuzzMessage::IpRequest(group) => Message::IpRequest {
            group: group_key(group),
        },
        FuzzMessage::IpRequestResp { group, we_own, ok } => Message::IpRequestResp {
            group: group_key(group),
            we_own: *we_own,
            ok: *ok,
        },
        FuzzMessage::RexmitRequest {
            first_seq,
            last_seq,
        } => Message::RexmitRequest {
            first_seq: *first_seq,
            last_seq: *last_seq,
        },
        FuzzMessage::NakRexmit(seq) => Message::NakRexmit { seq: *seq },
        FuzzMessage::Ack { ack_seq, delay_us } => Message::Ack {
            ack_seq: *ack_seq,
            delay_us: *delay_us,
        },
        FuzzMessage::Starting => Message::Starting,
        FuzzMessage::ResourceReport {
            holdings: h,
            full,
            stable,
        } => Message::ResourceReport {
            holdings: holdings(*h),
            full: *full,
            stable: *stable,
        },
        FuzzMessage::AskResources { holdings: h, phase } => Message::AskResources {
            holdings: holdings(*h),
            phase: match phase % 3 {
                0 => StandbyPhase::Me,
                1 => StandbyPhase::Other,
                _ => StandbyPhase::Done,
            },
        },
        FuzzMessage::Shutdone => Message::Shutdone,
        FuzzMessage::Ownership {
            serial,
            groups_digest,
            first,
            holds,
            faults,
        } => Message::Ownership(Ownership {
            serial: *serial,
            groups_digest: match groups_digest {
                Choice::Real => digest,
                Choice::Next => digest.wrapping_add(1),
                Choice::Any(d) => *d,
            },
            first: *first,
            holds: holds
                .iter()
                .map(|h| match h % 3 {
                    0 => GroupHold::Free,
                    1 => GroupHold::Held,
                    _ => GroupHold::Unmanaged,
                })
                .collect(),
            faults: faults.clone(),
        }),
        FuzzMessage::App(payload) => Message::App {
            payload: Bytes::copy_from_slice(payload),
        },
    }
}

fn holdings(h: u8) -> Holdings {
    match h % 4 {
        0 => Holdings::None,
        1 => Holdings::Local,
        2 => Holdings::Foreign,
        _ => Holdings::All,
    }
}

fn group_key(g: &GroupName) -> String {
    match g {
        GroupName::Web => "web".into(),
        GroupName::Db => "db".into(),
        GroupName::Other(s) => s.clone(),
    }
}
