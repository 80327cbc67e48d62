//! The wire dialects the engine speaks and reads.
//!
//! A node sends in the dialect of its `wire_dialect` directive and reads
//! both: a datagram starting with the native magic is native, one starting
//! `###` or `>>>` is Linux-HA's `ha_msg`. So a cluster can move from one
//! dialect to the other one node at a time.
//!
//! What differs in the Linux-HA dialect (Heartbeat 3.0.6's protocol):
//! - statuses are sequenced messages like any other (Heartbeat requests the
//!   ones it missed), carry `protocol=1`, and advertise deadtime + 2 s for
//!   the first 5 s after the start (Heartbeat's `dt`);
//! - a received status is ordered by its own sequence number: its `ts` has
//!   whole seconds only (see [`Inbound::Packet`]);
//! - `reqnodes` is answered with `repnodes` (Heartbeat waits for it before
//!   it goes `active`); `hb_takeover` (an operator's `hb_takeover` on a
//!   Heartbeat node) starts a standby of the complementary set, as
//!   Heartbeat's `rc.d/hb_takeover` does; the other Heartbeat types without
//!   counterpart go through the sequence bookkeeping and are ignored
//!   (reported once);
//! - our own `Ownership` and application messages travel as heartbeat-rs
//!   types that Heartbeat ignores (see [`crate::wire::linuxha::compose`]).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use bytes::Bytes;

use crate::config::WireDialect;
use crate::wire::linuxha::{self, map::names, Classified, Envelope, Extras, HaMsg};
use crate::wire::{native, DecodeError, EncodeError, Holdings, Keyring, Message, NodeUuid, Packet};

/// For how long after the start a Linux-HA status advertises a longer
/// deadtime, and by how much (Heartbeat's `hb_add_deadtime(2000)`).
const START_DEADTIME_WINDOW: Duration = Duration::from_secs(5);
/// See [`START_DEADTIME_WINDOW`].
const START_DEADTIME_EXTRA: Duration = Duration::from_secs(2);

/// A datagram read in either dialect.
#[derive(Debug)]
pub(super) enum Inbound {
    /// A message with a counterpart in [`Message`]. `linux_ha` tells that
    /// it came in Heartbeat's dialect: a status is then sequenced, and its
    /// `timestamp_ms` is its sequence number (so that statuses order
    /// strictly, as Heartbeat's `ts` has whole seconds only).
    Packet {
        /// The packet.
        packet: Packet,
        /// Whether it came in the Linux-HA dialect.
        linux_ha: bool,
    },
    /// A Heartbeat message without counterpart in [`Message`], with its
    /// envelope (sequence bookkeeping applies to it like to any other).
    Foreign {
        /// Its envelope.
        envelope: Envelope,
        /// What it asks of us.
        request: ForeignRequest,
    },
}

/// What a Heartbeat message without counterpart asks of this node.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ForeignRequest {
    /// `reqnodes`: answer with our node list (`repnodes`, see
    /// [`Dialect::encode_node_list`]).
    NodeList,
    /// `hb_takeover`: the sender takes these groups, named relative to us:
    /// hand them over (a standby of that set).
    Standby(Holdings),
    /// Anything else (`stonith`, `hbapi-clstat`, ...): nothing; ignored.
    Ignored {
        /// Its Linux-HA type (`t`).
        msg_type: String,
    },
}

/// Foreign message types already reported as ignored (once per type).
#[derive(Debug, Default)]
pub(super) struct IgnoredTypes {
    reported: BTreeSet<String>,
}

impl IgnoredTypes {
    /// Whether `msg_type` is reported for the first time (remembered).
    pub(super) fn first_report(&mut self, msg_type: &str) -> bool {
        self.reported.insert(msg_type.to_ascii_lowercase())
    }
}

/// Per-engine state of the dialect layer.
#[derive(Debug)]
pub(super) struct Dialect {
    speaks: WireDialect,
    msgfmt: linuxha::MsgFmt,
    /// Compression of outgoing messages (`traditional_compression`).
    compression: Option<linuxha::Compression>,
    /// `ttl` of Linux-HA messages: hopfudge + configured nodes.
    ttl: u32,
    /// Our wall clock at the engine's start, in seconds since the epoch
    /// (Heartbeat's `ts`).
    wall_clock_at_start: u64,
    /// Peers' uuids as their packets name them, for `destuuid`.
    uuids: HashMap<String, NodeUuid>,
}

impl Dialect {
    /// The dialect layer of a node that speaks `speaks`, started when the
    /// wall clock read `wall_clock_at_start` (seconds since the epoch).
    pub(super) fn new(
        speaks: WireDialect,
        msgfmt: linuxha::MsgFmt,
        compression: Option<linuxha::Compression>,
        ttl: u32,
        wall_clock_at_start: u64,
    ) -> Self {
        Dialect {
            speaks,
            msgfmt,
            compression,
            ttl,
            wall_clock_at_start,
            uuids: HashMap::new(),
        }
    }

    /// Whether this node speaks Heartbeat's dialect (its statuses are then
    /// sequenced messages).
    pub(super) fn speaks_linux_ha(&self) -> bool {
        self.speaks == WireDialect::LinuxHa
    }

