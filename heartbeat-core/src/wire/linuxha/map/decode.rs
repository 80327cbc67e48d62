//! Reading Heartbeat messages as packets ([`classify`]).

use super::names::*;
use super::numbers::{parse_dec, parse_hex};
use super::{Classified, Envelope, Extras, MapError};
use crate::wire::linuxha::msg::HaMsg;
use bytes::Bytes;

use crate::wire::{
    GroupHold, Holdings, Message, NodeStatus, NodeUuid, Ownership, Packet, StandbyPhase, Status,
    ACK_DELAY_UNKNOWN,
};

/// Read `msg` as a [`Packet`] when its type has a counterpart, else report
/// its type and envelope. Message types compare case-insensitively, as in
/// Heartbeat.
pub fn classify(msg: &HaMsg) -> Result<Classified, MapError> {
    if msg.get(F_COMPRESSED_PAYLOAD).is_some() {
        return Err(MapError::Compressed);
    }
    let msg_type = string(msg, F_TYPE)?;
    let is = |t: &str| msg_type.eq_ignore_ascii_case(t);
    let message = if is(T_STATUS) {
        status(msg)?
    } else if is(T_IP_REQUEST) {
        Message::IpRequest {
            group: string(msg, F_IPADDR)?.to_owned(),
        }
    } else if is(T_IP_REQUEST_RESP) {
        Message::IpRequestResp {
            group: string(msg, F_IPADDR)?.to_owned(),
            we_own: msg.get_bytes(F_WEOWN) == Some(b"yes"),
            ok: msg.get_bytes(F_OK) == Some(b"OK"),
        }
    } else if is(T_REXMIT) {
        Message::RexmitRequest {
            first_seq: number(msg, F_FIRSTSEQ, parse_dec)?,
            last_seq: number(msg, F_LASTSEQ, parse_dec)?,
        }
    } else if is(T_NAK_REXMIT) {
        Message::NakRexmit {
            seq: number(msg, F_FIRSTSEQ, parse_hex)?,
        }
    } else if is(T_ACKMSG) {
        Message::Ack {
            ack_seq: number(msg, F_ACKSEQ, parse_hex)?,
            // NS_ackmsg has no delay: unknown, so no round-trip sample.
            delay_us: ACK_DELAY_UNKNOWN,
        }
    } else if is(T_STARTING) {
        Message::Starting
    } else if is(T_RESOURCE) {
        Message::ResourceReport {
            holdings: holdings(msg)?,
            full: msg.get_bytes(F_RTYPE) == Some(b"full"),
            stable: msg.get_bytes(F_ISSTABLE) == Some(b"1"),
        }
    } else if is(T_ASK_RESOURCES) {
        Message::AskResources {
            holdings: holdings(msg)?,
            phase: match string(msg, F_INFO)? {
                "me" => StandbyPhase::Me,
                "other" => StandbyPhase::Other,
                "done" => StandbyPhase::Done,
                _ => return Err(MapError::Invalid(F_INFO)),
            },
        }
    } else if is(T_SHUTDONE) {
        Message::Shutdone
    } else if is(T_HBRS_APP) {
        Message::App {
            payload: Bytes::copy_from_slice(
                msg.get_binary(F_DATA).ok_or(MapError::Missing(F_DATA))?,
            ),
        }
    } else if is(T_HBRS_OWNERSHIP) {
        Message::Ownership(ownership(msg)?)
    } else if is(T_STONITH) && msg.get_bytes(F_RESULT) == Some(STONITH_OK.as_bytes()) {
        Message::Fenced {
            node: string(msg, F_NODE)?.to_ascii_lowercase(),
            generation: match msg.get(F_HBRS_GENERATION) {
                Some(_) => number(msg, F_HBRS_GENERATION, parse_hex)?,
                None => 0,
            },
        }
    } else {
        return Ok(Classified::Other {
            msg_type: msg_type.to_owned(),
            envelope: envelope(msg, is_noseq(msg_type)).ok(),
        });
    };
    let mut env = envelope(msg, is_noseq(msg_type))?;
    if let Message::Ownership(_) = message {
        env.seq = number(msg, F_HISEQ, parse_hex)?;
    }
    let extras = extras(msg, &message)?;
    Ok(Classified::Known {
        packet: Packet {
            from: env.from,
            from_uuid: env.from_uuid,
            generation: env.generation,
            seq: env.seq,
            dest: env.dest,
            message,
        },
        extras,
    })
}

/// Whether messages of `msg_type` carry no sequence number (`NS_*`).
fn is_noseq(msg_type: &str) -> bool {
    msg_type
        .get(..NOSEQ_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(NOSEQ_PREFIX))
}

/// `src`, `srcuuid`, `hg`, `seq` (unless `noseq`) and `dest`.
fn envelope(msg: &HaMsg, noseq: bool) -> Result<Envelope, MapError> {
    Ok(Envelope {
        from: string(msg, F_SRC)?.to_owned(),
        from_uuid: uuid(msg, F_SRCUUID)?.ok_or(MapError::Missing(F_SRCUUID))?,
        generation: number(msg, F_HG, parse_hex)?,
        seq: if noseq {
            0
        } else {
            number(msg, F_SEQ, parse_hex)?
        },
        dest: optional_string(msg, F_DEST)?.map(str::to_owned),
    })
}

