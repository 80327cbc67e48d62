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
//! # Paths through the engine
//!
//! A datagram: `handle_datagram` → `dialect::decode` (a typed `Packet`, or a
//! `ForeignRequest` for Heartbeat types without counterpart) → `admit`
//! (`Peers::classify` names the `PeerId`, `Membership` checks the
//! generation) → `on_status` (`Membership`, then the `Peer`'s receiver
//! tracker) / `on_sequenced` (tracker, then `deliver` to `Resources` or an
//! event) / `on_ownership` (`Freshness`) / `on_control` (`Outbox` answers) →
//! the link refreshed in `Peers` → `react`: `Membership` changes and the
//! resource layer's outputs become events, actions and `Outbox` sends →
//! `refresh_timers` copies each part's next deadline into the `TimerTable`.
//!
//! A timer: `poll_timeout` is `TimerTable::next_timeout`; `handle_timeout`
//! → `Lifeguard::check` (a stall pushes deadlines back) → `on_timer` for
//! each expired `Timer`, e.g. `Timer::Keepalive`: `Outbox::send_status`,
//! acks from each `Peer`, the timer re-armed one keepalive later → `react`
//! → `refresh_timers`.
//!
//! # Layout
//!
//! - `mod.rs`: [`Engine`], the glue: `handle_*` → `on_*` → `react`, `poll_*`.
//! - `types`: the vocabulary ([`Event`], [`Command`], [`Transmit`], ...).
//! - `peers`: the `PeerId`-keyed table: liveness, links, receiver tracker,
//!   held messages, freshness of each peer.
//! - `membership`: liveness rules, generations, deadtime, comm-up.
//! - `links`: link states of one node per medium.
//! - `outbox`: identity, encoding, keys, sender history, transmit queue,
//!   status clock.
//! - `timer`: the timer table.
//! - `delivery`: sequence numbers, history ring, gap detection,
//!   retransmission requests, acks (module doc says what is sequenced).
//! - `dialect`: the native and Linux-HA wire dialects (the only place that
//!   knows Heartbeat's message types).
//! - `freshness`: which ownership announcements of a peer are news.
//! - `lifeguard`: local stall detection.
//! - `ping`: ping nodes (reachability of hosts that are no members).
//! - `resources`: ownership of resource groups.
//! - `safety`: split-brain safety: quorum, fencing, watchdog (what the
//!   resource layer may do, and when a dead node's groups may start).
//! - [`snapshot`]: [`ClusterStatus`], the operator's view with statistics.
//! - `rng`: the seeded generator behind every random choice (the crate's
//!   [`crate::rng`], imported here).

mod delivery;
mod dialect;
mod freshness;
mod lifeguard;
mod links;
mod membership;
mod outbox;
mod peers;
mod ping;
pub(crate) mod resources;
use crate::rng;
mod safety;
pub mod snapshot;
mod timer;
mod types;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use crate::config::Config;
use crate::wire::linuxha::Envelope;
use crate::wire::{Message, NodeUuid, Ownership, Packet, Status};

use delivery::is_sequenced;
use delivery::receiver_tracker::{RequestTiming, SeqVerdict};
use dialect::{ForeignRequest, IgnoredTypes, Inbound};
use lifeguard::Lifeguard;
use links::LinkChange;
use membership::{Change, GenerationVerdict, Membership, StatusVerdict};
use outbox::Outbox;
use peers::{Arrival, PeerId, Peers, Sender};
use ping::{PingChange, PingTable};
use resources::{LocalState, Resources};
use rng::Rng;
use safety::{Permission, Safety};
use timer::{Timer, TimerTable};

pub use types::{
    ActionKind, Command, DropReason, Event, FenceRequest, Identity, LinkState, MediumId, NodeState,
    ResourceAction, SendError, Transmit, Via,
};

