//! Reliable delivery through the whole engine.

use super::*;
use crate::engine::NodeState;

fn payload(i: u32) -> Bytes {
    Bytes::from(i.to_be_bytes().to_vec())
}

fn send_many(net: &mut Net, from: usize, n: u32, spacing: Duration) {
    send_many_to(net, from, None, n, spacing);
}

/// `n` messages from `from` to `to` (`None`: all), `spacing` apart.
fn send_many_to(net: &mut Net, from: usize, to: Option<&str>, n: u32, spacing: Duration) {
    for i in 0..n {
        net.command(
            from,
            Command::Send {
                to: to.map(str::to_owned),
                payload: payload(i),
            },
        );
        net.run_for(spacing);
    }
}

/// Delivery is not held back for ordering: compare as sorted lists, which
/// also catches any double delivery.
fn sorted(mut v: Vec<Bytes>) -> Vec<Bytes> {
    v.sort();
    v
}

fn all(n: u32) -> Vec<Bytes> {
    sorted((0..n).map(payload).collect())
}

fn lost_events(net: &Net, i: usize) -> u64 {
    net.events[i]
        .iter()
        .map(|(_, e)| match e {
            Event::LostPackets { count, .. } => *count,
            _ => 0,
        })
        .sum()
}

#[test]
fn duplicates_on_two_links_are_delivered_once() {
    let mut net = Net::new(&["a", "b"]);
    send_many(&mut net, 0, 10, 5 * MS);
    net.run_for(100 * MS);
    assert_eq!(
        net.app_messages(1)["a"],
        (0..10).map(payload).collect::<Vec<_>>()
    );
    let b = net.engine(1).status();
    assert!(b.node("a").unwrap().duplicates >= 10);
}

#[test]
fn lossy_links_deliver_everything_exactly_once() {
    let mut net = Net::new(&["a", "b", "c"]);
    let mut loss = lossy(42, 25);
    net.filter = Some(Box::new(move |_, _, _, _| loss()));
    send_many(&mut net, 0, 200, 3 * MS);
    send_many(&mut net, 2, 50, 7 * MS);
    net.run_for(3000 * MS);
    for i in [1, 2] {
        assert_eq!(
            sorted(net.app_messages(i)["a"].clone()),
            all(200),
            "node {i}"
        );
        assert_eq!(lost_events(&net, i), 0);
    }
    assert_eq!(sorted(net.app_messages(0)["c"].clone()), all(50));
    let a = net.engine(0).status();
    assert!(a.delivery.resent > 0);
    assert!(a.node("b").unwrap().rexmit_requests > 0 || a.node("c").unwrap().rexmit_requests > 0);
    // Everyone acknowledged everything: the history ring is empty again.
    assert_eq!(a.delivery.history_len, 0, "{:?}", a.delivery);
    assert!(
        a.node("b").unwrap().recovered > 0 || a.node("c").unwrap().recovered > 0 || {
            let b = net.engine(1).status();
            b.node("a").unwrap().recovered > 0
        }
    );
}

#[test]
fn tail_loss_on_all_links_is_recovered() {
    let mut net = Net::new(&["a", "b"]);
    net.run_for(50 * MS);
    let mut copies = 0;
    net.filter = Some(Box::new(move |_, _, _, p| {
        if is_app(p) && copies < 2 {
            copies += 1;
            return true;
        }
        false
    }));
    net.command(
        0,
        Command::Send {
            to: None,
            payload: payload(7),
        },
    );
    net.run_for(40 * MS);
    assert!(net.app_messages(1).is_empty(), "lost on both links");
    net.run_for(300 * MS);
    assert_eq!(net.app_messages(1)["a"], vec![payload(7)]);
    let b = net.engine(1).status();
    assert_eq!(b.node("a").unwrap().recovered, 1);
    assert_eq!(b.node("a").unwrap().missing, 0);
}

