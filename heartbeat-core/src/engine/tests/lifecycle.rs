//! Shutdown, departure, and the resource layer wired into the engine.

use super::*;
use crate::engine::NodeState;

#[test]
fn shutdown_announces_shutdone_and_peer_drops_it_at_once() {
    let mut net = Net::new(&["a", "b"]);
    net.run_for(500 * MS);
    let t = net.now;
    net.command(1, Command::Shutdown);
    assert_eq!(net.find(1, |e| *e == Event::ShutdownComplete).len(), 1);
    assert!(net.engine(1).has_departed());
    net.run_for(10 * MS);
    let dead = net.find(
        0,
        |e| matches!(e, Event::NodeState { node, state: NodeState::Dead } if node == "b"),
    );
    assert_eq!(dead.len(), 1);
    assert!(dead[0].0 <= t + 2 * MS);
    let sent_after = net.sent[1].len();
    net.run_for(3000 * MS);
    assert_eq!(net.sent[1].len(), sent_after, "no more heartbeats");
    assert!(net.engine(0).status().node("b").unwrap().departed);
    // The departed node's last status does not resurrect it.
    assert_eq!(
        net.find(
            0,
            |e| matches!(e, Event::NodeState { node, .. } if node == "b")
        )
        .len(),
        3
    );
}

#[test]
fn lost_shutdone_is_recovered_through_the_last_status() {
    let mut net = Net::new(&["a", "b"]);
    net.run_for(500 * MS);
    net.filter = Some(Box::new(|from, _, _, p| {
        from == 1 && p.seq > 0 && matches!(p.message, Message::Shutdone) && p.seq == 1 && {
            // drop only the two original copies, not the retransmission
            thread_local!(static N: std::cell::Cell<u32> = const { std::cell::Cell::new(0) });
            N.with(|n| {
                n.set(n.get() + 1);
                n.get() <= 4
            })
        }
    }));
    let t = net.now;
    net.command(1, Command::Shutdown);
    net.run_for(500 * MS);
    let dead = net.find(
        0,
        |e| matches!(e, Event::NodeState { node, state: NodeState::Dead } if node == "b"),
    );
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].0 < t + 200 * MS,
        "via rexmit, not deadtime: {:?}",
        dead[0].0 - t
    );
}

#[test]
fn preferred_node_acquires_and_survivor_takes_over_after_a_crash() {
    let mut net = Net::with(&["a", "b"], with_group);
    net.run_for(500 * MS);
    assert_eq!(acquired(&net, 0).len(), 1);
    assert!(acquired(&net, 1).is_empty());
    assert_eq!(
        net.engine(0).status().holdings,
        crate::wire::Holdings::Local
    );
    let crash = net.now;
    net.crash(0);
    net.run_for(2000 * MS);
    let taken = acquired(&net, 1);
    assert_eq!(taken.len(), 1);
    assert!(
        taken[0] - crash <= 1100 * MS + 2 * MS,
        "{:?}",
        taken[0] - crash
    );
    let st = net.engine(1).status();
    assert_eq!(st.groups[0].owner.as_deref(), Some("b"));
    assert_eq!(st.holdings, crate::wire::Holdings::Foreign);
}

#[test]
fn shutdown_hands_the_group_over_without_waiting_for_deadtime() {
    let mut net = Net::with(&["a", "b"], with_group);
    net.run_for(500 * MS);
    let t = net.now;
    net.command(0, Command::Shutdown);
    net.run_for(100 * MS);
    assert_eq!(net.find(0, |e| *e == Event::ShutdownComplete).len(), 1);
    assert_eq!(
        net.find(0, |e| matches!(e, Event::GroupReleased { .. }))
            .len(),
        1
    );
    let taken = acquired(&net, 1);
    assert_eq!(taken.len(), 1);
    assert!(taken[0] - t < 50 * MS, "{:?}", taken[0] - t);
}

#[test]
fn healed_partition_keeps_one_owner_and_restarts_nobody() {
    let mut net = Net::with(&["a", "b"], with_group);
    net.run_for(500 * MS);
    let cut = std::rc::Rc::new(std::cell::Cell::new(true));
    let c2 = cut.clone();
    net.filter = Some(Box::new(move |_, _, _, _| c2.get()));
    net.run_for(2000 * MS);
    assert_eq!(
        acquired(&net, 1).len(),
        1,
        "b took over during the partition"
    );
    cut.set(false);
    net.run_for(3000 * MS);
    let released_b = net.find(1, |e| matches!(e, Event::GroupReleased { .. }));
    assert_eq!(released_b.len(), 1, "the worse-ranked holder stopped");
    assert!(net
        .find(0, |e| matches!(e, Event::GroupReleased { .. }))
        .is_empty());
    for i in 0..2 {
        assert!(net
            .find(i, |e| matches!(e, Event::NodeRestarted { .. }))
            .is_empty());
        assert!(net.engine(i).status().nodes[0].state == NodeState::Active);
    }
    assert_eq!(acquired(&net, 0).len(), 1, "a never restarted its group");
}
