//! Property tests of the native codec: round trips, arbitrary and mutated
//! input, wrong keys.

mod wire_common;

use heartbeat_core::wire::{
    native, AuthKey, AuthMethod, DecodeError, Message, MAX_NATIVE_DATAGRAM,
};
use proptest::prelude::*;
use wire_common::*;

/// Round-trip every packet built from `$message` with any key at any index.
macro_rules! round_trip {
    ($($name:ident => $message:expr;)*) => {$(
        proptest! {
            #[test]
            fn $name(packet in packet_with($message), key in key(), index in any::<u8>()) {
                let method = key.method;
                let keys = ring(index, key);
                let bytes = native::encode(&packet, &keys).expect("encodes");
                prop_assert_eq!(bytes.len(), native::encoded_len(&packet, method));
                prop_assert!(bytes.len() <= MAX_NATIVE_DATAGRAM);
                prop_assert_eq!(native::decode(&bytes, &keys), Ok(packet));
            }
        }
    )*};
}

round_trip! {
    round_trip_any_message => message();
    round_trip_status => status().prop_map(Message::Status);
    round_trip_ip_request => ip_request();
    round_trip_ip_request_resp => ip_request_resp();
    round_trip_rexmit_request => rexmit_request();
    round_trip_nak_rexmit => nak_rexmit();
    round_trip_ack => ack();
    round_trip_starting => Just(Message::Starting);
    round_trip_resource_report => resource_report();
    round_trip_ask_resources => ask_resources();
    round_trip_shutdone => Just(Message::Shutdone);
    round_trip_app => app();
}

