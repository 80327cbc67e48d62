//! Every rejection of the native codec, and the size budget of a heartbeat.

mod wire_common;

use bytes::Bytes;
use heartbeat_core::wire::{
    native, AuthKey, AuthMethod, DecodeError, EncodeError, GroupHold, Holdings, Keyring, Message,
    NodeStatus, NodeUuid, Ownership, Packet, Status, MAX_ANNOUNCED_GROUPS, MAX_GROUP_KEY,
    MAX_NATIVE_DATAGRAM, MAX_NODE_NAME,
};
use wire_common::*;

const METHOD: AuthMethod = AuthMethod::Sha256;

fn keys() -> Keyring {
    fixed_ring(METHOD)
}

fn key() -> AuthKey {
    keys().keys[&1].clone()
}

fn encoded(packet: &Packet) -> Vec<u8> {
    native::encode(packet, &keys()).unwrap().to_vec()
}

fn heartbeat() -> Vec<u8> {
    encoded(&sample_packet(sample_status()))
}

fn decode(bytes: &[u8]) -> Result<Packet, DecodeError> {
    native::decode(bytes, &keys())
}

/// Rewrite the payload (envelope + body) of a valid datagram with `edit`, fix
/// the payload length and sign again: a well-authenticated malformed packet.
fn forge(datagram: Vec<u8>, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let trailer_at = datagram.len() - 1 - METHOD.tag_len();
    let mut payload = datagram[native::HEADER_LEN..trailer_at].to_vec();
    edit(&mut payload);
    let mut out = datagram[..native::HEADER_LEN].to_vec();
    out[5..7].copy_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&datagram[trailer_at..]);
    resign(out, &key())
}

/// Offset in the payload of the body of `sample_packet` (name "node1", no dest).
const BODY_AT: usize = 1 + 5 + 16 + 8 + 8;

// ---- the size budget ----------------------------------------------------

/// The largest realistic heartbeat: a 16-character node name, no destination,
/// every number at its maximum.
fn largest_realistic_status() -> Packet {
    Packet {
        from: "node-name-16-chr".into(),
        from_uuid: NodeUuid([0xff; 16]),
        generation: u64::MAX,
        seq: u64::MAX,
        dest: None,
        message: Message::Status(Status {
            status: NodeStatus::Active,
            deadtime_ms: u32::MAX,
            holdings: Holdings::All,
            timestamp_ms: u64::MAX,
            view: None,
        }),
    }
}

#[test]
fn status_with_16_char_name_and_sha256_is_103_bytes() {
    let packet = largest_realistic_status();
    assert_eq!(packet.from.len(), 16);
    let bytes = native::encode(&packet, &keys()).unwrap();
    assert_eq!(bytes.len(), 103, "documented in WIRE.md");
    assert!(bytes.len() <= 150);
    assert_eq!(decode(&bytes), Ok(packet));
}

#[test]
fn status_sizes_per_method() {
    let packet = largest_realistic_status();
    for (method, size) in [
        (AuthMethod::Crc, 75),
        (AuthMethod::Md5, 87),
        (AuthMethod::Sha1, 91),
        (AuthMethod::Sha256, 103),
    ] {
        let bytes = native::encode(&packet, &fixed_ring(method)).unwrap();
        assert_eq!((method, bytes.len()), (method, size));
    }
    // The worst case the layout allows: 64-byte sender and destination names.
    let widest = Packet {
        from: "a".repeat(MAX_NODE_NAME),
        dest: Some("b".repeat(MAX_NODE_NAME)),
        ..packet
    };
    assert_eq!(native::encode(&widest, &keys()).unwrap().len(), 216);
}

// ---- decode: one test per rejection --------------------------------------

#[test]
fn oversized_is_refused_before_anything_else() {
    let mut bytes = heartbeat();
    bytes.resize(MAX_NATIVE_DATAGRAM + 1, 0);
    assert_eq!(
        decode(&bytes),
        Err(DecodeError::Oversized(MAX_NATIVE_DATAGRAM + 1))
    );
    // Even garbage is refused for its size first.
    let garbage = vec![0u8; 65_000];
    assert_eq!(decode(&garbage), Err(DecodeError::Oversized(65_000)));
}

