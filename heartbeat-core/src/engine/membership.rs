//! Node liveness: who is alive, in which generation, and when a silent node
//! will be declared dead.
//!
//! Rules (Linux-HA semantics unless noted):
//! - Only status packets keep a node alive; any link may carry them. A node is
//!   declared dead when no fresh status arrived on any link for its deadtime:
//!   the deadtime it advertises in its status (the local one until it did),
//!   or `initdead` for everyone while communications are not up yet. A node
//!   never heard from is dead `initdead` after our start.
//! - Statuses carry a sender timestamp that grows strictly within a
//!   generation: an equal timestamp is a duplicate (the same packet on
//!   another link), a lower one is stale (late copy or replay) and ignored.
//! - A higher generation means the peer restarted; a lower one is a replay.
//! - A node heard again in the same generation after being declared dead
//!   (healed partition) simply becomes alive again: nobody restarts; the
//!   resource layer is told it joined and resolves double ownership.
//! - A peer that announced `Shutdone` is dead at once, and further statuses of
//!   that generation are ignored.
//! - Comm-up (simplified from Linux-HA, which also exchanges
//!   `reqnodes`/`repnodes`: our node list is static): the local status goes
//!   `init` → `up` when the first peer is heard, and → `active` once every
//!   configured peer was heard or declared dead.
//! - A late heartbeat (interval above warntime) is reported when it arrives.
//!
//! Each peer's [`Liveness`] is its row in [`Peers`]; [`Membership`] holds
//! the cluster-wide part (comm-up, the local status) and applies the rules
//! to the rows it is given.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::lifeguard::Stall;
use super::peers::{PeerId, Peers};
use super::types::NodeState;
use crate::config::Timing;
use crate::wire::{Holdings, NodeStatus, Status};

/// Largest deadtime a peer may ask for; a bigger advertised value is capped.
const MAX_ADVERTISED_DEADTIME: Duration = Duration::from_secs(24 * 3600);

/// Round-trip samples kept per peer; the estimate is their minimum.
const RTT_SAMPLES: usize = 8;

/// A state change the engine must act on (events, trackers, resources).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// A peer's state changed.
    Node {
        /// The peer.
        peer: PeerId,
        /// New state.
        state: NodeState,
    },
    /// A status arrived after more than warntime.
    Late {
        /// The peer.
        peer: PeerId,
        /// Interval since the previous status.
        interval: Duration,
    },
    /// A packet of a higher generation arrived.
    Restarted {
        /// The peer.
        peer: PeerId,
        /// New generation.
        generation: u64,
        /// Whether the peer was alive (up/active) when this was noticed.
        was_alive: bool,
    },
    /// A peer became alive (from init or dead).
    Joined {
        /// The peer.
        peer: PeerId,
        /// Whether it had been declared dead in the same generation (a healed
        /// partition or a false death).
        returned: bool,
    },
    /// A peer was declared dead.
    Died {
        /// The peer.
        peer: PeerId,
        /// Whether it announced its departure (`Shutdone`).
        departed: bool,
    },
    /// The local status changed.
    Local(NodeStatus),
    /// Communications are up (every peer heard or dead).
    CommUp,
}

/// How a status packet was classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StatusVerdict {
    /// Newer than anything seen: the node is alive.
    Fresh,
    /// The same status again (another link).
    Duplicate,
    /// Older than the last accepted status: a late copy or a replay.
    Stale,
    /// The peer announced its shutdown in this generation: ignored.
    Departed,
}

/// How a packet's generation compares with the known one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GenerationVerdict {
    /// The known generation (or the first one heard).
    Current,
    /// Higher: the peer restarted.
    Restarted,
    /// Lower: a replay, to be dropped.
    Replay,
}

