//! The `--json` output: one object per invocation, with these stable field
//! names (tools may parse them; fields are only ever added).
//!
//! - Lists are in configuration order (the text output keeps Heartbeat's
//!   reverse order).
//! - `-m` and `-v` change only the text: JSON always carries every field.
//! - Exit codes are the same as without `--json`.
//! - A failure prints [`crate::outcome::ErrorReport`]:
//!   `{"error": {"kind": "unknown_node", "code": 11, "message": "..."}}`.
//! - Durations are milliseconds (`_ms`), round trips microseconds (`_us`);
//!   `null` means "never" or "unknown".

use serde::{Deserialize, Serialize};

/// The status model's types, which the answers below carry as they are.
pub use heartbeat_core::control::{GroupView, LinkView, NodeView};

/// `hbstatus`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HbStatus {
    /// `running`, `stopped`, or `refused` (running but refuses us).
    pub state: String,
    /// Whether the daemon answered.
    pub running: bool,
    /// Why it did not answer, if it did not.
    pub reason: Option<String>,
    /// `hbversion`, when running.
    pub version: Option<String>,
    /// Resource manager (`haresources`), when running.
    pub managed_by: Option<String>,
    /// The local node, when running.
    pub local_node: Option<String>,
    /// Every node, in configuration order (empty when not running).
    pub nodes: Vec<NodeView>,
}

/// `listnodes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeList {
    /// The nodes (filtered by `-p` / `-n`), in configuration order.
    pub nodes: Vec<NodeView>,
}

/// `nodestatus`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// Node name as configured.
    pub node: String,
    /// `init`, `up`, `active`, `dead` or `ping`.
    pub status: String,
}

/// `nodeweight`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeWeight {
    /// Node name as configured.
    pub node: String,
    /// Weight (100).
    pub weight: u32,
}

/// `nodesite`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSite {
    /// Node name as configured.
    pub node: String,
    /// Site (empty).
    pub site: String,
}

/// `nodetype`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeType {
    /// Node name as configured.
    pub node: String,
    /// `normal` or `ping`.
    #[serde(rename = "type")]
    pub node_type: String,
}

/// `listhblinks`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkList {
    /// Node name as configured.
    pub node: String,
    /// Its links, in configuration order.
    pub links: Vec<LinkView>,
}

/// `hblinkstatus`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStatus {
    /// Node name as configured.
    pub node: String,
    /// Link name.
    pub link: String,
    /// `up` or `dead`.
    pub status: String,
}

/// `clientstatus`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientStatus {
    /// Node name as configured.
    pub node: String,
    /// Client id as asked.
    pub client: String,
    /// `online`, `offline`, `join` or `leave` (always `offline`: heartbeatd
    /// has no API clients).
    pub status: String,
}

/// `rscstatus`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RscStatus {
    /// `none`, `local`, `foreign`, `all` or `transition`.
    pub resources: String,
    /// Every resource group, in haresources order.
    pub groups: Vec<GroupView>,
}

/// `hbparameter`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parameter {
    /// Parameter name as asked.
    pub name: String,
    /// Its value (as written in ha.cf, or computed).
    pub value: String,
}

/// `linkstats`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStats {
    /// One entry per node (or the one asked for).
    pub nodes: Vec<NodeStats>,
}

/// Liveness statistics of one node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStats {
    /// Node name.
    pub node: String,
    /// Node status.
    pub status: String,
    /// Whether it is the local node (which has no statistics).
    pub local: bool,
    /// Deadtime in force for it.
    pub deadtime_ms: u64,
    /// Time since its last status.
    pub last_heard_ms_ago: Option<u64>,
    /// Largest interval between two of its statuses.
    pub max_gap_ms: u64,
    /// Late heartbeats (gaps over warntime).
    pub late_heartbeats: u64,
    /// Sequenced packets given up as lost.
    pub lost_packets: u64,
    /// Round-trip estimate.
    pub rtt_us: Option<u64>,
    /// The deadtime its observed gaps justify: see
    /// [`crate::commands::linkstats::justified_deadtime_ms`].
    pub justified_deadtime_ms: Option<u64>,
    /// Per link.
    pub links: Vec<LinkStatsEntry>,
}

/// Statistics of one link of a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStatsEntry {
    /// Link name.
    pub link: String,
    /// `up` or `dead`.
    pub status: String,
    /// Time since its last packet.
    pub last_heard_ms_ago: Option<u64>,
    /// Largest interval between two packets on it.
    pub max_gap_ms: u64,
    /// Packets heard on it, duplicates included.
    pub packets: u64,
    /// Times it went dead.
    pub deaths: u64,
    /// The deadtime its observed gaps justify.
    pub justified_deadtime_ms: Option<u64>,
}

/// `standby` / `takeover`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminRequest {
    /// `standby` or `takeover`.
    pub request: String,
    /// `all`, `local`, `foreign` or `failback`.
    pub set: String,
    /// Whether the daemon accepted it (always true: refusals are errors).
    pub accepted: bool,
    /// The daemon's words.
    pub message: String,
}
