//! Resource ownership of haresources groups (sans-io; no clock, no I/O).
//!
//! # Interface (called by the engine glue)
//!
//! Create with [`Resources::new`]`(local, nodes, groups, policy, timing)`.
//! Node names are compared as given: pass the lower-case names of the
//! configuration.
//!
//! Inputs, each with the current instant:
//! - [`Resources::comm_up`]: local communications are up; `peers_alive` are the
//!   peers currently alive. Peers not listed are treated as dead.
//! - [`Resources::peer_joined`]: a peer became alive (first time, restart,
//!   return after a partition). If a peer restarted before its deadtime
//!   expired, call [`Resources::peer_dead`] first, then `peer_joined`.
//! - [`Resources::peer_dead`]: a peer was declared dead.
//! - [`Resources::on_message`]: `IpRequest`, `IpRequestResp`, `Starting`,
//!   `ResourceReport`, `AskResources`, `Shutdone`, `Ownership` from a peer
//!   (others ignored), after the engine's `dest` filtering. A resource
//!   message from a peer believed dead counts as its return (as if
//!   `peer_joined` came first); an `Ownership` from a node that is not a live
//!   peer is ignored. The engine passes only fresh announcements (newest
//!   serial, not older than a resource message of the sender it delivered).
//! - [`Resources::on_action_finished`]: a [`ResourceAction`] from
//!   [`Resources::poll_action`] finished.
//! - [`Resources::standby`], [`Resources::takeover`]: operator commands
//!   (nice_failback modes only, ignored with `auto_failback legacy` as in
//!   Linux-HA).
//! - [`Resources::shutdown`]: release everything.
//! - [`Resources::handle_timeout`]: when [`Resources::poll_timeout`] is due.
//!
//! Outputs, drained after every input:
//! - [`Resources::poll_send`]: `(dest, message)`, `dest == None` = all nodes.
//!   `Ownership` is sent unsequenced (see `engine::delivery`), everything
//!   else sequenced.
//! - [`Resources::poll_action`]: start/stop a group. At most one action per
//!   group is outstanding; the next one comes after `on_action_finished`.
//! - [`Resources::poll_event`]: [`Event::GroupAcquired`] (start ok),
//!   [`Event::GroupReleased`] (stop ok), [`Event::GroupFailed`] (start or stop
//!   failed), [`Event::ShutdownComplete`] (after `shutdown`, every group
//!   stopped). This module never sends `Shutdone`: on `ShutdownComplete` the
//!   engine sends it. If a stop failed, `ShutdownComplete` is withheld (peers
//!   must not take a group that may still run here); the driver may exit
//!   anyway and peers then take over after deadtime, as after a crash.
//! - [`Resources::poll_timeout`]: the next deadline (exact, no polling).
//!   There is always one after comm-up: the periodic announcement.
//! - [`Resources::holdings`] for the status message, [`Resources::groups`]
//!   for the status snapshot.
//!
//! # Rules
//!
//! - **Rank.** For each group the nodes are ordered: preferred node first, then
//!   the configured node order. The *rightful* node of a group is the
//!   best-ranked live node (this one included) on which its start has not
//!   failed. Every node computes it the same way, so when an owner dies
//!   exactly one survivor takes each orphaned group.
//! - **Handshake before every start.** Unless no peer is alive, a node starts a
//!   group only after every live peer answered its `IpRequest` with `ok`: a
//!   holder stops the group first and answers `we_own, ok`; a node that is
//!   itself requesting the group and ranks better answers `!ok`, and the
//!   requester gives up. Missing answers are resent every `retry` until the
//!   peer answers or dies (then it no longer counts). Peers answer every
//!   request once and in order, and answers to an earlier request of ours are
//!   skipped, so a stale `ok` never lets a start through. Legacy start-up,
//!   takeover after death/shutdown, standby transfers and hand-offs all use it.
//! - **Legacy reclaim.** With `auto_failback legacy` the rightful node also
//!   requests groups held by a worse-ranked node (preferred node reclaims);
//!   pulls only go up the rank order, so two nodes never pull back and forth.
//!   nice_failback modes only acquire groups nobody holds.
//! - **Ownership is self-healing** (see [`ownership`]). Every node announces
//!   per group whether it runs it (`Ownership`), on every change, on every
//!   membership change and periodically. A node that runs a group which a
//!   better-ranked live node also runs (or which a node runs unmanaged after
//!   a failed stop) stops its copy; the better copy keeps running: one stop,
//!   no restart, never both, whichever side saw the other die or return (a
//!   one-way cut gives only one side a "join"). A belief that a peer holds a
//!   group is replaced by the peer's own announcements: when it announces the
//!   group free and nobody else holds it, the rightful node takes it after a
//!   short grace. So double ownership after a heal, restarts inside a
//!   partition, and stale beliefs ("each believes the other owns it", a
//!   group released to a node that died before starting it) all converge
//!   from steady-state information.
//! - nice_failback (`auto_failback on|off`): `Starting` / `ResourceReport` at
//!   start-up (settles after a stable report, at once on a cold start, or
//!   after the `settle` wait of [`Timers`]), the three-phase
//!   `AskResources` standby exchange, and with `on` auto-failback to a peer
//!   that restarted. See [`nice`] and [`standby`].
//! - **Waits** (`settle`, `retry`, `standby_reply`, the announcement period)
//!   are a few keepalives, bounded by deadtime: see [`Timers`].
//!
//! # Structure
//!
//! A group's life on this node is a state machine ([`group::Lifecycle`]):
//! `Stopped -> Starting -> Running -> Stopping -> Stopped`, a failed start
//! goes straight to its clean-up stop, a failed stop to `Failed` (left
//! alone, stopped once more at shutdown). It changes only through
//! `Group`'s transition methods, at most one action is in flight, and a
//! stop asked for during a start is queued behind it. What follows a stop
//! (answer requesters, give way to a better copy, hand the group on after a
//! failed start or for health) is one [`group::AfterStop`] carried by that
//! stop, so no decision outlives it.
//!
//! The parts own their state; none imports another (only `group` and
//! `timers`), and this file is the glue between them:
//! - `group`: [`group::Group`], its lifecycle, health and beliefs;
//! - `actions`: issuing starts and stops, and what follows when they finish;
//! - `handshake`: `IpRequest` / `IpRequestResp`;
//! - `membership`: comm-up, joins, deaths, shutdown, and `reconcile`
//!   (acquire what this node is rightful for);
//! - `nice`: nice_failback start-up (`Starting`, `ResourceReport`);
//! - `standby`: the `AskResources` exchange, takeover, auto-failback;
//! - `ownership`: the `Ownership` announcements;
//! - `health`: faults and health handovers;
//! - `permission`: what the safety part allows (quorum, fencing);
//! - `timers`: the waits.
//!
//! Every input ends with `settle`: the follow-ups that depend on the state
//! as a whole, always in the same order (see [`Resources::settle`]).
//!
//! # Known limits
//!
//! - While two nodes cannot hear each other (partition, one-way cut) both
//!   may run a group. Once they hear each other again the worse-ranked copy
//!   stops after one announcement exchange (sent at once on the join, then
//!   every `announce` while lost), plus its stop action.
//! - Without fencing or a watchdog (see `engine::safety`), when a node whose
//!   stop failed dies, peers take its groups.

