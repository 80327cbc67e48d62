//! `run-if-active` on a real two-node cluster: started on both nodes at the
//! same instant, exactly one runs the command (the holder), across 50 rounds
//! with a `standby` handover between rounds; fired during a handover, never
//! both (root: the handover needs the admin socket).

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{cl_dash_status, heartbeatd_binary, settle};
use heartbeat_lab::{node_name, Lab, LabSpec};

const ROUNDS: usize = 50;
const GROUP: &str = "lab-logger::web";

/// `cl-status run-if-active GROUP -- sh -c 'echo TAG NODE >> log'` against
/// node `i`'s control socket, started but not waited for.
fn spawn_job(lab: &Lab, i: usize, log: &Path, tag: &str) -> Child {
    let script = format!("echo \"$0 $1\" >> '{}'", log.display());
    Command::new(cl_dash_status())
        .args(["run-if-active", GROUP, "--", "/bin/sh", "-c", &script])
        .args([tag, &node_name(i)])
        .env("HEARTBEAT_CONTROL_SOCKET", lab.control_socket(i))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cl-status")
}

/// Fires the job on both nodes at once; returns the nodes that ran it.
fn fire(lab: &Lab, log: &Path, tag: &str) -> Vec<String> {
    let children = [spawn_job(lab, 0, log, tag), spawn_job(lab, 1, log, tag)];
    for child in children {
        let out = child.wait_with_output().expect("wait cl-status");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{tag} ")))
        .map(str::to_owned)
        .collect()
}

#[test]
fn exactly_one_node_runs_the_job_across_fifty_handovers() {
    if !nix::unistd::geteuid().is_root() {
        println!("skipped: the handovers need the admin socket (root)");
        return;
    }
    let mut lab = Lab::create(LabSpec::new(2, 100, 1000), heartbeatd_binary()).expect("lab");
    lab.start_all().expect("start");
    let log = lab.root().join("jobs.log");
    let mut holder = 0;
    for round in 0..ROUNDS {
        settle(&mut lab, 2, "web", &node_name(holder));
        let ran = fire(&lab, &log, &format!("round{round}"));
        assert_eq!(ran, [node_name(holder)], "round {round}");

        let standby = Command::new(cl_dash_status())
            .arg("standby")
            .env("HEARTBEAT_CONTROL_SOCKET", lab.control_socket(holder))
            .output()
            .expect("cl-status standby");
        assert!(standby.status.success(), "round {round}: {standby:?}");
        // Fired while the group moves: the old holder, the new one or
        // neither, never both.
        let during = fire(&lab, &log, &format!("handover{round}"));
        assert!(during.len() <= 1, "round {round} handover: {during:?}");
        holder = 1 - holder;
    }
    let lines = std::fs::read_to_string(&log).unwrap();
    let rounds = lines.lines().filter(|l| l.starts_with("round")).count();
    assert_eq!(rounds, ROUNDS);
    // The scripts' log agrees: web moved every round.
    let starts = lab.actions().iter().filter(|a| a.verb == "start").count();
    assert!(starts >= ROUNDS, "{starts} starts for {ROUNDS} handovers");
}
