//! Liveness timers: Linux-HA defaults (`config.c: init_config`) and checks.
//!
//! | timer | default |
//! | --- | --- |
//! | keepalive | 1 s |
//! | deadtime | 30 s |
//! | warntime | deadtime / 2 |
//! | initdead | deadtime if deadtime > 10 s; 12 s if deadtime < 6 s; else 2 × deadtime |
//! | deadping | deadtime |
//!
//! Errors: keepalive = 0, deadtime ≤ 2 × keepalive, warntime = 0,
//! initdead < deadtime, deadping ≤ 2 × keepalive. Warnings: warntime ≥
//! deadtime, initdead < 10 s.

use std::time::Duration;

use super::error::ConfigErrorKind as K;
use super::Timing;

/// Default `keepalive`.
pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(1);
/// Default `deadtime`.
pub const DEFAULT_DEADTIME: Duration = Duration::from_secs(30);

/// A timer as written: its value and the line that set it.
pub(crate) type Setting = Option<(Duration, usize)>;

/// The timers an `ha.cf` sets explicitly.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TimerSettings {
    pub(crate) keepalive: Setting,
    pub(crate) deadtime: Setting,
    pub(crate) warntime: Setting,
    pub(crate) initdead: Setting,
    pub(crate) deadping: Setting,
}

/// Resolved timers with the problems found, each at a line when one applies.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub(crate) timing: Timing,
    pub(crate) errors: Vec<(Option<usize>, K)>,
    pub(crate) warnings: Vec<(Option<usize>, String)>,
}

/// The `initdead` Linux-HA uses when none is given.
pub fn default_initdead(deadtime: Duration) -> Duration {
    if deadtime > Duration::from_secs(10) {
        deadtime
    } else if deadtime < Duration::from_secs(6) {
        Duration::from_secs(12)
    } else {
        deadtime * 2
    }
}

fn line(s: Setting) -> Option<usize> {
    s.map(|(_, l)| l)
}

impl TimerSettings {
    /// Applies the defaults and checks the result.
    pub(crate) fn resolve(&self) -> Resolved {
        let keepalive = self.keepalive.map_or(DEFAULT_KEEPALIVE, |s| s.0);
        let deadtime = self.deadtime.map_or(DEFAULT_DEADTIME, |s| s.0);
        let warntime = self.warntime.map_or(
            Duration::from_millis((deadtime.as_millis() / 2) as u64),
            |s| s.0,
        );
        let initdead = self
            .initdead
            .map_or_else(|| default_initdead(deadtime), |s| s.0);
        let deadping = self.deadping.map_or(deadtime, |s| s.0);
        let timing = Timing {
            keepalive,
            deadtime,
            warntime,
            initdead,
            deadping,
        };
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let ms = |d: Duration| d.as_millis();

        if keepalive.is_zero() {
            errors.push((line(self.keepalive), K::KeepaliveZero));
        }
        if deadtime <= keepalive * 2 {
            errors.push((
                line(self.deadtime).or(line(self.keepalive)),
                K::DeadtimeTooShort {
                    deadtime_ms: ms(deadtime),
                    keepalive_ms: ms(keepalive),
                },
            ));
        }
        if warntime.is_zero() {
            errors.push((line(self.warntime).or(line(self.deadtime)), K::WarntimeZero));
        } else if warntime >= deadtime && self.warntime.is_some() {
            warnings.push((
                line(self.warntime),
                format!(
                    "warntime ({} ms) is not less than deadtime ({} ms): no late-heartbeat \
                     warning will come before a node is declared dead",
                    ms(warntime),
                    ms(deadtime)
                ),
            ));
        }
        if let Some((_, l)) = self.initdead {
            if initdead < deadtime {
                errors.push((
                    Some(l),
                    K::InitdeadTooShort {
                        initdead_ms: ms(initdead),
                        deadtime_ms: ms(deadtime),
                    },
                ));
            } else if initdead < Duration::from_secs(10) {
                warnings.push((
                    Some(l),
                    format!(
                        "initdead ({} ms) is less than 10 s: nodes that boot slowly may be \
                         declared dead at start-up",
                        ms(initdead)
                    ),
                ));
            }
        }
        if let Some((_, l)) = self.deadping {
            if deadping <= keepalive * 2 {
                errors.push((
                    Some(l),
                    K::DeadpingTooShort {
                        deadping_ms: ms(deadping),
                        keepalive_ms: ms(keepalive),
                    },
                ));
            }
        }
        Resolved {
            timing,
            errors,
            warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64, line: usize) -> Setting {
        Some((Duration::from_secs(secs), line))
    }

    #[test]
    fn defaults() {
        let r = TimerSettings::default().resolve();
        assert!(r.errors.is_empty() && r.warnings.is_empty());
        assert_eq!(r.timing.keepalive, Duration::from_secs(1));
        assert_eq!(r.timing.deadtime, Duration::from_secs(30));
        assert_eq!(r.timing.warntime, Duration::from_secs(15));
        assert_eq!(r.timing.initdead, Duration::from_secs(30));
        assert_eq!(r.timing.deadping, Duration::from_secs(30));
    }

    #[test]
    fn initdead_default_rule() {
        assert_eq!(
            default_initdead(Duration::from_secs(11)),
            Duration::from_secs(11)
        );
        assert_eq!(
            default_initdead(Duration::from_secs(10)),
            Duration::from_secs(20)
        );
        assert_eq!(
            default_initdead(Duration::from_secs(6)),
            Duration::from_secs(12)
        );
        assert_eq!(
            default_initdead(Duration::from_secs(5)),
            Duration::from_secs(12)
        );
        assert_eq!(
            default_initdead(Duration::from_secs(2)),
            Duration::from_secs(12)
        );
    }

    #[test]
    fn errors_point_at_the_right_line() {
        let t = TimerSettings {
            keepalive: s(20, 3),
            ..Default::default()
        };
        let r = t.resolve();
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].0, Some(3));

        let t = TimerSettings {
            keepalive: s(2, 3),
            deadtime: s(4, 4),
            initdead: s(3, 5),
            deadping: s(4, 6),
            warntime: Some((Duration::ZERO, 7)),
        };
        let lines: Vec<_> = t.resolve().errors.iter().map(|e| e.0).collect();
        assert_eq!(lines, vec![Some(4), Some(7), Some(5), Some(6)]);
    }
}
