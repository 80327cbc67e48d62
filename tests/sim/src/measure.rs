//! Measurements on simulated clusters: the failure-detection time distribution.

use std::time::Duration;

use crate::cluster::{Cluster, ClusterSpec};
use crate::faults::LinkFaults;
use crate::invariants::Violation;
use crate::rng::SimRng;
use crate::timing;
use heartbeat_core::engine::NodeState;

/// Summary of a set of durations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Distribution {
    /// Number of samples.
    pub count: usize,
    /// Smallest.
    pub min: Duration,
    /// Median.
    pub median: Duration,
    /// 95th percentile (nearest rank).
    pub p95: Duration,
    /// Largest.
    pub max: Duration,
}

impl Distribution {
    /// Summarize `samples` (`None` if empty).
    pub fn of(samples: &[Duration]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let mut s = samples.to_vec();
        s.sort_unstable();
        let rank = |q: f64| s[((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1];
        Some(Distribution {
            count: s.len(),
            min: s[0],
            median: rank(0.5),
            p95: rank(0.95),
            max: s[s.len() - 1],
        })
    }
}

/// Result of [`detection_times`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetectionRun {
    /// Crash → `Dead` event at the peer, one per run.
    pub crash_to_dead: Vec<Duration>,
    /// Last status sent by the crashed node → `Dead` event at the peer.
    pub last_status_to_dead: Vec<Duration>,
    /// Runs in which the peer never declared the node dead (should be 0).
    pub undetected: usize,
}

/// Crash one node of a two-node cluster `runs` times (seeds `seed`, `seed+1`, ...)
/// with the given timers, on one clean medium with a 100 µs delay plus a jitter
/// of up to `jitter`, at a random phase of its keepalive, and measure when the
/// peer declares it dead. The invariants are checked as usual.
pub fn detection_times(
    keepalive: Duration,
    deadtime: Duration,
    jitter: Duration,
    runs: usize,
    seed: u64,
) -> Result<DetectionRun, Violation> {
    let mut out = DetectionRun {
        crash_to_dead: Vec::with_capacity(runs),
        last_status_to_dead: Vec::with_capacity(runs),
        undetected: 0,
    };
    for k in 0..runs {
        let seed = seed.wrapping_add(k as u64);
        let mut rng = SimRng::new(seed);
        let mut spec = ClusterSpec::new(2, seed);
        spec.media = 1;
        spec.timing = timing(keepalive, deadtime);
        spec.groups = vec![0];
        spec.link = LinkFaults {
            jitter,
            ..LinkFaults::CLEAN
        };
        let settle = spec.timing.initdead + deadtime + keepalive * 3;
        let mut c = Cluster::new(spec);
        c.run_until(settle + rng.duration(Duration::ZERO, keepalive))?;
        let crash_at = c.now();
        c.crash(0)?;
        let found = c.run_until_cond(deadtime * 3, |c| c.view(1, 0) == NodeState::Dead)?;
        match c.detections().first() {
            Some(s) if found => {
                out.crash_to_dead.push(s.dead_at - crash_at);
                out.last_status_to_dead.push(s.dead_at - s.last_status_at);
            }
            _ => out.undetected += 1,
        }
    }
    Ok(out)
}
