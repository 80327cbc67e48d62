//! The recorded Heartbeat 3.0.6 packets (`tests/data/linuxha/*.pcap`, copied
//! from `reference/linux-ha/wire/`): every one decodes, verifies with the
//! cluster's key (`1 sha1 somekey`), re-encodes to the same bytes, and maps
//! to our message types where a counterpart exists.

mod linuxha_common;

use std::collections::BTreeMap;

use heartbeat_core::wire::linuxha::{
    self, classify, compose, decode, decode_verified, verify_auth_field, AuthError, Classified,
    Encoding, HaDecodeError, MsgFmt, AUTH_FIELD,
};
use heartbeat_core::wire::{AuthKey, AuthMethod, Keyring, Message, NodeStatus, ACK_DELAY_UNKNOWN};
use linuxha_common::*;

/// The per-type key the decoded timelines use: `t`, or `status(st=...)`.
fn type_key(msg: &linuxha::HaMsg) -> String {
    let t = msg.msg_type().expect("every packet has a type").to_owned();
    if t == "status" {
        format!("status(st={})", msg.get_str("st").expect("status has st"))
    } else {
        t
    }
}

/// The "sizes of UDP payloads per message type" table of a decoded timeline:
/// type → count.
fn timeline_counts(name: &str) -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(data_path(&format!("{name}.decoded.txt"))).unwrap();
    text.lines()
        .skip_while(|l| !l.starts_with("# sizes of UDP payloads"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| {
            let mut words = l.split_whitespace();
            let kind = words.next().unwrap().to_owned();
            (kind, words.next().unwrap().parse().unwrap())
        })
        .collect()
}

/// The packet count in a decoded timeline's first line
/// (`# wire/bcast.pcap: 180 UDP/694 packets, 79.9 s`).
fn timeline_total(name: &str) -> usize {
    let text = std::fs::read_to_string(data_path(&format!("{name}.decoded.txt"))).unwrap();
    let first = text.lines().next().unwrap();
    let count = first.split(": ").nth(1).unwrap().split(' ').next().unwrap();
    count.parse().unwrap()
}

#[test]
fn every_captured_packet_decodes_verifies_and_reencodes_byte_exact() {
    let keys = capture_keys();
    let mut total = 0;
    for name in CAPTURES {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for d in read_capture(name).into_iter().filter(|d| d.dst.1 == 694) {
            let r = decode_verified(&d.payload, &keys)
                .unwrap_or_else(|e| panic!("{name} record {}: {e}", d.record));
            assert_eq!(r.encoding, Encoding::Netstring);
            assert_eq!(r.msgfmt(), MsgFmt::Classic, "3.0.6 default msgfmt");
            assert_eq!(r.trailer.as_ref().map(|t| t.index), Some(1));
            verify_auth_field(&r.msg, &keys).expect("classic auth field verifies too");
            let again = r.reencode(&keys).unwrap();
            assert_eq!(&again[..], &d.payload[..], "{name} record {}", d.record);
            *counts.entry(type_key(&r.msg)).or_default() += 1;
            total += 1;
        }
        eprintln!("{name}: {counts:?}");
        assert_eq!(counts, timeline_counts(name), "{name} counts per type");
    }
    let announced: usize = CAPTURES.iter().map(|n| timeline_total(n)).sum();
    assert_eq!(total, announced, "no packet skipped");
}

#[test]
fn wrong_keys_fail() {
    let payloads = all_heartbeat_payloads();
    let wrong = [
        (
            Keyring::single(AuthMethod::Sha1, "somekey2"),
            AuthError::BadAuth,
        ),
        (
            Keyring::single(AuthMethod::Md5, "somekey"),
            AuthError::BadAuth,
        ),
        (Keyring::single(AuthMethod::Crc, ""), AuthError::BadAuth),
        (
            Keyring {
                active: 2,
                keys: [(2, AuthKey::new(AuthMethod::Sha1, "somekey"))].into(),
            },
            AuthError::UnknownKeyIndex(1),
        ),
    ];
    for (keys, error) in wrong {
        for (_, d) in &payloads {
            assert_eq!(
                decode_verified(&d.payload, &keys).unwrap_err(),
                HaDecodeError::Auth(error.clone())
            );
            let msg = decode(&d.payload).unwrap().msg;
            assert_eq!(verify_auth_field(&msg, &keys).unwrap_err(), error);
        }
    }
}

