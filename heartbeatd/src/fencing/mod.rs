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
//! - `tools`: where `stonith` and the agents are ([`FenceTools`]).
//! - `protection`: the start-up warnings ([`protection_warnings`]).

pub mod agent;
mod protection;
pub mod stonith;
#[cfg(test)]
mod tests;
mod tools;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use heartbeat_core::config::{Config, FenceAgent, Safety, StonithDevice};
use heartbeat_core::engine::FenceRequest;
use heartbeat_core::runtime::{FenceOutcome, Fencer};

pub use protection::{log_protection, protection_warnings, UNPROTECTED};
pub use tools::FenceTools;

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
