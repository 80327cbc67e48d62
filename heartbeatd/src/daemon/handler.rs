//! Control-socket requests carried out on the running cluster node.

use std::sync::Arc;

use heartbeat_core::config::Config;
use heartbeat_core::control::{ErrorKind, GroupSet, Request, Response, StatusView};
use heartbeat_core::engine::{ClusterStatus, NodeState};
use heartbeat_core::runtime::Cluster;
use heartbeat_core::wire::Holdings;

use crate::control_socket::RequestHandler;

/// Answers control requests from the node's status and commands.
pub struct ClusterHandler {
    /// The running node.
    pub cluster: Arc<Cluster>,
    /// Its configuration (for the parameters `hbparameter` reads).
    pub config: Arc<Config>,
    /// The `respawn`/`failfast` commands, shown in the status.
    pub respawned: crate::respawn::RespawnStatus,
}

impl RequestHandler for ClusterHandler {
    fn subscribe(&self) -> Option<tokio::sync::broadcast::Receiver<heartbeat_core::engine::Event>> {
        Some(self.cluster.subscribe())
    }

    async fn handle(&self, request: Request) -> Response {
        let sent = match &request {
            Request::Status => {
                let now = tokio::time::Instant::now().into_std();
                let mut view = StatusView::from_status(&self.cluster.status(), &self.config, now);
                view.respawned = self.respawned.snapshot();
                return Response::Status(Box::new(view));
            }
            Request::Standby { set } => self.cluster.standby(holdings(*set)),
            Request::Takeover { set } => self.cluster.takeover(holdings(*set)),
            Request::Shutdown => self.cluster.request_shutdown(),
            Request::ConfirmDown { node } => match confirmable(&self.cluster.status(), node) {
                Ok(node) => self.cluster.confirm_down(&node),
                Err(why) => return Response::error(ErrorKind::Refused, why),
            },
            Request::Events => {
                let message = "events are streamed by the control socket";
                return Response::error(ErrorKind::Refused, message);
            }
        };
        tracing::info!("control request: {request:?}");
        match sent {
            Ok(()) => Response::Accepted {
                message: format!("{request:?} requested"),
            },
            Err(stopped) => Response::error(ErrorKind::Refused, stopped.to_string()),
        }
    }
}

/// The configured name of `node` (compared without case, as `cl_status`
/// does) if it is dead and awaiting a reset in `status`, else why an
/// operator cannot confirm it down.
fn confirmable(status: &ClusterStatus, node: &str) -> Result<String, String> {
    if status.local_node.eq_ignore_ascii_case(node) {
        return Err(format!(
            "{} is this node: a node cannot confirm itself down",
            status.local_node
        ));
    }
    if let Some(waiting) = status
        .safety
        .awaiting_fence
        .iter()
        .find(|a| a.node.eq_ignore_ascii_case(node))
    {
        return Ok(waiting.node.clone());
    }
    if let Some(ping) = status
        .ping_nodes
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(node))
    {
        return Err(format!("{} is a ping node: it runs no group", ping.name));
    }
    let Some(peer) = status
        .nodes
        .iter()
        .find(|n| n.name.eq_ignore_ascii_case(node))
    else {
        return Err(format!("no node called {node} in this cluster"));
    };
    Err(if peer.state == NodeState::Dead {
        format!(
            "{} is dead but awaits no reset (it left gracefully, was reset \
             already, or nothing protects against it): nothing to confirm",
            peer.name
        )
    } else {
        format!(
            "{} is {}, not dead: only a dead node awaiting a reset can be confirmed down",
            peer.name,
            peer.state.as_str()
        )
    })
}

fn holdings(set: GroupSet) -> Holdings {
    match set {
        GroupSet::All => Holdings::All,
        GroupSet::Local => Holdings::Local,
        GroupSet::Foreign | GroupSet::Failback => Holdings::Foreign,
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use heartbeat_core::engine::{AwaitingFence, Engine, Identity};
    use heartbeat_core::wire::NodeUuid;

    use super::*;

    /// node1's status in a cluster of node1..node4 and ping node 10.0.0.1:
    /// node2 never heard (init), node3 dead and awaiting a reset by node1,
    /// node4 dead and awaiting nothing.
    fn status() -> ClusterStatus {
        let config = Config::from_texts(
            "node node1 node2 node3 node4\nbcast eth0\nping 10.0.0.1\n",
            "auth 1\n1 sha1 k\n",
            "",
            "node1",
        )
        .unwrap();
        let identity = Identity {
            uuid: NodeUuid([1; 16]),
            generation: 1,
        };
        let now = Instant::now();
        let mut status = Engine::new(config, identity, now, 1).status();
        for dead in ["node3", "node4"] {
            let i = status.nodes.iter().position(|n| n.name == dead).unwrap();
            status.nodes[i].state = NodeState::Dead;
        }
        status.safety.awaiting_fence.push(AwaitingFence {
            node: "node3".into(),
            since: now - Duration::from_secs(2),
            fencer: Some("node1".into()),
            failures: 1,
            watchdog_until: None,
        });
        status
    }

    #[test]
    fn only_a_dead_node_awaiting_a_reset_can_be_confirmed_down() {
        let s = status();
        assert_eq!(confirmable(&s, "node3"), Ok("node3".to_owned()));
        assert_eq!(confirmable(&s, "NODE3"), Ok("node3".to_owned()));
        let why = |node: &str| confirmable(&s, node).unwrap_err();
        assert!(
            why("node1").contains("node1 is this node"),
            "{}",
            why("node1")
        );
        assert!(
            why("node2").contains("node2 is init, not dead"),
            "{}",
            why("node2")
        );
        assert!(
            why("node4").contains("node4 is dead but awaits no reset"),
            "{}",
            why("node4")
        );
        assert!(why("10.0.0.1").contains("is a ping node"));
        assert!(why("node9").contains("no node called node9"));
    }
}
