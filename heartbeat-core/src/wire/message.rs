//! Typed cluster messages, independent of any byte layout.
//!
//! Every datagram carries one [`Packet`]: an envelope naming the sender (node
//! name, uuid, generation), its sequence number and optional destination,
//! wrapping one [`Message`]. Codecs (the native layout in [`super::native`],
//! later Linux-HA's `ha_msg`) turn packets into bytes and back.

use bytes::Bytes;

/// Longest node name a packet may carry, in bytes (Linux-HA accepts 100; we keep
/// datagrams small).
pub const MAX_NODE_NAME: usize = 64;

/// Longest resource group key a packet may carry, in bytes.
pub const MAX_GROUP_KEY: usize = 255;

/// Most groups one [`Ownership`] announcement describes (2 bits each: 128
/// bytes of body). A node with more haresources groups sends one announcement
/// per run of this many groups.
pub const MAX_ANNOUNCED_GROUPS: usize = 512;

/// `Message::Ack::delay_us` when the acker does not know how long it held the
/// acknowledged packet (or held it for `u32::MAX` µs, about 71 minutes, or more).
pub const ACK_DELAY_UNKNOWN: u32 = u32::MAX;

/// A node's 16-byte uuid, persisted by the daemon across restarts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeUuid(pub [u8; 16]);

/// The status a node advertises about itself in its heartbeats.
///
/// `dead` and `ping` are local verdicts about other nodes and are never sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeStatus {
    /// Started, communications not yet up.
    Init,
    /// Heard from the cluster, comm-up handshake not finished.
    Up,
    /// Communications up; the node takes part in resource decisions.
    Active,
}

/// Which resource groups a node holds, relative to that node (Linux-HA `rsc_hold`).
///
/// "Local" groups are those whose preferred node (first token of the haresources
/// line) is the node itself, "foreign" groups are all others.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Holdings {
    /// Holds no group.
    #[default]
    None,
    /// Holds its own (preferred) groups.
    Local,
    /// Holds groups preferred by other nodes.
    Foreign,
    /// Holds every group.
    All,
}

/// A heartbeat: the periodic status message that keeps a node alive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The sender's own status.
    pub status: NodeStatus,
    /// The deadtime the sender asks its peers to apply to it, in milliseconds.
    pub deadtime_ms: u32,
    /// The groups the sender holds.
    pub holdings: Holdings,
    /// The sender's clock when it built the packet, in milliseconds since its start.
    pub timestamp_ms: u64,
    /// Which configured nodes the sender hears (sent when quorum is on):
    /// lets a node know whether the others hear it, so that a node cut off
    /// in one direction only loses quorum too.
    pub view: Option<MembershipView>,
}

/// The sender's view of the cluster: which configured nodes it believes
/// alive, itself included (see [`Status::view`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipView {
    /// Digest of the sender's node list (names, in configuration order); a
    /// receiver whose list differs cannot read `alive` and ignores it.
    pub nodes_digest: u32,
    /// Per configured node, in configuration order: alive to the sender.
    /// At most [`MAX_VIEW_NODES`] entries.
    pub alive: Vec<bool>,
}

/// Most nodes a [`MembershipView`] describes.
pub const MAX_VIEW_NODES: usize = 1024;

/// What the sender of an [`Ownership`] announcement does with one group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GroupHold {
    /// Not running there (stopped, or being stopped).
    #[default]
    Free,
    /// Running or being started there.
    Held,
    /// Its stop failed there: it may still run and is no longer managed.
    Unmanaged,
}

/// A per-group ownership announcement: what the sender does with each
/// haresources group, by index (the order of `haresources`, identical on
/// every node). Unsequenced, like [`Status`]; sent when the sender's
/// holdings or its membership view change and periodically, so that every
/// node's belief about who runs what heals from steady-state information.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ownership {
    /// Grows with every announcement of a sender generation (newer wins).
    pub serial: u64,
    /// Digest of the sender's group list (keys and preferred nodes, in
    /// order); a receiver whose list differs ignores the announcement.
    pub groups_digest: u32,
    /// Index of the first group described.
    pub first: u16,
    /// State of groups `first..first + holds.len()`; 1 to
    /// [`MAX_ANNOUNCED_GROUPS`] entries.
    pub holds: Vec<GroupHold>,
    /// Per group of `holds`, whether a tracked health check marks the group
    /// faulty on the sender (it must not run there while a healthy node
    /// exists). Empty means every group is healthy; otherwise exactly
    /// `holds.len()` entries.
    pub faults: Vec<bool>,
}

