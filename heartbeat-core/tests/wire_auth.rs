//! The auth layer: RFC 2202 / RFC 4231 HMAC test vectors and the CRC-32 check
//! value through `AuthKey::tag`, key rotation, secrets kept out of `Debug`.

mod wire_common;

use heartbeat_core::wire::{native, AuthKey, AuthMethod, DecodeError, Keyring};
use wire_common::*;

/// One HMAC test case: key, data, expected tag (hex).
struct Case {
    key: Vec<u8>,
    data: Vec<u8>,
    tag: &'static str,
}

fn case(key: impl Into<Vec<u8>>, data: impl Into<Vec<u8>>, tag: &'static str) -> Case {
    Case {
        key: key.into(),
        data: data.into(),
        tag,
    }
}

/// Key of RFC 2202 / RFC 4231 test case 4: 0x01..=0x19.
fn key_01_to_19() -> Vec<u8> {
    (1..=0x19).collect()
}

const LARGE_KEY_DATA: &str = "Test Using Larger Than Block-Size Key - Hash Key First";
const LARGE_KEY_AND_DATA: &str =
    "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data";

fn check(method: AuthMethod, cases: &[Case]) {
    for (i, c) in cases.iter().enumerate() {
        let key = AuthKey::new(method, c.key.clone());
        let tag = key.tag(&c.data);
        assert_eq!(tag.len(), method.tag_len());
        assert_eq!(hex::encode(&*tag), c.tag, "{method} case {}", i + 1);
        assert!(key.check(&c.data, &hex::decode(c.tag).unwrap()));
    }
}

#[test]
fn hmac_md5_rfc2202() {
    check(
        AuthMethod::Md5,
        &[
            case([0x0b; 16], "Hi There", "9294727a3638bb1c13f48ef8158bfc9d"),
            case(
                "Jefe",
                "what do ya want for nothing?",
                "750c783e6ab0b503eaa86e310a5db738",
            ),
            case([0xaa; 16], [0xdd; 50], "56be34521d144c88dbb8c733f0e8b3f6"),
            case(
                key_01_to_19(),
                [0xcd; 50],
                "697eaf0aca3a3aea3a75164746ffaa79",
            ),
            case(
                [0x0c; 16],
                "Test With Truncation",
                "56461ef2342edc00f9bab995690efd4c",
            ),
            case(
                [0xaa; 80],
                LARGE_KEY_DATA,
                "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd",
            ),
            case(
                [0xaa; 80],
                LARGE_KEY_AND_DATA,
                "6f630fad67cda0ee1fb1f562db3aa53e",
            ),
        ],
    );
}

