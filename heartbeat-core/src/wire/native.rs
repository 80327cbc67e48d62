//! The native fixed byte layout (specified in `heartbeat-core/WIRE.md`).
//!
//! ```text
//! header   magic "HB" (2) | version (1) | type (1) | flags (1) | payload length u16
//! payload  envelope (from, uuid, generation, seq, [dest]) | body (per type)
//! trailer  key index (1) | tag (4, 16, 20 or 32 bytes by the key's method)
//! ```
//!
//! Integers are big-endian. The tag covers every byte before it, key index
//! included. [`encode`] signs with the keyring's active key; [`decode`] checks
//! the size and the header, verifies the tag with the key whose index the
//! packet names, and only then reads the envelope and body.

mod body;
mod layout;
mod reader;

use bytes::{BufMut, Bytes, BytesMut};

use self::reader::Reader;
use super::{
    AuthMethod, DecodeError, EncodeError, Keyring, Message, Packet, MAX_ANNOUNCED_GROUPS,
    MAX_GROUP_KEY, MAX_NATIVE_DATAGRAM, MAX_NODE_NAME, MAX_VIEW_NODES,
};

/// The first two bytes of every native datagram: `HB`.
pub const MAGIC: [u8; 2] = *b"HB";

/// The layout version this code writes and reads.
pub const VERSION: u8 = 1;

/// Size of the fixed header: magic, version, type, flags, payload length.
pub const HEADER_LEN: usize = 2 + 1 + 1 + 1 + 2;

/// Header flag: the envelope carries a destination node name.
const FLAG_DEST: u8 = 0x01;

/// Encode and sign `packet` with the keyring's active key.
///
/// Errors: a name or group key that is empty or longer than its limit, a
/// datagram over [`MAX_NATIVE_DATAGRAM`] (only an `App` payload can get there), or a
/// keyring whose active index names no key.
pub fn encode(packet: &Packet, keys: &Keyring) -> Result<Bytes, EncodeError> {
    check_fields(packet)?;
    let (index, key) = keys
        .active_key()
        .ok_or(EncodeError::NoActiveKey(keys.active))?;
    let payload_len = body::envelope_len(packet) + body::body_len(&packet.message);
    let total = HEADER_LEN + payload_len + 1 + key.method.tag_len();
    if total > MAX_NATIVE_DATAGRAM {
        return Err(EncodeError::Oversized(total));
    }
    let mut buf = BytesMut::with_capacity(total);
    buf.put_slice(&MAGIC);
    buf.put_u8(VERSION);
    buf.put_u8(layout::kind_of(&packet.message));
    buf.put_u8(if packet.dest.is_some() { FLAG_DEST } else { 0 });
    // payload_len < total <= MAX_NATIVE_DATAGRAM < u16::MAX
    buf.put_u16(payload_len as u16);
    body::put_envelope(&mut buf, packet);
    body::put_body(&mut buf, &packet.message);
    buf.put_u8(index);
    let tag = key.tag(&buf);
    buf.put_slice(&tag);
    debug_assert_eq!(buf.len(), total);
    Ok(buf.freeze())
}

/// Decode `datagram` and verify it with the key whose index it names.
///
/// Checks, in order: size ([`DecodeError::Oversized`]), magic, version,
/// message type, flags, payload length, key index, tag; then reads the
/// envelope and body, which must fill the payload exactly.
pub fn decode(datagram: &[u8], keys: &Keyring) -> Result<Packet, DecodeError> {
    if datagram.len() > MAX_NATIVE_DATAGRAM {
        return Err(DecodeError::Oversized(datagram.len()));
    }
    let mut r = Reader::new(datagram);
    if r.array::<2>()? != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let version = r.u8()?;
    if version != VERSION {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    let code = r.u8()?;
    if !layout::kind::is_known(code) {
        return Err(DecodeError::UnknownType(code));
    }
    let flags = r.u8()?;
    if flags & !FLAG_DEST != 0 {
        return Err(DecodeError::InvalidField("flags"));
    }
    let payload_len = usize::from(r.u16()?);
    let payload = r.bytes(payload_len)?;
    let index = r.u8()?;
    let tag = r.rest();
    let signed = &datagram[..HEADER_LEN + payload_len + 1];
    keys.verify(index, signed, tag)?;
    body::read_packet(payload, code, flags & FLAG_DEST != 0)
}

/// The size of `packet` once encoded and signed with `method`, whether or not
/// it fits in [`MAX_NATIVE_DATAGRAM`].
pub fn encoded_len(packet: &Packet, method: AuthMethod) -> usize {
    HEADER_LEN + body::envelope_len(packet) + body::body_len(&packet.message) + 1 + method.tag_len()
}

/// Refuse names and group keys the layout cannot carry.
fn check_fields(packet: &Packet) -> Result<(), EncodeError> {
    check_str(&packet.from, MAX_NODE_NAME, "from")?;
    if let Some(dest) = &packet.dest {
        check_str(dest, MAX_NODE_NAME, "dest")?;
    }
    match &packet.message {
        Message::IpRequest { group } | Message::IpRequestResp { group, .. } => {
            check_str(group, MAX_GROUP_KEY, "group")
        }
        Message::Fenced { node, .. } => check_str(node, MAX_NODE_NAME, "node"),
        Message::Status(s)
            if s.view
                .as_ref()
                .is_some_and(|v| v.alive.len() > MAX_VIEW_NODES) =>
        {
            Err(EncodeError::FieldTooLong("view"))
        }
        Message::Ownership(o) if o.holds.is_empty() => Err(EncodeError::EmptyField("holds")),
        Message::Ownership(o) if o.holds.len() > MAX_ANNOUNCED_GROUPS => {
            Err(EncodeError::FieldTooLong("holds"))
        }
        Message::Ownership(o)
            if !o.faults.is_empty()
                && (o.faults.len() != o.holds.len() || !o.faults.iter().any(|f| *f)) =>
        {
            Err(EncodeError::Inconsistent("faults"))
        }
        _ => Ok(()),
    }
}

/// `s` must hold 1..=`max` bytes.
fn check_str(s: &str, max: usize, field: &'static str) -> Result<(), EncodeError> {
    if s.is_empty() {
        Err(EncodeError::EmptyField(field))
    } else if s.len() > max {
        Err(EncodeError::FieldTooLong(field))
    } else {
        Ok(())
    }
}
