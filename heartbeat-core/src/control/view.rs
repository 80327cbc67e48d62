//! The status as the control socket serves it: plain data with stable field
//! names, durations in milliseconds, states as the lower-case words Linux-HA
//! prints (`active`, `dead`, `up`, ...).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything `cl-status` can ask about, at one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusView {
    /// heartbeat-rs version of the daemon.
    pub version: String,
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
