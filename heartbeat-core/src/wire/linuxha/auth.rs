//! Linux-HA authentication: the token `"<index> <hex digest>"`, its digests,
//! and the two places it travels (SPEC-NOTES §1.5).
//!
//! - `crc`: CRC-32/CKSUM without the length suffix ([`crc_cksum`]), printed
//!   as lower-case hex without leading zeros. Integrity only, no security.
//! - `md5`, `sha1`: HMAC-MD5 / HMAC-SHA1 keyed with the `authkeys` secret
//!   (the tags of [`AuthKey::tag`]), printed as lower-case hex.
//! - `sha256` is not a Heartbeat method; it is accepted here (HMAC-SHA256 in
//!   hex) for clusters of our own nodes, but a Heartbeat peer rejects it.
//!
//! Verification always uses the method **and** the secret of the index the
//! token names (Heartbeat's netstring verifier takes the secret of its own
//! outbound index instead, which breaks key rotation; we do not copy that).

use std::fmt;

use subtle::ConstantTimeEq;

use super::error::{AuthError, HaEncodeError};
use crate::wire::{AuthKey, AuthMethod, Keyring};

/// Longest digest text accepted in a token (HMAC-SHA256 in hex).
const MAX_DIGEST_HEX: usize = 64;

/// The CRC-32/CKSUM core (the `crc` crate's catalogue entry): polynomial
/// 0x04C11DB7, initial value 0, MSB first, no reflection, final complement,
/// and (unlike POSIX `cksum`) no length appended. Check value of
/// `"123456789"`: `0x765e7680`.
pub fn crc_cksum(data: &[u8]) -> u32 {
    CKSUM.checksum(data)
}

/// CRC-32/CKSUM, table-driven.
const CKSUM: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_CKSUM);

/// The digest text Linux-HA writes for `data` under `key`.
pub fn digest_hex(key: &AuthKey, data: &[u8]) -> String {
    match key.method {
        AuthMethod::Crc => format!("{:x}", crc_cksum(data)),
        AuthMethod::Md5 | AuthMethod::Sha1 | AuthMethod::Sha256 => {
            hex::encode(key.tag(data).as_bytes())
        }
    }
}

/// An authentication token `"<index> <hex digest>"`, as carried by the
/// netstring trailer and by the classic `auth` field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthToken {
    /// The `authkeys` index of the key that made the digest.
    pub index: u8,
    /// The digest as lower-case hex (kept exactly as received).
    pub digest: String,
}

impl AuthToken {
    /// Parse `"<index> <hex>"`: a decimal index of 1 to 3 digits without
    /// leading zero, one space, 1 to 64 hex digits.
    pub fn parse(text: &[u8]) -> Result<AuthToken, AuthError> {
        let bad = AuthError::MalformedToken;
        let space = text.iter().position(|&b| b == b' ').ok_or(bad.clone())?;
        let (index, digest) = (&text[..space], &text[space + 1..]);
        let canonical = !index.is_empty()
            && index.len() <= 3
            && index.iter().all(u8::is_ascii_digit)
            && (index.len() == 1 || index[0] != b'0');
        if !canonical
            || digest.is_empty()
            || digest.len() > MAX_DIGEST_HEX
            || !digest.iter().all(u8::is_ascii_hexdigit)
        {
            return Err(bad);
        }
        let index = index
            .iter()
            .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
        Ok(AuthToken {
            index: u8::try_from(index).map_err(|_| bad)?,
            // Checked ASCII hex above.
            digest: String::from_utf8_lossy(digest).into_owned(),
        })
    }

    /// Sign `data` with the keyring's active key.
    pub fn sign(keys: &Keyring, data: &[u8]) -> Result<AuthToken, HaEncodeError> {
        let (index, key) = keys
            .active_key()
            .ok_or(HaEncodeError::NoActiveKey(keys.active))?;
        Ok(AuthToken {
            index,
            digest: digest_hex(key, data),
        })
    }

    /// Check this token over `data` with the method and secret of the key at
    /// the token's own index; digests are compared in constant time.
    pub fn verify(&self, keys: &Keyring, data: &[u8]) -> Result<(), AuthError> {
        let key = keys
            .key(self.index)
            .ok_or(AuthError::UnknownKeyIndex(self.index))?;
        let expected = digest_hex(key, data);
        if bool::from(expected.as_bytes().ct_eq(self.digest.as_bytes())) {
            Ok(())
        } else {
            Err(AuthError::BadAuth)
        }
    }
}

impl fmt::Display for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.index, self.digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        assert_eq!(crc_cksum(b"123456789"), 0x765e_7680);
        assert_eq!(crc_cksum(b""), 0xffff_ffff);
    }

    #[test]
    fn token_parse_and_print() {
        let t = AuthToken::parse(b"1 765e7680").unwrap();
        assert_eq!(t.index, 1);
        assert_eq!(t.to_string(), "1 765e7680");
        for bad in [
            &b"1"[..],
            b"1  ab",
            b" ab",
            b"01 ab",
            b"256 ab",
            b"1 xy",
            b"1 ",
            b"1 ab ",
        ] {
            assert_eq!(AuthToken::parse(bad), Err(AuthError::MalformedToken));
        }
    }

    #[test]
    fn crc_matches_the_bitwise_definition() {
        // MSB first, polynomial 0x04C11DB7, initial 0, final complement.
        fn bitwise(data: &[u8]) -> u32 {
            let mut crc = 0u32;
            for &b in data {
                crc ^= u32::from(b) << 24;
                for _ in 0..8 {
                    crc = if crc & 0x8000_0000 != 0 {
                        (crc << 1) ^ 0x04C1_1DB7
                    } else {
                        crc << 1
                    };
                }
            }
            !crc
        }
        let data: Vec<u8> = (0u32..600).map(|i| (i * 131 % 256) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(crc_cksum(&data[..len]), bitwise(&data[..len]), "{len}");
        }
    }

    #[test]
    fn digests_are_lower_case_hex() {
        let key = AuthKey::new(AuthMethod::Sha1, "somekey");
        let hex = digest_hex(&key, b"data");
        assert_eq!(hex.len(), 40);
        assert!(hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
        let crc = AuthKey::new(AuthMethod::Crc, "");
        assert_eq!(digest_hex(&crc, b"123456789"), "765e7680");
        assert_eq!(digest_hex(&crc, b"\x00\x00\x00\x00"), "ffffffff");
    }
}
