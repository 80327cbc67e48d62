//! `standby` and `takeover` on a real cluster: the group moves to the peer
//! and back, as the resource scripts' log shows; an unprivileged caller is
//! refused with a clear message. `quorum`, `fencehistory` and
//! `confirmdown` on the same two-node cluster (quorum off, no fencing);
//! `status_hblinks` on it before and after the peer is killed.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{cl_dash_status, heartbeatd_binary, run, settle};
use heartbeat_lab::{Lab, LabSpec};

const PATIENCE: Duration = Duration::from_secs(30);

fn lab() -> Lab {
    let mut lab = Lab::create(LabSpec::new(2, 200, 2000), heartbeatd_binary()).expect("lab");
    lab.start_all().expect("start");
    settle(&mut lab, 2, "web", "node1");
    lab
}

fn wait_running_on(lab: &mut Lab, node: &str) {
    let moved = lab.wait_for(PATIENCE, |l| (l.running("web") == [node]).then_some(()));
    assert!(
        moved.is_some(),
        "web should run on {node} only; runs on {:?}; actions {:?}",
        lab.running("web"),
        lab.actions()
    );
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

#[test]
fn standby_moves_the_group_to_the_peer_and_takeover_brings_it_back() {
    if !is_root() {
        println!("skipped: the lab's control sockets let only root change the cluster");
        return;
    }
    let mut lab = lab();
    let node1 = lab.control_socket(0);

    let (out, _) = run(cl_dash_status(), &node1, &["standby"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Going standby [all].\n"
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", out);
    wait_running_on(&mut lab, "node2");
    let stopped_on_1 = lab
        .actions()
        .iter()
        .any(|a| a.node == "node1" && a.group == "web" && a.verb == "stop");
    assert!(stopped_on_1, "{:?}", lab.actions());

    let (out, _) = run(cl_dash_status(), &node1, &["takeover", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", out);
    let answer: clstatus::json::AdminRequest = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (answer.request.as_str(), answer.set.as_str()),
        ("takeover", "all")
    );
    wait_running_on(&mut lab, "node1");
}

#[test]
fn an_unprivileged_caller_is_refused_with_a_clear_message() {
    let lab = lab();
    let socket = lab.control_socket(0);
    let mut command = Command::new(cl_dash_status());
    command
        .args(["standby", "--socket"])
        .arg(&socket)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if is_root() {
        // As nobody: the socket (mode 0660, root's) does not let it in.
        command.uid(65534).gid(65534);
    }
    let out = command.output().expect("run cl-status");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("standby: refused: "), "{stderr}");
    assert!(
        lines[0].contains("Permission denied") || lines[0].contains("may not change"),
        "{stderr}"
    );
    assert_eq!(
        lines[1],
        "Run it as root, or as a member of the group heartbeatd was started with (--control-group)."
    );
    assert_eq!(lab.running("web"), ["node1"], "nothing moved");
}

#[test]
fn quorum_fencehistory_and_confirmdown_on_a_two_node_cluster() {
    let lab = lab();
    let node1 = lab.control_socket(0);

    let (out, _) = run(cl_dash_status(), &node1, &["quorum"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "quorum off\n");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (out, _) = run(cl_dash_status(), &node1, &["quorum", "--json"]);
    let answer: clstatus::json::Quorum = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer.quorum, None);

    let (out, _) = run(cl_dash_status(), &node1, &["fencehistory"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        clstatus::commands::fencehistory::NOTHING
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    if !is_root() {
        println!("confirmdown skipped: the lab's control sockets let only root change the cluster");
        return;
    }
    let (out, _) = run(cl_dash_status(), &node1, &["confirmdown", "node2"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty(), "{out:?}");
    assert!(
        stderr.starts_with("confirmdown: refused by heartbeatd: node2 is active, not dead"),
        "{stderr}"
    );
    assert_eq!(lab.running("web"), ["node1"], "nothing moved");
}

#[test]
fn status_hblinks_is_good_then_has_dead_after_the_peer_is_killed() {
    let mut lab = lab();
    let node1 = lab.control_socket(0);
    let status_hblinks = |args: &[&str]| {
        let (out, _) = run(cl_dash_status(), &node1, args);
        assert!(out.stderr.is_empty(), "{out:?}");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            out.status.code(),
        )
    };

    assert_eq!(
        status_hblinks(&["status_hblinks"]),
        ("good\n".to_owned(), Some(0))
    );
    let (json, code) = status_hblinks(&["status_hblinks", "--json"]);
    let answer: clstatus::json::StatusHbLinks = serde_json::from_str(&json).unwrap();
    assert_eq!((answer.status.as_str(), code), ("good", Some(0)));
    assert!(answer.dead_links.is_empty(), "{answer:?}");

    lab.kill9(1);
    let dead = lab.wait_for(PATIENCE, |_| {
        (status_hblinks(&["status_hblinks"]) == ("has_dead\n".to_owned(), Some(1))).then_some(())
    });
    assert!(dead.is_some(), "never has_dead: {:?}", lab.status(0));
    let (json, code) = status_hblinks(&["status_hblinks", "--json"]);
    let answer: clstatus::json::StatusHbLinks = serde_json::from_str(&json).unwrap();
    assert_eq!((answer.status.as_str(), code), ("has_dead", Some(1)));
    let dead: Vec<(&str, &str)> = answer
        .dead_links
        .iter()
        .map(|l| (l.node.as_str(), l.link.as_str()))
        .collect();
    assert_eq!(dead, [("node2", "lo")]);

    // No daemon: the same failure as every other read-only sub-command.
    let nothing = lab.root().join("nothing-listens-here");
    let (out, _) = run(cl_dash_status(), &nothing, &["status_hblinks"]);
    let (like, _) = run(cl_dash_status(), &nothing, &["quorum"]);
    let strip = |o: &std::process::Output| -> Vec<String> {
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .map(|l| clstatus::logline::strip_prefix(l).to_owned())
            .collect()
    };
    assert!(out.stdout.is_empty(), "{out:?}");
    assert_eq!(
        (out.status.code(), strip(&out)),
        (like.status.code(), strip(&like))
    );
    assert_eq!(out.status.code(), Some(1));
}
