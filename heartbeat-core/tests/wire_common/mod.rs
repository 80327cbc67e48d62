//! Shared helpers of the wire tests: proptest strategies for packets and
//! keyrings, and a forger that re-signs hand-modified datagrams.

#![allow(dead_code, unreachable_pub)]

use bytes::Bytes;
use heartbeat_core::wire::{
    AuthKey, AuthMethod, GroupHold, Holdings, Keyring, MembershipView, Message, NodeStatus,
    NodeUuid, Ownership, Packet, StandbyPhase, Status, MAX_ANNOUNCED_GROUPS,
};
use proptest::prelude::*;

/// Largest `App` payload the strategies generate: fits with the longest
/// names and the longest tag (overhead 201 bytes) under `MAX_NATIVE_DATAGRAM`.
pub const MAX_TEST_APP: usize = 1199;

/// A node name of 1..=64 bytes (ASCII, sometimes with two-byte characters).
pub fn node_name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9][a-z0-9.-]{0,63}", "[a-zé][a-z0-9é]{0,30}",]
}

/// A group key of 1..=255 printable bytes.
pub fn group_key() -> impl Strategy<Value = String> {
    "[!-~][ -~]{0,254}"
}

/// Any `NodeStatus`.
pub fn node_status() -> impl Strategy<Value = NodeStatus> {
    prop_oneof![
        Just(NodeStatus::Init),
        Just(NodeStatus::Up),
        Just(NodeStatus::Active)
    ]
}

/// Any `Holdings`.
pub fn holdings() -> impl Strategy<Value = Holdings> {
    prop_oneof![
        Just(Holdings::None),
        Just(Holdings::Local),
        Just(Holdings::Foreign),
        Just(Holdings::All)
    ]
}

/// Any `StandbyPhase`.
pub fn phase() -> impl Strategy<Value = StandbyPhase> {
    prop_oneof![
        Just(StandbyPhase::Me),
        Just(StandbyPhase::Other),
        Just(StandbyPhase::Done)
    ]
}

/// A membership view of up to 70 nodes.
pub fn view() -> impl Strategy<Value = MembershipView> {
    (
        any::<u32>(),
        proptest::collection::vec(any::<bool>(), 0..70),
    )
        .prop_map(|(nodes_digest, alive)| MembershipView {
            nodes_digest,
            alive,
        })
}

/// A `Status` heartbeat, with or without a membership view.
pub fn status() -> impl Strategy<Value = Status> {
    (
        node_status(),
        any::<u32>(),
        holdings(),
        any::<u64>(),
        proptest::option::of(view()),
    )
        .prop_map(
            |(status, deadtime_ms, holdings, timestamp_ms, view)| Status {
                status,
                deadtime_ms,
                holdings,
                timestamp_ms,
                view,
            },
        )
}

/// `Fenced`.
pub fn fenced() -> impl Strategy<Value = Message> {
    (node_name(), any::<u64>()).prop_map(|(node, generation)| Message::Fenced { node, generation })
}

/// `IpRequest`.
pub fn ip_request() -> impl Strategy<Value = Message> {
    group_key().prop_map(|group| Message::IpRequest { group })
}

/// `IpRequestResp`.
pub fn ip_request_resp() -> impl Strategy<Value = Message> {
    (group_key(), any::<bool>(), any::<bool>())
        .prop_map(|(group, we_own, ok)| Message::IpRequestResp { group, we_own, ok })
}

/// `RexmitRequest`.
pub fn rexmit_request() -> impl Strategy<Value = Message> {
    (any::<u64>(), any::<u64>()).prop_map(|(first_seq, last_seq)| Message::RexmitRequest {
        first_seq,
        last_seq,
    })
}

/// `NakRexmit`.
pub fn nak_rexmit() -> impl Strategy<Value = Message> {
    any::<u64>().prop_map(|seq| Message::NakRexmit { seq })
}

/// `Ack`.
pub fn ack() -> impl Strategy<Value = Message> {
    (any::<u64>(), any::<u32>()).prop_map(|(ack_seq, delay_us)| Message::Ack { ack_seq, delay_us })
}

/// `ResourceReport`.
pub fn resource_report() -> impl Strategy<Value = Message> {
    (holdings(), any::<bool>(), any::<bool>()).prop_map(|(holdings, full, stable)| {
        Message::ResourceReport {
            holdings,
            full,
            stable,
        }
    })
}

/// `AskResources`.
pub fn ask_resources() -> impl Strategy<Value = Message> {
    (holdings(), phase()).prop_map(|(holdings, phase)| Message::AskResources { holdings, phase })
}

