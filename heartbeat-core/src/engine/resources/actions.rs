//! Resource actions: issuing the start or stop a group's transition asks
//! for, and what follows when one finishes (the [`AfterStop`] of a stop).

use std::collections::BTreeMap;

use super::group::{AfterStop, Then};
use super::{LocalState, Resources};
use crate::engine::{ActionKind, Event, ResourceAction};

impl Resources {
    /// Issue `kind` on group `i`, if a transition asked for it.
    pub(super) fn issue(&mut self, i: usize, kind: Option<ActionKind>) {
        if let Some(kind) = kind {
            let group = self.groups[i].key.clone();
            self.actions.push_back(ResourceAction { group, kind });
        }
    }

    /// Start group `i` (it is stopped).
    pub(super) fn start(&mut self, i: usize) {
        let kind = self.groups[i].start();
        self.issue(i, kind);
    }

    /// Stop group `i`, `decide` shaping what follows (see
    /// [`Group::stop`](super::Group::stop)).
    pub(super) fn stop(&mut self, i: usize, decide: impl FnOnce(&mut AfterStop)) {
        let kind = self.groups[i].stop(decide);
        self.issue(i, kind);
    }

    /// The action `kind` on `group` finished. Returns false (and changes
    /// nothing) if no such action is in flight: not ours, or a duplicate.
    pub(super) fn action_finished(&mut self, group: &str, kind: ActionKind, ok: bool) -> bool {
        let Some(i) = self.index(group) else {
            return false;
        };
        let expected = match kind {
            ActionKind::Start => LocalState::Starting,
            ActionKind::Stop => LocalState::Stopping,
        };
        if self.groups[i].state() != expected {
            return false;
        }
        match (kind, ok) {
            (ActionKind::Start, true) => self.start_succeeded(i),
            (ActionKind::Start, false) => self.start_failed(i),
            (ActionKind::Stop, true) => self.stop_succeeded(i),
            (ActionKind::Stop, false) => self.stop_failed(i),
        }
        true
    }

    /// Group `i` started: held here; a stop queued meanwhile goes out now.
    fn start_succeeded(&mut self, i: usize) {
        let stop = self.groups[i].start_finished(true);
        let g = &mut self.groups[i];
        g.believe_owner(Some(self.me.clone()));
        g.failed_on.clear();
        g.health.reclaim_if_unhealthy = false;
        // Running while faulty (taken back after a hand-over nobody could
        // accept): a new fault episode, reported or handed over afresh.
        g.health.fault_reported = false;
        self.events.push_back(Event::GroupAcquired {
            group: g.key.clone(),
        });
        self.issue(i, stop);
    }

    /// Group `i`'s start failed: clean up with a stop, then hand it on.
    fn start_failed(&mut self, i: usize) {
        self.events.push_back(Event::GroupFailed {
            group: self.groups[i].key.clone(),
            kind: ActionKind::Start,
        });
        // Give it up: clean up whatever part of it started, then hand it on.
        let stop = self.groups[i].start_finished(false);
        self.issue(i, stop);
    }

    /// Group `i` stopped: carry out its [`AfterStop`].
    fn stop_succeeded(&mut self, i: usize) {
        let after = self.groups[i].stop_finished(true);
        let g = &mut self.groups[i];
        self.events.push_back(Event::GroupReleased {
            group: g.key.clone(),
        });
        if after.failed_start {
            g.failed_on.insert(self.me.clone());
        }
        if !after.answer.is_empty() {
            let best = after
                .answer
                .keys()
                .min_by_key(|n| (self.rank(i, n), (*n).clone()))
                .cloned();
            self.groups[i].owner = best;
            self.answer(i, after.answer, true);
            return;
        }
        match after.then {
            Then::YieldTo(winner) => {
                // We gave way to a better copy (ownership conflict).
                self.groups[i].owner = self.is_alive(&winner).then_some(winner);
            }
            Then::HandOverForHealth if !self.shutting_down => {
                self.groups[i].owner = None;
                self.groups[i].health.reclaim_if_unhealthy = true;
                self.hand_off(i);
            }
            Then::HandOverForHealth | Then::Release => {
                self.groups[i].owner = None;
                if after.failed_start || self.standby.involves(i) {
                    self.hand_off(i);
                }
            }
        }
    }

    /// Group `i`'s stop failed: it stays here unmanaged; requesters are
    /// refused.
    fn stop_failed(&mut self, i: usize) {
        let after = self.groups[i].stop_finished(false);
        let g = &mut self.groups[i];
        g.owner = Some(self.me.clone());
        self.events.push_back(Event::GroupFailed {
            group: g.key.clone(),
            kind: ActionKind::Stop,
        });
        self.answer(i, after.answer, false);
    }

    /// Answer `we_own: true, ok` to each request of `requesters` for group `i`.
    fn answer(&mut self, i: usize, requesters: BTreeMap<String, u32>, ok: bool) {
        for (r, count) in requesters {
            for _ in 0..count {
                self.respond(&r, i, true, ok);
            }
        }
    }
}
