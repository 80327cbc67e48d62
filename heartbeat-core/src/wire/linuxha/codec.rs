//! Datagrams: which encoding a datagram uses, its framing and authentication.
//!
//! What Heartbeat 3.0.6 with cluster-glue 1.0.12 sends is always netstring
//! with an authentication trailer, plus the classic `auth` field inside the
//! message when `msgfmt classic` (the default) — [`encode`]. Heartbeat ≤ 2.1
//! sent the classic `>>>` form, authenticated by the `auth` field only and
//! followed by a NUL byte — [`encode_classic`]. [`decode`] accepts both,
//! and unwraps compressed messages ([`super::compress`]);
//! [`encode_compressed`] writes them.

use bytes::Bytes;

use super::auth::AuthToken;
use super::compress::{self, Algorithm, Compression};
use super::error::{AuthError, HaDecodeError, HaEncodeError};
use super::msg::{HaMsg, Value};
use super::netstring::take_netstring;
use super::{classic, netstring, MAX_LINUX_HA_DATAGRAM};
use crate::wire::Keyring;

/// Name of the classic authentication field.
pub const AUTH_FIELD: &str = "auth";

/// The two encodings of an `ha_msg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `###\n` ... `%%%\n` followed by the authentication trailer.
    Netstring,
    /// `>>>\n` ... `<<<\n`, authenticated by the `auth` field.
    Classic,
}

/// ha.cf `msgfmt`, as Heartbeat 3.0.6 interprets it when sending: the packet
/// is netstring either way; `classic` also carries the classic `auth` field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MsgFmt {
    /// `msgfmt classic` (Heartbeat's default): trailer and `auth` field.
    #[default]
    Classic,
    /// `msgfmt netstring`: trailer only.
    Netstring,
}

impl From<crate::config::MsgFormat> for MsgFmt {
    fn from(f: crate::config::MsgFormat) -> MsgFmt {
        match f {
            crate::config::MsgFormat::Classic => MsgFmt::Classic,
            crate::config::MsgFormat::Netstring => MsgFmt::Netstring,
        }
    }
}

/// A parsed datagram: the message and how it was framed and signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The message, fields in wire order (including a classic `auth` field).
    pub msg: HaMsg,
    /// The encoding the datagram used.
    pub encoding: Encoding,
    /// Netstring only: the trailer's token (`None` when absent).
    pub trailer: Option<AuthToken>,
    /// Classic only: whether a NUL byte followed `<<<\n`.
    pub trailing_nul: bool,
    /// Whether the datagram was a compressed wrapper, and with what. Then
    /// [`Received::msg`] is the message it held, while `encoding`, `trailer`
    /// and `trailing_nul` describe the wrapper, which is what is signed.
    pub compressed: Option<Algorithm>,
    /// Netstring only: the bytes the trailer signs (`###\n` through `%%%\n`).
    signed: Vec<u8>,
}

impl Received {
    /// Check the datagram's authentication with the key of the index it names:
    /// the trailer for netstring, the `auth` field for classic.
    pub fn verify(&self, keys: &Keyring) -> Result<(), AuthError> {
        match self.encoding {
            Encoding::Netstring => self
                .trailer
                .as_ref()
                .ok_or(AuthError::Missing)?
                .verify(keys, &self.signed),
            Encoding::Classic => verify_auth_field(&self.msg, keys),
        }
    }

    /// The `msgfmt` the sender used: classic when the message carries an
    /// `auth` field.
    pub fn msgfmt(&self) -> MsgFmt {
        if self.msg.get(AUTH_FIELD).is_some() {
            MsgFmt::Classic
        } else {
            MsgFmt::Netstring
        }
    }

    /// Encode the message again as it came: same encoding and framing, signed
    /// with the keyring's active key. With the sender's key this gives the
    /// received bytes back (for a compressed message: compressed again with
    /// the same algorithm, which gives the same bytes only when our
    /// compressor matches the sender's).
    pub fn reencode(&self, keys: &Keyring) -> Result<Bytes, HaEncodeError> {
        if let Some(algorithm) = self.compressed {
            let compression = Compression {
                algorithm,
                threshold: 0,
            };
            return encode_compressed(&self.msg, keys, self.msgfmt(), Some(compression));
        }
        match self.encoding {
            Encoding::Netstring => encode(&self.msg, keys, self.msgfmt()),
            Encoding::Classic => {
                let mut bytes = classic_bytes(&self.msg, keys)?;
                if !self.trailing_nul {
                    bytes.pop();
                }
                Ok(Bytes::from(bytes))
            }
        }
    }
}

