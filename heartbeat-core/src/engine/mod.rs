//! The sans-io cluster engine: membership, reliable delivery and resource
//! ownership.
//!
//! The engine opens no socket, reads no clock and spawns nothing: it is fed
//! datagrams, timeouts and commands with an explicit `now`, and polled for
//! what to transmit, what happened and which resource actions to run. Same
//! inputs (and seed), same outputs.
//!
//! Driver loop: after every `handle_*` call, drain [`Engine::poll_transmit`],
//! [`Engine::poll_event`] and [`Engine::poll_action`], then sleep until
//! [`Engine::poll_timeout`] (or the next datagram / command) and call
//! [`Engine::handle_timeout`]. `handle_timeout` must run at (or very soon
//! after) the instant `poll_timeout` returned: a tick that comes more than one
//! keepalive late is treated as a stall of this process (see `lifeguard`).
//!
//! # Layout
//!
//! - `mod.rs`: the public API and the [`Engine`] struct.
//! - `membership`: node states, generations, deadtime, comm-up.
//! - `links`: link states per (node, medium).
//! - `delivery`: sequence numbers, history ring, gap detection,
//!   retransmission requests, acks (module doc says what is sequenced).
//! - `dialect`: the native and Linux-HA wire dialects (which one this node
//!   speaks, reading both).
//! - `freshness`: which ownership announcements of a peer are news.
//! - `lifeguard`: local stall detection.
//! - `ping`: ping nodes (reachability of hosts that are no members).
//! - `inbound.rs` / `outbound.rs` / `reactions.rs`: the glue that turns
//!   packets and state changes into the outputs and calls the resource layer.
//! - [`snapshot`]: [`ClusterStatus`], the operator's view with statistics.
//! - `rng`: the seeded generator behind every random choice.

mod delivery;
mod dialect;
mod freshness;
mod inbound;
mod lifeguard;
mod links;
mod membership;
mod outbound;
mod ping;
mod reactions;
pub(crate) mod resources;
pub(crate) mod rng;
pub mod snapshot;
mod timer;
mod types;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::config::Config;

use delivery::receiver_tracker::ReceiverTracker;
use delivery::sender_history::SenderHistory;
use lifeguard::Lifeguard;
use links::LinkTable;
use membership::Membership;
use ping::PingTable;
use resources::Resources;
use rng::Rng;
use timer::{Timer, TimerTable};

pub use types::{
    ActionKind, Command, DropReason, Event, Identity, LinkState, MediumId, NodeState,
    ResourceAction, SendError, Transmit, Via,
};

pub use snapshot::{
    ClusterStatus, DeliveryInfo, GroupActivity, GroupInfo, LinkInfo, MediumInfo, NodeInfo,
    PingNodeInfo,
};

/// The sans-io engine of one node.
///
/// # Notes for drivers and simulators
///
/// - Every output goes on [`Via::AllMedia`]; a message addressed to one node
///   still travels to everyone (receivers do the sequence bookkeeping and
///   drop what is not for them).
/// - Status packets are not sequenced: their envelope `seq` is the sender's
///   highest sequenced number so far (it does not grow between two sequenced
///   messages) and their `timestamp_ms` grows strictly within a generation.
///   Statuses are never retransmitted; a harness that wants "the last status
///   sent" can take the last one transmitted.
/// - `Ownership` announcements are unsequenced too, with the same `seq`
///   convention and a per-generation `serial`; they are sent when holdings
///   or membership change and periodically (see the resource layer).
/// - Sequenced messages (resource messages, `Shutdone`, application
///   messages) are delivered at most once per receiver generation, as they
///   arrive (no reordering). Retransmissions reuse the original bytes.
/// - A replayed packet of an older generation is reported as
///   [`Event::Dropped`] with [`DropReason::OldGeneration`]; an undecodable or
///   unauthenticated datagram as [`Event::Rejected`]. Neither changes state.
/// - `handle_timeout` must run at [`Engine::poll_timeout`]: a tick more than
///   one keepalive late is treated as a local stall ([`Event::LocalStall`])
///   and nobody is declared dead on it.
pub struct Engine {
    config: Config,
    identity: Identity,
    started: Instant,
    rng: Rng,
    /// Peers (configured nodes but the local one), in configuration order;
    /// their index is the row of [`Engine::links`] and of
    /// [`Engine::trackers`]. The local node's links are the last row.
    membership: Membership,
    pings: PingTable,
    links: LinkTable,
    history: SenderHistory,
    trackers: Vec<ReceiverTracker>,
    /// Per peer: new messages (with their sequence numbers) that arrived
    /// while it was considered dead, delivered when it is alive again
    /// (dropped if it restarts instead).
    held: Vec<Vec<(u64, crate::wire::Message)>>,
    /// Per peer: freshness of its ownership announcements.
    freshness: Vec<freshness::Freshness>,
    lifeguard: Lifeguard,
    dialect: dialect::Dialect,
    resources: Resources,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    actions: VecDeque<ResourceAction>,
    last_status_ts: Option<u64>,
    /// When our last status was sent.
    last_status_at: Option<Instant>,
    shutting_down: bool,
    departed: bool,
    media: Vec<snapshot::MediumInfo>,
    counters: snapshot::Counters,
    /// Every deadline, refreshed at the end of each input (inputs are the
    /// only way the engine changes, so the table is exact).
    timers: TimerTable,
}

