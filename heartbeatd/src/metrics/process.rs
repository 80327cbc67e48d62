//! The standard `process_*` series of the Prometheus client libraries,
//! read from `/proc/self` at scrape time: memory, CPU, threads, file
//! descriptors and start time.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

/// The process's own series.
#[derive(Debug)]
pub struct ProcessCollector;

/// What one scrape reads of this process.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcessSample {
    /// User and system CPU time, seconds.
    pub cpu_seconds: f64,
    /// Resident set size, bytes.
    pub resident_bytes: f64,
    /// Virtual memory size, bytes.
    pub virtual_bytes: f64,
    /// Threads.
    pub threads: f64,
    /// Start time, seconds since the Unix epoch.
    pub start_time_seconds: f64,
    /// Open file descriptors.
    pub open_fds: f64,
    /// The soft limit on file descriptors.
    pub max_fds: f64,
}

impl ProcessSample {
    /// Reads this process's sample; `None` where `/proc` cannot be read.
    pub fn read() -> Option<ProcessSample> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let boot = boot_time()?;
        let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
            .ok()
            .flatten()? as f64;
        let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
            .ok()
            .flatten()? as f64;
        let fields = stat_fields(&stat)?;
        let field = |n: usize| fields.get(n).and_then(|f| f.parse::<f64>().ok());
        let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as f64;
        let (soft, _) =
            nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).ok()?;
        Some(ProcessSample {
            cpu_seconds: (field(UTIME)? + field(STIME)?) / ticks,
            resident_bytes: field(RSS)? * page,
            virtual_bytes: field(VSIZE)?,
            threads: field(THREADS)?,
            start_time_seconds: boot + field(STARTTIME)? / ticks,
            open_fds,
            max_fds: soft as f64,
        })
    }
}

// Indexes into the fields after the command name of `/proc/PID/stat`
// (proc(5) numbers them from 1 with the pid; the state is field 3).
const UTIME: usize = 14 - 3;
const STIME: usize = 15 - 3;
const THREADS: usize = 20 - 3;
const STARTTIME: usize = 22 - 3;
const VSIZE: usize = 23 - 3;
const RSS: usize = 24 - 3;

/// The fields of a `/proc/PID/stat` line after `(comm)`, which may itself
/// hold spaces and parentheses.
fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().collect())
}

/// Boot time, seconds since the Unix epoch (`btime` of `/proc/stat`).
fn boot_time() -> Option<f64> {
    std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(p) = ProcessSample::read() else {
            return Ok(());
        };
        let cpu = encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            None,
            MetricType::Counter,
        )?;
        ConstCounter::new(p.cpu_seconds).encode(cpu)?;
        let gauges = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                p.resident_bytes,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                p.virtual_bytes,
            ),
            ("process_threads", "Number of OS threads", p.threads),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds",
                p.start_time_seconds,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                p.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors",
                p.max_fds,
            ),
        ];
        for (name, help, value) in gauges {
            let m = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            ConstGauge::new(value).encode(m)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_name_with_spaces_and_parentheses_is_skipped() {
        let line = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 5 0 \
                    1234 1000000 250 18446744073709551615";
        let f = stat_fields(line).expect("fields");
        assert_eq!(f[0], "S");
        assert_eq!(f[UTIME], "7");
        assert_eq!(f[STIME], "3");
        assert_eq!(f[THREADS], "5");
        assert_eq!(f[STARTTIME], "1234");
        assert_eq!(f[VSIZE], "1000000");
        assert_eq!(f[RSS], "250");
    }

    #[test]
    fn this_process_reads_as_alive() {
        let p = ProcessSample::read().expect("/proc/self");
        assert!(p.resident_bytes > 0.0 && p.threads >= 1.0 && p.open_fds >= 3.0);
        assert!(p.max_fds >= p.open_fds && p.start_time_seconds > 1.0e9);
    }
}
