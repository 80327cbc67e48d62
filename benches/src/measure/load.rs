//! False failovers under load: every setting's cluster runs at once while
//! burners saturate every core (and optionally the disk); nothing is done to
//! the clusters, so every script call and every node-dead log line in the
//! window is a spurious state change.

use std::path::Path;
use std::time::Duration;

use crate::cluster::{unix_now_ns, Binaries, Cluster};
use crate::error::{Error, Result};
use crate::stamps;
use crate::systems::{Setting, System};

use super::burners::Burners;
use super::idle::{measure_clusters, IdleRow};
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
    /// Whether node1 alone held the group before the load started (a
    /// setting that never settles is unusable, whatever it does later).
    pub settled: bool,
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
    /// Before the load: measure the idle cost of every cluster over this
    /// window (none: skip).
    pub idle_window: Option<Duration>,
}

/// Runs the load window over clusters of every one of `settings` at once;
/// with [`LoadSpec::idle_window`], first measures their idle cost.
pub fn false_failovers(
    settings: &[Setting],
    spec: &LoadSpec,
    parent: &Path,
    binaries: &Binaries,
) -> Result<(Vec<LoadRow>, Vec<IdleRow>)> {
    let mut clusters = Vec::new();
    for s in settings {
        let mut c = Cluster::create(*s, 2, 1, parent, binaries)?;
        c.start_all()?;
        clusters.push(c);
    }
    // One deadline for all: a setting that never settles must not hold up
    // the others for a full timeout each.
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    let mut settled = Vec::new();
    for c in &clusters {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match c.wait_preferred_owner(left.max(Duration::from_millis(100))) {
            Ok(()) => settled.push(true),
            Err(Error::Interrupted) => return Err(Error::Interrupted),
            Err(e) => {
                eprintln!("  load: {} never settled: {e}", c.setting().label());
                settled.push(false);
            }
        }
    }
    sleep(Duration::from_secs(3))?;
    let idle = match spec.idle_window {
        Some(window) => {
            eprintln!("  idle cost of {} clusters over {window:?}", clusters.len());
            measure_clusters(&clusters, window)?
        }
        None => Vec::new(),
    };
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
    let rows = clusters
        .iter()
        .zip(baseline.iter().zip(&late_base))
        .zip(settled)
        .map(|((c, (base, late0)), settled)| {
            let ([d0, d1], late) = counts(c);
            LoadRow {
                setting: *c.setting(),
                script_calls: stamps::script_calls_after(&c.stamps(), t0),
                dead_lines: (d0 - base[0]) + (d1 - base[1]),
                late_lines: late - late0,
                settled,
            }
        })
        .collect();
    Ok((rows, idle))
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
