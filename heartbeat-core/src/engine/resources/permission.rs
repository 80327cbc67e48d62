//! What the safety part allows (see `engine::safety`): without quorum every
//! group stops and none starts; while a dead peer waits for its reset,
//! running groups keep running and none starts.
//!
//! Every start goes through [`Resources::acquire`] or the end of a
//! handshake (`complete`); both ask [`Resources::may_start`]. A start that
//! is refused is simply not begun: once starting is allowed again,
//! `reconcile` acquires what this node is rightful for.

use std::time::Instant;

use super::group::Then;
use super::{LocalState, Resources};
use crate::engine::safety::Permission;

impl Resources {
    /// The safety part allows `permission` from now on.
    pub(crate) fn set_permission(&mut self, now: Instant, permission: Permission) {
        let before = std::mem::replace(&mut self.permission, permission);
        if permission == Permission::Stop && before != Permission::Stop {
            self.stop_everything();
        }
        self.settle(now);
    }

    /// Whether a group may start here now.
    pub(super) fn may_start(&self) -> bool {
        self.permission == Permission::Run
    }

    /// Quorum lost: give up requests and exchanges, stop every group that
    /// runs or starts here (a failed one cannot be stopped). Nobody is
    /// handed anything: the majority takes the groups.
    fn stop_everything(&mut self) {
        self.standby.cancel_all();
        for i in 0..self.groups.len() {
            self.groups[i].request = None;
            if matches!(
                self.groups[i].state(),
                LocalState::Running | LocalState::Starting
            ) {
                self.stop(i, |after| {
                    after.failed_start = false;
                    after.then = Then::Release;
                });
            }
        }
    }
}
