//! Engine events written to the log in Heartbeat's own phrasing, so that
//! operators' greps (`Link node2:eth0 dead.`, `node node2: is dead`,
//! `Late heartbeat: Node node2: interval 2300 ms`) keep working.

use heartbeat_core::engine::{Event, LinkState, NodeState};
use tokio::sync::broadcast;

/// Logs every event until the stream closes.
pub async fn log_events(mut events: broadcast::Receiver<Event>) {
    loop {
        match events.recv().await {
            Ok(event) => log_event(&event),
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!("event log fell behind: {n} events not logged")
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// The log line for one event (at its level).
pub fn log_event(event: &Event) {
    match event {
        Event::NodeState {
            node,
            state: NodeState::Dead,
        } => {
            tracing::warn!("node {node}: is dead")
        }
        Event::NodeState { node, state } => {
            tracing::info!("Status update for node {node}: status {}", state.as_str())
        }
        Event::LinkState {
            node,
            link,
            state: LinkState::Dead,
        } => {
            tracing::warn!("Link {node}:{link} dead.")
        }
        Event::LinkState {
            node,
            link,
            state: LinkState::Up,
        } => {
            tracing::info!("Link {node}:{link} up.")
        }
        Event::LateHeartbeat { node, interval } => {
            tracing::warn!(
                "Late heartbeat: Node {node}: interval {} ms",
                interval.as_millis()
            )
        }
        Event::Rejected { medium, error } => {
            tracing::debug!("dropped a datagram on medium {}: {error}", medium.0)
        }
        Event::AppMessage { from, payload } => {
            tracing::debug!("application message from {from} ({} bytes)", payload.len())
        }
        Event::GroupAcquired { group } => tracing::info!("Resource group {group} acquired"),
        Event::GroupReleased { group } => tracing::info!("Resource group {group} released"),
        Event::GroupHandedOver { group, to } => {
            tracing::warn!("Resource group {group} is faulty here: handing it over to {to}")
        }
        Event::GroupKeptFaulty { group } => tracing::warn!(
            "Resource group {group} is faulty here but no peer reports it healthy: keeping it"
        ),
        Event::ShutdownComplete => tracing::info!("Heartbeat shutdown complete."),
        Event::ShutdownIncomplete { left_behind } => tracing::error!(
            "Heartbeat shutdown incomplete: stop failed for {}",
            left_behind.join(" ")
        ),
        Event::IgnoredMessage { node, msg_type } => tracing::info!(
            "Ignoring message type {msg_type} from {node} (not used here; not reported again)"
        ),
        other => tracing::info!("{other:?}"),
    }
}
