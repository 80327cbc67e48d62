//! The status as the control socket serves it: plain data with stable field
//! names, durations in milliseconds, states as the lower-case words Linux-HA
//! prints (`active`, `dead`, `up`, ...).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything `cl-status` can ask about, at one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusView {
    /// heartbeat-rs version of the daemon (the protocol version is the
    /// envelope's `version`).
    pub daemon_version: String,
    /// Local node name.
    pub local_node: String,
    /// Local generation.
    pub generation: u64,
    /// Whether communications are up.
    pub comm_up: bool,
    /// What this node holds: `none`, `local`, `foreign`, `all`, or
    /// `transition` while a resource action or a standby is in progress
    /// (Linux-HA's `rscstatus`).
    pub resources: String,
    /// Every node, the local one included, in configuration order; ping
    /// nodes last.
    pub nodes: Vec<NodeView>,
    /// Resource groups in haresources order.
    pub groups: Vec<GroupView>,
    /// Parameters by `hbparameter` name (`keepalive` → `1000ms`, ...).
    pub parameters: BTreeMap<String, String>,
    /// Receive counters per local medium.
    pub media: Vec<MediumView>,
}

/// Receive counters of one local medium.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MediumView {
    /// Medium (device) name.
    pub name: String,
    /// Datagrams received.
    pub received: u64,
    /// Datagrams dropped as malformed or unauthenticated.
    pub rejected: u64,
}

impl StatusView {
    /// The node called `name` (case-insensitive, as Heartbeat compares).
    pub fn node(&self, name: &str) -> Option<&NodeView> {
        self.nodes
            .iter()
            .find(|n| n.name.eq_ignore_ascii_case(name))
    }
}

/// One node as this node sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeView {
    /// Node name.
    pub name: String,
    /// `normal` or `ping`.
    #[serde(rename = "type")]
    pub node_type: String,
    /// `init`, `up`, `active`, `dead` or `ping`.
    pub status: String,
    /// Whether this is the local node.
    pub local: bool,
    /// Node weight (always 100, as Heartbeat's default).
    pub weight: u32,
    /// Node site (always empty, as Heartbeat's default).
    pub site: String,
    /// Generation last heard, if any.
    pub generation: Option<u64>,
    /// Deadtime applied to it, in ms.
    pub deadtime_ms: u64,
    /// Milliseconds since its last status, if ever heard.
    pub last_heard_ms_ago: Option<u64>,
    /// Milliseconds until it would be declared dead if it stays silent.
    pub dead_in_ms: Option<u64>,
    /// Largest interval between two of its statuses, in ms.
    pub max_gap_ms: u64,
    /// Late heartbeats seen.
    pub late_heartbeats: u64,
    /// Sequenced packets given up as lost.
    pub lost_packets: u64,
    /// Packets recovered by retransmission.
    pub recovered_packets: u64,
    /// Round-trip estimate in microseconds, when known.
    pub rtt_us: Option<u64>,
    /// Times it was declared dead.
    pub deaths: u64,
    /// Restarts seen (generation increases).
    pub restarts: u64,
    /// Its links, one per local medium (for the local node: whether our own
    /// packets come back on that medium).
    pub links: Vec<LinkView>,
}

impl NodeView {
    /// The link called `name`.
    pub fn link(&self, name: &str) -> Option<&LinkView> {
        self.links.iter().find(|l| l.name == name)
    }
}

/// One (node, medium) link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkView {
    /// Link name (the medium's device).
    pub name: String,
    /// `up` or `dead`.
    pub status: String,
    /// Milliseconds since the last packet on it, if any.
    pub last_heard_ms_ago: Option<u64>,
    /// Largest interval between two packets, in ms.
    pub max_gap_ms: u64,
    /// Packets heard on it, duplicates included.
    pub packets: u64,
    /// Times it went dead.
    pub deaths: u64,
}

/// One resource group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    /// Group key.
    pub key: String,
    /// Preferred node.
    pub preferred_node: String,
    /// Node believed to hold it.
    pub owner: Option<String>,
    /// What this node does with it: `stopped`, `starting`, `running`,
    /// `stopping`, `failed`.
    pub activity: String,
}

mod from_engine {
    //! Building the view from the engine's snapshot.

    use std::collections::BTreeMap;
    use std::time::{Duration, Instant};

    use super::{GroupView, LinkView, MediumView, NodeView, StatusView};
    use crate::config::Config;
    use crate::engine::{ClusterStatus, GroupActivity, LinkInfo, LinkState, NodeInfo, NodeState};
    use crate::wire::Holdings;

