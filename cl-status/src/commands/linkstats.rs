//! `linkstats [<node>]` (extension): the failure detector's inside, per
//! node and per link, and the deadtime the observed gaps justify.
//!
//! Heartbeat's FAQ tells operators to collect weeks of "Late heartbeat"
//! lines to choose a deadtime; heartbeatd keeps the largest gap between two
//! heartbeats of each node and link, so the answer is one command away:
//!
//! ```text
//! justified = max(deadtime, ceil_to_whole_seconds(2 × max_gap))
//! ```
//!
//! Twice the worst gap seen leaves room for one more miss of the same size;
//! the current deadtime is kept when it is already larger (the table never
//! suggests shortening). Gaps run from one packet to the next, so an outage
//! of the peer (a stop, a crash) counts as a gap: read the value after a
//! period without outages, or restart the daemon to reset it.

use heartbeat_core::control::{NodeView, StatusView};

use crate::getopt::Parsed;
use crate::json;
use crate::outcome::{Answer, Failure};

/// The deadtime that a largest observed gap of `max_gap_ms` justifies,
/// given a current deadtime of `current_ms`; `None` without observations.
pub fn justified_deadtime_ms(current_ms: u64, max_gap_ms: u64) -> Option<u64> {
    if max_gap_ms == 0 {
        return None;
    }
    let doubled = max_gap_ms.saturating_mul(2);
    Some(doubled.div_ceil(1000).saturating_mul(1000).max(current_ms))
}

/// `linkstats [<node>]`.
pub fn answer(view: &StatusView, opts: &Parsed) -> Result<Answer, Failure> {
    let nodes: Vec<&NodeView> = match opts.operands.first() {
        Some(name) => vec![view.node(name).ok_or_else(Failure::unknown_node)?],
        None => view.nodes.iter().collect(),
    };
    let stats: Vec<json::NodeStats> = nodes.into_iter().map(node_stats).collect();
    let text = table(&stats);
    Ok(Answer::ok(text, &json::LinkStats { nodes: stats }))
}

fn node_stats(n: &NodeView) -> json::NodeStats {
    let observed = |gap: u64| {
        if n.local {
            None
        } else {
            justified_deadtime_ms(n.deadtime_ms, gap)
        }
    };
    json::NodeStats {
        node: n.name.clone(),
        justified_deadtime_ms: observed(n.max_gap_ms),
        view: n.clone().map_links(|l| json::LinkStatsEntry {
            link: l.name.clone(),
            justified_deadtime_ms: observed(l.max_gap_ms),
            view: l,
        }),
    }
}

const HEADER: [&str; 10] = [
    "NODE",
    "LINK",
    "STATE",
    "LAST HEARD",
    "MAX GAP",
    "LATE",
    "LOST",
    "RTT",
    "DEADTIME",
    "JUSTIFIED",
];

/// The text table: one row per node (link `*`), then one per link.
fn table(stats: &[json::NodeStats]) -> String {
    let dash = || "-".to_owned();
    let ms_or_dash = |v: Option<u64>| v.map_or_else(dash, duration);
    let mut rows: Vec<[String; 10]> = vec![HEADER.map(str::to_owned)];
    for stats in stats {
        let n = &stats.view;
        let gap = |g: u64| if n.local { dash() } else { duration(g) };
        rows.push([
            n.name.clone(),
            "*".to_owned(),
            n.status.clone(),
            ms_or_dash(n.last_heard_ms_ago),
            gap(n.max_gap_ms),
            if n.local {
                dash()
            } else {
                n.late_heartbeats.to_string()
            },
            if n.local {
                dash()
            } else {
                n.lost_packets.to_string()
            },
            n.rtt_us.map_or_else(dash, micros),
            duration(n.deadtime_ms),
            ms_or_dash(stats.justified_deadtime_ms),
        ]);
        for entry in &n.links {
            let l = &entry.view;
            rows.push([
                n.name.clone(),
                entry.link.clone(),
                l.status.clone(),
                ms_or_dash(l.last_heard_ms_ago),
                if l.packets < 2 {
                    dash()
                } else {
                    gap(l.max_gap_ms)
                },
                dash(),
                dash(),
                dash(),
                dash(),
                ms_or_dash(entry.justified_deadtime_ms),
            ]);
        }
    }
    let mut widths = [0usize; 10];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    text.push_str(
        "JUSTIFIED = max(DEADTIME, 2 x MAX GAP rounded up to whole seconds); \
         gaps include outages of the peer.\n",
    );
    text
}

