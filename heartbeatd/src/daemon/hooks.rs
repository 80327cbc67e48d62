//! Notify hooks (`notify_master`, `notify_backup`, `notify_fault`): each
//! group's state here is `fault` while a tracked check marks it faulty,
//! otherwise `master` while it runs here and `backup` when it does not
//! (`backup` at start, without a call). On every change the hooks for the
//! new state (global and the group's own, in file order) run with
//! `ARG... GROUP STATE` and `HA_GROUP`, `HA_STATE`, `HA_NODE` set, without a
//! shell and with the script timeout. One worker per group: its hooks run
//! in the order of the transitions, never two at once for the same group;
//! transitions that come while hooks run (a flapping group, a hung hook)
//! fold into the latest state, so the hooks catch up with the group
//! instead of falling further behind, and nothing queues up.
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
use tokio::sync::{broadcast, watch};

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

/// Follows the engine's events and runs `hooks` on each group's changes,
/// re-reading from `status` which groups run here after falling behind the
/// events.
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
    let mut queues: BTreeMap<String, watch::Sender<NotifyState>> = BTreeMap::new();
    for g in &groups {
        states.insert(g.clone(), GroupState::default());
        let (tx, rx) = watch::channel(NotifyState::Backup);
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
    queues: &BTreeMap<String, watch::Sender<NotifyState>>,
    group: &str,
    before: NotifyState,
    after: NotifyState,
) {
    if before != after {
        if let Some(q) = queues.get(group) {
            q.send_replace(after);
        }
    }
}

async fn worker(
    hooks: Vec<NotifyHook>,
    node: String,
    group: String,
    timeout: Duration,
    mut rx: watch::Receiver<NotifyState>,
) {
    // `backup` at start, without a call.
    let mut announced = NotifyState::Backup;
    while rx.changed().await.is_ok() {
        // The latest state: those passed through while the last hooks ran
        // are not announced any more.
        let state = *rx.borrow_and_update();
        if state == announced {
            continue;
        }
        announced = state;
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

    /// A hook writing `GROUP STATE` to `log` after `pause`.
    fn logging_hook(dir: &std::path::Path, state: NotifyState, pause: &str) -> NotifyHook {
        let log = dir.join("calls");
        let program = dir.join(format!("hook-{}", state.as_str()));
        std::fs::write(
            &program,
            format!(
                "#!/bin/sh\nsleep {pause}\necho \"$HA_GROUP $HA_STATE\" >> {}\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        NotifyHook {
            state,
            group: None,
            program: program.display().to_string(),
            args: Vec::new(),
        }
    }

    #[tokio::test]
    async fn slow_hooks_catch_up_with_a_flapping_group() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("calls");
        let hooks = vec![
            logging_hook(dir.path(), NotifyState::Master, "0.5"),
            logging_hook(dir.path(), NotifyState::Backup, "0.5"),
        ];
        let (events, rx) = broadcast::channel(256);
        let (_status_tx, status) =
            watch::channel(super::super::state_files::status_with_web_running().await);
        let follower = tokio::spawn(follow(
            hooks,
            "a".into(),
            vec!["web".into()],
            Duration::from_secs(10),
            rx,
            status,
        ));
        // 41 transitions while the first hook runs, ending with master.
        for i in 0..41 {
            let group = "web".to_owned();
            let event = if i % 2 == 0 {
                Event::GroupAcquired { group }
            } else {
                Event::GroupReleased { group }
            };
            events.send(event).unwrap();
        }
        tokio::time::sleep(Duration::from_secs(4)).await;
        let calls = std::fs::read_to_string(&log).unwrap_or_default();
        follower.abort();
        // The first transition's hook, then only the latest state: not 41
        // hooks half a second each, 20 s behind the group.
        assert_eq!(calls, "web master\n", "{calls}");
    }

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
