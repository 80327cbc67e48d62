//! Real heartbeatd processes with a tracked `process` check: killing the
//! watched process on the owner moves the group to the healthy peer, never
//! running it on both.

use std::process::{Child, Command};
use std::time::Duration;

use heartbeat_core::control::StatusView;
use heartbeatd::daemon::state_files::state_file;
use heartbeatd::lab::{node_name, unix_now_ns, Lab, LabSpec};

const KEEPALIVE_MS: u64 = 100;
const DEADTIME_MS: u64 = 1000;
const INTERVAL_MS: u64 = 200;
const FALL: u64 = 2;
const PATIENCE: Duration = Duration::from_secs(30);

/// A copy of `sleep` named `watch-nodeN`, so each node's check sees only its own.
fn watched(lab: &Lab, i: usize) -> Child {
    let path = lab.root().join(format!("watch-{}", node_name(i)));
    std::fs::copy("/bin/sleep", &path).expect("copy sleep");
    Command::new(&path)
        .arg("600")
        .spawn()
        .expect("spawn watched")
}

#[test]
fn failing_process_check_hands_the_group_to_the_healthy_peer() {
    let mut spec = LabSpec::new(2, KEEPALIVE_MS, DEADTIME_MS);
    spec.auto_failback = "off".into();
    spec.extra_ha_cf = vec![
        format!("check svc process watch-{{node}} interval {INTERVAL_MS}ms fall {FALL} rise 2"),
        "track lab-logger::web svc".into(),
    ];
    let mut lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    let mut w1 = watched(&lab, 0);
    let mut w2 = watched(&lab, 1);
    lab.start_all().expect("start");
    let up = lab.wait_for(PATIENCE, |l| {
        (0..2)
            .all(|i| {
                l.status(i)
                    .is_ok_and(|s: StatusView| s.nodes.iter().all(|n| n.status == "active"))
            })
            .then_some(())
    });
    assert!(up.is_some());
    assert!(lab
        .wait_for(PATIENCE, |l| (l.running("web") == [node_name(0)])
            .then_some(()))
        .is_some());
    // Let the peers exchange announcements.
    std::thread::sleep(Duration::from_millis(500));

    let killed_at = unix_now_ns();
    w1.kill().expect("kill watched");
    let _ = w1.wait();
    let started = lab
        .wait_for(PATIENCE, |l| {
            l.actions()
                .into_iter()
                .find(|a| a.node == "node2" && a.verb == "start")
        })
        .expect("node2 starts web after node1's check failed");
    let took = Duration::from_nanos((started.unix_ns - killed_at) as u64);
    // Detection: fall runs, plus up to one interval of phase; then node1's
    // stop script, the hand-off and the handshake (a few keepalives).
    let bound = Duration::from_millis((FALL + 1) * INTERVAL_MS + KEEPALIVE_MS + 1500);
    eprintln!("handover took {took:?} (bound {bound:?})");
    assert!(took <= bound, "took {took:?}, bound {bound:?}");
    let actions = lab.actions();
    let stopped = actions
        .iter()
        .find(|a| a.node == "node1" && a.verb == "stop")
        .expect("node1 stopped web");
    assert!(
        stopped.unix_ns <= started.unix_ns,
        "never on both: {actions:?}"
    );
    assert!(lab
        .wait_for(PATIENCE, |l| (l.running("web") == [node_name(1)])
            .then_some(()))
        .is_some());
    // rcron-style state files follow the move.
    let state = |l: &Lab, i: usize| {
        let dir = l.control_socket(i).parent().unwrap().to_path_buf();
        std::fs::read_to_string(state_file(&dir, "lab-logger::web")).unwrap_or_default()
    };
    let moved = lab.wait_for(PATIENCE, |l| {
        (state(l, 0) == "passive\n" && state(l, 1) == "active\n").then_some(())
    });
    assert!(moved.is_some(), "{:?} {:?}", state(&lab, 0), state(&lab, 1));
    let log = std::fs::read_to_string(lab.log_path(0)).unwrap_or_default();
    assert!(log.contains("health check svc fails"), "{log}");
    let _ = w2.kill();
    let _ = w2.wait();
}
