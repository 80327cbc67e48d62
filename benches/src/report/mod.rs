//! The report: Markdown tables and SVG plots of every measurement.

pub mod svg;

use std::fmt::Write;
use std::time::Duration;

use crate::measure::failover::{FailoverRow, Trigger};
use crate::measure::idle::IdleRow;
use crate::measure::load::LoadRow;
use crate::measure::scale::ScaleRow;
use crate::stats::{fmt_ms, Summary};
use crate::systems::{duration_text, Setting, System};

/// Everything measured in one run, plus how it was run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// When the run started (UTC).
    pub date: String,
    /// The exact command line.
    pub command: String,
    /// Machine and load conditions, one Markdown bullet each.
    pub conditions: Vec<String>,
    /// Failover rows, every setting × trigger.
    pub failover: Vec<FailoverRow>,
    /// The load window's description and its rows.
    pub load: Option<(String, Vec<LoadRow>)>,
    /// Idle cost rows.
    pub idle: Vec<IdleRow>,
    /// Scale: the setting used and the rows.
    pub scale: Option<(Setting, Vec<ScaleRow>)>,
    /// Observations to print at the end.
    pub notes: Vec<String>,
}

/// Colour of a system in the plots.
pub fn colour(system: System) -> &'static str {
    match system {
        System::Heartbeatd => "#1f77b4",
        System::Keepalived => "#d62728",
        System::Heartbeat => "#2ca02c",
    }
}

/// Median of `row` divided by the median of the heartbeatd row with the
/// same trigger and interval, as `2.31×`.
pub fn ratio(row: &FailoverRow, all: &[FailoverRow]) -> String {
    let base = all.iter().find(|r| {
        r.trigger == row.trigger
            && r.setting.system == System::Heartbeatd
            && r.setting.interval == row.setting.interval
    });
    match (
        base.and_then(|b| Summary::of(&b.samples)),
        Summary::of(&row.samples),
    ) {
        (Some(b), Some(r)) if !b.median.is_zero() => {
            format!("{:.2}×", r.median.as_secs_f64() / b.median.as_secs_f64())
        }
        _ => "—".into(),
    }
}

/// The most aggressive (smallest interval) setting of `system` that had no
/// spurious state change under load.
pub fn most_aggressive_clean(rows: &[LoadRow], system: System) -> Option<Setting> {
    rows.iter()
        .filter(|r| r.setting.system == system && r.settled)
        .filter(|r| r.script_calls == 0 && r.dead_lines == 0)
        .map(|r| r.setting)
        .min_by_key(|s| s.interval)
}

impl Report {
    /// The Markdown text; plots are referenced as `plots/NAME.svg`.
    pub fn markdown(&self) -> String {
        let mut m = String::new();
        let _ = writeln!(
            m,
            "# Benchmarks: heartbeatd, keepalived and Heartbeat 3.0.6 side by side\n"
        );
        let _ = writeln!(
            m,
            "Run on {}; reproduce with:\n\n```sh\n{}\n```\n",
            self.date, self.command
        );
        for c in &self.conditions {
            let _ = writeln!(m, "- {c}");
        }
        m.push('\n');
        self.failover_section(&mut m);
        self.load_section(&mut m);
        self.idle_section(&mut m);
        self.scale_section(&mut m);
        if !self.notes.is_empty() {
            let _ = writeln!(m, "## Notes\n");
            for n in &self.notes {
                let _ = writeln!(m, "- {n}");
            }
        }
        m
    }

