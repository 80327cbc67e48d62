//! Control-socket requests carried out on the running cluster node.

use std::sync::Arc;

use heartbeat_core::config::Config;
use heartbeat_core::control::{GroupSet, Request, Response, StatusView};
use heartbeat_core::runtime::Cluster;
use heartbeat_core::wire::Holdings;

use crate::control_socket::RequestHandler;

/// Answers control requests from the node's status and commands.
pub struct ClusterHandler {
    /// The running node.
    pub cluster: Arc<Cluster>,
    /// Its configuration (for the parameters `hbparameter` reads).
    pub config: Arc<Config>,
}

impl RequestHandler for ClusterHandler {
    fn subscribe(&self) -> Option<tokio::sync::broadcast::Receiver<heartbeat_core::engine::Event>> {
        Some(self.cluster.subscribe())
    }

    async fn handle(&self, request: Request) -> Response {
        let sent = match &request {
            Request::Status => {
                let now = tokio::time::Instant::now().into_std();
                let view = StatusView::from_status(&self.cluster.status(), &self.config, now);
                return Response::Status(Box::new(view));
            }
            Request::Standby { set } => self.cluster.standby(holdings(*set)),
            Request::Takeover { set } => self.cluster.takeover(holdings(*set)),
            Request::Shutdown => self.cluster.request_shutdown(),
            Request::Events => {
                let message = "events are streamed by the control socket";
                return Response::error(heartbeat_core::control::ErrorKind::Refused, message);
            }
        };
        tracing::info!("control request: {request:?}");
        match sent {
            Ok(()) => Response::Accepted {
                message: format!("{request:?} requested"),
            },
            Err(stopped) => Response::error(
                heartbeat_core::control::ErrorKind::Refused,
                stopped.to_string(),
            ),
        }
    }
}

fn holdings(set: GroupSet) -> Holdings {
    match set {
        GroupSet::All => Holdings::All,
        GroupSet::Local => Holdings::Local,
        GroupSet::Foreign | GroupSet::Failback => Holdings::Foreign,
    }
}
