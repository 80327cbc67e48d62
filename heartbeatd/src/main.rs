//! heartbeatd: the heartbeat-rs node daemon.
//!
//! `heartbeatd --config-dir DIR [--node-name NAME]` runs the node;
//! `--check` prints the effective configuration and exits 0, or prints every
//! error and exits 1. The daemon itself lives in the library
//! ([`heartbeatd::daemon`]); this file reads the command line, binds the
//! media sockets and turns signals into the daemon's shutdown (SIGTERM,
//! SIGINT) and reloads (SIGHUP).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;
use heartbeat_core::config::{Config, WireDialect};
use heartbeat_core::runtime::net::{MediaSockets, NetOptions};
use heartbeatd::daemon::{self, DaemonPaths};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

#[cfg(feature = "demo")]
mod demo;

/// Command line of heartbeatd.
#[derive(Debug, Parser)]
#[command(name = "heartbeatd", version, about = "The heartbeat-rs node daemon")]
struct Args {
    /// What to do instead of running a node.
    #[command(subcommand)]
    command: Option<Subcommand>,

    /// Directory holding ha.cf, authkeys and haresources.
    #[arg(long, value_name = "DIR", default_value = "/etc/ha.d")]
    config_dir: PathBuf,

    /// This node's name (default: the first word of DIR/nodeinfo if that
    /// file exists, else `uname -n`; lower-cased).
    #[arg(long, value_name = "NAME")]
    node_name: Option<String>,

    /// Validate the configuration, print it with every default, and exit.
    #[arg(long)]
    check: bool,

    /// Directory of the persisted uuid and generation.
    #[arg(long, value_name = "DIR", default_value = "/var/lib/heartbeat")]
    state_dir: PathBuf,

    /// Path of the control socket.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/var/run/heartbeat/control"
    )]
    control_socket: PathBuf,

    /// Group (name or number) whose members may change state through the
    /// control socket, besides root; it also owns the socket.
    #[arg(long, value_name = "GROUP")]
    control_group: Option<String>,

    /// Longest time a resource script may run, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    script_timeout: u64,

    /// Speak this wire dialect (`native` or `linux-ha`) whatever ha.cf's
    /// `wire_dialect` says: lets a node join a Heartbeat 3.0.6 cluster with
    /// an /etc/ha.d that Heartbeat itself still reads (Heartbeat refuses
    /// directives it does not know).
    #[arg(long, value_name = "DIALECT", value_parser = parse_dialect)]
    wire_dialect: Option<WireDialect>,

    /// Serve Prometheus metrics (`/metrics`) and the status page (`/`) on
    /// this address and port, e.g. `127.0.0.1:9694`, whatever ha.cf's
    /// `metrics_listen` says (for an ha.cf that Heartbeat 3.0.6 still
    /// reads).
    #[arg(long, value_name = "ADDRESS:PORT")]
    metrics_listen: Option<std::net::SocketAddr>,
}

/// Reads `--wire-dialect`.
fn parse_dialect(text: &str) -> Result<WireDialect, String> {
    WireDialect::from_name(text).ok_or_else(|| "expected native or linux-ha".to_owned())
}

