//! One simulated node: its engine (absent while crashed), what it told us through
//! its events, and the harness-side state of its resource groups.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use heartbeat_core::config::Config;
use heartbeat_core::engine::{ActionKind, Command, Engine, Event, Identity, NodeState};

use crate::network::Datagram;
use heartbeat_core::wire::NodeStatus;

/// What a node currently believes about one peer, and since when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerView {
    /// The last state the node reported for the peer.
    pub state: NodeState,
    /// When it reported it (virtual time).
    pub since: Duration,
}

impl PeerView {
    /// Whether the view says the peer is alive (`Up` or `Active`).
    pub fn alive(&self) -> bool {
        matches!(self.state, NodeState::Up | NodeState::Active)
    }
}

/// The harness-side state of one resource group on one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupRun {
    /// Not running.
    Stopped,
    /// A start is in progress.
    Starting,
    /// Running since the instant its start succeeded.
    Running {
        /// When the start succeeded.
        since: Duration,
    },
    /// A stop is in progress (no longer counted as running).
    Stopping,
}

/// An event as observed by the harness.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// When it was polled (virtual time).
    pub at: Duration,
    /// Which incarnation of the node emitted it (0 = first start).
    pub incarnation: u32,
    /// The event.
    pub event: Event,
}

/// The last status a node sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusSent {
    /// When it was handed to the network.
    pub at: Duration,
    /// Its sequence number.
    pub seq: u64,
    /// The deadtime it advertised.
    pub deadtime: Duration,
    /// The status it advertised about itself.
    pub status: NodeStatus,
    /// The latest instant any status of this incarnation so far asked to be
    /// considered alive until (`at + deadtime`, largest over all of them):
    /// a peer that missed the last ones may rightly wait that long (the
    /// Linux-HA dialect advertises a longer deadtime for its first 5 s).
    pub alive_claim_until: Duration,
}

/// Something a hung node's process will only handle once it resumes.
#[derive(Clone, Debug)]
pub(crate) enum Deferred {
    /// An engine command (operator, resource script end, fence result).
    Command(Command),
    /// A resource action ended while the process was hung: its harness
    /// state changes when the process reaps it.
    ActionDone {
        /// The group.
        group: String,
        /// Start or stop.
        kind: ActionKind,
        /// Whether it succeeded.
        ok: bool,
    },
}

/// How many datagrams a hung node's socket buffers; later ones are dropped.
pub const SOCKET_BUFFER: usize = 256;

/// A simulated node.
pub struct SimNode {
    /// Node name (`node1`, `node2`, ...).
    pub name: String,
    /// Its configuration.
    pub config: Config,
    /// Its current identity (generation grows at every restart).
    pub identity: Identity,
    pub(crate) engine: Option<Engine>,
    /// Number of restarts so far; tags events and pending actions.
    pub incarnation: u32,
    /// When the current incarnation started (or crashed, while down).
    pub started_at: Duration,
    /// Whether a graceful shutdown was requested and not yet complete.
    pub shutting_down: bool,
    /// Every event ever polled from this node.
    pub events: Vec<Observed>,
    /// The current incarnation's view of each node, by index (`Init` until told).
    pub views: Vec<PeerView>,
    /// Harness-side state of each group.
    pub groups: BTreeMap<String, GroupRun>,
    /// Actions waiting because another action of the same group is running.
    pub(crate) queued: BTreeMap<String, VecDeque<ActionKind>>,
    /// The last status this incarnation sent.
    pub last_status: Option<StatusSent>,
    /// Whether the process is hung (handles nothing; its resources run on).
    pub hung: bool,
    /// When the process last resumed from a hang (zero if never).
    pub resumed_at: Duration,
    /// Datagrams waiting in the socket of a hung process, in arrival order.
    pub(crate) socket: VecDeque<Datagram>,
    /// Datagrams dropped because the socket buffer of a hung process was full.
    pub socket_drops: u64,
    /// What a hung process will handle when it resumes, in order.
    pub(crate) deferred: VecDeque<Deferred>,
    /// The watchdog timeout, if the node has a watchdog.
    pub watchdog_timeout: Option<Duration>,
    /// The last watchdog pet (or the arming at start) of this incarnation.
    pub last_pet: Option<Duration>,
}

impl SimNode {
    pub(crate) fn new(config: Config, identity: Identity, nodes: usize) -> Self {
        let groups = config
            .groups
            .iter()
            .map(|g| (g.key.clone(), GroupRun::Stopped))
            .collect();
        SimNode {
            name: config.local_node.clone(),
            config,
            identity,
            engine: None,
            incarnation: 0,
            started_at: Duration::ZERO,
            shutting_down: false,
            events: Vec::new(),
            views: fresh_views(nodes, Duration::ZERO),
            groups,
            queued: BTreeMap::new(),
            last_status: None,
            hung: false,
            resumed_at: Duration::ZERO,
            socket: VecDeque::new(),
            socket_drops: 0,
            deferred: VecDeque::new(),
            watchdog_timeout: None,
            last_pet: None,
        }
    }

    /// Whether the process exists (running or hung).
    pub fn is_up(&self) -> bool {
        self.engine.is_some()
    }

    /// Whether the process exists and is not hung.
    pub fn is_running(&self) -> bool {
        self.engine.is_some() && !self.hung
    }

    /// Whether the group's resources may be running here: from the moment
    /// its start was issued until its stop finished (or the node went down).
    pub fn holds(&self, group: &str) -> bool {
        self.groups
            .get(group)
            .is_some_and(|g| *g != GroupRun::Stopped)
    }

    /// When the watchdog resets this node if it is not petted before.
    pub fn watchdog_deadline(&self) -> Option<Duration> {
        self.engine.as_ref()?;
        Some(self.last_pet? + self.watchdog_timeout?)
    }

    /// Whether the group currently runs here (its start succeeded and no stop began).
    pub fn runs(&self, group: &str) -> bool {
        matches!(self.groups.get(group), Some(GroupRun::Running { .. }))
    }

    /// Whether an action is in progress for some group.
    pub fn busy(&self) -> bool {
        self.groups
            .values()
            .any(|g| matches!(g, GroupRun::Starting | GroupRun::Stopping))
    }

    /// Groups running here.
    pub fn running_groups(&self) -> Vec<String> {
        self.groups
            .iter()
            .filter(|(_, r)| matches!(r, GroupRun::Running { .. }))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Events of the current incarnation.
    pub fn current_events(&self) -> impl Iterator<Item = &Observed> {
        let inc = self.incarnation;
        self.events.iter().filter(move |o| o.incarnation == inc)
    }

    /// Read access to the engine (while up).
    pub fn engine(&self) -> Option<&Engine> {
        self.engine.as_ref()
    }

    pub(crate) fn reset_local_state(&mut self, now: Duration) {
        let n = self.views.len();
        self.views = fresh_views(n, now);
        self.groups
            .values_mut()
            .for_each(|g| *g = GroupRun::Stopped);
        self.queued.clear();
        self.last_status = None;
        self.shutting_down = false;
        self.started_at = now;
        self.hung = false;
        self.socket.clear();
        self.deferred.clear();
        self.last_pet = None;
    }
}

fn fresh_views(nodes: usize, now: Duration) -> Vec<PeerView> {
    vec![
        PeerView {
            state: NodeState::Init,
            since: now,
        };
        nodes
    ]
}
