//! Heartbeat's cluster messages in terms of [`crate::wire::Message`].
//!
//! [`classify`] reads the envelope (`src`, `srcuuid`, `hg`, `seq`, `dest`)
//! and, for the types with a counterpart, the body: `status`, `ip-request`,
//! `ip-request-resp`, `NS_rexmit`, `NS_nak_rexmit`, `NS_ackmsg`, `starting`,
//! `resource`, `ask_resources`, `shutdone`. Other types (`reqnodes`,
//! `repnodes`, `stonith`, `NS_st`, `hb_takeover`, ...) come back as
//! [`Classified::Other`] with their envelope, to be handled at the Linux-HA
//! level or logged and ignored ([`takeover_set`] reads `hb_takeover`). [`compose`] builds the message Heartbeat
//! would send for a [`Packet`], fields in Heartbeat's order.
//!
//! What a [`Packet`] does not carry travels in [`Extras`] (`ts`, `ld`, `ttl`,
//! `destuuid`, `protocol`, `info`), so that composing what was classified
//! gives Heartbeat's message back field for field. Traps handled here: hex
//! `seq`/`hg`/`ts`/`dt`/`ackseq` and nak `firstseq`, but decimal `firstseq`/
//! `lastseq` in `NS_rexmit`; binary (type 1) uuids; no `seq`/`ld` in `NS_*`.

mod compose;
mod decode;
pub mod names;
mod numbers;

pub use compose::{compose, push_control_fields};
pub use decode::{classify, takeover_set};

use crate::wire::{NodeUuid, Packet};

/// The Heartbeat fields of a message that [`Packet`] has no place for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extras {
    /// `ts`: the sender's wall clock in seconds. For a status this is also
    /// [`crate::wire::Status::timestamp_ms`] / 1000.
    pub ts: u64,
    /// `ld`: the sender's load average text (sequenced messages only).
    pub load: Option<String>,
    /// `ttl`: hopfudge + configured nodes (decimal).
    pub ttl: Option<u32>,
    /// `destuuid`: the destination's uuid, when the message has a `dest`.
    pub dest_uuid: Option<NodeUuid>,
    /// `protocol` of a status: `1` when the sender does flow control.
    pub protocol: Option<u32>,
    /// `info`: comment of a resource report (`req_our_resources()`,
    /// `mach_down`, `standby`, `shutdown`) or reason of a nak.
    pub info: Option<String>,
}

/// Who sent a message, in which incarnation, with which sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// `src`.
    pub from: String,
    /// `srcuuid`.
    pub from_uuid: NodeUuid,
    /// `hg`.
    pub generation: u64,
    /// `seq`, or 0 for `NS_*` messages.
    pub seq: u64,
    /// `dest`, if any.
    pub dest: Option<String>,
}

/// A Heartbeat message read in our terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Classified {
    /// A message with a counterpart in [`crate::wire::Message`].
    Known {
        /// The packet.
        packet: Packet,
        /// The Heartbeat fields the packet has no place for.
        extras: Extras,
    },
    /// A message type without counterpart.
    Other {
        /// Its type (`t`).
        msg_type: String,
        /// Its envelope, or `None` when `src`, `srcuuid` or `hg` is missing
        /// or malformed (as in ping nodes' `NS_st`).
        envelope: Option<Envelope>,
    },
}

/// Why a message could not be read as, or built from, a [`Packet`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MapError {
    /// A field the message type requires is absent.
    #[error("missing field {0:?}")]
    Missing(&'static str),
    /// A field holds a value of the wrong type or outside its range.
    #[error("invalid field {0:?}")]
    Invalid(&'static str),
    /// The whole message was compressed (`_compressed_payload`); Heartbeat's
    /// own protocol never needs that and it is not decompressed here.
    #[error("compressed message")]
    Compressed,
    /// The message has no Linux-HA form (application payloads).
    #[error("no Linux-HA form for {0}")]
    Unsupported(&'static str),
}