    /// Remember `peer`'s uuid (for `destuuid`), allocating only when it is
    /// new or changed: this runs for every admitted packet.
    pub(super) fn note_uuid(&mut self, peer: &str, uuid: NodeUuid) {
        if self.uuids.get(peer) != Some(&uuid) {
            self.uuids.insert(peer.to_owned(), uuid);
        }
    }

    /// The deadtime a status sent at `since_start` advertises.
    pub(super) fn advertised_deadtime(
        &self,
        deadtime: Duration,
        since_start: Duration,
    ) -> Duration {
        if self.speaks_linux_ha() && since_start < START_DEADTIME_WINDOW {
            deadtime + START_DEADTIME_EXTRA
        } else {
            deadtime
        }
    }

    /// Encode `packet`, `since_start` after the engine's start.
    pub(super) fn encode(
        &self,
        packet: &Packet,
        keys: &Keyring,
        since_start: Duration,
    ) -> Result<Bytes, EncodeError> {
        match self.speaks {
            WireDialect::Native => native::encode(packet, keys),
            WireDialect::LinuxHa => {
                let status = matches!(packet.message, Message::Status(_));
                let extras = self.extras(packet.dest.as_deref(), since_start, status);
                self.seal(&linuxha::compose(packet, &extras)?, keys)
            }
        }
    }

    /// Encode Heartbeat's `repnodes` answer to `to`'s `reqnodes`: our node
    /// list (each name followed by a space, as Heartbeat writes it), no
    /// deleted node.
    pub(super) fn encode_node_list(
        &self,
        envelope: &Envelope,
        nodes: &[String],
        keys: &Keyring,
        since_start: Duration,
    ) -> Result<Bytes, EncodeError> {
        let to = envelope.dest.as_deref();
        let mut msg = HaMsg::new();
        msg.push_str(names::F_TYPE, names::T_REPNODES);
        if let Some(to) = to {
            msg.push_str(names::F_DEST, to);
        }
        let list: String = nodes.iter().map(|n| format!("{n} ")).collect();
        msg.push_str(names::F_NODELIST, list);
        msg.push_str(names::F_DELNODELIST, " ");
        let extras = self.extras(to, since_start, false);
        if let Some(uuid) = extras.dest_uuid {
            msg.push_binary(names::F_DESTUUID, uuid.0);
        }
        linuxha::map::push_control_fields(&mut msg, envelope, &extras);
        self.seal(&msg, keys)
    }

    /// A Heartbeat message on the wire: signed with `keys`, in this node's
    /// `msgfmt`, compressed as `ha.cf` says.
    fn seal(&self, msg: &HaMsg, keys: &Keyring) -> Result<Bytes, EncodeError> {
        Ok(linuxha::encode_compressed(
            msg,
            keys,
            self.msgfmt,
            self.compression,
        )?)
    }

    /// The Heartbeat fields of a message we send (`status`: a status, which
    /// carries `protocol`).
    fn extras(&self, dest: Option<&str>, since_start: Duration, status: bool) -> Extras {
        Extras {
            ts: self.wall_clock_at_start + since_start.as_secs(),
            load: None,
            ttl: Some(self.ttl),
            dest_uuid: dest.and_then(|d| self.uuids.get(d)).copied(),
            protocol: status.then_some(1),
            info: None,
        }
    }
}

/// Read a datagram in whichever dialect it is, checking its authentication
/// with the key of the index it names.
pub(super) fn decode(datagram: &[u8], keys: &Keyring) -> Result<Inbound, DecodeError> {
    if !linuxha::is_linux_ha(datagram) {
        let packet = native::decode(datagram, keys)?;
        return Ok(Inbound::Packet {
            packet,
            linux_ha: false,
        });
    }
    let msg = crate::wire::linuxha_verified(datagram, keys)?;
    match linuxha::classify(&msg)? {
        Classified::Known { mut packet, .. } => {
            if let Message::Status(status) = &mut packet.message {
                status.timestamp_ms = packet.seq;
            }
            Ok(Inbound::Packet {
                packet,
                linux_ha: true,
            })
        }
        Classified::Other {
            msg_type,
            envelope: Some(envelope),
        } => Ok(Inbound::Foreign {
            envelope,
            request: foreign_request(&msg, msg_type),
        }),
        Classified::Other { envelope: None, .. } => Err(DecodeError::LinuxHaFields(
            linuxha::MapError::Missing(names::F_SRC),
        )),
    }
}

/// What the foreign message `msg` of type `msg_type` asks of us.
fn foreign_request(msg: &HaMsg, msg_type: String) -> ForeignRequest {
    if msg_type.eq_ignore_ascii_case(names::T_REQNODES) {
        return ForeignRequest::NodeList;
    }
    match linuxha::map::takeover_set(msg) {
        // The sender's local groups are our foreign ones and back.
        Some(wanted) => ForeignRequest::Standby(match wanted {
            Holdings::Local => Holdings::Foreign,
            Holdings::Foreign => Holdings::Local,
            other => other,
        }),
        None => ForeignRequest::Ignored { msg_type },
    }
}
