//! Numbers of the native layout: message type codes and enum encodings.
//!
//! These tables are the single place where a Rust enum meets a wire byte; they
//! are specified in `heartbeat-core/WIRE.md` and must only ever grow.

use crate::wire::{DecodeError, GroupHold, Holdings, Message, NodeStatus, StandbyPhase};

/// Message type codes (header byte 3).
pub(super) mod kind {
    /// `Message::Status`.
    pub(crate) const STATUS: u8 = 1;
    /// `Message::IpRequest`.
    pub(crate) const IP_REQUEST: u8 = 2;
    /// `Message::IpRequestResp`.
    pub(crate) const IP_REQUEST_RESP: u8 = 3;
    /// `Message::RexmitRequest`.
    pub(crate) const REXMIT_REQUEST: u8 = 4;
    /// `Message::NakRexmit`.
    pub(crate) const NAK_REXMIT: u8 = 5;
    /// `Message::Ack`.
    pub(crate) const ACK: u8 = 6;
    /// `Message::Starting`.
    pub(crate) const STARTING: u8 = 7;
    /// `Message::ResourceReport`.
    pub(crate) const RESOURCE_REPORT: u8 = 8;
    /// `Message::AskResources`.
    pub(crate) const ASK_RESOURCES: u8 = 9;
    /// `Message::Shutdone`.
    pub(crate) const SHUTDONE: u8 = 10;
    /// `Message::App`.
    pub(crate) const APP: u8 = 11;
    /// `Message::Ownership`.
    pub(crate) const OWNERSHIP: u8 = 12;
    /// `Message::Fenced`.
    pub(crate) const FENCED: u8 = 13;

    /// Whether `code` names a message type this version knows.
    pub(crate) fn is_known(code: u8) -> bool {
        (STATUS..=FENCED).contains(&code)
    }
}

/// The type code of `message`.
pub(super) fn kind_of(message: &Message) -> u8 {
    match message {
        Message::Status(_) => kind::STATUS,
        Message::IpRequest { .. } => kind::IP_REQUEST,
        Message::IpRequestResp { .. } => kind::IP_REQUEST_RESP,
        Message::RexmitRequest { .. } => kind::REXMIT_REQUEST,
        Message::NakRexmit { .. } => kind::NAK_REXMIT,
        Message::Ack { .. } => kind::ACK,
        Message::Starting => kind::STARTING,
        Message::ResourceReport { .. } => kind::RESOURCE_REPORT,
        Message::AskResources { .. } => kind::ASK_RESOURCES,
        Message::Shutdone => kind::SHUTDONE,
        Message::App { .. } => kind::APP,
        Message::Ownership(_) => kind::OWNERSHIP,
        Message::Fenced { .. } => kind::FENCED,
    }
}

/// `NodeStatus` byte.
pub(super) fn status_to_u8(status: NodeStatus) -> u8 {
    match status {
        NodeStatus::Init => 0,
        NodeStatus::Up => 1,
        NodeStatus::Active => 2,
    }
}

/// `NodeStatus` from its byte.
pub(super) fn status_from_u8(byte: u8) -> Result<NodeStatus, DecodeError> {
    match byte {
        0 => Ok(NodeStatus::Init),
        1 => Ok(NodeStatus::Up),
        2 => Ok(NodeStatus::Active),
        _ => Err(DecodeError::InvalidField("status")),
    }
}

/// `Holdings` byte.
pub(super) fn holdings_to_u8(holdings: Holdings) -> u8 {
    match holdings {
        Holdings::None => 0,
        Holdings::Local => 1,
        Holdings::Foreign => 2,
        Holdings::All => 3,
    }
}

/// `Holdings` from its byte.
pub(super) fn holdings_from_u8(byte: u8) -> Result<Holdings, DecodeError> {
    match byte {
        0 => Ok(Holdings::None),
        1 => Ok(Holdings::Local),
        2 => Ok(Holdings::Foreign),
        3 => Ok(Holdings::All),
        _ => Err(DecodeError::InvalidField("holdings")),
    }
}

/// `StandbyPhase` byte.
pub(super) fn phase_to_u8(phase: StandbyPhase) -> u8 {
    match phase {
        StandbyPhase::Me => 0,
        StandbyPhase::Other => 1,
        StandbyPhase::Done => 2,
    }
}

/// `StandbyPhase` from its byte.
pub(super) fn phase_from_u8(byte: u8) -> Result<StandbyPhase, DecodeError> {
    match byte {
        0 => Ok(StandbyPhase::Me),
        1 => Ok(StandbyPhase::Other),
        2 => Ok(StandbyPhase::Done),
        _ => Err(DecodeError::InvalidField("phase")),
    }
}

/// `GroupHold` as its 2-bit code.
pub(super) fn hold_to_bits(hold: GroupHold) -> u8 {
    match hold {
        GroupHold::Free => 0,
        GroupHold::Held => 1,
        GroupHold::Unmanaged => 2,
    }
}

/// `GroupHold` from its 2-bit code (3 is invalid).
pub(super) fn hold_from_bits(bits: u8) -> Result<GroupHold, DecodeError> {
    match bits {
        0 => Ok(GroupHold::Free),
        1 => Ok(GroupHold::Held),
        2 => Ok(GroupHold::Unmanaged),
        _ => Err(DecodeError::InvalidField("holds")),
    }
}
