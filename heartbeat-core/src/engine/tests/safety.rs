//! Split-brain safety wired into the engine: quorum, fencing, watchdog.

use super::*;
use crate::config::{AutoFailback, StonithDevice, StonithHost, StonithParams};
use crate::engine::watchdog_margin;

/// One group `ip1` preferred on `a`; `auto_failback off` (nothing moves
/// back after a heal).
fn group_on_a(cfg: &mut Config) {
    with_group(cfg);
    cfg.auto_failback = AutoFailback::Off;
}

fn quorum(cfg: &mut Config) {
    group_on_a(cfg);
    cfg.safety.quorum = true;
}

fn stonith(cfg: &mut Config) {
    group_on_a(cfg);
    cfg.safety.stonith = vec![StonithDevice {
        host: StonithHost::Any,
        kind: "external/test".into(),
        params: StonithParams::Positional(vec![]),
        origin: "ha.cf:1".into(),
    }];
    cfg.safety.fence_delay = 300 * MS;
}

fn released(net: &Net, i: usize) -> Vec<Instant> {
    net.find(
        i,
        |e| matches!(e, Event::GroupReleased { group } if group == "ip1"),
    )
    .into_iter()
    .map(|(t, _)| t)
    .collect()
}

fn quorate_events(net: &Net, i: usize) -> Vec<bool> {
    net.find(i, |e| matches!(e, Event::Quorum { .. }))
        .into_iter()
        .map(|(_, e)| matches!(e, Event::Quorum { quorate: true, .. }))
        .collect()
}

fn answer_fence(net: &mut Net, i: usize, target: &str, ok: bool) {
    net.command(
        i,
        Command::FenceFinished {
            target: target.into(),
            ok,
            method: "test".into(),
        },
    );
}

#[test]
fn an_isolated_owner_stops_and_exactly_one_of_the_majority_takes_over() {
    let mut net = Net::with(&["a", "b", "c"], quorum);
    net.run_for(3000 * MS);
    assert_eq!(acquired(&net, 0).len(), 1);
    assert_eq!(quorate_events(&net, 0), vec![true]);
    net.clear_events();
    net.filter = Some(Box::new(|from, to, _, _| (from == 0) != (to == 0)));
    net.run_for(3000 * MS);
    assert_eq!(released(&net, 0).len(), 1, "the minority stops its group");
    assert_eq!(quorate_events(&net, 0), vec![false]);
    let takers = acquired(&net, 1).len() + acquired(&net, 2).len();
    assert_eq!(takers, 1, "exactly one node of the majority takes over");
    net.clear_events();
    net.filter = None;
    net.run_for(3000 * MS);
    assert_eq!(quorate_events(&net, 0), vec![true], "rejoins");
    for i in 0..3 {
        assert!(acquired(&net, i).is_empty(), "nothing restarts on node {i}");
        assert!(released(&net, i).is_empty(), "nothing stops on node {i}");
    }
}

#[test]
fn a_node_nobody_hears_loses_quorum_although_it_hears_everyone() {
    let mut net = Net::with(&["a", "b", "c"], quorum);
    net.run_for(3000 * MS);
    assert_eq!(acquired(&net, 0).len(), 1);
    net.clear_events();
    // a hears b and c; nobody hears a.
    net.filter = Some(Box::new(|from, to, _, _| from == 0 && to != 0));
    net.run_for(3000 * MS);
    assert_eq!(quorate_events(&net, 0), vec![false]);
    assert_eq!(released(&net, 0).len(), 1);
    assert_eq!(acquired(&net, 1).len() + acquired(&net, 2).len(), 1);
}

#[test]
fn a_cold_start_waits_for_a_majority() {
    let mut net = Net::with(&["a", "b", "c"], quorum);
    net.crash(1);
    net.crash(2);
    net.run_for(5000 * MS);
    assert!(acquired(&net, 0).is_empty(), "alone: 1 of 3 votes");
    let status = net.engine(0).status();
    let q = status.safety.quorum.expect("quorum on");
    assert_eq!((q.quorate, q.votes, q.needed), (false, 1, 2));
    net.restart_with(1, 200, quorum);
    net.run_for(3000 * MS);
    assert_eq!(acquired(&net, 0).len(), 1, "a majority was seen");
}

#[test]
fn quorum_off_keeps_todays_behaviour() {
    let mut net = Net::with(&["a", "b", "c"], group_on_a);
    net.run_for(3000 * MS);
    net.filter = Some(Box::new(|from, to, _, _| (from == 0) != (to == 0)));
    net.run_for(3000 * MS);
    assert!(released(&net, 0).is_empty(), "no quorum rule: a keeps it");
    assert_eq!(acquired(&net, 1).len() + acquired(&net, 2).len(), 1);
    assert!(net.engine(0).status().safety.quorum.is_none());
}