#[test]
fn hmac_sha1_rfc2202() {
    check(
        AuthMethod::Sha1,
        &[
            case(
                [0x0b; 20],
                "Hi There",
                "b617318655057264e28bc0b6fb378c8ef146be00",
            ),
            case(
                "Jefe",
                "what do ya want for nothing?",
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            case(
                [0xaa; 20],
                [0xdd; 50],
                "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
            ),
            case(
                key_01_to_19(),
                [0xcd; 50],
                "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
            ),
            case(
                [0x0c; 20],
                "Test With Truncation",
                "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
            ),
            case(
                [0xaa; 80],
                LARGE_KEY_DATA,
                "aa4ae5e15272d00e95705637ce8a3b55ed402112",
            ),
            case(
                [0xaa; 80],
                LARGE_KEY_AND_DATA,
                "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
            ),
        ],
    );
}

#[test]
fn hmac_sha256_rfc4231() {
    check(
        AuthMethod::Sha256,
        &[
            case(
                [0x0b; 20],
                "Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            case(
                "Jefe",
                "what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            case(
                [0xaa; 20],
                [0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            case(
                key_01_to_19(),
                [0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            case(
                [0xaa; 131],
                LARGE_KEY_DATA,
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            case(
                [0xaa; 131],
                "This is a test using a larger than block-size key and a larger \
                 than block-size data. The key needs to be hashed before being \
                 used by the HMAC algorithm.",
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ],
    );
    // Test case 5 is specified truncated to 128 bits.
    let tag = AuthKey::new(AuthMethod::Sha256, [0x0c; 20]).tag(b"Test With Truncation");
    assert_eq!(hex::encode(&tag[..16]), "a3b6167473100ee06e0c796c2955552b");
}

#[test]
fn crc32_check_value() {
    // CRC-32 (IEEE 802.3, as crc32fast computes it): check value of "123456789".
    let tag = AuthKey::new(AuthMethod::Crc, Vec::new()).tag(b"123456789");
    assert_eq!(hex::encode(&*tag), "cbf43926");
    // The secret plays no part: crc is integrity only.
    let other = AuthKey::new(AuthMethod::Crc, b"ignored".to_vec()).tag(b"123456789");
    assert_eq!(tag, other);
}

#[test]
fn method_names_round_trip() {
    for method in AuthMethod::ALL {
        assert_eq!(AuthMethod::from_name(method.name()), Some(method));
        assert_eq!(method.to_string(), method.name());
    }
    assert_eq!(AuthMethod::from_name("SHA1"), None);
    assert_eq!(AuthMethod::from_name("sha512"), None);
}

#[test]
fn debug_never_prints_the_secret() {
    let keys = Keyring::single(AuthMethod::Sha256, "topsecretvalue");
    let printed = format!("{keys:?} {:?}", keys.keys[&1]);
    assert!(!printed.contains("topsecretvalue"), "{printed}");
    assert!(printed.contains("14 bytes"), "{printed}");
}

/// Key rotation: nodes sign with different active keys and still accept each
/// other while both keys are in every keyring.
#[test]
fn rotation_verifies_with_the_index_the_packet_names() {
    let old = AuthKey::new(AuthMethod::Sha1, "old-secret");
    let new = AuthKey::new(AuthMethod::Sha256, "new-secret");
    let both = |active| Keyring {
        active,
        keys: [(1, old.clone()), (2, new.clone())].into_iter().collect(),
    };
    let packet = sample_packet(sample_status());
    let from_old = native::encode(&packet, &both(1)).unwrap();
    let from_new = native::encode(&packet, &both(2)).unwrap();
    assert_eq!(from_old.len() + 12, from_new.len(), "sha1 vs sha256 tag");
    for receiver in [both(1), both(2)] {
        assert_eq!(native::decode(&from_old, &receiver).as_ref(), Ok(&packet));
        assert_eq!(native::decode(&from_new, &receiver).as_ref(), Ok(&packet));
    }
    // After the rotation key 1 is gone: its packets are refused.
    let rotated = ring(2, new.clone());
    assert_eq!(
        native::decode(&from_old, &rotated),
        Err(DecodeError::UnknownKeyIndex(1))
    );
    // Same index, different method: refused as bad authentication.
    let mismatched = ring(1, AuthKey::new(AuthMethod::Sha256, "old-secret"));
    assert_eq!(
        native::decode(&from_old, &mismatched),
        Err(DecodeError::BadAuth)
    );
}

#[test]
fn keyring_sign_and_verify() {
    let keys = Keyring::single(AuthMethod::Md5, "k");
    let (index, tag) = keys.sign(b"data").unwrap();
    assert_eq!(index, 1);
    assert_eq!(keys.verify(1, b"data", &tag), Ok(()));
    assert_eq!(keys.verify(1, b"datA", &tag), Err(DecodeError::BadAuth));
    assert_eq!(
        keys.verify(1, b"data", &tag[..15]),
        Err(DecodeError::BadAuth)
    );
    assert_eq!(
        keys.verify(2, b"data", &tag),
        Err(DecodeError::UnknownKeyIndex(2))
    );
    let empty = Keyring { active: 3, ..keys };
    assert!(empty.sign(b"data").is_none());
}