    fn failover_section(&self, m: &mut String) {
        if self.failover.is_empty() {
            return;
        }
        let _ = writeln!(
            m,
            "## Failover\n\nTwo nodes, one link each (bcast; keepalived: VRRP multicast), the group preferred by \
             node1. Times in ms from the trigger on node1 to node2's timing script writing its timestamp. \
             The last column divides the median by the heartbeatd median at the same interval.\n"
        );
        for trigger in Trigger::ALL {
            let rows: Vec<&FailoverRow> = self
                .failover
                .iter()
                .filter(|r| r.trigger == trigger)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(m, "### {}\n", trigger.title());
            let _ = writeln!(
                m,
                "| system / setting | deadtime | runs ok | min | median | p95 | max | median vs heartbeatd |\n\
                 |---|---:|---:|---:|---:|---:|---:|---:|"
            );
            for r in rows {
                let n = r.samples.len() + r.failures;
                let stats = match Summary::of(&r.samples) {
                    Some(s) => format!(
                        "{} | {} | {} | {}",
                        fmt_ms(s.min),
                        fmt_ms(s.median),
                        fmt_ms(s.p95),
                        fmt_ms(s.max)
                    ),
                    None => "— | — | — | —".into(),
                };
                let _ = writeln!(
                    m,
                    "| {} | {} | {}/{n} | {stats} | {} |",
                    r.setting.label(),
                    deadtime_text(&r.setting),
                    r.samples.len(),
                    ratio(r, &self.failover)
                );
            }
            let _ = writeln!(
                m,
                "\n![{}](plots/failover-{}.svg)\n",
                trigger.title(),
                trigger.slug()
            );
        }
    }

    fn load_section(&self, m: &mut String) {
        let Some((what, rows)) = &self.load else {
            return;
        };
        let _ = writeln!(
            m,
            "## False failovers under load\n\n{what} Every start/stop/fault script call and every \
             peer-dead log line (`node X: is dead`; keepalived: `Entering MASTER STATE`) in the window \
             is a spurious state change.\n\n\
             | system / setting | script calls | peer-dead lines | late-heartbeat warnings | verdict |\n\
             |---|---:|---:|---:|---|"
        );
        for r in rows {
            let verdict = if !r.settled {
                "**never settled** (no single owner before the load)"
            } else if r.script_calls == 0 && r.dead_lines == 0 {
                "stable"
            } else {
                "**false failover**"
            };
            let late = match r.setting.system {
                System::Keepalived => "—".to_string(),
                _ => r.late_lines.to_string(),
            };
            let _ = writeln!(
                m,
                "| {} | {} | {} | {late} | {verdict} |",
                r.setting.label(),
                r.script_calls,
                r.dead_lines,
            );
        }
        let name = |s: Option<Setting>| s.map(|s| s.label()).unwrap_or_else(|| "none".into());
        let _ = writeln!(
            m,
            "\nMost aggressive setting with zero spurious state changes: **{}**; keepalived: **{}**; \
             Heartbeat 3.0.6: **{}**.\n",
            name(most_aggressive_clean(rows, System::Heartbeatd)),
            name(most_aggressive_clean(rows, System::Keepalived)),
            name(most_aggressive_clean(rows, System::Heartbeat)),
        );
    }

    fn idle_section(&self, m: &mut String) {
        if self.idle.is_empty() {
            return;
        }
        let window = self.idle[0].window;
        let _ = writeln!(
            m,
            "## Idle cost\n\nA healthy two-node cluster, all settings side by side (right before the load window), over {}. CPU in % of \
             one core (all processes of the node); memory summed over the node's processes (PSS shares \
             pages between them fairly).\n\n\
             | system / setting | processes per node | CPU node1 (owner) | CPU node2 | RSS node1 KiB | PSS node1 KiB | PSS node2 KiB |\n\
             |---|---:|---:|---:|---:|---:|---:|",
            duration_text(window)
        );
        for r in &self.idle {
            let _ = writeln!(
                m,
                "| {} | {} | {:.2} % | {:.2} % | {} | {} | {} |",
                r.setting.label(),
                r.processes,
                r.cpu_percent[0],
                r.cpu_percent[1],
                r.rss_kib[0],
                r.pss_kib[0],
                r.pss_kib[1]
            );
        }
        m.push('\n');
    }

