//! Ownership announcements: one-sided joins, stale beliefs, foreign group
//! lists.

use super::harness::{n, secs, timers, Cluster, SETTLE};
use crate::config::AutoFailback;
use crate::engine::resources::group::Lifecycle;
use crate::engine::Event;
use crate::wire::{GroupHold, Message, Ownership};

fn released(c: &Cluster, node: usize, group: &str) -> usize {
    c.count_events(
        node,
        |e| matches!(e, Event::GroupReleased { group: g } if g == group),
    )
}

/// A one-way cut n1 → n2 seen from the resource layer: n2 declares n1 dead
/// and starts g1 alone, n1 never sees n2 die. After the heal only n2 sees a
/// join. The announcements make n2 (worse-ranked for g1) stop its copy; n1's
/// copy never stops or restarts.
#[test]
fn one_sided_join_resolves_double_ownership() {
    for policy in [AutoFailback::Legacy, AutoFailback::On, AutoFailback::Off] {
        let mut c = Cluster::new(2, policy);
        c.start_all(&[1, 2]);
        c.advance(SETTLE);
        c.allow_dual = true;
        c.set_cut(1, 2, true);
        c.dead(2, 1);
        assert_eq!(c.runners("g1"), vec![n(1), n(2)], "{policy:?}");
        c.set_cut(1, 2, false);
        c.joined(2, 1);
        c.advance(secs(10));
        c.assert_owner("g1", 1);
        c.assert_owner("g2", 2);
        assert_eq!(c.starts["g1"], 2, "{policy:?}: no restart");
        assert_eq!(
            released(&c, 1, "g1"),
            0,
            "{policy:?}: the better copy stays"
        );
        assert_eq!(released(&c, 2, "g1"), 1, "{policy:?}");
        assert_eq!(c.owner_seen_by(2, "g1").as_deref(), Some("n1"));
    }
}

/// A stale belief (n2 thinks n3 runs g1, which n1 runs) is replaced by the
/// holders' own announcements, without moving anything.
#[test]
fn stale_belief_is_refreshed_by_announcements() {
    for policy in [AutoFailback::Legacy, AutoFailback::On, AutoFailback::Off] {
        let mut c = Cluster::new(3, policy);
        c.start_all(&[1, 2, 3]);
        c.advance(SETTLE);
        c.assert_owner("g1", 1);
        let r2 = c.rs.get_mut(&n(2)).unwrap();
        let g1 = r2.index("g1").unwrap();
        r2.groups[g1].owner = Some(n(3));
        c.advance(timers().announce_max * 2);
        assert_eq!(
            c.owner_seen_by(2, "g1").as_deref(),
            Some("n1"),
            "{policy:?}"
        );
        c.assert_owner("g1", 1);
        assert_eq!(c.starts["g1"], 1, "{policy:?}: nothing moved");
    }
}

/// "Each believes the other owns it": nobody runs g3 (its preferred node is
/// gone) but n1 believes n2 holds it and n2 believes n1 does. Their own
/// announcements say otherwise; the rightful node (n1) takes it.
#[test]
fn group_believed_held_by_each_other_is_taken_by_the_rightful_node() {
    for policy in [AutoFailback::Legacy, AutoFailback::On, AutoFailback::Off] {
        let mut c = Cluster::new(3, policy);
        c.start_all(&[1, 2, 3]);
        c.advance(SETTLE);
        c.kill(3);
        c.assert_owner("g3", 1);
        // Make g3 unheld behind everyone's back, with crossed beliefs.
        let r1 = c.rs.get_mut(&n(1)).unwrap();
        let g3 = r1.index("g3").unwrap();
        r1.groups[g3].force(Lifecycle::Stopped);
        r1.groups[g3].owner = Some(n(2));
        c.active.get_mut("g3").unwrap().remove(&n(1));
        c.rs.get_mut(&n(2)).unwrap().groups[g3].owner = Some(n(1));
        c.advance(timers().announce_max * 2);
        c.assert_owner("g3", 1);
    }
}

/// An announcement about another group list (digest) changes nothing.
#[test]
fn announcement_of_another_group_list_is_ignored() {
    let mut c = Cluster::new(2, AutoFailback::Legacy);
    c.start_all(&[1, 2]);
    c.assert_owner("g1", 1);
    let now = c.now;
    let forged = Message::Ownership(Ownership {
        serial: 1_000,
        groups_digest: 0x1234_5678,
        first: 0,
        holds: vec![GroupHold::Unmanaged, GroupHold::Unmanaged],
        faults: Vec::new(),
    });
    c.rs.get_mut(&n(1)).unwrap().on_message(now, &n(2), &forged);
    c.run();
    c.assert_owner("g1", 1);
    assert_eq!(released(&c, 1, "g1"), 0);
}
