//! Resets of dead nodes (the runtime's [`Fencer`]): cluster-glue's
//! `stonith(8)` devices of `ha.cf` (`stonith`, `stonith_host`), then the
//! fence agents of the target (`fence_agent`, Debian's `fence-agents`).
//!
//! For one request every method that applies is tried in `ha.cf` order:
//! the STONITH devices usable from this node, then the target's fence
//! agents. The first success wins; when all fail the reset failed and the
//! method reported is the last one tried. Each method runs for at most
//! `fence_timeout` (its process group is killed then). Programs are run
//! directly with arguments from `ha.cf` only: nothing from the network
//! reaches them but the name of a configured node.
//!
//! - [`stonith`]: `stonith -t TYPE … -T reset NODE`.
//! - [`agent`]: `action=off`, then `action=status`, options on stdin.

pub mod agent;
pub mod stonith;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use heartbeat_core::config::{Config, FenceAgent, Safety, StonithDevice};
use heartbeat_core::engine::FenceRequest;
use heartbeat_core::runtime::{FenceOutcome, Fencer};

use crate::child::{find_program, is_executable};

/// Heartbeat's warning for a cluster with groups and no protection against
/// a split brain.
pub const UNPROTECTED: &str = "No STONITH device configured. Shared disks are not protected.";

/// Where the fencing programs are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FenceTools {
    /// cluster-glue's `stonith(8)`.
    pub stonith: PathBuf,
    /// Where fence agents named without a path are looked up, in order.
    pub agent_dirs: Vec<PathBuf>,
}

impl FenceTools {
    /// The installed programs: `stonith` and agents in `/usr/sbin`,
    /// `/sbin`, then the directories of `PATH`.
    pub fn system() -> Self {
        let mut dirs = vec![PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")];
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path).filter(|d| d.is_absolute()));
        }
        let stonith =
            find_program(&dirs, "stonith").unwrap_or_else(|| PathBuf::from("/usr/sbin/stonith"));
        FenceTools {
            stonith,
            agent_dirs: dirs,
        }
    }

    /// The executable of fence agent `agent`: an absolute path as it is,
    /// a bare name looked up in [`FenceTools::agent_dirs`]. Anything else
    /// (a relative path) is refused.
    pub fn agent(&self, agent: &str) -> Option<PathBuf> {
        if agent.starts_with('/') {
            let path = PathBuf::from(agent);
            is_executable(&path).then_some(path)
        } else {
            find_program(&self.agent_dirs, agent)
        }
    }
}

/// One method of resetting a node.
#[derive(Clone, Copy, Debug)]
enum Method<'a> {
    /// A cluster-glue STONITH device.
    Stonith(&'a StonithDevice),
    /// A fence agent.
    Agent(&'a FenceAgent),
}

impl Method<'_> {
    /// The name in the fence history.
    fn name(&self) -> String {
        match self {
            Method::Stonith(device) => format!("stonith {}", device.kind),
            Method::Agent(agent) => agent.agent.clone(),
        }
    }

    /// Where it is configured.
    fn origin(&self) -> &str {
        match self {
            Method::Stonith(device) => &device.origin,
            Method::Agent(agent) => &agent.origin,
        }
    }
}

/// Why one method failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptError {
    /// What went wrong, for the log.
    pub reason: String,
    /// What the programs printed.
    pub output: String,
}

/// The result of one method.
pub type Attempt = Result<(), AttemptError>;

/// Runs the fencing methods of `ha.cf` from this node.
#[derive(Clone, Debug)]
pub struct FenceExecutor {
    local: String,
    safety: Safety,
    tools: FenceTools,
}

impl FenceExecutor {
    /// Resets from `config.local_node` with the methods of `config`, run
    /// with `tools`.
    pub fn new(config: &Config, tools: FenceTools) -> Self {
        FenceExecutor {
            local: config.local_node.clone(),
            safety: config.safety.clone(),
            tools,
        }
    }

    /// The methods that can reset `target` from this node, in order.
    fn methods<'a>(&'a self, target: &'a str) -> impl Iterator<Item = Method<'a>> + 'a {
        self.safety
            .stonith_devices_of(&self.local)
            .map(Method::Stonith)
            .chain(self.safety.agents_for(target).map(Method::Agent))
    }

    async fn attempt(&self, method: Method<'_>, target: &str) -> Attempt {
        let deadline = Instant::now() + self.safety.fence_timeout;
        match method {
            Method::Stonith(device) => {
                stonith::reset(&self.tools.stonith, device, target, deadline).await
            }
            Method::Agent(agent) => match self.tools.agent(&agent.agent) {
                Some(path) => agent::fence(&path, agent, target, deadline).await,
                None => Err(AttemptError {
                    reason: format!(
                        "fence agent {} not found (looked in {})",
                        agent.agent,
                        join_dirs(&self.tools.agent_dirs)
                    ),
                    output: String::new(),
                }),
            },
        }
    }
}

impl Fencer for FenceExecutor {
    async fn fence(&self, request: FenceRequest) -> FenceOutcome {
        let target = request.target.as_str();
        let mut last = None;
        for method in self.methods(target) {
            let name = method.name();
            tracing::info!(
                "Resetting node {target} with {name} ({}), attempt {}",
                method.origin(),
                request.attempt
            );
            match self.attempt(method, target).await {
                Ok(()) => {
                    tracing::info!("Node {target} reset with {name}");
                    return FenceOutcome {
                        ok: true,
                        method: name,
                    };
                }
                Err(e) => {
                    let output = e.output.trim_end();
                    let output = if output.is_empty() {
                        String::new()
                    } else {
                        format!("; output:\n{output}")
                    };
                    tracing::error!(
                        "Reset of node {target} with {name} FAILED: {}{output}",
                        e.reason
                    );
                }
            }
            last = Some(name);
        }
        let method = last.unwrap_or_else(|| {
            tracing::error!("No STONITH device or fence agent can reset node {target} from here");
            "none".to_owned()
        });
        FenceOutcome { ok: false, method }
    }
}

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

/// The time left until `deadline`.
fn left(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

fn join_dirs(dirs: &[PathBuf]) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