#[test]
fn truncated() {
    let bytes = heartbeat();
    assert_eq!(decode(&[]), Err(DecodeError::Truncated));
    assert_eq!(decode(b"H"), Err(DecodeError::Truncated));
    // Header cut short, payload cut short, key index missing.
    for len in [3, 4, 5, 6, native::HEADER_LEN, 20, bytes.len() - 1 - 32] {
        assert_eq!(
            decode(&bytes[..len]),
            Err(DecodeError::Truncated),
            "len {len}"
        );
    }
    // A signed payload whose envelope ends early.
    let short = forge(bytes, |p| p.truncate(10));
    assert_eq!(decode(&short), Err(DecodeError::Truncated));
}

#[test]
fn bad_magic() {
    let mut bytes = heartbeat();
    bytes[0] = b'#';
    assert_eq!(decode(&bytes), Err(DecodeError::BadMagic));
    // Linux-HA netstring and classic packets are not native packets.
    assert_eq!(decode(b"###\n11:(0)t=status,"), Err(DecodeError::BadMagic));
    assert_eq!(decode(b">>>\nt=status\n"), Err(DecodeError::BadMagic));
}

#[test]
fn unsupported_version() {
    let mut bytes = heartbeat();
    bytes[2] = 2;
    assert_eq!(decode(&bytes), Err(DecodeError::UnsupportedVersion(2)));
    bytes[2] = 0;
    assert_eq!(decode(&bytes), Err(DecodeError::UnsupportedVersion(0)));
}

#[test]
fn unknown_type() {
    let mut bytes = heartbeat();
    for code in [0, 14, 0x80, 0xff] {
        bytes[3] = code;
        assert_eq!(decode(&bytes), Err(DecodeError::UnknownType(code)));
    }
}

#[test]
fn unknown_key_index() {
    let mut bytes = heartbeat();
    let at = bytes.len() - 1 - METHOD.tag_len();
    bytes[at] = 9;
    assert_eq!(decode(&bytes), Err(DecodeError::UnknownKeyIndex(9)));
}

#[test]
fn bad_auth() {
    let bytes = heartbeat();
    // A flipped bit in the tag, in the body, in the header's type byte.
    for at in [bytes.len() - 1, native::HEADER_LEN + BODY_AT] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x01;
        assert_eq!(decode(&damaged), Err(DecodeError::BadAuth), "byte {at}");
    }
    let mut other_type = bytes.clone();
    other_type[3] = 10; // Shutdone
    assert_eq!(decode(&other_type), Err(DecodeError::BadAuth));
    // A tag that is too short or too long is a tag that does not match.
    assert_eq!(decode(&bytes[..bytes.len() - 1]), Err(DecodeError::BadAuth));
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(decode(&longer), Err(DecodeError::BadAuth));
    // Another secret.
    let other = Keyring::single(METHOD, "another secret");
    assert_eq!(native::decode(&bytes, &other), Err(DecodeError::BadAuth));
}

#[test]
fn invalid_flags_are_refused_before_authentication() {
    let mut bytes = heartbeat();
    bytes[4] = 0x02;
    assert_eq!(decode(&bytes), Err(DecodeError::InvalidField("flags")));
}

