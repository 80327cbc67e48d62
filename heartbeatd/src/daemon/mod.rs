//! The daemon proper: from a validated configuration to a running node with
//! its sockets, resource scripts, control socket, log and signals.

mod actions;
mod events_log;
mod handler;
mod hooks;
mod notify;
mod reload;
pub mod state_files;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use heartbeat_core::config::{Config, WireDialect};
use heartbeat_core::runtime::net::{MediaSockets, NetOptions};
use heartbeat_core::runtime::{spawn_ping_prober, Cluster, Lossy};
use tokio::signal::unix::{signal, SignalKind};

pub use actions::ScriptActions;
pub use events_log::{log_event, log_events};
pub use handler::ClusterHandler;
pub use notify::sd_notify;

use crate::control_socket::{AdminPolicy, ControlSocket};
use crate::identity;
use crate::scripts::ScriptRunner;

/// Where the daemon keeps and finds things.
#[derive(Clone, Debug)]
pub struct DaemonPaths {
    /// The configuration directory (`ha.cf`, `authkeys`, `haresources`,
    /// `resource.d/`).
    pub config_dir: PathBuf,
    /// The state directory (`hb_uuid`, `hb_generation`).
    pub state_dir: PathBuf,
    /// The control socket.
    pub control_socket: PathBuf,
    /// Group allowed to change state through the control socket (and owner
    /// group of the socket), besides root.
    pub control_gid: Option<u32>,
    /// Longest time one resource script may run.
    pub script_timeout: Duration,
    /// `--wire-dialect`: overrides `ha.cf`'s `wire_dialect`, also when the
    /// configuration is re-read after SIGHUP.
    pub wire_dialect: Option<WireDialect>,
    /// Tests only: drop this percentage of received datagrams (0: none).
    pub test_rx_loss_percent: u8,
    /// Tests only: drop this percentage of sent datagrams (0: none).
    pub test_tx_loss_percent: u8,
}

/// Runs the node until SIGTERM/SIGINT (graceful: groups released, peers told)
/// or a shutdown request on the control socket. SIGHUP re-reads the
/// configuration directory (see `reload`).
pub async fn run(config: Config, paths: DaemonPaths) -> anyhow::Result<()> {
    let identity =
        identity::load_and_advance(&paths.state_dir).context("cannot load the node identity")?;
    tracing::info!(
        "Starting heartbeat-rs {} on node {} (generation {}, wire dialect {})",
        env!("CARGO_PKG_VERSION"),
        config.local_node,
        identity.generation,
        config.wire_dialect.as_str()
    );
    let options = NetOptions::default();
    let sockets = MediaSockets::bind(&config.media, config.udp_port, &options)
        .await
        .context("cannot open the communication media")?;
    for medium in &config.media {
        tracing::info!("medium {medium} ready");
    }
    let scripts = ScriptRunner::new(
        vec![
            paths.config_dir.join("resource.d"),
            PathBuf::from("/etc/init.d"),
        ],
        paths.script_timeout,
    );
    let config = Arc::new(config);
    let builder = Cluster::builder((*config).clone(), identity)
        .action_runner(ScriptActions::new(&config.groups, scripts));
    let cluster = Arc::new(
        match (paths.test_rx_loss_percent, paths.test_tx_loss_percent) {
            (0, 0) => builder.start_with_transport(sockets),
            (rx, tx) => {
                tracing::warn!(
                    "test mode: dropping {rx} % of received and {tx} % of sent datagrams"
                );
                let seed = identity.generation;
                builder.start_with_transport(Lossy::new(sockets, rx, tx, seed))
            }
        },
    );
    tokio::spawn(log_events(cluster.subscribe()));
    if let Some(run_dir) = paths.control_socket.parent() {
        let groups = config.groups.iter().map(|g| g.key.clone()).collect();
        tokio::spawn(state_files::maintain(
            run_dir.to_path_buf(),
            groups,
            cluster.subscribe(),
        ));
    }
    tokio::spawn(hooks::maintain(
        config.health.hooks.clone(),
        config.local_node.clone(),
        config.groups.iter().map(|g| g.key.clone()).collect(),
        paths.script_timeout,
        cluster.subscribe(),
    ));
    let _checks = crate::health::spawn(&config.health, Arc::clone(&cluster));
    let _pinger = start_ping_prober(&config, &cluster)?;

    let control = ControlSocket::bind(&paths.control_socket, 0o660, paths.control_gid)
        .with_context(|| format!("cannot bind {}", paths.control_socket.display()))?;
    let handler = Arc::new(ClusterHandler {
        cluster: Arc::clone(&cluster),
        config: Arc::clone(&config),
    });
    let policy = AdminPolicy {
        admin_gid: paths.control_gid,
    };
    let serving = tokio::spawn(control.serve(handler, policy));
    sd_notify("READY=1");

    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut running = (*config).clone();
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => {
                running = reload::reload(&paths.config_dir, &running, paths.wire_dialect, &cluster);
            }
            () = cluster.stopped() => {
                serving.abort();
                return Ok(());
            }
        }
    }
    tracing::info!("Received shutdown signal: giving up resources.");
    sd_notify("STOPPING=1");
    cluster.shutdown().await;
    serving.abort();
    Ok(())
}

/// Pings the ping nodes of `ha.cf`, if any, once per keepalive (as
/// Heartbeat's ping media do). A node with ping nodes that cannot open an
/// ICMP socket refuses to start: it would see them all dead and give up its
/// groups.
fn start_ping_prober(
    config: &Config,
    cluster: &Arc<Cluster>,
) -> anyhow::Result<Option<AbortOnDrop>> {
    if config.ping_nodes.is_empty() {
        return Ok(None);
    }
    let handle = spawn_ping_prober(
        Arc::clone(cluster),
        &config.ping_nodes,
        config.timing.keepalive,
    )
    .context("cannot ping the ping nodes")?;
    for node in &config.ping_nodes {
        tracing::info!("ping node {} ({}) ready", node.name, node.hosts.join(" "));
    }
    Ok(Some(AbortOnDrop(handle)))
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
