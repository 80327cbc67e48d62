//! Envelope and message bodies of the native layout: sizes, writing, reading.
//!
//! Writers assume the packet was validated (`super::check_fields`); readers
//! run only on authenticated bytes and check every field anyway.

use bytes::{BufMut, Bytes, BytesMut};

use super::layout::{self, kind};
use super::reader::Reader;
use crate::wire::{
    DecodeError, GroupHold, MembershipView, Message, NodeUuid, Ownership, Packet, Status,
    MAX_ANNOUNCED_GROUPS, MAX_GROUP_KEY, MAX_NODE_NAME, MAX_VIEW_NODES,
};

/// Size of a status body: status, deadtime, holdings, timestamp.
const STATUS_BODY_LEN: usize = 1 + 4 + 1 + 8;

/// Fixed part of an ownership body: serial, digest, first, count.
const OWNERSHIP_FIXED_LEN: usize = 8 + 4 + 2 + 2;

/// Bytes holding `count` 2-bit group states.
fn holds_len(count: usize) -> usize {
    count.div_ceil(4)
}

/// Bytes of the optional fault bitmap: none when no group is faulty.
fn faults_len(faults: &[bool]) -> usize {
    if faults.iter().any(|f| *f) {
        faults.len().div_ceil(8)
    } else {
        0
    }
}

/// Encoded size of the envelope of `packet`.
pub(super) fn envelope_len(packet: &Packet) -> usize {
    let dest = packet.dest.as_ref().map_or(0, |d| 1 + d.len());
    1 + packet.from.len() + 16 + 8 + 8 + dest
}

/// Encoded size of the body of `message`.
pub(super) fn body_len(message: &Message) -> usize {
    match message {
        Message::Status(s) => STATUS_BODY_LEN + s.view.as_ref().map_or(0, view_len),
        Message::IpRequest { group } => 1 + group.len(),
        Message::IpRequestResp { group, .. } => 1 + group.len() + 2,
        Message::RexmitRequest { .. } => 16,
        Message::NakRexmit { .. } => 8,
        Message::Ack { .. } => 12,
        Message::Starting | Message::Shutdone => 0,
        Message::ResourceReport { .. } => 3,
        Message::AskResources { .. } => 2,
        Message::App { payload } => payload.len(),
        Message::Ownership(o) => {
            OWNERSHIP_FIXED_LEN + holds_len(o.holds.len()) + faults_len(&o.faults)
        }
        Message::Fenced { node, .. } => 1 + node.len() + 8,
    }
}

/// Encoded size of a membership view: digest, count, bitmap.
fn view_len(view: &MembershipView) -> usize {
    4 + 2 + view.alive.len().div_ceil(8)
}

/// Write a string whose length (checked by the caller) fits one byte.
fn put_str_u8(buf: &mut BytesMut, s: &str) {
    debug_assert!(s.len() <= usize::from(u8::MAX));
    buf.put_u8(s.len() as u8);
    buf.put_slice(s.as_bytes());
}

/// Write the envelope of `packet`.
pub(super) fn put_envelope(buf: &mut BytesMut, packet: &Packet) {
    put_str_u8(buf, &packet.from);
    buf.put_slice(&packet.from_uuid.0);
    buf.put_u64(packet.generation);
    buf.put_u64(packet.seq);
    if let Some(dest) = &packet.dest {
        put_str_u8(buf, dest);
    }
}

