//! Membership through the whole engine: comm-up, death, links, restarts,
//! partitions, replays, stalls.

use super::*;
use crate::engine::{DropReason, LinkState, NodeState};

fn is_state(node: &str, state: NodeState) -> impl Fn(&Event) -> bool + '_ {
    move |e| matches!(e, Event::NodeState { node: n, state: s } if n == node && *s == state)
}

#[test]
fn two_nodes_come_up_and_stay_up() {
    let mut net = Net::new(&["a", "b"]);
    net.run_for(10 * MS);
    for i in 0..2 {
        let comm_up = net.find(i, |e| *e == Event::CommUp);
        assert_eq!(comm_up.len(), 1, "node {i}");
        assert!(comm_up[0].0 <= net.t0 + 2 * MS);
        let st = net.engine(i).status();
        assert_eq!(st.local_state, NodeState::Active);
        assert!(st.comm_up);
    }
    // Statuses of the peer arrived as init/up, then active.
    assert_eq!(net.find(0, is_state("b", NodeState::Active)).len(), 1);
    assert_eq!(net.find(0, is_state("a", NodeState::Active)).len(), 1);
    net.run_for(10_000 * MS);
    assert!(net.find(0, is_state("b", NodeState::Dead)).is_empty());
    let st = net.engine(0).status();
    let b = st.node("b").unwrap();
    assert_eq!(b.state, NodeState::Active);
    assert_eq!(b.generation, Some(100));
    assert!(b.statuses >= 100);
    assert_eq!(b.max_gap, 100 * MS);
    assert_eq!(b.deadtime, 1000 * MS);
    assert_eq!(b.dead_at, Some(b.last_heard.unwrap() + 1000 * MS));
    assert!(b.links.iter().all(|l| l.state == LinkState::Up));
    assert_eq!(b.links[0].name, "eth0");
    assert_eq!(b.late_heartbeats, 0);
    // Duplicates of every status came in on the second link.
    assert!(b.links[1].packets >= b.statuses);
}

#[test]
fn crashed_node_is_dead_within_deadtime_plus_keepalive() {
    let mut net = Net::new(&["a", "b", "c"]);
    net.run_for(1000 * MS);
    let last_status_of_c = net.now;
    net.crash(2);
    net.run_for(3000 * MS);
    for i in 0..2 {
        let dead = net.find(i, is_state("c", NodeState::Dead));
        assert_eq!(dead.len(), 1, "node {i}");
        let after = dead[0].0 - last_status_of_c;
        assert!(after <= 1100 * MS, "declared after {after:?}");
        assert!(after >= 900 * MS, "declared after {after:?}");
        let links = net.find(
            i,
            |e| matches!(e, Event::LinkState { node, state: LinkState::Dead, .. } if node == "c"),
        );
        assert_eq!(links.len(), 2);
        assert!(net.find(i, is_state("b", NodeState::Dead)).is_empty());
        assert!(net.find(i, is_state("a", NodeState::Dead)).is_empty());
    }
}

#[test]
fn never_heard_node_is_dead_after_initdead_then_comm_up() {
    let mut net = Net::new(&["a", "b", "c"]);
    net.crash(2);
    net.flights.retain(|f| f.from != 2);
    net.run_for(1999 * MS);
    assert!(net.find(0, |e| *e == Event::CommUp).is_empty());
    assert_eq!(net.engine(0).status().local_state, NodeState::Up);
    net.run_for(2 * MS);
    let dead = net.find(0, is_state("c", NodeState::Dead));
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].0, net.t0 + 2000 * MS);
    assert_eq!(net.find(0, |e| *e == Event::CommUp).len(), 1);
}

#[test]
fn one_lossy_link_of_two_causes_no_false_death() {
    let mut net = Net::new(&["a", "b"]);
    let mut loss = lossy(9, 30);
    net.filter = Some(Box::new(move |_, _, medium, _| medium == 0 && loss()));
    net.run_for(60_000 * MS);
    for i in 0..2 {
        assert!(net
            .find(i, |e| matches!(
                e,
                Event::NodeState {
                    state: NodeState::Dead,
                    ..
                }
            ))
            .is_empty());
        assert!(net
            .find(i, |e| matches!(e, Event::LateHeartbeat { .. }))
            .is_empty());
    }
}