pub use safety::fencing::FenceRecord;
pub use safety::{watchdog_margin, AwaitingFence, QuorumInfo, SafetyInfo};
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
    /// The configuration (its keys are the Outbox's from the start on).
    config: Config,
    /// Every random choice (retransmission request delays).
    rng: Rng,
    /// Comm-up, the local status, the liveness rules.
    membership: Membership,
    /// Peers (configured nodes but the local one), in configuration order,
    /// and the local node's links.
    peers: Peers,
    /// Ping nodes.
    pings: PingTable,
    /// The send side: encoding, history, transmit queue.
    outbox: Outbox,
    /// Heartbeat message types reported as ignored.
    ignored_types: IgnoredTypes,
    /// Local stall detection.
    lifeguard: Lifeguard,
    /// Ownership of resource groups.
    resources: Resources,
    /// Quorum, fencing and watchdog.
    safety: Safety,
    /// What the resource layer was last allowed to do.
    permission: Permission,
    /// Resets not polled yet.
    fences: VecDeque<FenceRequest>,
    /// The current keepalive tick came late (a local stall).
    tick_stalled: bool,
    /// Every deadline, refreshed at the end of each input (inputs are the
    /// only way the engine changes, so the table is exact).
    timers: TimerTable,
    /// Events not polled yet.
    events: VecDeque<Event>,
    /// Resource actions not polled yet.
    actions: VecDeque<ResourceAction>,
    /// A shutdown was requested.
    shutting_down: bool,
    /// Receive counters per medium.
    media: Vec<MediumInfo>,
    /// Drop and failure counters.
    counters: snapshot::Counters,
}

