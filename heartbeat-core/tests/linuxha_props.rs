//! Property tests of the Linux-HA dialect: arbitrary and mutated input never
//! panics, generated messages round-trip in both encodings, and generated
//! packets survive compose → encode → decode → classify.

mod linuxha_common;
mod wire_common;

use std::sync::OnceLock;

use heartbeat_core::wire::linuxha::{
    classify, compose, decode, decode_verified, encode, encode_classic, Classified, Extras, HaMsg,
    MsgFmt, Value,
};
use heartbeat_core::wire::{Holdings, Message, NodeUuid, Packet, ACK_DELAY_UNKNOWN};
use linuxha_common::{all_heartbeat_payloads, capture_keys};
use proptest::prelude::*;
use wire_common::{key, packet, ring};

/// The captured payloads, read once.
fn captured() -> &'static [Vec<u8>] {
    static CAPTURED: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        all_heartbeat_payloads()
            .into_iter()
            .map(|(_, d)| d.payload)
            .collect()
    })
}

/// Pieces of both syntaxes, to build inputs that get deep into the parsers.
const PIECES: &[&[u8]] = &[
    b"###\n", b"%%%\n", b">>>\n", b"<<<\n", b"<<<", b"(0)", b"(1)", b"(2)", b"(3)", b"(4)", b"(5)",
    b"t=", b"=", b",", b":", b"0", b"1", b"5", b"12", b"\x13", b"\x14", b"\x15", b"\n", b"\r",
    b"\0", b"a", b"AA==", b"1 ab", b"3:abc,",
];

/// Bytes a classic string may hold (every byte but NUL, CR, 0x13 and the
/// nesting symbols; `\n` included, it is escaped).
fn text_byte() -> impl Strategy<Value = u8> {
    any::<u8>().prop_filter("classic-safe", |&b| {
        b != 0
            && b != b'\r'
            && b != 0x13
            && !(0x0f..=0x12).contains(&b)
            && !(0x14..=0x1f).contains(&b)
    })
}

fn text() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(text_byte(), 0..16)
}

fn list_item() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(text_byte().prop_filter("no newline", |&b| b != b'\n'), 1..8)
}

fn name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_.-]{0,8}".prop_filter("not the auth field", |n| n != "auth")
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => text().prop_map(Value::Str),
        2 => proptest::collection::vec(any::<u8>(), 0..24).prop_map(Value::Binary),
        1 => proptest::collection::vec(list_item(), 0..4).prop_map(Value::List),
        1 => proptest::collection::vec(any::<u8>(), 0..8).prop_map(Value::Compress),
    ]
}

fn fields(value: impl Strategy<Value = Value>) -> impl Strategy<Value = HaMsg> {
    proptest::collection::vec((name(), value), 0..6).prop_map(|fields| {
        let mut msg = HaMsg::new();
        for (name, value) in fields {
            msg.push(name, value);
        }
        msg
    })
}

/// A message of every field type, nested up to 4 levels.
fn ha_msg() -> impl Strategy<Value = HaMsg> {
    let value = leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            fields(inner.clone()).prop_map(Value::Struct),
            fields(inner).prop_map(Value::Uncompress),
        ]
    });
    fields(value)
}

/// How a test damages a captured datagram.
#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Remove(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    match *m {
        Mutation::Flip(i, x) => bytes[i % len] ^= x,
        Mutation::Truncate(n) => bytes.truncate(n % len),
        Mutation::Insert(i, b) => bytes.insert(i % (len + 1), b),
        Mutation::Remove(i) => {
            bytes.remove(i % len);
        }
    }
}

/// The Linux-HA view of a packet: what survives compose/classify.
fn linux_ha_view(mut packet: Packet, mut extras: Extras) -> (Packet, Extras) {
    let noseq = matches!(
        packet.message,
        Message::RexmitRequest { .. } | Message::NakRexmit { .. } | Message::Ack { .. }
    );
    if noseq {
        packet.seq = 0;
    }
    if noseq || matches!(packet.message, Message::Ownership(_)) {
        extras.load = None;
    }
    if packet.dest.is_none() {
        extras.dest_uuid = None;
    }
    match &mut packet.message {
        Message::Ack { delay_us, .. } => {
            *delay_us = ACK_DELAY_UNKNOWN;
            extras.protocol = None;
        }
        Message::Status(status) => {
            status.holdings = Holdings::None;
            status.view = None;
            extras.ts = status.timestamp_ms / 1000;
            status.timestamp_ms = extras.ts * 1000;
        }
        _ => extras.protocol = None,
    }
    if !matches!(
        packet.message,
        Message::NakRexmit { .. } | Message::ResourceReport { .. }
    ) {
        extras.info = None;
    }
    (packet, extras)
}

