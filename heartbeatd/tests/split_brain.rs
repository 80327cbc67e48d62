//! Split brain on real processes: quorum in namespaces (root only, skipped
//! with a printed reason otherwise), STONITH through cluster-glue's
//! `stonith(8)`, a fence agent, and the watchdog stand-in.
//!
//! The lab's "power switch" (`Lab::power_off_script`) kills every process of
//! a node and records it in `actions.log`, so [`Lab::running`] knows where a
//! group runs at every instant; the tests check that it never runs on two
//! nodes at once.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use heartbeat_lab::{
    killed_at, node_name, ActionRecord, Lab, LabSpec, MediumKind, StonithPlugin, Topology,
};

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

/// A fenced lab: `nodes` heartbeatd nodes (keepalive 100 ms, deadtime 1 s,
/// initdead 5 s so that nobody is reset at start-up), `web` on node1,
/// `auto_failback off`, the lines `fencing` in `ha.cf`, the lab's power
/// switch and fence agent written before the start. `None` (skipped)
/// unless root.
fn fenced_lab(nodes: usize, topology: Topology, fencing: &[String]) -> Option<Lab> {
    if !nix::unistd::geteuid().is_root() {
        println!("skipped: the STONITH plugin directory and namespaces need root");
        return None;
    }
    let mut spec = LabSpec::new(nodes, 100, 1000);
    spec.topology = topology;
    spec.initdead_ms = 5000;
    spec.auto_failback = "off".into();
    spec.extra_ha_cf = fencing.to_vec();
    let mut lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    lab.power_off_script().expect("power switch");
    lab.fence_agent_script().expect("fence agent");
    lab.start_all().expect("start");
    assert!(lab
        .wait_for(PATIENCE, |l| l.all_active().then_some(()))
        .is_some());
    lab.expect_running_only_on("web", 0, PATIENCE);
    Some(lab)
}

/// A STONITH plugin around the lab's power switch for `nodes` nodes, with
/// its `stonith_host *` line (keep the plugin alive: it is removed on
/// drop); `None` (skipped) when it cannot be installed.
fn lab_stonith(nodes: usize) -> Option<(StonithPlugin, String)> {
    let plugin = StonithPlugin::install_or_skip(nodes)?;
    let line = plugin.stonith_host_line();
    Some((plugin, line))
}

/// Stops node1 (SIGSTOP: hung, its resources keep running) while the
/// device fails, checks that node2 keeps `web` stopped and retries, then
/// repairs the device and checks that node1 is reset before node2 starts.
fn a_hung_owner_is_reset_before_the_survivor_starts(lab: &mut Lab) {
    let fails = lab.root().join("fence-fails");
    std::fs::write(&fails, "").expect("break the device");
    lab.signal(0, Signal::SIGSTOP);
    let retried = lab.wait_for(PATIENCE, |l| {
        let view = l.status(1).ok()?;
        let waiting = view.safety.awaiting_fence.first()?.clone();
        (waiting.node == "node1" && waiting.failures >= 2).then_some(waiting)
    });
    assert!(
        retried.is_some(),
        "node2 retries the reset: {:?}",
        lab.status(1).map(|v| v.safety)
    );
    assert_eq!(lab.running("web"), ["node1"], "nothing started meanwhile");
    std::fs::remove_file(&fails).expect("repair the device");
    let taken = lab.wait_for(PATIENCE, |l| (l.running("web") == ["node2"]).then_some(()));
    let actions = lab.actions();
    assert!(taken.is_some(), "node2 takes web: {actions:#?}");
    let killed = killed_at(&actions, "node1").expect("node1 was powered off");
    let started = actions
        .iter()
        .find(|a| a.node == "node2" && a.verb == "start")
        .map(|a| a.unix_ns)
        .expect("node2 started web");
    assert!(killed < started, "reset first: {actions:#?}");
    assert_never_twice(&actions, "web");
    let history = lab.status(1).expect("status").safety.fence_history;
    let last = history.last().expect("a fence record");
    assert!(last.ok && last.target == "node1" && last.by == "node2");
    assert!(history.iter().filter(|r| !r.ok).count() >= 2, "{history:?}");
}

