//! False failovers under load: every setting's cluster runs at once while
//! burners saturate every core (and optionally the disk); nothing is done to
//! the clusters, so every script call and every node-dead log line in the
//! window is a spurious state change.

use std::path::Path;
use std::time::Duration;

use crate::cluster::{unix_now_ns, Binaries, Cluster};
use crate::error::Result;
use crate::stamps;
use crate::systems::{Setting, System};

use super::burners::Burners;
use super::sleep;

/// What one setting did during the load window.
#[derive(Clone, Debug)]
pub struct LoadRow {
    /// System and timers.
    pub setting: Setting,
    /// Start/stop/fault script calls in the window.
    pub script_calls: usize,
    /// Log lines declaring a peer dead (keepalived: entering MASTER state).
    pub dead_lines: usize,
    /// "Late heartbeat" warnings (heartbeatd and Heartbeat only).
    pub late_lines: usize,
}

/// Log lines that mean "I decided my peer is dead".
pub fn dead_needles(system: System) -> &'static [&'static str] {
    match system {
        System::Heartbeatd | System::Heartbeat => &[": is dead"],
        System::Keepalived => &["Entering MASTER STATE"],
    }
}

/// Parameters of the load window.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// How long the load lasts.
    pub duration: Duration,
    /// Burner threads (normally one per core).
    pub cpus: usize,
    /// Also write to disk.
    pub disk_io: bool,
}

/// Runs the load window over clusters of every one of `settings` at once.
pub fn false_failovers(
    settings: &[Setting],
    spec: &LoadSpec,
    parent: &Path,
    binaries: &Binaries,
) -> Result<Vec<LoadRow>> {
    let mut clusters = Vec::new();
    for s in settings {
        let mut c = Cluster::create(*s, 2, 1, parent, binaries)?;
        c.start_all()?;
        clusters.push(c);
    }
    for c in &clusters {
        c.wait_preferred_owner(Duration::from_secs(90))?;
    }
    sleep(Duration::from_secs(3))?;
    let baseline: Vec<[usize; 2]> = clusters.iter().map(|c| counts(c).0).collect();
    let late_base: Vec<usize> = clusters.iter().map(|c| counts(c).1).collect();
    let t0 = unix_now_ns();
    eprintln!(
        "  load: {} burner(s){} for {:?} over {} clusters",
        spec.cpus,
        if spec.disk_io { " + disk writer" } else { "" },
        spec.duration,
        clusters.len()
    );
    {
        let _burners = Burners::start(spec.cpus, spec.disk_io.then_some(parent));
        sleep(spec.duration)?;
    }
    // Let whatever the load set in motion show up in the logs.
    sleep(Duration::from_secs(3))?;
    Ok(clusters
        .iter()
        .zip(baseline.iter().zip(&late_base))
        .map(|(c, (base, late0))| {
            let ([d0, d1], late) = counts(c);
            LoadRow {
                setting: *c.setting(),
                script_calls: stamps::script_calls_after(&c.stamps(), t0),
                dead_lines: (d0 - base[0]) + (d1 - base[1]),
                late_lines: late - late0,
            }
        })
        .collect())
}

/// (dead lines per node, late lines of both nodes) so far.
fn counts(c: &Cluster) -> ([usize; 2], usize) {
    let needles = dead_needles(c.setting().system);
    let dead = [c.count_log_lines(0, needles), c.count_log_lines(1, needles)];
    let late = (0..2)
        .map(|i| c.count_log_lines(i, &["Late heartbeat"]))
        .sum();
    (dead, late)
}