#[test]
fn invalid_fields_in_signed_payloads() {
    let status = heartbeat();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("from", forge(status.clone(), |p| p[0] = 0)),
        (
            "from",
            forge(status.clone(), |p| p[0] = (MAX_NODE_NAME + 1) as u8),
        ),
        ("from", forge(status.clone(), |p| p[1] = 0xff)),
        ("status", forge(status.clone(), |p| p[BODY_AT] = 3)),
        ("holdings", forge(status.clone(), |p| p[BODY_AT + 5] = 4)),
        (
            "dest",
            forge(with_dest_flag(status.clone()), |p| p.insert(BODY_AT, 0)),
        ),
        (
            "dest",
            forge(with_dest_flag(status.clone()), |p| {
                p.splice(BODY_AT..BODY_AT, [2, 0xc3, 0x28]);
            }),
        ),
    ];
    for (field, bytes) in cases {
        assert_eq!(decode(&bytes), Err(DecodeError::InvalidField(field)));
    }

    let resp = encoded(&sample_packet(Message::IpRequestResp {
        group: "g".into(),
        we_own: true,
        ok: true,
    }));
    let bad_bool = forge(resp.clone(), |p| p[BODY_AT + 2] = 2);
    assert_eq!(decode(&bad_bool), Err(DecodeError::InvalidField("we_own")));
    let bad_ok = forge(resp.clone(), |p| p[BODY_AT + 3] = 0xff);
    assert_eq!(decode(&bad_ok), Err(DecodeError::InvalidField("ok")));
    let empty_group = forge(resp, |p| {
        p.splice(BODY_AT..BODY_AT + 2, [0]);
    });
    assert_eq!(
        decode(&empty_group),
        Err(DecodeError::InvalidField("group"))
    );

    let report = encoded(&sample_packet(Message::ResourceReport {
        holdings: Holdings::None,
        full: false,
        stable: false,
    }));
    let bad_full = forge(report.clone(), |p| p[BODY_AT + 1] = 7);
    assert_eq!(decode(&bad_full), Err(DecodeError::InvalidField("full")));
    let bad_stable = forge(report, |p| p[BODY_AT + 2] = 7);
    assert_eq!(
        decode(&bad_stable),
        Err(DecodeError::InvalidField("stable"))
    );

    let ask = encoded(&sample_packet(Message::AskResources {
        holdings: Holdings::Local,
        phase: heartbeat_core::wire::StandbyPhase::Done,
    }));
    let bad_phase = forge(ask, |p| p[BODY_AT + 1] = 3);
    assert_eq!(decode(&bad_phase), Err(DecodeError::InvalidField("phase")));
}

/// Set the destination flag of a datagram (the caller then inserts a dest).
fn with_dest_flag(mut datagram: Vec<u8>) -> Vec<u8> {
    datagram[4] = 0x01;
    datagram
}

#[test]
fn trailing_bytes_in_a_signed_payload() {
    // After a status, bytes are its membership view: a view that is cut
    // short is truncated, bytes after a whole view are trailing.
    let bytes = forge(heartbeat(), |p| p.push(0));
    assert_eq!(decode(&bytes), Err(DecodeError::Truncated));
    let view = [0, 0, 0, 1, 0, 3, 0b1010_0000];
    let bytes = forge(heartbeat(), |p| p.extend_from_slice(&view));
    assert!(decode(&bytes).is_ok(), "a status with a view");
    let bytes = forge(heartbeat(), |p| {
        p.extend_from_slice(&view);
        p.push(0)
    });
    assert_eq!(decode(&bytes), Err(DecodeError::TrailingBytes));
    let padded = [0, 0, 0, 1, 0, 3, 0b1010_0001];
    let bytes = forge(heartbeat(), |p| p.extend_from_slice(&padded));
    assert_eq!(
        decode(&bytes),
        Err(DecodeError::InvalidField("view padding bits"))
    );
    let empty_body = encoded(&sample_packet(Message::Shutdone));
    let bytes = forge(empty_body, |p| p.push(0));
    assert_eq!(decode(&bytes), Err(DecodeError::TrailingBytes));
}

#[test]
fn forge_without_edit_is_the_identity() {
    // Guards the helper the tests above rely on.
    let bytes = heartbeat();
    assert_eq!(forge(bytes.clone(), |_| {}), bytes);
}

// ---- encode ---------------------------------------------------------------

#[test]
fn encode_refuses_fields_the_layout_cannot_carry() {
    let long_name = "n".repeat(MAX_NODE_NAME + 1);
    let mut packet = sample_packet(sample_status());
    packet.from = long_name.clone();
    assert_eq!(
        native::encode(&packet, &keys()),
        Err(EncodeError::FieldTooLong("from"))
    );
    packet.from = String::new();
    assert_eq!(
        native::encode(&packet, &keys()),
        Err(EncodeError::EmptyField("from"))
    );
    packet.from = "n".repeat(MAX_NODE_NAME);
    packet.dest = Some(long_name);
    assert_eq!(
        native::encode(&packet, &keys()),
        Err(EncodeError::FieldTooLong("dest"))
    );
    packet.dest = Some(String::new());
    assert_eq!(
        native::encode(&packet, &keys()),
        Err(EncodeError::EmptyField("dest"))
    );
    for group in ["g".repeat(MAX_GROUP_KEY + 1), String::new()] {
        let expected = if group.is_empty() {
            EncodeError::EmptyField("group")
        } else {
            EncodeError::FieldTooLong("group")
        };
        for message in [
            Message::IpRequest {
                group: group.clone(),
            },
            Message::IpRequestResp {
                group: group.clone(),
                we_own: false,
                ok: true,
            },
        ] {
            let packet = sample_packet(message);
            assert_eq!(native::encode(&packet, &keys()), Err(expected.clone()));
        }
    }
    let longest_group = sample_packet(Message::IpRequest {
        group: "g".repeat(MAX_GROUP_KEY),
    });
    let bytes = native::encode(&longest_group, &keys()).unwrap();
    assert_eq!(decode(&bytes), Ok(longest_group));
}

