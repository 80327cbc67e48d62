//! Building Heartbeat messages from packets ([`compose`]).

use super::names::*;
use super::numbers::hex;
use super::{Extras, MapError};
use crate::wire::linuxha::msg::{HaMsg, Value};
use crate::wire::{Holdings, Message, NodeStatus, Packet, StandbyPhase};

/// The message Heartbeat 3.0.6 would send for `packet`, fields in its order:
/// `t`, `dest`, the type's own fields, `destuuid`, then the control fields
/// `src`, `srcuuid`, `seq`, `hg`, `ts`, `ld`, `ttl` (no `seq` and no `ld`
/// for `NS_*` types). The classic `auth` field is added by
/// [`crate::wire::linuxha::encode`].
///
/// A status takes `ts` from `extras.ts` (seconds), not from
/// [`crate::wire::Status::timestamp_ms`], and has no holdings field.
/// Errors: [`MapError::Unsupported`] for application payloads.
pub fn compose(packet: &Packet, extras: &Extras) -> Result<HaMsg, MapError> {
    let mut msg = HaMsg::new();
    let msg_type = type_of(&packet.message)?;
    msg.push_str(F_TYPE, msg_type);
    if let Some(dest) = &packet.dest {
        msg.push_str(F_DEST, dest);
    }
    body(&mut msg, &packet.message, extras);
    if packet.dest.is_some() {
        if let Some(uuid) = extras.dest_uuid {
            msg.push_binary(F_DESTUUID, uuid.0);
        }
    }
    let sequenced = !msg_type.starts_with(NOSEQ_PREFIX);
    msg.push_str(F_SRC, &packet.from);
    msg.push_binary(F_SRCUUID, packet.from_uuid.0);
    if sequenced {
        msg.push_str(F_SEQ, hex(packet.seq));
    }
    msg.push_str(F_HG, hex(packet.generation));
    msg.push_str(F_TS, hex(extras.ts));
    if sequenced {
        if let Some(load) = &extras.load {
            msg.push_str(F_LD, load);
        }
    }
    if let Some(ttl) = extras.ttl {
        msg.push_str(F_TTL, ttl.to_string());
    }
    Ok(msg)
}

/// The `t` of `message`.
fn type_of(message: &Message) -> Result<&'static str, MapError> {
    Ok(match message {
        Message::Status(_) => T_STATUS,
        Message::IpRequest { .. } => T_IP_REQUEST,
        Message::IpRequestResp { .. } => T_IP_REQUEST_RESP,
        Message::RexmitRequest { .. } => T_REXMIT,
        Message::NakRexmit { .. } => T_NAK_REXMIT,
        Message::Ack { .. } => T_ACKMSG,
        Message::Starting => T_STARTING,
        Message::ResourceReport { .. } => T_RESOURCE,
        Message::AskResources { .. } => T_ASK_RESOURCES,
        Message::Shutdone => T_SHUTDONE,
        Message::App { .. } => return Err(MapError::Unsupported("application payloads")),
        Message::Ownership(_) => {
            return Err(MapError::Unsupported(
                "ownership announcements (heartbeat-rs only)",
            ))
        }
    })
}

/// The fields of `message` between `t`/`dest` and the control fields.
fn body(msg: &mut HaMsg, message: &Message, extras: &Extras) {
    let info = |msg: &mut HaMsg| {
        if let Some(info) = &extras.info {
            msg.push_str(F_INFO, info);
        }
    };
    match message {
        Message::Status(status) => {
            msg.push_str(F_STATUS, node_status(status.status));
            msg.push_str(F_DEADTIME, hex(u64::from(status.deadtime_ms)));
            if let Some(protocol) = extras.protocol {
                msg.push_str(F_PROTOCOL, protocol.to_string());
            }
        }
        Message::IpRequest { group } => msg.push_str(F_IPADDR, group),
        Message::IpRequestResp { group, we_own, ok } => {
            msg.push_str(F_IPADDR, group);
            msg.push_str(F_WEOWN, if *we_own { "yes" } else { "no" });
            if *ok {
                msg.push_str(F_OK, "OK");
            }
        }
        Message::RexmitRequest {
            first_seq,
            last_seq,
        } => {
            msg.push_str(F_FIRSTSEQ, first_seq.to_string());
            msg.push_str(F_LASTSEQ, last_seq.to_string());
        }
        Message::NakRexmit { seq } => {
            msg.push_str(F_FIRSTSEQ, hex(*seq));
            info(msg);
        }
        // NS_ackmsg has no field for the ack delay: it is dropped.
        Message::Ack { ack_seq, .. } => msg.push_str(F_ACKSEQ, hex(*ack_seq)),
        Message::Starting | Message::App { .. } | Message::Ownership(_) => {}
        Message::ResourceReport {
            holdings: held,
            full,
            stable,
        } => {
            msg.push_str(F_RSC_HOLD, holdings(*held));
            if *full {
                msg.push_str(F_RTYPE, "full");
            }
            if *full || *stable {
                msg.push_str(F_ISSTABLE, if *stable { "1" } else { "0" });
            }
            info(msg);
        }
        Message::AskResources {
            holdings: held,
            phase,
        } => {
            msg.push_str(F_RSC_HOLD, holdings(*held));
            msg.push_str(F_INFO, standby_phase(*phase));
        }
        Message::Shutdone => msg.push(F_STATUS, Value::Str(b"dead".to_vec())),
    }
}

/// `st` text of a node status.
fn node_status(status: NodeStatus) -> &'static str {
    match status {
        NodeStatus::Init => "init",
        NodeStatus::Up => "up",
        NodeStatus::Active => "active",
    }
}

/// `rsc_hold` text.
fn holdings(h: Holdings) -> &'static str {
    match h {
        Holdings::None => "none",
        Holdings::Local => "local",
        Holdings::Foreign => "foreign",
        Holdings::All => "all",
    }
}

/// `info` text of an `ask_resources` phase.
fn standby_phase(phase: StandbyPhase) -> &'static str {
    match phase {
        StandbyPhase::Me => "me",
        StandbyPhase::Other => "other",
        StandbyPhase::Done => "done",
    }
}