mod actions;
mod group;
mod handshake;
mod health;
mod membership;
mod nice;
mod ownership;
mod permission;
mod standby;
#[cfg(test)]
mod tests;
mod timers;

use std::collections::{BTreeSet, VecDeque};
use std::time::Instant;

use crate::config::{AutoFailback, ResourceGroup, Timing};
use crate::engine::{ActionKind, Event, ResourceAction};
use crate::wire::{Holdings, Message, Ownership};

use group::{union, Group};
pub(crate) use group::{GroupView, LocalState};
pub(crate) use timers::Timers;

/// Resource ownership state of one node. See the module documentation.
#[derive(Debug)]
pub(crate) struct Resources {
    me: String,
    nodes: Vec<String>,
    policy: AutoFailback,
    timers: Timers,
    groups: Vec<Group>,
    /// Peers alive (never contains `me`).
    peers: BTreeSet<String>,
    comm_up: bool,
    shutting_down: bool,
    shutdown_reported: bool,
    nice: nice::Nice,
    standby: standby::Standby,
    ownership: ownership::Announcer,
    /// Every ping node is dead: each group counts as faulty here.
    ping_lost: bool,
    /// What the safety part allows (see [`permission`]).
    permission: crate::engine::safety::Permission,
    /// After quorum came back: acquire nothing before this instant unless
    /// every live peer announced its groups (see [`permission`]).
    rejoin_until: Option<Instant>,
    sends: VecDeque<(Option<String>, Message)>,
    actions: VecDeque<ResourceAction>,
    events: VecDeque<Event>,
}

