//! Tracked health: a faulty owner hands its group to a healthy peer; a
//! faulty node never takes a group; recovery follows `auto_failback`
//! (`legacy` and `on` move the group back, `off` leaves it).

use super::harness::{n, secs, Cluster, SETTLE};
use crate::config::AutoFailback;
use crate::engine::Event;

const POLICIES: [AutoFailback; 3] = [AutoFailback::Legacy, AutoFailback::On, AutoFailback::Off];

fn kept(c: &Cluster, node: usize, group: &str) -> usize {
    c.count_events(
        node,
        |e| matches!(e, Event::GroupKeptFaulty { group: g } if g == group),
    )
}

fn handed(c: &Cluster, node: usize, group: &str) -> usize {
    c.count_events(
        node,
        |e| matches!(e, Event::GroupHandedOver { group: g, .. } if g == group),
    )
}

fn booted(size: usize, policy: AutoFailback) -> Cluster {
    let mut c = Cluster::new(size, policy);
    let ids: Vec<usize> = (1..=size).collect();
    c.start_all(&ids);
    c.advance(SETTLE);
    c.advance(secs(10));
    c
}

#[test]
fn faulty_owner_hands_the_group_to_a_healthy_peer() {
    for policy in POLICIES {
        let mut c = booted(2, policy);
        c.assert_owner("g1", 1);
        c.health(1, "g1", false);
        c.advance(secs(5));
        c.assert_owner("g1", 2);
        c.assert_owner("g2", 2);
        assert_eq!(c.starts["g1"], 2, "{policy:?}");
        assert_eq!(handed(&c, 1, "g1"), 1, "{policy:?}");
        assert_eq!(
            c.owner_seen_by(1, "g1").as_deref(),
            Some("n2"),
            "{policy:?}"
        );
    }
}

#[test]
fn owner_keeps_the_group_when_no_peer_is_healthy() {
    for policy in POLICIES {
        let mut c = booted(2, policy);
        c.health(2, "g1", false);
        c.advance(secs(5));
        c.health(1, "g1", false);
        c.advance(secs(30));
        c.assert_owner("g1", 1);
        assert_eq!(c.starts["g1"], 1, "{policy:?}");
        assert_eq!(kept(&c, 1, "g1"), 1, "{policy:?}: reported once");
        // The peer recovers: now the group moves.
        c.health(2, "g1", true);
        c.advance(secs(5));
        c.assert_owner("g1", 2);
    }
}

#[test]
fn faulty_node_does_not_take_an_orphaned_group() {
    for policy in POLICIES {
        let mut c = booted(3, policy);
        c.health(2, "g1", false);
        c.advance(secs(5));
        c.kill(1);
        c.advance(secs(10));
        // n2 ranks before n3 for g1 but is faulty: n3 takes it.
        c.assert_owner("g1", 3);
        assert_eq!(c.runners("g1"), vec![n(3)], "{policy:?}");
    }
}

#[test]
fn recovery_moves_back_unless_failback_is_off() {
    for policy in POLICIES {
        let mut c = booted(2, policy);
        c.health(1, "g1", false);
        c.advance(secs(5));
        c.assert_owner("g1", 2);
        c.health(1, "g1", true);
        c.advance(secs(30));
        let back = policy != AutoFailback::Off;
        c.assert_owner("g1", if back { 1 } else { 2 });
        assert_eq!(c.runners("g1"), vec![n(if back { 1 } else { 2 })]);
        assert_eq!(c.starts["g1"], if back { 3 } else { 2 }, "{policy:?}");
    }
}

#[test]
fn flapping_moves_the_group_once_per_fault_report() {
    for policy in POLICIES {
        let mut c = booted(2, policy);
        // n1 flaps; n2 stays healthy. Each fault moves g1 at most once.
        for round in 0..5 {
            c.health(1, "g1", false);
            c.advance(secs(3));
            c.health(1, "g1", true);
            c.advance(secs(3));
            assert_eq!(c.runners("g1").len(), 1, "{policy:?} round {round}");
        }
        let moves = handed(&c, 1, "g1") + handed(&c, 2, "g1");
        assert!(moves <= 5, "{policy:?}: {moves} handovers for 5 faults");
        // legacy and on give g1 back at every recovery; off leaves it on n2.
        let expected = if policy == AutoFailback::Off { 1 } else { 5 };
        assert_eq!(handed(&c, 1, "g1"), expected, "{policy:?}");
    }
}

#[test]
fn taker_turning_faulty_at_handover_time_leaves_the_group_running() {
    for policy in POLICIES {
        let mut c = booted(2, policy);
        c.assert_owner("g1", 1);
        // Both fault at the same instant (a lost gateway): n1 still believes
        // n2 healthy and hands g1 over; n2 refuses it.
        c.health_at_once(&[(1, "g1", false), (2, "g1", false)]);
        c.advance(secs(30));
        assert_eq!(c.runners("g1"), vec![n(1)], "{policy:?}: g1 runs again");
        assert_eq!(kept(&c, 1, "g1"), 1, "{policy:?}: and n1 says it keeps it");
        // n2 recovers: the group moves to it once.
        c.health(2, "g1", true);
        c.advance(secs(10));
        assert_eq!(c.runners("g1"), vec![n(2)], "{policy:?}");
    }
}

#[test]
fn faulty_survivor_still_does_not_take_an_orphan() {
    for policy in POLICIES {
        let mut c = booted(2, policy);
        c.health(2, "g1", false);
        c.advance(secs(5));
        c.kill(1);
        c.advance(secs(30));
        assert!(c.runners("g1").is_empty(), "{policy:?}");
    }
}