/// Write the body of `message`.
pub(super) fn put_body(buf: &mut BytesMut, message: &Message) {
    match message {
        Message::Status(s) => {
            buf.put_u8(layout::status_to_u8(s.status));
            buf.put_u32(s.deadtime_ms);
            buf.put_u8(layout::holdings_to_u8(s.holdings));
            buf.put_u64(s.timestamp_ms);
            if let Some(view) = &s.view {
                put_view(buf, view);
            }
        }
        Message::IpRequest { group } => put_str_u8(buf, group),
        Message::IpRequestResp { group, we_own, ok } => {
            put_str_u8(buf, group);
            buf.put_u8(u8::from(*we_own));
            buf.put_u8(u8::from(*ok));
        }
        Message::RexmitRequest {
            first_seq,
            last_seq,
        } => {
            buf.put_u64(*first_seq);
            buf.put_u64(*last_seq);
        }
        Message::NakRexmit { seq } => buf.put_u64(*seq),
        Message::Ack { ack_seq, delay_us } => {
            buf.put_u64(*ack_seq);
            buf.put_u32(*delay_us);
        }
        Message::Starting | Message::Shutdone => {}
        Message::ResourceReport {
            holdings,
            full,
            stable,
        } => {
            buf.put_u8(layout::holdings_to_u8(*holdings));
            buf.put_u8(u8::from(*full));
            buf.put_u8(u8::from(*stable));
        }
        Message::AskResources { holdings, phase } => {
            buf.put_u8(layout::holdings_to_u8(*holdings));
            buf.put_u8(layout::phase_to_u8(*phase));
        }
        Message::App { payload } => buf.put_slice(payload),
        Message::Ownership(o) => put_ownership(buf, o),
        Message::Fenced { node, generation } => {
            put_str_u8(buf, node);
            buf.put_u64(*generation);
        }
    }
}

/// Write a membership view: digest, node count (u16), then one bit per
/// node, first node in the high bit; unused bits of the last byte are 0.
fn put_view(buf: &mut BytesMut, view: &MembershipView) {
    debug_assert!(view.alive.len() <= MAX_VIEW_NODES);
    buf.put_u32(view.nodes_digest);
    buf.put_u16(view.alive.len() as u16);
    for chunk in view.alive.chunks(8) {
        let byte = chunk
            .iter()
            .enumerate()
            .fold(0u8, |b, (k, alive)| b | (u8::from(*alive) << (7 - k)));
        buf.put_u8(byte);
    }
}

/// Read a membership view (see [`put_view`]).
fn read_view(r: &mut Reader<'_>) -> Result<MembershipView, DecodeError> {
    let nodes_digest = r.u32()?;
    let count = usize::from(r.u16()?);
    if count > MAX_VIEW_NODES {
        return Err(DecodeError::InvalidField("view node count"));
    }
    let mut alive = Vec::with_capacity(count);
    for byte_index in 0..count.div_ceil(8) {
        let byte = r.u8()?;
        let bits = (count - byte_index * 8).min(8);
        for k in 0..bits {
            alive.push(byte & (1 << (7 - k)) != 0);
        }
        if bits < 8 && byte & (0xff >> bits) != 0 {
            return Err(DecodeError::InvalidField("view padding bits"));
        }
    }
    Ok(MembershipView {
        nodes_digest,
        alive,
    })
}

/// Write an ownership body: group `first + k` is bits `7 - 2(k % 4)` and
/// `6 - 2(k % 4)` of byte `k / 4` (first group in the high bits); unused
/// bits of the last byte are 0.
fn put_ownership(buf: &mut BytesMut, o: &Ownership) {
    buf.put_u64(o.serial);
    buf.put_u32(o.groups_digest);
    buf.put_u16(o.first);
    // Checked by the caller: 1..=MAX_ANNOUNCED_GROUPS entries.
    buf.put_u16(o.holds.len() as u16);
    for chunk in o.holds.chunks(4) {
        let byte = chunk.iter().enumerate().fold(0u8, |b, (k, h)| {
            b | (layout::hold_to_bits(*h) << (6 - 2 * k))
        });
        buf.put_u8(byte);
    }
    if faults_len(&o.faults) > 0 {
        for chunk in o.faults.chunks(8) {
            let byte = chunk
                .iter()
                .enumerate()
                .fold(0u8, |b, (k, f)| b | (u8::from(*f) << (7 - k)));
            buf.put_u8(byte);
        }
    }
}

