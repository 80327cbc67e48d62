//! Errors of the Linux-HA dialect: parsing, authentication, encoding.

use super::MAX_DEPTH;

/// Why a datagram is not a well-formed Linux-HA message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HaDecodeError {
    /// The datagram is larger than any Linux-HA UDP message we accept.
    #[error("datagram of {0} bytes exceeds the Linux-HA limit")]
    Oversized(usize),
    /// Neither `###\n` (netstring) nor `>>>\n` (classic) starts the datagram.
    #[error("neither a netstring (###) nor a classic (>>>) message")]
    BadStart,
    /// The message ends before its end marker or inside a field.
    #[error("truncated message")]
    Truncated,
    /// A netstring length is missing, not decimal, has leading zeros or
    /// points past the end of the message.
    #[error("bad netstring length")]
    BadLength,
    /// A netstring is not followed by `,`.
    #[error("netstring not terminated by a comma")]
    MissingComma,
    /// A netstring field lacks its `(T)` type prefix.
    #[error("field without a (T) type prefix")]
    MissingType,
    /// A `(T)` prefix names no known type (the byte is the digit found).
    #[error("unknown field type {0:#04x}")]
    UnknownType(u8),
    /// A classic field carries the `(0)` prefix, which Linux-HA rejects.
    #[error("(0) prefix in a classic message")]
    StringPrefixInClassic,
    /// A field has no `=` between name and value.
    #[error("field without '='")]
    MissingEquals,
    /// A field name is empty, not UTF-8 or holds a reserved byte.
    #[error("bad field name")]
    BadName,
    /// A string value holds a NUL byte (Linux-HA strings are C strings), or,
    /// in a classic message, a byte the classic encoding reserves.
    #[error("bad byte in a string value")]
    BadString,
    /// A binary value of a classic message is not canonical base64.
    #[error("invalid base64")]
    BadBase64,
    /// A string list is not a sequence of `<len>:<text>,` items.
    #[error("malformed string list")]
    BadList,
    /// Nested messages go deeper than [`MAX_DEPTH`].
    #[error("messages nested deeper than {MAX_DEPTH}")]
    TooDeep,
    /// A `>>>` line appears inside a classic message.
    #[error("'>>>' inside a classic message")]
    NestedStart,
    /// Bytes follow the end of the message (and its trailer).
    #[error("bytes after the end of the message")]
    TrailingBytes,
    /// The netstring authentication trailer is malformed.
    #[error("malformed authentication trailer")]
    BadTrailer,
    /// A compressed message names an algorithm other than `zlib` or `bz2`,
    /// or lacks the `_compression_algorithm` field.
    #[error("unknown or missing compression algorithm")]
    UnknownCompression,
    /// A compressed payload is not one complete stream of its algorithm
    /// (corrupt, truncated, or followed by other bytes), or the message it
    /// holds is itself compressed.
    #[error("bad compressed payload")]
    BadCompressedPayload,
    /// A compressed payload expands beyond the limit (the number): refused
    /// as soon as the limit is passed.
    #[error("compressed payload expands beyond {0} bytes")]
    DecompressedOversized(usize),
    /// The message parsed but failed authentication.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// Why a well-formed message failed authentication.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No trailer (netstring) or no `auth` field (classic).
    #[error("message carries no authentication")]
    Missing,
    /// The token is not `<index> <hex digest>`.
    #[error("malformed authentication token")]
    MalformedToken,
    /// The token names an index that is not in `authkeys`.
    #[error("unknown key index {0}")]
    UnknownKeyIndex(u8),
    /// The digest does not match.
    #[error("authentication failed")]
    BadAuth,
}

/// Why a message cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HaEncodeError {
    /// A field name is empty or holds a byte the encodings reserve.
    #[error("bad field name {0:?}")]
    BadName(String),
    /// A string value of the named field holds a byte the encoding cannot
    /// carry (NUL anywhere; CR, 0x13 or a nesting symbol in classic).
    #[error("field {0:?} holds a byte the encoding cannot carry")]
    BadValue(String),
    /// Nested messages go deeper than [`MAX_DEPTH`].
    #[error("messages nested deeper than {MAX_DEPTH}")]
    TooDeep,
    /// The encoded message would exceed the datagram limit.
    #[error("message of {0} bytes exceeds the Linux-HA limit")]
    Oversized(usize),
    /// The keyring's active index has no key.
    #[error("no key for active index {0}")]
    NoActiveKey(u8),
}