/// Any `GroupHold`.
pub fn group_hold() -> impl Strategy<Value = GroupHold> {
    prop_oneof![
        Just(GroupHold::Free),
        Just(GroupHold::Held),
        Just(GroupHold::Unmanaged)
    ]
}

/// `Ownership` with 1..=`MAX_ANNOUNCED_GROUPS` group states.
pub fn ownership() -> impl Strategy<Value = Message> {
    (
        any::<u64>(),
        any::<u32>(),
        any::<u16>(),
        proptest::collection::vec((group_hold(), any::<bool>()), 1..=MAX_ANNOUNCED_GROUPS),
        any::<bool>(),
    )
        .prop_map(|(serial, groups_digest, first, pairs, healthy)| {
            let holds = pairs.iter().map(|p| p.0).collect();
            let mut faults: Vec<bool> = pairs.iter().map(|p| p.1).collect();
            if healthy {
                faults.clear();
            } else {
                faults[0] = true;
            }
            Message::Ownership(Ownership {
                serial,
                groups_digest,
                first,
                holds,
                faults,
            })
        })
}

/// `App` with a payload that fits any envelope and method.
pub fn app() -> impl Strategy<Value = Message> {
    proptest::collection::vec(any::<u8>(), 0..=MAX_TEST_APP).prop_map(|p| Message::App {
        payload: Bytes::from(p),
    })
}

/// Any message, every variant equally likely.
pub fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        status().prop_map(Message::Status),
        ip_request(),
        ip_request_resp(),
        rexmit_request(),
        nak_rexmit(),
        ack(),
        Just(Message::Starting),
        resource_report(),
        ask_resources(),
        Just(Message::Shutdone),
        app(),
        ownership(),
        fenced(),
    ]
}

/// A packet around `message`.
pub fn packet_with(message: impl Strategy<Value = Message>) -> impl Strategy<Value = Packet> {
    (
        node_name(),
        any::<[u8; 16]>(),
        any::<u64>(),
        any::<u64>(),
        proptest::option::of(node_name()),
        message,
    )
        .prop_map(|(from, uuid, generation, seq, dest, message)| Packet {
            from,
            from_uuid: NodeUuid(uuid),
            generation,
            seq,
            dest,
            message,
        })
}

/// Any packet the codec can encode with any method.
pub fn packet() -> impl Strategy<Value = Packet> {
    packet_with(message())
}

/// Any method.
pub fn method() -> impl Strategy<Value = AuthMethod> {
    prop_oneof![
        Just(AuthMethod::Crc),
        Just(AuthMethod::Md5),
        Just(AuthMethod::Sha1),
        Just(AuthMethod::Sha256)
    ]
}

/// A key of `method` (empty secret for crc, 1..64 bytes otherwise).
pub fn key_of(method: AuthMethod) -> impl Strategy<Value = AuthKey> {
    let secret = if method.needs_secret() {
        proptest::collection::vec(any::<u8>(), 1..64).boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    secret.prop_map(move |s| AuthKey::new(method, s))
}

/// A key of any method.
pub fn key() -> impl Strategy<Value = AuthKey> {
    method().prop_flat_map(key_of)
}

/// A keyring holding `key` at `index`, active.
pub fn ring(index: u8, key: AuthKey) -> Keyring {
    Keyring {
        active: index,
        keys: [(index, key)].into_iter().collect(),
    }
}

/// A keyring with a key of `method` at index 1 and a fixed secret.
pub fn fixed_ring(method: AuthMethod) -> Keyring {
    let secret: &[u8] = if method.needs_secret() {
        b"correct horse battery staple"
    } else {
        b""
    };
    Keyring::single(method, secret)
}

/// A small valid packet.
pub fn sample_packet(message: Message) -> Packet {
    Packet {
        from: "node1".into(),
        from_uuid: NodeUuid([7; 16]),
        generation: 2,
        seq: 10,
        dest: None,
        message,
    }
}

/// A sample heartbeat body.
pub fn sample_status() -> Message {
    Message::Status(Status {
        status: NodeStatus::Active,
        deadtime_ms: 30_000,
        holdings: Holdings::Local,
        timestamp_ms: 1_000,
        view: None,
    })
}

/// Replace the tag at the end of `datagram` with `key`'s tag over every byte
/// before it: lets a test build a well-signed datagram with any content.
pub fn resign(mut datagram: Vec<u8>, key: &AuthKey) -> Vec<u8> {
    let signed_len = datagram.len() - key.method.tag_len();
    let tag = key.tag(&datagram[..signed_len]);
    datagram.truncate(signed_len);
    datagram.extend_from_slice(&tag);
    datagram
}