impl Resources {
    /// Resource state of node `local` in a cluster of `nodes` (configured
    /// order); the waits scale with `timing` (see [`Timers`]).
    pub(crate) fn new(
        local: &str,
        nodes: &[String],
        groups: &[ResourceGroup],
        policy: AutoFailback,
        timing: &Timing,
    ) -> Self {
        Resources {
            me: local.to_owned(),
            nodes: nodes.to_vec(),
            policy,
            timers: Timers::new(timing),
            ownership: ownership::Announcer::new(groups),
            groups: groups
                .iter()
                .map(|g| Group::new(&g.key, &g.preferred_node))
                .collect(),
            peers: BTreeSet::new(),
            comm_up: false,
            shutting_down: false,
            shutdown_reported: false,
            nice: nice::Nice::default(),
            standby: standby::Standby::default(),
            ping_lost: false,
            permission: crate::engine::safety::Permission::Run,
            rejoin_until: None,
            sends: VecDeque::new(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Local communications are up; `peers_alive` are the live peers.
    pub(crate) fn comm_up(&mut self, now: Instant, peers_alive: &[String]) {
        self.on_comm_up(now, peers_alive);
        self.settle(now);
    }

    /// A peer became alive (first time, restart, or return after a partition).
    pub(crate) fn peer_joined(&mut self, now: Instant, node: &str) {
        self.on_peer_joined(node);
        self.settle(now);
    }

    /// A live peer restarted (a new generation): to this node it died and
    /// joined again, in one input.
    pub(crate) fn peer_restarted(&mut self, now: Instant, node: &str) {
        self.on_peer_gone(node);
        self.forget_owed(node);
        self.on_peer_joined(node);
        self.settle(now);
    }

    /// A peer that is dead here restarted: its previous incarnation will
    /// never answer what it owed.
    pub(crate) fn peer_generation_changed(&mut self, node: &str) {
        self.forget_owed(node);
    }

    /// A peer was declared dead.
    pub(crate) fn peer_dead(&mut self, now: Instant, node: &str) {
        self.on_peer_gone(node);
        self.settle(now);
    }

    /// A resource message from peer `from`; other message types are ignored.
    pub(crate) fn on_message(&mut self, now: Instant, from: &str, msg: &Message) {
        if from == self.me {
            return;
        }
        let known = self.nodes.iter().any(|n| n == from);
        let returning = self.comm_up && known && !self.peers.contains(from);
        if returning && !matches!(msg, Message::Shutdone | Message::Ownership(_)) {
            // A message from a node we believe dead: it is back (partition heal).
            self.on_peer_joined(from);
        }
        match msg {
            Message::IpRequest { group } => self.on_request(from, group),
            Message::IpRequestResp { group, we_own, ok } => {
                self.on_response(now, from, group, *we_own, *ok)
            }
            Message::Starting => self.on_starting(from),
            Message::ResourceReport {
                holdings,
                full,
                stable,
            } => self.on_report(from, *holdings, *full, *stable),
            Message::AskResources { holdings, phase } => self.on_ask(now, from, *holdings, *phase),
            Message::Shutdone => self.on_peer_gone(from),
            Message::Ownership(o) => self.on_ownership(now, from, o),
            _ => return,
        }
        self.settle(now);
    }

    /// The action `kind` on `group` requested by [`Resources::poll_action`]
    /// finished, successfully or not.
    pub(crate) fn on_action_finished(
        &mut self,
        now: Instant,
        group: &str,
        kind: ActionKind,
        ok: bool,
    ) {
        if !self.action_finished(group, kind, ok) {
            return; // not ours, or a duplicate report
        }
        if self.policy != AutoFailback::Legacy && self.comm_up {
            self.send_report(None);
        }
        self.settle(now);
    }

    /// Operator `hb_standby <set>`: give the groups of `set` (relative to this
    /// node) to peers.
    pub(crate) fn standby(&mut self, now: Instant, set: Holdings) {
        self.standby_command(set);
        self.settle(now);
    }

    /// Operator `hb_takeover <set>`: take the groups of `set` (relative to this
    /// node) from peers.
    pub(crate) fn takeover(&mut self, now: Instant, set: Holdings) {
        self.takeover_command(now, set);
        self.settle(now);
    }

    /// A tracked health check reports group `group` healthy or faulty on
    /// this node (see [`health`]).
    pub(crate) fn set_health(&mut self, now: Instant, group: &str, healthy: bool) {
        self.record_check(group, healthy);
        self.settle(now);
    }

    /// Whether every ping node is dead: while so, each group counts as
    /// faulty here (see [`health`]).
    pub(crate) fn set_ping_lost(&mut self, now: Instant, lost: bool) {
        self.record_ping_lost(lost);
        self.settle(now);
    }

    /// Release every group; [`Event::ShutdownComplete`] follows when done.
    pub(crate) fn shutdown(&mut self, now: Instant) {
        self.begin_shutdown();
        self.settle(now);
    }

    /// Let the deadlines due at `now` fire.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if self.rejoin_until.is_some_and(|t| t <= now) {
            self.rejoin_until = None; // waited long enough (see `permission`)
        }
        self.retry_requests(now);
        self.nice_timeout(now);
        self.standby_timeout(now);
        self.ownership.on_timeout(now);
        self.settle(now);
    }

    /// The next instant at which [`Resources::handle_timeout`] must be called.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.protocol_timeout()
            .into_iter()
            .chain(self.ownership.deadline())
            .min()
    }

