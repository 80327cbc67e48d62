//! Notify hooks (`notify_master`, `notify_backup`, `notify_fault`): each
//! group's state here is `fault` while a tracked check marks it faulty,
//! otherwise `master` while it runs here and `backup` when it does not
//! (`backup` at start, without a call). On every change the hooks for the
//! new state (global and the group's own, in file order) run with
//! `ARG... GROUP STATE` and `HA_GROUP`, `HA_STATE`, `HA_NODE` set, without a
//! shell and with the script timeout. One queue per group: its hooks run in
//! the order of the transitions, never two at once for the same group.

use std::collections::BTreeMap;
use std::time::Duration;

use heartbeat_core::config::{NotifyHook, NotifyState};
use heartbeat_core::engine::Event;
use tokio::process::Command;
use tokio::sync::{broadcast, mpsc};

use crate::child::{self, Ending};

/// What the hooks of one group know of it.
#[derive(Clone, Copy, Debug, Default)]
struct GroupState {
    held: bool,
    faulty: bool,
}

impl GroupState {
    fn state(self) -> NotifyState {
        if self.faulty {
            NotifyState::Fault
        } else if self.held {
            NotifyState::Master
        } else {
            NotifyState::Backup
        }
    }
}

/// Follows the engine's events and runs `hooks` on each group's changes.
pub(super) async fn maintain(
    hooks: Vec<NotifyHook>,
    node: String,
    groups: Vec<String>,
    timeout: Duration,
    mut events: broadcast::Receiver<Event>,
) {
    if hooks.is_empty() {
        return;
    }
    let mut states: BTreeMap<String, GroupState> = BTreeMap::new();
    let mut queues: BTreeMap<String, mpsc::UnboundedSender<NotifyState>> = BTreeMap::new();
    for g in &groups {
        states.insert(g.clone(), GroupState::default());
        let (tx, rx) = mpsc::unbounded_channel();
        let mine: Vec<NotifyHook> = hooks
            .iter()
            .filter(|h| h.group.as_deref().is_none_or(|k| k == g))
            .cloned()
            .collect();
        tokio::spawn(worker(mine, node.clone(), g.clone(), timeout, rx));
        queues.insert(g.clone(), tx);
    }
    loop {
        // (group, new `held`, new `faulty`)
        let (group, held, faulty) = match events.recv().await {
            Ok(Event::GroupAcquired { group }) => (group, Some(true), None),
            Ok(Event::GroupReleased { group }) => (group, Some(false), None),
            Ok(Event::GroupHealth { group, healthy }) => (group, None, Some(!healthy)),
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let Some(s) = states.get_mut(&group) else {
            continue;
        };
        let before = s.state();
        s.held = held.unwrap_or(s.held);
        s.faulty = faulty.unwrap_or(s.faulty);
        send(&queues, &group, before, s.state());
    }
}

fn send(
    queues: &BTreeMap<String, mpsc::UnboundedSender<NotifyState>>,
    group: &str,
    before: NotifyState,
    after: NotifyState,
) {
    if before != after {
        if let Some(q) = queues.get(group) {
            let _ = q.send(after);
        }
    }
}

async fn worker(
    hooks: Vec<NotifyHook>,
    node: String,
    group: String,
    timeout: Duration,
    mut rx: mpsc::UnboundedReceiver<NotifyState>,
) {
    while let Some(state) = rx.recv().await {
        for hook in hooks.iter().filter(|h| h.state == state) {
            run(hook, &node, &group, state, timeout).await;
        }
    }
}

async fn run(hook: &NotifyHook, node: &str, group: &str, state: NotifyState, timeout: Duration) {
    let mut command = Command::new(&hook.program);
    command
        .args(&hook.args)
        .arg(group)
        .arg(state.as_str())
        .env("HA_GROUP", group)
        .env("HA_STATE", state.as_str())
        .env("HA_NODE", node);
    match child::run(command, None, timeout).await.ending {
        Ending::Exited(0) => {}
        Ending::SpawnError(e) => tracing::warn!("notify hook {} cannot run: {e}", hook.program),
        Ending::TimedOut => {
            tracing::warn!("notify hook {} timed out after {timeout:?}", hook.program)
        }
        failed => tracing::warn!(
            "notify hook {} {group} {}: {failed}",
            hook.program,
            state.as_str()
        ),
    }
}
