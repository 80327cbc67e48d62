//! Split-brain safety as the control socket shows it: three in-process
//! nodes on the in-memory network, in paused (virtual) time, node1
//! answering control requests with the daemon's own `ClusterHandler`.
//! Quorum counts 3/3, then 2/3 once node3's cable is pulled; node3 awaits
//! a reset by node1 (a fence agent is configured for it, but these nodes
//! have the default fencer, which fails every reset); a confirmation of node2 is refused, one of node3 accepted and
//! recorded in the fence history.

use std::sync::Arc;
use std::time::Duration;

use heartbeat_core::config::{Config, FenceAgent};
use heartbeat_core::control::{ErrorKind, EventLine, QuorumView, Request, Response, StatusView};
use heartbeat_core::engine::{Event, Identity, MediumId, NodeState};
use heartbeat_core::runtime::memory::MemoryHub;
use heartbeat_core::runtime::Cluster;
use heartbeat_core::wire::NodeUuid;
use heartbeatd::control_socket::RequestHandler;
use heartbeatd::daemon::ClusterHandler;
use tokio::sync::broadcast;
use tokio::time::timeout;

const HA_CF: &str = "keepalive 100ms\ndeadtime 500ms\nwarntime 300ms\ninitdead 1\n\
                     bcast eth0\nnode node1 node2 node3\n";
const AUTHKEYS: &str = "auth 1\n1 sha256 safety-view-key\n";
const HARESOURCES: &str = "node1 web\n";

/// Virtual time any wait below may take.
const PATIENCE: Duration = Duration::from_secs(60);

fn config(node: &str) -> Config {
    let mut config =
        Config::from_texts(HA_CF, AUTHKEYS, HARESOURCES, node).expect("test config is valid");
    config.safety.fence_agents.push(FenceAgent {
        target: "node3".into(),
        agent: "fence_dummy".into(),
        options: Vec::new(),
        origin: "test".into(),
    });
    config
}

fn start(hub: &MemoryHub, node: &str, n: u8) -> Arc<Cluster> {
    let identity = Identity {
        uuid: NodeUuid([n; 16]),
        generation: u64::from(n),
    };
    let cluster = Cluster::builder(config(node), identity)
        .start_with_transport(hub.attach(node))
        .expect("no watchdog to open");
    Arc::new(cluster)
}

async fn status(handler: &ClusterHandler) -> StatusView {
    match handler.handle(Request::Status).await {
        Response::Status(view) => *view,
        other => panic!("status answered {other:?}"),
    }
}

/// Asks for the status again at every new snapshot until `pred` holds.
async fn status_until(handler: &ClusterHandler, pred: impl Fn(&StatusView) -> bool) -> StatusView {
    let mut snapshots = handler.cluster.watch_status();
    timeout(PATIENCE, async {
        loop {
            let view = status(handler).await;
            if pred(&view) {
                return view;
            }
            snapshots.changed().await.expect("the node runs");
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "condition not met within {PATIENCE:?}: {:?}",
            handler.cluster.status().safety
        )
    })
}

/// Waits for the first event matching `pred`.
async fn event(events: &mut broadcast::Receiver<Event>, pred: impl Fn(&Event) -> bool) -> Event {
    timeout(PATIENCE, async {
        loop {
            match events.recv().await {
                Ok(e) if pred(&e) => return e,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("event stream closed"),
            }
        }
    })
    .await
    .expect("event in time")
}

fn quorum(view: &StatusView) -> Option<QuorumView> {
    view.safety.quorum
}

#[tokio::test(start_paused = true)]
async fn quorum_awaiting_reset_and_confirm_down_through_the_handler() {
    let hub = MemoryHub::new(1);
    let node1 = start(&hub, "node1", 1);
    let _node2 = start(&hub, "node2", 2);
    let _node3 = start(&hub, "node3", 3);
    let mut events = node1.subscribe();
    let handler = ClusterHandler {
        cluster: Arc::clone(&node1),
        config: Arc::new(config("node1")),
        respawned: Default::default(),
    };

    let view = status_until(&handler, |v| quorum(v).is_some_and(|q| q.votes == 3)).await;
    assert_eq!(
        quorum(&view),
        Some(QuorumView {
            quorate: true,
            votes: 3,
            needed: 2,
            nodes: 3
        })
    );
    assert!(view.safety.fencing_configured);
    assert!(view.safety.awaiting_fence.is_empty());

    hub.set_link("node3", MediumId(0), false);
    event(
        &mut events,
        |e| matches!(e, Event::NodeState { node, state: NodeState::Dead } if node == "node3"),
    )
    .await;
    let view = status_until(&handler, |v| {
        quorum(v).is_some_and(|q| q.votes == 2) && !v.safety.awaiting_fence.is_empty()
    })
    .await;
    assert_eq!(
        quorum(&view),
        Some(QuorumView {
            quorate: true,
            votes: 2,
            needed: 2,
            nodes: 3
        })
    );
    let waiting = &view.safety.awaiting_fence[0];
    assert_eq!(waiting.node, "node3");
    assert_eq!(waiting.fencer.as_deref(), Some("node1"));

    match handler
        .handle(Request::ConfirmDown {
            node: "node2".into(),
        })
        .await
    {
        Response::Error {
            kind: ErrorKind::Refused,
            message,
        } => assert!(message.contains("node2 is active, not dead"), "{message}"),
        other => panic!("confirming a live node: {other:?}"),
    }
    match handler
        .handle(Request::ConfirmDown {
            node: "node3".into(),
        })
        .await
    {
        Response::Accepted { message } => assert!(message.contains("node3"), "{message}"),
        other => panic!("confirming node3: {other:?}"),
    }
    let fenced = event(&mut events, |e| matches!(e, Event::FenceSucceeded { .. })).await;
    let line = EventLine::from_event(&fenced, 0).expect("streamed");
    assert_eq!(line.event, "fence_succeeded");
    assert_eq!(line.method.as_deref(), Some("operator"));

    let view = status_until(&handler, |v| v.safety.awaiting_fence.is_empty()).await;
    let last = view.safety.fence_history.last().expect("a fence record");
    assert_eq!(
        (
            last.target.as_str(),
            last.by.as_str(),
            last.method.as_str(),
            last.ok
        ),
        ("node3", "node1", "operator", true)
    );
    // Confirmed once: a second confirmation has nothing to confirm.
    match handler
        .handle(Request::ConfirmDown {
            node: "node3".into(),
        })
        .await
    {
        Response::Error { message, .. } => {
            assert!(message.contains("awaits no reset"), "{message}")
        }
        other => panic!("confirming node3 again: {other:?}"),
    }
}
