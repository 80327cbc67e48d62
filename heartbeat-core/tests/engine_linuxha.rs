//! The engine speaking the Linux-HA dialect, fed the packets a real
//! Heartbeat 3.0.6 node sent (the reference bcast capture, key `somekey`):
//! it answers `reqnodes`, goes active, acknowledges, retransmits what
//! Heartbeat asks for in Heartbeat's own form, and sends statuses the way
//! Heartbeat expects them.

mod linuxha_common;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use heartbeat_core::config::{Config, WireDialect};
use heartbeat_core::engine::{Engine, Event, Identity, MediumId, NodeState};
use heartbeat_core::wire::linuxha::{self, HaMsg};
use heartbeat_core::wire::{DecodeError, NodeUuid};
use linuxha_common::*;

/// node1's address in the captures.
const NODE1: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 11);

/// node2 of the captured cluster, as a heartbeatd node speaking Linux-HA.
fn node2() -> (Engine, Instant) {
    node2_with("")
}

/// [`node2`] with `extra` ha.cf lines.
fn node2_with(extra: &str) -> (Engine, Instant) {
    let ha_cf = format!(
        "keepalive 2\ndeadtime 12\ninitdead 24\nbcast eth0\nauto_failback on\n\
         wire_dialect linux-ha\nnode node1 node2\n{extra}"
    );
    let ha_cf = ha_cf.as_str();
    let config = Config::from_texts(
        ha_cf,
        "auth 1\n1 sha1 somekey\n",
        "node1 hbltest\n",
        "node2",
    )
    .expect("valid configuration");
    assert_eq!(config.wire_dialect, WireDialect::LinuxHa);
    let identity = Identity {
        uuid: NodeUuid([0x42; 16]),
        generation: 7,
    };
    let t0 = Instant::now();
    (
        Engine::with_wall_clock(config, identity, t0, 1_795_300_000, 1),
        t0,
    )
}

/// node1's packets of each of its runs (it is killed and restarted in the
/// capture), in order.
fn node1_runs() -> Vec<Vec<Vec<u8>>> {
    let mut runs: Vec<Vec<Vec<u8>>> = Vec::new();
    for d in read_capture("bcast") {
        if d.src.0 != NODE1 {
            continue;
        }
        let msg = linuxha::decode(&d.payload)
            .expect("captured packet decodes")
            .msg;
        // A restart starts again at seq 1.
        if runs.is_empty() || msg.get_str("seq") == Some("1") {
            runs.push(Vec::new());
        }
        runs.last_mut().expect("a run").push(d.payload);
    }
    runs
}

/// node1's packets of the first start (before the kill -9), in order.
fn node1_first_run() -> Vec<Vec<u8>> {
    node1_runs().swap_remove(0)
}

/// Everything the engine transmitted since the last call, decoded.
fn sent(engine: &mut Engine) -> Vec<(Vec<u8>, HaMsg)> {
    std::iter::from_fn(|| engine.poll_transmit())
        .map(|t| {
            let received = linuxha::decode_verified(&t.bytes, &capture_keys())
                .expect("we send authenticated Linux-HA packets");
            (t.bytes.to_vec(), received.msg)
        })
        .collect()
}

fn events(engine: &mut Engine) -> Vec<Event> {
    std::iter::from_fn(|| engine.poll_event()).collect()
}

fn of_type<'a>(sent: &'a [(Vec<u8>, HaMsg)], t: &str) -> Vec<&'a HaMsg> {
    sent.iter()
        .map(|(_, m)| m)
        .filter(|m| m.msg_type() == Some(t))
        .collect()
}

