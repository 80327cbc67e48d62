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
//!
//! # The model
//!
//! Nodes, links and groups are not described here: they are the status
//! model of the control socket, [`heartbeat_core::control`]'s
//! [`NodeView`], [`LinkView`] and [`GroupView`] (re-exported here), and
//! for split-brain safety its [`QuorumView`], [`AwaitingFenceView`] and
//! [`FenceRecordView`], printed whole, as heartbeatd sends them. This
//! module only adds:
//!
//! - per-command wrappers that name a sub-command's answer
//!   ([`NodeStatus`], [`Parameter`], [`LinkStatus`], ...);
//! - fields cl-status computes, next to the model's fields through
//!   `#[serde(flatten)]`: [`NodeStats`] and [`LinkStatsEntry`]
//!   (`linkstats`' `justified_deadtime_ms`, and the names again as `node`
//!   and `link`, as the first schema had them).
//!
//! Fields the model gains appear in these answers too (they are only ever
//! added).

use serde::{Deserialize, Serialize};

/// The status model's types, which the answers below carry as they are.
pub use heartbeat_core::control::{
    AwaitingFenceView, FenceRecordView, GroupView, LinkView, NodeView, QuorumView,
};

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

/// Liveness statistics of one node: the model's node, with what
/// `linkstats` adds to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStats {
    /// Node name (the same as `name`).
    pub node: String,
    /// The node as the daemon reports it (`name`, `status`, `local`,
    /// `deadtime_ms`, `last_heard_ms_ago`, `max_gap_ms`, `late_heartbeats`,
    /// `lost_packets`, `rtt_us`, ...), its `links` with their statistics.
    /// The local node has no statistics of its own.
    #[serde(flatten)]
    pub view: NodeView<LinkStatsEntry>,
    /// The deadtime its observed gaps justify: see
    /// [`crate::commands::linkstats::justified_deadtime_ms`].
    pub justified_deadtime_ms: Option<u64>,
}

/// Statistics of one link of a node: the model's link, with what
/// `linkstats` adds to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStatsEntry {
    /// Link name (the same as `name`).
    pub link: String,
    /// The link as the daemon reports it (`name`, `status`,
    /// `last_heard_ms_ago`, `max_gap_ms`, `packets`, `deaths`).
    #[serde(flatten)]
    pub view: LinkView,
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

/// `quorum`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quorum {
    /// Votes seen and needed; `null` when quorum is off.
    pub quorum: Option<QuorumView>,
}

/// `status_hblinks`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusHbLinks {
    /// `good` (every link of every other normal node is up) or `has_dead`.
    pub status: String,
    /// The links counted as dead (every link of a dead node), in
    /// configuration order; empty when `good`.
    pub dead_links: Vec<LinkStatus>,
}

/// `fencehistory`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FenceHistory {
    /// Whether any STONITH device or fence agent is configured.
    pub fencing_configured: bool,
    /// The latest fence results, oldest first.
    pub fence_history: Vec<FenceRecordView>,
    /// Dead nodes whose groups still wait, in name order.
    pub awaiting_fence: Vec<AwaitingFenceView>,
}

/// `confirmdown`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmDown {
    /// The node confirmed down, as asked.
    pub node: String,
    /// Whether the daemon accepted it (always true: refusals are errors).
    pub accepted: bool,
    /// The daemon's words.
    pub message: String,
    /// The warning the text output prints first.
    pub warning: String,
}
