//! Shutdown and departure.

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