/// How a test damages a valid datagram.
#[derive(Clone, Debug)]
enum Mutation {
    /// Flip up to three bits (CRC-32 detects every such error too).
    FlipBits(Vec<usize>),
    /// Keep only the first `n` bytes.
    Truncate(usize),
    /// Append bytes.
    Extend(Vec<u8>),
    /// Replace the byte at a position.
    Overwrite(usize, u8),
    /// Insert a byte at a position.
    Insert(usize, u8),
    /// Remove the byte at a position.
    Remove(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        proptest::collection::vec(any::<usize>(), 1..=3).prop_map(Mutation::FlipBits),
        any::<usize>().prop_map(Mutation::Truncate),
        proptest::collection::vec(any::<u8>(), 1..64).prop_map(Mutation::Extend),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Overwrite(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
    ]
}

fn apply(mutation: &Mutation, mut bytes: Vec<u8>) -> Vec<u8> {
    let len = bytes.len();
    match mutation {
        Mutation::FlipBits(bits) => {
            let mut seen = std::collections::BTreeSet::new();
            for bit in bits {
                let bit = bit % (len * 8);
                // Flipping the same bit twice would undo the damage.
                if seen.insert(bit) {
                    bytes[bit / 8] ^= 1 << (bit % 8);
                }
            }
        }
        Mutation::Truncate(n) => bytes.truncate(n % len),
        Mutation::Extend(more) => bytes.extend_from_slice(more),
        Mutation::Overwrite(i, b) => bytes[i % len] = *b,
        Mutation::Insert(i, b) => bytes.insert(i % (len + 1), *b),
        Mutation::Remove(i) => {
            bytes.remove(i % len);
        }
    }
    bytes
}

proptest! {
    /// Random bytes never panic the decoder, whatever the method.
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..=MAX_NATIVE_DATAGRAM + 16),
        method in method(),
    ) {
        let _ = native::decode(&bytes, &fixed_ring(method));
    }

    /// Random bytes behind a valid header prefix never panic either.
    #[test]
    fn arbitrary_bytes_after_header_never_panic(
        code in 0u8..16,
        rest in proptest::collection::vec(any::<u8>(), 0..256),
        method in method(),
    ) {
        let mut bytes = vec![b'H', b'B', native::VERSION, code];
        bytes.extend_from_slice(&rest);
        let _ = native::decode(&bytes, &fixed_ring(method));
    }

    /// Correctly signed datagrams with an arbitrary header and payload reach
    /// the envelope and body parser: it never panics, and whatever it accepts
    /// re-encodes to exactly the same bytes (the layout is canonical).
    #[test]
    fn signed_arbitrary_payload_never_panics_and_is_canonical(
        code in 0u8..16,
        flags in prop_oneof![Just(0u8), Just(1u8), any::<u8>()],
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        key in key(),
        index in any::<u8>(),
    ) {
        let mut bytes = vec![b'H', b'B', native::VERSION, code, flags];
        bytes.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        bytes.extend_from_slice(&payload);
        bytes.push(index);
        bytes.extend_from_slice(&vec![0; key.method.tag_len()]);
        let bytes = resign(bytes, &key);
        let keys = ring(index, key);
        if let Ok(packet) = native::decode(&bytes, &keys) {
            let again = native::encode(&packet, &keys).expect("decoded packets encode");
            prop_assert_eq!(&again[..], &bytes[..]);
        }
    }

    /// Valid packets with damaged envelope or body bytes, signed again (as a
    /// buggy or hostile key holder would), never panic the parser, and
    /// whatever it accepts re-encodes to exactly the same bytes.
    #[test]
    fn resigned_damaged_payload_is_refused_or_canonical(
        packet in packet(),
        key in key(),
        damage in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let keys = ring(1, key.clone());
        let mut bytes = native::encode(&packet, &keys).expect("encodes").to_vec();
        let payload = native::HEADER_LEN..bytes.len() - 1 - key.method.tag_len();
        for (at, byte) in damage {
            bytes[payload.start + at % payload.len()] = byte;
        }
        let bytes = resign(bytes, &key);
        if let Ok(decoded) = native::decode(&bytes, &keys) {
            let again = native::encode(&decoded, &keys).expect("decoded packets encode");
            prop_assert_eq!(&again[..], &bytes[..]);
        }
    }

    /// A damaged datagram never panics and never decodes to anything else.
    #[test]
    fn mutations_never_decode_to_other_content(
        packet in packet(),
        key in key(),
        mutation in mutation(),
    ) {
        let keys = ring(1, key);
        let original = native::encode(&packet, &keys).expect("encodes").to_vec();
        let damaged = apply(&mutation, original.clone());
        prop_assume!(damaged != original);
        let result = native::decode(&damaged, &keys);
        prop_assert!(result.is_err(), "{:?} decoded after {:?}", result, mutation);
    }

    /// A packet signed with one key never verifies with another key at the
    /// same index.
    #[test]
    fn wrong_key_never_verifies(packet in packet(), a in key(), b in key(), index in any::<u8>()) {
        prop_assume!(!same_hmac_key(&a, &b));
        let bytes = native::encode(&packet, &ring(index, a)).expect("encodes");
        prop_assert_eq!(native::decode(&bytes, &ring(index, b)), Err(DecodeError::BadAuth));
    }

    /// A packet signed at one index is refused by a keyring without that index.
    #[test]
    fn other_index_is_unknown(packet in packet(), key in key(), a in any::<u8>(), b in any::<u8>()) {
        prop_assume!(a != b);
        let bytes = native::encode(&packet, &ring(a, key.clone())).expect("encodes");
        prop_assert_eq!(
            native::decode(&bytes, &ring(b, key)),
            Err(DecodeError::UnknownKeyIndex(a))
        );
    }
}

/// Whether two keys authenticate identically: same method and, for HMAC, the
/// same secret up to trailing NUL bytes (HMAC pads short keys with zeros, so
/// `k` and `k\0` are the same key; `authkeys` tokens never contain NUL), and
/// `crc` keys are all alike.
fn same_hmac_key(a: &AuthKey, b: &AuthKey) -> bool {
    fn trim(s: &[u8]) -> &[u8] {
        let end = s.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        &s[..end]
    }
    a.method == b.method && (a.method == AuthMethod::Crc || trim(&a.secret) == trim(&b.secret))
}