/// `850ms`, `1.02s`, `65s`.
fn duration(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let text = format!("{}.{:03}", ms / 1000, ms % 1000);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}s")
}

/// `250us`, `1.5ms`.
fn micros(us: u64) -> String {
    if us < 1000 {
        return format!("{us}us");
    }
    let text = format!("{}.{:03}", us / 1000, us % 1000);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}ms")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures::{healthy, opts};

    #[test]
    fn formula() {
        assert_eq!(justified_deadtime_ms(5000, 0), None);
        assert_eq!(justified_deadtime_ms(5000, 1010), Some(5000));
        assert_eq!(justified_deadtime_ms(5000, 2600), Some(6000));
        assert_eq!(justified_deadtime_ms(1000, 400), Some(1000));
        assert_eq!(justified_deadtime_ms(500, 400), Some(1000));
        assert_eq!(justified_deadtime_ms(30_000, 20_001), Some(41_000));
    }

    #[test]
    fn durations() {
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(1020), "1.02s");
        assert_eq!(duration(1000), "1s");
        assert_eq!(duration(65_000), "65s");
        assert_eq!(micros(250), "250us");
        assert_eq!(micros(1500), "1.5ms");
    }

    #[test]
    fn table_rows() {
        let mut v = healthy();
        v.nodes[1].max_gap_ms = 3200;
        let a = answer(&v, &opts("node2", "")).unwrap();
        let lines: Vec<&str> = a.text.lines().collect();
        assert_eq!(lines.len(), 5, "{}", a.text);
        assert!(lines[0].starts_with("NODE   LINK  STATE"));
        let cells: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            cells,
            ["node2", "*", "active", "200ms", "3.2s", "0", "3", "250us", "5s", "7s"]
        );
        let cells: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(
            cells,
            ["node2", "eth0", "up", "200ms", "1.01s", "-", "-", "-", "-", "5s"]
        );
        let j: json::LinkStats = serde_json::from_value(a.json).unwrap();
        assert_eq!(j.nodes[0].justified_deadtime_ms, Some(7000));
        assert_eq!(j.nodes[0].view.links.len(), 2);
    }

    #[test]
    fn the_local_node_has_no_statistics_and_unknown_nodes_fail() {
        let v = healthy();
        let a = answer(&v, &opts("", "")).unwrap();
        let j: json::LinkStats = serde_json::from_value(a.json).unwrap();
        assert_eq!(j.nodes.len(), 3);
        assert_eq!(j.nodes[0].justified_deadtime_ms, None);
        let f = answer(&v, &opts("nodeX", "")).unwrap_err();
        assert_eq!(f.code, 11);
    }

    #[test]
    fn json_keeps_every_field_and_adds_the_model_s() {
        let a = answer(&healthy(), &opts("node2", "")).unwrap();
        let node = &a.json["nodes"][0];
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        // The fields of the first schema, then those NodeView / LinkView add.
        let mut expected = vec![
            "node",
            "status",
            "local",
            "deadtime_ms",
            "last_heard_ms_ago",
            "max_gap_ms",
            "late_heartbeats",
            "lost_packets",
            "rtt_us",
            "justified_deadtime_ms",
            "links",
            "name",
            "type",
            "weight",
            "site",
            "generation",
            "dead_in_ms",
            "recovered_packets",
            "deaths",
            "restarts",
        ];
        expected.sort_unstable();
        assert_eq!(keys(node), expected);
        let mut expected = vec![
            "link",
            "status",
            "last_heard_ms_ago",
            "max_gap_ms",
            "packets",
            "deaths",
            "justified_deadtime_ms",
            "name",
        ];
        expected.sort_unstable();
        assert_eq!(keys(&node["links"][0]), expected);
        assert_eq!(node["node"], "node2");
        assert_eq!(node["links"][0]["link"], "eth0");
        assert_eq!(node["links"][0]["justified_deadtime_ms"], 5000);
    }
}
