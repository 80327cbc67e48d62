//! The operator's view: [`ClusterStatus`], a point-in-time copy of every
//! node's and link's state with the statistics Linux-HA never showed (last
//! heard, when a node would be declared dead, largest gap, losses, round
//! trip). `cl-status` and the runtime's `watch` channel publish it.

use std::time::{Duration, Instant};

use super::links::Links;
use super::resources::LocalState;
use super::{Engine, LinkState, NodeState};
use crate::wire::Holdings;

/// A snapshot of the engine (see [`Engine::status`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterStatus {
    /// Local node name.
    pub local_node: String,
    /// Local generation.
    pub generation: u64,
    /// Local status as advertised (`init`, `up`, `active`).
    pub local_state: NodeState,
    /// Whether communications are up (every peer heard or declared dead).
    pub comm_up: bool,
    /// A shutdown was requested.
    pub shutting_down: bool,
    /// `Shutdone` was sent: this node has left.
    pub departed: bool,
    /// What this node holds.
    pub holdings: Holdings,
    /// The local node's own links (up when our packets come back to us).
    pub local_links: Vec<LinkInfo>,
    /// Every peer, in configuration order.
    pub nodes: Vec<NodeInfo>,
    /// Per-medium receive counters.
    pub media: Vec<MediumInfo>,
    /// Sending side and drop counters.
    pub delivery: DeliveryInfo,
    /// Resource groups, in haresources order.
    pub groups: Vec<GroupInfo>,
    /// Ping nodes, in configuration order.
    pub ping_nodes: Vec<PingNodeInfo>,
    /// Quorum, fencing and watchdog.
    pub safety: super::SafetyInfo,
}

/// What is known about one ping node (`ping` / `ping_group`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingNodeInfo {
    /// Ping node name (the host, or the group's name).
    pub name: String,
    /// `Init` before its first reply, `Ping` while it answers, `Dead`.
    pub state: NodeState,
    /// When its last echo reply arrived.
    pub last_reply: Option<Instant>,
    /// When it will be declared dead if it stays silent (`None` when dead).
    pub dead_at: Option<Instant>,
    /// Echo replies received.
    pub replies: u64,
    /// Times declared dead.
    pub deaths: u64,
}

impl ClusterStatus {
    /// Whether every ping node is dead (none configured: `false`): this
    /// node's groups then count as faulty here.
    pub fn ping_lost(&self) -> bool {
        !self.ping_nodes.is_empty() && self.ping_nodes.iter().all(|p| p.state == NodeState::Dead)
    }

    /// The peer called `name`.
    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.nodes.iter().find(|n| n.name == name)
    }
}

/// One resource group as this node sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupInfo {
    /// Group key (first resource of the haresources line).
    pub key: String,
    /// Preferred node.
    pub preferred_node: String,
    /// The node believed to hold it (this one included), if known.
    pub owner: Option<String>,
    /// What this node is doing with it.
    pub activity: GroupActivity,
}

/// What this node is doing with a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupActivity {
    /// Not running here.
    Stopped,
    /// A start action is running.
    Starting,
    /// Running here.
    Running,
    /// A stop action is running.
    Stopping,
    /// A stop failed: state unknown, unmanaged here.
    Failed,
}

impl From<LocalState> for GroupActivity {
    fn from(s: LocalState) -> Self {
        match s {
            LocalState::Stopped => GroupActivity::Stopped,
            LocalState::Starting => GroupActivity::Starting,
            LocalState::Running => GroupActivity::Running,
            LocalState::Stopping => GroupActivity::Stopping,
            LocalState::Failed => GroupActivity::Failed,
        }
    }
}

