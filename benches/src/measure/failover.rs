//! Failover times of two-node clusters: kill -9 of the owner, a cut of its
//! only link, a graceful SIGTERM and (with fencing) a hung owner, each
//! timed from the trigger to the survivor's timing script. On a fenced
//! setting each run also records when the power switch's fence of the
//! owner started and ended ([`FenceTimes`]).

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
    /// SIGSTOP of every process of the owner's daemon (a hung node, still
    /// holding its group until it is fenced).
    Hang,
}

impl Trigger {
    /// Every trigger, in report order.
    pub const ALL: [Trigger; 3] = [Trigger::Kill9, Trigger::LinkCut, Trigger::Graceful];

    /// The triggers measured with fencing, in report order.
    pub const FENCED: [Trigger; 2] = [Trigger::Kill9, Trigger::Hang];

    /// Heading used in the report.
    pub fn title(self) -> &'static str {
        match self {
            Trigger::Kill9 => "kill -9 of the owner's daemon → survivor's start script",
            Trigger::LinkCut => "link cut (owner's only link down) → survivor's start script",
            Trigger::Graceful => {
                "graceful handover (SIGTERM to the owner) → survivor's start script"
            }
            Trigger::Hang => "hung owner (SIGSTOP of its daemon) → survivor's start script",
        }
    }

    /// Short name for files and logs.
    pub fn slug(self) -> &'static str {
        match self {
            Trigger::Kill9 => "kill9",
            Trigger::LinkCut => "linkcut",
            Trigger::Graceful => "graceful",
            Trigger::Hang => "hang",
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
    /// On a fenced setting, the fence of the owner in each successful run
    /// whose timing log shows one (so at most one per sample).
    pub fences: Vec<FenceTimes>,
}

/// Where the fence fell in one fenced failover, as offsets from the
/// trigger, and how long the whole failover took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FenceTimes {
    /// Trigger → the power switch's `fence-start` line.
    pub start: Duration,
    /// Trigger → its `fenced` line (no process of the owner left).
    pub done: Duration,
    /// Trigger → the survivor's start script (the run's sample).
    pub total: Duration,
}

impl FenceTimes {
    /// How long the fence itself took.
    pub fn fence(&self) -> Duration {
        self.done.saturating_sub(self.start)
    }

    /// From the fence's end to the survivor's start script.
    pub fn after(&self) -> Duration {
        self.total.saturating_sub(self.done)
    }

    /// The fence's share of the whole failover (0–1).
    pub fn share(&self) -> f64 {
        if self.total.is_zero() {
            return 0.0;
        }
        self.fence().as_secs_f64() / self.total.as_secs_f64()
    }
}

/// The outcome of one successful run.
struct Sample {
    took: Duration,
    fence: Option<FenceTimes>,
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

/// `initdead` of the fenced settings: generous, since a node never seen
/// by then is fenced (as Heartbeat does).
pub const FENCED_INITDEAD: Duration = Duration::from_secs(10);

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
            fences: Vec::new(),
        };
        for run in 1..=runs {
            match one_run(&mut cluster, trigger) {
                Ok(Sample { took, fence }) => {
                    let fence_text = fence
                        .map(|f| {
                            format!(
                                " (fence {:.1}–{:.1} ms)",
                                f.start.as_secs_f64() * 1e3,
                                f.done.as_secs_f64() * 1e3
                            )
                        })
                        .unwrap_or_default();
                    eprintln!(
                        "  {} {:<9} run {run:>2}: {:>9.2} ms{fence_text}",
                        setting.label(),
                        trigger.slug(),
                        took.as_secs_f64() * 1e3
                    );
                    row.samples.push(took);
                    row.fences.extend(fence);
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
fn one_run(c: &mut Cluster, trigger: Trigger) -> Result<Sample> {
    c.wait_preferred_owner(RESTORE_LIMIT)?;
    sleep(settle(c.setting()))?;
    let up = c.uptime(0);
    sleep(min_owner_uptime(c.setting()).saturating_sub(up))?;
    let survivor = node_name(1);
    let at = match trigger {
        Trigger::Kill9 => c.kill9(0),
        Trigger::LinkCut => c.cut_link(0)?,
        Trigger::Graceful => c.terminate(0)?,
        Trigger::Hang => c.hang(0),
    };
    let started = c.wait_stamp(takeover_limit(c.setting()), "the survivor to start", |s| {
        stamps::first_start_after(s, &survivor, at).map(|x| x.unix_ns)
    });
    restore(c, trigger)?;
    let started = started?;
    let since = |ns: u128| Duration::from_nanos(ns.saturating_sub(at) as u64);
    let fence =
        stamps::fence_between(&c.stamps(), &node_name(0), at, started).map(|(s, d)| FenceTimes {
            start: since(s),
            done: since(d),
            total: since(started),
        });
    Ok(Sample {
        took: since(started),
        fence,
    })
}

/// Brings node1 back: a cut node is killed (a clean slate), its link healed,
/// a terminated one reaped, a hung one killed (if no fence did); then it is
/// started again.
fn restore(c: &mut Cluster, trigger: Trigger) -> Result<()> {
    match trigger {
        Trigger::Kill9 => {}
        Trigger::Hang => {
            c.kill9(0);
        }
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