/// The phase of a standby (`ask_resources`) exchange (Linux-HA `info=me|other|done`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StandbyPhase {
    /// The sender wants to give up the groups named by the holdings.
    Me,
    /// The sender agrees to take them.
    Other,
    /// The sender finished its part (released or started).
    Done,
}

/// One message of the cluster protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Periodic heartbeat.
    Status(Status),
    /// Legacy failback: the sender asks for the group it prefers (`ip-request`).
    IpRequest {
        /// Group key (first resource of the haresources line).
        group: String,
    },
    /// Answer to [`Message::IpRequest`] (`ip-request-resp`).
    IpRequestResp {
        /// Group key.
        group: String,
        /// Whether the responder held the group (and has now released it).
        we_own: bool,
        /// Whether the requester may start the group.
        ok: bool,
    },
    /// Ask the destination to retransmit its sequenced packets `first_seq..=last_seq`.
    RexmitRequest {
        /// First sequence number wanted.
        first_seq: u64,
        /// Last sequence number wanted (inclusive).
        last_seq: u64,
    },
    /// The requested packet `seq` is no longer in the sender's history.
    NakRexmit {
        /// The sequence number that cannot be retransmitted.
        seq: u64,
    },
    /// The sender received every sequenced packet of the destination up to `ack_seq`.
    Ack {
        /// Highest contiguous sequence number received.
        ack_seq: u64,
        /// How long the sender of the ack held it before acknowledging: from
        /// its receipt of packet `ack_seq` to the building of this ack, in
        /// microseconds, saturating. [`ACK_DELAY_UNKNOWN`] (`u32::MAX`, also
        /// the saturated value) means unknown: the receiver of the ack then
        /// takes no round-trip sample from it.
        delay_us: u32,
    },
    /// nice_failback: the sender has just come up and asks for resource reports.
    Starting,
    /// nice_failback: what the sender holds (`t=resource`).
    ResourceReport {
        /// The sender's holdings.
        holdings: Holdings,
        /// `rtype=full`: replaces the known holdings instead of being merged.
        full: bool,
        /// `isstable=1`: the sender finished its resource start-up.
        stable: bool,
    },
    /// nice_failback standby exchange (`t=ask_resources`).
    AskResources {
        /// The set of groups concerned, relative to the sender.
        holdings: Holdings,
        /// Which step of the exchange this is.
        phase: StandbyPhase,
    },
    /// The sender has released everything and is leaving (`t=shutdone`).
    Shutdone,
    /// Which groups the sender runs (unsequenced; see [`Ownership`]).
    Ownership(Ownership),
    /// The sender reset `node` (or the operator confirmed it down) in the
    /// incarnation `generation` (0: unknown): the groups `node` may have
    /// run may be started elsewhere (Heartbeat's `t=stonith result=OK`).
    Fenced {
        /// The node reset.
        node: String,
        /// Its generation when it was declared dead (0 if never heard).
        generation: u64,
    },
    /// Opaque bytes for an embedding application.
    App {
        /// The application's payload.
        payload: Bytes,
    },
}

/// A message with its envelope: who sent it, in which incarnation, with which
/// sequence number, and for whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Sender's node name (lower case, at most [`MAX_NODE_NAME`] bytes).
    pub from: String,
    /// Sender's persisted uuid.
    pub from_uuid: NodeUuid,
    /// Sender's generation: grows at every start of the sender.
    pub generation: u64,
    /// Sender's sequence number; 0 for unsequenced messages (rexmit requests,
    /// naks, acks).
    pub seq: u64,
    /// Destination node, or `None` for the whole cluster.
    pub dest: Option<String>,
    /// The message itself.
    pub message: Message,
}
