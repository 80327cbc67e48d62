//! The split-brain safety part of the status model ([`SafetyView`]):
//! quorum, fencing, the watchdog, dead nodes awaiting a reset and the
//! fence history, as `cl-status quorum`, `fencehistory` and `--json` show
//! them.
//!
//! Times follow the rest of the model: instants in the past are
//! milliseconds ago (`_ms_ago`, like a node's `last_heard_ms_ago`),
//! instants to come milliseconds from now (`_in_ms`, like `dead_in_ms`),
//! both as of the status.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::engine::{AwaitingFence, FenceRecord, QuorumInfo, SafetyInfo};

/// Split-brain safety as this node sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyView {
    /// Quorum; `null` when quorum is off (`quorum off`, or fewer than
    /// three nodes).
    pub quorum: Option<QuorumView>,
    /// Whether any STONITH device or fence agent is configured.
    pub fencing_configured: bool,
    /// The local watchdog; `null` when none is configured.
    pub watchdog: Option<WatchdogView>,
    /// Dead nodes whose groups wait for a reset, their watchdog or an
    /// operator's confirmation, in name order.
    pub awaiting_fence: Vec<AwaitingFenceView>,
    /// The latest fence results (resets, failed tries, confirmations),
    /// oldest first.
    pub fence_history: Vec<FenceRecordView>,
}

/// Quorum: the votes this node sees against the strict majority needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuorumView {
    /// Whether this node has quorum (without it, it runs no group).
    pub quorate: bool,
    /// Votes seen: this node and the peers that hear each other with it.
    pub votes: usize,
    /// Votes needed: a strict majority of the configured nodes.
    pub needed: usize,
    /// Configured nodes (ping nodes excluded): the votes there are.
    pub nodes: usize,
}

/// The local watchdog device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchdogView {
    /// Its timeout, in ms: the device resets this node that long after
    /// the last pet.
    pub timeout_ms: u64,
    /// Whether heartbeatd pets it now.
    pub petting: bool,
    /// Why it is not petted, when it is not.
    pub withheld: Option<String>,
}

/// A dead node whose groups may not start anywhere yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingFenceView {
    /// The dead node.
    pub node: String,
    /// Milliseconds since it was declared dead.
    pub since_ms_ago: u64,
    /// The node that resets it; `null` when no node can (an operator
    /// must confirm it down, or its watchdog must have reset it).
    pub fencer: Option<String>,
    /// Failed tries so far.
    pub failures: u32,
    /// Milliseconds until its watchdog must have reset it (its groups may
    /// start then); `null` when the cluster does not rely on its watchdog.
    pub watchdog_expires_in_ms: Option<u64>,
}

/// One result in the fence history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FenceRecordView {
    /// The node reset.
    pub target: String,
    /// The node that reset it, or on which the operator confirmed it
    /// down (for a watchdog reset: the target itself).
    pub by: String,
    /// What was used: the device or agent (`stonith external/ssh`,
    /// `fence_ipmilan`), `operator`, `watchdog`, or `announced` (a peer
    /// reported the reset).
    pub method: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// Milliseconds since it ended.
    pub at_ms_ago: u64,
}

impl SafetyView {
    /// The view of `info` at instant `now`, in a cluster of `nodes`
    /// configured nodes.
    pub fn from_info(info: &SafetyInfo, nodes: usize, now: Instant) -> SafetyView {
        let mut awaiting_fence: Vec<AwaitingFenceView> = info
            .awaiting_fence
            .iter()
            .map(|a| AwaitingFenceView::from_info(a, now))
            .collect();
        awaiting_fence.sort_by(|a, b| a.node.cmp(&b.node));
        SafetyView {
            quorum: info.quorum.map(|q| QuorumView::from_info(q, nodes)),
            fencing_configured: info.fencing_configured,
            watchdog: info.watchdog_timeout.map(|timeout| WatchdogView {
                timeout_ms: millis(timeout),
                petting: info.watchdog_withheld.is_none(),
                withheld: info.watchdog_withheld.clone(),
            }),
            awaiting_fence,
            fence_history: info
                .history
                .iter()
                .map(|r| FenceRecordView::from_record(r, now))
                .collect(),
        }
    }
}