/// What is known about one peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    /// Node name.
    pub name: String,
    /// Local verdict.
    pub state: NodeState,
    /// Generation last heard.
    pub generation: Option<u64>,
    /// It announced its shutdown in this generation.
    pub departed: bool,
    /// Holdings from its last status.
    pub holdings: Holdings,
    /// Deadtime currently applied to it (its advertised one, or initdead
    /// before comm-up).
    pub deadtime: Duration,
    /// When its last fresh status arrived.
    pub last_heard: Option<Instant>,
    /// When it will be declared dead if it stays silent (`None` when dead).
    pub dead_at: Option<Instant>,
    /// Largest interval between two of its statuses.
    pub max_gap: Duration,
    /// Fresh statuses received.
    pub statuses: u64,
    /// Late heartbeats (interval above warntime).
    pub late_heartbeats: u64,
    /// Times declared dead.
    pub deaths: u64,
    /// Times heard again after being declared dead, same generation.
    pub returns: u64,
    /// Restarts seen (generation increases).
    pub restarts: u64,
    /// Packets of older generations dropped.
    pub replays: u64,
    /// Sequenced messages delivered.
    pub delivered: u64,
    /// Of which recovered by retransmission.
    pub recovered: u64,
    /// Duplicate copies dropped (same packet on several links).
    pub duplicates: u64,
    /// Stale copies dropped (late, or replayed).
    pub stale: u64,
    /// Sequenced messages given up.
    pub lost_packets: u64,
    /// Sequenced messages it sent before we first heard it that could not be
    /// had (not counted as lost).
    pub skipped_packets: u64,
    /// Highest sequence number received from it, or announced in its status.
    pub highest_seq: u64,
    /// Sequence numbers currently missing.
    pub missing: usize,
    /// Retransmission requests sent to it.
    pub rexmit_requests: u64,
    /// Round-trip estimate: the minimum of the last 8 ack round trips of
    /// sequenced packets sent once, each minus the ack delay the peer
    /// reports (how long it held the packet before acknowledging), clamped at
    /// zero. It thus measures the network and the two engines' processing,
    /// not the peer's ack batching (which waits up to one keepalive).
    /// `None` until sequenced traffic was acked with a known delay (acks
    /// from Linux-HA peers carry none).
    pub rtt: Option<Duration>,
    /// Its links, one per local medium.
    pub links: Vec<LinkInfo>,
}

/// One (node, medium) link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    /// Link name (the medium's device).
    pub name: String,
    /// State.
    pub state: LinkState,
    /// Last packet heard on it.
    pub last_heard: Option<Instant>,
    /// When it goes dead if silent.
    pub dead_at: Option<Instant>,
    /// Packets heard, duplicates included.
    pub packets: u64,
    /// Largest interval between two packets.
    pub max_gap: Duration,
    /// Times it went dead.
    pub deaths: u64,
}

/// Receive counters of one medium.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediumInfo {
    /// Medium (device) name.
    pub name: String,
    /// Datagrams received.
    pub received: u64,
    /// Datagrams rejected by the codec (bad magic, bad auth, ...).
    pub rejected: u64,
}

/// Sending side and drop counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryInfo {
    /// Highest sequence number sent.
    pub highest_seq: u64,
    /// Packets retained for retransmission.
    pub history_len: usize,
    /// Sequenced packets sent.
    pub sent: u64,
    /// Packets retransmitted on request.
    pub resent: u64,
    /// `NakRexmit` sent.
    pub naks_sent: u64,
    /// Requested packets skipped by a rate limit.
    pub rate_limited: u64,
    /// History entries overwritten before everyone acknowledged them.
    pub overwritten: u64,
    /// Datagrams rejected by the codec.
    pub rejected: u64,
    /// Packets from unknown node names.
    pub unknown_node: u64,
    /// Packets with our name but another uuid or generation.
    pub impostors: u64,
    /// Packets that came in on an unknown medium index.
    pub unknown_medium: u64,
    /// New messages not delivered because their sender had left (`Shutdone`),
    /// or restarted while they were held, or too many were held.
    pub from_dead: u64,
    /// Local stalls detected (Lifeguard).
    pub stalls: u64,
    /// Largest stall.
    pub worst_stall: Duration,
    /// Messages that could not be sent.
    pub send_failures: u64,
}

