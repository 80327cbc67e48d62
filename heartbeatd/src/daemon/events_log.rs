//! Engine events written to the log in Heartbeat's own phrasing, so that
//! operators' greps (`Link node2:eth0 dead.`, `node node2: is dead`,
//! `Late heartbeat: Node node2: interval 2300 ms`) keep working; the
//! split-brain safety events (quorum, fencing, watchdog), which Heartbeat
//! 3.0.6 did not have, in plain sentences ([`safety_line`]).

use std::time::Duration;

use heartbeat_core::engine::{Event, LinkState, NodeState};
use tokio::sync::broadcast;
use tracing::Level;

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

/// Logs one event at its level.
pub fn log_event(event: &Event) {
    let (level, line) = event_line(event);
    log_at(level, &line);
}

/// The level and log line of one event: the words Heartbeat's log uses where
/// it had the event, plain sentences otherwise.
pub fn event_line(event: &Event) -> (Level, String) {
    match event {
        Event::NodeState {
            node,
            state: NodeState::Dead,
        } => (Level::WARN, format!("node {node}: is dead")),
        Event::NodeState { node, state } => (
            Level::INFO,
            format!("Status update for node {node}: status {}", state.as_str()),
        ),
        Event::LinkState {
            node,
            link,
            state: LinkState::Dead,
        } => (Level::WARN, format!("Link {node}:{link} dead.")),
        Event::LinkState {
            node,
            link,
            state: LinkState::Up,
        } => (Level::INFO, format!("Link {node}:{link} up.")),
        Event::LateHeartbeat { node, interval } => (
            Level::WARN,
            format!(
                "Late heartbeat: Node {node}: interval {} ms",
                interval.as_millis()
            ),
        ),
        Event::Rejected { medium, error } => (
            Level::DEBUG,
            format!("dropped a datagram on medium {}: {error}", medium.0),
        ),
        Event::AppMessage { from, payload } => (
            Level::DEBUG,
            format!("application message from {from} ({} bytes)", payload.len()),
        ),
        Event::GroupAcquired { group } => (Level::INFO, format!("Resource group {group} acquired")),
        Event::GroupReleased { group } => (Level::INFO, format!("Resource group {group} released")),
        Event::GroupHandedOver { group, to } => (
            Level::WARN,
            format!("Resource group {group} is faulty here: handing it over to {to}"),
        ),
        Event::GroupKeptFaulty { group } => (
            Level::WARN,
            format!(
                "Resource group {group} is faulty here but no peer reports it healthy: keeping it"
            ),
        ),
        Event::ShutdownComplete => (Level::INFO, "Heartbeat shutdown complete.".to_owned()),
        Event::ShutdownIncomplete { left_behind } => (
            Level::ERROR,
            format!(
                "Heartbeat shutdown incomplete: stop failed for {}",
                left_behind.join(" ")
            ),
        ),
        Event::IgnoredMessage { node, msg_type } => (
            Level::INFO,
            format!(
                "Ignoring message type {msg_type} from {node} (not used here; not reported again)"
            ),
        ),
        other => safety_line(other).unwrap_or_else(|| (Level::INFO, format!("{other:?}"))),
    }
}

/// The level and text of a split-brain safety event, or `None` for other
/// events.
fn safety_line(event: &Event) -> Option<(Level, String)> {
    Some(match event {
        Event::Quorum {
            quorate: false,
            votes,
            needed,
        } => (
            Level::WARN,
            format!(
                "Quorum lost: {votes} {} ({needed} needed); stopping every group",
                votes_word(*votes)
            ),
        ),
        Event::Quorum {
            quorate: true,
            votes,
            needed,
        } => (
            Level::INFO,
            format!(
                "Quorum regained: {votes} {} ({needed} needed); groups may run here",
                votes_word(*votes)
            ),
        ),
        Event::FenceStarted { target, attempt } => {
            (Level::WARN, format!("Fencing {target} (attempt {attempt})"))
        }
        Event::FenceSucceeded { target, by, method } => match method.as_str() {
            "operator" => (
                Level::WARN,
                format!("{target} confirmed down by the operator on {by}"),
            ),
            "watchdog" => (
                Level::INFO,
                format!("{target} counts as reset: its watchdog timeout has passed"),
            ),
            "announced" => (Level::INFO, format!("{target} fenced by {by} (announced)")),
            _ => (Level::INFO, format!("{target} fenced by {by} via {method}")),
        },
        Event::FenceFailed {
            target,
            attempt,
            method,
            retry_in,
        } => (
            Level::ERROR,
            format!(
                "Fencing {target} failed (attempt {attempt}, {method}); retrying in {}",
                span(*retry_in)
            ),
        ),
        Event::TakeoverHeld { node, until } => {
            (Level::WARN, format!("Groups of {node} wait for {until}"))
        }
        Event::WatchdogPetting {
            petting: false,
            reason,
        } => (Level::ERROR, format!("Watchdog not petted: {reason}")),
        Event::WatchdogPetting { petting: true, .. } => {
            (Level::INFO, "Watchdog petted again".to_owned())
        }
        _ => return None,
    })
}

