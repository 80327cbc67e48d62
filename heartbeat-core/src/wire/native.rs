//! The native fixed byte layout (specified in `heartbeat-core/WIRE.md`).
//!
//! CONTRACT (filled in by the wire work):
//! `encode(&Packet, &Keyring) -> Result<Bytes, EncodeError>` signs with the
//! active key; `decode(&[u8], &Keyring) -> Result<Packet, DecodeError>` verifies
//! with the key the packet names.

use bytes::Bytes;

use super::{DecodeError, EncodeError, Keyring, Packet};

/// Encode and sign `packet` with the keyring's active key.
pub fn encode(packet: &Packet, keys: &Keyring) -> Result<Bytes, EncodeError> {
    let _ = (packet, keys);
    unimplemented!("wire work in progress")
}

/// Decode `datagram` and verify it with the key whose index it names.
pub fn decode(datagram: &[u8], keys: &Keyring) -> Result<Packet, DecodeError> {
    let _ = (datagram, keys);
    unimplemented!("wire work in progress")
}
