//! One resource group: the local action state machine (one action at a time,
//! follow-ups queued) and what this node believes about the group's owner.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use crate::engine::ActionKind;
use crate::wire::Holdings;

/// What this node is doing with a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum LocalState {
    /// Not running here.
    Stopped,
    /// A start action is running.
    Starting,
    /// Started successfully; held by this node.
    Running,
    /// A stop action is running.
    Stopping,
    /// A stop failed: the group is in an unknown state here and unmanaged.
    Failed,
}

/// A read-only view of one group for the status snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GroupView<'a> {
    /// Group key (first resource of the haresources line).
    pub(crate) key: &'a str,
    /// Preferred node (first token of the haresources line).
    pub(crate) preferred: &'a str,
    /// The node believed to hold the group (this node included), if known.
    pub(crate) owner: Option<&'a str>,
    /// What this node is doing with the group.
    pub(crate) state: LocalState,
}

/// An outstanding `IpRequest` of ours for one group: the group starts once
/// every live peer answered `ok`.
#[derive(Clone, Debug)]
pub(super) struct Request {
    /// Live peers that have not answered yet.
    pub(super) awaiting: BTreeSet<String>,
    /// Per peer, answers to our earlier requests for this group still on
    /// their way when this request began: the next that many answers from the
    /// peer are stale (they may predate a start of its own) and are skipped.
    /// A peer answers every `IpRequest` once and in order; if one was lost,
    /// a resend's answer gets through.
    pub(super) skip: BTreeMap<String, u32>,
    /// When to resend to the peers in `awaiting`.
    pub(super) retry_at: Instant,
}

/// One haresources group as seen by this node.
#[derive(Clone, Debug)]
pub(super) struct Group {
    /// Group key (first resource of the haresources line).
    pub(super) key: String,
    /// Preferred node (first token of the haresources line).
    pub(super) preferred: String,
    /// What this node is doing with the group.
    pub(super) state: LocalState,
    /// Follow-up action to issue when the one in flight finishes.
    pub(super) next: Option<ActionKind>,
    /// Believed holder (this node included); `None` when nobody / unknown.
    pub(super) owner: Option<String>,
    /// Our own outstanding `IpRequest`.
    pub(super) request: Option<Request>,
    /// Per peer, how many of our `IpRequest`s for this group it has not
    /// answered yet (across requests).
    pub(super) owed: BTreeMap<String, u32>,
    /// Peers whose `IpRequest`s we answer once our stop finished, with how
    /// many (one answer per request).
    pub(super) release_to: BTreeMap<String, u32>,
    /// Nodes on which a start of this group failed (they do not take it again).
    pub(super) failed_on: BTreeSet<String>,
    /// The stop in flight cleans up after a failed start: hand the group on.
    pub(super) handoff_after_stop: bool,
    /// The believed owner refused our request (`ok: false`): do not ask it
    /// again until the owner changes.
    pub(super) refused: bool,
    /// The stop in flight gives way to this better copy (an ownership
    /// conflict): it becomes the believed owner once we stopped.
    pub(super) yield_to: Option<String>,
    /// When the believed holder announced the group free with no other
    /// holder known: `reconcile` waits `orphan_grace` from then.
    pub(super) orphaned_at: Option<Instant>,
    /// A tracked health check fails for the group on this node.
    pub(super) check_failed: bool,
    /// The group is faulty on this node: a tracked check fails, or every
    /// ping node is lost (see `health`).
    pub(super) faulty_here: bool,
    /// The current fault was acted upon (handover or `GroupKeptFaulty`).
    pub(super) fault_reported: bool,
    /// The stop in flight hands the group to a healthy peer (see `health`).
    pub(super) health_handoff: bool,
    /// We handed the group over for health and nobody took it yet: if no
    /// live node turns out healthy for it (the taker turned faulty too),
    /// we take it back rather than leave it stopped (see `health`).
    pub(super) reclaim_if_unhealthy: bool,
}

impl Group {
    /// Group `key` preferred by `preferred`, stopped here, owner unknown.
    pub(super) fn new(key: &str, preferred: &str) -> Self {
        Group {
            key: key.to_owned(),
            preferred: preferred.to_owned(),
            state: LocalState::Stopped,
            next: None,
            owner: None,
            request: None,
            owed: BTreeMap::new(),
            release_to: BTreeMap::new(),
            failed_on: BTreeSet::new(),
            handoff_after_stop: false,
            refused: false,
            yield_to: None,
            orphaned_at: None,
            check_failed: false,
            faulty_here: false,
            fault_reported: false,
            health_handoff: false,
            reclaim_if_unhealthy: false,
        }
    }

    /// Whether this node runs (or is starting) the group, or may still have it
    /// running after a failed stop.
    pub(super) fn held_here(&self) -> bool {
        matches!(
            self.state,
            LocalState::Starting | LocalState::Running | LocalState::Failed
        )
    }

    /// Whether an action is in flight.
    pub(super) fn busy(&self) -> bool {
        matches!(self.state, LocalState::Starting | LocalState::Stopping)
    }

    /// Ask for `kind`. Returns the action to issue now; while another action is
    /// in flight the wish is queued (a later wish replaces an earlier one).
    pub(super) fn want(&mut self, kind: ActionKind) -> Option<ActionKind> {
        use ActionKind::{Start, Stop};
        use LocalState::*;
        match (self.state, kind) {
            (Starting, Start) | (Stopping, Stop) => {
                self.next = None;
                None
            }
            (Starting, Stop) | (Stopping, Start) => {
                self.next = Some(kind);
                None
            }
            (Stopped, Start) => {
                self.state = Starting;
                Some(Start)
            }
            (Running, Stop) => {
                self.state = Stopping;
                Some(Stop)
            }
            (Running, Start) | (Stopped, Stop) | (Failed, _) => None,
        }
    }

    /// At shutdown: one more stop of a group whose stop failed (Heartbeat
    /// too stops every resource when it leaves).
    pub(super) fn retry_failed_stop(&mut self) -> Option<ActionKind> {
        (self.state == LocalState::Failed).then(|| {
            self.state = LocalState::Stopping;
            ActionKind::Stop
        })
    }

    /// This group's class relative to `node`: its local groups or foreign ones.
    pub(super) fn class_for(&self, node: &str) -> Holdings {
        if self.preferred == node {
            Holdings::Local
        } else {
            Holdings::Foreign
        }
    }
}

/// Whether the set `set` includes the class `class` (`Local` or `Foreign`).
pub(super) fn includes(set: Holdings, class: Holdings) -> bool {
    matches!(
        (set, class),
        (Holdings::All, _)
            | (Holdings::Local, Holdings::Local)
            | (Holdings::Foreign, Holdings::Foreign)
    )
}

/// The union of two holdings.
pub(super) fn union(a: Holdings, b: Holdings) -> Holdings {
    let bits = |h| match h {
        Holdings::None => 0u8,
        Holdings::Local => 1,
        Holdings::Foreign => 2,
        Holdings::All => 3,
    };
    match bits(a) | bits(b) {
        0 => Holdings::None,
        1 => Holdings::Local,
        2 => Holdings::Foreign,
        _ => Holdings::All,
    }
}
