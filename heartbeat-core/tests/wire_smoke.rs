//! Smoke tests of the native codec: every message type round-trips with every
//! auth method.

use bytes::Bytes;
use heartbeat_core::wire::{
    native, AuthMethod, Holdings, Keyring, Message, NodeStatus, NodeUuid, Packet, StandbyPhase,
    Status,
};

fn messages() -> Vec<Message> {
    vec![
        Message::Status(Status {
            status: NodeStatus::Active,
            deadtime_ms: 30_000,
            holdings: Holdings::Local,
            timestamp_ms: 123_456,
            view: None,
        }),
        Message::IpRequest {
            group: "192.168.1.10".into(),
        },
        Message::IpRequestResp {
            group: "IPaddr::10.0.0.1".into(),
            we_own: true,
            ok: false,
        },
        Message::RexmitRequest {
            first_seq: 5,
            last_seq: 9,
        },
        Message::NakRexmit { seq: 7 },
        Message::Ack {
            ack_seq: 42,
            delay_us: 1_500,
        },
        Message::Starting,
        Message::ResourceReport {
            holdings: Holdings::All,
            full: true,
            stable: false,
        },
        Message::AskResources {
            holdings: Holdings::Foreign,
            phase: StandbyPhase::Other,
        },
        Message::Shutdone,
        Message::App {
            payload: Bytes::from_static(b"hello cluster"),
        },
    ]
}

#[test]
fn every_type_round_trips_with_every_method() {
    for method in AuthMethod::ALL {
        let keys = Keyring::single(
            method,
            if method.needs_secret() {
                &b"s3cret"[..]
            } else {
                &b""[..]
            },
        );
        for (i, message) in messages().into_iter().enumerate() {
            let packet = Packet {
                from: "node1".into(),
                from_uuid: NodeUuid([i as u8; 16]),
                generation: 3,
                seq: i as u64,
                dest: (i % 2 == 0).then(|| "node2".to_string()),
                message,
            };
            let bytes = native::encode(&packet, &keys).expect("encode");
            assert_eq!(bytes.len(), native::encoded_len(&packet, method));
            assert_eq!(native::decode(&bytes, &keys), Ok(packet));
        }
    }
}