/// Per-peer liveness statistics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PeerStats {
    /// Fresh statuses received.
    pub(crate) statuses: u64,
    /// Largest interval between two fresh statuses.
    pub(crate) max_gap: Duration,
    /// Late heartbeats.
    pub(crate) late: u64,
    /// Restarts seen (generation increases).
    pub(crate) restarts: u64,
    /// Packets of an older generation dropped.
    pub(crate) replays: u64,
    /// Stale statuses dropped.
    pub(crate) stale_statuses: u64,
    /// Times declared dead.
    pub(crate) deaths: u64,
    /// Times heard again after a death in the same generation.
    pub(crate) returns: u64,
    rtt: VecDeque<Duration>,
}

impl PeerStats {
    /// Round-trip estimate: the minimum of the last [`RTT_SAMPLES`] samples.
    /// A sample is the time from sending a sequenced packet (never
    /// retransmitted) to receiving its ack, minus the delay the peer reports
    /// having held it, clamped at zero: network and processing time only.
    pub(crate) fn rtt(&self) -> Option<Duration> {
        self.rtt.iter().min().copied()
    }

    /// Record a round-trip sample.
    pub(crate) fn add_rtt(&mut self, sample: Duration) {
        if self.rtt.len() == RTT_SAMPLES {
            self.rtt.pop_front();
        }
        self.rtt.push_back(sample);
    }
}

/// What is known about one peer's liveness: its row of [`Peers`].
#[derive(Clone, Debug)]
pub(crate) struct Liveness {
    /// Local verdict.
    pub(crate) state: NodeState,
    /// Generation heard last.
    pub(crate) generation: Option<u64>,
    /// Sent `Shutdone` in this generation.
    pub(crate) departed: bool,
    /// Deadtime from its status.
    pub(crate) advertised_deadtime: Option<Duration>,
    /// Holdings from its status.
    pub(crate) holdings: Holdings,
    /// When the last fresh status arrived.
    pub(crate) last_status_at: Option<Instant>,
    /// When it will be declared dead if silent (`None` once dead).
    pub(crate) deadline: Option<Instant>,
    last_status_ts: Option<u64>,
    /// The generation it had when last declared dead.
    died_in: Option<u64>,
    /// Statistics.
    pub(crate) stats: PeerStats,
}

impl Liveness {
    /// A peer never heard from, declared dead at `deadline` if it stays
    /// silent.
    pub(crate) fn new(deadline: Instant) -> Self {
        Liveness {
            state: NodeState::Init,
            generation: None,
            departed: false,
            advertised_deadtime: None,
            holdings: Holdings::None,
            last_status_at: None,
            deadline: Some(deadline),
            last_status_ts: None,
            died_in: None,
            stats: PeerStats::default(),
        }
    }

    /// Up or active.
    pub(crate) fn is_alive(&self) -> bool {
        matches!(self.state, NodeState::Up | NodeState::Active)
    }
}

/// The cluster-wide liveness state: comm-up and the local status, with the
/// changes the engine must act on.
#[derive(Debug)]
pub(crate) struct Membership {
    timing: Timing,
    local_status: NodeStatus,
    comm_up: bool,
    changes: VecDeque<Change>,
}

impl Membership {
    /// Before any peer was heard.
    pub(crate) fn new(timing: Timing) -> Self {
        Membership {
            timing,
            local_status: NodeStatus::Init,
            comm_up: false,
            changes: VecDeque::new(),
        }
    }

    /// The row of a peer that starts at `now`, never heard yet.
    pub(crate) fn new_peer(&self, now: Instant) -> Liveness {
        Liveness::new(now + self.deadtime(None))
    }

    /// Next change to act on.
    pub(crate) fn poll_change(&mut self) -> Option<Change> {
        self.changes.pop_front()
    }

    /// The local status advertised in our heartbeats.
    pub(crate) fn local_status(&self) -> NodeStatus {
        self.local_status
    }

    /// Whether communications are up.
    pub(crate) fn comm_up(&self) -> bool {
        self.comm_up
    }

