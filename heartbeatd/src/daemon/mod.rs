//! The daemon proper: from a validated configuration and a bound transport
//! to a running node with its resource scripts, control socket and log,
//! until its shutdown future completes. It binds no media sockets and
//! installs no signal handlers: `main.rs` binds the sockets of `ha.cf`'s
//! media and turns SIGTERM/SIGINT into the shutdown future and SIGHUP into
//! reloads, and a test can hand it any [`Transport`] (e.g.
//! `heartbeat_core::runtime::Lossy` around real sockets) and its own
//! triggers.

mod actions;
mod events_log;
mod handler;
mod hooks;
mod notify;
mod reload;
pub mod state_files;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use heartbeat_core::config::{Config, WireDialect};
use heartbeat_core::engine::GroupActivity;
use heartbeat_core::runtime::{spawn_ping_prober, Cluster, Transport};
use tokio::sync::mpsc;

pub use actions::ScriptActions;
pub use events_log::{event_line, log_event, log_events};
pub use handler::ClusterHandler;
pub use notify::sd_notify;

use crate::control_socket::{AdminPolicy, ControlSocket};
use crate::fencing::{self, FenceExecutor, FenceTools};
use crate::http::recent::{record_events, sample_links, Recent};
use crate::http::HttpServer;
use crate::identity;
use crate::metrics::{count_events, DaemonMetrics};
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
    /// `--metrics-listen`: overrides `ha.cf`'s `metrics_listen`.
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// Runs the node on `transport` (the media of `config`, already bound)
/// until `shutdown` completes (graceful: groups released, peers told; what
/// SIGTERM/SIGINT do) or a shutdown request on the control socket. Each
/// message on `reloads` re-reads the configuration directory (what SIGHUP
/// does; see `reload`); a closed channel means no more reloads.
pub async fn run<T: Transport>(
    config: Config,
    paths: DaemonPaths,
    transport: T,
    shutdown: impl Future<Output = ()>,
    mut reloads: mpsc::Receiver<()>,
) -> anyhow::Result<()> {
    let identity =
        identity::load_and_advance(&paths.state_dir).context("cannot load the node identity")?;
    tracing::info!(
        "Starting heartbeat-rs {} on node {} (generation {}, wire dialect {})",
        env!("CARGO_PKG_VERSION"),
        config.local_node,
        identity.generation,
        config.wire_dialect.as_str()
    );
    let scripts = ScriptRunner::new(
        vec![
            paths.config_dir.join("resource.d"),
            PathBuf::from("/etc/init.d"),
        ],
        paths.script_timeout,
    );
    let config = Arc::new(config);
    let metrics = DaemonMetrics::new(&config);
    let tools = FenceTools::system();
    fencing::log_protection(&config, &tools);
    let builder = Cluster::builder((*config).clone(), identity)
        .action_runner(ScriptActions::new(&config.groups, scripts, metrics.clone()))
        .fencer(FenceExecutor::new(&config, tools));
    let cluster = Arc::new(
        builder
            .start_with_transport(transport)
            .context("cannot start the node")?,
    );
    tokio::spawn(log_events(cluster.subscribe()));
    if let Some(run_dir) = paths.control_socket.parent() {
        let groups = config.groups.iter().map(|g| g.key.clone()).collect();
        tokio::spawn(state_files::follow(
            run_dir.to_path_buf(),
            groups,
            cluster.subscribe(),
            cluster.watch_status(),
        ));
    }
    tokio::spawn(hooks::follow(
        config.health.hooks.clone(),
        config.local_node.clone(),
        config.groups.iter().map(|g| g.key.clone()).collect(),
        paths.script_timeout,
        cluster.subscribe(),
        cluster.watch_status(),
    ));
    tokio::spawn(count_events(
        metrics.clone(),
        Arc::clone(&cluster),
        cluster.subscribe(),
    ));
    let _checks = crate::health::spawn(&config.health, Arc::clone(&cluster), metrics.clone());
    let _http = start_http(&config, &paths, &cluster, &metrics).await?;
    let _pinger = start_ping_prober(&config, &cluster)?;

    let control = ControlSocket::bind(&paths.control_socket, 0o660, paths.control_gid)
        .with_context(|| format!("cannot bind {}", paths.control_socket.display()))?;
    // `respawn`/`failfast` commands: kept running until the shutdown below.
    let respawned =
        crate::respawn::Respawner::spawn(&config.respawn, Arc::new(crate::respawn::reboot_now))?;
    let handler = Arc::new(ClusterHandler {
        cluster: Arc::clone(&cluster),
        config: Arc::clone(&config),
        respawned: respawned.status(),
    });
    let policy = AdminPolicy {
        admin_gid: paths.control_gid,
    };
    let serving = tokio::spawn(control.serve(handler, policy));
    sd_notify("READY=1");

    tokio::pin!(shutdown);
    let mut running = (*config).clone();
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(()) = reloads.recv() => {
                running = reload::reload(&paths.config_dir, &running, paths.wire_dialect, &cluster);
            }
            () = cluster.stopped() => {
                serving.abort();
                respawned.stop().await;
                return Ok(());
            }
        }
    }
    tracing::info!("Received shutdown signal: giving up resources.");
    sd_notify("STOPPING=1");
    let bound = shutdown_bound(&config, paths.script_timeout);
    let ended = tokio::time::timeout(bound, cluster.shutdown()).await;
    serving.abort();
    respawned.stop().await;
    let left_behind = groups_not_stopped(&cluster);
    if left_behind.is_empty() {
        return Ok(());
    }
    let why = if ended.is_ok() {
        "their stop failed"
    } else {
        "shutdown took longer than its bound"
    };
    let message = format!(
        "Shutdown incomplete ({why}, after at most {} s): left behind {}; \
         peers take them over after deadtime",
        bound.as_secs(),
        left_behind.join(", ")
    );
    tracing::error!("{message}");
    anyhow::bail!(message)
}

