//! The report: Markdown tables and SVG plots of every measurement.

pub mod svg;

use std::fmt::Write;
use std::time::Duration;

use crate::measure::failover::{FailoverRow, FenceTimes, Trigger};
use crate::measure::idle::IdleRow;
use crate::measure::load::LoadRow;
use crate::measure::scale::ScaleRow;
use crate::stats::{fmt_ms, median_f64, Summary};
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
    /// Fenced failover rows (fenced settings × [`Trigger::FENCED`]).
    pub fencing: Vec<FailoverRow>,
    /// Conditions and observations printed under the fenced-failover
    /// tables (that section may be spliced into a report of another run).
    pub fencing_notes: Vec<String>,
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
        self.fencing_section(&mut m);
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
                let stats = stats_cells(&r.samples);
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

    /// The fenced-failover section alone (empty when nothing was
    /// measured), as [`splice_section`] takes it.
    pub fn fencing_markdown(&self) -> String {
        let mut m = String::new();
        self.fencing_section(&mut m);
        m
    }

    fn fencing_section(&self, m: &mut String) {
        if self.fencing.is_empty() {
            return;
        }
        let _ = writeln!(
            m,
            "## {FENCING_HEADING}\n\n\
             Run on {}; reproduce with:\n\n```sh\n{}\n```\n\n\
             Two nodes, one bcast link each, the group preferred by node1, and a fast fence device on both: \
             `stonith_host * external/hbbench-power-PID …`, a cluster-glue external STONITH plugin \
             (`benches/src/power.rs`) whose `reset` SIGKILLs every process of the node's namespace and \
             appends `date +%s%N` lines to the timing log before the kill (fence start) and once no process \
             is left (fence done). The same `ha.cf` line for Heartbeat 3.0.6 and heartbeatd; `initdead 10 s` \
             so that nobody is fenced at start-up. Times in ms from the trigger on node1 to node2's timing \
             script; the phase columns are medians over the runs, *fencing share* is the median over the runs \
             of (fence done − fence start) / (trigger → survivor's start).\n",
            self.date, self.command
        );
        for trigger in Trigger::FENCED {
            let rows: Vec<&FailoverRow> = self
                .fencing
                .iter()
                .filter(|r| r.trigger == trigger)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(
                m,
                "### {}, fenced\n\n\
                 | system / setting | deadtime | fence_delay | runs ok | min | median | p95 | max | \
                 trigger → fence start | fence | fence done → start | fencing share |\n\
                 |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
                trigger.title()
            );
            for r in rows {
                let delay = r
                    .setting
                    .fence_delay()
                    .map(duration_text)
                    .unwrap_or_else(|| "— (none)".into());
                let _ = writeln!(
                    m,
                    "| {} | {} | {delay} | {}/{} | {} | {} |",
                    r.setting.label(),
                    deadtime_text(&r.setting),
                    r.samples.len(),
                    r.samples.len() + r.failures,
                    stats_cells(&r.samples),
                    fence_cells(&r.fences),
                );
            }
            let _ = writeln!(
                m,
                "\n![{}, fenced](plots/fencing-{}.svg)\n",
                trigger.title(),
                trigger.slug()
            );
        }
        for n in &self.fencing_notes {
            let _ = writeln!(m, "- {n}");
        }
        if !self.fencing_notes.is_empty() {
            m.push('\n');
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
            let stats = stats_cells(&r.detection);
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
        let mut out = strip_plots("failover", "", &Trigger::ALL, &self.failover);
        out.extend(strip_plots(
            "fencing",
            ", fenced",
            &Trigger::FENCED,
            &self.fencing,
        ));
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

/// Heading of the fenced-failover section (what `--splice` replaces).
pub const FENCING_HEADING: &str = "Failover with fencing (fast STONITH device)";

/// `existing` Markdown with its `## HEADING` section (up to the next `## `
/// heading) replaced by `section`, which starts with that heading; when
/// `existing` has no such section, `section` goes before `## Notes`, or at
/// the end.
pub fn splice_section(existing: &str, heading: &str, section: &str) -> String {
    let start_of = |title: &str| {
        let line = format!("## {title}\n");
        if existing.starts_with(&line) {
            Some(0)
        } else {
            existing.find(&format!("\n{line}")).map(|i| i + 1)
        }
    };
    let (from, to) = match start_of(heading) {
        Some(from) => {
            let body = from + heading.len() + 4;
            let to = existing[body..]
                .find("\n## ")
                .map(|i| body + i + 1)
                .unwrap_or(existing.len());
            (from, to)
        }
        None => {
            let at = start_of("Notes").unwrap_or(existing.len());
            (at, at)
        }
    };
    let mut out = existing[..from].to_owned();
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str(section.trim_end());
    out.push_str("\n\n");
    out.push_str(&existing[to..]);
    out.trim_end().to_owned() + "\n"
}

/// `min | median | p95 | max` cells of `samples` in ms, or dashes.
fn stats_cells(samples: &[Duration]) -> String {
    match Summary::of(samples) {
        Some(s) => format!(
            "{} | {} | {} | {}",
            fmt_ms(s.min),
            fmt_ms(s.median),
            fmt_ms(s.p95),
            fmt_ms(s.max)
        ),
        None => "— | — | — | —".into(),
    }
}

/// `trigger → fence start | fence | fence done → start | share` cells:
/// medians over the runs, or dashes when no run logged a fence.
pub fn fence_cells(fences: &[FenceTimes]) -> String {
    let median = |f: &dyn Fn(&FenceTimes) -> Duration| {
        let v: Vec<Duration> = fences.iter().map(f).collect();
        Summary::of(&v).map(|s| fmt_ms(s.median))
    };
    let shares: Vec<f64> = fences.iter().map(FenceTimes::share).collect();
    match (
        median(&|f| f.start),
        median(&|f| f.fence()),
        median(&|f| f.after()),
        median_f64(&shares),
    ) {
        (Some(start), Some(fence), Some(after), Some(share)) => {
            format!("{start} | {fence} | {after} | {:.1} %", share * 100.0)
        }
        _ => "— | — | — | —".into(),
    }
}

/// One strip plot per trigger of `triggers` that has rows:
/// `PREFIX-<trigger slug>.svg`, titled with the trigger's title and
/// `title_suffix`.
fn strip_plots(
    prefix: &str,
    title_suffix: &str,
    triggers: &[Trigger],
    rows: &[FailoverRow],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for &trigger in triggers {
        let strips: Vec<svg::Strip> = rows
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
                format!("{prefix}-{}.svg", trigger.slug()),
                svg::strip_plot(&format!("{}{title_suffix}", trigger.title()), &strips),
            ));
        }
    }
    out
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
