//! SIGHUP: re-read the configuration directory. New `authkeys` are applied
//! at once (key rotation without a restart); other changes are reported as
//! needing a restart, line by line, and nothing else changes. A directory
//! that no longer validates is refused as a whole, with every error logged.

use std::collections::BTreeSet;
use std::path::Path;

use heartbeat_core::config::{Config, WireDialect};
use heartbeat_core::runtime::Cluster;

/// Re-reads `dir` for the node of `running` and applies what is safe;
/// returns the configuration now in force. `dialect` is the command line's
/// `--wire-dialect`, which still overrides the file.
pub(super) fn reload(
    dir: &Path,
    running: &Config,
    dialect: Option<WireDialect>,
    cluster: &Cluster,
) -> Config {
    let fresh = match Config::load(dir, &running.local_node) {
        Ok(mut fresh) => {
            if let Some(dialect) = dialect {
                fresh.set_wire_dialect(dialect);
            }
            fresh
        }
        Err(errors) => {
            for e in errors.errors() {
                tracing::error!("SIGHUP: {e}");
            }
            tracing::error!("SIGHUP: configuration refused; keeping the running one");
            return running.clone();
        }
    };
    let mut applied = running.clone();
    if fresh.keys != running.keys {
        match cluster.replace_keys(fresh.keys.clone()) {
            Ok(()) => {
                tracing::info!(
                    "SIGHUP: authkeys re-read: {} key(s), signing with index {}",
                    fresh.keys.keys.len(),
                    fresh.keys.active
                );
                applied.keys = fresh.keys.clone();
            }
            Err(e) => tracing::error!("SIGHUP: cannot apply authkeys: {e}"),
        }
    }
    let mut needs_restart = changed_lines(&applied, &fresh);
    if needs_restart.is_empty() && fresh.safety != applied.safety {
        // Device parameters and agent passwords are not printed, so a change
        // of only those shows no changed line.
        needs_restart.push("fencing settings (hidden values)".to_owned());
    }
    if needs_restart.is_empty() {
        tracing::info!("SIGHUP: nothing else changed");
    } else {
        tracing::warn!(
            "SIGHUP: these changes need a restart of heartbeatd and were not applied: {}",
            needs_restart.join("; ")
        );
    }
    applied
}

/// Lines of `fresh`'s effective configuration that `applied`'s lacks.
fn changed_lines(applied: &Config, fresh: &Config) -> Vec<String> {
    let old: BTreeSet<String> = applied
        .effective()
        .to_string()
        .lines()
        .map(str::to_owned)
        .collect();
    fresh
        .effective()
        .to_string()
        .lines()
        .filter(|l| !l.starts_with('#') && !old.contains(*l))
        .map(str::to_owned)
        .collect()
}
