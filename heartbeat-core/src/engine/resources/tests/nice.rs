//! `auto_failback on|off`: Starting / ResourceReport, standby, takeover.

use super::harness::SETTLE;
use super::harness::{n, secs, timers, Cluster};
use crate::config::AutoFailback;
use crate::wire::{Holdings, Message};

/// A cold start of the whole cluster: every peer reported and announced
/// that it holds nothing, so nobody waits for SETTLE.
#[test]
fn startup_together_settles_at_once_then_each_takes_its_own() {
    for policy in [AutoFailback::On, AutoFailback::Off] {
        let mut c = Cluster::new(2, policy);
        c.start_all(&[1, 2]);
        c.assert_owner("g1", 1);
        c.assert_owner("g2", 2);
        c.advance(SETTLE);
        c.assert_owner("g1", 1);
        c.assert_owner("g2", 2);
        c.advance(secs(60));
        assert_eq!(c.starts["g1"], 1);
        assert_eq!(c.starts["g2"], 1);
    }
}

/// n1 runs alone and holds everything; n2 joins later.
fn returning_node(policy: AutoFailback) -> Cluster {
    let mut c = Cluster::new(2, policy);
    c.boot(1);
    c.comm_up(1);
    c.assert_owner("g1", 1);
    c.assert_owner("g2", 1);
    c.boot(2);
    c.joined(1, 2);
    c.joined(2, 1);
    c.comm_up(2);
    c
}

#[test]
fn off_groups_stay_where_they_are() {
    let mut c = returning_node(AutoFailback::Off);
    c.advance(secs(60));
    c.assert_owner("g1", 1);
    c.assert_owner("g2", 1);
    assert_eq!(c.starts["g2"], 1);
    assert_eq!(c.owner_seen_by(2, "g2").as_deref(), Some("n1"));
    assert_eq!(c.rs[&n(2)].holdings(), Holdings::None);
    assert_eq!(c.rs[&n(1)].holdings(), Holdings::All);
}

#[test]
fn on_returning_preferred_node_gets_its_groups_back() {
    let mut c = returning_node(AutoFailback::On);
    c.assert_owner("g2", 2);
    c.assert_owner("g1", 1);
    assert_eq!(c.starts["g2"], 2);
    // The standby protocol was used: Me, Other, Done, Done.
    let phases: Vec<_> = c
        .sent
        .iter()
        .filter_map(|(f, _, m)| match m {
            Message::AskResources { phase, .. } => Some((f.clone(), *phase)),
            _ => None,
        })
        .collect();
    use crate::wire::StandbyPhase::*;
    assert_eq!(
        phases,
        vec![(n(1), Me), (n(2), Other), (n(1), Done), (n(2), Done)]
    );
    c.advance(secs(3600));
    assert_eq!(c.starts["g2"], 2, "no further moves");
    assert_eq!(c.rs[&n(1)].protocol_timeout(), None);
    assert_eq!(c.rs[&n(2)].protocol_timeout(), None);
}

#[test]
fn standby_then_takeover() {
    let mut c = Cluster::new(2, AutoFailback::Off);
    c.start_all(&[1, 2]);
    c.advance(SETTLE);
    c.standby(1, Holdings::All);
    c.assert_owner("g1", 2);
    c.assert_owner("g2", 2);
    c.takeover(1, Holdings::Local);
    c.assert_owner("g1", 1);
    c.assert_owner("g2", 2);
    // `failback` = foreign: n2 gives g1 back... it holds none foreign now.
    c.standby(2, Holdings::Foreign);
    c.assert_owner("g1", 1);
    assert_eq!(c.starts["g1"], 3);
}

#[test]
fn standby_ignored_in_legacy_mode() {
    let mut c = Cluster::new(2, AutoFailback::Legacy);
    c.start_all(&[1, 2]);
    c.standby(1, Holdings::All);
    c.takeover(2, Holdings::All);
    c.assert_owner("g1", 1);
    c.assert_owner("g2", 2);
}

#[test]
fn standby_without_reply_is_cancelled() {
    let mut c = Cluster::new(2, AutoFailback::Off);
    c.start_all(&[1, 2]);
    c.advance(SETTLE);
    c.drop_when(|_, _, m| matches!(m, Message::AskResources { .. }));
    c.standby(1, Holdings::All);
    assert!(c.rs[&n(1)].protocol_timeout().is_some());
    c.advance(timers().standby_reply);
    assert_eq!(c.rs[&n(1)].protocol_timeout(), None);
    c.assert_owner("g1", 1);
    c.assert_owner("g2", 2);
}

/// Three nodes: n1 takes every group, then goes standby: each group goes to
/// its own rightful taker, one exchange after the other.
#[test]
fn takeover_and_standby_three_nodes() {
    let mut c = Cluster::new(3, AutoFailback::Off);
    c.start_all(&[1, 2, 3]);
    c.advance(SETTLE);
    c.takeover(1, Holdings::Foreign);
    for g in c.group_names() {
        c.assert_owner(&g, 1);
    }
    c.standby(1, Holdings::All);
    c.assert_owner("g1", 2);
    c.assert_owner("g2", 2);
    c.assert_owner("g3", 3);
    let me_count = c
        .sent
        .iter()
        .filter(|(_, _, m)| {
            matches!(
                m,
                Message::AskResources {
                    phase: crate::wire::StandbyPhase::Me,
                    ..
                }
            )
        })
        .count();
    assert_eq!(me_count, 2);
    for i in 1..=3 {
        assert_eq!(c.rs[&n(i)].protocol_timeout(), None, "n{i} idle");
    }
}

/// Without a report from every peer a starting node cannot know that nobody
/// holds anything: it waits for SETTLE.
#[test]
fn startup_without_peer_reports_waits_for_settle() {
    for policy in [AutoFailback::On, AutoFailback::Off] {
        let mut c = Cluster::new(2, policy);
        // n1 and n2 start together but every report of n2 is lost: n1 never
        // hears that nobody holds anything.
        c.drop_when(|from, _, m| from == "n2" && matches!(m, Message::ResourceReport { .. }));
        c.start_all(&[1, 2]);
        assert!(c.runners("g1").is_empty(), "{policy:?}: n1 settled early");
        c.advance(SETTLE);
        c.assert_owner("g1", 1);
    }
}

/// Only a stable node sends `Me`: the taker does not ignore it because the
/// giver's stable report has not arrived yet (delivery keeps no order;
/// here every report of n1 is lost).
#[test]
fn standby_me_counts_as_a_stable_report() {
    let mut c = Cluster::new(2, AutoFailback::Off);
    c.drop_when(|from, _, m| from == "n1" && matches!(m, Message::ResourceReport { .. }));
    c.start_all(&[1, 2]);
    c.advance(SETTLE);
    c.assert_owner("g1", 1);
    c.assert_owner("g2", 2);
    c.standby(1, Holdings::All);
    c.advance(secs(1));
    c.assert_owner("g1", 2);
    c.assert_owner("g2", 2);
}
