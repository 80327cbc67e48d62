//! The engine's vocabulary: what goes in ([`Command`], datagrams on a
//! [`MediumId`]), what comes out ([`Transmit`], [`Event`],
//! [`ResourceAction`]) and the states it reports ([`NodeState`],
//! [`LinkState`]). Every part of the engine speaks these types; none of them
//! imports the engine itself.

use std::time::Duration;

use bytes::Bytes;

use crate::wire::{DecodeError, EncodeError, Holdings, NodeStatus, NodeUuid};

/// The persisted identity of the local node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Node uuid, stable across restarts.
    pub uuid: NodeUuid,
    /// Generation: strictly greater at every start.
    pub generation: u64,
}

/// Index of a medium in [`Config::media`](crate::config::Config::media).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MediumId(pub usize);

/// Where a datagram must go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// On every medium.
    AllMedia,
    /// On one medium only.
    Medium(MediumId),
}

/// A datagram to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Which media.
    pub via: Via,
    /// The encoded, authenticated datagram.
    pub bytes: Bytes,
}

/// A node's state as seen locally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeState {
    /// Configured, never heard from.
    Init,
    /// Alive, communications not yet up.
    Up,
    /// Alive and taking part in resource decisions.
    Active,
    /// Silent for its deadtime, or announced its shutdown.
    Dead,
    /// A live ping node.
    Ping,
}

impl NodeState {
    /// Linux-HA's word for the state (`init`, `up`, `active`, `dead`,
    /// `ping`), as logs and `cl_status` print it.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Init => "init",
            NodeState::Up => "up",
            NodeState::Active => "active",
            NodeState::Dead => "dead",
            NodeState::Ping => "ping",
        }
    }
}

impl From<NodeStatus> for NodeState {
    /// The state a status (the local one, as advertised) reports.
    fn from(status: NodeStatus) -> Self {
        match status {
            NodeStatus::Init => NodeState::Init,
            NodeStatus::Up => NodeState::Up,
            NodeStatus::Active => NodeState::Active,
        }
    }
}

/// A link's state: one per (peer node, local medium).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkState {
    /// Packets arrive on this link.
    Up,
    /// Silent for the node's deadtime (or never heard).
    Dead,
}

/// Start or stop a resource group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Start every resource of the group, left to right.
    Start,
    /// Stop every resource of the group, right to left.
    Stop,
}

/// A resource action the driver must run and report back with
/// [`Command::ActionFinished`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceAction {
    /// Group key.
    pub group: String,
    /// Start or stop.
    pub kind: ActionKind,
}

/// An operator or application request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Give the groups of this set to a peer (`hb_standby`).
    Standby(Holdings),
    /// Take the groups of this set from a peer (`hb_takeover`).
    Takeover(Holdings),
    /// Send an application message to one node, or to all when `to` is `None`.
    Send {
        /// Destination node.
        to: Option<String>,
        /// Opaque payload.
        payload: Bytes,
    },
    /// Stop every group, announce `Shutdone`, then report [`Event::ShutdownComplete`].
    Shutdown,
    /// Use these keys from now on (`authkeys` re-read after SIGHUP): sign
    /// with its active key, verify with whichever key a packet names.
    ReplaceKeys(crate::wire::Keyring),
    /// A tracked health check turned group `group` healthy or faulty on this
    /// node: a faulty group is handed to a healthy peer (see
    /// `engine::resources::health`).
    GroupHealth {
        /// Group key.
        group: String,
        /// Whether the group's tracked checks all pass here.
        healthy: bool,
    },
    /// An ICMP echo reply from (a host of) ping node `node` arrived; the
    /// engine keeps the ping node alive for `deadping` (see `engine::ping`).
    PingReply {
        /// Ping node name, as in [`crate::config::PingNode::name`].
        node: String,
    },
    /// A reset requested by
    /// [`Engine::poll_fence`](crate::engine::Engine::poll_fence) finished:
    /// `ok` only when the device confirmed the target is off (a timeout is
    /// a failure). `method` names what was used, for the fence history
    /// (`stonith external/ssh`, `fence_ipmilan`).
    FenceFinished {
        /// The node that was to be reset.
        target: String,
        /// Whether the reset succeeded.
        ok: bool,
        /// The device or agent used.
        method: String,
    },
    /// The operator confirms that dead node `node` is down (powered off,
    /// unplugged): it counts as fenced, like Heartbeat's
    /// `meatclient -c NODE`. Ignored unless `node` is dead and waiting for
    /// a reset.
    ConfirmDown {
        /// The node.
        node: String,
    },
    /// A resource action requested by
    /// [`Engine::poll_action`](crate::engine::Engine::poll_action) finished.
    ActionFinished {
        /// Group key.
        group: String,
        /// Which action.
        kind: ActionKind,
        /// Whether it succeeded.
        ok: bool,
    },
}