#[test]
fn late_heartbeat_is_reported_with_its_interval() {
    let mut net = Net::new(&["a", "b"]);
    net.run_for(1000 * MS);
    // Drop b's statuses for a while (600 ms > warntime, < deadtime).
    let until = net.now + 600 * MS;
    let start = net.now;
    let clock = std::rc::Rc::new(std::cell::Cell::new(start));
    let c2 = clock.clone();
    net.filter = Some(Box::new(move |from, _, _, _| from == 1 && c2.get() < until));
    while net.now < until + 200 * MS {
        net.run_for(MS);
        clock.set(net.now);
    }
    let late = net.find(0, |e| matches!(e, Event::LateHeartbeat { .. }));
    assert_eq!(late.len(), 1);
    let Event::LateHeartbeat { node, interval } = &late[0].1 else {
        unreachable!()
    };
    assert_eq!(node, "b");
    assert!(
        *interval > 500 * MS && *interval <= 700 * MS,
        "{interval:?}"
    );
    assert_eq!(net.engine(0).status().node("b").unwrap().late_heartbeats, 1);
}

#[test]
fn partition_heals_without_restart() {
    let mut net = Net::new(&["a", "b"]);
    net.run_for(500 * MS);
    let cut = std::rc::Rc::new(std::cell::Cell::new(true));
    let c2 = cut.clone();
    net.filter = Some(Box::new(move |_, _, _, _| c2.get()));
    net.run_for(1500 * MS);
    assert_eq!(net.find(0, is_state("b", NodeState::Dead)).len(), 1);
    assert_eq!(net.find(1, is_state("a", NodeState::Dead)).len(), 1);
    // Messages sent during the partition are not replayed after it.
    net.command(
        0,
        Command::Send {
            to: None,
            payload: Bytes::from_static(b"during"),
        },
    );
    net.run_for(100 * MS);
    cut.set(false);
    net.run_for(500 * MS);
    for (i, peer) in [(0, "b"), (1, "a")] {
        assert_eq!(
            net.find(
                i,
                |e| matches!(e, Event::NodeReturned { node } if node == peer)
            )
            .len(),
            1
        );
        assert!(net
            .find(i, |e| matches!(e, Event::NodeRestarted { .. }))
            .is_empty());
        assert_eq!(
            net.engine(i).status().node(peer).unwrap().state,
            NodeState::Active
        );
        assert_eq!(net.engine(i).status().node(peer).unwrap().returns, 1);
    }
    assert!(net.app_messages(1).is_empty());
    net.command(
        0,
        Command::Send {
            to: None,
            payload: Bytes::from_static(b"after"),
        },
    );
    net.run_for(100 * MS);
    assert_eq!(net.app_messages(1)["a"], vec![Bytes::from_static(b"after")]);
}

#[test]
fn restart_with_higher_generation_is_detected() {
    let mut net = Net::new(&["a", "b"]);
    net.command(
        1,
        Command::Send {
            to: None,
            payload: Bytes::from_static(b"one"),
        },
    );
    net.run_for(500 * MS);
    net.crash(1);
    net.run_for(200 * MS);
    net.restart(1, 101);
    net.command(
        1,
        Command::Send {
            to: None,
            payload: Bytes::from_static(b"two"),
        },
    );
    net.run_for(500 * MS);
    let restarted = net.find(0, |e| matches!(e, Event::NodeRestarted { .. }));
    assert_eq!(
        restarted.iter().map(|(_, e)| e.clone()).collect::<Vec<_>>(),
        vec![Event::NodeRestarted {
            node: "b".into(),
            generation: 101
        }]
    );
    // The new incarnation numbers from 1 again and is delivered.
    assert_eq!(
        net.app_messages(0)["b"],
        vec![Bytes::from_static(b"one"), Bytes::from_static(b"two")]
    );
    assert!(net.find(0, is_state("b", NodeState::Dead)).is_empty());
    let st = net.engine(0).status();
    assert_eq!(st.node("b").unwrap().generation, Some(101));
    assert_eq!(st.node("b").unwrap().restarts, 1);
}