/// Other things heartbeatd can do.
#[derive(Debug, clap::Subcommand)]
enum Subcommand {
    /// Start three nodes on loopback, kill -9 the owner of a group, restart
    /// it, and show the failover and failback times.
    Demo,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("heartbeatd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(Subcommand::Demo) = args.command {
        run_demo()?;
        return Ok(ExitCode::SUCCESS);
    }
    let node = match args.node_name {
        Some(name) => name.to_ascii_lowercase(),
        None => match nodeinfo(&args.config_dir)? {
            Some(name) => name,
            None => local_node_name()?,
        },
    };
    let config = match Config::load(&args.config_dir, &node) {
        Ok(mut config) => {
            if let Some(dialect) = args.wire_dialect {
                config.set_wire_dialect(dialect);
            }
            if let Some(address) = args.metrics_listen {
                config.metrics_listen = Some(address);
            }
            config
        }
        Err(errors) => {
            let mut err = std::io::stderr().lock();
            for w in errors.warnings() {
                writeln!(err, "warning: {w}")?;
            }
            for e in errors.errors() {
                writeln!(err, "error: {e}")?;
            }
            writeln!(
                err,
                "heartbeatd: {} error(s) in {} (node {node})",
                errors.len(),
                args.config_dir.display()
            )?;
            return Ok(ExitCode::FAILURE);
        }
    };
    for w in &config.warnings {
        eprintln!("warning: {w}");
    }
    if args.check {
        let tools = heartbeatd::fencing::FenceTools::system();
        for w in heartbeatd::fencing::protection_warnings(&config, &tools) {
            eprintln!("warning: {w}");
        }
        print!("{}", config.effective());
        return Ok(ExitCode::SUCCESS);
    }
    init_logging(&config)?;
    match heartbeatd::fd_limit::raise_to_hard_limit() {
        Ok(r) if r.before < r.now => {
            tracing::info!(
                "file descriptor limit raised from {} to {}",
                r.before,
                r.now
            )
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("cannot raise the file descriptor limit: {e}"),
    }
    let paths = DaemonPaths {
        config_dir: args.config_dir,
        state_dir: args.state_dir,
        control_socket: args.control_socket,
        control_gid: args.control_group.as_deref().map(group_id).transpose()?,
        script_timeout: Duration::from_secs(args.script_timeout),
        wire_dialect: args.wire_dialect,
        metrics_listen: args.metrics_listen,
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(2).enable_all();
    if config.realtime {
        match heartbeatd::realtime::make_thread_realtime() {
            Ok(()) => {
                tracing::info!("realtime: threads run under SCHED_RR (scripts at normal priority)");
                builder.on_thread_start(|| {
                    if let Err(e) = heartbeatd::realtime::make_thread_realtime() {
                        tracing::warn!("realtime: a runtime thread stays at normal priority: {e}");
                    }
                });
            }
            Err(e) => tracing::warn!("realtime: cannot use SCHED_RR ({e}); normal priority"),
        }
    }
    let runtime = builder.build()?;
    let ran = runtime.block_on(run_node(config, paths));
    // A stuck hook or check must not hold the exit.
    runtime.shutdown_timeout(Duration::from_secs(2));
    ran?;
    Ok(ExitCode::SUCCESS)
}

/// Binds the media of `config` and runs the daemon on them, stopped by
/// SIGTERM or SIGINT, reloading on SIGHUP.
async fn run_node(config: Config, paths: DaemonPaths) -> anyhow::Result<()> {
    let sockets = MediaSockets::bind(&config.media, config.udp_port, &NetOptions::default())
        .await
        .context("cannot open the communication media")?;
    for medium in &config.media {
        tracing::info!("medium {medium} ready");
    }
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let shutdown = async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    };
    let mut hup = signal(SignalKind::hangup())?;
    let (reload, reloads) = mpsc::channel(1);
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            // One pending reload covers every SIGHUP until it runs.
            let _ = reload.try_send(());
        }
    });
    daemon::run(config, paths, sockets, shutdown, reloads).await
}

/// `heartbeatd demo`.
#[cfg(feature = "demo")]
fn run_demo() -> anyhow::Result<()> {
    demo::run_here()
}

/// `heartbeatd demo` in a build without the lab.
#[cfg(not(feature = "demo"))]
fn run_demo() -> anyhow::Result<()> {
    bail!("this heartbeatd was built without the `demo` feature")
}

/// Logs to stderr, to `logfile` when ha.cf names one, and to syslog when
/// `logfacility` names a facility; `debug` above 0 (or `RUST_LOG`) adds
/// debug lines.
fn init_logging(config: &Config) -> anyhow::Result<()> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let default = if config.logging.debug > 0 {
        "debug"
    } else {
        "info"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let plain = || {
        tracing_subscriber::fmt::layer()
            .with_target(false)
            .with_ansi(false)
    };
    let file = match &config.logging.logfile {
        Some(path) if path != std::path::Path::new("/dev/null") => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open logfile {}", path.display()))?;
            Some(plain().with_writer(std::sync::Mutex::new(file)))
        }
        _ => None,
    };
    let (syslog, syslog_error) = match config.logging.facility.as_deref() {
        Some(facility) => match heartbeatd::syslog::Syslog::connect(facility) {
            Ok(writer) => (
                Some(plain().without_time().with_level(false).with_writer(writer)),
                None,
            ),
            Err(e) => (
                None,
                Some(format!(
                    "logfacility {facility}: {e}; not logging to syslog"
                )),
            ),
        },
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(
            plain()
                .with_writer(std::io::stderr)
                .and_then(file)
                .and_then(syslog)
                .with_filter(filter),
        )
        .init();
    if let Some(e) = syslog_error {
        tracing::warn!("{e}");
    }
    Ok(())
}

/// A group given by name or number.
fn group_id(group: &str) -> anyhow::Result<u32> {
    if let Ok(gid) = group.parse() {
        return Ok(gid);
    }
    nix::unistd::Group::from_name(group)?
        .map(|g| g.gid.as_raw())
        .with_context(|| format!("no group named {group}"))
}

/// The node name in `DIR/nodeinfo`, as Heartbeat reads it (its first word,
/// lower-cased), if the file exists.
fn nodeinfo(config_dir: &std::path::Path) -> anyhow::Result<Option<String>> {
    let path = config_dir.join("nodeinfo");
    match std::fs::read_to_string(&path) {
        Ok(text) => match text.split_whitespace().next() {
            Some(name) => Ok(Some(name.to_ascii_lowercase())),
            None => bail!("{} is empty: write the node name in it", path.display()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The kernel's host name (`uname -n`), lower-cased.
fn local_node_name() -> anyhow::Result<String> {
    let path = "/proc/sys/kernel/hostname";
    let name = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the host name from {path}; use --node-name"))?;
    let name = name.trim().to_ascii_lowercase();
    if name.is_empty() {
        bail!("the host name is empty; use --node-name");
    }
    Ok(name)
}
