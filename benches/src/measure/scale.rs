//! Scale: heartbeatd clusters of growing size, two bcast links per node,
//! on this machine: detection time after kill -9 of the owner (to the first
//! survivor's start script), CPU per node and packets per second.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::cluster::{Binaries, Cluster};
use crate::error::{Error, Result};
use crate::procstat::{cpu_ticks, USER_HZ};
use crate::systems::Setting;

use super::sleep;

/// One cluster size.
#[derive(Clone, Debug)]
pub struct ScaleRow {
    /// Number of nodes.
    pub nodes: usize,
    /// kill -9 of node1 → first survivor's start, per run.
    pub detection: Vec<Duration>,
    /// Runs without a takeover in time.
    pub failures: usize,
    /// Mean CPU per node, % of one core.
    pub cpu_per_node: f64,
    /// Packets per second sent by all nodes together (both links).
    pub packets_per_second: f64,
}

/// `initdead` of the scale clusters: starting 64 daemons one after the
/// other takes seconds on a loaded machine, and a node that gives up on its
/// peers before they are all up takes the group itself.
pub const SCALE_INITDEAD: Duration = Duration::from_secs(20);

/// Measures every size in `sizes` at `setting` (a heartbeatd setting;
/// its initdead is set to [`SCALE_INITDEAD`]).
pub fn scale(
    setting: Setting,
    sizes: &[usize],
    runs: usize,
    window: Duration,
    parent: &Path,
    binaries: &Binaries,
) -> Result<Vec<ScaleRow>> {
    let mut rows = Vec::new();
    let setting = Setting {
        initdead_override: Some(SCALE_INITDEAD),
        ..setting
    };
    for &n in sizes {
        eprintln!("  scale: {n} nodes");
        match one_size(setting, n, runs, window, parent, binaries) {
            Ok(row) => rows.push(row),
            Err(Error::Interrupted) => return Err(Error::Interrupted),
            Err(e) => {
                eprintln!("  scale: {n} nodes: FAILED: {e}");
                rows.push(ScaleRow {
                    nodes: n,
                    detection: Vec::new(),
                    failures: runs,
                    cpu_per_node: f64::NAN,
                    packets_per_second: f64::NAN,
                });
            }
        }
    }
    Ok(rows)
}

fn one_size(
    setting: Setting,
    n: usize,
    runs: usize,
    window: Duration,
    parent: &Path,
    binaries: &Binaries,
) -> Result<ScaleRow> {
    {
        let mut c = Cluster::create(setting, n, 2, parent, binaries)?;
        c.start_all()?;
        c.wait_preferred_owner(SCALE_INITDEAD + Duration::from_secs(15))?;
        sleep(Duration::from_secs(2))?;
        let pids: Vec<i32> = (0..n).flat_map(|i| c.pids(i)).collect();
        let (t0, ticks0, pk0) = (Instant::now(), cpu_ticks(&pids), c.hosts().packets_sent());
        sleep(window)?;
        let secs = t0.elapsed().as_secs_f64();
        let cpu_per_node = (cpu_ticks(&pids) - ticks0) as f64 / USER_HZ / secs * 100.0 / n as f64;
        let packets_per_second = (c.hosts().packets_sent() - pk0) as f64 / secs;
        let mut row = ScaleRow {
            nodes: n,
            detection: Vec::new(),
            failures: 0,
            cpu_per_node,
            packets_per_second,
        };
        for run in 1..=runs {
            c.wait_preferred_owner(SCALE_INITDEAD + Duration::from_secs(15))?;
            sleep(setting.deadtime.max(Duration::from_secs(1)))?;
            let at = c.kill9(0);
            let found = c.wait_stamp(
                setting.deadtime * 4 + Duration::from_secs(15),
                "a survivor to start",
                |s| {
                    s.iter()
                        .find(|x| x.verb == "start" && x.node != "node1" && x.unix_ns > at)
                        .map(|x| x.unix_ns)
                },
            );
            match found {
                Ok(ns) => {
                    let took = Duration::from_nanos(ns.saturating_sub(at) as u64);
                    eprintln!(
                        "  scale {n} nodes run {run}: {:.1} ms",
                        took.as_secs_f64() * 1e3
                    );
                    row.detection.push(took);
                }
                Err(Error::Interrupted) => return Err(Error::Interrupted),
                Err(e) => {
                    eprintln!("  scale {n} nodes run {run}: FAILED: {e}");
                    row.failures += 1;
                }
            }
            c.start(0)?;
        }
        Ok(row)
    }
}
