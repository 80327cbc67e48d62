//! Wire format: typed messages and the codecs that turn them into datagrams.
//!
//! - [`message`]: the message types ([`Packet`], [`Message`], [`Status`], ...),
//!   independent of any byte layout.
//! - [`auth`]: authentication methods and keys from `authkeys` ([`Keyring`]).
//! - [`native`]: the native fixed layout (see `heartbeat-core/WIRE.md`).
//! - [`linuxha`]: Linux-HA Heartbeat 3.0.6's `ha_msg` dialect (netstring and
//!   classic encodings, `crc`/`md5`/`sha1` tokens), for mixed clusters.
//! - [`error`]: why a datagram was rejected ([`DecodeError`]) or could not be
//!   built ([`EncodeError`]).

pub mod auth;
pub mod error;
pub mod linuxha;
pub mod message;
pub mod native;

pub use auth::{AuthKey, AuthMethod, Keyring};
pub use error::{DecodeError, EncodeError};
pub use message::{
    GroupHold, Holdings, MembershipView, Message, NodeStatus, NodeUuid, Ownership, Packet,
    StandbyPhase, Status, ACK_DELAY_UNKNOWN, MAX_ANNOUNCED_GROUPS, MAX_GROUP_KEY, MAX_NODE_NAME,
    MAX_VIEW_NODES,
};

/// Largest datagram the native codec ([`native`]) produces or accepts, in
/// bytes: well under a 1500-byte Ethernet MTU so that no native packet ever
/// relies on IP fragmentation.
pub const MAX_NATIVE_DATAGRAM: usize = 1400;

/// Largest datagram any dialect's decoder accepts ([`decode_any`], and the
/// engine, read both), in bytes: the larger of [`MAX_NATIVE_DATAGRAM`] and
/// [`linuxha::MAX_LINUX_HA_DATAGRAM`]. A receive buffer of one byte more sees
/// every acceptable datagram whole, and an oversized one as oversized rather
/// than silently cut.
pub const MAX_RECEIVED_DATAGRAM: usize = if MAX_NATIVE_DATAGRAM > linuxha::MAX_LINUX_HA_DATAGRAM {
    MAX_NATIVE_DATAGRAM
} else {
    linuxha::MAX_LINUX_HA_DATAGRAM
};

/// Read a datagram of either dialect (native magic, or Linux-HA `###` /
/// `>>>`) and check its authentication with the key of the index it names.
/// A Linux-HA message type without counterpart comes back as
/// [`linuxha::Classified::Other`]; a native packet as
/// [`linuxha::Classified::Known`] with empty extras.
pub fn decode_any(datagram: &[u8], keys: &Keyring) -> Result<linuxha::Classified, DecodeError> {
    if !linuxha::is_linux_ha(datagram) {
        let packet = native::decode(datagram, keys)?;
        return Ok(linuxha::Classified::Known {
            packet,
            extras: linuxha::Extras::default(),
        });
    }
    Ok(linuxha::classify(&linuxha_verified(datagram, keys)?)?)
}

/// A Linux-HA datagram parsed and authenticated with the key of the index
/// it names, its errors in [`DecodeError`] terms.
pub fn linuxha_verified(datagram: &[u8], keys: &Keyring) -> Result<linuxha::HaMsg, DecodeError> {
    let received = linuxha::decode(datagram)?;
    received.verify(keys).map_err(|e| match e {
        linuxha::AuthError::UnknownKeyIndex(i) => DecodeError::UnknownKeyIndex(i),
        linuxha::AuthError::BadAuth => DecodeError::BadAuth,
        other => DecodeError::LinuxHa(other.into()),
    })?;
    Ok(received.msg)
}
