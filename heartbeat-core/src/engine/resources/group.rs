//! One resource group: its local lifecycle (a state machine with one action
//! in flight at a time and the decision that follows a stop), its health
//! here, and what this node believes about the group's owner.

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

/// What to do once the stop in flight (or queued behind a start) has
/// completed: the one decision a group remembers across its stop.
///
/// Requesters come first: while any is left, the group goes to them and
/// `then` is ignored (it takes effect if every requester died meanwhile).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct AfterStop {
    /// Peers whose `IpRequest`s are answered `we_own: true` once the stop
    /// finished, with how many (one answer per request); the best-ranked
    /// becomes the believed owner.
    pub(super) answer: BTreeMap<String, u32>,
    /// The stop cleans up after a failed start here: once stopped, this node
    /// counts as failed for the group (and hands it on unless it goes to a
    /// requester or a winner). A later request or conflict cancels it.
    pub(super) failed_start: bool,
    /// Otherwise (no requester left).
    pub(super) then: Then,
}

/// The decision of an [`AfterStop`] when no requester is left.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) enum Then {
    /// Nobody is known to hold the group; it is handed on after a failed
    /// start or when a standby exchange moves it (operator standby,
    /// shutdown, a plain stop).
    #[default]
    Release,
    /// Hand the group to the rightful healthy peer (a health handover; not
    /// while shutting down), and take it back if no node turns out healthy.
    HandOverForHealth,
    /// Give way to a better copy (an ownership conflict): the winner, if
    /// still alive, becomes the believed owner.
    YieldTo(String),
}

/// The lifecycle of a group on this node: at most one action in flight, a
/// stop requested during a start is queued behind it.
///
/// ```text
///            start               ok, no stop queued
/// Stopped ──────────► Starting ─────────────────────► Running
///    ▲                   │ failed, or ok with a stop queued │ stop
///    │ stop ok           ▼                                  ▼
///    └──────────────── Stopping ◄───────────────────────────┘
///            stop failed │ ▲ retry once at shutdown
///                        ▼ │
///                       Failed
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) enum Lifecycle {
    /// Not running here.
    #[default]
    Stopped,
    /// A start action is running; `stop_next` is the stop requested
    /// meanwhile, issued once the start finished.
    Starting {
        /// The stop queued behind the start, with its follow-up.
        stop_next: Option<AfterStop>,
    },
    /// Started successfully; held by this node.
    Running,
    /// A stop action is running, followed by its [`AfterStop`].
    Stopping(AfterStop),
    /// A stop failed: the group is in an unknown state here and unmanaged.
    Failed,
}

/// One haresources group as seen by this node.
#[derive(Clone, Debug)]
pub(super) struct Group {
    /// Group key (first resource of the haresources line).
    pub(super) key: String,
    /// Preferred node (first token of the haresources line).
    pub(super) preferred: String,
    /// What this node is doing with the group (changed by the transition
    /// methods only).
    life: Lifecycle,
    /// Believed holder (this node included); `None` when nobody / unknown.
    pub(super) owner: Option<String>,
    /// Our own outstanding `IpRequest`.
    pub(super) request: Option<Request>,
    /// Per peer, how many of our `IpRequest`s for this group it has not
    /// answered yet (across requests).
    pub(super) owed: BTreeMap<String, u32>,
    /// Nodes on which a start of this group failed (they do not take it again).
    pub(super) failed_on: BTreeSet<String>,
    /// The believed owner refused our request (`ok: false`): do not ask it
    /// again until the owner changes.
    pub(super) refused: bool,
    /// When the believed holder announced the group free with no other
    /// holder known: `reconcile` waits `orphan_grace` from then.
    pub(super) orphaned_at: Option<Instant>,
    /// Service health of the group on this node.
    pub(super) health: Health,
}

/// Service health of one group on this node (see `health`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Health {
    /// A tracked health check fails for the group on this node.
    pub(super) check_failed: bool,
    /// The group is faulty on this node: a tracked check fails, or every
    /// ping node is lost.
    pub(super) faulty: bool,
    /// The current fault was acted upon (handover or `GroupKeptFaulty`).
    pub(super) fault_reported: bool,
    /// We handed the group over for health and nobody took it yet: if no
    /// live node turns out healthy for it (the taker turned faulty too),
    /// we take it back rather than leave it stopped.
    pub(super) reclaim_if_unhealthy: bool,
}

