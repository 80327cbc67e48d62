//! Idle cost: CPU and memory of every node of a healthy two-node cluster
//! over a window, with all settings' clusters running side by side.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::cluster::{Binaries, Cluster};
use crate::error::Result;
use crate::procstat::{cpu_ticks, memory_kib, USER_HZ};
use crate::systems::Setting;

use super::sleep;

/// Cost of one setting's nodes.
#[derive(Clone, Debug)]
pub struct IdleRow {
    /// System and timers.
    pub setting: Setting,
    /// CPU of node1 (owner) and node2, in % of one core.
    pub cpu_percent: [f64; 2],
    /// Sum of RSS of each node's processes, KiB.
    pub rss_kib: [u64; 2],
    /// Sum of PSS of each node's processes, KiB.
    pub pss_kib: [u64; 2],
    /// Processes per node.
    pub processes: usize,
    /// The measured window.
    pub window: Duration,
}

/// Measures every one of `settings` over `window`.
pub fn idle_cost(
    settings: &[Setting],
    window: Duration,
    parent: &Path,
    binaries: &Binaries,
) -> Result<Vec<IdleRow>> {
    let mut clusters = Vec::new();
    for s in settings {
        let mut c = Cluster::create(*s, 2, 1, parent, binaries)?;
        c.start_all()?;
        clusters.push(c);
    }
    for c in &clusters {
        c.wait_preferred_owner(Duration::from_secs(90))?;
    }
    sleep(Duration::from_secs(2))?;
    measure_clusters(&clusters, window)
}

/// Measures the running `clusters` over `window` (healthy and settled).
pub fn measure_clusters(clusters: &[Cluster], window: Duration) -> Result<Vec<IdleRow>> {
    let pids: Vec<[Vec<i32>; 2]> = clusters.iter().map(|c| [c.pids(0), c.pids(1)]).collect();
    let before: Vec<[u64; 2]> = pids
        .iter()
        .map(|p| [cpu_ticks(&p[0]), cpu_ticks(&p[1])])
        .collect();
    let t0 = Instant::now();
    sleep(window)?;
    let secs = t0.elapsed().as_secs_f64();
    Ok(clusters
        .iter()
        .zip(pids.iter().zip(&before))
        .map(|(c, (p, b))| {
            let cpu =
                |n: usize| cpu_ticks(&p[n]).saturating_sub(b[n]) as f64 / USER_HZ / secs * 100.0;
            let (m0, m1) = (memory_kib(&p[0]), memory_kib(&p[1]));
            IdleRow {
                setting: *c.setting(),
                cpu_percent: [cpu(0), cpu(1)],
                rss_kib: [m0.0, m1.0],
                pss_kib: [m0.1, m1.1],
                processes: p[0].len(),
                window,
            }
        })
        .collect())
}