#[test]
fn two_nodes_a_hung_owner_is_reset_through_stonith_and_a_failing_plugin_is_retried() {
    let Some((_plugin, line)) = lab_stonith(2) else {
        return;
    };
    let fencing = [line, "fence_delay 200ms".to_owned()];
    let Some(mut lab) = fenced_lab(2, Topology::Loopback, &fencing) else {
        return;
    };
    a_hung_owner_is_reset_before_the_survivor_starts(&mut lab);
}

#[test]
fn two_nodes_a_hung_owner_is_reset_through_a_fence_agent() {
    let fencing: Vec<String> = (0..2)
        .map(|i| {
            format!(
                "fence_agent {} {{dir}}/../fence-agent fail_file={{dir}}/../fence-fails",
                node_name(i)
            )
        })
        .chain(["fence_delay 200ms".to_owned()])
        .collect();
    let Some(mut lab) = fenced_lab(2, Topology::Loopback, &fencing) else {
        return;
    };
    a_hung_owner_is_reset_before_the_survivor_starts(&mut lab);
}

#[test]
fn two_nodes_a_cut_link_with_fencing_on_both_sides_the_owner_wins() {
    let Some((_plugin, line)) = lab_stonith(2) else {
        return;
    };
    let fencing = [line, "fence_delay 3".to_owned()];
    let topology = Topology::Namespaces {
        links: 1,
        medium: MediumKind::Bcast,
    };
    let Some(mut lab) = fenced_lab(2, topology, &fencing) else {
        return;
    };
    lab.set_link(1, 0, false).expect("cut node2's link");
    let killed = lab.wait_for(PATIENCE, |l| killed_at(&l.actions(), "node2"));
    let actions = lab.actions();
    assert!(killed.is_some(), "node1 resets node2: {actions:#?}");
    assert!(killed_at(&actions, "node1").is_none(), "{actions:#?}");
    assert_eq!(lab.running("web"), ["node1"], "the service did not move");
    assert!(
        !actions
            .iter()
            .any(|a| a.node == "node2" && a.verb == "start"),
        "{actions:#?}"
    );
}

/// Bytes written to node `i`'s watchdog stand-in so far.
fn pets(lab: &Lab, i: usize) -> Vec<u8> {
    std::fs::read(lab.node_dir(i).join("watchdog")).unwrap_or_default()
}

/// Waits until node `i`'s watchdog stand-in has grown by `n` pets.
fn wait_pets(lab: &mut Lab, i: usize, n: usize) -> bool {
    let start = pets(lab, i).len();
    lab.wait_for(PATIENCE, |l| (pets(l, i).len() >= start + n).then_some(()))
        .is_some()
}

