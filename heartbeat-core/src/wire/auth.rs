//! Packet authentication with the keys of `authkeys`.
//!
//! A [`Keyring`] holds every numbered key of `authkeys` and the index used to
//! sign (`auth N`). Outgoing packets are signed with the active key
//! ([`Keyring::sign`]); incoming packets are verified with the key whose index
//! the packet names ([`Keyring::verify`]), so several keys can be live while a
//! cluster rotates keys.
//!
//! Methods and tag sizes:
//!
//! | method   | algorithm                   | tag bytes | security            |
//! |----------|-----------------------------|-----------|---------------------|
//! | `sha256` | HMAC-SHA256 (RFC 2104/4231) | 32        | recommended         |
//! | `sha1`   | HMAC-SHA1 (RFC 2104/2202)   | 20        | for Linux-HA users  |
//! | `md5`    | HMAC-MD5 (RFC 2104/2202)    | 16        | for Linux-HA users  |
//! | `crc`    | CRC-32 (IEEE, `crc32fast`)  | 4         | **none**: integrity |
//!
//! `crc` only detects accidental corruption: anyone can compute it, so it gives
//! no protection against forged or altered packets. Tags are compared in
//! constant time.

use std::collections::BTreeMap;
use std::fmt;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

use super::DecodeError;

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

impl AuthMethod {
    /// Every method, weakest first.
    pub const ALL: [AuthMethod; 4] = [
        AuthMethod::Crc,
        AuthMethod::Md5,
        AuthMethod::Sha1,
        AuthMethod::Sha256,
    ];

    /// Length in bytes of the tag this method produces.
    pub const fn tag_len(self) -> usize {
        match self {
            AuthMethod::Crc => 4,
            AuthMethod::Md5 => 16,
            AuthMethod::Sha1 => 20,
            AuthMethod::Sha256 => 32,
        }
    }

    /// The method's name as written in `authkeys` (`crc`, `md5`, `sha1`, `sha256`).
    pub const fn name(self) -> &'static str {
        match self {
            AuthMethod::Crc => "crc",
            AuthMethod::Md5 => "md5",
            AuthMethod::Sha1 => "sha1",
            AuthMethod::Sha256 => "sha256",
        }
    }

    /// The method named `name` in `authkeys`, or `None` for an unknown name.
    pub fn from_name(name: &str) -> Option<AuthMethod> {
        AuthMethod::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether the method needs a secret (every method but `crc`).
    pub const fn needs_secret(self) -> bool {
        !matches!(self, AuthMethod::Crc)
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Longest tag any method produces (HMAC-SHA256).
pub const MAX_TAG_LEN: usize = 32;

/// An authentication tag: the first [`AuthMethod::tag_len`] bytes are
/// significant. Dereferences to exactly those bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    bytes: [u8; MAX_TAG_LEN],
    len: usize,
}

impl Tag {
    fn from_slice(tag: &[u8]) -> Tag {
        let mut bytes = [0u8; MAX_TAG_LEN];
        bytes[..tag.len()].copy_from_slice(tag);
        Tag {
            bytes,
            len: tag.len(),
        }
    }

    /// The tag's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl std::ops::Deref for Tag {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// One numbered key of `authkeys`: a method and its secret (empty for `crc`).
///
/// `Debug` prints the method and the secret's length, never the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthKey {
    /// The method.
    pub method: AuthMethod,
    /// The secret (the key token's bytes); empty for [`AuthMethod::Crc`].
    pub secret: Vec<u8>,
}

impl AuthKey {
    /// A key of `method` with `secret` (pass an empty secret for `crc`).
    pub fn new(method: AuthMethod, secret: impl Into<Vec<u8>>) -> AuthKey {
        AuthKey {
            method,
            secret: secret.into(),
        }
    }

    /// The tag of `data` under this key: an HMAC keyed with the secret, or the
    /// big-endian CRC-32 of `data` for `crc` (which ignores the secret).
    pub fn tag(&self, data: &[u8]) -> Tag {
        match self.method {
            AuthMethod::Crc => Tag::from_slice(&crc32fast::hash(data).to_be_bytes()),
            AuthMethod::Md5 => hmac_tag::<Hmac<md5::Md5>>(&self.secret, data),
            AuthMethod::Sha1 => hmac_tag::<Hmac<sha1::Sha1>>(&self.secret, data),
            AuthMethod::Sha256 => hmac_tag::<Hmac<sha2::Sha256>>(&self.secret, data),
        }
    }

    /// Whether `tag` is this key's tag of `data`, compared in constant time.
    pub fn check(&self, data: &[u8], tag: &[u8]) -> bool {
        let expected = self.tag(data);
        // The length is public (it follows from the method); only the bytes
        // need a constant-time comparison.
        expected.len() == tag.len() && bool::from(expected.as_bytes().ct_eq(tag))
    }
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthKey")
            .field("method", &self.method)
            .field("secret", &format_args!("<{} bytes>", self.secret.len()))
            .finish()
    }
}

/// The MAC `M` (an HMAC) of `data` keyed with `secret`.
fn hmac_tag<M: Mac + KeyInit>(secret: &[u8], data: &[u8]) -> Tag {
    // HMAC accepts keys of any length (longer keys are hashed first), so
    // `new_from_slice` cannot fail.
    let mut mac = <M as KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(data);
    Tag::from_slice(&mac.finalize().into_bytes())
}

/// Every key of `authkeys` by index (0..=15) and the index used to sign.
///
/// `Debug` never prints secrets.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Keyring {
    /// Index used to sign outgoing packets (`auth N`).
    pub active: u8,
    /// Keys by index; a packet naming an index not present is rejected.
    pub keys: BTreeMap<u8, AuthKey>,
}

impl Keyring {
    /// A keyring with one key at index 1, active (as `auth 1` / `1 method secret`).
    pub fn single(method: AuthMethod, secret: impl Into<Vec<u8>>) -> Keyring {
        Keyring {
            active: 1,
            keys: BTreeMap::from([(1, AuthKey::new(method, secret))]),
        }
    }

    /// The active key with its index, or `None` when `active` names no key.
    pub fn active_key(&self) -> Option<(u8, &AuthKey)> {
        self.keys.get(&self.active).map(|k| (self.active, k))
    }

    /// The key at `index`, if any.
    pub fn key(&self, index: u8) -> Option<&AuthKey> {
        self.keys.get(&index)
    }

    /// Sign `data` with the active key: its index and the tag, or `None` when
    /// the active index has no key.
    pub fn sign(&self, data: &[u8]) -> Option<(u8, Tag)> {
        self.active_key().map(|(index, key)| (index, key.tag(data)))
    }

    /// Verify `tag` over `data` with the key at `index`.
    ///
    /// Errors: [`DecodeError::UnknownKeyIndex`] when no key has that index,
    /// [`DecodeError::BadAuth`] when the tag (or its length) does not match.
    pub fn verify(&self, index: u8, data: &[u8], tag: &[u8]) -> Result<(), DecodeError> {
        let key = self.key(index).ok_or(DecodeError::UnknownKeyIndex(index))?;
        if key.check(data, tag) {
            Ok(())
        } else {
            Err(DecodeError::BadAuth)
        }
    }
}
