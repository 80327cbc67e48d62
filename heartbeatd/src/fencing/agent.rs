//! Fence agents (Debian's `fence-agents`: `fence_ipmilan`, `fence_dummy`,
//! ...), run as the fence-agent API describes
//! (`/usr/share/doc/fence-agents/FenceAgentAPI.md`): no arguments, one
//! `key=value` per line on standard input.
//!
//! A reset is `action=off` (exit 0) confirmed by `action=status` reporting
//! the target off (exit 2; 0 means still on, 1 that the device could not
//! tell). The options of `ha.cf` go first, then `nodename=NODE` unless the
//! options name it, then the action (an agent uses the last value of a
//! key, so an `action` in `ha.cf` cannot override it).

use std::path::Path;
use std::time::Instant;

use heartbeat_core::config::FenceAgent;
use tokio::process::Command;

use super::{left, Attempt, AttemptError};
use crate::child::{self, Ending};

/// The fence-agent API's exit status of `status` for a target that is off.
const STATUS_OFF: i32 = 2;

/// Powers `target` off with `agent` (its executable at `path`) and checks
/// that it is off, by `deadline`.
pub async fn fence(path: &Path, agent: &FenceAgent, target: &str, deadline: Instant) -> Attempt {
    let off = child::run(
        Command::new(path),
        Some(input(agent, target, "off")),
        left(deadline),
    )
    .await;
    if !off.success() {
        return Err(AttemptError {
            reason: format!("{} action=off: {}", agent.agent, off.ending),
            output: off.output,
        });
    }
    let status = child::run(
        Command::new(path),
        Some(input(agent, target, "status")),
        left(deadline),
    )
    .await;
    let reason = match &status.ending {
        Ending::Exited(STATUS_OFF) => return Ok(()),
        Ending::Exited(0) => format!("{} action=status: {target} is still on", agent.agent),
        other => format!(
            "{} action=status: cannot tell whether {target} is off ({other})",
            agent.agent
        ),
    };
    Err(AttemptError {
        reason,
        output: format!("{}{}", off.output, status.output),
    })
}

/// The standard input of `agent` for `action` on `target`.
pub fn input(agent: &FenceAgent, target: &str, action: &str) -> String {
    let mut text = String::new();
    for (key, value) in &agent.options {
        text.push_str(&format!("{key}={value}\n"));
    }
    if !agent.options.iter().any(|(key, _)| key == "nodename") {
        text.push_str(&format!("nodename={target}\n"));
    }
    text.push_str(&format!("action={action}\n"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(options: &[(&str, &str)]) -> FenceAgent {
        FenceAgent {
            target: "node2".into(),
            agent: "fence_ipmilan".into(),
            options: options
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            origin: "ha.cf:9".into(),
        }
    }

    #[test]
    fn options_then_the_node_then_the_action() {
        let a = agent(&[
            ("ip", "10.0.0.12"),
            ("username", "admin"),
            ("password", "s3 cret"),
        ]);
        assert_eq!(
            input(&a, "node2", "off"),
            "ip=10.0.0.12\nusername=admin\npassword=s3 cret\nnodename=node2\naction=off\n"
        );
        let named = agent(&[("nodename", "node2.example"), ("action", "on")]);
        assert_eq!(
            input(&named, "node2", "status"),
            "nodename=node2.example\naction=on\naction=status\n",
            "the last action wins"
        );
    }
}
