//! The systems under test and their settings, and the configuration files
//! each needs (pure text generation, unit-tested). Every system runs the same
//! timing script ([`stamp_script`]) as its "start script": heartbeatd and
//! Heartbeat call it from `resource.d` as a haresources resource, keepalived
//! from `notify_master` / `notify_backup` / `notify_fault`.

use std::path::Path;
use std::time::Duration;

pub mod heartbeat;
pub mod heartbeatd;
pub mod keepalived;

/// One of the compared daemons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum System {
    /// This project's daemon.
    Heartbeatd,
    /// keepalived (VRRPv3), Debian's package.
    Keepalived,
    /// Linux-HA Heartbeat 3.0.6 in haresources mode, Debian's package.
    Heartbeat,
}

impl System {
    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            System::Heartbeatd => "heartbeatd",
            System::Keepalived => "keepalived",
            System::Heartbeat => "Heartbeat 3.0.6",
        }
    }
}

/// A system at one timer setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Setting {
    /// Which daemon.
    pub system: System,
    /// keepalive (heartbeatd, Heartbeat) or advert_int (keepalived).
    pub interval: Duration,
    /// deadtime; for keepalived the master-down interval of the backup
    /// (3 × advert_int + skew), which it derives itself.
    pub deadtime: Duration,
    /// `initdead` instead of the default of [`Setting::initdead`].
    pub initdead_override: Option<Duration>,
    /// Fencing with the bench's power switch ([`crate::power`]), if any.
    pub fencing: Option<Fencing>,
    /// heartbeatd only: `metrics_listen 127.0.0.1:9694` (the HTTP listener
    /// of `/metrics` and the status page, in each node's namespace).
    pub metrics_listen: bool,
}

/// A STONITH device in `ha.cf` (heartbeatd and Heartbeat 3.0.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fencing {
    /// heartbeatd's `fence_delay` (how long a two-node survivor that held
    /// no group waits before it fences); `None` leaves the default (5 s).
    /// Heartbeat 3.0.6 has no such directive.
    pub delay: Option<Duration>,
}

/// heartbeatd's `fence_delay` when `ha.cf` does not set it.
pub const DEFAULT_FENCE_DELAY: Duration = Duration::from_secs(5);

/// Priority of the preferred keepalived node; the other one has [`BACKUP_PRIORITY`].
pub const MASTER_PRIORITY: u32 = 150;
/// Priority of the non-preferred keepalived node.
pub const BACKUP_PRIORITY: u32 = 100;

impl Setting {
    /// heartbeatd or Heartbeat at `keepalive_ms` / `deadtime_ms`.
    pub fn ha(system: System, keepalive_ms: u64, deadtime_ms: u64) -> Setting {
        Setting {
            system,
            interval: Duration::from_millis(keepalive_ms),
            deadtime: Duration::from_millis(deadtime_ms),
            initdead_override: None,
            fencing: None,
            metrics_listen: false,
        }
    }

    /// keepalived at `advert_int` = `advert_ms`.
    pub fn keepalived(advert_ms: u64) -> Setting {
        let advert = Duration::from_millis(advert_ms);
        // RFC 5798: Master_Down_Interval = 3 × Advertisement_Interval + Skew_Time,
        // Skew_Time = ((256 − Priority) × Advertisement_Interval) / 256.
        let skew = advert * (256 - BACKUP_PRIORITY) / 256;
        Setting {
            system: System::Keepalived,
            interval: advert,
            deadtime: advert * 3 + skew,
            initdead_override: None,
            fencing: None,
            metrics_listen: false,
        }
    }

    /// This setting fenced by the power switch, with `initdead` raised to
    /// `initdead` (nodes never seen by then are fenced) and, for
    /// heartbeatd, `fence_delay` set to `delay` (`None`: the default).
    pub fn fenced(self, delay: Option<Duration>, initdead: Duration) -> Setting {
        Setting {
            initdead_override: Some(initdead),
            fencing: Some(Fencing { delay }),
            ..self
        }
    }