    fn scale_section(&self, m: &mut String) {
        let Some((setting, rows)) = &self.scale else {
            return;
        };
        let _ = writeln!(
            m,
            "## Scale (heartbeatd)\n\n{} with two bcast links per node, one namespace per node. Detection: \
             kill -9 of the owner → the first survivor's start script (ms). Packets: sent by all nodes \
             together (both links).\n\n\
             | nodes | runs ok | min | median | p95 | max | CPU per node | packets/s (all) | packets/s per node |\n\
             |---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            setting.label()
        );
        for r in rows {
            let stats = Summary::of(&r.detection)
                .map(|s| {
                    format!(
                        "{} | {} | {} | {}",
                        fmt_ms(s.min),
                        fmt_ms(s.median),
                        fmt_ms(s.p95),
                        fmt_ms(s.max)
                    )
                })
                .unwrap_or_else(|| "— | — | — | —".into());
            let num = |v: f64, text: String| if v.is_finite() { text } else { "—".into() };
            let _ = writeln!(
                m,
                "| {} | {}/{} | {stats} | {} | {} | {} |",
                r.nodes,
                r.detection.len(),
                r.detection.len() + r.failures,
                num(r.cpu_per_node, format!("{:.2} %", r.cpu_per_node)),
                num(r.packets_per_second, format!("{:.0}", r.packets_per_second)),
                num(
                    r.packets_per_second,
                    format!("{:.1}", r.packets_per_second / r.nodes as f64)
                ),
            );
        }
        let _ = writeln!(
            m,
            "\n![detection](plots/scale-detection.svg) ![cpu](plots/scale-cpu.svg) ![packets](plots/scale-packets.svg)\n"
        );
    }

    /// Every plot as (file name, SVG text).
    pub fn plots(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for trigger in Trigger::ALL {
            let strips: Vec<svg::Strip> = self
                .failover
                .iter()
                .filter(|r| r.trigger == trigger)
                .map(|r| svg::Strip {
                    label: r.setting.label(),
                    colour: colour(r.setting.system),
                    samples_ms: r.samples.iter().map(|d| d.as_secs_f64() * 1e3).collect(),
                    median_ms: Summary::of(&r.samples).map(|s| s.median.as_secs_f64() * 1e3),
                })
                .collect();
            if !strips.is_empty() {
                out.push((
                    format!("failover-{}.svg", trigger.slug()),
                    svg::strip_plot(trigger.title(), &strips),
                ));
            }
        }
        if let Some((_, rows)) = &self.scale {
            let pts = |f: &dyn Fn(&ScaleRow) -> Option<f64>| -> Vec<(f64, f64)> {
                rows.iter()
                    .filter_map(|r| Some((r.nodes as f64, f(r)?)))
                    .collect()
            };
            let median =
                |r: &ScaleRow| Summary::of(&r.detection).map(|s| s.median.as_secs_f64() * 1e3);
            out.push((
                "scale-detection.svg".into(),
                svg::line_chart(
                    "kill -9 → first survivor's start (median)",
                    "ms",
                    &pts(&median),
                ),
            ));
            out.push((
                "scale-cpu.svg".into(),
                svg::line_chart(
                    "CPU per node",
                    "% of one core",
                    &pts(&|r| Some(r.cpu_per_node)),
                ),
            ));
            out.push((
                "scale-packets.svg".into(),
                svg::line_chart(
                    "packets per second, all nodes",
                    "packets/s",
                    &pts(&|r| Some(r.packets_per_second)),
                ),
            ));
        }
        out
    }
}

/// Deadtime column: keepalived's is derived (master-down interval).
fn deadtime_text(s: &Setting) -> String {
    match s.system {
        System::Keepalived => format!("{} (derived)", fmt_ms(s.deadtime) + " ms"),
        _ => duration_text(s.deadtime),
    }
}

/// `600 s` → `10 min`.
pub fn minutes_text(d: Duration) -> String {
    if d.as_secs() % 60 == 0 && d.as_secs() >= 60 {
        format!("{} min", d.as_secs() / 60)
    } else {
        format!("{} s", d.as_secs())
    }
}

#[cfg(test)]
mod tests;