impl QuorumView {
    /// The view of `q` among `nodes` configured nodes.
    pub fn from_info(q: QuorumInfo, nodes: usize) -> QuorumView {
        QuorumView {
            quorate: q.quorate,
            votes: q.votes,
            needed: q.needed,
            nodes,
        }
    }
}

impl AwaitingFenceView {
    /// The view of `a` at instant `now`.
    pub fn from_info(a: &AwaitingFence, now: Instant) -> AwaitingFenceView {
        AwaitingFenceView {
            node: a.node.clone(),
            since_ms_ago: millis(now.saturating_duration_since(a.since)),
            fencer: a.fencer.clone(),
            failures: a.failures,
            watchdog_expires_in_ms: a
                .watchdog_until
                .map(|t| millis(t.saturating_duration_since(now))),
        }
    }
}

impl FenceRecordView {
    /// The view of `r` at instant `now`.
    pub fn from_record(r: &FenceRecord, now: Instant) -> FenceRecordView {
        FenceRecordView {
            target: r.target.clone(),
            by: r.by.clone(),
            method: r.method.clone(),
            ok: r.ok,
            at_ms_ago: millis(now.saturating_duration_since(r.at)),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(now: Instant) -> SafetyInfo {
        SafetyInfo {
            quorum: Some(QuorumInfo {
                quorate: true,
                votes: 2,
                needed: 2,
            }),
            fencing_configured: true,
            watchdog_timeout: Some(Duration::from_secs(5)),
            watchdog_withheld: Some("this process stalled".into()),
            awaiting_fence: vec![
                AwaitingFence {
                    node: "node4".into(),
                    since: now - Duration::from_millis(1500),
                    fencer: None,
                    failures: 0,
                    watchdog_until: Some(now + Duration::from_millis(7000)),
                },
                AwaitingFence {
                    node: "node3".into(),
                    since: now - Duration::from_millis(2500),
                    fencer: Some("node1".into()),
                    failures: 2,
                    watchdog_until: None,
                },
            ],
            history: vec![FenceRecord {
                target: "node3".into(),
                by: "node1".into(),
                method: "fence_ipmilan".into(),
                ok: false,
                at: now - Duration::from_millis(900),
            }],
        }
    }

    #[test]
    fn instants_become_ms_ago_and_ms_to_come() {
        let now = Instant::now() + Duration::from_secs(10);
        let v = SafetyView::from_info(&info(now), 3, now);
        assert_eq!(
            v.quorum,
            Some(QuorumView {
                quorate: true,
                votes: 2,
                needed: 2,
                nodes: 3
            })
        );
        let w = v.watchdog.as_ref().unwrap();
        assert_eq!((w.timeout_ms, w.petting), (5000, false));
        let names: Vec<&str> = v.awaiting_fence.iter().map(|a| a.node.as_str()).collect();
        assert_eq!(names, ["node3", "node4"]);
        assert_eq!(v.awaiting_fence[0].since_ms_ago, 2500);
        assert_eq!(v.awaiting_fence[1].watchdog_expires_in_ms, Some(7000));
        assert_eq!(v.fence_history[0].at_ms_ago, 900);
        assert!(!v.fence_history[0].ok);
        let off = SafetyView::from_info(&SafetyInfo::default(), 2, now);
        assert_eq!(off, SafetyView::default());
    }

    #[test]
    fn the_view_round_trips_through_json() {
        let now = Instant::now() + Duration::from_secs(10);
        let v = SafetyView::from_info(&info(now), 3, now);
        let text = serde_json::to_string(&v).unwrap();
        assert!(text.contains("\"watchdog_expires_in_ms\":7000"), "{text}");
        assert!(text.contains("\"at_ms_ago\":900"), "{text}");
        assert_eq!(serde_json::from_str::<SafetyView>(&text).unwrap(), v);
        let off = serde_json::to_string(&SafetyView::default()).unwrap();
        assert_eq!(
            off,
            r#"{"quorum":null,"fencing_configured":false,"watchdog":null,"awaiting_fence":[],"fence_history":[]}"#
        );
    }
}