    /// This setting with heartbeatd's HTTP listener on.
    pub fn with_metrics_listen(self) -> Setting {
        Setting {
            metrics_listen: true,
            ..self
        }
    }

    /// heartbeatd's effective `fence_delay` when fenced, else `None`.
    pub fn fence_delay(&self) -> Option<Duration> {
        match (self.system, self.fencing) {
            (System::Heartbeatd, Some(f)) => Some(f.delay.unwrap_or(DEFAULT_FENCE_DELAY)),
            _ => None,
        }
    }

    /// `heartbeatd 100 ms / 400 ms`, `keepalived advert_int 0.05`, …;
    /// fenced heartbeatd settings add their fence_delay
    /// (`heartbeatd 1 s / 3 s, fence_delay 0`).
    pub fn label(&self) -> String {
        let base = match self.system {
            System::Keepalived => format!("keepalived advert_int {}", seconds_text(self.interval)),
            s => format!(
                "{} {} / {}",
                s.name(),
                duration_text(self.interval),
                duration_text(self.deadtime)
            ),
        };
        let base = if self.metrics_listen {
            format!("{base}, metrics_listen")
        } else {
            base
        };
        match (self.fence_delay(), self.fencing.and_then(|f| f.delay)) {
            (Some(d), Some(_)) if d.is_zero() => format!("{base}, fence_delay 0"),
            (Some(d), Some(_)) => format!("{base}, fence_delay {}", duration_text(d)),
            (Some(d), None) => format!("{base}, fence_delay {} (default)", duration_text(d)),
            (None, _) => base,
        }
    }

    /// A short name usable in file names: `heartbeatd-100ms`.
    pub fn slug(&self) -> String {
        let sys = match self.system {
            System::Heartbeatd => "heartbeatd",
            System::Keepalived => "keepalived",
            System::Heartbeat => "heartbeat",
        };
        let fenced = if self.fencing.is_some() {
            "-fenced"
        } else {
            ""
        };
        let metrics = if self.metrics_listen { "-metrics" } else { "" };
        format!("{sys}-{}ms{fenced}{metrics}", self.interval.as_millis())
    }

    /// The `ha.cf` lines that make this setting fence with the power
    /// switch: `stonith_host` (from [`crate::power::stonith_host_line`])
    /// and, for heartbeatd with an explicit delay, `fence_delay`; empty
    /// when not fenced.
    pub fn fencing_lines(&self, stonith_host_line: &str) -> String {
        let Some(fencing) = self.fencing else {
            return String::new();
        };
        let mut text = stonith_host_line.to_owned();
        if let (System::Heartbeatd, Some(delay)) = (self.system, fencing.delay) {
            text.push_str(&format!("fence_delay {}\n", ms_value(delay)));
        }
        text
    }

    /// `initdead` for heartbeatd and Heartbeat: the deadtime, but at least
    /// 2 s so a restarting node hears its peer before it decides alone.
    pub fn initdead(&self) -> Duration {
        self.initdead_override
            .unwrap_or_else(|| self.deadtime.max(Duration::from_secs(2)))
    }

    /// `warntime`: half the deadtime, above one keepalive.
    pub fn warntime(&self) -> Duration {
        (self.deadtime / 2).max(self.interval + Duration::from_millis(1))
    }
}

/// `10 ms`, `1 s`, `1.5 s`.
pub fn duration_text(d: Duration) -> String {
    let ms = d.as_millis();
    if ms >= 1000 && ms % 100 == 0 {
        format!("{} s", seconds_text(d))
    } else {
        format!("{ms} ms")
    }
}

