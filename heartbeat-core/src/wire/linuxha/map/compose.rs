//! Building Heartbeat messages from packets ([`compose`]).

use super::names::*;
use super::numbers::hex;
use super::{Envelope, Extras, MapError};
use crate::wire::linuxha::msg::{HaMsg, Value};
use crate::wire::{GroupHold, Holdings, Message, NodeStatus, Ownership, Packet, StandbyPhase};

/// The message Heartbeat 3.0.6 would send for `packet`, fields in its order:
/// `t`, `dest`, the type's own fields, `destuuid`, then the control fields
/// `src`, `srcuuid`, `seq`, `hg`, `ts`, `ld`, `ttl` (no `seq` and no `ld`
/// for `NS_*` types). The classic `auth` field is added by
/// [`crate::wire::linuxha::encode`].
///
/// A status takes `ts` from `extras.ts` (seconds), not from
/// [`crate::wire::Status::timestamp_ms`], and has no holdings field.
/// Application payloads and ownership announcements, which Heartbeat does
/// not have, travel as heartbeat-rs's own types `hbrs-app` and
/// `NS_hbrs_ownership` (the latter with the sender's highest sequenced
/// number in `hiseq`); Heartbeat peers ignore them.
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
    if let Message::Ownership(_) = packet.message {
        msg.push_str(F_HISEQ, hex(packet.seq));
    }
    let envelope = Envelope {
        from: packet.from.clone(),
        from_uuid: packet.from_uuid,
        generation: packet.generation,
        seq: packet.seq,
        dest: packet.dest.clone(),
    };
    push_control_fields(&mut msg, &envelope, extras);
    Ok(msg)
}

/// Append the control fields Heartbeat adds to every message it
/// originates, in its order: `src`, `srcuuid`, `seq`, `hg`, `ts`, `ld`,
/// `ttl` (no `seq` and no `ld` when the message's `t` starts with `NS_`).
pub fn push_control_fields(msg: &mut HaMsg, envelope: &Envelope, extras: &Extras) {
    let sequenced = !msg.msg_type().is_some_and(|t| t.starts_with(NOSEQ_PREFIX));
    msg.push_str(F_SRC, &envelope.from);
    msg.push_binary(F_SRCUUID, envelope.from_uuid.0);
    if sequenced {
        msg.push_str(F_SEQ, hex(envelope.seq));
    }
    msg.push_str(F_HG, hex(envelope.generation));
    msg.push_str(F_TS, hex(extras.ts));
    if sequenced {
        if let Some(load) = &extras.load {
            msg.push_str(F_LD, load);
        }
    }
    if let Some(ttl) = extras.ttl {
        msg.push_str(F_TTL, ttl.to_string());
    }
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
        Message::App { .. } => T_HBRS_APP,
        Message::Ownership(_) => T_HBRS_OWNERSHIP,
        Message::Fenced { .. } => T_STONITH,
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
        Message::Starting => {}
        Message::App { payload } => msg.push_binary(F_DATA, payload),
        Message::Ownership(o) => ownership(msg, o),
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
        Message::Fenced { node, generation } => {
            msg.push_str(F_NODE, node);
            msg.push_str(F_RESULT, STONITH_OK);
            msg.push_str(F_HBRS_GENERATION, hex(*generation));
        }
    }
}

/// The fields of an ownership announcement (heartbeat-rs's own type).
fn ownership(msg: &mut HaMsg, o: &Ownership) {
    msg.push_str(F_SERIAL, hex(o.serial));
    msg.push_str(F_GROUPS_DIGEST, hex(u64::from(o.groups_digest)));
    msg.push_str(F_FIRST, o.first.to_string());
    let holds: String = o
        .holds
        .iter()
        .map(|h| match h {
            GroupHold::Free => 'f',
            GroupHold::Held => 'h',
            GroupHold::Unmanaged => 'u',
        })
        .collect();
    msg.push_str(F_HOLDS, holds);
    if !o.faults.is_empty() {
        let faults: String = o
            .faults
            .iter()
            .map(|&f| if f { '1' } else { '0' })
            .collect();
        msg.push_str(F_FAULTS, faults);
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