#[test]
fn verification_uses_the_key_of_the_received_index() {
    // Our outbound key is 2; the packets name index 1, whose key we know.
    // (Heartbeat's netstring verifier would use key 2's secret and fail.)
    let keys = Keyring {
        active: 2,
        keys: [
            (1, AuthKey::new(AuthMethod::Sha1, "somekey")),
            (2, AuthKey::new(AuthMethod::Md5, "newkey")),
        ]
        .into(),
    };
    for (_, d) in all_heartbeat_payloads() {
        decode_verified(&d.payload, &keys).unwrap();
    }
}

#[test]
fn any_changed_byte_fails() {
    let keys = capture_keys();
    for (_, d) in all_heartbeat_payloads().iter().step_by(7) {
        for i in 0..d.payload.len() {
            let mut bytes = d.payload.clone();
            bytes[i] ^= 0x01;
            assert!(decode_verified(&bytes, &keys).is_err(), "byte {i}");
        }
    }
}

#[test]
fn captured_packets_map_to_our_messages_and_back_byte_exact() {
    let keys = capture_keys();
    let mut known = BTreeMap::<String, usize>::new();
    let mut other = BTreeMap::<String, usize>::new();
    for (name, d) in all_heartbeat_payloads() {
        let r = decode_verified(&d.payload, &keys).unwrap();
        match classify(&r.msg).unwrap() {
            Classified::Known { packet, extras } => {
                *known
                    .entry(r.msg.msg_type().unwrap().to_owned())
                    .or_default() += 1;
                // The typed form composes back to the same fields, and the
                // same bytes once signed.
                let mut without_auth = r.msg.clone();
                without_auth.remove(AUTH_FIELD);
                let composed = compose(&packet, &extras).unwrap();
                assert_eq!(composed, without_auth, "{name} record {}", d.record);
                let bytes = linuxha::encode(&composed, &keys, MsgFmt::Classic).unwrap();
                assert_eq!(&bytes[..], &d.payload[..]);
            }
            Classified::Other { msg_type, envelope } => {
                let envelope = envelope.expect("3.0.6 messages all have an envelope");
                assert!(envelope.seq > 0, "{msg_type} is sequenced");
                *other.entry(msg_type).or_default() += 1;
            }
        }
    }
    eprintln!("mapped: {known:?}\nother: {other:?}");
    let other_types: Vec<_> = other.keys().map(String::as_str).collect();
    assert_eq!(other_types, ["repnodes", "reqnodes", "stonith"]);
}

#[test]
fn the_traps_read_right() {
    let keys = capture_keys();
    let mut rexmits = Vec::new();
    let mut deadtimes = BTreeMap::<u32, usize>::new();
    for (name, d) in all_heartbeat_payloads() {
        let r = decode_verified(&d.payload, &keys).unwrap();
        let Ok(Classified::Known { packet, extras }) = classify(&r.msg) else {
            continue;
        };
        match packet.message {
            Message::RexmitRequest {
                first_seq,
                last_seq,
            } => {
                // Decimal on the wire: "firstseq=21" is 21, not 0x21.
                let text = r.msg.get_str("firstseq").unwrap();
                assert_eq!(first_seq.to_string(), text);
                assert!(first_seq <= last_seq);
                assert_eq!(packet.seq, 0, "NS_ messages carry no seq");
                assert!(extras.load.is_none());
                rexmits.push((name, first_seq));
            }
            Message::Ack { ack_seq, delay_us } => {
                assert_eq!(delay_us, ACK_DELAY_UNKNOWN, "NS_ackmsg has no delay");
                assert_eq!(format!("{ack_seq:x}"), r.msg.get_str("ackseq").unwrap());
                assert!(packet.dest.is_some() && extras.dest_uuid.is_some());
            }
            Message::Status(status) => {
                assert_eq!(extras.protocol, Some(1));
                assert_eq!(status.timestamp_ms, extras.ts * 1000);
                assert_eq!(format!("{:x}", packet.seq), r.msg.get_str("seq").unwrap());
                *deadtimes.entry(status.deadtime_ms).or_default() += 1;
                if status.status == NodeStatus::Init {
                    // deadtime + 2 s during the first 5 s after start.
                    assert_eq!(status.deadtime_ms, 12_000);
                }
            }
            _ => {}
        }
        assert_eq!(r.msg.get_binary("srcuuid").map(<[u8]>::len), Some(16));
    }
    eprintln!("NS_rexmit firstseq: {rexmits:?}\nstatus dt: {deadtimes:?}");
    assert!(!rexmits.is_empty());
    assert_eq!(
        deadtimes.keys().copied().collect::<Vec<_>>(),
        [10_000, 12_000]
    );
}