#[test]
fn encode_refuses_datagrams_over_the_limit() {
    let overhead = native::encoded_len(
        &sample_packet(Message::App {
            payload: Bytes::new(),
        }),
        METHOD,
    );
    assert_eq!(
        MAX_NATIVE_DATAGRAM - overhead,
        1322,
        "documented in WIRE.md"
    );
    let fits = sample_packet(Message::App {
        payload: Bytes::from(vec![0xa5; MAX_NATIVE_DATAGRAM - overhead]),
    });
    let bytes = native::encode(&fits, &keys()).unwrap();
    assert_eq!(bytes.len(), MAX_NATIVE_DATAGRAM);
    assert_eq!(decode(&bytes), Ok(fits));
    let too_big = sample_packet(Message::App {
        payload: Bytes::from(vec![0xa5; MAX_NATIVE_DATAGRAM - overhead + 1]),
    });
    assert_eq!(
        native::encode(&too_big, &keys()),
        Err(EncodeError::Oversized(MAX_NATIVE_DATAGRAM + 1))
    );
}

#[test]
fn encode_needs_an_active_key() {
    let keys = Keyring {
        active: 2,
        ..keys()
    };
    assert_eq!(
        native::encode(&sample_packet(sample_status()), &keys),
        Err(EncodeError::NoActiveKey(2))
    );
}

// ---- ownership announcements ----------------------------------------------

#[test]
fn ack_layout_and_the_legacy_body_without_delay() {
    let ack = Message::Ack {
        ack_seq: 0x0102_0304_0506_0708,
        delay_us: 0x0a0b_0c0d,
    };
    let bytes = encoded(&sample_packet(ack.clone()));
    let body = &bytes[native::HEADER_LEN + BODY_AT..];
    assert_eq!(&body[..8], &0x0102_0304_0506_0708u64.to_be_bytes());
    assert_eq!(&body[8..12], &0x0a0b_0c0du32.to_be_bytes());
    assert_eq!(
        body.len(),
        12 + 1 + METHOD.tag_len(),
        "body, key index, tag"
    );
    assert_eq!(decode(&bytes).unwrap().message, ack);
    for cut in [1, 2, 3, 4, 5] {
        let short = forge(bytes.clone(), |p| p.truncate(p.len() - cut));
        assert_eq!(decode(&short), Err(DecodeError::Truncated), "cut {cut}");
    }
}

fn ownership(holds: Vec<GroupHold>) -> Message {
    Message::Ownership(Ownership {
        serial: 7,
        groups_digest: 0xdead_beef,
        first: 0,
        holds,
        faults: Vec::new(),
    })
}

#[test]
fn ownership_layout_is_two_bits_per_group_high_bits_first() {
    use GroupHold::*;
    let bytes = encoded(&sample_packet(ownership(vec![
        Held, Free, Unmanaged, Held, Held,
    ])));
    let body = &bytes[native::HEADER_LEN + BODY_AT..];
    assert_eq!(&body[..8], &7u64.to_be_bytes());
    assert_eq!(&body[8..12], &0xdead_beefu32.to_be_bytes());
    assert_eq!(&body[12..14], &0u16.to_be_bytes());
    assert_eq!(&body[14..16], &5u16.to_be_bytes());
    assert_eq!(body[16], 0b01_00_10_01);
    assert_eq!(body[17], 0b01_00_00_00);
    assert_eq!(
        body.len(),
        18 + 1 + METHOD.tag_len(),
        "body, key index, tag"
    );
}

