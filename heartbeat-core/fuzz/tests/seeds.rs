//! Writes the seed corpora from the reference captures, the sample
//! configuration and packets of every native message type. Run once after
//! a format change: `cargo test --test seeds -- --ignored`.

#[path = "../../tests/linuxha_common/mod.rs"]
mod linuxha_common;

use std::path::{Path, PathBuf};

use bytes::Bytes;
use heartbeat_core::control::{request_line, GroupSet, Request};
use heartbeat_core::wire::{
    native, GroupHold, Holdings, MembershipView, Message, NodeStatus, NodeUuid, Ownership, Packet,
    StandbyPhase, Status,
};
use heartbeat_core_fuzz::{keys, method_of};

fn corpus(target: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    std::fs::write(corpus(target).join(name), bytes).unwrap();
}

fn messages() -> Vec<Message> {
    vec![
        Message::Status(Status {
            status: NodeStatus::Active,
            deadtime_ms: 1000,
            holdings: Holdings::Local,
            timestamp_ms: 1_765_000_000_000,
            view: None,
        }),
        Message::IpRequest {
            group: "web".into(),
        },
        Message::IpRequestResp {
            group: "web".into(),
            we_own: true,
            ok: true,
        },
        Message::RexmitRequest {
            first_seq: 5,
            last_seq: 9,
        },
        Message::NakRexmit { seq: 3 },
        Message::Ack {
            ack_seq: 12,
            delay_us: 150,
        },
        Message::Starting,
        Message::ResourceReport {
            holdings: Holdings::All,
            full: true,
            stable: true,
        },
        Message::AskResources {
            holdings: Holdings::Foreign,
            phase: StandbyPhase::Me,
        },
        Message::Shutdone,
        Message::Ownership(Ownership {
            serial: 7,
            groups_digest: 0xdead_beef,
            first: 0,
            holds: vec![GroupHold::Held, GroupHold::Free],
            faults: vec![false, true],
        }),
        Message::App {
            payload: Bytes::from_static(b"hello"),
        },
        Message::Status(Status {
            status: NodeStatus::Active,
            deadtime_ms: 1000,
            holdings: Holdings::None,
            timestamp_ms: 1_765_000_000_000,
            view: Some(MembershipView {
                nodes_digest: 0x1234_5678,
                alive: vec![true, false, true],
            }),
        }),
        Message::Fenced {
            node: "node3".into(),
            generation: 1002,
        },
    ]
}

#[test]
#[ignore = "writes the seed corpora into the source tree"]
fn write_seed_corpora() {
    for (i, message) in messages().into_iter().enumerate() {
        for selector in 0..4u8 {
            let packet = Packet {
                from: "node2".into(),
                from_uuid: NodeUuid([2; 16]),
                generation: 1001,
                seq: if i < 3 { i as u64 + 1 } else { 0 },
                dest: (i % 2 == 0).then(|| "node1".to_owned()),
                message: message.clone(),
            };
            let bytes = native::encode(&packet, &keys(method_of(selector))).unwrap();
            let mut input = vec![selector];
            input.extend_from_slice(&bytes);
            write(
                "native_decode",
                &format!("native-{i:02}-{selector}"),
                &input,
            );
            write("decode_any", &format!("native-{i:02}-{selector}"), &input);
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for name in linuxha_common::CAPTURES {
        for d in linuxha_common::read_capture(name) {
            // One seed per distinct message type and size is plenty.
            let kind = d.payload.iter().take(64).copied().collect::<Vec<u8>>();
            if !seen.insert((kind, d.payload.len())) {
                continue;
            }
            let id = format!("{name}-{:04}", d.record);
            write("linuxha_decode", &id, &d.payload);
            let mut input = vec![2u8]; // sha1, the captures' method
            input.extend_from_slice(&d.payload);
            write("decode_any", &id, &input);
        }
    }
    let ha_d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ha.d");
    let read = |f: &str| std::fs::read_to_string(ha_d.join(f)).unwrap();
    let sample = format!(
        "{}\0{}\0{}",
        read("ha.cf"),
        read("authkeys"),
        read("haresources")
    );
    write("config_files", "sample", sample.as_bytes());
    let minimal = "node node1 node2\nbcast eth0\nkeepalive 2\ndeadtime 30\n\0\
                   auth 1\n1 sha1 somekey\n\0node1 10.0.0.10/24/eth0 httpd\n";
    write("config_files", "minimal", minimal.as_bytes());
    let safety = "node node1 node2 node3\nbcast eth0\n\
                  stonith baytech /etc/ha.d/conf/stonith.baytech\n\
                  stonith_host * external/ssh node1,node2\n\
                  stonith_host node3 baytech 10.0.0.3 mylogin mysecretpassword\n\
                  fence_agent node2 fence_ipmilan ip=10.0.0.12 username=admin password=secret lanplus=1\n\
                  fence_agent node3 /usr/sbin/fence_virsh ipaddr=10.0.0.1 plug=node3\n\
                  fence_delay 5\nfence_timeout 90000ms\nquorum on\nwatchdog /dev/watchdog\n\0\
                  auth 1\n1 sha1 somekey\n\0node1 10.0.0.10/24/eth0 httpd\n";
    write("config_files", "safety", safety.as_bytes());
    for (i, request) in [
        Request::Status,
        Request::Events,
        Request::Shutdown,
        Request::Standby { set: GroupSet::All },
        Request::Takeover {
            set: GroupSet::Failback,
        },
        Request::ConfirmDown {
            node: "node2".into(),
        },
    ]
    .iter()
    .enumerate()
    {
        write(
            "control_request",
            &format!("request-{i}"),
            request_line(request).trim_end().as_bytes(),
        );
    }
    // engine_pair reads its steps from arbitrary bytes: a few spreads.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for (i, len) in [64usize, 256, 1024, 4096].into_iter().enumerate() {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        write("engine_pair", &format!("spread-{i}"), &bytes);
    }
}