#[test]
fn a_dead_owner_is_reset_before_its_group_starts_elsewhere() {
    let mut net = Net::with(&["a", "b"], stonith);
    net.run_for(3000 * MS);
    assert_eq!(acquired(&net, 0).len(), 1);
    let crash = net.now;
    net.crash(0);
    net.run_for(3000 * MS);
    let requests = net.fences[1].clone();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let (asked_at, request) = &requests[0];
    assert_eq!(request.target, "a");
    assert_eq!(request.attempt, 1);
    assert!(
        *asked_at >= crash + 1000 * MS + 300 * MS,
        "b holds nothing: it waits the fence delay"
    );
    assert!(acquired(&net, 1).is_empty(), "no start before the reset");
    let held = net.find(1, |e| matches!(e, Event::TakeoverHeld { .. }));
    assert_eq!(held.len(), 1);
    answer_fence(&mut net, 1, "a", true);
    net.run_for(500 * MS);
    assert_eq!(acquired(&net, 1).len(), 1);
    let history = net.engine(1).status().safety.history;
    assert_eq!(history.len(), 1);
    assert!(history[0].ok && history[0].target == "a" && history[0].by == "b");
}

#[test]
fn a_failed_reset_is_retried_and_an_operator_can_confirm_the_node_down() {
    let mut net = Net::with(&["a", "b"], stonith);
    net.run_for(3000 * MS);
    net.crash(0);
    net.run_for(3000 * MS);
    assert_eq!(net.fences[1].len(), 1);
    answer_fence(&mut net, 1, "a", false);
    let failed = net.find(1, |e| matches!(e, Event::FenceFailed { .. }));
    assert!(matches!(
        &failed[0].1,
        Event::FenceFailed { attempt: 1, retry_in, .. } if *retry_in == 1000 * MS
    ));
    net.run_for(1500 * MS);
    assert_eq!(net.fences[1].len(), 2);
    assert_eq!(net.fences[1][1].1.attempt, 2);
    assert!(net.fences[1][1].0 >= failed[0].0 + 1000 * MS);
    answer_fence(&mut net, 1, "a", false);
    net.run_for(5000 * MS);
    assert!(
        acquired(&net, 1).is_empty(),
        "stays stopped while resets fail"
    );
    net.command(1, Command::ConfirmDown { node: "a".into() });
    net.run_for(500 * MS);
    assert_eq!(acquired(&net, 1).len(), 1);
    assert!(net.engine(1).status().safety.awaiting_fence.is_empty());
}

#[test]
fn in_a_cut_between_two_live_nodes_the_owner_fences_first() {
    let mut net = Net::with(&["a", "b"], stonith);
    net.run_for(3000 * MS);
    assert_eq!(acquired(&net, 0).len(), 1);
    net.filter = Some(Box::new(|from, to, _, _| from != to));
    net.run_for(3000 * MS);
    let (a_at, a_req) = net.fences[0][0].clone();
    let (b_at, b_req) = net.fences[1][0].clone();
    assert_eq!((a_req.target.as_str(), b_req.target.as_str()), ("b", "a"));
    assert!(b_at >= a_at + 300 * MS, "the node without groups waits");
    assert!(released(&net, 0).is_empty(), "the owner keeps its group");
}

#[test]
fn exactly_one_survivor_fences_and_tells_the_others() {
    let mut net = Net::with(&["a", "b", "c"], |cfg| {
        stonith(cfg);
        cfg.safety.quorum = true;
        cfg.groups[0].preferred_node = "c".into();
    });
    net.run_for(3000 * MS);
    assert_eq!(acquired(&net, 2).len(), 1);
    net.crash(2);
    net.run_for(3000 * MS);
    assert_eq!(net.fences[0].len(), 1, "a is the first node that can fence");
    assert!(net.fences[1].is_empty(), "b leaves it to a");
    assert!(acquired(&net, 0).is_empty() && acquired(&net, 1).is_empty());
    answer_fence(&mut net, 0, "c", true);
    net.run_for(1000 * MS);
    assert_eq!(acquired(&net, 0).len() + acquired(&net, 1).len(), 1);
    let told = net.find(
        1,
        |e| matches!(e, Event::FenceSucceeded { target, by, .. } if target == "c" && by == "a"),
    );
    assert_eq!(told.len(), 1, "b learned of the reset from a");
}

