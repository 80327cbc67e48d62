//! The event stream of the control socket ([`super::Request::Events`]): one
//! JSON line per engine event an operator tool may care about.

use serde::{Deserialize, Serialize};

use crate::engine::{ActionKind, Event, LinkState};

/// One event line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLine {
    /// When the daemon saw it, in ms since the Unix epoch.
    pub unix_ms: u64,
    /// What happened: `node_state`, `link_state`, `group_acquired`,
    /// `group_released`, `group_failed`, `group_health`,
    /// `group_handed_over`, `group_kept_faulty`, `comm_up`,
    /// `node_restarted`, `node_returned`, `shutdown_complete`.
    pub event: String,
    /// The node concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The group concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The new state (`active`, `dead`, `up`, `healthy`, `faulty`, `start`,
    /// `stop`, ...), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl EventLine {
    /// The JSON text of this line, newline included.
    pub fn to_line(&self) -> String {
        let mut text = serde_json::to_string(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The line for `event`, or `None` for events not streamed (datagram
    /// rejections, application messages, ...).
    pub fn from_event(event: &Event, unix_ms: u64) -> Option<EventLine> {
        let line = |event: &str, node: Option<&str>, group: Option<&str>, state: Option<&str>| {
            Some(EventLine {
                unix_ms,
                event: event.to_owned(),
                node: node.map(str::to_owned),
                group: group.map(str::to_owned),
                state: state.map(str::to_owned),
            })
        };
        match event {
            Event::NodeState { node, state } => {
                line("node_state", Some(node), None, Some(state.as_str()))
            }
            Event::LinkState { node, link, state } => {
                let s = match state {
                    LinkState::Up => "up",
                    LinkState::Dead => "dead",
                };
                line("link_state", Some(node), None, Some(&format!("{link} {s}")))
            }
            Event::GroupAcquired { group } => line("group_acquired", None, Some(group), None),
            Event::GroupReleased { group } => line("group_released", None, Some(group), None),
            Event::GroupFailed { group, kind } => {
                let k = match kind {
                    ActionKind::Start => "start",
                    ActionKind::Stop => "stop",
                };
                line("group_failed", None, Some(group), Some(k))
            }
            Event::GroupHealth { group, healthy } => {
                let s = if *healthy { "healthy" } else { "faulty" };
                line("group_health", None, Some(group), Some(s))
            }
            Event::GroupHandedOver { group, to } => {
                line("group_handed_over", Some(to), Some(group), None)
            }
            Event::GroupKeptFaulty { group } => line("group_kept_faulty", None, Some(group), None),
            Event::CommUp => line("comm_up", None, None, None),
            Event::NodeRestarted { node, .. } => line("node_restarted", Some(node), None, None),
            Event::NodeReturned { node } => line("node_returned", Some(node), None, None),
            Event::ShutdownComplete => line("shutdown_complete", None, None, None),
            Event::ShutdownIncomplete { left_behind } => {
                let groups = left_behind.join(" ");
                line("shutdown_incomplete", None, Some(&groups), None)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_compact_json() {
        let e = Event::GroupHealth {
            group: "web".into(),
            healthy: false,
        };
        let l = EventLine::from_event(&e, 5).unwrap();
        assert_eq!(
            serde_json::to_string(&l).unwrap(),
            r#"{"unix_ms":5,"event":"group_health","group":"web","state":"faulty"}"#
        );
        let app = Event::AppMessage {
            from: "a".into(),
            payload: bytes::Bytes::new(),
        };
        assert_eq!(EventLine::from_event(&app, 5), None);
    }
}