#[test]
fn statuses_are_sequenced_with_protocol_and_the_start_up_deadtime() {
    let (mut engine, t0) = node2();
    let first = sent(&mut engine);
    let status = of_type(&first, "status")[0];
    assert_eq!(status.get_str("seq"), Some("1"));
    assert_eq!(status.get_str("protocol"), Some("1"));
    // deadtime 12 s + 2 s during the first 5 s: 14000 ms = 0x36b0.
    assert_eq!(status.get_str("dt"), Some("36b0"));
    assert_eq!(status.get_str("st"), Some("init"));
    // `msgfmt classic` (the default): the classic auth field is there too,
    // and it verifies as Heartbeat ≤ 2.1 would check it.
    linuxha::verify_auth_field(status, &capture_keys()).expect("classic auth field");
    assert_eq!(status.get_binary("srcuuid"), Some(&[0x42; 16][..]));
    assert_eq!(status.get_str("ts"), Some("6b021aa0"));

    engine.handle_timeout(t0 + Duration::from_secs(6));
    let later = sent(&mut engine);
    let status = of_type(&later, "status")[0];
    assert_eq!(status.get_str("seq"), Some("2"));
    assert_eq!(status.get_str("dt"), Some("2ee0"), "back to 12000 ms");
}

#[test]
fn a_heartbeat_peer_is_answered_and_both_go_active() {
    let (mut engine, t0) = node2();
    sent(&mut engine);
    let mut now = t0;
    let mut answers = Vec::new();
    for payload in node1_first_run() {
        now += Duration::from_millis(20);
        engine.handle_datagram(now, MediumId(0), &payload);
        answers.extend(sent(&mut engine));
    }
    let evs = events(&mut engine);
    assert!(
        !evs.iter()
            .any(|e| matches!(e, Event::Rejected { .. } | Event::Dropped { .. })),
        "every captured packet is accepted: {evs:?}"
    );
    // reqnodes from node1 → repnodes to node1 with our node list.
    let rep = of_type(&answers, "repnodes");
    assert_eq!(rep.len(), 1, "one repnodes: {answers:?}");
    assert_eq!(rep[0].get_str("dest"), Some("node1"));
    assert_eq!(rep[0].get_str("nodelist"), Some("node1 node2 "));
    assert_eq!(rep[0].get_str("delnodelist"), Some(" "));
    assert!(rep[0].get_str("seq").is_some(), "repnodes is sequenced");
    let node1_state = engine
        .status()
        .nodes
        .iter()
        .find(|n| n.name == "node1")
        .map(|n| n.state);
    assert_eq!(node1_state, Some(NodeState::Active));
    // node1's `starting` is answered with a full resource report.
    let reports = of_type(&answers, "resource");
    assert!(
        reports.iter().any(|r| r.get_str("rtype") == Some("full")),
        "a full resource report answers starting: {answers:?}"
    );
    // Nothing we send is addressed to node1 without its uuid.
    for m in of_type(&answers, "NS_ackmsg").into_iter().chain(rep) {
        assert!(m.get_binary("destuuid").is_some(), "destuuid in {m:?}");
    }
}

#[test]
fn heartbeat_rexmit_requests_get_the_original_bytes_and_naks() {
    let (mut engine, t0) = node2();
    sent(&mut engine);
    // node1's first status makes it known; our next status is then owed to
    // it, and it asks for it (decimal, as Heartbeat writes
    // NS_rexmit), then for our seq 1 (sent before we knew node1: a nak).
    let packets = node1_first_run();
    engine.handle_datagram(t0 + Duration::from_millis(10), MediumId(0), &packets[0]);
    sent(&mut engine);
    engine.handle_timeout(t0 + Duration::from_secs(2));
    let (status_bytes, status) = sent(&mut engine)
        .into_iter()
        .find(|(_, m)| m.msg_type() == Some("status"))
        .expect("a status on the keepalive");
    let seq = u64::from_str_radix(status.get_str("seq").unwrap(), 16).unwrap();
    assert!(seq > 1);
    let template = linuxha::decode(&packets[0]).unwrap().msg;
    let keys = capture_keys();
    let request = |seq: &str| {
        let mut rexmit = HaMsg::new();
        rexmit.push_str("t", "NS_rexmit");
        rexmit.push_str("dest", "node2");
        rexmit.push_str("firstseq", seq);
        rexmit.push_str("lastseq", seq);
        for f in ["src", "srcuuid", "hg", "ts", "ttl"] {
            rexmit.push(f, template.get(f).unwrap().clone());
        }
        linuxha::encode(&rexmit, &keys, linuxha::MsgFmt::Classic).unwrap()
    };
    let mut now = t0 + Duration::from_millis(2300);
    engine.handle_datagram(now, MediumId(0), &request(&seq.to_string()));
    let resent = sent(&mut engine);
    assert!(
        resent.iter().any(|(b, _)| *b == status_bytes),
        "status seq {seq} retransmitted byte for byte: {resent:?}"
    );
    now += Duration::from_millis(300);
    engine.handle_datagram(now, MediumId(0), &request("1"));
    let naks = sent(&mut engine);
    let nak = of_type(&naks, "NS_nak_rexmit");
    assert_eq!(nak.len(), 1, "{naks:?}");
    assert_eq!(nak[0].get_str("firstseq"), Some("1"));
    assert_eq!(nak[0].get_str("dest"), Some("node1"));
    // A number above everything we sent: no answer (as Heartbeat does).
    now += Duration::from_millis(300);
    engine.handle_datagram(now, MediumId(0), &request("900"));
    assert!(sent(&mut engine).is_empty());
}

