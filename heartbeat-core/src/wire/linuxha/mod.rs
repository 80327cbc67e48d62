//! The Linux-HA dialect: Heartbeat 3.0.6's `ha_msg` messages on the wire.
//!
//! Layers, bottom up:
//! - [`msg`]: the generic `ha_msg` model, an ordered list of typed fields
//!   ([`HaMsg`], [`Field`], [`Value`]), lossless for both encodings.
//! - [`netstring`] and [`classic`]: the two encodings (`###`/`%%%` and
//!   `>>>`/`<<<`); [`codec`] picks one per datagram, frames it and signs or
//!   verifies it ([`decode`], [`decode_verified`], [`encode`],
//!   [`encode_classic`]).
//! - [`compress`]: Heartbeat's whole-message compression (`zlib`, `bz2`):
//!   the `_compressed_payload` wrapper, read by [`decode`] and written by
//!   [`encode_compressed`].
//! - [`auth`]: Linux-HA's `crc` (CRC-32/CKSUM variant), `md5` and `sha1`
//!   digests and the `"<index> <hex>"` token, with the keys of
//!   [`crate::wire::Keyring`].
//! - [`map`]: Heartbeat's message types read as [`crate::wire::Packet`]s
//!   ([`map::classify`]) and built from them ([`map::compose`]).
//!
//! Decoding never panics, never allocates from a length it has not checked
//! against the bytes present, stops at [`MAX_DEPTH`] levels of nesting and
//! [`MAX_LINUX_HA_DATAGRAM`] bytes, and reports every rejection as a typed error.
//! Decoding then re-encoding with the sender's key gives the same bytes.
//! The facts followed are in `reference/linux-ha/SPEC-NOTES.md` §1–§2.

pub mod auth;
mod base64;
mod check;
pub mod classic;
pub mod codec;
pub mod compress;
pub mod error;
mod list;
pub mod map;
pub mod msg;
pub mod netstring;

pub use auth::{crc_cksum, digest_hex, AuthToken};
pub use codec::{
    add_auth_field, decode, decode_verified, encode, encode_classic, encode_compressed,
    is_linux_ha, verify_auth_field, Encoding, MsgFmt, Received, AUTH_FIELD,
};
pub use compress::{Algorithm, Compression};
pub use error::{AuthError, HaDecodeError, HaEncodeError};
pub use map::{classify, compose, Classified, Envelope, Extras, MapError};
pub use msg::{Field, FieldType, HaMsg, Value};

/// Deepest nesting of messages inside messages (Linux-HA's `MAXDEPTH`).
pub const MAX_DEPTH: usize = 16;

/// Largest Linux-HA datagram this dialect's codec accepts or produces: what
/// one UDP datagram can carry, 64 KiB. Heartbeat sends one message per
/// datagram and leaves larger-than-MTU ones to IP fragmentation (its own
/// messages are about 300 bytes; application messages can be far larger),
/// so a node of a mixed cluster must take them whole. Larger than
/// [`crate::wire::MAX_NATIVE_DATAGRAM`]; receive buffers are sized by
/// [`crate::wire::MAX_RECEIVED_DATAGRAM`].
pub const MAX_LINUX_HA_DATAGRAM: usize = 64 * 1024;
