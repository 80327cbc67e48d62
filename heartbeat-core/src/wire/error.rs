//! Errors of the wire codecs.

/// Why a received datagram was rejected. Every rejection is counted and dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The datagram ends before a field it announces.
    #[error("truncated datagram")]
    Truncated,
    /// The datagram does not start with the protocol magic.
    #[error("bad magic")]
    BadMagic,
    /// A protocol version this node does not speak.
    #[error("unsupported version {0}")]
    UnsupportedVersion(u8),
    /// A message type this node does not know.
    #[error("unknown message type {0}")]
    UnknownType(u8),
    /// The datagram is larger than any codec produces.
    #[error("oversized datagram ({0} bytes)")]
    Oversized(usize),
    /// The packet names a key index that is not in `authkeys`.
    #[error("unknown key index {0}")]
    UnknownKeyIndex(u8),
    /// The authentication tag does not match.
    #[error("authentication failed")]
    BadAuth,
    /// A field holds a value outside its range (enum tag, string, length).
    #[error("invalid field: {0}")]
    InvalidField(&'static str),
    /// Bytes follow the end of the message body.
    #[error("trailing bytes after message body")]
    TrailingBytes,
    /// A Linux-HA (`ha_msg`) datagram that does not parse.
    #[error("Linux-HA message: {0}")]
    LinuxHa(#[from] super::linuxha::HaDecodeError),
    /// A Linux-HA message that parses and authenticates but lacks a field
    /// its type needs, or holds a malformed one.
    #[error("Linux-HA message: {0}")]
    LinuxHaFields(#[from] super::linuxha::MapError),
}

/// Why a packet could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The encoded packet would exceed [`super::MAX_NATIVE_DATAGRAM`].
    #[error("packet of {0} bytes exceeds the datagram limit")]
    Oversized(usize),
    /// A string field is longer than its limit.
    #[error("field too long: {0}")]
    FieldTooLong(&'static str),
    /// A name or group key is empty (the layout has no empty names).
    #[error("empty field: {0}")]
    EmptyField(&'static str),
    /// The keyring's active index has no key.
    #[error("no key for active index {0}")]
    NoActiveKey(u8),
    /// A field's value is inconsistent with the rest of the message (an
    /// `Ownership` whose `faults` is neither empty nor one per group with
    /// at least one set).
    #[error("inconsistent field: {0}")]
    Inconsistent(&'static str),
    /// The Linux-HA dialect could not build the message.
    #[error("Linux-HA message: {0}")]
    LinuxHa(#[from] super::linuxha::HaEncodeError),
    /// The message has no form in the Linux-HA dialect.
    #[error("Linux-HA message: {0}")]
    LinuxHaForm(#[from] super::linuxha::MapError),
}
