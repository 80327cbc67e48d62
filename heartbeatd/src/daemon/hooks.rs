//! Notify hooks (`notify_master`, `notify_backup`, `notify_fault`): each
//! group's state here is `fault` while a tracked check marks it faulty,
//! otherwise `master` while it runs here and `backup` when it does not
//! (`backup` at start, without a call). On every change the hooks for the
//! new state (global and the group's own, in file order) run with
//! `ARG... GROUP STATE` and `HA_GROUP`, `HA_STATE`, `HA_NODE` set, without a
//! shell and with the script timeout. One queue per group: its hooks run in
//! the order of the transitions, never two at once for the same group.
//!
//! A follower that falls behind the event stream has lost transitions: with
//! a status watch ([`follow`]) it re-reads which groups run here and runs
//! the hooks of any state that changed meanwhile (a group's health is not in
//! the status: its last known value stands).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use heartbeat_core::config::{NotifyHook, NotifyState};
use heartbeat_core::engine::{ClusterStatus, Event};
use tokio::process::Command;
use tokio::sync::{broadcast, mpsc, watch};

use super::state_files::runs_here;

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
/// Without a status to re-read, transitions lost by falling behind are only
/// logged: prefer [`follow`].
pub(super) async fn maintain(
    hooks: Vec<NotifyHook>,
    node: String,
    groups: Vec<String>,
    timeout: Duration,
    events: broadcast::Receiver<Event>,
) {
    keep(hooks, node, groups, timeout, events, None).await;
}

/// Like [`maintain`], re-reading from `status` which groups run here after
/// falling behind the events.
// Called by `daemon::run` once it hands its status watch over (issue 21).
#[allow(dead_code)]
pub(super) async fn follow(
    hooks: Vec<NotifyHook>,
    node: String,
    groups: Vec<String>,
    timeout: Duration,
    events: broadcast::Receiver<Event>,
    status: watch::Receiver<Arc<ClusterStatus>>,
) {
    keep(hooks, node, groups, timeout, events, Some(status)).await;
}

async fn keep(
    hooks: Vec<NotifyHook>,
    node: String,
    groups: Vec<String>,
    timeout: Duration,
    mut events: broadcast::Receiver<Event>,
    status: Option<watch::Receiver<Arc<ClusterStatus>>>,
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
            Ok(_) => continue,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!("notify hooks fell behind the events: {n} missed");
                if let Some(status) = &status {
                    let now = Arc::clone(&status.borrow());
                    for (group, s) in &mut states {
                        let before = s.state();
                        s.held = runs_here(&now, group).unwrap_or(s.held);
                        send(&queues, group, before, s.state());
                    }
                }
                continue;
            }
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[tokio::test]
    async fn a_follower_that_fell_behind_runs_the_hooks_it_missed() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("calls");
        let program = dir.path().join("hook");
        std::fs::write(
            &program,
            format!(
                "#!/bin/sh\necho \"$HA_GROUP $HA_STATE\" >> {}\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let hook = NotifyHook {
            state: NotifyState::Master,
            group: None,
            program: program.display().to_string(),
            args: Vec::new(),
        };
        let (_status_tx, status) =
            watch::channel(super::super::state_files::status_with_web_running().await);
        // GroupAcquired{web} is lost: the channel keeps only the last 4.
        let (events, rx) = broadcast::channel(4);
        let _ = events.send(Event::GroupAcquired {
            group: "web".into(),
        });
        for _ in 0..10 {
            let _ = events.send(Event::CommUp);
        }
        let follower = tokio::spawn(follow(
            vec![hook],
            "a".into(),
            vec!["web".into()],
            Duration::from_secs(10),
            rx,
            status,
        ));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(&log).unwrap_or_default() != "web master\n" {
            assert!(std::time::Instant::now() < deadline, "no master hook ran");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        follower.abort();
    }
}