/// The longest a graceful shutdown may take: a start in flight finishes,
/// then the stop, then one retry of a failed stop, every script of the
/// largest group running into the script timeout each time (groups stop
/// side by side), plus a few seconds for the announcements.
fn shutdown_bound(config: &Config, script_timeout: Duration) -> Duration {
    let scripts = config
        .groups
        .iter()
        .map(|g| g.resources.len())
        .max()
        .unwrap_or(0);
    let per_pass = script_timeout.saturating_mul(u32::try_from(scripts).unwrap_or(u32::MAX));
    per_pass.saturating_mul(3) + Duration::from_secs(5)
}

/// `group (activity)` for every group not stopped on this node.
fn groups_not_stopped(cluster: &Cluster) -> Vec<String> {
    cluster
        .status()
        .groups
        .iter()
        .filter(|g| g.activity != GroupActivity::Stopped)
        .map(|g| format!("{} ({:?})", g.key, g.activity).to_lowercase())
        .collect()
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

/// Starts the HTTP listener of `metrics_listen` / `--metrics-listen`, if
/// either names an address, with the tasks that feed its status page. A
/// listener that cannot bind stops the start, as the control socket does.
async fn start_http(
    config: &Arc<Config>,
    paths: &DaemonPaths,
    cluster: &Arc<Cluster>,
    metrics: &DaemonMetrics,
) -> anyhow::Result<Vec<AbortOnDrop>> {
    let Some(address) = paths.metrics_listen.or(config.metrics_listen) else {
        return Ok(Vec::new());
    };
    let recent = Arc::new(Recent::default());
    let server = HttpServer::bind(
        address,
        Arc::clone(cluster),
        Arc::clone(config),
        metrics,
        Arc::clone(&recent),
    )
    .await
    .with_context(|| format!("cannot listen on {address} (metrics_listen)"))?;
    let bound = server.local_addr().unwrap_or(address);
    tracing::info!("metrics and status page on http://{bound}/ (/metrics, /status.json)");
    Ok(vec![
        AbortOnDrop(tokio::spawn(record_events(
            Arc::clone(&recent),
            cluster.subscribe(),
        ))),
        AbortOnDrop(tokio::spawn(sample_links(recent, Arc::clone(cluster)))),
        AbortOnDrop(tokio::spawn(server.serve())),
    ])
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