impl Engine {
    /// Create the engine of `config.local_node` at instant `now`; `seed` drives
    /// every random choice (rexmit delays), so runs are reproducible.
    ///
    /// The first status is queued at once.
    pub fn new(config: Config, identity: Identity, now: Instant, seed: u64) -> Self {
        Engine::with_wall_clock(config, identity, now, 0, seed)
    }

    /// [`Engine::new`], telling the engine the wall clock at `now` in
    /// seconds since the Unix epoch. Only the Linux-HA dialect uses it (the
    /// `ts` Heartbeat stamps on every message); [`Engine::new`] counts `ts`
    /// from 0 at the start.
    pub fn with_wall_clock(
        config: Config,
        identity: Identity,
        now: Instant,
        unix_secs: u64,
        seed: u64,
    ) -> Self {
        let peers: Vec<String> = config
            .nodes
            .iter()
            .filter(|n| **n != config.local_node)
            .cloned()
            .collect();
        let membership = Membership::new(&peers, config.timing, now);
        let ping_names: Vec<String> = config.ping_nodes.iter().map(|p| p.name.clone()).collect();
        let pings = PingTable::new(&ping_names, config.timing.deadping, now);
        let resources = Resources::new(
            &config.local_node,
            &config.nodes,
            &config.groups,
            config.auto_failback,
            &config.timing,
        );
        let media = config
            .media
            .iter()
            .map(|m| snapshot::MediumInfo {
                name: m.dev().to_owned(),
                received: 0,
                rejected: 0,
            })
            .collect();
        let mut engine = Engine {
            links: LinkTable::new(peers.len() + 1, config.media.len()),
            history: SenderHistory::new(
                peers.len(),
                config.max_rexmit_delay,
                config.timing.deadtime,
            ),
            trackers: peers.iter().map(|_| ReceiverTracker::new()).collect(),
            held: vec![Vec::new(); peers.len()],
            freshness: vec![freshness::Freshness::default(); peers.len()],
            lifeguard: Lifeguard::new(config.timing.keepalive, config.timing.deadtime),
            dialect: dialect::Dialect::new(
                config.wire_dialect,
                config.msgfmt.into(),
                u32::from(config.hopfudge) + (config.nodes.len() + config.ping_nodes.len()) as u32,
                unix_secs,
            ),
            resources,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            actions: VecDeque::new(),
            last_status_ts: None,
            last_status_at: None,
            shutting_down: false,
            departed: false,
            media,
            counters: snapshot::Counters::default(),
            timers: TimerTable::default(),
            membership,
            pings,
            rng: Rng::new(seed),
            started: now,
            identity,
            config,
        };
        engine
            .timers
            .set(Timer::Keepalive, now + engine.config.timing.keepalive);
        engine.send_status(now);
        engine.react(now);
        engine.refresh_timers();
        engine
    }

    /// Feed a datagram received on `medium`. Anything that does not decode
    /// and authenticate is reported as [`Event::Rejected`] and counted.
    pub fn handle_datagram(&mut self, now: Instant, medium: MediumId, datagram: &[u8]) {
        self.on_datagram(now, medium, datagram);
        self.react(now);
        self.refresh_timers();
    }

    /// Let timers that are due at `now` fire.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.on_timeout(now);
        self.react(now);
        self.refresh_timers();
    }

    /// Apply an operator or application command.
    pub fn handle_command(&mut self, now: Instant, command: Command) {
        self.on_command(now, command);
        self.react(now);
        self.refresh_timers();
    }

    /// Next datagram to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Next resource action to run, if any.
    pub fn poll_action(&mut self) -> Option<ResourceAction> {
        self.actions.pop_front()
    }

    /// The next instant at which [`Engine::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_timeout()
    }

    /// The local node's name.
    pub fn local_node(&self) -> &str {
        &self.config.local_node
    }

    /// The local node's identity.
    pub fn identity(&self) -> Identity {
        self.identity
    }

    /// Whether this node has left the cluster (`Shutdone` sent). It then
    /// sends no more heartbeats but still answers retransmission requests.
    pub fn has_departed(&self) -> bool {
        self.departed
    }

    /// Time since the engine started, at `now`.
    fn since_start(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.started)
    }

    /// Copy each part's earliest deadline into the timer table (the
    /// keepalive entry is the table's own).
    fn refresh_timers(&mut self) {
        let rexmit = self.trackers.iter().filter_map(|t| t.next_timeout()).min();
        let t = &mut self.timers;
        t.set_or_stop(Timer::NodeDeath, self.membership.next_timeout());
        t.set_or_stop(Timer::PingDeath, self.pings.next_timeout());
        t.set_or_stop(Timer::LinkDeath, self.links.next_timeout());
        t.set_or_stop(Timer::Rexmit, rexmit);
        t.set_or_stop(Timer::Resources, self.resources.poll_timeout());
    }
}

#[cfg(test)]
mod tests;
