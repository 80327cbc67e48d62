//! Real heartbeatd processes on loopback: failover after kill -9, handover
//! on SIGTERM, restart and failback, three nodes, a wrong key.

use std::time::Duration;

use heartbeat_lab::{node_name, unix_now_ns, Lab, LabSpec};

const KEEPALIVE_MS: u64 = 100;
const DEADTIME_MS: u64 = 1000;
const PATIENCE: Duration = Duration::from_secs(30);

fn lab(spec: LabSpec) -> Lab {
    let mut lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    lab.start_all().expect("start");
    lab
}

#[test]
fn kill9_of_the_owner_moves_the_group_and_restart_fails_it_back() {
    let mut lab = lab(LabSpec::new(2, KEEPALIVE_MS, DEADTIME_MS));
    assert!(lab
        .wait_for(PATIENCE, |l| l.all_active().then_some(()))
        .is_some());
    lab.expect_running_only_on("web", 0, PATIENCE);
    let generation = lab.status(0).unwrap().generation;

    let killed_at = unix_now_ns();
    lab.kill9(0);
    let started = lab
        .wait_for(PATIENCE, |l| {
            l.actions()
                .into_iter()
                .find(|a| a.node == "node2" && a.verb == "start")
        })
        .expect("node2 starts web after node1 died");
    let took = Duration::from_nanos((started.unix_ns - killed_at) as u64);
    assert!(
        took >= Duration::from_millis(DEADTIME_MS / 2),
        "took {took:?}: too early to be a death"
    );
    assert_eq!(lab.running("web"), ["node2"]);

    lab.start(0).unwrap();
    lab.expect_running_only_on("web", 0, PATIENCE);
    let status = lab.status(0).unwrap();
    assert!(
        status.generation > generation,
        "a restart has a new generation"
    );
    let seen_by_peer = lab.status(1).unwrap();
    assert_eq!(
        seen_by_peer.node("node1").unwrap().generation,
        Some(status.generation)
    );
}

#[test]
fn sigterm_hands_the_group_over_before_deadtime() {
    // A long deadtime makes the point: the peer cannot be waiting for it.
    let mut lab = lab(LabSpec::new(2, 200, 8000));
    assert!(lab
        .wait_for(PATIENCE, |l| l.all_active().then_some(()))
        .is_some());
    lab.expect_running_only_on("web", 0, PATIENCE);

    let asked_at = unix_now_ns();
    lab.terminate(0);
    lab.expect_running_only_on("web", 1, PATIENCE);
    let start = lab
        .actions()
        .into_iter()
        .rfind(|a| a.node == "node2" && a.verb == "start")
        .unwrap();
    let took = Duration::from_nanos((start.unix_ns - asked_at) as u64);
    assert!(took < Duration::from_millis(8000), "handover took {took:?}");
    assert_eq!(lab.wait_exit(0, PATIENCE), Some(0), "graceful exit code");
    let order: Vec<_> = lab
        .actions()
        .into_iter()
        .map(|a| (a.node, a.verb))
        .collect();
    let stop = order
        .iter()
        .rposition(|(n, v)| n == "node1" && v == "stop")
        .unwrap();
    let takeover = order
        .iter()
        .rposition(|(n, v)| n == "node2" && v == "start")
        .unwrap();
    assert!(
        stop < takeover,
        "stopped before the peer started: {order:?}"
    );
}

#[test]
fn three_nodes_kill9_of_the_owner_exactly_one_survivor_takes_over() {
    let mut lab = lab(LabSpec::new(3, KEEPALIVE_MS, DEADTIME_MS));
    assert!(lab
        .wait_for(PATIENCE, |l| l.all_active().then_some(()))
        .is_some());
    lab.expect_running_only_on("web", 0, PATIENCE);
    lab.kill9(0);
    let taker = lab
        .wait_for(PATIENCE, |l| {
            let running = l.running("web");
            (running.len() == 1 && running[0] != "node1").then(|| running[0].clone())
        })
        .expect("a survivor takes web");
    std::thread::sleep(Duration::from_millis(3 * DEADTIME_MS));
    assert_eq!(
        lab.running("web"),
        std::slice::from_ref(&taker),
        "still exactly one owner"
    );
    let starts = lab
        .actions()
        .into_iter()
        .filter(|a| a.verb == "start" && a.node != "node1")
        .count();
    assert_eq!(
        starts,
        1,
        "no second survivor ever started it: {:?}",
        lab.actions()
    );
}