#[test]
fn ownership_with_every_group_fits_well_under_the_limit() {
    let mut packet = largest_realistic_status();
    packet.message = ownership(vec![GroupHold::Unmanaged; MAX_ANNOUNCED_GROUPS]);
    let len = native::encode(&packet, &keys()).unwrap().len();
    // 7 + 49 + 144 + 1 + 32, documented in WIRE.md.
    assert_eq!(len, 233);
    assert!(len < MAX_NATIVE_DATAGRAM / 4);
}

#[test]
fn ownership_count_and_padding_are_checked() {
    let valid = encoded(&sample_packet(ownership(vec![GroupHold::Held; 3])));
    let count_at = BODY_AT + 14;
    for count in [0u16, MAX_ANNOUNCED_GROUPS as u16 + 1] {
        let bytes = forge(valid.clone(), |p| {
            p[count_at..count_at + 2].copy_from_slice(&count.to_be_bytes())
        });
        assert_eq!(decode(&bytes), Err(DecodeError::InvalidField("holds")));
    }
    // The fourth (unused) slot of the only byte must be 0.
    let padded = forge(valid.clone(), |p| p[count_at + 2] |= 0b01);
    assert_eq!(decode(&padded), Err(DecodeError::InvalidField("holds")));
    // 3 is no state.
    let three = forge(valid.clone(), |p| p[count_at + 2] |= 0b11 << 6);
    assert_eq!(decode(&three), Err(DecodeError::InvalidField("holds")));
    // A count beyond the bytes present.
    let short = forge(valid, |p| {
        p[count_at..count_at + 2].copy_from_slice(&8u16.to_be_bytes())
    });
    assert_eq!(decode(&short), Err(DecodeError::Truncated));
}

#[test]
fn encode_refuses_empty_or_oversized_ownership() {
    let empty = sample_packet(ownership(Vec::new()));
    assert_eq!(
        native::encode(&empty, &keys()),
        Err(EncodeError::EmptyField("holds"))
    );
    let big = sample_packet(ownership(vec![GroupHold::Free; MAX_ANNOUNCED_GROUPS + 1]));
    assert_eq!(
        native::encode(&big, &keys()),
        Err(EncodeError::FieldTooLong("holds"))
    );
}

#[test]
fn ownership_faults_are_one_bit_per_group_after_the_holds() {
    let Message::Ownership(mut o) = ownership(vec![GroupHold::Held; 10]) else {
        unreachable!()
    };
    o.faults = vec![false; 10];
    o.faults[0] = true;
    o.faults[9] = true;
    let bytes = encoded(&sample_packet(Message::Ownership(o.clone())));
    let body = &bytes[native::HEADER_LEN + BODY_AT..];
    // 16 fixed + 3 bytes of holds, then 2 bytes of faults.
    assert_eq!(body[19], 0b1000_0000);
    assert_eq!(body[20], 0b0100_0000);
    assert_eq!(body.len(), 21 + 1 + METHOD.tag_len());
    let packet = native::decode(&bytes, &keys()).unwrap();
    assert_eq!(packet.message, Message::Ownership(o));
}

#[test]
fn ownership_faults_padding_and_all_clear_bitmaps_are_refused() {
    let Message::Ownership(mut o) = ownership(vec![GroupHold::Held; 3]) else {
        unreachable!()
    };
    o.faults = vec![false, true, false];
    let valid = encoded(&sample_packet(Message::Ownership(o.clone())));
    let faults_at = BODY_AT + 17;
    let padded = forge(valid.clone(), |p| p[faults_at] |= 0b1);
    assert_eq!(decode(&padded), Err(DecodeError::InvalidField("faults")));
    let clear = forge(valid, |p| p[faults_at] = 0);
    assert_eq!(decode(&clear), Err(DecodeError::InvalidField("faults")));
    o.faults = vec![false; 3];
    assert_eq!(
        native::encode(&sample_packet(Message::Ownership(o.clone())), &keys()),
        Err(EncodeError::Inconsistent("faults"))
    );
    o.faults = vec![true; 2];
    assert_eq!(
        native::encode(&sample_packet(Message::Ownership(o)), &keys()),
        Err(EncodeError::Inconsistent("faults"))
    );
}