#[test]
fn messages_to_one_node_reach_only_it() {
    let mut net = Net::new(&["a", "b", "c"]);
    net.command(
        0,
        Command::Send {
            to: Some("c".into()),
            payload: payload(1),
        },
    );
    net.command(
        0,
        Command::Send {
            to: None,
            payload: payload(2),
        },
    );
    net.command(
        0,
        Command::Send {
            to: Some("a".into()),
            payload: payload(3),
        },
    );
    net.command(
        0,
        Command::Send {
            to: Some("zed".into()),
            payload: payload(4),
        },
    );
    net.run_for(100 * MS);
    assert_eq!(net.app_messages(1)["a"], vec![payload(2)]);
    assert_eq!(net.app_messages(2)["a"], vec![payload(1), payload(2)]);
    assert_eq!(net.app_messages(0)["a"], vec![payload(3)]);
    assert_eq!(
        net.find(0, |e| matches!(e, Event::SendFailed { .. })).len(),
        1
    );
    // b saw seq 1 go by (not for it) without counting a gap.
    assert_eq!(net.engine(1).status().node("a").unwrap().missing, 0);
}

#[test]
fn oversized_payload_fails_without_using_a_number() {
    let mut net = Net::new(&["a", "b"]);
    net.command(
        0,
        Command::Send {
            to: None,
            payload: Bytes::from(vec![0u8; 5000]),
        },
    );
    assert_eq!(
        net.find(0, |e| matches!(e, Event::SendFailed { .. })).len(),
        1
    );
    net.command(
        0,
        Command::Send {
            to: None,
            payload: payload(1),
        },
    );
    net.run_for(100 * MS);
    assert_eq!(net.engine(0).status().delivery.highest_seq, 1);
    assert_eq!(net.app_messages(1)["a"], vec![payload(1)]);
}

#[test]
fn packets_gone_from_history_are_naked_and_counted_lost() {
    let mut net = Net::new(&["a", "b"]);
    net.run_for(50 * MS);
    // b never receives a's seqs 20..=29; a sends 600 at once, so 1..=100
    // leave the 500-entry ring before b asks.
    net.filter = Some(Box::new(|from, _, _, p| {
        from == 0 && (20..30).contains(&p.seq) && is_app(p)
    }));
    for i in 0..600 {
        net.command(
            0,
            Command::Send {
                to: None,
                payload: payload(i),
            },
        );
    }
    net.run_for(2000 * MS);
    let got = net.app_messages(1)["a"].len();
    assert_eq!(got, 590);
    assert_eq!(lost_events(&net, 1), 10);
    let a = net.engine(0).status();
    assert_eq!(a.delivery.naks_sent, 10);
    assert_eq!(a.delivery.resent, 0);
    assert_eq!(net.engine(1).status().node("a").unwrap().lost_packets, 10);
    assert_eq!(
        net.engine(1).status().node("a").unwrap().state,
        NodeState::Active
    );
}

#[test]
fn unanswered_requests_are_bounded_then_given_up() {
    let mut net = Net::new(&["a", "b"]);
    net.run_for(50 * MS);
    // a's seq 1 never arrives and a never hears b's requests.
    net.filter = Some(Box::new(|from, _, _, p| {
        (from == 0 && p.seq == 1 && is_app(p))
            || (from == 1 && matches!(p.message, Message::RexmitRequest { .. }))
    }));
    net.command(
        0,
        Command::Send {
            to: None,
            payload: payload(1),
        },
    );
    net.command(
        0,
        Command::Send {
            to: None,
            payload: payload(2),
        },
    );
    net.run_for(2000 * MS);
    let b = net.engine(1).status();
    let a_info = b.node("a").unwrap();
    assert_eq!(a_info.rexmit_requests, 8);
    assert_eq!(a_info.lost_packets, 1);
    assert_eq!(lost_events(&net, 1), 1);
    assert_eq!(net.app_messages(1)["a"], vec![payload(2)]);
    // After giving up, the ack level moves on and a's ring is trimmed.
    net.run_for(500 * MS);
    assert_eq!(net.engine(0).status().delivery.history_len, 0);
}