/// A duration in seconds without trailing zeros: `1`, `0.05`, `0.01`.
pub fn seconds_text(d: Duration) -> String {
    let s = format!("{:.3}", d.as_secs_f64());
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// ha.cf time value in ms: `1000ms`.
pub fn ms_value(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// The timing script of node `node`: called as `SCRIPT GROUP start|stop|status`
/// (or `fault`), it keeps the resource state in `state` and appends
/// `<unix ns> <node> <group> <verb>` to `log` for every call but `status`.
pub fn stamp_script(node: &str, state: &Path, log: &Path) -> String {
    format!(
        "#!/bin/sh\n\
         # bench-stamp GROUP start|stop|status|fault: the benchmark's timing script\n\
         now=$(date +%s%N)\n\
         case \"$2\" in\n\
         start) touch '{state}';;\n\
         stop|fault) rm -f '{state}';;\n\
         status) if [ -e '{state}' ]; then echo running; else echo stopped; fi; exit 0;;\n\
         esac\n\
         echo \"$now {node} $1 $2\" >> '{log}'\n\
         exit 0\n",
        state = state.display(),
        log = log.display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalived_master_down_interval_follows_rfc5798() {
        let s = Setting::keepalived(1000);
        assert_eq!(s.deadtime, Duration::from_micros(3_609_375));
        assert_eq!(s.label(), "keepalived advert_int 1");
        assert_eq!(
            Setting::keepalived(10).label(),
            "keepalived advert_int 0.01"
        );
        assert_eq!(
            Setting::keepalived(50).label(),
            "keepalived advert_int 0.05"
        );
    }

    #[test]
    fn labels_and_slugs() {
        let s = Setting::ha(System::Heartbeatd, 100, 400);
        assert_eq!(s.label(), "heartbeatd 100 ms / 400 ms");
        assert_eq!(s.slug(), "heartbeatd-100ms");
        let h = Setting::ha(System::Heartbeat, 1000, 3000);
        assert_eq!(h.label(), "Heartbeat 3.0.6 1 s / 3 s");
        assert_eq!(h.initdead(), Duration::from_secs(3));
        assert_eq!(h.warntime(), Duration::from_millis(1500));
        let fast = Setting::ha(System::Heartbeatd, 10, 40);
        assert_eq!(fast.initdead(), Duration::from_secs(2));
        assert_eq!(fast.warntime(), Duration::from_millis(20));
    }

    #[test]
    fn fenced_settings_say_their_delay_and_write_their_lines() {
        let secs = Duration::from_secs;
        let hbd = Setting::ha(System::Heartbeatd, 1000, 3000);
        let fast = hbd.fenced(Some(Duration::ZERO), secs(10));
        assert_eq!(fast.label(), "heartbeatd 1 s / 3 s, fence_delay 0");
        assert_eq!(fast.initdead(), secs(10));
        assert_eq!(fast.slug(), "heartbeatd-1000ms-fenced");
        let default = hbd.fenced(None, secs(10));
        assert_eq!(
            default.label(),
            "heartbeatd 1 s / 3 s, fence_delay 5 s (default)"
        );
        assert_eq!(default.fence_delay(), Some(DEFAULT_FENCE_DELAY));
        let line = "stonith_host * external/x a b\n";
        assert_eq!(
            fast.fencing_lines(line),
            "stonith_host * external/x a b\nfence_delay 0ms\n"
        );
        assert_eq!(default.fencing_lines(line), line);
        assert_eq!(hbd.fencing_lines(line), "");
        let old = Setting::ha(System::Heartbeat, 1000, 3000).fenced(Some(Duration::ZERO), secs(10));
        assert_eq!(old.label(), "Heartbeat 3.0.6 1 s / 3 s");
        assert_eq!(old.fence_delay(), None);
        assert_eq!(old.fencing_lines(line), line);
    }

    #[test]
    fn stamp_script_logs_every_call_but_status() {
        let s = stamp_script("node2", Path::new("/t/state"), Path::new("/t/log"));
        assert!(s.contains("echo \"$now node2 $1 $2\" >> '/t/log'"));
        assert!(s.contains("status) if [ -e '/t/state' ]"));
        assert!(s.starts_with("#!/bin/sh\n"));
    }
}
