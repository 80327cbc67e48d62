//! Packet authentication with the keys of `authkeys`.
//!
//! CONTRACT (filled in by the wire work): methods, keys, keyring; sign with the
//! active key, verify with the key whose index the packet names.

/// An authentication method as named in `authkeys`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// CRC-32: integrity only, no security.
    Crc,
    /// HMAC-MD5 (for Linux-HA users).
    Md5,
    /// HMAC-SHA1 (for Linux-HA users).
    Sha1,
    /// HMAC-SHA256 (recommended).
    Sha256,
}

/// One numbered key of `authkeys`: a method and its secret (empty for `crc`).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthKey {
    /// The method.
    pub method: AuthMethod,
    /// The secret (the key token's bytes); empty for [`AuthMethod::Crc`].
    pub secret: Vec<u8>,
}

/// Every key of `authkeys` by index (0..=15) and the index used to sign.
#[derive(Clone, PartialEq, Eq)]
pub struct Keyring {
    /// Index used to sign outgoing packets (`auth N`).
    pub active: u8,
    /// Keys by index; a packet naming an index not present is rejected.
    pub keys: std::collections::BTreeMap<u8, AuthKey>,
}
