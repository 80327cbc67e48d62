//! [`Cluster`]: the public handle of a running node, and its builder.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use super::actions::{ActionRunner, AlwaysSucceed};
use super::driver::{Driver, Input};
use super::fencer::{DynFencer, Fencer, NoFencer};
use super::identity::{IdentityError, IdentitySource, ResolveIdentity};
use super::net::{MediaSockets, NetError, NetOptions};
use super::transport::Transport;
use super::watchdog::{WatchdogDevice, WatchdogError};
use crate::config::Config;
use crate::engine::{ClusterStatus, Command, Engine, Event, Identity};
use crate::wire::Holdings;

/// How many events a subscriber may fall behind before it misses some.
pub const EVENT_BACKLOG: usize = 4096;

/// The node stopped: its driver task has ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the cluster node has stopped")]
pub struct Stopped;

/// Why [`ClusterBuilder::bind`] (or [`ClusterBuilder::start`]) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A medium's socket could not be built (no such interface, address in
    /// use, unresolvable peer, ...).
    #[error("cannot open the communication media: {0}")]
    Net(#[from] NetError),
    /// The identity could not be loaded from or saved to the state
    /// directory (or no random uuid could be drawn).
    #[error("cannot load the node identity: {0}")]
    Identity(#[from] IdentityError),
    /// The watchdog device of `ha.cf` could not be opened or armed.
    #[error(transparent)]
    Watchdog(#[from] WatchdogError),
}

/// Builds a [`Cluster`] from a configuration and the node's identity.
///
/// Two ways in:
/// - [`Cluster::with_config`]: the builder binds the media of the
///   configuration itself and loads or makes up the identity
///   ([`ClusterBuilder::state_dir`], [`ClusterBuilder::identity_in_memory`],
///   the default); then [`ClusterBuilder::start`].
/// - [`Cluster::builder`] with an [`Identity`] the caller keeps, and a
///   transport of its own: [`ClusterBuilder::start_with_transport`] (tests,
///   the in-memory network). [`ClusterBuilder::start`] works there too.
///
/// `I` is what the identity is so far: an [`Identity`], or an
/// [`IdentitySource`] resolved by [`ClusterBuilder::bind`].
pub struct ClusterBuilder<R = AlwaysSucceed, I = Identity> {
    config: Config,
    identity: I,
    /// `None`: derived from the identity.
    seed: Option<u64>,
    net: NetOptions,
    runner: Arc<R>,
    fencer: Arc<dyn DynFencer>,
}

impl ClusterBuilder<AlwaysSucceed, Identity> {
    /// A builder for `config.local_node` with `identity`; resource actions
    /// succeed at once until [`ClusterBuilder::action_runner`] says otherwise.
    pub fn new(config: Config, identity: Identity) -> Self {
        ClusterBuilder::with_config(config).identity(identity)
    }
}

impl ClusterBuilder<AlwaysSucceed, IdentitySource> {
    /// A builder for `config.local_node` whose identity is made up in memory
    /// ([`super::identity::in_memory`]) unless [`ClusterBuilder::state_dir`]
    /// or [`ClusterBuilder::identity`] says otherwise; resource actions
    /// succeed at once until [`ClusterBuilder::action_runner`] says
    /// otherwise.
    pub fn with_config(config: Config) -> Self {
        ClusterBuilder {
            config,
            identity: IdentitySource::InMemory,
            seed: None,
            net: NetOptions::default(),
            runner: Arc::new(AlwaysSucceed),
            fencer: Arc::new(NoFencer),
        }
    }
}

impl<R: ActionRunner, I> ClusterBuilder<R, I> {
    /// Runs resource actions with `runner`.
    pub fn action_runner<R2: ActionRunner>(self, runner: R2) -> ClusterBuilder<R2, I> {
        ClusterBuilder {
            config: self.config,
            identity: self.identity,
            seed: self.seed,
            net: self.net,
            runner: Arc::new(runner),
            fencer: self.fencer,
        }
    }

    /// Resets the dead nodes the engine asks to fence with `fencer` (by
    /// default [`NoFencer`]: every reset fails). Needed when `ha.cf`
    /// configures STONITH devices or fence agents.
    pub fn fencer(mut self, fencer: impl Fencer) -> Self {
        self.fencer = Arc::new(fencer);
        self
    }

    /// Seeds the engine's random choices (retransmission delays); by default
    /// the seed is derived from the identity.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Socket options for [`ClusterBuilder::bind`] (e.g. the local address
    /// to bind, for several nodes on one machine).
    pub fn net_options(mut self, options: NetOptions) -> Self {
        self.net = options;
        self
    }

    /// Uses `identity` as it is (the caller persists it).
    pub fn identity(self, identity: Identity) -> ClusterBuilder<R, Identity> {
        self.with_identity(identity)
    }

    /// Keeps the identity in `dir` as heartbeatd does (`hb_uuid`,
    /// `hb_generation`, Heartbeat's formats; see [`super::identity`]): the
    /// directory and uuid are created if missing, and the generation is
    /// advanced and synced to disk by [`ClusterBuilder::bind`], before the
    /// first packet. Use it for any node that restarts.
    pub fn state_dir(self, dir: impl Into<PathBuf>) -> ClusterBuilder<R, IdentitySource> {
        self.with_identity(IdentitySource::StateDir(dir.into()))
    }

    /// Makes the identity up at [`ClusterBuilder::bind`]: a random uuid, and
    /// the clock as generation ([`super::identity::in_memory`]). Nothing is
    /// written; for nodes without a place to keep state.
    pub fn identity_in_memory(self) -> ClusterBuilder<R, IdentitySource> {
        self.with_identity(IdentitySource::InMemory)
    }

    fn with_identity<I2>(self, identity: I2) -> ClusterBuilder<R, I2> {
        ClusterBuilder {
            config: self.config,
            identity,
            seed: self.seed,
            net: self.net,
            runner: self.runner,
            fencer: self.fencer,
        }
    }
}

impl<R: ActionRunner, I: ResolveIdentity> ClusterBuilder<R, I> {
    /// Binds the sockets of the configured media (`ha.cf`'s `bcast`,
    /// `mcast`, `ucast` on `udpport`) and resolves the identity (reading and
    /// writing the state directory on tokio's blocking pool). Nothing is sent
    /// until [`BoundCluster::start`]. Must be called within a tokio runtime.
    pub async fn bind(self) -> Result<BoundCluster<R>, StartError> {
        let ClusterBuilder {
            config,
            identity,
            seed,
            net,
            runner,
            fencer,
        } = self;
        let sockets = MediaSockets::bind(&config.media, config.udp_port, &net).await?;
        let identity = match tokio::task::spawn_blocking(move || identity.resolve()).await {
            Ok(resolved) => resolved?,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        Ok(BoundCluster {
            builder: ClusterBuilder {
                config,
                identity,
                seed,
                net,
                runner,
                fencer,
            },
            sockets,
        })
    }

    /// [`ClusterBuilder::bind`], then [`BoundCluster::start`]: the node
    /// runs on the configured media.
    pub async fn start(self) -> Result<Cluster, StartError> {
        self.bind().await?.start()
    }
}

impl<R: ActionRunner> ClusterBuilder<R, Identity> {
    /// Starts the node on `transport`: opens and arms the watchdog device
    /// when `ha.cf` names one (the only thing that can fail here), then
    /// spawns the driver. Must be called within a tokio runtime.
    pub fn start_with_transport<T: Transport>(self, transport: T) -> Result<Cluster, StartError> {
        let watchdog = match &self.config.safety.watchdog {
            Some(path) => {
                let timeout = crate::config::Safety::watchdog_timeout(self.config.timing.deadtime);
                Some(WatchdogDevice::open(path, timeout)?)
            }
            None => None,
        };
        let safety = self.config.safety.clone();
        let identity = self.identity;
        let seed = self.seed.unwrap_or_else(|| {
            identity.generation
                ^ u64::from_le_bytes(identity.uuid.0[..8].try_into().unwrap_or_default())
        });
        let now = tokio::time::Instant::now().into_std();
        let unix_secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let engine = Engine::with_wall_clock(self.config, identity, now, unix_secs, seed);
        let (input_tx, input_rx) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let (status_tx, status_rx) = watch::channel(Arc::new(engine.status()));
        let driver = Driver {
            engine,
            transport,
            runner: self.runner,
            fencer: self.fencer,
            safety,
            watchdog,
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
        Ok(Cluster {
            inputs: input_tx,
            status: status_rx,
            events,
            running: running_rx,
            task,
        })
    }
}

/// A node whose media are bound and whose identity is known, not started
/// yet: what [`ClusterBuilder::bind`] returns.
pub struct BoundCluster<R = AlwaysSucceed> {
    builder: ClusterBuilder<R, Identity>,
    sockets: MediaSockets,
}

impl<R: ActionRunner> BoundCluster<R> {
    /// The node's identity (for a start-up log line, say).
    pub fn identity(&self) -> Identity {
        self.builder.identity
    }

    /// The media's sockets (local addresses, counters).
    pub fn sockets(&self) -> &MediaSockets {
        &self.sockets
    }

    /// Starts the node on its sockets (see
    /// [`ClusterBuilder::start_with_transport`]). Must be called within a
    /// tokio runtime.
    pub fn start(self) -> Result<Cluster, StartError> {
        self.builder.start_with_transport(self.sockets)
    }

    /// Starts the node on a transport wrapping its sockets (e.g.
    /// [`super::Lossy`] in loss tests).
    pub fn start_wrapped<T: Transport>(
        self,
        wrap: impl FnOnce(MediaSockets) -> T,
    ) -> Result<Cluster, StartError> {
        self.builder.start_with_transport(wrap(self.sockets))
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
///     Cluster::builder(config, identity).start_with_transport(hub.attach(name)).unwrap()
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
    /// A builder with an identity the caller keeps; see
    /// [`ClusterBuilder::new`].
    pub fn builder(config: Config, identity: Identity) -> ClusterBuilder {
        ClusterBuilder::new(config, identity)
    }

    /// A builder that binds the configured media and loads or makes up the
    /// identity itself; see [`ClusterBuilder::with_config`] and the
    /// [crate docs](crate) for a whole service.
    pub fn with_config(config: Config) -> ClusterBuilder<AlwaysSucceed, IdentitySource> {
        ClusterBuilder::with_config(config)
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

    /// Confirms that dead node `node` is down (powered off): it counts as
    /// fenced and its groups may start elsewhere (`meatclient -c NODE`).
    /// The engine ignores it unless `node` is dead and awaiting a reset.
    pub fn confirm_down(&self, node: &str) -> Result<(), Stopped> {
        self.command(Command::ConfirmDown {
            node: node.to_owned(),
        })
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

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("running", &*self.running.borrow())
            .finish_non_exhaustive()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.task.abort();
    }
}