    /// The deadtime applied now to a peer whose row is `peer`.
    pub(crate) fn deadtime_of(&self, peer: &Liveness) -> Duration {
        self.deadtime(peer.advertised_deadtime)
    }

    /// The deadtime applied now to a node that advertised `advertised`
    /// (`None`: nothing, or the local node): `initdead` for everyone until
    /// communications are up, then the advertised one, else ours.
    pub(crate) fn deadtime(&self, advertised: Option<Duration>) -> Duration {
        if !self.comm_up {
            return self.timing.initdead;
        }
        advertised.unwrap_or(self.timing.deadtime)
    }

    /// Compare a packet's generation with the known one of `peer`.
    pub(crate) fn observe_generation(
        &mut self,
        peers: &mut Peers,
        peer: PeerId,
        generation: u64,
    ) -> GenerationVerdict {
        let p = &mut peers[peer].liveness;
        match p.generation {
            None => {
                p.generation = Some(generation);
                GenerationVerdict::Current
            }
            Some(known) if generation == known => GenerationVerdict::Current,
            Some(known) if generation < known => {
                p.stats.replays += 1;
                GenerationVerdict::Replay
            }
            Some(_) => {
                p.generation = Some(generation);
                p.departed = false;
                p.last_status_ts = None;
                p.stats.restarts += 1;
                let was_alive = p.is_alive();
                self.changes.push_back(Change::Restarted {
                    peer,
                    generation,
                    was_alive,
                });
                GenerationVerdict::Restarted
            }
        }
    }

    /// A status of `peer` (already authenticated, generation checked)
    /// arrived.
    pub(crate) fn on_status(
        &mut self,
        peers: &mut Peers,
        now: Instant,
        peer: PeerId,
        status: &Status,
    ) -> StatusVerdict {
        let warntime = self.timing.warntime;
        let p = &mut peers[peer].liveness;
        if p.departed {
            return StatusVerdict::Departed;
        }
        match p.last_status_ts {
            Some(last) if status.timestamp_ms < last => {
                p.stats.stale_statuses += 1;
                return StatusVerdict::Stale;
            }
            Some(last) if status.timestamp_ms == last => return StatusVerdict::Duplicate,
            _ => {}
        }
        p.last_status_ts = Some(status.timestamp_ms);
        p.stats.statuses += 1;
        if let Some(prev) = p.last_status_at {
            let interval = now.saturating_duration_since(prev);
            p.stats.max_gap = p.stats.max_gap.max(interval);
            if interval > warntime && p.state != NodeState::Dead {
                p.stats.late += 1;
                self.changes.push_back(Change::Late { peer, interval });
            }
        }
        p.last_status_at = Some(now);
        p.advertised_deadtime = Some(
            Duration::from_millis(u64::from(status.deadtime_ms))
                .clamp(Duration::from_millis(1), MAX_ADVERTISED_DEADTIME),
        );
        p.holdings = status.holdings;
        let state = match status.status {
            NodeStatus::Init | NodeStatus::Up => NodeState::Up,
            NodeStatus::Active => NodeState::Active,
        };
        let old = p.state;
        if old != state {
            p.state = state;
            // Back from the dead in the same generation: a healed partition
            // (a restart was reported as such already).
            let returned = old == NodeState::Dead && p.died_in == p.generation;
            if returned {
                p.stats.returns += 1;
            }
            self.changes.push_back(Change::Node { peer, state });
            if matches!(old, NodeState::Init | NodeState::Dead) {
                self.changes.push_back(Change::Joined { peer, returned });
            }
        }
        let deadtime = self.deadtime_of(p);
        p.deadline = Some(now + deadtime);
        if self.local_status == NodeStatus::Init {
            self.set_local(NodeStatus::Up);
        }
        self.check_comm_up(peers);
        StatusVerdict::Fresh
    }