#[test]
fn unknown_types_are_reported_once_and_bad_packets_counted() {
    let (mut engine, t0) = node2();
    sent(&mut engine);
    let packets = node1_first_run();
    let mut now = t0;
    for p in &packets {
        now += Duration::from_millis(20);
        engine.handle_datagram(now, MediumId(0), p);
    }
    events(&mut engine);
    let template = linuxha::decode(&packets[0]).unwrap().msg;
    let keys = capture_keys();
    for seq in ["70", "71"] {
        let mut msg = HaMsg::new();
        msg.push_str("t", "hbapi-clstat");
        for f in ["src", "srcuuid"] {
            msg.push(f, template.get(f).unwrap().clone());
        }
        msg.push_str("seq", seq);
        for f in ["hg", "ts", "ld", "ttl"] {
            msg.push(f, template.get(f).unwrap().clone());
        }
        now += Duration::from_millis(20);
        let bytes = linuxha::encode(&msg, &keys, linuxha::MsgFmt::Netstring).unwrap();
        engine.handle_datagram(now, MediumId(0), &bytes);
    }
    let ignored: Vec<Event> = events(&mut engine)
        .into_iter()
        .filter(|e| matches!(e, Event::IgnoredMessage { .. }))
        .collect();
    assert_eq!(
        ignored,
        vec![Event::IgnoredMessage {
            node: "node1".into(),
            msg_type: "hbapi-clstat".into()
        }]
    );
    // One flipped byte in the signed part: rejected as unauthentic.
    let mut tampered = packets[0].clone();
    tampered[20] ^= 0x01;
    engine.handle_datagram(now, MediumId(0), &tampered);
    let evs = events(&mut engine);
    assert!(
        evs.iter().any(|e| matches!(
            e,
            Event::Rejected {
                error: DecodeError::BadAuth | DecodeError::LinuxHa(_),
                ..
            }
        )),
        "{evs:?}"
    );
    // Garbage that looks like neither dialect: rejected, no panic.
    engine.handle_datagram(now, MediumId(0), b"###\n99999999999999999999:");
    assert!(events(&mut engine)
        .iter()
        .any(|e| matches!(e, Event::Rejected { .. })));
}

#[test]
fn a_restarted_heartbeat_hears_our_status_before_anything_else() {
    // Heartbeat goes active as soon as it heard every node; if the first
    // packet of ours it hears is no status, it believes we are not active
    // (and with auto_failback legacy takes its groups without asking).
    let (mut engine, t0) = node2();
    sent(&mut engine);
    let runs = node1_runs();
    assert!(runs.len() >= 2, "the capture restarts node1");
    let mut now = t0;
    for p in &runs[0] {
        now += Duration::from_millis(20);
        engine.handle_datagram(now, MediumId(0), p);
    }
    sent(&mut engine);
    now += Duration::from_millis(20);
    engine.handle_datagram(now, MediumId(0), &runs[1][0]);
    let answers: Vec<String> = sent(&mut engine)
        .iter()
        .filter_map(|(_, m)| m.msg_type().map(str::to_owned))
        .collect();
    assert_eq!(
        answers.first().map(String::as_str),
        Some("status"),
        "{answers:?}"
    );
}

