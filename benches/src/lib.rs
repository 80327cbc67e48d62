//! Benchmark support for heartbeat-rs: a harness that builds test hosts in
//! network namespaces and runs heartbeatd, keepalived and Heartbeat 3.0.6
//! side by side (the `failover` binary), plus the older loopback `takeover`
//! and simulated `detection` binaries, the 30-minute `soak` and the
//! criterion codec benches.
//!
//! Layout:
//! - [`netns`]: test hosts (one namespace per node, veths on bridges in a
//!   switch namespace), deleted on drop; [`cleanup`]: the same on Ctrl-C.
//! - [`systems`]: the compared daemons, their settings and configuration
//!   files (pure text, unit-tested), and the shared timing script.
//! - [`cluster`]: one system at one setting running on test hosts: start,
//!   kill -9, SIGTERM, link cut, who owns the group.
//! - [`stamps`]: the timing script's log and what it says.
//! - [`power`]: the fast fence device, a cluster-glue external STONITH
//!   plugin that kills a node's processes and logs the fence.
//! - [`measure`]: failover times, false failovers under load, idle cost, scale.
//! - [`stats`], [`procstat`]: percentiles; CPU and memory from `/proc`.
//! - [`report`]: Markdown tables and hand-written SVG plots.
//!
//! Nothing here runs in `cargo test` except the unit tests of parsing,
//! statistics, configuration generation and report rendering.

pub mod cleanup;
pub mod cluster;
pub mod error;
pub mod measure;
pub mod netns;
pub mod power;
pub mod procstat;
pub mod report;
pub mod stamps;
pub mod stats;
pub mod systems;

/// The `heartbeatd` binary built beside the running bench binary (same
/// profile), or what to do when it is not there.
pub fn heartbeatd_binary() -> Result<std::path::PathBuf, String> {
    let here = std::env::current_exe().map_err(|e| e.to_string())?;
    let binary = here.with_file_name("heartbeatd");
    if binary.exists() {
        Ok(binary)
    } else {
        Err(format!(
            "{} not found: run `cargo build --release -p heartbeatd` first",
            binary.display()
        ))
    }
}