/// The [`Extras`] of `msg`; `info` is the phase of `ask_resources`, so it is
/// not repeated there.
fn extras(msg: &HaMsg, message: &Message) -> Result<Extras, MapError> {
    let info = match message {
        Message::AskResources { .. } => None,
        _ => optional_string(msg, F_INFO)?.map(str::to_owned),
    };
    Ok(Extras {
        ts: number(msg, F_TS, parse_hex)?,
        load: optional_string(msg, F_LD)?.map(str::to_owned),
        ttl: optional_number(msg, F_TTL, parse_dec)?,
        dest_uuid: uuid(msg, F_DESTUUID)?,
        protocol: optional_number(msg, F_PROTOCOL, parse_dec)?,
        info,
    })
}

/// A status message's body.
fn status(msg: &HaMsg) -> Result<Message, MapError> {
    let status = match string(msg, F_STATUS)? {
        "init" => NodeStatus::Init,
        "up" => NodeStatus::Up,
        "active" => NodeStatus::Active,
        _ => return Err(MapError::Invalid(F_STATUS)),
    };
    let deadtime = number(msg, F_DEADTIME, parse_hex)?;
    Ok(Message::Status(Status {
        status,
        deadtime_ms: u32::try_from(deadtime).map_err(|_| MapError::Invalid(F_DEADTIME))?,
        holdings: Holdings::None,
        timestamp_ms: number(msg, F_TS, parse_hex)?.saturating_mul(1000),
        view: None,
    }))
}

/// The body of heartbeat-rs's ownership announcement.
fn ownership(msg: &HaMsg) -> Result<Ownership, MapError> {
    let holds = string(msg, F_HOLDS)?
        .chars()
        .map(|c| match c {
            'f' => Ok(GroupHold::Free),
            'h' => Ok(GroupHold::Held),
            'u' => Ok(GroupHold::Unmanaged),
            _ => Err(MapError::Invalid(F_HOLDS)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let faults = optional_string(msg, F_FAULTS)?
        .unwrap_or("")
        .chars()
        .map(|c| match c {
            '0' => Ok(false),
            '1' => Ok(true),
            _ => Err(MapError::Invalid(F_FAULTS)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Ownership {
        serial: number(msg, F_SERIAL, parse_hex)?,
        groups_digest: optional_number(msg, F_GROUPS_DIGEST, parse_hex)?
            .ok_or(MapError::Missing(F_GROUPS_DIGEST))?,
        first: optional_number(msg, F_FIRST, parse_dec)?.ok_or(MapError::Missing(F_FIRST))?,
        holds,
        faults,
    })
}

/// The set of an `hb_takeover` message (`rsc_hold`, relative to its
/// sender), or `None` when `msg` is no such message or the set is malformed.
pub fn takeover_set(msg: &HaMsg) -> Option<Holdings> {
    msg.msg_type()
        .is_some_and(|t| t.eq_ignore_ascii_case(T_HB_TAKEOVER))
        .then(|| holdings(msg).ok())
        .flatten()
}

/// `rsc_hold`.
fn holdings(msg: &HaMsg) -> Result<Holdings, MapError> {
    Ok(match string(msg, F_RSC_HOLD)? {
        "none" => Holdings::None,
        "local" => Holdings::Local,
        "foreign" => Holdings::Foreign,
        "all" => Holdings::All,
        _ => return Err(MapError::Invalid(F_RSC_HOLD)),
    })
}

/// A required UTF-8 string field.
fn string<'m>(msg: &'m HaMsg, name: &'static str) -> Result<&'m str, MapError> {
    optional_string(msg, name)?.ok_or(MapError::Missing(name))
}

/// An optional UTF-8 string field; present with another type is an error.
fn optional_string<'m>(msg: &'m HaMsg, name: &'static str) -> Result<Option<&'m str>, MapError> {
    match msg.get(name) {
        None => Ok(None),
        Some(_) => msg.get_str(name).map(Some).ok_or(MapError::Invalid(name)),
    }
}

/// A required number field read with `parse`.
fn number<T>(
    msg: &HaMsg,
    name: &'static str,
    parse: fn(&[u8]) -> Option<T>,
) -> Result<T, MapError> {
    optional_number(msg, name, parse)?.ok_or(MapError::Missing(name))
}

/// An optional number field read with `parse` (then converted to `T`).
fn optional_number<T, U: TryInto<T>>(
    msg: &HaMsg,
    name: &'static str,
    parse: fn(&[u8]) -> Option<U>,
) -> Result<Option<T>, MapError> {
    match msg.get(name) {
        None => Ok(None),
        Some(_) => msg
            .get_bytes(name)
            .and_then(parse)
            .and_then(|n| n.try_into().ok())
            .map(Some)
            .ok_or(MapError::Invalid(name)),
    }
}

/// An optional 16-byte binary uuid field.
fn uuid(msg: &HaMsg, name: &'static str) -> Result<Option<NodeUuid>, MapError> {
    match msg.get(name) {
        None => Ok(None),
        Some(_) => msg
            .get_binary(name)
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map(|b| Some(NodeUuid(b)))
            .ok_or(MapError::Invalid(name)),
    }
}
