//! [`Cluster`]: the public handle of a running node, and its builder.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use super::actions::{ActionRunner, AlwaysSucceed};
use super::driver::{Driver, Input};
use super::transport::Transport;
use crate::config::Config;
use crate::engine::{ClusterStatus, Command, Engine, Event, Identity};
use crate::wire::Holdings;

/// How many events a subscriber may fall behind before it misses some.
pub const EVENT_BACKLOG: usize = 4096;

/// The node stopped: its driver task has ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the cluster node has stopped")]
pub struct Stopped;

/// Builds a [`Cluster`] from a configuration and the node's identity.
pub struct ClusterBuilder<R = AlwaysSucceed> {
    config: Config,
    identity: Identity,
    seed: u64,
    runner: Arc<R>,
}

impl ClusterBuilder<AlwaysSucceed> {
    /// A builder for `config.local_node` with `identity`; resource actions
    /// succeed at once until [`ClusterBuilder::action_runner`] says otherwise.
    pub fn new(config: Config, identity: Identity) -> Self {
        ClusterBuilder {
            seed: identity.generation
                ^ u64::from_le_bytes(identity.uuid.0[..8].try_into().unwrap_or_default()),
            config,
            identity,
            runner: Arc::new(AlwaysSucceed),
        }
    }
}

impl<R: ActionRunner> ClusterBuilder<R> {
    /// Runs resource actions with `runner`.
    pub fn action_runner<R2: ActionRunner>(self, runner: R2) -> ClusterBuilder<R2> {
        ClusterBuilder {
            config: self.config,
            identity: self.identity,
            seed: self.seed,
            runner: Arc::new(runner),
        }
    }

    /// Seeds the engine's random choices (retransmission delays).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Starts the node on `transport`. Must be called within a tokio runtime.
    pub fn start_with_transport<T: Transport>(self, transport: T) -> Cluster {
        let now = tokio::time::Instant::now().into_std();
        let unix_secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let engine = Engine::with_wall_clock(self.config, self.identity, now, unix_secs, self.seed);
        let (input_tx, input_rx) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let (status_tx, status_rx) = watch::channel(Arc::new(engine.status()));
        let driver = Driver {
            engine,
            transport,
            runner: self.runner,
            inputs: input_rx,
            results: input_tx.clone(),
            events: events.clone(),
            status: status_tx,
        };
        let (running_tx, running_rx) = watch::channel(true);
        let task = tokio::spawn(async move {
            driver.run().await;
            running_tx.send_replace(false);
        });
        Cluster {
            inputs: input_tx,
            status: status_rx,
            events,
            running: running_rx,
            task,
        }
    }
}

/// A running node: the handle an embedding service (and heartbeatd) uses.
///
/// Dropping the handle stops the node abruptly, like a crash; call
/// [`Cluster::shutdown`] to hand the groups over first.
///
/// ```
/// use heartbeat_core::config::Config;
/// use heartbeat_core::engine::{Event, Identity, NodeState};
/// use heartbeat_core::runtime::{memory::MemoryHub, Cluster};
/// use heartbeat_core::wire::NodeUuid;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ha_cf = "keepalive 50ms\ndeadtime 1\ninitdead 1\nbcast eth0\nnode a b\n";
/// let authkeys = "auth 1\n1 sha256 doc-example\n";
/// let hub = MemoryHub::new(1); // an in-process network; real nodes use runtime::net
/// let start = |name: &str, n: u8| {
///     let config = Config::from_texts(ha_cf, authkeys, "", name).unwrap();
///     let identity = Identity { uuid: NodeUuid([n; 16]), generation: 1 };
///     Cluster::builder(config, identity).start_with_transport(hub.attach(name))
/// };
/// let a = start("a", 1);
/// let b = start("b", 2);
/// let mut events = b.subscribe();
/// while let Ok(event) = events.recv().await {
///     if event == (Event::NodeState { node: "a".into(), state: NodeState::Active }) {
///         break;
///     }
/// }
/// assert_eq!(b.status().node("a").unwrap().state, NodeState::Active);
/// a.shutdown().await;
/// # }
/// ```
pub struct Cluster {
    inputs: mpsc::UnboundedSender<Input>,
    status: watch::Receiver<Arc<ClusterStatus>>,
    events: broadcast::Sender<Event>,
    running: watch::Receiver<bool>,
    task: JoinHandle<()>,
}

impl Cluster {
    /// A builder; see [`ClusterBuilder::new`].
    pub fn builder(config: Config, identity: Identity) -> ClusterBuilder {
        ClusterBuilder::new(config, identity)
    }

    /// The latest status snapshot (refreshed on every change, and every
    /// 250 ms otherwise). Reading it never waits for the engine.
    pub fn status(&self) -> Arc<ClusterStatus> {
        Arc::clone(&self.status.borrow())
    }

    /// A watch on the status snapshot, to await changes.
    pub fn watch_status(&self) -> watch::Receiver<Arc<ClusterStatus>> {
        self.status.clone()
    }

    /// Events from now on: node and link changes, late heartbeats, groups
    /// acquired and released, application messages. A subscriber that falls
    /// more than [`EVENT_BACKLOG`] events behind is told how many it missed.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Sends an application message to `node`, or to every node with `None`.
    pub fn send(&self, node: Option<&str>, payload: Bytes) -> Result<(), Stopped> {
        self.command(Command::Send {
            to: node.map(str::to_owned),
            payload,
        })
    }

    /// Gives the groups of `set` to a peer (`hb_standby`).
    pub fn standby(&self, set: Holdings) -> Result<(), Stopped> {
        self.command(Command::Standby(set))
    }

    /// Takes the groups of `set` from a peer (`hb_takeover`).
    pub fn takeover(&self, set: Holdings) -> Result<(), Stopped> {
        self.command(Command::Takeover(set))
    }

    /// Reports the tracked health of `group` on this node: a faulty group is
    /// handed to a healthy peer, and this node does not take it while faulty.
    pub fn group_health(&self, group: &str, healthy: bool) -> Result<(), Stopped> {
        self.command(Command::GroupHealth {
            group: group.to_owned(),
            healthy,
        })
    }

    /// Reports an echo reply from ping node `node` (what
    /// [`super::spawn_ping_prober`] does; an embedder with its own prober
    /// calls it too).
    pub fn ping_reply(&self, node: &str) -> Result<(), Stopped> {
        self.command(Command::PingReply {
            node: node.to_owned(),
        })
    }

    /// Signs with `keys`' active key and verifies with any of its keys from
    /// now on (a key rotation: add the new key everywhere, then make it
    /// active, then remove the old one).
    pub fn replace_keys(&self, keys: crate::wire::Keyring) -> Result<(), Stopped> {
        self.command(Command::ReplaceKeys(keys))
    }

    /// Asks for a graceful shutdown without waiting for it.
    pub fn request_shutdown(&self) -> Result<(), Stopped> {
        self.command(Command::Shutdown)
    }

    /// Stops every group, announces the departure so peers take over at
    /// once, and waits until the node has stopped.
    pub async fn shutdown(&self) {
        let _ = self.command(Command::Shutdown);
        self.stopped().await;
    }

    /// Waits until the node has stopped (after a shutdown).
    pub async fn stopped(&self) {
        let mut running = self.running.clone();
        // An error means the driver is gone: stopped as well.
        let _ = running.wait_for(|running| !running).await;
    }

    fn command(&self, command: Command) -> Result<(), Stopped> {
        self.inputs
            .send(Input::Command(command))
            .map_err(|_| Stopped)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.task.abort();
    }
}