/// Engine-level counters kept outside the sub-machines.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counters {
    /// Datagrams that did not decode or authenticate.
    pub(crate) rejected: u64,
    /// Packets from a node not in the configuration.
    pub(crate) unknown_node: u64,
    /// Packets with our name but another uuid or generation.
    pub(crate) impostors: u64,
    /// Packets on a medium index we do not have.
    pub(crate) unknown_medium: u64,
    /// Messages from a dead or departed node that were dropped.
    pub(crate) from_dead: u64,
    /// Sends that failed.
    pub(crate) send_failures: u64,
}

impl Engine {
    /// A snapshot of every node, link and counter.
    pub fn status(&self) -> ClusterStatus {
        let nodes = self
            .peers
            .iter()
            .map(|(_, p)| {
                let rx = p.tracker.stats();
                let l = &p.liveness;
                NodeInfo {
                    name: p.name.clone(),
                    state: l.state,
                    generation: l.generation,
                    departed: l.departed,
                    holdings: l.holdings,
                    deadtime: self.membership.deadtime_of(l),
                    last_heard: l.last_status_at,
                    dead_at: l.deadline,
                    max_gap: l.stats.max_gap,
                    statuses: l.stats.statuses,
                    late_heartbeats: l.stats.late,
                    deaths: l.stats.deaths,
                    returns: l.stats.returns,
                    restarts: l.stats.restarts,
                    replays: l.stats.replays,
                    delivered: rx.delivered,
                    recovered: rx.recovered,
                    duplicates: rx.duplicates,
                    stale: rx.stale,
                    lost_packets: rx.lost,
                    skipped_packets: rx.skipped,
                    highest_seq: p.tracker.highest(),
                    missing: p.tracker.missing_count(),
                    rexmit_requests: rx.requests,
                    rtt: l.stats.rtt(),
                    links: self.link_infos(&p.links),
                }
            })
            .collect();
        let history = self.outbox.history();
        let tx = history.stats();
        ClusterStatus {
            local_node: self.config.local_node.clone(),
            generation: self.outbox.identity().generation,
            local_state: self.membership.local_status().into(),
            comm_up: self.membership.comm_up(),
            shutting_down: self.shutting_down,
            departed: self.outbox.has_departed(),
            holdings: self.resources.holdings(),
            local_links: self.link_infos(self.peers.local_links()),
            nodes,
            media: self.media.clone(),
            delivery: DeliveryInfo {
                highest_seq: history.highest_sent(),
                history_len: history.len(),
                sent: tx.sent,
                resent: tx.resent,
                naks_sent: tx.naks,
                rate_limited: tx.rate_limited,
                overwritten: tx.overwritten,
                rejected: self.counters.rejected,
                unknown_node: self.counters.unknown_node,
                impostors: self.counters.impostors,
                unknown_medium: self.counters.unknown_medium,
                from_dead: self.counters.from_dead,
                stalls: self.lifeguard.stalls(),
                worst_stall: self.lifeguard.worst(),
                send_failures: self.counters.send_failures,
            },
            groups: self
                .resources
                .groups()
                .map(|g| GroupInfo {
                    key: g.key.to_owned(),
                    preferred_node: g.preferred.to_owned(),
                    owner: g.owner.map(str::to_owned),
                    activity: g.state.into(),
                })
                .collect(),
            ping_nodes: self
                .pings
                .nodes()
                .iter()
                .map(|p| PingNodeInfo {
                    name: p.name.clone(),
                    state: p.state,
                    last_reply: p.last_reply,
                    dead_at: p.deadline,
                    replies: p.replies,
                    deaths: p.deaths,
                })
                .collect(),
            safety: self.safety.info(),
        }
    }

    fn link_infos(&self, links: &Links) -> Vec<LinkInfo> {
        links
            .as_slice()
            .iter()
            .zip(&self.config.media)
            .map(|(l, m)| LinkInfo {
                name: m.dev().to_owned(),
                state: l.state,
                last_heard: l.last_heard,
                dead_at: l.deadline,
                packets: l.packets,
                max_gap: l.max_gap,
                deaths: l.deaths,
            })
            .collect()
    }
}