/// A packet's sender, admitted by [`Engine::admit`].
struct Admitted {
    /// The peer.
    peer: PeerId,
    /// Whether it was down (never heard, dead, or just restarted).
    was_down: bool,
    /// How many datagrams were queued before this packet was handled.
    mark: usize,
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
        let names: Vec<String> = config
            .nodes
            .iter()
            .filter(|n| **n != config.local_node)
            .cloned()
            .collect();
        let mut membership = Membership::new(config.timing);
        let mut peers = Peers::new(&names, config.media.len(), membership.new_peer(now));
        membership.check_comm_up(&mut peers);
        let ping_names: Vec<String> = config.ping_nodes.iter().map(|p| p.name.clone()).collect();
        let mut timers = TimerTable::default();
        timers.set(Timer::Keepalive, now + config.timing.keepalive);
        let mut engine = Engine {
            rng: Rng::new(seed),
            membership,
            peers,
            pings: PingTable::new(&ping_names, config.timing.deadping, now),
            outbox: Outbox::new(&config, identity, now, unix_secs, names.len()),
            ignored_types: IgnoredTypes::default(),
            lifeguard: Lifeguard::new(config.timing.keepalive, config.timing.deadtime),
            resources: Resources::new(
                &config.local_node,
                &config.nodes,
                &config.groups,
                config.auto_failback,
                &config.timing,
            ),
            safety: Safety::new(&config),
            permission: Permission::Run,
            fences: VecDeque::new(),
            tick_stalled: false,
            timers,
            events: VecDeque::new(),
            actions: VecDeque::new(),
            shutting_down: false,
            media: config
                .media
                .iter()
                .map(|m| MediumInfo {
                    name: m.dev().to_owned(),
                    received: 0,
                    rejected: 0,
                })
                .collect(),
            counters: snapshot::Counters::default(),
            config,
        };
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
        self.outbox.poll_transmit()
    }

    /// Next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Next resource action to run, if any.
    pub fn poll_action(&mut self) -> Option<ResourceAction> {
        self.actions.pop_front()
    }

    /// Next reset (STONITH or fence agent) to carry out, if any; report
    /// its end with [`Command::FenceFinished`]. The groups a dead node may
    /// have run start nowhere until it was reset.
    pub fn poll_fence(&mut self) -> Option<FenceRequest> {
        self.fences.pop_front()
    }

    /// Whether the driver should pet the watchdog device now (at most once
    /// per keepalive tick; see `safety::watchdog` for when it is withheld).
    pub fn poll_watchdog_pet(&mut self) -> bool {
        self.safety.take_pet()
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
        self.outbox.identity()
    }

    /// Whether this node has left the cluster (`Shutdone` sent). It then
    /// sends no more heartbeats but still answers retransmission requests.
    pub fn has_departed(&self) -> bool {
        self.outbox.has_departed()
    }

    // ----- datagrams -----

    /// A datagram on `medium`: decode and authenticate, then handle it.
    fn on_datagram(&mut self, now: Instant, medium: MediumId, datagram: &[u8]) {
        if let Some(m) = self.media.get_mut(medium.0) {
            m.received += 1;
        }
        match dialect::decode(datagram, self.outbox.keys()) {
            Ok(Inbound::Packet { packet, linux_ha }) => {
                self.on_packet(now, medium, packet, linux_ha)
            }
            Ok(Inbound::Foreign { envelope, request }) => {
                self.on_foreign(now, medium, &envelope, request)
            }
            Err(error) => {
                if let Some(m) = self.media.get_mut(medium.0) {
                    m.rejected += 1;
                }
                self.counters.rejected += 1;
                self.events.push_back(Event::Rejected { medium, error });
            }
        }
    }

    /// Who sent a packet (`from`, `uuid`, `generation`) on `medium`: a peer
    /// whose generation is current, or `None` when the packet is our own
    /// echo (its link refreshed) or must be dropped (reported).
    fn admit(
        &mut self,
        now: Instant,
        medium: MediumId,
        from: &str,
        uuid: NodeUuid,
        generation: u64,
    ) -> Option<Admitted> {
        if medium.0 >= self.config.media.len() {
            self.drop_packet(medium, from, DropReason::UnknownMedium);
            return None;
        }
        let sender = self.peers.classify(
            from,
            uuid,
            generation,
            &self.config.local_node,
            self.identity(),
        );
        let peer = match sender {
            Ok(Sender::Peer(peer)) => peer,
            Ok(Sender::OwnEcho) => {
                let deadtime = self.membership.deadtime(None);
                let links = self.peers.local_links_mut();
                if let Some(change) = links.refresh(now, medium.0, deadtime) {
                    self.link_event(None, change);
                }
                return None;
            }
            Err(reason) => {
                self.drop_packet(medium, from, reason);
                return None;
            }
        };
        let verdict = self
            .membership
            .observe_generation(&mut self.peers, peer, generation);
        match verdict {
            GenerationVerdict::Replay => {
                self.drop_packet(medium, from, DropReason::OldGeneration);
                return None;
            }
            GenerationVerdict::Restarted => {
                // Reset before anything of the new generation is tracked.
                let (lost, dropped) = self.peers[peer].restarted();
                self.outbox.peer_restarted(peer);
                self.counters.from_dead += dropped;
                self.report_lost(peer, lost);
            }
            GenerationVerdict::Current => {}
        }
        self.outbox.note_uuid(from, uuid);
        let down = matches!(
            self.peers[peer].liveness.state,
            NodeState::Init | NodeState::Dead
        );
        Some(Admitted {
            peer,
            was_down: verdict == GenerationVerdict::Restarted || down,
            mark: self.outbox.queued(),
        })
    }

    /// Handle one authenticated packet; `linux_ha`: it came in Heartbeat's
    /// dialect (a status is then sequenced).
    fn on_packet(&mut self, now: Instant, medium: MediumId, packet: Packet, linux_ha: bool) {
        let Some(admitted) = self.admit(
            now,
            medium,
            &packet.from,
            packet.from_uuid,
            packet.generation,
        ) else {
            return;
        };
        let peer = admitted.peer;
        let sequenced = is_sequenced(&packet.message)
            || (linux_ha && matches!(packet.message, Message::Status(_)));
        if sequenced && packet.seq == 0 {
            return self.drop_packet(medium, &packet.from, DropReason::MissingSequence);
        }
        let fresh = match &packet.message {
            Message::Status(status) if linux_ha => {
                match self.track_sequenced(now, peer, packet.seq, None) {
                    SeqVerdict::New | SeqVerdict::Recovered => {
                        self.on_status(now, peer, packet.seq, status)
                    }
                    SeqVerdict::Duplicate => true,
                    SeqVerdict::Stale => false,
                }
            }
            Message::Status(status) => self.on_status(now, peer, packet.seq, status),
            Message::Ownership(ownership) => {
                self.on_ownership(now, peer, packet.seq, ownership);
                true
            }
            _ if sequenced => self.on_sequenced(now, peer, &packet),
            _ => {
                self.on_control(now, peer, &packet);
                true
            }
        };
        if fresh {
            self.refresh_link(now, peer, medium);
        }
        self.status_before_answers(now, &admitted);
    }

    /// In the Linux-HA dialect, when a peer that was down (never heard,
    /// dead, or restarted) has just come alive, put our status before
    /// whatever we sent in answer to its packet: Heartbeat goes `active` as
    /// soon as it heard every node, and if the first packet of ours it hears
    /// is no status it believes we are not active (with `auto_failback
    /// legacy` it then takes its groups without asking). A replay changes
    /// no state, so it is never answered this way.
    fn status_before_answers(&mut self, now: Instant, admitted: &Admitted) {
        if !admitted.was_down || !self.peers[admitted.peer].liveness.is_alive() {
            return;
        }
        let before = self.outbox.queued();
        self.status_first(now);
        if self.outbox.queued() > before {
            self.outbox.move_last_to(admitted.mark);
        }
    }

    /// A Heartbeat message without counterpart (envelope `env`): sequence
    /// bookkeeping like any other, then, if new and for us, what `request`
    /// asks.
    fn on_foreign(
        &mut self,
        now: Instant,
        medium: MediumId,
        env: &Envelope,
        request: ForeignRequest,
    ) {
        let Some(admitted) = self.admit(now, medium, &env.from, env.from_uuid, env.generation)
        else {
            return;
        };
        let peer = admitted.peer;
        let to_us = env
            .dest
            .as_deref()
            .is_none_or(|d| d == self.config.local_node);
        let (fresh, new) = if env.seq == 0 {
            (true, to_us)
        } else {
            let verdict = self.track_sequenced(now, peer, env.seq, env.dest.as_deref());
            (verdict != SeqVerdict::Stale, verdict.deliver() && to_us)
        };
        if fresh {
            self.refresh_link(now, peer, medium);
        }
        if !new {
            return;
        }
        match request {
            ForeignRequest::NodeList => {
                let sent = self
                    .outbox
                    .send_node_list(now, &env.from, &self.config.nodes);
                self.sent_sequenced(sent);
            }
            ForeignRequest::Standby(ours) => self.resources.standby(now, ours),
            ForeignRequest::Ignored { msg_type } => {
                if self.ignored_types.first_report(&msg_type) {
                    self.events.push_back(Event::IgnoredMessage {
                        node: env.from.clone(),
                        msg_type,
                    });
                }
            }
        }
    }

    /// A status: liveness, then the announced high-water mark. Returns whether
    /// it may refresh its link (not stale).
    fn on_status(&mut self, now: Instant, peer: PeerId, high_water: u64, status: &Status) -> bool {
        match self
            .membership
            .on_status(&mut self.peers, now, peer, status)
        {
            StatusVerdict::Fresh => {
                let node = &self.peers[peer].name;
                self.safety.record_view(node, status.view.as_ref());
                let timing = self.request_timing();
                let tracker = &mut self.peers[peer].tracker;
                let lost = tracker.on_high_water(now, high_water, timing, &mut self.rng);
                self.report_lost(peer, lost);
                true
            }
            StatusVerdict::Duplicate | StatusVerdict::Departed => true,
            StatusVerdict::Stale => false,
        }
    }

    /// Sequence bookkeeping of packet `seq` from `peer` addressed to `dest`:
    /// gaps, retransmission requests and acknowledgements.
    fn track_sequenced(
        &mut self,
        now: Instant,
        peer: PeerId,
        seq: u64,
        dest: Option<&str>,
    ) -> SeqVerdict {
        let timing = self.request_timing();
        let to_us_alone = dest == Some(self.config.local_node.as_str());
        let (verdict, lost) = self.peers[peer].track(now, seq, to_us_alone, timing, &mut self.rng);
        self.report_lost(peer, lost);
        self.maybe_ack(now, peer, false);
        verdict
    }

    /// A sequenced message: bookkeeping for everyone, delivery if new and for
    /// us. Returns whether it may refresh its link.
    fn on_sequenced(&mut self, now: Instant, peer: PeerId, packet: &Packet) -> bool {
        let dest = packet.dest.as_deref();
        let verdict = self.track_sequenced(now, peer, packet.seq, dest);
        if !verdict.deliver() {
            return verdict == SeqVerdict::Duplicate;
        }
        if dest.is_some_and(|d| d != self.config.local_node) {
            return true;
        }
        match self.peers[peer].arrival(packet.seq, &packet.message) {
            Arrival::Deliver => self.deliver(now, peer, packet.seq, packet.message.clone()),
            Arrival::Held => {}
            Arrival::Refused => self.counters.from_dead += 1,
        }
        true
    }

    /// Hand a new message (sequence number `seq`) from a live (or not yet
    /// heard) peer to its consumer.
    fn deliver(&mut self, now: Instant, peer: PeerId, seq: u64, message: Message) {
        let p = &mut self.peers[peer];
        let from = p.name.clone();
        match message {
            Message::App { payload } => self.events.push_back(Event::AppMessage { from, payload }),
            Message::Fenced { node, generation } => {
                self.safety.on_fenced(now, &from, &node, generation)
            }
            Message::Shutdone => {
                p.freshness.delivered(seq);
                self.resources.on_message(now, &from, &message);
                self.membership.on_departure(&mut self.peers, peer);
            }
            message => {
                p.freshness.delivered(seq);
                self.resources.on_message(now, &from, &message);
            }
        }
    }

    /// An ownership announcement with high-water mark `high_water`: handed to
    /// the resource layer if it is news from a live peer (see `freshness`).
    fn on_ownership(&mut self, now: Instant, peer: PeerId, high_water: u64, o: &Ownership) {
        let p = &mut self.peers[peer];
        if !p.freshness.accept(o.serial, high_water) {
            return;
        }
        if !p.is_listening() || self.outbox.has_departed() {
            return;
        }
        let from = p.name.clone();
        self.resources
            .on_message(now, &from, &Message::Ownership(o.clone()));
    }

    /// Retransmission requests, naks and acks addressed to us.
    fn on_control(&mut self, now: Instant, peer: PeerId, packet: &Packet) {
        if packet.dest.as_deref() != Some(self.config.local_node.as_str()) {
            return;
        }
        match packet.message {
            Message::RexmitRequest {
                first_seq,
                last_seq,
            } => {
                let naks = self.outbox.answer_rexmit(now, peer, first_seq, last_seq);
                for seq in naks {
                    self.send_control(now, peer, Message::NakRexmit { seq });
                }
            }
            Message::NakRexmit { seq } => {
                let lost = self.peers[peer].tracker.on_nak(seq);
                self.report_lost(peer, lost);
                self.maybe_ack(now, peer, false);
            }
            Message::Ack { ack_seq, delay_us } => {
                if let Some(sample) = self.outbox.on_ack(now, peer, ack_seq, delay_us) {
                    self.peers[peer].liveness.stats.add_rtt(sample);
                }
                self.trim_history();
            }
            _ => {}
        }
    }

    // ----- timers and commands -----

    /// Timers due at `now`, after the lifeguard's check. The resource
    /// layer is ticked on every timeout, due or not (its settling step runs
    /// each tick).
    fn on_timeout(&mut self, now: Instant) {
        let due = self.timers.next_timeout().filter(|&t| t <= now);
        let stalled = self.lifeguard.check(now, due);
        self.tick_stalled = stalled.is_some();
        if let Some(late_by) = stalled {
            let stall = self.lifeguard.stall(now, late_by);
            self.membership.extend_deadlines(&mut self.peers, &stall);
            self.peers.extend_link_deadlines(&stall);
            self.pings.extend_deadlines(&stall);
            self.refresh_timers();
            self.events.push_back(Event::LocalStall { late_by });
        }
        let mut firing: Vec<Timer> = self.timers.expired(now).collect();
        if !firing.contains(&Timer::Resources) {
            firing.push(Timer::Resources);
        }
        for timer in firing {
            self.on_timer(now, timer);
        }
    }

    /// Timer `timer` fired at `now`.
    fn on_timer(&mut self, now: Instant, timer: Timer) {
        match timer {
            Timer::Keepalive => {
                let holding = self
                    .resources
                    .groups()
                    .any(|g| g.state != LocalState::Stopped);
                self.safety.tick(now, self.tick_stalled, holding);
                self.send_status(now);
                let keepalive = self.config.timing.keepalive;
                let mut next = self.timers.get(timer).unwrap_or(now) + keepalive;
                if next <= now {
                    next = now + keepalive;
                }
                self.timers.set(timer, next);
                for peer in self.peers.ids() {
                    self.maybe_ack(now, peer, true);
                }
                self.outbox.expire_history(now);
            }
            Timer::NodeDeath => self.membership.handle_timeout(&mut self.peers, now),
            Timer::PingDeath => {
                for change in self.pings.handle_timeout(now) {
                    self.ping_event(now, change);
                }
            }
            Timer::LinkDeath => {
                for (peer, change) in self.peers.link_timeouts(now) {
                    self.link_event(peer, change);
                }
            }
            Timer::Rexmit => {
                let timing = self.request_timing();
                for peer in self.peers.ids() {
                    let (requests, lost) = self.peers[peer].due_requests(now, timing);
                    self.report_lost(peer, lost);
                    for request in requests {
                        self.send_control(now, peer, request);
                    }
                    if lost > 0 {
                        self.maybe_ack(now, peer, false);
                    }
                }
            }
            Timer::Resources => self.resources.handle_timeout(now),
            Timer::Safety => {} // `react` drives the safety part after every input
        }
    }

    /// Apply an operator or application command.
    fn on_command(&mut self, now: Instant, command: Command) {
        match command {
            Command::Standby(which) => self.resources.standby(now, which),
            Command::Takeover(which) => self.resources.takeover(now, which),
            Command::Send { to, payload } => self.send_app(now, to, payload),
            Command::Shutdown => {
                if !self.shutting_down {
                    self.shutting_down = true;
                    self.resources.shutdown(now);
                }
            }
            Command::GroupHealth { group, healthy } => {
                self.resources.set_health(now, &group, healthy)
            }
            Command::PingReply { node } => {
                if let Some(change) = self.pings.on_reply(now, &node) {
                    self.ping_event(now, change);
                }
            }
            Command::ActionFinished { group, kind, ok } => {
                if kind == ActionKind::Stop {
                    self.safety.stop_finished(&group);
                }
                self.resources.on_action_finished(now, &group, kind, ok)
            }
            Command::FenceFinished { target, ok, method } => {
                self.safety.fence_finished(now, &target, ok, method)
            }
            Command::ConfirmDown { node } => self.safety.confirm_down(now, &node),
            Command::ReplaceKeys(keys) => self.outbox.replace_keys(keys),
        }
    }

    /// An application message to `to` (everyone when `None`).
    fn send_app(&mut self, now: Instant, to: Option<String>, payload: Bytes) {
        if let Some(dest) = &to {
            if *dest == self.config.local_node {
                self.events.push_back(Event::AppMessage {
                    from: dest.clone(),
                    payload,
                });
                return;
            }
            if self.peers.find(dest).is_none() {
                return self.send_failed(SendError::UnknownNode(dest.clone()));
            }
        }
        self.send_sequenced(now, to, Message::App { payload });
    }

    // ----- reactions -----

    /// Act on everything membership and resources produced, until quiet.
    fn react(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(change) = self.membership.poll_change() {
                progressed = true;
                self.apply_change(now, change);
            }
            while let Some((dest, message)) = self.resources.poll_send() {
                progressed = true;
                self.send_for_resources(now, dest, message);
            }
            while let Some(action) = self.resources.poll_action() {
                progressed = true;
                if action.kind == ActionKind::Stop {
                    self.safety.stop_issued(now, &action.group);
                }
                self.actions.push_back(action);
            }
            while let Some(event) = self.resources.poll_event() {
                progressed = true;
                if event == Event::ShutdownComplete {
                    self.leave(now);
                }
                self.events.push_back(event);
            }
            progressed |= self.react_safety(now);
            if !progressed {
                break;
            }
        }
    }

    /// Drive the safety part and act on what it produced: the resource
    /// layer's permission, `Fenced` announcements, resets, events. Returns
    /// whether anything happened.
    fn react_safety(&mut self, now: Instant) -> bool {
        let mut progressed = false;
        self.safety.drive(now);
        progressed |= self.sync_permission(now);
        while let Some(message) = self.safety.poll_send() {
            progressed = true;
            self.send_sequenced(now, None, message);
        }
        while let Some(fence) = self.safety.poll_fence() {
            progressed = true;
            self.fences.push_back(fence);
        }
        while let Some(event) = self.safety.poll_event() {
            progressed = true;
            self.events.push_back(event);
        }
        progressed
    }

    /// Give the resource layer the safety part's current permission if it
    /// changed; returns whether it did.
    fn sync_permission(&mut self, now: Instant) -> bool {
        let permission = self.safety.permission();
        if permission == self.permission {
            return false;
        }
        self.permission = permission;
        self.resources.set_permission(now, permission);
        true
    }

    /// A membership change: events, delivery bookkeeping, resources.
    fn apply_change(&mut self, now: Instant, change: Change) {
        let comm_up = self.membership.comm_up();
        match change {
            Change::Node { peer, state } => {
                let node = self.peers[peer].name.clone();
                self.events.push_back(Event::NodeState { node, state });
            }
            Change::Late { peer, interval } => {
                let node = self.peers[peer].name.clone();
                self.events
                    .push_back(Event::LateHeartbeat { node, interval });
            }
            Change::Restarted {
                peer,
                generation,
                was_alive,
            } => {
                let node = self.peers[peer].name.clone();
                self.events.push_back(Event::NodeRestarted {
                    node: node.clone(),
                    generation,
                });
                // A restarted process holds nothing: to resources it died and
                // joined again. (A dead peer that restarts joins through its
                // status.)
                self.safety.peer_alive(&node);
                if was_alive {
                    self.outbox.peer_alive(peer);
                    if comm_up {
                        self.resources.peer_restarted(now, &node);
                    }
                } else {
                    self.resources.peer_generation_changed(&node);
                    self.outbox.peer_gone(peer);
                }
            }
            Change::Joined { peer, returned } => {
                let node = self.peers[peer].name.clone();
                if returned {
                    self.events
                        .push_back(Event::NodeReturned { node: node.clone() });
                }
                self.outbox.peer_alive(peer);
                self.safety.peer_alive(&node);
                if comm_up {
                    self.resources.peer_joined(now, &node);
                }
                for (seq, message) in std::mem::take(&mut self.peers[peer].held) {
                    self.deliver(now, peer, seq, message);
                }
            }
            Change::Died { peer, departed } => {
                self.peer_gone_for_safety(now, peer, departed);
                let lost = self.peers[peer].tracker.peer_died();
                self.report_lost(peer, lost);
                self.outbox.peer_gone(peer);
                self.trim_history();
                // A departure reached resources as the `Shutdone` message.
                if comm_up && !departed {
                    let node = self.peers[peer].name.clone();
                    self.resources.peer_dead(now, &node);
                }
            }
            Change::Local(status) => {
                self.events.push_back(Event::NodeState {
                    node: self.config.local_node.clone(),
                    state: status.into(),
                });
                if !self.outbox.has_departed() {
                    self.send_status(now);
                }
            }
            Change::CommUp => {
                self.events.push_back(Event::CommUp);
                let alive: Vec<String> = self
                    .peers
                    .iter()
                    .filter(|(_, p)| p.liveness.is_alive())
                    .map(|(_, p)| p.name.clone())
                    .collect();
                self.resources.comm_up(now, &alive);
            }
        }
    }

    /// Tell the safety part that `peer` died or departed, with the fence
    /// priorities of a two-node race (who holds a group).
    fn peer_gone_for_safety(&mut self, now: Instant, peer: PeerId, departed: bool) {
        let p = &self.peers[peer];
        let node = p.name.clone();
        let generation = p.liveness.generation.unwrap_or(0);
        let i_hold = self
            .resources
            .groups()
            .any(|g| g.state != LocalState::Stopped);
        let it_held = p.liveness.holdings != crate::wire::Holdings::None
            || self
                .resources
                .groups()
                .any(|g| g.owner == Some(node.as_str()));
        self.safety
            .peer_gone(now, &node, generation, departed, i_hold, it_held);
        // Before the resource layer hears of the death: no start meanwhile.
        self.sync_permission(now);
    }

    /// A message of the resource layer: to ourselves, announced, or sent
    /// sequenced.
    fn send_for_resources(&mut self, now: Instant, dest: Option<String>, message: Message) {
        if dest.as_deref() == Some(self.config.local_node.as_str()) {
            let local = self.config.local_node.clone();
            self.resources.on_message(now, &local, &message);
            return;
        }
        if !matches!(message, Message::Ownership(_)) {
            return self.send_sequenced(now, dest, message);
        }
        // Announcements: nothing once we departed.
        if self.outbox.has_departed() {
            return;
        }
        self.status_first(now);
        if let Err(e) = self.outbox.send_announcement(now, dest, message) {
            self.send_failed(e);
        }
    }

    /// Resources are released: announce `Shutdone` and stop heartbeating
    /// (see [`Outbox::send_shutdone`]); natively a last status follows,
    /// whose high-water mark lets a peer that lost both copies request it
    /// (Heartbeat sends no status after `shutdone`).
    fn leave(&mut self, now: Instant) {
        if self.outbox.has_departed() {
            return;
        }
        let sent = self.outbox.send_shutdone(now);
        self.sent_sequenced(sent);
        if !self.outbox.speaks_linux_ha() {
            self.send_status(now);
        }
        self.outbox.depart();
        self.timers.stop(Timer::Keepalive);
    }

    // ----- sending and reporting -----

    /// Send our status now.
    fn send_status(&mut self, now: Instant) {
        let status = self.membership.local_status();
        let holdings = self.resources.holdings();
        let view = self.safety.view();
        match self.outbox.send_status(now, status, holdings, view) {
            Ok(recorded) => {
                if recorded {
                    self.trim_history();
                }
            }
            Err(e) => self.send_failed(e),
        }
    }

    /// In the Linux-HA dialect, our status before what follows (see
    /// [`Outbox::status_due_first`]).
    fn status_first(&mut self, now: Instant) {
        if self.outbox.status_due_first(now) {
            self.send_status(now);
        }
    }

    /// Send a sequenced message to `dest` (everyone when `None`).
    fn send_sequenced(&mut self, now: Instant, dest: Option<String>, message: Message) {
        let sent = self.outbox.send_sequenced(now, dest, message);
        self.sent_sequenced(sent);
    }

    /// After a sequenced send: trim the history, or report the failure.
    fn sent_sequenced(&mut self, sent: Result<(), SendError>) {
        match sent {
            Ok(()) => self.trim_history(),
            Err(e) => self.send_failed(e),
        }
    }

    /// Send an unsequenced control message to `peer`.
    fn send_control(&mut self, now: Instant, peer: PeerId, message: Message) {
        let to = &self.peers[peer].name;
        if let Err(e) = self.outbox.send_control(now, to, message) {
            self.send_failed(e);
        }
    }

    /// Acknowledge `peer`'s packets if due (`tick`: keepalive time).
    fn maybe_ack(&mut self, now: Instant, peer: PeerId, tick: bool) {
        if let Some(ack) = self.peers[peer].ack_due(now, tick) {
            self.send_control(now, peer, ack);
        }
    }

    /// Drop history entries every listening peer acknowledged.
    fn trim_history(&mut self) {
        self.outbox.trim_history(self.peers.listening());
    }

    /// Count and report a failed send.
    fn send_failed(&mut self, error: SendError) {
        self.counters.send_failures += 1;
        self.events.push_back(Event::SendFailed { error });
    }

    /// Refresh the link to `peer` on `medium`.
    fn refresh_link(&mut self, now: Instant, peer: PeerId, medium: MediumId) {
        let deadtime = self.membership.deadtime_of(&self.peers[peer].liveness);
        if let Some(change) = self.peers[peer].links.refresh(now, medium.0, deadtime) {
            self.link_event(Some(peer), change);
        }
    }

    /// Report a link state change of `peer` (`None`: ours) as an event.
    fn link_event(&mut self, peer: Option<PeerId>, change: LinkChange) {
        let node = match peer {
            Some(peer) => self.peers[peer].name.clone(),
            None => self.config.local_node.clone(),
        };
        let link = self.config.media[change.medium].dev().to_owned();
        self.events.push_back(Event::LinkState {
            node,
            link,
            state: change.state,
        });
    }

    /// A ping node changed state: report it, and tell the resource layer
    /// whether this node has lost every ping node.
    fn ping_event(&mut self, now: Instant, change: PingChange) {
        self.events.push_back(Event::NodeState {
            node: change.name,
            state: change.state,
        });
        self.resources.set_ping_lost(now, self.pings.all_lost());
    }

    /// Report `count` sequenced packets of `peer` as given up.
    fn report_lost(&mut self, peer: PeerId, count: u64) {
        if count > 0 {
            self.events.push_back(Event::LostPackets {
                node: self.peers[peer].name.clone(),
                count,
            });
        }
    }

    /// Count and report a dropped packet.
    fn drop_packet(&mut self, medium: MediumId, from: &str, reason: DropReason) {
        match reason {
            DropReason::UnknownMedium => self.counters.unknown_medium += 1,
            DropReason::UnknownNode => self.counters.unknown_node += 1,
            DropReason::Impostor => self.counters.impostors += 1,
            _ => {}
        }
        self.events.push_back(Event::Dropped {
            medium,
            node: from.to_owned(),
            reason,
        });
    }

    /// Timing of retransmission requests, from the configuration.
    fn request_timing(&self) -> RequestTiming {
        RequestTiming {
            max_delay: self.config.max_rexmit_delay,
        }
    }

    /// Copy each part's earliest deadline into the timer table (the
    /// keepalive entry is the table's own).
    fn refresh_timers(&mut self) {
        let t = &mut self.timers;
        t.set_or_stop(Timer::NodeDeath, self.membership.next_timeout(&self.peers));
        t.set_or_stop(Timer::PingDeath, self.pings.next_timeout());
        t.set_or_stop(Timer::LinkDeath, self.peers.next_link_timeout());
        t.set_or_stop(Timer::Rexmit, self.peers.next_request_timeout());
        t.set_or_stop(Timer::Resources, self.resources.poll_timeout());
        t.set_or_stop(Timer::Safety, self.safety.poll_timeout());
    }
}

#[cfg(test)]
mod tests;
