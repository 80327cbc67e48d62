//! Split brain on real processes: quorum in namespaces (root only, skipped
//! with a printed reason otherwise), STONITH through cluster-glue's
//! `stonith(8)`, a fence agent, and the watchdog stand-in.
//!
//! The lab's "power switch" (`Lab::power_off_script`) kills every process of
//! a node and records it in `actions.log`, so [`Lab::running`] knows where a
//! group runs at every instant; the tests check that it never runs on two
//! nodes at once.

use std::time::{Duration, Instant};

use heartbeat_lab::{ActionRecord, Lab, LabSpec, MediumKind, Topology};

const PATIENCE: Duration = Duration::from_secs(40);

/// Where each group ran at every recorded instant: panics if a group ever
/// ran on two nodes at once.
fn assert_never_twice(actions: &[ActionRecord], group: &str) {
    let mut running: Vec<&str> = Vec::new();
    for a in actions {
        match a.verb.as_str() {
            "killed" => running.retain(|n| *n != a.node),
            _ if a.group != group => {}
            "start" => {
                assert!(
                    running.is_empty() || running == [a.node.as_str()],
                    "{group} started on {} while running on {running:?}: {actions:#?}",
                    a.node
                );
                if !running.contains(&a.node.as_str()) {
                    running.push(&a.node);
                }
            }
            "stop" => running.retain(|n| *n != a.node),
            _ => {}
        }
    }
}

/// A lab of `nodes` heartbeatd nodes in namespaces on one link, `web` on
/// node1, `auto_failback off`; `None` (skipped) unless root.
fn netns_lab(nodes: usize, adjust: impl FnOnce(&mut LabSpec)) -> Option<Lab> {
    if !nix::unistd::geteuid().is_root() {
        println!("skipped: network namespaces need root");
        return None;
    }
    let mut spec = LabSpec::new(nodes, 100, 1000);
    spec.topology = Topology::Namespaces {
        links: 1,
        medium: MediumKind::Bcast,
    };
    spec.auto_failback = "off".into();
    adjust(&mut spec);
    let mut lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    lab.start_all().expect("start");
    Some(lab)
}

/// Quorum alone: the minority stops at its deadtime, the majority starts at
/// its own, so the two may overlap by the length of the stop (the README's
/// table says so); the watchdog variant below closes that gap.
#[test]
fn three_nodes_an_isolated_owner_stops_and_one_other_node_takes_over() {
    let Some(mut lab) = netns_lab(3, |_| {}) else {
        return;
    };
    assert!(lab
        .wait_for(PATIENCE, |l| l.all_active().then_some(()))
        .is_some());
    lab.expect_running_only_on("web", 0, PATIENCE);
    lab.set_link(0, 0, false).expect("cut node1");
    let taker = lab
        .wait_for(PATIENCE, |l| {
            let running = l.running("web");
            (running.len() == 1 && running[0] != "node1").then(|| running[0].clone())
        })
        .expect("one node of the majority takes web");
    let quorum = lab
        .status(0)
        .expect("status of node1")
        .safety
        .quorum
        .expect("quorum is on with 3 nodes");
    assert_eq!((quorum.quorate, quorum.votes, quorum.needed), (false, 1, 2));
    let before_heal = lab.actions().len();
    lab.set_link(0, 0, true).expect("heal");
    assert!(lab
        .wait_for(PATIENCE, |l| l.all_active().then_some(()))
        .is_some());
    // Settled: two more deadtimes without any action.
    let quiet_since = Instant::now();
    let mut count = lab.actions().len();
    lab.wait_for(PATIENCE, |l| {
        let now = l.actions().len();
        if now != count {
            count = now;
            return None;
        }
        (quiet_since.elapsed() > Duration::from_secs(2)).then_some(())
    });
    let actions = lab.actions();
    assert_eq!(
        actions.len(),
        before_heal,
        "nothing restarts after the heal: {:#?}",
        &actions[before_heal..]
    );
    assert_eq!(lab.running("web"), [taker]);
    assert!(
        actions
            .iter()
            .any(|a| a.node == "node1" && a.verb == "stop"),
        "the minority stopped web: {actions:#?}"
    );
    let starts = actions
        .iter()
        .filter(|a| a.verb == "start" && a.node != "node1")
        .count();
    assert_eq!(
        starts, 1,
        "exactly one other node started web: {actions:#?}"
    );
}
