//! Series computed at scrape time from the status snapshot the engine
//! publishes ([`Cluster::status`]): nothing here waits on the engine.

use std::sync::Arc;

use heartbeat_core::config::Config;
use heartbeat_core::control::{GroupView, LinkView, NodeView, StatusView};
use heartbeat_core::engine::ClusterStatus;
use heartbeat_core::runtime::Cluster;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

/// The node states of `heartbeat_node_state` (Heartbeat's words).
pub const NODE_STATES: [&str; 5] = ["init", "up", "active", "dead", "ping"];
/// The link states of `heartbeat_link_state`.
pub const LINK_STATES: [&str; 2] = ["up", "dead"];
/// The group states of `heartbeat_group_state`.
pub const GROUP_STATES: [&str; 6] = [
    "running_here",
    "running_elsewhere",
    "starting",
    "stopping",
    "stopped",
    "unmanaged",
];

/// Labels of one series.
type Labels = Vec<(&'static str, String)>;

/// A per-node counter: its name, its help, how to read it.
type NodeCounter = (&'static str, &'static str, fn(&NodeView) -> u64);

/// The snapshot series of one node.
pub struct SnapshotCollector {
    cluster: Arc<Cluster>,
    config: Arc<Config>,
}

impl SnapshotCollector {
    /// Series of `cluster`, configured by `config`.
    pub fn new(cluster: Arc<Cluster>, config: Arc<Config>) -> Self {
        SnapshotCollector { cluster, config }
    }
}

impl std::fmt::Debug for SnapshotCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotCollector")
            .field("node", &self.config.local_node)
            .finish()
    }
}

/// Writes one family: its descriptor, then each series (none: nothing).
fn family(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    kind: MetricType,
    series: Vec<(Labels, f64)>,
) -> Result<(), std::fmt::Error> {
    if series.is_empty() {
        return Ok(());
    }
    let mut metric = encoder.encode_descriptor(name, help, None, kind)?;
    for (labels, value) in &series {
        let one = metric.encode_family(labels)?;
        match kind {
            // Counters here are monotonic integers read from the engine.
            MetricType::Counter => ConstCounter::new(*value as u64).encode(one)?,
            _ => ConstGauge::new(*value).encode(one)?,
        }
    }
    Ok(())
}

/// Milliseconds as seconds.
fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// One-hot series: for each of `states`, 1 for `current`, else 0.
fn one_hot(labels: &Labels, states: &[&'static str], current: &str) -> Vec<(Labels, f64)> {
    states
        .iter()
        .map(|state| {
            let mut l = labels.clone();
            l.push(("state", (*state).to_owned()));
            (l, f64::from(u8::from(*state == current)))
        })
        .collect()
}

/// `heartbeat_group_state`'s word for a group as this node sees it.
pub fn group_state(group: &GroupView, local_node: &str) -> &'static str {
    match group.activity.as_str() {
        "running" => "running_here",
        "starting" => "starting",
        "stopping" => "stopping",
        "failed" => "unmanaged",
        _ => match &group.owner {
            Some(owner) if owner != local_node => "running_elsewhere",
            _ => "stopped",
        },
    }
}

/// Whether `node` is a peer (not this node, not a ping node).
fn is_peer(node: &NodeView) -> bool {
    !node.local && node.node_type != "ping"
}

impl Collector for SnapshotCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let status = self.cluster.status();
        let now = tokio::time::Instant::now().into_std();
        let view = StatusView::from_status(&status, &self.config, now);
        encode_identity(&mut encoder, &view, &self.config)?;
        encode_nodes(&mut encoder, &view)?;
        encode_links(&mut encoder, &view)?;
        encode_traffic(&mut encoder, &view, &status)?;
        encode_groups(&mut encoder, &view)?;
        encode_safety(&mut encoder, &view)
    }
}