/// Parse a datagram of either encoding without checking its authentication.
///
/// Netstring: the message, then either nothing or exactly one trailer
/// netstring. Classic: the message, then nothing or one NUL byte.
///
/// A message holding a binary `_compressed_payload` field is a compressed
/// wrapper ([`super::compress`]): its payload is decompressed, bounded by
/// [`MAX_LINUX_HA_DATAGRAM`], and parsed as a message of either encoding
/// without trailer; that message is [`Received::msg`]. Heartbeat writes the
/// wrapper as netstring only (`cl_compressmsg` uses `msg2netstring`); a
/// classic wrapper, or a wrapper inside a wrapper, is refused.
pub fn decode(datagram: &[u8]) -> Result<Received, HaDecodeError> {
    let mut received = decode_plain(datagram)?;
    if let Some(payload) = received.msg.get_binary(compress::COMPRESSED_PAYLOAD_FIELD) {
        if received.encoding != Encoding::Netstring {
            return Err(HaDecodeError::BadCompressedPayload);
        }
        let algorithm = received
            .msg
            .get_bytes(compress::COMPRESSION_ALGORITHM_FIELD)
            .and_then(Algorithm::from_name)
            .ok_or(HaDecodeError::UnknownCompression)?;
        let inner = compress::decompress(algorithm, payload, MAX_LINUX_HA_DATAGRAM)?;
        let inner = decode_plain(&inner).map_err(|e| match e {
            HaDecodeError::BadTrailer | HaDecodeError::TrailingBytes => {
                HaDecodeError::BadCompressedPayload
            }
            other => other,
        })?;
        if inner.trailer.is_some()
            || inner
                .msg
                .get_binary(compress::COMPRESSED_PAYLOAD_FIELD)
                .is_some()
        {
            return Err(HaDecodeError::BadCompressedPayload);
        }
        received.msg = inner.msg;
        received.compressed = Some(algorithm);
    }
    Ok(received)
}

/// [`decode`] without looking for a compressed payload.
fn decode_plain(datagram: &[u8]) -> Result<Received, HaDecodeError> {
    if datagram.len() > MAX_LINUX_HA_DATAGRAM {
        return Err(HaDecodeError::Oversized(datagram.len()));
    }
    if datagram.starts_with(netstring::START) {
        let (msg, rest) = netstring::parse_message(datagram, 0)?;
        let signed = datagram[..datagram.len() - rest.len()].to_vec();
        let trailer = if rest.is_empty() {
            None
        } else {
            let (token, after) = take_netstring(rest).map_err(|_| HaDecodeError::BadTrailer)?;
            if !after.is_empty() {
                return Err(HaDecodeError::TrailingBytes);
            }
            Some(AuthToken::parse(token).map_err(|_| HaDecodeError::BadTrailer)?)
        };
        Ok(Received {
            msg,
            encoding: Encoding::Netstring,
            trailer,
            trailing_nul: false,
            compressed: None,
            signed,
        })
    } else if datagram.starts_with(classic::START) {
        let (msg, rest) = classic::parse_message(datagram, 0)?;
        let trailing_nul = match rest {
            [] => false,
            [0] => true,
            _ => return Err(HaDecodeError::TrailingBytes),
        };
        Ok(Received {
            msg,
            encoding: Encoding::Classic,
            trailer: None,
            trailing_nul,
            compressed: None,
            signed: Vec::new(),
        })
    } else if netstring::START.starts_with(datagram) || classic::START.starts_with(datagram) {
        Err(HaDecodeError::Truncated)
    } else {
        Err(HaDecodeError::BadStart)
    }
}

/// Whether `datagram` starts like a Linux-HA message (netstring `###` or
/// classic `>>>`).
pub fn is_linux_ha(datagram: &[u8]) -> bool {
    datagram.starts_with(b"###\n") || datagram.starts_with(b">>>\n")
}

/// Parse a datagram and check its authentication ([`Received::verify`]).
pub fn decode_verified(datagram: &[u8], keys: &Keyring) -> Result<Received, HaDecodeError> {
    let received = decode(datagram)?;
    received.verify(keys)?;
    Ok(received)
}