/// A reset the driver must carry out (see
/// [`Engine::poll_fence`](crate::engine::Engine::poll_fence)), then report
/// with [`Command::FenceFinished`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FenceRequest {
    /// The node to reset (power off, or reboot).
    pub target: String,
    /// 1 for the first try, then one more per retry.
    pub attempt: u32,
}

/// Something the driver (and the operator) should know about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A node changed state.
    NodeState {
        /// Node name.
        node: String,
        /// New state.
        state: NodeState,
    },
    /// A link changed state.
    LinkState {
        /// Node name.
        node: String,
        /// Link (medium device) name.
        link: String,
        /// New state.
        state: LinkState,
    },
    /// A status arrived later than warntime after the previous one.
    LateHeartbeat {
        /// Node name.
        node: String,
        /// Interval since the previous status.
        interval: Duration,
    },
    /// A datagram was rejected and dropped.
    Rejected {
        /// Medium it came in on.
        medium: MediumId,
        /// Why.
        error: DecodeError,
    },
    /// An application message arrived.
    AppMessage {
        /// Sender node.
        from: String,
        /// Payload.
        payload: Bytes,
    },
    /// This node now holds the group (its start action succeeded).
    GroupAcquired {
        /// Group key.
        group: String,
    },
    /// This node released the group (its stop action finished).
    GroupReleased {
        /// Group key.
        group: String,
    },
    /// Shutdown finished: every group stopped and `Shutdone` sent.
    ShutdownComplete,
    /// Shutdown ended without stopping every group: these groups' stops
    /// failed (once more at shutdown) and they may still run here. No
    /// `Shutdone` is sent, so peers take them over only after deadtime, as
    /// after a crash.
    ShutdownIncomplete {
        /// Keys of the groups left behind.
        left_behind: Vec<String>,
    },
    /// A start or stop action of this node failed. After a failed start the
    /// group is given up (so a peer may take it); after a failed stop it is
    /// left unmanaged on this node and is not started anywhere else while this
    /// node is alive.
    GroupFailed {
        /// Group key.
        group: String,
        /// Which action failed.
        kind: ActionKind,
    },
    /// The tracked health of a group on this node changed
    /// ([`Command::GroupHealth`]).
    GroupHealth {
        /// Group key.
        group: String,
        /// Whether its tracked checks all pass here now.
        healthy: bool,
    },
    /// A group turned faulty here and is being handed to a healthy peer: its
    /// stop follows, then `to` takes it through the usual handshake.
    GroupHandedOver {
        /// Group key.
        group: String,
        /// The peer it is handed to.
        to: String,
    },
    /// A group we run is faulty here but no live peer reports it healthy:
    /// this node keeps it (reported once per fault).
    GroupKeptFaulty {
        /// Group key.
        group: String,
    },
    /// Communications are up: every configured peer was heard or declared
    /// dead; the local node is now `active`.
    CommUp,
    /// A peer restarted: a packet of a higher generation arrived.
    NodeRestarted {
        /// Node name.
        node: String,
        /// Its new generation.
        generation: u64,
    },
    /// A peer declared dead came back in the same generation (a healed
    /// partition, or deadtime too short). Nobody restarts; the resource
    /// layer resolves double ownership.
    NodeReturned {
        /// Node name.
        node: String,
    },
    /// Sequenced packets of a peer were given up (naked by the sender, or
    /// still missing after the bounded number of requests).
    LostPackets {
        /// Sender node.
        node: String,
        /// How many.
        count: u64,
    },
    /// Our own timers fired late: this process stalled. Nobody was judged
    /// dead on that tick; deadlines were pushed back.
    LocalStall {
        /// How late the earliest timer fired.
        late_by: Duration,
    },
    /// An authenticated packet was dropped for a reason worth an operator's
    /// attention.
    Dropped {
        /// Medium it came in on.
        medium: MediumId,
        /// The sender it claims.
        node: String,
        /// Why.
        reason: DropReason,
    },
    /// A Heartbeat peer sent a message type this node has no use for
    /// (`stonith`, `hbapi-clstat`, ...): ignored. Reported once per type.
    IgnoredMessage {
        /// The sender.
        node: String,
        /// Its Linux-HA type (`t`).
        msg_type: String,
    },
    /// This node gained or lost quorum (a strict majority of the
    /// configured nodes, itself included, that it hears and that hear it).
    /// Without quorum it stops its groups and starts none.
    Quorum {
        /// Whether this node has quorum now.
        quorate: bool,
        /// Votes seen (this node included).
        votes: usize,
        /// Votes needed.
        needed: usize,
    },
    /// This node asked the driver to reset `target`
    /// ([`Engine::poll_fence`](crate::engine::Engine::poll_fence)).
    FenceStarted {
        /// The node to reset.
        target: String,
        /// 1 for the first try.
        attempt: u32,
    },
    /// `target` was reset (by this node or by peer `by`), or the operator
    /// confirmed it down: its groups may be started elsewhere.
    FenceSucceeded {
        /// The node reset.
        target: String,
        /// The node that fenced it.
        by: String,
        /// The device, agent, or `operator`.
        method: String,
    },
    /// A reset of `target` by this node failed; it is tried again after
    /// `retry_in`. Its groups stay stopped meanwhile.
    FenceFailed {
        /// The node that was to be reset.
        target: String,
        /// Which try failed.
        attempt: u32,
        /// The device or agent used.
        method: String,
        /// When the next try starts.
        retry_in: Duration,
    },
    /// The local watchdog is petted again, or no longer (`reason` says
    /// why; the device resets this node one timeout after the last pet).
    WatchdogPetting {
        /// Whether the device is petted now.
        petting: bool,
        /// Why not, when it is not.
        reason: String,
    },
    /// A dead node's groups wait for its reset (or its watchdog) before
    /// they are started anywhere; reported once per death.
    TakeoverHeld {
        /// The dead node.
        node: String,
        /// What is awaited: `fencing by NODE`, `watchdog until +…`.
        until: String,
    },
    /// A command or protocol message could not be sent.
    SendFailed {
        /// Why.
        error: SendError,
    },
}

/// Why an authenticated packet was dropped (see [`Event::Dropped`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// The sender is not a configured node.
    UnknownNode,
    /// The packet carries our own name but another uuid or generation.
    Impostor,
    /// An older generation of the sender: a replay.
    OldGeneration,
    /// A sequenced message without a sequence number.
    MissingSequence,
    /// It arrived on a medium index this node does not have.
    UnknownMedium,
}

/// Why something could not be sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The destination is not a configured node.
    #[error("unknown destination node {0}")]
    UnknownNode(String),
    /// The codec refused the packet (too large, bad key).
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// This node has left the cluster (`Shutdone` sent).
    #[error("node has left the cluster")]
    Departed,
}