impl Health {
    /// Recompute the fault from the check and the ping state. On a change a
    /// new fault episode begins (or ends); returns whether it changed.
    pub(super) fn refresh(&mut self, ping_lost: bool) -> bool {
        let faulty = self.check_failed || ping_lost;
        if self.faulty == faulty {
            return false;
        }
        self.faulty = faulty;
        self.fault_reported = false;
        true
    }
}

impl Group {
    /// Group `key` preferred by `preferred`, stopped here, owner unknown.
    pub(super) fn new(key: &str, preferred: &str) -> Self {
        Group {
            key: key.to_owned(),
            preferred: preferred.to_owned(),
            life: Lifecycle::Stopped,
            owner: None,
            request: None,
            owed: BTreeMap::new(),
            failed_on: BTreeSet::new(),
            refused: false,
            orphaned_at: None,
            health: Health::default(),
        }
    }

    /// What this node is doing with the group.
    pub(super) fn state(&self) -> LocalState {
        match self.life {
            Lifecycle::Stopped => LocalState::Stopped,
            Lifecycle::Starting { .. } => LocalState::Starting,
            Lifecycle::Running => LocalState::Running,
            Lifecycle::Stopping(_) => LocalState::Stopping,
            Lifecycle::Failed => LocalState::Failed,
        }
    }

    /// A new belief about the holder (`None`: nobody, or unknown); a
    /// refusal by the previous one is forgotten.
    pub(super) fn believe_owner(&mut self, owner: Option<String>) {
        self.owner = owner;
        self.refused = false;
    }

    /// `node` holds nothing any more: if we believed it held the group,
    /// nobody is known to.
    pub(super) fn forget_owner(&mut self, node: &str) {
        if self.owner.as_deref() == Some(node) {
            self.believe_owner(None);
        }
    }

    /// Whether this node runs (or is starting) the group, or may still have it
    /// running after a failed stop.
    pub(super) fn held_here(&self) -> bool {
        matches!(
            self.life,
            Lifecycle::Starting { .. } | Lifecycle::Running | Lifecycle::Failed
        )
    }

    /// Whether an action is in flight.
    pub(super) fn busy(&self) -> bool {
        matches!(
            self.life,
            Lifecycle::Starting { .. } | Lifecycle::Stopping(_)
        )
    }

    /// `Stopped -> Starting`: returns the start to issue. Only a stopped
    /// group is started (every caller checks).
    pub(super) fn start(&mut self) -> Option<ActionKind> {
        debug_assert_eq!(self.life, Lifecycle::Stopped, "{}: start", self.key);
        (self.life == Lifecycle::Stopped).then(|| {
            self.life = Lifecycle::Starting { stop_next: None };
            ActionKind::Start
        })
    }

    /// Ask for a stop, with `decide` shaping what follows it. Running: the
    /// stop is returned, to issue now. Starting or Stopping: the decision is
    /// merged into the stop queued or in flight. Stopped or Failed: nothing
    /// to stop, `decide` is not called.
    pub(super) fn stop(&mut self, decide: impl FnOnce(&mut AfterStop)) -> Option<ActionKind> {
        match &mut self.life {
            Lifecycle::Running => {
                let mut after = AfterStop::default();
                decide(&mut after);
                self.life = Lifecycle::Stopping(after);
                Some(ActionKind::Stop)
            }
            Lifecycle::Starting { stop_next } => {
                decide(stop_next.get_or_insert_with(AfterStop::default));
                None
            }
            Lifecycle::Stopping(after) => {
                decide(after);
                None
            }
            Lifecycle::Stopped | Lifecycle::Failed => None,
        }
    }

    /// The start in flight finished: `Starting -> Running`, or `-> Stopping`
    /// when a stop was queued or the start failed (its clean-up stop, marked
    /// [`AfterStop::failed_start`]). Returns the stop to issue, if any.
    pub(super) fn start_finished(&mut self, ok: bool) -> Option<ActionKind> {
        let Lifecycle::Starting { stop_next } = std::mem::take(&mut self.life) else {
            unreachable!("{}: start finished while not starting", self.key);
        };
        match (ok, stop_next) {
            (true, None) => {
                self.life = Lifecycle::Running;
                None
            }
            (true, Some(after)) => {
                self.life = Lifecycle::Stopping(after);
                Some(ActionKind::Stop)
            }
            (false, stop_next) => {
                let mut after = stop_next.unwrap_or_default();
                after.failed_start = true;
                self.life = Lifecycle::Stopping(after);
                Some(ActionKind::Stop)
            }
        }
    }