/// Encode `msg` as Heartbeat 3.0.6 sends it: netstring, with the classic
/// `auth` field (set in place or appended) when `msgfmt` is classic and
/// without it otherwise, then the authentication trailer. Signs with the
/// keyring's active key.
pub fn encode(msg: &HaMsg, keys: &Keyring, msgfmt: MsgFmt) -> Result<Bytes, HaEncodeError> {
    let mut msg = msg.clone();
    match msgfmt {
        MsgFmt::Classic => add_auth_field(&mut msg, keys)?,
        MsgFmt::Netstring => {
            msg.remove(AUTH_FIELD);
        }
    }
    let mut out = Vec::new();
    netstring::write_message(&msg, 0, &mut out)?;
    let token = AuthToken::sign(keys, &out)?.to_string();
    out.extend_from_slice(token.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(token.as_bytes());
    out.push(b',');
    check_size(out)
}

/// Encode `msg` like [`encode`], compressed as Heartbeat does with
/// `traditional_compression yes` when `compression` is given and the
/// message's encoding exceeds its threshold ([`super::compress`]).
///
/// The message is encoded without trailer as Heartbeat's `msg2wirefmt_noac`
/// does (classic text with the `auth` field and a NUL when `msgfmt` is
/// classic and the classic form can carry the message, netstring
/// otherwise); if that is longer than the threshold it is compressed into a
/// netstring wrapper (`_compressed_payload`, `_compression_algorithm`)
/// signed by the trailer. A message that compressed would still exceed
/// [`MAX_LINUX_HA_DATAGRAM`], or whose encoding already does, is refused:
/// no receiver of this dialect would take it.
pub fn encode_compressed(
    msg: &HaMsg,
    keys: &Keyring,
    msgfmt: MsgFmt,
    compression: Option<Compression>,
) -> Result<Bytes, HaEncodeError> {
    let Some(compression) = compression else {
        return encode(msg, keys, msgfmt);
    };
    let mut msg = msg.clone();
    let plain = match msgfmt {
        MsgFmt::Classic => {
            add_auth_field(&mut msg, keys)?;
            let mut out = Vec::new();
            match classic::write_message(&msg, 0, &mut out) {
                Ok(()) => {
                    out.push(0);
                    out
                }
                Err(_) => {
                    let mut out = Vec::new();
                    netstring::write_message(&msg, 0, &mut out)?;
                    out
                }
            }
        }
        MsgFmt::Netstring => {
            msg.remove(AUTH_FIELD);
            let mut out = Vec::new();
            netstring::write_message(&msg, 0, &mut out)?;
            out
        }
    };
    if plain.len() <= compression.threshold {
        return encode(&msg, keys, msgfmt);
    }
    if plain.len() > MAX_LINUX_HA_DATAGRAM {
        return Err(HaEncodeError::Oversized(plain.len()));
    }
    let mut wrapper = HaMsg::new();
    wrapper.push_binary(
        compress::COMPRESSED_PAYLOAD_FIELD,
        compress::compress(compression.algorithm, &plain),
    );
    wrapper.push_str(
        compress::COMPRESSION_ALGORITHM_FIELD,
        compression.algorithm.as_str(),
    );
    encode(&wrapper, keys, MsgFmt::Netstring)
}

/// Encode `msg` in the classic form Heartbeat ≤ 2.1 sent: `>>>` text with the
/// `auth` field (set in place or appended) and a trailing NUL byte.
pub fn encode_classic(msg: &HaMsg, keys: &Keyring) -> Result<Bytes, HaEncodeError> {
    classic_bytes(msg, keys).map(Bytes::from)
}

/// The classic datagram of `msg`, NUL included.
fn classic_bytes(msg: &HaMsg, keys: &Keyring) -> Result<Vec<u8>, HaEncodeError> {
    let mut msg = msg.clone();
    add_auth_field(&mut msg, keys)?;
    let mut out = Vec::new();
    classic::write_message(&msg, 0, &mut out)?;
    out.push(0);
    check_size(out).map(Vec::from)
}

/// Sign the classic text of `msg` (every field but `auth`) and set the
/// `auth` field to the token.
pub fn add_auth_field(msg: &mut HaMsg, keys: &Keyring) -> Result<(), HaEncodeError> {
    let text = classic_signed_text(msg)?;
    let token = AuthToken::sign(keys, &text)?;
    msg.set(AUTH_FIELD, Value::Str(token.to_string().into_bytes()));
    Ok(())
}

/// Check the classic `auth` field of `msg` against the classic text of its
/// other fields, with the key of the index the token names. Netstring
/// datagrams from Heartbeat carry this field too (receivers check only the
/// trailer, but a test can check both).
pub fn verify_auth_field(msg: &HaMsg, keys: &Keyring) -> Result<(), AuthError> {
    let token = msg.get_bytes(AUTH_FIELD).ok_or(AuthError::Missing)?;
    let token = AuthToken::parse(token)?;
    // A message that decoded always has a classic text; if not, it cannot
    // have been signed by anyone.
    let text = classic_signed_text(msg).map_err(|_| AuthError::BadAuth)?;
    token.verify(keys, &text)
}

/// What the classic `auth` field signs: `name=value\n` for every field but
/// `auth`, without the `>>>` and `<<<` lines.
fn classic_signed_text(msg: &HaMsg) -> Result<Vec<u8>, HaEncodeError> {
    let mut text = Vec::new();
    classic::write_fields(msg, 0, Some(AUTH_FIELD), &mut text)?;
    Ok(text)
}

/// Refuse datagrams over [`MAX_LINUX_HA_DATAGRAM`].
fn check_size(out: Vec<u8>) -> Result<Bytes, HaEncodeError> {
    if out.len() > MAX_LINUX_HA_DATAGRAM {
        Err(HaEncodeError::Oversized(out.len()))
    } else {
        Ok(Bytes::from(out))
    }
}