fn extras() -> impl Strategy<Value = Extras> {
    (
        any::<u64>(),
        proptest::option::of("[ -~]{0,40}"),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<[u8; 16]>()),
        proptest::option::of(any::<u32>()),
        proptest::option::of("[ -~]{1,30}"),
    )
        .prop_map(|(ts, load, ttl, dest_uuid, protocol, info)| Extras {
            ts,
            load,
            ttl,
            dest_uuid: dest_uuid.map(NodeUuid),
            protocol,
            info,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode(&bytes);
        let _ = decode_verified(&bytes, &capture_keys());
    }

    #[test]
    fn syntax_soup_never_panics(pieces in proptest::collection::vec(0..PIECES.len(), 0..60)) {
        let bytes: Vec<u8> = pieces.iter().flat_map(|&i| PIECES[i].iter().copied()).collect();
        if let Ok(r) = decode(&bytes) {
            // Whatever decodes can be encoded again.
            prop_assert!(r.reencode(&capture_keys()).is_ok());
            let _ = classify(&r.msg);
        }
    }

    #[test]
    fn mutated_captures_never_verify(
        pick in any::<usize>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let original = &captured()[pick % captured().len()];
        let mut bytes = original.clone();
        for m in &mutations {
            if !bytes.is_empty() {
                apply(&mut bytes, m);
            }
        }
        if let Ok(r) = decode_verified(&bytes, &capture_keys()) {
            prop_assert_eq!(&bytes, original, "only the original verifies");
            prop_assert_eq!(&r.reencode(&capture_keys()).unwrap()[..], &original[..]);
        }
        if let Ok(r) = decode(&bytes) {
            let _ = classify(&r.msg);
        }
    }

    #[test]
    fn generated_messages_round_trip_in_both_encodings(
        msg in ha_msg(), key in key(), index in 0u8..16,
    ) {
        let keys = ring(index, key);
        for msgfmt in [MsgFmt::Netstring, MsgFmt::Classic] {
            let bytes = encode(&msg, &keys, msgfmt).unwrap();
            let r = decode_verified(&bytes, &keys).unwrap();
            prop_assert_eq!(r.msgfmt(), msgfmt);
            let mut got = r.msg.clone();
            got.remove("auth");
            prop_assert_eq!(&got, &msg);
            prop_assert_eq!(r.reencode(&keys).unwrap(), bytes);
        }
        let bytes = encode_classic(&msg, &keys).unwrap();
        let r = decode_verified(&bytes, &keys).unwrap();
        let mut got = r.msg.clone();
        got.remove("auth");
        prop_assert_eq!(&got, &msg);
        prop_assert_eq!(r.reencode(&keys).unwrap(), bytes);
    }

    #[test]
    fn generated_packets_survive_the_linux_ha_form(
        packet in packet(), extras in extras(), key in key(), msgfmt_classic in any::<bool>(),
    ) {
        let (packet, extras) = linux_ha_view(packet, extras);
        let keys = ring(1, key);
        let msgfmt = if msgfmt_classic { MsgFmt::Classic } else { MsgFmt::Netstring };
        let msg = compose(&packet, &extras).unwrap();
        let bytes = encode(&msg, &keys, msgfmt).unwrap();
        let r = decode_verified(&bytes, &keys).unwrap();
        let classified = classify(&r.msg).unwrap();
        prop_assert_eq!(classified, Classified::Known { packet, extras });
    }
}

/// heartbeat-rs's own messages travel as types Heartbeat does not know: an
/// unsequenced `NS_` type for ownership (Heartbeat then does no sequence
/// bookkeeping for it), a sequenced one for application payloads.
#[test]
fn our_own_messages_use_our_own_types() {
    let packet = Packet {
        from: "node1".into(),
        from_uuid: NodeUuid([1; 16]),
        generation: 1,
        seq: 5,
        dest: None,
        message: Message::App {
            payload: bytes::Bytes::from_static(b"x"),
        },
    };
    let msg = compose(&packet, &Extras::default()).unwrap();
    assert_eq!(msg.msg_type(), Some("hbrs-app"));
    assert_eq!(msg.get_str("seq"), Some("5"));
    assert_eq!(msg.get_binary("data"), Some(&b"x"[..]));
}