#[test]
fn a_node_with_the_wrong_key_is_rejected_and_counted() {
    let mut spec = LabSpec::new(2, KEEPALIVE_MS, DEADTIME_MS);
    spec.secrets[1] = "not-the-cluster-key".into();
    let mut lab = lab(spec);
    std::thread::sleep(Duration::from_millis(3 * DEADTIME_MS));
    for i in 0..2 {
        let status = lab.status(i).expect("both daemons answer");
        let peer = status.nodes.iter().find(|n| !n.local).unwrap();
        assert_ne!(peer.status, "active", "{}: {:?}", node_name(i), peer);
        assert_ne!(peer.status, "up", "{}: {:?}", node_name(i), peer);
        assert!(peer.links.iter().all(|l| l.packets == 0));
        let rejected: u64 = status.media.iter().map(|m| m.rejected).sum();
        assert!(rejected > 5, "{}: rejected {rejected}", node_name(i));
    }
    assert!(lab.is_running(0) && lab.is_running(1));
    let log = std::fs::read_to_string(lab.log_path(0)).unwrap();
    assert!(!log.contains("Link node2:lo up."), "{log}");
}

#[test]
fn keys_rotate_with_sighup_and_nobody_dies() {
    use nix::sys::signal::Signal::SIGHUP;
    let mut lab = lab(LabSpec::new(2, KEEPALIVE_MS, DEADTIME_MS));
    assert!(lab
        .wait_for(PATIENCE, |l| l.all_active().then_some(()))
        .is_some());
    lab.expect_running_only_on("web", 0, PATIENCE);
    let actions_before = lab.actions().len();
    let steps = [
        "auth 1\n1 sha256 lab-secret\n2 sha256 rotated-secret\n",
        "auth 2\n1 sha256 lab-secret\n2 sha256 rotated-secret\n",
        "auth 2\n2 sha256 rotated-secret\n",
    ];
    for step in steps {
        for i in 0..2 {
            lab.write_authkeys(i, step).unwrap();
            lab.signal(i, SIGHUP);
        }
        std::thread::sleep(Duration::from_millis(2 * DEADTIME_MS));
        assert!(lab.all_active(), "after {step:?}");
    }
    // A node on the old key only is now rejected.
    lab.write_authkeys(1, "auth 1\n1 sha256 lab-secret\n")
        .unwrap();
    lab.signal(1, SIGHUP);
    let parted = lab.wait_for(PATIENCE, |l| {
        let view = l.status(0).ok()?;
        (view.node("node2")?.status == "dead").then_some(())
    });
    assert!(parted.is_some(), "node2 on a retired key is dead to node1");
    // A directory that no longer validates is refused as a whole.
    let keys = lab.node_dir(0).join("ha.d/authkeys");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o644)).unwrap();
    lab.signal(0, SIGHUP);
    let refused = lab.wait_for(PATIENCE, |l| {
        let log = std::fs::read_to_string(l.log_path(0)).ok()?;
        log.contains("configuration refused").then_some(())
    });
    assert!(refused.is_some());
    assert!(lab.is_running(0));
    let log = std::fs::read_to_string(lab.log_path(0)).unwrap();
    assert!(
        log.contains("SIGHUP: authkeys re-read: 2 key(s), signing with index 2"),
        "{log}"
    );
    assert!(
        lab.actions()[actions_before..]
            .iter()
            .all(|a| a.node != "node1"),
        "node1 never stopped web during the rotation: {:?}",
        lab.actions()
    );
}
