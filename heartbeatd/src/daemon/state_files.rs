//! Per-group state files for rcron-style jobs: `<run dir>/<group>.state`
//! holds `active` while this node runs the group and `passive` otherwise,
//! replaced atomically (written beside, then renamed). The run directory is
//! the control socket's. Characters of the group key other than ASCII
//! letters, digits, `.`, `-` and `_` become `_` in the file name.
//!
//! The files follow the engine's events; a follower that falls behind the
//! event stream (a flood of rejected datagrams, say) has lost some, and
//! re-reads from the status snapshot which groups run here
//! ([`runs_here`]) instead of keeping a file that may say the opposite.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use heartbeat_core::engine::{ClusterStatus, Event, GroupActivity};
use tokio::sync::{broadcast, watch};

/// The state file of `group` in `run_dir`.
pub fn state_file(run_dir: &Path, group: &str) -> PathBuf {
    let name: String = group
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    run_dir.join(format!("{name}.state"))
}

/// Writes `active` or `passive` for `group` atomically.
pub fn write_state(run_dir: &Path, group: &str, active: bool) -> io::Result<()> {
    let path = state_file(run_dir, group);
    let tmp = path.with_extension("state.tmp");
    std::fs::write(&tmp, if active { "active\n" } else { "passive\n" })?;
    std::fs::rename(&tmp, &path)
}

/// Marks every group passive, then follows acquisitions and releases; after
/// falling behind the events it rewrites every file from `status`.
pub async fn follow(
    run_dir: PathBuf,
    groups: Vec<String>,
    events: broadcast::Receiver<Event>,
    status: watch::Receiver<Arc<ClusterStatus>>,
) {
    keep(run_dir, groups, events, Some(status)).await;
}

async fn keep(
    run_dir: PathBuf,
    groups: Vec<String>,
    mut events: broadcast::Receiver<Event>,
    status: Option<watch::Receiver<Arc<ClusterStatus>>>,
) {
    for g in &groups {
        report(&run_dir, g, false);
    }
    loop {
        match events.recv().await {
            Ok(Event::GroupAcquired { group }) => report(&run_dir, &group, true),
            Ok(Event::GroupReleased { group }) | Ok(Event::GroupHandedOver { group, .. }) => {
                report(&run_dir, &group, false)
            }
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!("state files fell behind the events: {n} missed");
                let Some(status) = &status else { continue };
                let now = Arc::clone(&status.borrow());
                for g in &groups {
                    if let Some(active) = runs_here(&now, g) {
                        report(&run_dir, g, active);
                    }
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Whether `group` runs on this node according to `status`: `Some(true)`
/// while it runs, `Some(false)` while stopped or starting, `None` while a
/// stop runs or after one failed (what was last reported stands), or for
/// an unknown group.
pub fn runs_here(status: &ClusterStatus, group: &str) -> Option<bool> {
    let info = status.groups.iter().find(|g| g.key == group)?;
    match info.activity {
        GroupActivity::Running => Some(true),
        GroupActivity::Stopped | GroupActivity::Starting => Some(false),
        GroupActivity::Stopping | GroupActivity::Failed => None,
    }
}

fn report(run_dir: &Path, group: &str, active: bool) {
    if let Err(e) = write_state(run_dir, group, active) {
        tracing::warn!("cannot write the state file of {group}: {e}");
    }
}

/// A real status in which group `web` runs here, for the lag tests.
#[cfg(test)]
pub(crate) async fn status_with_web_running() -> Arc<ClusterStatus> {
    use heartbeat_core::config::Config;
    use heartbeat_core::engine::Identity;
    use heartbeat_core::runtime::{memory::MemoryHub, Cluster};
    use heartbeat_core::wire::NodeUuid;

    let ha_cf = "keepalive 50ms\ndeadtime 1\ninitdead 1\nbcast eth0\nnode a b\n";
    let authkeys = "auth 1\n1 sha256 lag-test\n";
    let config = Config::from_texts(ha_cf, authkeys, "a web\n", "a").unwrap();
    let identity = Identity {
        uuid: NodeUuid([1; 16]),
        generation: 1,
    };
    let hub = MemoryHub::new(1);
    let cluster = Cluster::builder(config, identity)
        .start_with_transport(hub.attach("a"))
        .unwrap();
    let mut status = cluster.watch_status();
    let running = status.wait_for(|s| runs_here(s, "web") == Some(true));
    tokio::time::timeout(std::time::Duration::from_secs(60), running)
        .await
        .expect("web runs within 60 s")
        .map(|s| Arc::clone(&s))
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_follower_that_fell_behind_rewrites_the_files_from_the_status() {
        let dir = tempfile::tempdir().unwrap();
        let (_status_tx, status) = watch::channel(status_with_web_running().await);
        // GroupAcquired{web} went by while the follower was busy: only 4 of
        // the 10 events after it are left when it reads.
        let (events, rx) = broadcast::channel(4);
        let groups = vec!["web".to_owned()];
        std::fs::write(state_file(dir.path(), "web"), "passive\n").unwrap();
        let _ = events.send(Event::GroupAcquired {
            group: "web".into(),
        });
        for _ in 0..10 {
            let _ = events.send(Event::CommUp);
        }
        let follower = tokio::spawn(follow(dir.path().into(), groups, rx, status));
        let file = state_file(dir.path(), "web");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::read_to_string(&file).unwrap_or_default() != "active\n" {
            assert!(std::time::Instant::now() < deadline, "web still passive");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        follower.abort();
    }

    #[test]
    fn state_files_are_replaced_and_named_safely() {
        let dir = std::env::temp_dir().join(format!("hb-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = state_file(&dir, "10.0.0.1/24");
        assert_eq!(path.file_name().unwrap(), "10.0.0.1_24.state");
        write_state(&dir, "10.0.0.1/24", true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "active\n");
        write_state(&dir, "10.0.0.1/24", false).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "passive\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
