//! Health checks (`check` / `track` in `ha.cf`): one tokio task per check
//! runs it every `interval` (see [`probe`]), counts `fall` consecutive
//! failures before the check fails and `rise` successes before it passes
//! again, and logs its output on every change of state only. A group is
//! healthy while every check it tracks passes; each change is reported to the
//! engine with [`Cluster::group_health`], which hands a faulty group to a
//! healthy peer. Checks start as passing, so start-up is not delayed.

pub mod probe;

use std::collections::BTreeMap;
use std::sync::Arc;

use heartbeat_core::config::{Check, Health};
use heartbeat_core::runtime::Cluster;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::metrics::DaemonMetrics;

/// Consecutive-result counting of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damper {
    fall: u32,
    rise: u32,
    passing: bool,
    streak: u32,
}

impl Damper {
    /// A passing check with these thresholds.
    pub fn new(fall: u32, rise: u32) -> Self {
        Damper {
            fall: fall.max(1),
            rise: rise.max(1),
            passing: true,
            streak: 0,
        }
    }

    /// Whether the check passes now (after the fall/rise counting).
    pub fn passing(&self) -> bool {
        self.passing
    }

    /// Records one result; returns the new state if it changed.
    pub fn record(&mut self, ok: bool) -> Option<bool> {
        if ok == self.passing {
            self.streak = 0;
            return None;
        }
        self.streak += 1;
        let needed = if self.passing { self.fall } else { self.rise };
        if self.streak < needed {
            return None;
        }
        self.passing = ok;
        self.streak = 0;
        Some(ok)
    }
}

/// Starts the checks of `health` that some group tracks, each run recorded
/// in `metrics`; they run until the returned set is dropped.
pub fn spawn(health: &Health, cluster: Arc<Cluster>, metrics: DaemonMetrics) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    let tracked: Vec<&Check> = health
        .checks
        .iter()
        .filter(|c| health.tracks.iter().any(|t| t.checks.contains(&c.name)))
        .collect();
    if tracked.is_empty() {
        return tasks;
    }
    let (tx, rx) = mpsc::channel(64);
    for check in tracked {
        tasks.spawn(run_check(check.clone(), tx.clone(), metrics.clone()));
    }
    tasks.spawn(aggregate(health.clone(), rx, cluster));
    tasks
}

async fn run_check(check: Check, tx: mpsc::Sender<(String, bool)>, metrics: DaemonMetrics) {
    let mut damper = Damper::new(check.fall, check.rise);
    let mut ticker = tokio::time::interval(check.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let started = std::time::Instant::now();
        let p = probe::run(&check.kind, check.timeout).await;
        let changed = damper.record(p.ok);
        metrics.check_finished(&check.name, started.elapsed(), damper.passing());
        if let Some(passing) = changed {
            let word = if passing { "passes" } else { "fails" };
            tracing::warn!("health check {} {word}: {}", check.name, p.detail);
            if tx.send((check.name.clone(), passing)).await.is_err() {
                return;
            }
        }
    }
}

async fn aggregate(health: Health, mut rx: mpsc::Receiver<(String, bool)>, cluster: Arc<Cluster>) {
    let mut failing: BTreeMap<String, bool> = BTreeMap::new();
    let groups: Vec<String> = {
        let mut g: Vec<String> = health.tracks.iter().map(|t| t.group.clone()).collect();
        g.sort();
        g.dedup();
        g
    };
    let mut healthy: BTreeMap<String, bool> = groups.iter().map(|g| (g.clone(), true)).collect();
    while let Some((name, passing)) = rx.recv().await {
        failing.insert(name, !passing);
        for group in &groups {
            let now = health
                .checks_of(group)
                .iter()
                .all(|c| !failing.get(*c).copied().unwrap_or(false));
            if healthy.insert(group.clone(), now) != Some(now) {
                let word = if now { "healthy" } else { "faulty" };
                tracing::warn!("resource group {group} is {word} on this node");
                if cluster.group_health(group, now).is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Damper;

    #[test]
    fn fall_and_rise_count_consecutive_results() {
        let mut d = Damper::new(3, 2);
        assert_eq!(d.record(false), None);
        assert_eq!(d.record(true), None, "a success resets the streak");
        assert_eq!(d.record(false), None);
        assert_eq!(d.record(false), None);
        assert_eq!(d.record(false), Some(false));
        assert_eq!(d.record(false), None);
        assert_eq!(d.record(true), None);
        assert_eq!(d.record(true), Some(true));
    }
}
