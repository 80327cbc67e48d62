//! Golden tests against a real cluster: `cl_status` run against real
//! heartbeatd processes must print what Heartbeat 3.0.6's `cl_status`
//! printed for the same state (tests/golden/*.txt, in the format of the
//! reference capture; see tests/common for how heartbeatd is found).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{check_cases, cl_status, parse_golden, reference_lab, settle, udpport};
use heartbeat_lab::node_name;

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

#[test]
fn rscstatus_says_transition_while_a_resource_script_runs() {
    use heartbeat_lab::{Lab, LabSpec};
    let mut lab = Lab::create(LabSpec::new(2, 200, 2000), common::heartbeatd_binary()).unwrap();
    // node1's start action takes 3 s.
    let script = lab.node_dir(0).join("ha.d/resource.d/lab-logger");
    let text = std::fs::read_to_string(&script).unwrap();
    let slow = text.replacen('\n', "\n[ \"$2\" = start ] && sleep 3\n", 1);
    std::fs::write(&script, slow).unwrap();
    lab.start_all().unwrap();
    let socket = lab.control_socket(0);
    let rscstatus = || {
        let (out, _) = common::run(cl_status(), &socket, &["rscstatus"]);
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            out.status.code(),
        )
    };
    let seen = lab.wait_for(Duration::from_secs(20), |_| {
        (rscstatus() == ("transition\n".to_owned(), Some(0))).then_some(())
    });
    assert!(seen.is_some(), "never in transition: {:?}", lab.status(0));
    let (out, _) = common::run(cl_status(), &socket, &["rscstatus", "-m"]);
    let sentence = String::from_utf8_lossy(&out.stdout);
    assert!(
        sentence == "This node is holding transition resources.\n"
            || sentence == "This node is holding local resources.\n",
        "{sentence}"
    );
    let done = lab.wait_for(Duration::from_secs(20), |_| {
        (rscstatus() == ("local\n".to_owned(), Some(0))).then_some(())
    });
    assert!(done.is_some(), "never local: {:?}", lab.status(0));
}