fn encode_identity(
    e: &mut DescriptorEncoder<'_>,
    view: &StatusView,
    config: &Config,
) -> Result<(), std::fmt::Error> {
    let info = vec![
        ("version", view.daemon_version.clone()),
        ("node", view.local_node.clone()),
        ("wire_dialect", config.wire_dialect.as_str().to_owned()),
    ];
    family(
        e,
        "heartbeat_build_info",
        "Always 1: the daemon's version, node name and wire dialect as labels",
        MetricType::Gauge,
        vec![(info, 1.0)],
    )?;
    family(
        e,
        "heartbeat_comm_up",
        "1 once every configured peer was heard or declared dead",
        MetricType::Gauge,
        vec![(Vec::new(), f64::from(u8::from(view.comm_up)))],
    )
}

fn encode_nodes(e: &mut DescriptorEncoder<'_>, view: &StatusView) -> Result<(), std::fmt::Error> {
    let node = |n: &NodeView| -> Labels { vec![("node", n.name.clone())] };
    let state = view
        .nodes
        .iter()
        .flat_map(|n| one_hot(&node(n), &NODE_STATES, &n.status))
        .collect();
    family(
        e,
        "heartbeat_node_state",
        "1 for the node's current state (init, up, active, dead, ping), 0 for the others",
        MetricType::Gauge,
        state,
    )?;
    let remote: Vec<&NodeView> = view.nodes.iter().filter(|n| !n.local).collect();
    let peers: Vec<&NodeView> = remote.iter().copied().filter(|n| is_peer(n)).collect();
    let gauge = |f: &dyn Fn(&NodeView) -> Option<f64>, nodes: &[&NodeView]| {
        nodes
            .iter()
            .filter_map(|n| f(n).map(|v| (node(n), v)))
            .collect::<Vec<_>>()
    };
    family(
        e,
        "heartbeat_node_deadtime_seconds",
        "Silence after which the node is declared dead",
        MetricType::Gauge,
        gauge(&|n| Some(secs(n.deadtime_ms)), &remote),
    )?;
    family(
        e,
        "heartbeat_node_last_heard_seconds",
        "Seconds since the node (or ping node) was last heard",
        MetricType::Gauge,
        gauge(&|n| n.last_heard_ms_ago.map(secs), &remote),
    )?;
    family(
        e,
        "heartbeat_node_dead_in_seconds",
        "Seconds until the node would be declared dead if it stays silent",
        MetricType::Gauge,
        gauge(&|n| n.dead_in_ms.map(secs), &remote),
    )?;
    family(
        e,
        "heartbeat_node_max_gap_seconds",
        "Largest interval between two heartbeats of the node",
        MetricType::Gauge,
        gauge(&|n| Some(secs(n.max_gap_ms)), &peers),
    )?;
    family(
        e,
        "heartbeat_node_rtt_seconds",
        "Round-trip time to the node, measured with its acknowledgements",
        MetricType::Gauge,
        gauge(&|n| n.rtt_us.map(|us| us as f64 / 1e6), &peers),
    )?;
    family(
        e,
        "heartbeat_node_dead_links",
        "Links that can carry the node and are dead (every link of a dead node)",
        MetricType::Gauge,
        gauge(
            &|n| {
                let links = carrying_links_by_name(n);
                Some(links.iter().filter(|l| l.status == "dead").count() as f64)
            },
            &peers,
        ),
    )?;
    let counters: [NodeCounter; 5] = [
        (
            "heartbeat_node_late_heartbeats",
            "Heartbeats of the node that came later than warntime",
            |n| n.late_heartbeats,
        ),
        (
            "heartbeat_node_deaths",
            "Times the node was declared dead",
            |n| n.deaths,
        ),
        (
            "heartbeat_node_restarts",
            "Times the node restarted (a new generation)",
            |n| n.restarts,
        ),
        (
            "heartbeat_node_packets_lost",
            "Sequenced packets of the node given up as lost",
            |n| n.lost_packets,
        ),
        (
            "heartbeat_node_packets_recovered",
            "Sequenced packets of the node recovered by retransmission",
            |n| n.recovered_packets,
        ),
    ];
    for (name, help, read) in counters {
        let series = gauge(&|n| Some(read(n) as f64), &peers);
        family(e, name, help, MetricType::Counter, series)?;
    }
    Ok(())
}