    impl StatusView {
        /// The view of `status` at instant `now`, with the parameters of
        /// `config`.
        pub fn from_status(status: &ClusterStatus, config: &Config, now: Instant) -> StatusView {
            let mut nodes = Vec::with_capacity(status.nodes.len() + 1);
            // Configuration order, the local node in its place.
            for name in &config.nodes {
                if *name == status.local_node {
                    nodes.push(local_node(status, config, now));
                } else if let Some(peer) = status.node(name) {
                    nodes.push(peer_node(peer, now));
                }
            }
            let busy = status.groups.iter().any(|g| {
                matches!(
                    g.activity,
                    GroupActivity::Starting | GroupActivity::Stopping
                )
            });
            StatusView {
                daemon_version: env!("CARGO_PKG_VERSION").to_owned(),
                local_node: status.local_node.clone(),
                generation: status.generation,
                comm_up: status.comm_up,
                resources: if busy {
                    "transition".to_owned()
                } else {
                    holdings_word(status.holdings).to_owned()
                },
                nodes,
                groups: status
                    .groups
                    .iter()
                    .map(|g| GroupView {
                        key: g.key.clone(),
                        preferred_node: g.preferred_node.clone(),
                        owner: g.owner.clone(),
                        activity: activity_word(g.activity).to_owned(),
                    })
                    .collect(),
                parameters: parameters(config),
                media: status
                    .media
                    .iter()
                    .map(|m| MediumView {
                        name: m.name.clone(),
                        received: m.received,
                        rejected: m.rejected,
                    })
                    .collect(),
            }
        }
    }

    fn local_node(status: &ClusterStatus, config: &Config, now: Instant) -> NodeView {
        NodeView {
            name: status.local_node.clone(),
            node_type: "normal".to_owned(),
            status: status.local_state.as_str().to_owned(),
            local: true,
            weight: 100,
            site: String::new(),
            generation: Some(status.generation),
            deadtime_ms: millis(config.timing.deadtime),
            last_heard_ms_ago: None,
            dead_in_ms: None,
            max_gap_ms: 0,
            late_heartbeats: 0,
            lost_packets: 0,
            recovered_packets: 0,
            rtt_us: None,
            deaths: 0,
            restarts: 0,
            links: status.local_links.iter().map(|l| link(l, now)).collect(),
        }
    }

    fn peer_node(peer: &NodeInfo, now: Instant) -> NodeView {
        NodeView {
            name: peer.name.clone(),
            node_type: if peer.state == NodeState::Ping {
                "ping"
            } else {
                "normal"
            }
            .to_owned(),
            status: peer.state.as_str().to_owned(),
            local: false,
            weight: 100,
            site: String::new(),
            generation: peer.generation,
            deadtime_ms: millis(peer.deadtime),
            last_heard_ms_ago: peer
                .last_heard
                .map(|t| millis(now.saturating_duration_since(t))),
            dead_in_ms: peer
                .dead_at
                .map(|t| millis(t.saturating_duration_since(now))),
            max_gap_ms: millis(peer.max_gap),
            late_heartbeats: peer.late_heartbeats,
            lost_packets: peer.lost_packets,
            recovered_packets: peer.recovered,
            rtt_us: peer
                .rtt
                .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX)),
            deaths: peer.deaths,
            restarts: peer.restarts,
            links: peer.links.iter().map(|l| link(l, now)).collect(),
        }
    }

    fn link(l: &LinkInfo, now: Instant) -> LinkView {
        LinkView {
            name: l.name.clone(),
            status: match l.state {
                LinkState::Up => "up",
                LinkState::Dead => "dead",
            }
            .to_owned(),
            last_heard_ms_ago: l
                .last_heard
                .map(|t| millis(now.saturating_duration_since(t))),
            max_gap_ms: millis(l.max_gap),
            packets: l.packets,
            deaths: l.deaths,
        }
    }

    fn parameters(config: &Config) -> BTreeMap<String, String> {
        let ms = |d: Duration| format!("{}ms", d.as_millis());
        let t = &config.timing;
        [
            ("keepalive", ms(t.keepalive)),
            ("deadtime", ms(t.deadtime)),
            ("warntime", ms(t.warntime)),
            ("initdead", ms(t.initdead)),
            ("deadping", ms(t.deadping)),
            ("udpport", config.udp_port.to_string()),
            ("auto_failback", config.auto_failback.as_str().to_owned()),
            ("hopfudge", config.hopfudge.to_string()),
            ("debug", config.logging.debug.to_string()),
            ("msgfmt", config.msgfmt.as_str().to_owned()),
            ("cluster", config.cluster.clone()),
            (
                "hbversion",
                format!("heartbeat-rs {}", env!("CARGO_PKG_VERSION")),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn millis(d: Duration) -> u64 {
        u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
    }

    fn holdings_word(h: Holdings) -> &'static str {
        match h {
            Holdings::None => "none",
            Holdings::Local => "local",
            Holdings::Foreign => "foreign",
            Holdings::All => "all",
        }
    }

    fn activity_word(a: GroupActivity) -> &'static str {
        match a {
            GroupActivity::Stopped => "stopped",
            GroupActivity::Starting => "starting",
            GroupActivity::Running => "running",
            GroupActivity::Stopping => "stopping",
            GroupActivity::Failed => "failed",
        }
    }
}