    /// `peer` announced its shutdown: dead at once, no deadtime wait.
    pub(crate) fn on_departure(&mut self, peers: &mut Peers, peer: PeerId) {
        let p = &mut peers[peer].liveness;
        p.departed = true;
        if p.state != NodeState::Dead {
            self.declare_dead(p, peer, true);
        }
        self.check_comm_up(peers);
    }

    /// Declare dead every peer whose deadline passed.
    pub(crate) fn handle_timeout(&mut self, peers: &mut Peers, now: Instant) {
        for (peer, row) in peers.iter_mut() {
            if row.liveness.deadline.is_some_and(|d| d <= now) {
                self.declare_dead(&mut row.liveness, peer, false);
            }
        }
        self.check_comm_up(peers);
    }

    /// Earliest death deadline.
    pub(crate) fn next_timeout(&self, peers: &Peers) -> Option<Instant> {
        peers.iter().filter_map(|(_, p)| p.liveness.deadline).min()
    }

    /// Lifeguard: our own process stalled; push every death deadline back
    /// so that peers get a chance to be heard before being judged.
    pub(crate) fn extend_deadlines(&self, peers: &mut Peers, stall: &Stall) {
        for (_, p) in peers.iter_mut() {
            if let Some(d) = p.liveness.deadline.as_mut() {
                stall.postpone(d);
            }
        }
    }

    fn declare_dead(&mut self, p: &mut Liveness, peer: PeerId, departed: bool) {
        p.state = NodeState::Dead;
        p.died_in = p.generation;
        p.deadline = None;
        p.stats.deaths += 1;
        self.changes.push_back(Change::Node {
            peer,
            state: NodeState::Dead,
        });
        self.changes.push_back(Change::Died { peer, departed });
    }

    fn set_local(&mut self, status: NodeStatus) {
        if self.local_status != status {
            self.local_status = status;
            self.changes.push_back(Change::Local(status));
        }
    }

