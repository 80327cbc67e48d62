//! The event stream of the control socket ([`super::Request::Events`]): one
//! JSON line per engine event an operator tool may care about.

use serde::{Deserialize, Serialize};

use crate::engine::{ActionKind, Event, LinkState};

/// One event line. Fields that do not apply to an event are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLine {
    /// When the daemon saw it, in ms since the Unix epoch.
    pub unix_ms: u64,
    /// What happened: `node_state`, `link_state`, `group_acquired`,
    /// `group_released`, `group_failed`, `group_health`,
    /// `group_handed_over`, `group_kept_faulty`, `comm_up`,
    /// `node_restarted`, `node_returned`, `shutdown_complete`,
    /// `shutdown_incomplete`; split-brain safety: `quorum`,
    /// `fence_started`, `fence_succeeded`, `fence_failed`,
    /// `takeover_held`, `watchdog`.
    pub event: String,
    /// The node concerned, if any (for fencing events: the target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The group concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The new state (`active`, `dead`, `up`, `healthy`, `faulty`, `start`,
    /// `stop`; `quorate` / `no_quorum`; `ok` / `failed` for a fence
    /// result; `petting` / `withheld` for the watchdog), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `quorum`: votes seen (this node included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub votes: Option<usize>,
    /// `quorum`: votes needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needed: Option<usize>,
    /// `fence_started`, `fence_failed`: which try (1 for the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// `fence_succeeded`: the node that reset the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// `fence_succeeded`, `fence_failed`: the device or agent used
    /// (`stonith external/ssh`, `fence_ipmilan`), `operator`, `watchdog`
    /// or `announced`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// `fence_failed`: milliseconds until the next try.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_in_ms: Option<u64>,
    /// In words: what a held takeover awaits (`a reset by node1`), why
    /// the watchdog is not petted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
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
        let base = |event: &str| EventLine {
            unix_ms,
            event: event.to_owned(),
            ..EventLine::default()
        };
        let line = |event: &str, node: Option<&str>, group: Option<&str>, state: Option<&str>| {
            Some(EventLine {
                node: node.map(str::to_owned),
                group: group.map(str::to_owned),
                state: state.map(str::to_owned),
                ..base(event)
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
            Event::Quorum {
                quorate,
                votes,
                needed,
            } => Some(EventLine {
                state: Some(if *quorate { "quorate" } else { "no_quorum" }.to_owned()),
                votes: Some(*votes),
                needed: Some(*needed),
                ..base("quorum")
            }),
            Event::FenceStarted { target, attempt } => Some(EventLine {
                node: Some(target.clone()),
                attempt: Some(*attempt),
                ..base("fence_started")
            }),
            Event::FenceSucceeded { target, by, method } => Some(EventLine {
                node: Some(target.clone()),
                state: Some("ok".to_owned()),
                by: Some(by.clone()),
                method: Some(method.clone()),
                ..base("fence_succeeded")
            }),
            Event::FenceFailed {
                target,
                attempt,
                method,
                retry_in,
            } => Some(EventLine {
                node: Some(target.clone()),
                state: Some("failed".to_owned()),
                attempt: Some(*attempt),
                method: Some(method.clone()),
                retry_in_ms: Some(u64::try_from(retry_in.as_millis()).unwrap_or(u64::MAX)),
                ..base("fence_failed")
            }),
            Event::TakeoverHeld { node, until } => Some(EventLine {
                node: Some(node.clone()),
                reason: Some(until.clone()),
                ..base("takeover_held")
            }),
            Event::WatchdogPetting { petting, reason } => Some(EventLine {
                state: Some(if *petting { "petting" } else { "withheld" }.to_owned()),
                reason: (!reason.is_empty()).then(|| reason.clone()),
                ..base("watchdog")
            }),
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

    fn json(e: &Event) -> String {
        serde_json::to_string(&EventLine::from_event(e, 5).unwrap()).unwrap()
    }

    #[test]
    fn safety_events_have_stable_names_and_fields() {
        assert_eq!(
            json(&Event::Quorum {
                quorate: false,
                votes: 1,
                needed: 2
            }),
            r#"{"unix_ms":5,"event":"quorum","state":"no_quorum","votes":1,"needed":2}"#
        );
        assert_eq!(
            json(&Event::FenceStarted {
                target: "node2".into(),
                attempt: 1
            }),
            r#"{"unix_ms":5,"event":"fence_started","node":"node2","attempt":1}"#
        );
        assert_eq!(
            json(&Event::FenceSucceeded {
                target: "node2".into(),
                by: "node1".into(),
                method: "stonith external/ssh".into()
            }),
            r#"{"unix_ms":5,"event":"fence_succeeded","node":"node2","state":"ok","by":"node1","method":"stonith external/ssh"}"#
        );
        assert_eq!(
            json(&Event::FenceFailed {
                target: "node2".into(),
                attempt: 2,
                method: "fence_ipmilan".into(),
                retry_in: std::time::Duration::from_secs(4)
            }),
            r#"{"unix_ms":5,"event":"fence_failed","node":"node2","state":"failed","attempt":2,"method":"fence_ipmilan","retry_in_ms":4000}"#
        );
        assert_eq!(
            json(&Event::TakeoverHeld {
                node: "node2".into(),
                until: "a reset by node1".into()
            }),
            r#"{"unix_ms":5,"event":"takeover_held","node":"node2","reason":"a reset by node1"}"#
        );
        assert_eq!(
            json(&Event::WatchdogPetting {
                petting: false,
                reason: "this process stalled".into()
            }),
            r#"{"unix_ms":5,"event":"watchdog","state":"withheld","reason":"this process stalled"}"#
        );
        assert_eq!(
            json(&Event::WatchdogPetting {
                petting: true,
                reason: String::new()
            }),
            r#"{"unix_ms":5,"event":"watchdog","state":"petting"}"#
        );
        // Lines parse back (a client reads them with this type).
        let line = EventLine::from_event(
            &Event::FenceFailed {
                target: "n".into(),
                attempt: 3,
                method: "m".into(),
                retry_in: std::time::Duration::from_millis(1500),
            },
            9,
        )
        .unwrap();
        assert_eq!(
            serde_json::from_str::<EventLine>(&line.to_line()).unwrap(),
            line
        );
    }
}
