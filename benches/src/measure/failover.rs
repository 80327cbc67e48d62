//! Failover times of two-node clusters: kill -9 of the owner, a cut of its
//! only link, and a graceful SIGTERM, each timed from the trigger to the
//! survivor's timing script.

use std::path::Path;
use std::time::Duration;

use crate::cluster::{node_name, Binaries, Cluster};
use crate::error::{Error, Result};
use crate::stamps;
use crate::systems::{Setting, System};

use super::sleep;

/// What is done to the owner (node1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// SIGKILL of every process of the owner's daemon.
    Kill9,
    /// `ip link set eth0 down` in the owner's namespace.
    LinkCut,
    /// SIGTERM to the owner's daemon.
    Graceful,
}

impl Trigger {
    /// Every trigger, in report order.
    pub const ALL: [Trigger; 3] = [Trigger::Kill9, Trigger::LinkCut, Trigger::Graceful];

    /// Heading used in the report.
    pub fn title(self) -> &'static str {
        match self {
            Trigger::Kill9 => "kill -9 of the owner's daemon → survivor's start script",
            Trigger::LinkCut => "link cut (owner's only link down) → survivor's start script",
            Trigger::Graceful => {
                "graceful handover (SIGTERM to the owner) → survivor's start script"
            }
        }
    }

    /// Short name for files and logs.
    pub fn slug(self) -> &'static str {
        match self {
            Trigger::Kill9 => "kill9",
            Trigger::LinkCut => "linkcut",
            Trigger::Graceful => "graceful",
        }
    }
}

/// The samples of one setting under one trigger.
#[derive(Clone, Debug)]
pub struct FailoverRow {
    /// System and timers.
    pub setting: Setting,
    /// What was done.
    pub trigger: Trigger,
    /// Trigger → survivor's start, one per successful run.
    pub samples: Vec<Duration>,
    /// Runs in which the survivor did not start in time.
    pub failures: usize,
}

/// How long a takeover may take before the run counts as failed.
fn takeover_limit(s: &Setting) -> Duration {
    s.deadtime * 4 + Duration::from_secs(15)
}

/// Quiet time before each trigger, so the previous failback has settled
/// and a few heartbeats have flowed.
fn settle(s: &Setting) -> Duration {
    (s.interval * 2 + Duration::from_millis(200)).max(Duration::from_millis(500))
}

/// How long the owner must have run before it is hit: Heartbeat advertises
/// deadtime + 2 s for its first 5 s (a start-up allowance, not what a
/// long-running node gets), so its owner must be older than that.
pub fn min_owner_uptime(s: &Setting) -> Duration {
    match s.system {
        System::Heartbeat => Duration::from_secs(6),
        _ => Duration::ZERO,
    }
}

const RESTORE_LIMIT: Duration = Duration::from_secs(90);

/// Measures `runs` runs of each of `triggers` on one fresh cluster of `setting`.
pub fn measure(
    setting: Setting,
    runs: usize,
    triggers: &[Trigger],
    parent: &Path,
    binaries: &Binaries,
) -> Result<Vec<FailoverRow>> {
    let mut cluster = Cluster::create(setting, 2, 1, parent, binaries)?;
    cluster.start_all()?;
    cluster.wait_preferred_owner(RESTORE_LIMIT)?;
    let mut rows = Vec::new();
    for &trigger in triggers {
        let mut row = FailoverRow {
            setting,
            trigger,
            samples: Vec::new(),
            failures: 0,
        };
        for run in 1..=runs {
            match one_run(&mut cluster, trigger) {
                Ok(took) => {
                    eprintln!(
                        "  {} {:<9} run {run:>2}: {:>9.2} ms",
                        setting.label(),
                        trigger.slug(),
                        took.as_secs_f64() * 1e3
                    );
                    row.samples.push(took);
                }
                Err(Error::Interrupted) => return Err(Error::Interrupted),
                Err(e) => {
                    eprintln!(
                        "  {} {} run {run}: FAILED: {e}",
                        setting.label(),
                        trigger.slug()
                    );
                    row.failures += 1;
                    reset(&mut cluster)?;
                }
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

/// One trigger and the survivor's takeover, then node1 restored.
fn one_run(c: &mut Cluster, trigger: Trigger) -> Result<Duration> {
    c.wait_preferred_owner(RESTORE_LIMIT)?;
    sleep(settle(c.setting()))?;
    let up = c.uptime(0);
    sleep(min_owner_uptime(c.setting()).saturating_sub(up))?;
    let survivor = node_name(1);
    let at = match trigger {
        Trigger::Kill9 => c.kill9(0),
        Trigger::LinkCut => c.cut_link(0)?,
        Trigger::Graceful => c.terminate(0)?,
    };
    let started = c.wait_stamp(takeover_limit(c.setting()), "the survivor to start", |s| {
        stamps::first_start_after(s, &survivor, at).map(|x| x.unix_ns)
    });
    restore(c, trigger)?;
    let started = started?;
    Ok(Duration::from_nanos(started.saturating_sub(at) as u64))
}

/// Brings node1 back: a cut node is killed (a clean slate), its link healed,
/// a terminated one reaped; then it is started again.
fn restore(c: &mut Cluster, trigger: Trigger) -> Result<()> {
    match trigger {
        Trigger::Kill9 => {}
        Trigger::LinkCut => {
            c.kill9(0);
            c.heal_link(0)?;
        }
        Trigger::Graceful => c.wait_down(0, Duration::from_secs(30)),
    }
    c.start(0)
}

/// After a failed run: both nodes killed and started again.
fn reset(c: &mut Cluster) -> Result<()> {
    c.kill9(0);
    c.kill9(1);
    c.heal_link(0)?;
    c.start_all()?;
    c.wait_preferred_owner(RESTORE_LIMIT)
}
