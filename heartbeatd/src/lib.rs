//! heartbeatd's building blocks, kept in a library so that tests and the
//! binary share them; `main.rs` only parses the command line (and
//! `demo.rs`, `heartbeatd demo` on the test crate `heartbeat-lab`, belongs
//! to the binary alone).
//!
//! # Layout
//!
//! - [`child`]: one external program run without a shell, with a time
//!   bound that kills its process group (scripts, STONITH, fence agents).
//! - [`control_socket`]: the Unix control socket and its credential check.
//! - [`daemon`]: the running node on a given transport: scripts, control
//!   socket, log, until a shutdown future completes (`main.rs` binds the
//!   sockets and maps SIGTERM/SIGINT/SIGHUP to shutdown and reloads).
//! - [`fd_limit`]: the soft fd limit raised to the hard limit at start.
//! - [`fencing`]: resets of dead nodes with `stonith(8)` and fence agents.
//! - [`health`]: health checks (`check`, `track`) reported to the engine.
//! - [`http`]: the `metrics_listen` HTTP listener: `/metrics`, the status
//!   page and its `/status.json`, read-only.
//! - [`identity`]: the persisted node uuid and generation (`hb_uuid`,
//!   `hb_generation`, Heartbeat's formats).
//! - [`ipaddr`]: the built-in `IPaddr` floating-address resource.
//! - [`metrics`]: Prometheus series of the node and the process.
//! - [`realtime`]: `SCHED_RR` for the daemon's threads (`realtime on`).
//! - [`respawn`]: the commands of `respawn`/`failfast` lines, run as
//!   their user, restarted with Heartbeat's limit, stopped at shutdown.
//! - [`scripts`]: resource scripts (`resource.d`, then `/etc/init.d`), run
//!   without a shell and with a timeout; group start and stop order.
//! - [`syslog`]: log lines to `/dev/log` for `logfacility`.

pub mod child;
pub mod control_socket;
pub mod daemon;
pub mod fd_limit;
pub mod fencing;
pub mod health;
pub mod http;
pub mod identity;
pub mod ipaddr;
pub mod metrics;
pub mod realtime;
pub mod respawn;
pub mod scripts;
pub mod syslog;