    /// [`Resources::poll_timeout`] without the periodic announcement: the
    /// next deadline of a pending exchange, if any.
    pub(crate) fn protocol_timeout(&self) -> Option<Instant> {
        let requests = self
            .groups
            .iter()
            .filter_map(|g| g.request.as_ref().map(|r| r.retry_at));
        let orphans = self
            .groups
            .iter()
            .filter_map(|g| g.orphaned_at.map(|t| t + self.timers.orphan_grace));
        requests
            .chain(orphans)
            .chain(self.rejoin_until)
            .chain(self.nice.deadline(self.timers.reply_gap))
            .chain(self.standby.deadline())
            .min()
    }

    /// Next message to send: `(destination, message)`, `None` meaning all nodes.
    pub(crate) fn poll_send(&mut self) -> Option<(Option<String>, Message)> {
        self.sends.pop_front()
    }

    /// Next resource action to run.
    pub(crate) fn poll_action(&mut self) -> Option<ResourceAction> {
        self.actions.pop_front()
    }

    /// Next event.
    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// What this node holds, relative to itself (for the status message).
    pub(crate) fn holdings(&self) -> Holdings {
        self.groups
            .iter()
            .filter(|g| g.held_here())
            .fold(Holdings::None, |h, g| union(h, g.class_for(&self.me)))
    }

    /// Every group in haresources order, for the status snapshot.
    pub(crate) fn groups(&self) -> impl Iterator<Item = GroupView<'_>> + '_ {
        self.groups.iter().map(|g| GroupView {
            key: &g.key,
            preferred: &g.preferred,
            owner: g.owner.as_deref(),
            state: g.state(),
        })
    }

    // ----- shared helpers for the submodules -----

    /// Index of group `key` in haresources order.
    fn index(&self, key: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.key == key)
    }

    /// Queue `msg` for `dest` (all nodes if `None`).
    fn send(&mut self, dest: Option<&str>, msg: Message) {
        self.sends.push_back((dest.map(str::to_owned), msg));
    }

    /// Rank of `node` for group `i`: 0 for the preferred node, then config order.
    fn rank(&self, i: usize, node: &str) -> usize {
        if self.groups[i].preferred == node {
            return 0;
        }
        self.nodes
            .iter()
            .position(|n| n == node)
            .map_or(usize::MAX, |p| p + 1)
    }

    /// The best-ranked live node (this one included, `except` excluded) on
    /// which group `i` has not failed and is not faulty.
    fn rightful(&self, i: usize, except: Option<&str>) -> Option<String> {
        let g = &self.groups[i];
        std::iter::once(&self.me)
            .chain(self.peers.iter())
            .filter(|n| Some(n.as_str()) != except && !g.failed_on.contains(*n))
            .filter(|n| !self.faulty(i, n))
            .min_by_key(|n| (self.rank(i, n), (*n).clone()))
            .cloned()
    }

    /// Whether group `i` is faulty on `node` (as far as this node knows).
    fn faulty(&self, i: usize, node: &str) -> bool {
        if node == self.me {
            self.groups[i].health.faulty
        } else {
            self.ownership.heard_faulty(node, i)
        }
    }

    /// Whether `node` is this node or a live peer.
    fn is_alive(&self, node: &str) -> bool {
        node == self.me || self.peers.contains(node)
    }

    /// An `Ownership` announcement from `from`. It also tells nice_failback
    /// start-up that the peer is up, and health that a fault there ended.
    fn on_ownership(&mut self, now: Instant, from: &str, o: &Ownership) {
        if !self.peers.contains(from) {
            return;
        }
        if self.policy != AutoFailback::Legacy {
            // Even one we cannot read (another group list): the peer is up.
            self.nice_heard_announcement(from);
        }
        let Some(recovered) = self.ownership.record(from, o, self.groups.len()) else {
            return;
        };
        for i in recovered {
            self.peer_recovered(from, i);
        }
        self.apply_announcement(now, from, o);
    }

    /// Follow-ups after every input, in this order: move a standby exchange
    /// on, hand faulty groups over, acquire the groups this node should hold,
    /// begin the next standby exchange or auto-failback, report the end of a
    /// shutdown; then send what is due: the answer to `Starting`s and the
    /// ownership announcement. Each pass returns at once when it has
    /// nothing to do.
    fn settle(&mut self, now: Instant) {
        self.exchange_progress();
        self.hand_over_faulty();
        self.reconcile(now);
        self.begin_next_exchange(now);
        self.check_shutdown();
        self.flush_reply(now);
        self.flush_announcement(now);
    }
}