/// Heartbeat's `traditional_compression yes` both ways: node1's captured
/// packets compressed (every one, bz2 then zlib) are accepted as they are
/// plain; our large messages go out compressed, small ones plain; a
/// compression bomb is rejected and counted, not decoded.
#[test]
fn compressed_messages_are_read_and_large_ones_sent_compressed() {
    let (mut engine, t0) =
        node2_with("compression bz2\ncompression_threshold 1\ntraditional_compression yes\n");
    sent(&mut engine);
    let keys = capture_keys();
    let mut now = t0;
    for (i, payload) in node1_first_run().into_iter().enumerate() {
        let algorithm = if i % 2 == 0 {
            linuxha::Algorithm::Bz2
        } else {
            linuxha::Algorithm::Zlib
        };
        let received = linuxha::decode(&payload).unwrap();
        let everything = linuxha::Compression {
            algorithm,
            threshold: 0,
        };
        let bytes =
            linuxha::encode_compressed(&received.msg, &keys, received.msgfmt(), Some(everything))
                .unwrap();
        assert_eq!(linuxha::decode(&bytes).unwrap().compressed, Some(algorithm));
        now += Duration::from_millis(20);
        engine.handle_datagram(now, MediumId(0), &bytes);
    }
    let evs = events(&mut engine);
    assert!(
        !evs.iter()
            .any(|e| matches!(e, Event::Rejected { .. } | Event::Dropped { .. })),
        "every compressed packet is accepted: {evs:?}"
    );
    let node1 = engine
        .status()
        .nodes
        .iter()
        .find(|n| n.name == "node1")
        .map(|n| n.state);
    assert_eq!(node1, Some(NodeState::Active));
    sent(&mut engine);

    // A 20 KB application message leaves compressed (bz2), a status plain.
    let payload: Vec<u8> = b"large application message line\n".repeat(640);
    now += Duration::from_millis(20);
    engine.handle_command(
        now,
        heartbeat_core::engine::Command::Send {
            to: Some("node1".into()),
            payload: payload.clone().into(),
        },
    );
    let out: Vec<_> = std::iter::from_fn(|| engine.poll_transmit()).collect();
    let mut big = 0;
    for t in &out {
        let r = linuxha::decode_verified(&t.bytes, &keys).unwrap();
        if r.msg.msg_type() == Some("status") {
            assert_eq!(r.compressed, None);
        } else {
            assert_eq!(r.compressed, Some(linuxha::Algorithm::Bz2), "{:?}", r.msg);
            assert!(t.bytes.len() < 2_000, "{}", t.bytes.len());
            big += 1;
        }
    }
    assert_eq!(big, 1, "{out:?}");

    // A bomb from node1, properly signed: rejected, no panic.
    let mut wrapper = HaMsg::new();
    let zeros = vec![0u8; 8 * 1024 * 1024];
    wrapper.push_binary(
        linuxha::compress::COMPRESSED_PAYLOAD_FIELD,
        linuxha::compress::compress(linuxha::Algorithm::Zlib, &zeros),
    );
    wrapper.push_str(linuxha::compress::COMPRESSION_ALGORITHM_FIELD, "zlib");
    let bomb = linuxha::encode(&wrapper, &keys, linuxha::MsgFmt::Netstring).unwrap();
    engine.handle_datagram(now, MediumId(0), &bomb);
    let evs = events(&mut engine);
    assert!(
        evs.iter().any(|e| matches!(
            e,
            Event::Rejected {
                error: DecodeError::LinuxHa(linuxha::HaDecodeError::DecompressedOversized(_)),
                ..
            }
        )),
        "{evs:?}"
    );
}
