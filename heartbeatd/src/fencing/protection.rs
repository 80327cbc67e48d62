//! What the start-up log says about split-brain protection: Heartbeat's
//! warning for groups without any, and the configured programs that are
//! not installed.

use heartbeat_core::config::Config;

use super::FenceTools;
use crate::child::is_executable;

/// Heartbeat's warning for a cluster with groups and no protection against
/// a split brain.
pub const UNPROTECTED: &str = "No STONITH device configured. Shared disks are not protected.";

/// Logs at start what does not protect the cluster's groups (see
/// [`protection_warnings`]).
pub fn log_protection(config: &Config, tools: &FenceTools) {
    for warning in protection_warnings(config, tools) {
        tracing::warn!("{warning}");
    }
}

/// Heartbeat's [`UNPROTECTED`] when the cluster has groups and neither
/// fencing nor a watchdog, and a warning for every configured program that
/// is not installed (the resets that need it will fail).
pub fn protection_warnings(config: &Config, tools: &FenceTools) -> Vec<String> {
    let safety = &config.safety;
    let mut warnings = Vec::new();
    if !safety.fencing_configured() && safety.watchdog.is_none() && !config.groups.is_empty() {
        warnings.push(UNPROTECTED.to_owned());
    }
    if safety
        .stonith_devices_of(&config.local_node)
        .next()
        .is_some()
        && !is_executable(&tools.stonith)
    {
        warnings.push(format!(
            "{} is not installed (Debian package cluster-glue): STONITH resets from this node \
             will fail",
            tools.stonith.display()
        ));
    }
    for agent in &safety.fence_agents {
        if agent.target != config.local_node && tools.agent(&agent.agent).is_none() {
            warnings.push(format!(
                "fence agent {} ({}) not found: resets of {} with it will fail",
                agent.agent, agent.origin, agent.target
            ));
        }
    }
    warnings
}