/// Read an ownership body (see [`put_ownership`]).
fn read_ownership(r: &mut Reader<'_>) -> Result<Ownership, DecodeError> {
    let serial = r.u64()?;
    let groups_digest = r.u32()?;
    let first = r.u16()?;
    let count = usize::from(r.u16()?);
    if count == 0 || count > MAX_ANNOUNCED_GROUPS {
        return Err(DecodeError::InvalidField("holds"));
    }
    let bytes = r.bytes(holds_len(count))?;
    let mut holds: Vec<GroupHold> = Vec::with_capacity(count);
    for k in 0..bytes.len() * 4 {
        let bits = (bytes[k / 4] >> (6 - 2 * (k % 4))) & 0b11;
        if k < count {
            holds.push(layout::hold_from_bits(bits)?);
        } else if bits != 0 {
            return Err(DecodeError::InvalidField("holds"));
        }
    }
    let faults = if r.remaining() == 0 {
        Vec::new()
    } else {
        let bytes = r.bytes(count.div_ceil(8))?;
        let faults: Vec<bool> = (0..count)
            .map(|k| bytes[k / 8] & (0x80 >> (k % 8)) != 0)
            .collect();
        let unused = (count..bytes.len() * 8).any(|k| bytes[k / 8] & (0x80 >> (k % 8)) != 0);
        if unused || !faults.iter().any(|f| *f) {
            return Err(DecodeError::InvalidField("faults"));
        }
        faults
    };
    Ok(Ownership {
        serial,
        groups_digest,
        first,
        holds,
        faults,
    })
}

/// Read the envelope and the body of type `code` from the whole payload.
///
/// Every byte of the payload must be consumed ([`DecodeError::TrailingBytes`]).
pub(super) fn read_packet(payload: &[u8], code: u8, has_dest: bool) -> Result<Packet, DecodeError> {
    let mut r = Reader::new(payload);
    let from = r.str_u8(MAX_NODE_NAME, "from")?.to_owned();
    let from_uuid = NodeUuid(r.array()?);
    let generation = r.u64()?;
    let seq = r.u64()?;
    let dest = if has_dest {
        Some(r.str_u8(MAX_NODE_NAME, "dest")?.to_owned())
    } else {
        None
    };
    let message = read_body(&mut r, code)?;
    if r.remaining() != 0 {
        return Err(DecodeError::TrailingBytes);
    }
    Ok(Packet {
        from,
        from_uuid,
        generation,
        seq,
        dest,
        message,
    })
}

/// Read the body of a message of type `code`.
fn read_body(r: &mut Reader<'_>, code: u8) -> Result<Message, DecodeError> {
    let message = match code {
        kind::STATUS => Message::Status(Status {
            status: layout::status_from_u8(r.u8()?)?,
            deadtime_ms: r.u32()?,
            holdings: layout::holdings_from_u8(r.u8()?)?,
            timestamp_ms: r.u64()?,
            view: if r.remaining() == 0 {
                None
            } else {
                Some(read_view(r)?)
            },
        }),
        kind::IP_REQUEST => Message::IpRequest {
            group: r.str_u8(MAX_GROUP_KEY, "group")?.to_owned(),
        },
        kind::IP_REQUEST_RESP => Message::IpRequestResp {
            group: r.str_u8(MAX_GROUP_KEY, "group")?.to_owned(),
            we_own: r.bool("we_own")?,
            ok: r.bool("ok")?,
        },
        kind::REXMIT_REQUEST => Message::RexmitRequest {
            first_seq: r.u64()?,
            last_seq: r.u64()?,
        },
        kind::NAK_REXMIT => Message::NakRexmit { seq: r.u64()? },
        kind::ACK => Message::Ack {
            ack_seq: r.u64()?,
            delay_us: r.u32()?,
        },
        kind::STARTING => Message::Starting,
        kind::RESOURCE_REPORT => Message::ResourceReport {
            holdings: layout::holdings_from_u8(r.u8()?)?,
            full: r.bool("full")?,
            stable: r.bool("stable")?,
        },
        kind::ASK_RESOURCES => Message::AskResources {
            holdings: layout::holdings_from_u8(r.u8()?)?,
            phase: layout::phase_from_u8(r.u8()?)?,
        },
        kind::SHUTDONE => Message::Shutdone,
        kind::OWNERSHIP => Message::Ownership(read_ownership(r)?),
        kind::FENCED => Message::Fenced {
            node: r.str_u8(MAX_NODE_NAME, "node")?.to_owned(),
            generation: r.u64()?,
        },
        kind::APP => Message::App {
            // Bounded by the datagram, which is at most MAX_NATIVE_DATAGRAM bytes.
            payload: Bytes::copy_from_slice(r.rest()),
        },
        other => return Err(DecodeError::UnknownType(other)),
    };
    Ok(message)
}