    /// Go comm-up once no peer is left in `init` (at the start too: a
    /// single-node cluster is up at once).
    pub(crate) fn check_comm_up(&mut self, peers: &mut Peers) {
        if self.comm_up
            || peers
                .iter()
                .any(|(_, p)| p.liveness.state == NodeState::Init)
        {
            return;
        }
        self.comm_up = true;
        // From now on each peer's own deadtime applies.
        for (_, p) in peers.iter_mut() {
            let deadtime = self.deadtime_of(&p.liveness);
            let p = &mut p.liveness;
            if let (Some(d), Some(heard)) = (p.deadline.as_mut(), p.last_status_at) {
                *d = heard + deadtime;
            }
        }
        self.set_local(NodeStatus::Up);
        self.set_local(NodeStatus::Active);
        self.changes.push_back(Change::CommUp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn timing() -> Timing {
        Timing {
            keepalive: 100 * MS,
            deadtime: 1000 * MS,
            warntime: 500 * MS,
            initdead: 3000 * MS,
            deadping: 1000 * MS,
        }
    }

    fn status(ts: u64) -> Status {
        Status {
            status: NodeStatus::Active,
            deadtime_ms: 2000,
            holdings: Holdings::Local,
            timestamp_ms: ts,
            view: None,
        }
    }

    /// Membership with its peer rows, called by peer index.
    struct M {
        m: Membership,
        p: Peers,
    }

    impl M {
        fn new(names: &[String], timing: Timing, now: Instant) -> M {
            let mut m = Membership::new(timing);
            let mut p = Peers::new(names, 0, m.new_peer(now));
            m.check_comm_up(&mut p);
            M { m, p }
        }
        fn poll_change(&mut self) -> Option<Change> {
            self.m.poll_change()
        }
        fn comm_up(&self) -> bool {
            self.m.comm_up()
        }
        fn next_timeout(&self) -> Option<Instant> {
            self.m.next_timeout(&self.p)
        }
        fn peer(&self, i: usize) -> &Liveness {
            &self.p[PeerId(i)].liveness
        }
        fn effective_deadtime(&self, i: usize) -> Duration {
            self.m.deadtime_of(self.peer(i))
        }
        fn on_status(&mut self, now: Instant, i: usize, s: &Status) -> StatusVerdict {
            self.m.on_status(&mut self.p, now, PeerId(i), s)
        }
        fn handle_timeout(&mut self, now: Instant) {
            self.m.handle_timeout(&mut self.p, now)
        }
        fn observe_generation(&mut self, i: usize, g: u64) -> GenerationVerdict {
            self.m.observe_generation(&mut self.p, PeerId(i), g)
        }
        fn on_departure(&mut self, i: usize) {
            self.m.on_departure(&mut self.p, PeerId(i))
        }
        fn extend_deadlines(&mut self, now: Instant, late_by: Duration, grace: Duration) {
            let stall = Stall {
                now,
                late_by,
                grace,
            };
            self.m.extend_deadlines(&mut self.p, &stall)
        }
    }

    fn drain(m: &mut M) -> Vec<Change> {
        std::iter::from_fn(|| m.poll_change()).collect()
    }

    fn two_peers(t0: Instant) -> M {
        M::new(&["b".into(), "c".into()], timing(), t0)
    }

    #[test]
    fn comm_up_after_every_peer_heard_or_dead() {
        let t0 = Instant::now();
        let mut m = two_peers(t0);
        assert!(drain(&mut m).is_empty());
        assert_eq!(m.next_timeout(), Some(t0 + 3000 * MS));
        assert_eq!(
            m.on_status(t0 + 10 * MS, 0, &status(1)),
            StatusVerdict::Fresh
        );
        let c = drain(&mut m);
        assert!(c.contains(&Change::Local(NodeStatus::Up)));
        assert!(c.contains(&Change::Joined {
            peer: PeerId(0),
            returned: false
        }));
        assert!(!m.comm_up());
        // b keeps talking, c never does: dead at initdead, then comm up.
        let mut t = t0 + 10 * MS;
        while t < t0 + 3000 * MS {
            t += 100 * MS;
            m.on_status(t, 0, &status(t.duration_since(t0).as_millis() as u64));
        }
        m.handle_timeout(t0 + 3000 * MS);
        let c = drain(&mut m);
        assert!(c.contains(&Change::Died {
            peer: PeerId(1),
            departed: false
        }));
        assert!(c.contains(&Change::Local(NodeStatus::Active)));
        assert_eq!(c.last(), Some(&Change::CommUp));
        // b's own deadtime (2 s) applies now.
        assert_eq!(m.effective_deadtime(0), 2000 * MS);
        assert_eq!(m.peer(0).deadline, Some(t + 2000 * MS));
    }

    #[test]
    fn single_node_cluster_is_up_at_once() {
        let mut m = M::new(&[], timing(), Instant::now());
        assert!(m.comm_up());
        assert_eq!(drain(&mut m).last(), Some(&Change::CommUp));
        assert_eq!(m.next_timeout(), None);
    }

    #[test]
    fn deadtime_late_heartbeat_and_death() {
        let t0 = Instant::now();
        let mut m = M::new(&["b".into()], timing(), t0);
        m.on_status(t0, 0, &status(1));
        assert!(m.comm_up());
        drain(&mut m);
        m.on_status(t0 + 600 * MS, 0, &status(2));
        assert_eq!(
            drain(&mut m),
            vec![Change::Late {
                peer: PeerId(0),
                interval: 600 * MS
            }]
        );
        assert_eq!(m.peer(0).stats.max_gap, 600 * MS);
        let deadline = t0 + 2600 * MS;
        assert_eq!(m.next_timeout(), Some(deadline));
        m.handle_timeout(deadline - MS);
        assert!(drain(&mut m).is_empty());
        m.handle_timeout(deadline);
        assert_eq!(
            drain(&mut m),
            vec![
                Change::Node {
                    peer: PeerId(0),
                    state: NodeState::Dead
                },
                Change::Died {
                    peer: PeerId(0),
                    departed: false
                }
            ]
        );
        assert_eq!(m.next_timeout(), None);
    }

    #[test]
    fn duplicates_stale_and_heal() {
        let t0 = Instant::now();
        let mut m = M::new(&["b".into()], timing(), t0);
        assert_eq!(m.on_status(t0, 0, &status(5)), StatusVerdict::Fresh);
        assert_eq!(m.on_status(t0, 0, &status(5)), StatusVerdict::Duplicate);
        assert_eq!(m.on_status(t0, 0, &status(4)), StatusVerdict::Stale);
        m.handle_timeout(t0 + 2000 * MS);
        drain(&mut m);
        // A replay of an old status does not bring it back.
        assert_eq!(
            m.on_status(t0 + 2100 * MS, 0, &status(5)),
            StatusVerdict::Duplicate
        );
        assert_eq!(m.peer(0).state, NodeState::Dead);
        // A fresh one does (healed partition), without a restart.
        assert_eq!(
            m.on_status(t0 + 2200 * MS, 0, &status(2200)),
            StatusVerdict::Fresh
        );
        let c = drain(&mut m);
        assert!(c.contains(&Change::Joined {
            peer: PeerId(0),
            returned: true
        }));
        assert!(!c.iter().any(|c| matches!(c, Change::Late { .. })));
        assert_eq!(m.peer(0).state, NodeState::Active);
        assert_eq!(m.peer(0).stats.returns, 1);
    }

    #[test]
    fn generations_restart_and_replay() {
        let t0 = Instant::now();
        let mut m = M::new(&["b".into()], timing(), t0);
        assert_eq!(m.observe_generation(0, 7), GenerationVerdict::Current);
        m.on_status(t0, 0, &status(100));
        drain(&mut m);
        assert_eq!(m.observe_generation(0, 6), GenerationVerdict::Replay);
        assert_eq!(m.observe_generation(0, 8), GenerationVerdict::Restarted);
        assert_eq!(
            drain(&mut m),
            vec![Change::Restarted {
                peer: PeerId(0),
                generation: 8,
                was_alive: true
            }]
        );
        // The new incarnation's clock starts again at 0.
        assert_eq!(m.on_status(t0 + MS, 0, &status(1)), StatusVerdict::Fresh);
        assert_eq!(m.observe_generation(0, 7), GenerationVerdict::Replay);
        assert_eq!(m.peer(0).stats.replays, 2);
    }

    #[test]
    fn departure_is_immediate_and_sticky() {
        let t0 = Instant::now();
        let mut m = M::new(&["b".into()], timing(), t0);
        m.observe_generation(0, 1);
        m.on_status(t0, 0, &status(1));
        drain(&mut m);
        m.on_departure(0);
        assert!(drain(&mut m).contains(&Change::Died {
            peer: PeerId(0),
            departed: true
        }));
        assert_eq!(m.on_status(t0 + MS, 0, &status(2)), StatusVerdict::Departed);
        assert_eq!(m.peer(0).state, NodeState::Dead);
        // Restarting lifts it.
        m.observe_generation(0, 2);
        assert_eq!(
            m.on_status(t0 + 2 * MS, 0, &status(1)),
            StatusVerdict::Fresh
        );
        assert_eq!(m.peer(0).state, NodeState::Active);
    }

    #[test]
    fn lifeguard_extension() {
        let t0 = Instant::now();
        let mut m = M::new(&["b".into()], timing(), t0);
        m.on_status(t0, 0, &status(1));
        let now = t0 + 5000 * MS;
        m.extend_deadlines(now, 3000 * MS, 200 * MS);
        assert_eq!(m.peer(0).deadline, Some(now + 200 * MS));
        m.handle_timeout(now);
        assert_eq!(m.peer(0).state, NodeState::Active);
    }
}
