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
}

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
        }
    }

    /// `heartbeatd 100 ms / 400 ms`, `keepalived advert_int 0.05`, …
    pub fn label(&self) -> String {
        match self.system {
            System::Keepalived => format!("keepalived advert_int {}", seconds_text(self.interval)),
            s => format!(
                "{} {} / {}",
                s.name(),
                duration_text(self.interval),
                duration_text(self.deadtime)
            ),
        }
    }

    /// A short name usable in file names: `heartbeatd-100ms`.
    pub fn slug(&self) -> String {
        let sys = match self.system {
            System::Heartbeatd => "heartbeatd",
            System::Keepalived => "keepalived",
            System::Heartbeat => "heartbeat",
        };
        format!("{sys}-{}ms", self.interval.as_millis())
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
    fn stamp_script_logs_every_call_but_status() {
        let s = stamp_script("node2", Path::new("/t/state"), Path::new("/t/log"));
        assert!(s.contains("echo \"$now node2 $1 $2\" >> '/t/log'"));
        assert!(s.contains("status) if [ -e '/t/state' ]"));
        assert!(s.starts_with("#!/bin/sh\n"));
    }
}
