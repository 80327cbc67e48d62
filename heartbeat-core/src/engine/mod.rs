//! The sans-io cluster engine: membership, reliable delivery and resource
//! ownership.
//!
//! CONTRACT (the behaviour is filled in by the engine work). The engine opens no
//! socket, reads no clock and spawns nothing: it is fed datagrams, timeouts and
//! commands with an explicit `now`, and polled for what to transmit, what
//! happened and which resource actions to run. Same inputs, same outputs.
//!
//! Driver loop: after every `handle_*` call, drain [`Engine::poll_transmit`],
//! [`Engine::poll_event`] and [`Engine::poll_action`], then sleep until
//! [`Engine::poll_timeout`] (or the next datagram / command) and call
//! [`Engine::handle_timeout`].

pub(crate) mod resources;

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::config::Config;
use crate::wire::{DecodeError, Holdings, NodeUuid};

/// The persisted identity of the local node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Node uuid, stable across restarts.
    pub uuid: NodeUuid,
    /// Generation: strictly greater at every start.
    pub generation: u64,
}

/// Index of a medium in [`Config::media`].
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
    /// A resource action requested by [`Engine::poll_action`] finished.
    ActionFinished {
        /// Group key.
        group: String,
        /// Which action.
        kind: ActionKind,
        /// Whether it succeeded.
        ok: bool,
    },
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
}

/// The sans-io engine of one node.
pub struct Engine {
    _config: Config,
}

impl Engine {
    /// Create the engine of `config.local_node` at instant `now`; `seed` drives
    /// every random choice (rexmit delays), so runs are reproducible.
    pub fn new(config: Config, identity: Identity, now: Instant, seed: u64) -> Self {
        let _ = (identity, now, seed);
        Engine { _config: config }
    }

    /// Feed a datagram received on `medium`.
    pub fn handle_datagram(&mut self, now: Instant, medium: MediumId, datagram: &[u8]) {
        let _ = (now, medium, datagram);
        unimplemented!("engine work in progress")
    }

    /// Let timers that are due at `now` fire.
    pub fn handle_timeout(&mut self, now: Instant) {
        let _ = now;
        unimplemented!("engine work in progress")
    }

    /// Apply an operator or application command.
    pub fn handle_command(&mut self, now: Instant, command: Command) {
        let _ = (now, command);
        unimplemented!("engine work in progress")
    }

    /// Next datagram to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        unimplemented!("engine work in progress")
    }

    /// Next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        unimplemented!("engine work in progress")
    }

    /// Next resource action to run, if any.
    pub fn poll_action(&mut self) -> Option<ResourceAction> {
        unimplemented!("engine work in progress")
    }

    /// The next instant at which [`Engine::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        unimplemented!("engine work in progress")
    }
}