/// The links of `node` that can carry it ([`NodeView::links_carrying`]),
/// one per name: same-named links left (several `ucast` lines on one
/// device, none heard yet) are merged, up if any is, so that no two series
/// share their labels.
fn carrying_links_by_name(node: &NodeView) -> Vec<LinkView> {
    let mut merged: Vec<LinkView> = Vec::new();
    for l in node.links_carrying() {
        match merged.iter_mut().find(|m| m.name == l.name) {
            Some(m) => {
                if l.status == "up" {
                    m.status = l.status.clone();
                }
                m.last_heard_ms_ago = match (m.last_heard_ms_ago, l.last_heard_ms_ago) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                m.max_gap_ms = m.max_gap_ms.max(l.max_gap_ms);
                m.packets += l.packets;
                m.deaths += l.deaths;
            }
            None => merged.push(l.clone()),
        }
    }
    merged
}

fn encode_links(e: &mut DescriptorEncoder<'_>, view: &StatusView) -> Result<(), std::fmt::Error> {
    let links: Vec<(Labels, LinkView)> = view
        .nodes
        .iter()
        .filter(|n| !n.local)
        .flat_map(|n| {
            carrying_links_by_name(n)
                .into_iter()
                .map(move |l| (vec![("node", n.name.clone()), ("link", l.name.clone())], l))
        })
        .collect();
    let state = links
        .iter()
        .flat_map(|(labels, l)| one_hot(labels, &LINK_STATES, &l.status))
        .collect();
    family(
        e,
        "heartbeat_link_state",
        "1 for the link's current state (up, dead), 0 for the other",
        MetricType::Gauge,
        state,
    )?;
    let each = |f: &dyn Fn(&LinkView) -> Option<f64>| {
        links
            .iter()
            .filter_map(|(labels, l)| f(l).map(|v| (labels.clone(), v)))
            .collect::<Vec<_>>()
    };
    family(
        e,
        "heartbeat_link_last_heard_seconds",
        "Seconds since the node was last heard on the link",
        MetricType::Gauge,
        each(&|l| l.last_heard_ms_ago.map(secs)),
    )?;
    family(
        e,
        "heartbeat_link_max_gap_seconds",
        "Largest interval between two heartbeats on the link",
        MetricType::Gauge,
        each(&|l| Some(secs(l.max_gap_ms))),
    )?;
    family(
        e,
        "heartbeat_link_packets",
        "Packets of the node received on the link",
        MetricType::Counter,
        each(&|l| Some(l.packets as f64)),
    )?;
    family(
        e,
        "heartbeat_link_deaths",
        "Times the link was declared dead",
        MetricType::Counter,
        each(&|l| Some(l.deaths as f64)),
    )
}