#[test]
fn replayed_packets_never_deliver_nor_keep_alive() {
    let mut net = Net::new(&["a", "b"]);
    net.command(
        1,
        Command::Send {
            to: None,
            payload: Bytes::from_static(b"x"),
        },
    );
    net.run_for(300 * MS);
    let old: Vec<Bytes> = net.sent[1].clone();
    // Replays of the current generation: nothing new delivered.
    for b in &old {
        net.inject(0, 0, b);
    }
    assert_eq!(net.app_messages(0)["b"].len(), 1);
    // b crashes; replaying its statuses does not keep it alive.
    net.crash(1);
    for step in 0..30 {
        net.run_for(50 * MS);
        let b = &old[step % old.len()];
        net.inject(0, 1, b);
    }
    assert_eq!(net.find(0, is_state("b", NodeState::Dead)).len(), 1);
    // Restart with a new generation, then replay the old generation.
    net.restart(1, 200);
    net.run_for(100 * MS);
    net.clear_events();
    for b in &old {
        net.inject(0, 0, b);
    }
    assert!(net.app_messages(0).is_empty());
    let drops = net.find(0, |e| {
        matches!(
            e,
            Event::Dropped {
                reason: DropReason::OldGeneration,
                ..
            }
        )
    });
    assert_eq!(drops.len(), old.len());
    assert_eq!(
        net.engine(0).status().node("b").unwrap().generation,
        Some(200)
    );
}

#[test]
fn unknown_nodes_impostors_and_garbage_are_dropped() {
    let mut net = Net::new(&["a", "b"]);
    let forged = |from: &str, uuid: NodeUuid, generation: u64| {
        native::encode(
            &Packet {
                from: from.into(),
                from_uuid: uuid,
                generation,
                seq: 1,
                dest: None,
                message: Message::App {
                    payload: Bytes::from_static(b"evil"),
                },
            },
            &keys(),
        )
        .unwrap()
    };
    net.inject(0, 0, &forged("mallory", uuid(7), 1));
    net.inject(0, 0, &forged("a", uuid(7), 100));
    net.inject(0, 0, &forged("a", uuid(0), 99));
    net.inject(0, 0, b"garbage");
    let wrong_key = Keyring::single(AuthMethod::Sha256, &b"other"[..]);
    let p = native::decode(&forged("b", uuid(1), 100), &keys()).unwrap();
    net.inject(0, 1, &native::encode(&p, &wrong_key).unwrap());
    net.inject(0, 5, &forged("b", uuid(1), 100));
    assert!(net.app_messages(0).is_empty());
    let reasons: Vec<DropReason> = net.events[0]
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Dropped { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            DropReason::UnknownNode,
            DropReason::Impostor,
            DropReason::Impostor,
            DropReason::UnknownMedium
        ]
    );
    assert_eq!(
        net.find(0, |e| matches!(e, Event::Rejected { .. })).len(),
        2
    );
    let st = net.engine(0).status();
    assert_eq!(st.delivery.rejected, 2);
    assert_eq!(st.delivery.unknown_node, 1);
    assert_eq!(st.delivery.impostors, 2);
    assert_eq!(st.media[0].rejected, 1);
    assert_eq!(st.media[1].rejected, 1);
}

#[test]
fn own_echo_brings_local_links_up() {
    let mut net = Net::new(&["a", "b"]);
    net.echo = true;
    net.run_for(300 * MS);
    let st = net.engine(0).status();
    assert!(st.local_links.iter().all(|l| l.state == LinkState::Up));
    assert_eq!(st.delivery.impostors, 0);
    assert!(net
        .find(0, |e| matches!(e, Event::AppMessage { .. }))
        .is_empty());
}

#[test]
fn stalled_process_judges_nobody_on_the_late_tick() {
    let mut net = Net::new(&["a", "b"]);
    net.run_for(1000 * MS);
    // a's process freezes for 3 s: b's statuses pile up unread.
    let frozen = net.engines[0].take();
    let stall_end = net.now + 3000 * MS;
    net.run_until(stall_end);
    net.engines[0] = frozen;
    net.flights.retain(|f| f.to != 0);
    let now = net.now;
    net.engine(0).handle_timeout(now);
    net.collect();
    assert!(net.find(0, is_state("b", NodeState::Dead)).is_empty());
    let stall = net.find(0, |e| matches!(e, Event::LocalStall { .. }));
    assert_eq!(stall.len(), 1);
    // b is alive and is heard within the grace period.
    net.run_for(2000 * MS);
    assert!(net.find(0, is_state("b", NodeState::Dead)).is_empty());
    assert_eq!(net.engine(0).status().delivery.stalls, 1);
}

