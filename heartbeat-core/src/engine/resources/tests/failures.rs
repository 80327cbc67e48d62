//! Failed starts and stops; one action at a time per group.

use super::harness::SETTLE;
use super::harness::{n, secs, Cluster};
use crate::config::AutoFailback;
use crate::engine::resources::LocalState;
use crate::engine::{ActionKind, Event};
use crate::wire::Message;

fn failed(c: &Cluster, node: usize, kind: ActionKind) -> usize {
    c.count_events(
        node,
        |e| matches!(e, Event::GroupFailed { kind: k, .. } if *k == kind),
    )
}

/// n1's start of g1 fails: it cleans up, hands g1 to n2, and never takes it again.
#[test]
fn failed_start_hands_the_group_over() {
    for policy in [AutoFailback::Legacy, AutoFailback::Off] {
        let mut c = Cluster::new(2, policy);
        c.fail_on(1, "g1", ActionKind::Start);
        c.start_all(&[1, 2]);
        c.advance(SETTLE);
        assert_eq!(failed(&c, 1, ActionKind::Start), 1);
        c.assert_owner("g1", 2);
        c.assert_owner("g2", 2);
        assert_eq!(c.state(1, "g1"), LocalState::Stopped);
        c.advance(secs(60));
        assert_eq!(c.starts["g1"], 2, "{policy:?}");
        // When n2 dies, n1 does not retry a group that failed on it...
        c.kill(2);
        assert!(c.runners("g1").is_empty());
        assert_eq!(c.state(1, "g2"), LocalState::Running);
        // ...until the operator asks for it (nice_failback modes).
        if policy != AutoFailback::Legacy {
            c.fail.clear();
            c.takeover(1, crate::wire::Holdings::Local);
            c.assert_owner("g1", 1);
        }
    }
}

#[test]
fn failed_start_alone_leaves_the_group_down() {
    let mut c = Cluster::new(2, AutoFailback::Legacy);
    c.fail_on(1, "g1", ActionKind::Start);
    c.boot(1);
    c.comm_up(1);
    assert_eq!(failed(&c, 1, ActionKind::Start), 1);
    assert!(c.runners("g1").is_empty());
    c.assert_owner("g2", 1);
    c.advance(secs(60));
    assert_eq!(c.starts["g1"], 1);
}

/// n1 holds g2 (legacy); n2 joins and asks for it; n1's stop fails.
fn n1_fails_to_stop_g2() -> Cluster {
    let mut c = Cluster::new(2, AutoFailback::Legacy);
    c.fail_on(1, "g2", ActionKind::Stop);
    c.boot(1);
    c.comm_up(1);
    c.boot(2);
    c.joined(1, 2);
    c.joined(2, 1);
    c.comm_up(2);
    c
}

/// n1 holds g2; n2 asks for it; n1's stop fails. n2 must never start g2 while
/// n1 is alive, and n1's shutdown does not announce completion.
#[test]
fn failed_stop_keeps_the_group_unmanaged() {
    let mut c = n1_fails_to_stop_g2();
    assert_eq!(failed(&c, 1, ActionKind::Stop), 1);
    assert_eq!(c.state(1, "g2"), LocalState::Failed);
    assert_eq!(c.runners("g2"), vec![n(1)]);
    assert_eq!(c.owner_seen_by(2, "g2").as_deref(), Some("n1"));
    c.advance(secs(60));
    assert_eq!(c.runners("g2"), vec![n(1)]);
    assert_eq!(c.rs[&n(2)].protocol_timeout(), None, "n2 gave up asking");
    c.shutdown(1);
    assert_eq!(c.count_events(1, |e| *e == Event::ShutdownComplete), 0);
    assert!(c.runners("g1").is_empty());
    assert!(!c.sent.iter().any(|(_, _, m)| *m == Message::Shutdone));
    // The shutdown tried g2's stop once more, then ended saying so.
    assert_eq!(failed(&c, 1, ActionKind::Stop), 2);
    let incomplete = Event::ShutdownIncomplete {
        left_behind: vec!["g2".into()],
    };
    assert_eq!(c.count_events(1, |e| *e == incomplete), 1);
}

/// A group left unmanaged by a failed stop is stopped once more at
/// shutdown; when that stop succeeds the shutdown completes as usual.
#[test]
fn shutdown_retries_the_stop_of_a_failed_group() {
    let mut c = n1_fails_to_stop_g2();
    assert_eq!(c.state(1, "g2"), LocalState::Failed);
    c.fail.clear();
    c.shutdown(1);
    assert_eq!(c.state(1, "g2"), LocalState::Stopped);
    assert!(!c.runners("g2").contains(&n(1)));
    assert_eq!(c.count_events(1, |e| *e == Event::ShutdownComplete), 1);
    assert_eq!(
        c.count_events(1, |e| matches!(e, Event::ShutdownIncomplete { .. })),
        0
    );
}

/// An IpRequest arriving while the start is in flight: the stop is queued and
/// issued only after the start finished; the answer follows the stop.
#[test]
fn one_action_at_a_time() {
    let mut c = Cluster::new(2, AutoFailback::Legacy);
    c.hold = true;
    c.boot(1);
    c.comm_up(1);
    assert_eq!(c.pending.len(), 2);
    c.boot(2);
    c.joined(1, 2);
    c.joined(2, 1);
    c.comm_up(2);
    assert_eq!(c.pending.len(), 2, "n1 still starting both");
    c.finish_held(1, "g2", true);
    assert_eq!(c.state(1, "g2"), LocalState::Stopping);
    assert_eq!(c.pending.len(), 2);
    c.finish_held(1, "g2", true);
    assert_eq!(c.state(2, "g2"), LocalState::Starting);
    c.finish_held(2, "g2", true);
    c.finish_held(1, "g1", true);
    c.assert_owner("g1", 1);
    c.assert_owner("g2", 2);
}