fn encode_traffic(
    e: &mut DescriptorEncoder<'_>,
    view: &StatusView,
    status: &ClusterStatus,
) -> Result<(), std::fmt::Error> {
    let medium = |name: &str| -> Labels { vec![("medium", name.to_owned())] };
    family(
        e,
        "heartbeat_datagrams_received",
        "Datagrams received on the medium",
        MetricType::Counter,
        view.media
            .iter()
            .map(|m| (medium(&m.name), m.received as f64))
            .collect(),
    )?;
    family(
        e,
        "heartbeat_datagrams_rejected",
        "Datagrams on the medium dropped as malformed or unauthenticated",
        MetricType::Counter,
        view.media
            .iter()
            .map(|m| (medium(&m.name), m.rejected as f64))
            .collect(),
    )?;
    let d = &status.delivery;
    let reason = |r: &str, v: u64| (vec![("reason", r.to_owned())], v as f64);
    family(
        e,
        "heartbeat_packets_dropped",
        "Authenticated packets dropped, by reason",
        MetricType::Counter,
        vec![
            reason("unknown_node", d.unknown_node),
            reason("impostor", d.impostors),
            reason("unknown_medium", d.unknown_medium),
            reason("from_departed", d.from_dead),
        ],
    )?;
    let plain: [(&str, &str, u64); 4] = [
        ("heartbeat_packets_sent", "Sequenced packets sent", d.sent),
        (
            "heartbeat_packets_retransmitted",
            "Packets retransmitted at a peer's request",
            d.resent,
        ),
        (
            "heartbeat_rexmit_naks_sent",
            "Retransmission requests answered with a refusal (packet no longer kept)",
            d.naks_sent,
        ),
        (
            "heartbeat_rexmit_rate_limited",
            "Requested retransmissions skipped by the rate limit",
            d.rate_limited,
        ),
    ];
    for (name, help, value) in plain {
        family(
            e,
            name,
            help,
            MetricType::Counter,
            vec![(Vec::new(), value as f64)],
        )?;
    }
    Ok(())
}

fn encode_groups(e: &mut DescriptorEncoder<'_>, view: &StatusView) -> Result<(), std::fmt::Error> {
    let state = view
        .groups
        .iter()
        .flat_map(|g| {
            one_hot(
                &vec![("group", g.key.clone())],
                &GROUP_STATES,
                group_state(g, &view.local_node),
            )
        })
        .collect();
    family(
        e,
        "heartbeat_group_state",
        "1 for the group's state as this node sees it (running_here, running_elsewhere, \
         starting, stopping, stopped, unmanaged), 0 for the others",
        MetricType::Gauge,
        state,
    )
}

fn encode_safety(e: &mut DescriptorEncoder<'_>, view: &StatusView) -> Result<(), std::fmt::Error> {
    let s = &view.safety;
    let one = |v: f64| vec![(Vec::new(), v)];
    if let Some(q) = &s.quorum {
        family(
            e,
            "heartbeat_quorum_quorate",
            "1 while this node has quorum",
            MetricType::Gauge,
            one(f64::from(u8::from(q.quorate))),
        )?;
        family(
            e,
            "heartbeat_quorum_votes",
            "Votes this node counts (itself and the peers that hear it)",
            MetricType::Gauge,
            one(q.votes as f64),
        )?;
        family(
            e,
            "heartbeat_quorum_needed_votes",
            "Votes needed for quorum",
            MetricType::Gauge,
            one(q.needed as f64),
        )?;
    }
    family(
        e,
        "heartbeat_fencing_configured",
        "1 when a STONITH device or fence agent can reset some peer",
        MetricType::Gauge,
        one(f64::from(u8::from(s.fencing_configured))),
    )?;
    let awaiting = view
        .nodes
        .iter()
        .filter(|n| is_peer(n))
        .map(|n| {
            let waits = s.awaiting_fence.iter().any(|a| a.node == n.name);
            (vec![("node", n.name.clone())], f64::from(u8::from(waits)))
        })
        .collect();
    family(
        e,
        "heartbeat_fence_awaiting",
        "1 while the dead node's groups wait for its reset (or its watchdog)",
        MetricType::Gauge,
        awaiting,
    )?;
    if let Some(w) = &s.watchdog {
        family(
            e,
            "heartbeat_watchdog_petting",
            "1 while the watchdog device is petted",
            MetricType::Gauge,
            one(f64::from(u8::from(w.petting))),
        )?;
        family(
            e,
            "heartbeat_watchdog_timeout_seconds",
            "The watchdog device's timeout",
            MetricType::Gauge,
            one(secs(w.timeout_ms)),
        )?;
    }
    Ok(())
}