#[test]
fn a_departed_node_is_not_fenced() {
    let mut net = Net::with(&["a", "b"], stonith);
    net.run_for(3000 * MS);
    net.command(0, Command::Shutdown);
    net.run_for(3000 * MS);
    assert!(net.fences[1].is_empty());
    assert_eq!(acquired(&net, 1).len(), 1);
}

#[test]
fn the_watchdog_is_petted_every_keepalive_and_peers_wait_for_it() {
    let mut net = Net::with(&["a", "b", "c"], |cfg| {
        quorum(cfg);
        cfg.safety.watchdog = Some("/dev/null".into());
    });
    net.run_for(3000 * MS);
    let pets = &net.pets[0];
    assert!(pets.len() >= 25, "about one per keepalive: {}", pets.len());
    for w in pets.windows(2).skip(1) {
        assert!(w[1] - w[0] <= 110 * MS, "{:?}", w[1] - w[0]);
    }
    let crash = net.now;
    net.crash(0);
    net.run_for(6000 * MS);
    let taken: Vec<Instant> = [acquired(&net, 1), acquired(&net, 2)].concat();
    assert_eq!(taken.len(), 1);
    let wait = crate::config::Safety::watchdog_timeout(1000 * MS) + watchdog_margin(100 * MS);
    assert!(
        taken[0] >= crash + 1000 * MS + wait,
        "deadtime + watchdog timeout + margin: {:?}",
        taken[0] - crash
    );
}

#[test]
fn a_node_without_quorum_stops_petting_while_its_stop_runs() {
    let mut net = Net::with(&["a", "b", "c"], |cfg| {
        quorum(cfg);
        cfg.safety.watchdog = Some("/dev/null".into());
    });
    net.run_for(3000 * MS);
    assert_eq!(acquired(&net, 0).len(), 1);
    net.clear_events();
    net.hold_actions[0] = true;
    net.filter = Some(Box::new(|from, to, _, _| (from == 0) != (to == 0)));
    net.run_for(2000 * MS);
    let stop = net.held[0].pop().expect("a stops its group");
    assert_eq!(stop.kind, crate::engine::ActionKind::Stop);
    let withheld = net.find(0, |e| {
        matches!(e, Event::WatchdogPetting { petting: false, reason } if reason.contains("quorum"))
    });
    assert_eq!(withheld.len(), 1);
    let pets_while_stopping = net.pets[0].iter().filter(|t| **t > withheld[0].0).count();
    assert_eq!(pets_while_stopping, 0, "no pet while the stop runs");
    let stopped_at = net.now;
    net.command(
        0,
        Command::ActionFinished {
            group: stop.group,
            kind: stop.kind,
            ok: true,
        },
    );
    net.run_for(500 * MS);
    assert!(
        net.pets[0].iter().any(|t| *t > stopped_at),
        "petted again once nothing runs"
    );
}

#[test]
fn a_stop_that_runs_longer_than_the_watchdog_timeout_stops_petting() {
    let mut net = Net::with(&["a", "b"], |cfg| {
        group_on_a(cfg);
        cfg.safety.watchdog = Some("/dev/null".into());
    });
    net.run_for(3000 * MS);
    net.hold_actions[0] = true;
    net.command(0, Command::Shutdown);
    net.run_for(900 * MS);
    let before = net.pets[0].len();
    assert!(net
        .find(0, |e| matches!(e, Event::WatchdogPetting { .. }))
        .is_empty());
    net.run_for(300 * MS);
    let stuck = net.find(0, |e| {
        matches!(e, Event::WatchdogPetting { petting: false, reason } if reason.contains("stop"))
    });
    assert_eq!(stuck.len(), 1, "the 1 s watchdog timeout passed");
    let after = net.pets[0].iter().filter(|t| **t > stuck[0].0).count();
    assert_eq!(after, 0);
    assert!(before > 0);
}

#[test]
fn a_heal_right_after_the_takeover_moves_nothing_back() {
    let mut net = Net::with(&["a", "b", "c"], quorum);
    net.run_for(3000 * MS);
    net.clear_events();
    net.filter = Some(Box::new(|from, to, _, _| (from == 0) != (to == 0)));
    while acquired(&net, 1).is_empty() && acquired(&net, 2).is_empty() {
        net.run_for(MS);
        assert!(net.now < net.t0 + 10_000 * MS, "nobody took over");
    }
    net.filter = None;
    net.clear_events();
    net.run_for(3000 * MS);
    for i in 0..3 {
        assert!(
            acquired(&net, i).is_empty(),
            "node {i} started: {:?}",
            net.events[i]
        );
    }
}