/// `vote` or `votes`.
fn votes_word(n: usize) -> &'static str {
    if n == 1 {
        "vote"
    } else {
        "votes"
    }
}

/// A wait in words: whole seconds (`4 s`), or milliseconds below 10 s
/// when not whole (`1500 ms`).
fn span(d: Duration) -> String {
    if d.subsec_millis() == 0 || d >= Duration::from_secs(10) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Logs `line` at `level` (tracing's macros need the level at compile
/// time).
fn log_at(level: Level, line: &str) {
    match level {
        Level::ERROR => tracing::error!("{line}"),
        Level::WARN => tracing::warn!("{line}"),
        Level::INFO => tracing::info!("{line}"),
        Level::DEBUG => tracing::debug!("{line}"),
        _ => tracing::trace!("{line}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(event: Event) -> (Level, String) {
        safety_line(&event).expect("a safety event")
    }

    #[test]
    fn safety_events_read_as_sentences() {
        assert_eq!(
            line(Event::Quorum {
                quorate: false,
                votes: 1,
                needed: 2
            }),
            (
                Level::WARN,
                "Quorum lost: 1 vote (2 needed); stopping every group".to_owned()
            )
        );
        assert_eq!(
            line(Event::Quorum {
                quorate: true,
                votes: 2,
                needed: 2
            })
            .1,
            "Quorum regained: 2 votes (2 needed); groups may run here"
        );
        assert_eq!(
            line(Event::FenceStarted {
                target: "node2".into(),
                attempt: 1
            }),
            (Level::WARN, "Fencing node2 (attempt 1)".to_owned())
        );
        let fenced = |method: &str| {
            line(Event::FenceSucceeded {
                target: "node2".into(),
                by: "node1".into(),
                method: method.into(),
            })
            .1
        };
        assert_eq!(
            fenced("stonith external/ssh"),
            "node2 fenced by node1 via stonith external/ssh"
        );
        assert_eq!(
            fenced("operator"),
            "node2 confirmed down by the operator on node1"
        );
        assert_eq!(fenced("announced"), "node2 fenced by node1 (announced)");
        assert!(fenced("watchdog").contains("its watchdog timeout has passed"));
        assert_eq!(
            line(Event::FenceFailed {
                target: "node2".into(),
                attempt: 2,
                method: "fence_ipmilan".into(),
                retry_in: Duration::from_secs(4)
            }),
            (
                Level::ERROR,
                "Fencing node2 failed (attempt 2, fence_ipmilan); retrying in 4 s".to_owned()
            )
        );
        assert_eq!(
            line(Event::TakeoverHeld {
                node: "node2".into(),
                until: "a reset by node1".into()
            })
            .1,
            "Groups of node2 wait for a reset by node1"
        );
        assert_eq!(
            line(Event::WatchdogPetting {
                petting: false,
                reason: "no quorum while a group may still run here".into()
            }),
            (
                Level::ERROR,
                "Watchdog not petted: no quorum while a group may still run here".to_owned()
            )
        );
        assert_eq!(
            line(Event::WatchdogPetting {
                petting: true,
                reason: String::new()
            })
            .1,
            "Watchdog petted again"
        );
        assert_eq!(safety_line(&Event::CommUp), None);
    }

    #[test]
    fn waits_in_words() {
        assert_eq!(span(Duration::from_secs(60)), "60 s");
        assert_eq!(span(Duration::from_millis(1500)), "1500 ms");
        assert_eq!(span(Duration::from_millis(12_500)), "12 s");
    }
}