#[test]
fn rexmit_requests_cannot_amplify() {
    let mut net = Net::new(&["a", "b"]);
    for i in 0..300 {
        net.command(
            0,
            Command::Send {
                to: Some("b".into()),
                payload: payload(i),
            },
        );
    }
    net.run_for(300 * MS);
    // b (or a forger with the key) asks for everything, many times at once.
    let req = native::encode(
        &Packet {
            from: "b".into(),
            from_uuid: uuid(1),
            generation: 100,
            seq: 0,
            dest: Some("a".into()),
            message: Message::RexmitRequest {
                first_seq: 0,
                last_seq: u64::MAX,
            },
        },
        &keys(),
    )
    .unwrap();
    // First forget b's acks so a would have something to resend.
    let before = net.sent[0].len();
    for _ in 0..100 {
        net.inject(0, 0, &req);
    }
    let replies = net.sent[0].len() - before;
    assert_eq!(replies, 0, "acked packets are never resent");
    // A peer that acknowledged nothing (restarted) gets at most the budget.
    let restarted = native::encode(
        &Packet {
            from: "b".into(),
            from_uuid: uuid(1),
            generation: 101,
            seq: 0,
            dest: Some("a".into()),
            message: Message::Status(crate::wire::Status {
                status: crate::wire::NodeStatus::Active,
                deadtime_ms: 1000,
                holdings: crate::wire::Holdings::None,
                timestamp_ms: 1,
                view: None,
            }),
        },
        &keys(),
    )
    .unwrap();
    net.inject(0, 0, &restarted);
    let req101 = {
        let mut p = native::decode(&req, &keys()).unwrap();
        p.generation = 101;
        native::encode(&p, &keys()).unwrap()
    };
    let before = net.sent[0].len();
    for _ in 0..100 {
        net.inject(0, 0, &req101);
    }
    let replies = net.sent[0].len() - before;
    assert!(replies <= 100, "{replies} replies");
    assert!(replies > 0);
}

#[test]
fn rtt_estimate_from_acks() {
    let mut net = Net::new(&["a", "b"]);
    net.latency = 4 * MS;
    send_many(&mut net, 0, 40, MS);
    net.run_for(500 * MS);
    let rtt = net.engine(0).status().node("b").unwrap().rtt;
    assert_eq!(rtt, Some(8 * MS));
}

#[test]
fn rtt_excludes_the_peers_ack_delay_on_an_idle_link() {
    // 5 ms each way, keepalive 1 s: a lone message is acked on the peer's
    // next keepalive tick, hundreds of ms later. The peer reports how long
    // it held the message, so the estimate is the network round trip.
    let mut net = Net::with(&["a", "b"], |cfg| {
        cfg.timing.keepalive = 1000 * MS;
        cfg.timing.warntime = 5000 * MS;
        cfg.timing.deadtime = 10_000 * MS;
        cfg.timing.initdead = 20_000 * MS;
    });
    net.latency = 5 * MS;
    net.run_for(3300 * MS);
    for _ in 0..3 {
        send_many_to(&mut net, 0, Some("b"), 1, 2300 * MS);
    }
    let rtt = net.engine(0).status().node("b").unwrap().rtt.unwrap();
    assert!(rtt >= 10 * MS && rtt < 11 * MS, "rtt {rtt:?}");
    let acks: Vec<u32> = net.sent[1]
        .iter()
        .filter_map(|b| match native::decode(b, &keys()).unwrap().message {
            Message::Ack { delay_us, .. } => Some(delay_us),
            _ => None,
        })
        .collect();
    // Held until b's next tick: 695, 395 and 95 ms. Without the delay the
    // samples would be 705, 405 and 105 ms.
    assert_eq!(acks, [695_000, 395_000, 95_000]);
}

#[test]
fn only_messages_addressed_to_one_node_are_acked_on_a_tick() {
    let mut net = Net::new(&["a", "b", "c"]);
    net.run_for(300 * MS);
    let acks = |net: &Net, i: usize| {
        net.sent[i]
            .iter()
            .filter(|b| {
                matches!(
                    native::decode(b, &keys()).unwrap().message,
                    Message::Ack { .. }
                )
            })
            .count()
    };
    let before = (acks(&net, 1), acks(&net, 2));
    send_many_to(&mut net, 0, None, 1, 500 * MS);
    send_many_to(&mut net, 0, Some("b"), 1, 500 * MS);
    // A broadcast costs no ack from anyone; the message for b one from b.
    assert_eq!(acks(&net, 1) - before.0, 1);
    assert_eq!(acks(&net, 2) - before.1, 0);
    assert_eq!(net.app_messages(2)["a"], vec![payload(0)]);
    // c never acknowledged: a's history empties once nobody can ask.
    assert_eq!(net.engine(0).status().delivery.history_len, 2);
    net.run_for(10_000 * MS);
    assert_eq!(net.engine(0).status().delivery.history_len, 0);
}