    /// The stop in flight finished: `Stopping -> Stopped`, or `-> Failed`
    /// when it failed. Returns its follow-up.
    pub(super) fn stop_finished(&mut self, ok: bool) -> AfterStop {
        let Lifecycle::Stopping(after) = std::mem::take(&mut self.life) else {
            unreachable!("{}: stop finished while not stopping", self.key);
        };
        self.life = if ok {
            Lifecycle::Stopped
        } else {
            Lifecycle::Failed
        };
        after
    }

    /// At shutdown: one more stop of a group whose stop failed (Heartbeat
    /// too stops every resource when it leaves), `Failed -> Stopping`.
    pub(super) fn retry_failed_stop(&mut self) -> Option<ActionKind> {
        (self.life == Lifecycle::Failed).then(|| {
            self.life = Lifecycle::Stopping(AfterStop::default());
            ActionKind::Stop
        })
    }

    /// `peer` is gone: its requests need no answer.
    pub(super) fn forget_requester(&mut self, peer: &str) {
        if let Lifecycle::Starting {
            stop_next: Some(after),
        }
        | Lifecycle::Stopping(after) = &mut self.life
        {
            after.answer.remove(peer);
        }
    }

    /// Force the lifecycle (tests that fake a state behind everyone's back).
    #[cfg(test)]
    pub(super) fn force(&mut self, life: Lifecycle) {
        self.life = life;
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

#[cfg(test)]
mod tests {
    use super::*;
    use ActionKind::{Start, Stop};

    fn running() -> Group {
        let mut g = Group::new("g1", "n1");
        assert_eq!(g.start(), Some(Start));
        assert_eq!(g.start_finished(true), None);
        g
    }

    #[test]
    fn start_run_stop() {
        let mut g = running();
        assert_eq!(g.state(), LocalState::Running);
        assert!(g.held_here() && !g.busy());
        assert_eq!(g.stop(|_| {}), Some(Stop));
        assert_eq!(g.state(), LocalState::Stopping);
        assert!(!g.held_here() && g.busy());
        assert_eq!(g.stop_finished(true), AfterStop::default());
        assert_eq!(g.state(), LocalState::Stopped);
    }

    #[test]
    fn a_stop_asked_for_during_a_start_waits_for_it() {
        let mut g = Group::new("g1", "n1");
        g.start();
        assert_eq!(g.stop(|a| a.then = Then::YieldTo("n2".into())), None);
        assert_eq!(g.state(), LocalState::Starting);
        assert_eq!(g.start_finished(true), Some(Stop));
        let after = g.stop_finished(true);
        assert_eq!(after.then, Then::YieldTo("n2".into()));
        assert!(!after.failed_start);
    }

    #[test]
    fn a_failed_start_is_cleaned_up_and_keeps_the_queued_decision() {
        let mut g = Group::new("g1", "n1");
        g.start();
        g.stop(|a| *a.answer.entry("n2".into()).or_default() += 1);
        assert_eq!(g.start_finished(false), Some(Stop));
        let after = g.stop_finished(true);
        assert!(after.failed_start);
        assert_eq!(after.answer.get("n2"), Some(&1));
    }

    #[test]
    fn decisions_merge_into_the_stop_in_flight() {
        let mut g = running();
        g.stop(|a| a.then = Then::HandOverForHealth);
        assert_eq!(
            g.stop(|a| *a.answer.entry("n2".into()).or_default() += 1),
            None
        );
        g.forget_requester("n2");
        assert_eq!(
            g.stop_finished(true),
            AfterStop {
                then: Then::HandOverForHealth,
                ..AfterStop::default()
            }
        );
    }

    #[test]
    fn a_failed_stop_leaves_the_group_unmanaged_until_shutdown_retries() {
        let mut g = running();
        g.stop(|_| {});
        g.stop_finished(false);
        assert_eq!(g.state(), LocalState::Failed);
        assert!(g.held_here());
        assert_eq!(g.stop(|_| unreachable!("nothing to stop")), None);
        assert_eq!(g.retry_failed_stop(), Some(Stop));
        assert_eq!(g.retry_failed_stop(), None);
        assert_eq!(g.stop_finished(true), AfterStop::default());
        assert_eq!(g.state(), LocalState::Stopped);
    }
}
