//! Shutdown handover and partition heal.

use super::harness::SETTLE;
use super::harness::{n, secs, Cluster};
use crate::config::AutoFailback;
use crate::engine::resources::LocalState;
use crate::engine::Event;

fn released(c: &Cluster, node: usize, group: &str) -> usize {
    c.count_events(
        node,
        |e| matches!(e, Event::GroupReleased { group: g } if g == group),
    )
}

#[test]
fn shutdown_hands_over_at_once() {
    for policy in [AutoFailback::Legacy, AutoFailback::On, AutoFailback::Off] {
        let mut c = Cluster::new(2, policy);
        c.start_all(&[1, 2]);
        c.advance(SETTLE);
        c.shutdown(1);
        // No deadtime wait: Shutdone made n2 take g1 right away.
        c.assert_owner("g1", 2);
        c.assert_owner("g2", 2);
        assert_eq!(c.count_events(1, |e| *e == Event::ShutdownComplete), 1);
        assert_eq!(c.rs[&n(1)].holdings(), crate::wire::Holdings::None);
        // The leaving node starts nothing any more.
        c.advance(secs(60));
        assert_eq!(c.starts["g1"], 2, "{policy:?}");
    }
}

#[test]
fn shutdown_waits_for_the_start_in_flight() {
    let mut c = Cluster::new(1, AutoFailback::Legacy);
    c.hold = true;
    c.boot(1);
    c.comm_up(1);
    assert_eq!(c.state(1, "g1"), LocalState::Starting);
    c.shutdown(1);
    assert_eq!(c.pending.len(), 1, "one action at a time");
    c.finish_held(1, "g1", true);
    assert_eq!(c.state(1, "g1"), LocalState::Stopping);
    assert_eq!(c.count_events(1, |e| *e == Event::ShutdownComplete), 0);
    c.finish_held(1, "g1", true);
    assert_eq!(c.count_events(1, |e| *e == Event::ShutdownComplete), 1);
}

/// Two nodes, the link is cut: each believes the other dead and runs both
/// groups. After the heal each group keeps running on its preferred node, the
/// other one stops it, and nobody restarts anything (Heartbeat stopped both).
#[test]
fn partition_heal_two_nodes_keeps_one_owner_without_restart() {
    for policy in [AutoFailback::Legacy, AutoFailback::On, AutoFailback::Off] {
        let mut c = Cluster::new(2, policy);
        c.start_all(&[1, 2]);
        c.advance(SETTLE);
        c.allow_dual = true;
        c.set_cut(1, 2, true);
        c.dead(1, 2);
        c.dead(2, 1);
        assert_eq!(c.runners("g1"), vec![n(1), n(2)]);
        c.set_cut(1, 2, false);
        c.joined(1, 2);
        c.joined(2, 1);
        c.advance(secs(60));
        c.assert_owner("g1", 1);
        c.assert_owner("g2", 2);
        assert_eq!(c.starts["g1"], 2, "{policy:?}: no restart");
        assert_eq!(released(&c, 1, "g1"), 0);
        assert_eq!(released(&c, 2, "g1"), 1);
        assert_eq!(c.owner_seen_by(2, "g1").as_deref(), Some("n1"));
        assert_eq!(c.owner_seen_by(1, "g2").as_deref(), Some("n2"));
    }
}

/// n1 | n2 n3: n1 runs everything, n2 took g1. After the heal: one owner per
/// group, the preferred one, with one stop per duplicate and no restart.
#[test]
fn partition_heal_three_nodes() {
    for policy in [AutoFailback::Legacy, AutoFailback::On, AutoFailback::Off] {
        let mut c = Cluster::new(3, policy);
        c.start_all(&[1, 2, 3]);
        c.advance(SETTLE);
        c.allow_dual = true;
        c.set_cut(1, 2, true);
        c.set_cut(1, 3, true);
        c.dead(1, 2);
        c.dead(1, 3);
        c.dead(2, 1);
        c.dead(3, 1);
        assert_eq!(c.runners("g1"), vec![n(1), n(2)]);
        assert_eq!(c.runners("g2"), vec![n(1), n(2)]);
        assert_eq!(c.runners("g3"), vec![n(1), n(3)]);
        c.set_cut(1, 2, false);
        c.set_cut(1, 3, false);
        for (a, b) in [(1, 2), (1, 3), (2, 1), (3, 1)] {
            c.joined(a, b);
        }
        c.advance(secs(60));
        for i in 1..=3 {
            let g = format!("g{i}");
            c.assert_owner(&g, i);
            assert_eq!(c.starts[&g], 2, "{policy:?} {g}: no restart");
            assert_eq!(
                released(&c, i, &g),
                0,
                "{policy:?}: keeper of {g} never stopped it"
            );
        }
        assert_eq!(released(&c, 2, "g1"), 1);
        assert_eq!(released(&c, 1, "g2"), 1);
        assert_eq!(released(&c, 1, "g3"), 1);
    }
}

/// The owner of n3's group dies in a 3-node cluster after a heal: beliefs are
/// consistent again, so exactly one survivor takes it.
#[test]
fn death_after_heal_one_taker() {
    let mut c = Cluster::new(3, AutoFailback::Legacy);
    c.start_all(&[1, 2, 3]);
    c.allow_dual = true;
    c.set_cut(1, 3, true);
    c.set_cut(2, 3, true);
    for (a, b) in [(1, 3), (2, 3), (3, 1), (3, 2)] {
        c.dead(a, b);
    }
    c.set_cut(1, 3, false);
    c.set_cut(2, 3, false);
    for (a, b) in [(1, 3), (2, 3), (3, 1), (3, 2)] {
        c.joined(a, b);
    }
    c.allow_dual = false;
    c.kill(3);
    c.assert_owner("g3", 1);
    c.assert_owner("g1", 1);
    c.assert_owner("g2", 2);
}
