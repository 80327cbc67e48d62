//! Golden tests against a real cluster: `cl_status` run against real
//! heartbeatd processes must print what Heartbeat 3.0.6's `cl_status`
//! printed for the same state (tests/golden/*.txt, in the format of the
//! reference capture; see tests/common for how heartbeatd is found).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{check_cases, cl_status, parse_golden, reference_lab, settle, udpport};
use heartbeatd::lab::node_name;

const HEALTHY: &str = include_str!("golden/healthy.txt");
const DEAD: &str = include_str!("golden/dead.txt");

fn assert_none(mismatches: Vec<String>) {
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn healthy_cluster_unknown_nodes_and_bad_arguments() {
    let mut lab = reference_lab();
    settle(&mut lab, 2, "web", "node1");
    let hbversion = lab.status(0).unwrap().parameters["hbversion"].clone();
    let vars = [
        ("hbversion", hbversion),
        ("udpport", udpport(&lab, 0)),
        ("node1dir", lab.node_dir(0).display().to_string()),
    ];
    let cases = parse_golden(HEALTHY, &vars);
    assert!(cases.len() > 80, "{} cases", cases.len());
    let mismatches = check_cases(
        &cases,
        cl_status(),
        |i| lab.control_socket(i),
        |i| Some(node_name(i)),
    );
    assert_none(mismatches);
}

#[test]
fn heartbeat_not_running() {
    let dir = std::env::temp_dir().join(format!("clstatus-stopped-{}", std::process::id()));
    let socket = dir.join("control");
    // Section 7 of the reference capture, as it is.
    let cases = common::reference::section("7.");
    assert!(cases.len() > 80, "{} cases", cases.len());
    let mismatches = check_cases(&cases, cl_status(), |_| socket.clone(), |_| None);
    assert_none(mismatches);
}

#[test]
fn peer_killed() {
    let mut lab = reference_lab();
    settle(&mut lab, 2, "web", "node1");
    lab.kill9(1);
    let dead = lab.wait_for(Duration::from_secs(20), |l| {
        l.status(0)
            .ok()
            .filter(|s| {
                s.node("node2").is_some_and(|n| {
                    n.status == "dead" && n.links.iter().all(|l| l.status == "dead")
                }) && s.resources != "transition"
            })
            .map(|_| ())
    });
    assert!(
        dead.is_some(),
        "node1 never saw node2 dead: {:?}",
        lab.status(0)
    );
    let cases = parse_golden(DEAD, &[]);
    let socket = |i: usize| -> PathBuf { lab.control_socket(i) };
    let mismatches = check_cases(&cases, cl_status(), socket, |i| Some(node_name(i)));
    assert_none(mismatches);
}
