//! Per-group state files for rcron-style jobs: `<run dir>/<group>.state`
//! holds `active` while this node runs the group and `passive` otherwise,
//! replaced atomically (written beside, then renamed). The run directory is
//! the control socket's. Characters of the group key other than ASCII
//! letters, digits, `.`, `-` and `_` become `_` in the file name.

use std::io;
use std::path::{Path, PathBuf};

use heartbeat_core::engine::Event;
use tokio::sync::broadcast;

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

/// Marks every group passive, then follows acquisitions and releases.
pub async fn maintain(
    run_dir: PathBuf,
    groups: Vec<String>,
    mut events: broadcast::Receiver<Event>,
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
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

fn report(run_dir: &Path, group: &str, active: bool) {
    if let Err(e) = write_state(run_dir, group, active) {
        tracing::warn!("cannot write the state file of {group}: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