/// The watchdog stand-in (a regular file per node, `watchdog {dir}/watchdog`):
/// petted at the keepalive cadence, not while the daemon is stopped
/// (SIGSTOP), and closed with the magic `V` on SIGTERM.
#[test]
fn the_watchdog_is_petted_every_keepalive_not_while_hung_and_disarmed_on_sigterm() {
    let mut spec = LabSpec::new(2, 100, 1000);
    spec.extra_ha_cf = vec!["watchdog {dir}/watchdog".into()];
    let mut lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    for i in 0..2 {
        std::fs::write(lab.node_dir(i).join("watchdog"), b"").expect("stand-in");
    }
    lab.start_all().expect("start");
    assert!(lab
        .wait_for(PATIENCE, |l| l.all_active().then_some(()))
        .is_some());
    let started = Instant::now();
    let before = pets(&lab, 0).len();
    assert!(wait_pets(&mut lab, 0, 20), "node1 pets its watchdog");
    let rate = (pets(&lab, 0).len() - before) as f64 / started.elapsed().as_secs_f64();
    assert!(
        (3.0..=15.0).contains(&rate),
        "about 10 pets a second at keepalive 100 ms: {rate:.1}/s"
    );
    lab.signal(0, Signal::SIGSTOP);
    let pid = lab.pid(0).expect("node1 runs");
    let stopped = lab.wait_for(PATIENCE, |_| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let state = stat.rsplit(')').next()?.split_whitespace().next()?;
        (state == "T").then_some(())
    });
    assert!(stopped.is_some(), "node1 is stopped");
    let frozen = pets(&lab, 0).len();
    assert!(wait_pets(&mut lab, 1, 10), "node2 keeps petting");
    assert_eq!(pets(&lab, 0).len(), frozen, "no pet while hung");
    lab.signal(0, Signal::SIGCONT);
    assert!(wait_pets(&mut lab, 0, 5), "petted again once resumed");
    lab.terminate(0);
    assert_eq!(lab.wait_exit(0, PATIENCE), Some(0));
    let written = pets(&lab, 0);
    assert_eq!(written.last(), Some(&b'V'), "magic close");
    assert!(written[..written.len() - 1].iter().all(|b| *b != b'V'));
}

/// Three nodes with quorum and the watchdog stand-in; node1's stop takes
/// 2 s. Cut off, node1 loses quorum and stops `web`: it does not pet its
/// watchdog while that stop runs (a real device would reset it if the stop
/// outlasted the timeout), and pets again once nothing runs.
#[test]
fn without_quorum_the_watchdog_is_not_petted_while_a_stop_runs() {
    if !nix::unistd::geteuid().is_root() {
        println!("skipped: network namespaces need root");
        return;
    }
    let mut spec = LabSpec::new(3, 100, 1000);
    spec.topology = Topology::Namespaces {
        links: 1,
        medium: MediumKind::Bcast,
    };
    spec.auto_failback = "off".into();
    spec.extra_ha_cf = vec!["watchdog {dir}/watchdog".into()];
    let mut lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    for i in 0..3 {
        std::fs::write(lab.node_dir(i).join("watchdog"), b"").expect("stand-in");
    }
    let script = lab.node_dir(0).join("ha.d/resource.d/lab-logger");
    let body = std::fs::read_to_string(&script).expect("lab-logger");
    let slow = body.replacen('\n', "\n[ \"$2\" = stop ] && sleep 2\n", 1);
    heartbeat_lab::write_script(&script, &slow).expect("slow stop");
    lab.start_all().expect("start");
    assert!(lab
        .wait_for(PATIENCE, |l| l.all_active().then_some(()))
        .is_some());
    lab.expect_running_only_on("web", 0, PATIENCE);
    lab.set_link(0, 0, false).expect("cut node1");
    // Record when node1's stand-in grows until its stop is logged.
    let mut growth = vec![Instant::now()];
    let mut seen = pets(&lab, 0).len();
    let stopped = lab.wait_for(PATIENCE, |l| {
        let now = pets(l, 0).len();
        if now != seen {
            seen = now;
            growth.push(Instant::now());
        }
        l.actions()
            .iter()
            .any(|a| a.node == "node1" && a.verb == "stop")
            .then_some(())
    });
    assert!(stopped.is_some(), "node1 stops web");
    let longest = growth
        .windows(2)
        .map(|w| w[1] - w[0])
        .chain([growth.last().expect("start").elapsed()])
        .max()
        .expect("a gap");
    assert!(
        longest >= Duration::from_millis(1500),
        "no pet while the 2 s stop ran without quorum: longest gap {longest:?}"
    );
    assert!(wait_pets(&mut lab, 0, 5), "petted again once web stopped");
    let log = std::fs::read_to_string(lab.log_path(0)).unwrap_or_default();
    assert!(log.contains("Watchdog not petted"), "logged: {log}");
}