#[test]
fn stall_grace_still_detects_a_really_dead_peer() {
    let mut net = Net::new(&["a", "b"]);
    net.run_for(1000 * MS);
    net.crash(1);
    let frozen = net.engines[0].take();
    net.run_for(3000 * MS);
    net.engines[0] = frozen;
    let now = net.now;
    net.engine(0).handle_timeout(now);
    net.collect();
    assert!(net.find(0, is_state("b", NodeState::Dead)).is_empty());
    // Its deadline moved by the lateness (the stall does not count as
    // silence), and no further than one deadtime from now.
    net.run_for(1000 * MS);
    let dead = net.find(0, is_state("b", NodeState::Dead));
    assert_eq!(dead.len(), 1);
    assert!(dead[0].0 > now + 200 * MS && dead[0].0 <= now + 1000 * MS);
}

#[test]
fn single_node_cluster_is_active_at_once() {
    let mut net = Net::new(&["a"]);
    assert_eq!(net.find(0, |e| *e == Event::CommUp).len(), 1);
    assert_eq!(net.engine(0).status().local_state, NodeState::Active);
    net.run_for(1000 * MS);
    assert!(net.sent[0].len() >= 10, "keeps heartbeating");
}

#[test]
fn status_timestamps_grow_strictly() {
    let mut net = Net::new(&["a", "b"]);
    // Several statuses at the same instant (creation, state changes).
    let stamps: Vec<u64> = net.sent[0]
        .iter()
        .chain(net.sent[1].iter())
        .filter_map(|b| match native::decode(b, &keys()).unwrap().message {
            Message::Status(s) => Some(s.timestamp_ms),
            _ => None,
        })
        .collect();
    assert!(!stamps.is_empty());
    net.run_for(5 * MS);
    let a: Vec<u64> = net.sent[0]
        .iter()
        .filter_map(|b| match native::decode(b, &keys()).unwrap().message {
            Message::Status(s) => Some(s.timestamp_ms),
            _ => None,
        })
        .collect();
    assert!(a.len() >= 3, "initial + up + active: {a:?}");
    assert!(a.windows(2).all(|w| w[0] < w[1]), "{a:?}");
}

#[test]
fn same_seed_same_outputs() {
    let run = || {
        let mut net = Net::new(&["a", "b", "c"]);
        let mut loss = lossy(3, 20);
        net.filter = Some(Box::new(move |_, _, _, _| loss()));
        for i in 0..20u8 {
            net.command(
                usize::from(i % 3),
                Command::Send {
                    to: None,
                    payload: Bytes::from(vec![i]),
                },
            );
            net.run_for(37 * MS);
        }
        net.run_for(2000 * MS);
        net.sent
    };
    assert_eq!(run(), run());
}

#[test]
fn messages_racing_ahead_of_a_returning_status_are_held_not_lost() {
    let mut net = Net::new(&["a", "b"]);
    net.run_for(500 * MS);
    let phase = std::rc::Rc::new(std::cell::Cell::new(0));
    let p2 = phase.clone();
    // 1: full partition; 2: a's statuses still cut towards b, the rest flows.
    net.filter = Some(Box::new(move |from, _, _, p| match p2.get() {
        1 => true,
        2 => from == 0 && matches!(p.message, Message::Status(_)),
        _ => false,
    }));
    phase.set(1);
    net.run_for(1500 * MS);
    phase.set(2);
    net.command(
        0,
        Command::Send {
            to: None,
            payload: Bytes::from_static(b"early"),
        },
    );
    net.run_for(50 * MS);
    assert!(net.app_messages(1).is_empty(), "held while a looks dead");
    phase.set(0);
    net.run_for(200 * MS);
    assert_eq!(net.app_messages(1)["a"], vec![Bytes::from_static(b"early")]);
    let order: Vec<&Event> = net.events[1]
        .iter()
        .map(|(_, e)| e)
        .filter(|e| matches!(e, Event::NodeReturned { .. } | Event::AppMessage { .. }))
        .collect();
    assert!(matches!(order[0], Event::NodeReturned { .. }), "{order:?}");
}
