//! Mixed clusters: heartbeatd nodes and real Linux-HA Heartbeat 3.0.6 nodes
//! (Debian's `heartbeat` package) in one cluster, each node in network,
//! mount and UTS namespaces of its own with its own `/etc/ha.d` (one
//! identical `ha.cf`), `/var/lib/heartbeat` and `/run`; heartbeatd nodes run
//! with `--wire-dialect linux-ha`. keepalive 250 ms, deadtime 2 s, initdead
//! 4 s, `bcast` on eth0 and eth1, group `web` preferred by node1.
//!
//! Root only, and only where Heartbeat is installed: skipped with a printed
//! reason otherwise. The tests run one at a time (a lock): their timings are
//! tight for a small machine. `cl-status` (this workspace's) is found next
//! to heartbeatd if it is newer than its sources, else built into
//! `target/mixed-cl-status`; `$HB_CL_STATUS_BIN` overrides both.

use std::fs;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

use heartbeat_core::control::{GroupSet, Request, Response};
use heartbeat_lab::{
    heartbeat306_daemon, killed_at, node_name, unix_now_ns, ActionRecord, Lab, LabSpec, MediumKind,
    NodeKind, StonithPlugin, Topology,
};
use NodeKind::{Heartbeat306 as HB, Heartbeatd as RS};

/// Generous: Heartbeat 3.0.6 nodes on a loaded machine (CI shares its cores)
/// were seen to need more than 30 s for a crash, restart and stop round.
const PATIENCE: Duration = Duration::from_secs(90);
const DEADTIME: Duration = Duration::from_secs(2);

static ALONE: Mutex<()> = Mutex::new(());

/// A lab holding the lock that makes it the only one running (the lab is
/// dropped, so its processes killed, before the lock is released).
struct Mixed {
    lab: Lab,
    _alone: MutexGuard<'static, ()>,
}

impl Deref for Mixed {
    type Target = Lab;
    fn deref(&self) -> &Lab {
        &self.lab
    }
}

impl DerefMut for Mixed {
    fn deref_mut(&mut self) -> &mut Lab {
        &mut self.lab
    }
}

/// Why the mixed tests cannot run here, if they cannot.
fn skip_reason() -> Option<&'static str> {
    if !nix::unistd::geteuid().is_root() {
        Some("network namespaces need root")
    } else if heartbeat306_daemon().is_none() {
        Some("Heartbeat 3.0.6 is not installed (Debian package heartbeat)")
    } else {
        None
    }
}

/// A lab of `kinds.len()` nodes (not started) with `links` bcast links;
/// `None` (printed `skipped: …`) when the tests cannot run here.
fn mixed_lab(kinds: &[NodeKind], links: usize, auto_failback: &str) -> Option<Mixed> {
    mixed_lab_with(kinds, links, auto_failback, |_| {})
}

/// [`mixed_lab`] with the spec changed by `adjust` before the lab is made.
fn mixed_lab_with(
    kinds: &[NodeKind],
    links: usize,
    auto_failback: &str,
    adjust: impl FnOnce(&mut LabSpec),
) -> Option<Mixed> {
    if let Some(reason) = skip_reason() {
        println!("skipped: {reason}");
        return None;
    }
    let alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let mut spec = LabSpec::new(kinds.len(), 250, 2000);
    spec.initdead_ms = 4000;
    spec.auto_failback = auto_failback.into();
    spec.topology = Topology::Namespaces {
        links,
        medium: MediumKind::Bcast,
    };
    spec.kinds = kinds.to_vec();
    spec.cl_status_binary = Some(cl_status_binary().to_path_buf());
    adjust(&mut spec);
    let lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    Some(Mixed { lab, _alone: alone })
}

/// This workspace's `cl-status` (see the module documentation).
fn cl_status_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("HB_CL_STATUS_BIN") {
            return PathBuf::from(path);
        }
        let heartbeatd = Path::new(env!("CARGO_BIN_EXE_heartbeatd"));
        let sibling = heartbeatd.with_file_name("cl-status");
        if is_fresh(&sibling) {
            return sibling;
        }
        // The running `cargo test` holds the lock of the main target dir.
        let target = heartbeatd
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>/heartbeatd")
            .join("mixed-cl-status");
        let status = Command::new(env!("CARGO"))
            .current_dir(workspace())
            .args([
                "build",
                "-p",
                "cl-status",
                "--bin",
                "cl-status",
                "--target-dir",
            ])
            .arg(&target)
            .status()
            .expect("run cargo");
        assert!(status.success(), "cargo build -p cl-status failed");
        target.join("debug/cl-status")
    })
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("heartbeatd is in the workspace")
        .to_path_buf()
}

/// Whether `binary` exists and is newer than the sources it is built from.
fn is_fresh(binary: &Path) -> bool {
    fn newest(path: &Path, found: &mut SystemTime) {
        if path.is_dir() {
            for entry in fs::read_dir(path).into_iter().flatten().flatten() {
                newest(&entry.path(), found);
            }
        } else if let Ok(m) = fs::metadata(path).and_then(|m| m.modified()) {
            *found = (*found).max(m);
        }
    }
    let Ok(built) = fs::metadata(binary).and_then(|m| m.modified()) else {
        return false;
    };
    let mut found = SystemTime::UNIX_EPOCH;
    for p in [
        "cl-status/src",
        "cl-status/Cargo.toml",
        "heartbeat-core/src",
        "heartbeat-core/Cargo.toml",
        "Cargo.lock",
    ] {
        newest(&workspace().join(p), &mut found);
    }
    built >= found
}

/// The last lines of every node's logs, for failure messages.
fn logs(lab: &Lab) -> String {
    let mut out = String::new();
    for i in 0..lab.nodes() {
        for path in [lab.ha_log(i), lab.log_path(i)] {
            let text = fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(25)..].join("\n");
            out += &format!("\n--- {} ({:?})\n{tail}", path.display(), lab.kind(i));
        }
    }
    out
}

/// Waits until node `from` says (through its own `cl_status`) that node
/// `to` is `status`, with every link in `links` (eth0, eth1, …).
fn wait_cl_view(lab: &mut Lab, from: usize, to: usize, status: &str, links: &[&str]) {
    let to_name = node_name(to);
    let seen = lab.wait_for(PATIENCE, |l| {
        let ok = l.node_status_via_cl_status(from, &to_name) == status
            && links.iter().enumerate().all(|(k, want)| {
                l.link_status_via_cl_status(from, &to_name, &format!("eth{k}")) == *want
            });
        ok.then_some(())
    });
    if seen.is_none() {
        let view = lab.cl_status(from, &["listnodes", "-v"]);
        panic!(
            "{} ({:?}) should see {to_name} {status} with links {links:?}; \
             cl_status listnodes -v: {view:?}{}",
            node_name(from),
            lab.kind(from),
            logs(lab)
        );
    }
}

/// Waits until every node in `up` sees every other one active with every
/// link up, and `web` runs on one node only: `owner` if given.
fn settle(lab: &mut Lab, up: &[usize], links: usize, owner: Option<usize>) {
    let all_up = vec!["up"; links];
    for &from in up {
        for &to in up.iter().filter(|&&to| to != from) {
            wait_cl_view(lab, from, to, "active", &all_up);
        }
    }
    match owner {
        Some(owner) => expect_web_on(lab, owner),
        None => expect_web_on_one(lab),
    }
}

fn expect_web_on_one(lab: &mut Lab) {
    if lab
        .wait_for(PATIENCE, |l| (l.running("web").len() == 1).then_some(()))
        .is_none()
    {
        panic!(
            "web should run on one node; runs on {:?}; actions {:?}{}",
            lab.running("web"),
            lab.actions(),
            logs(lab)
        );
    }
}

fn expect_web_on(lab: &mut Lab, owner: usize) {
    let node = node_name(owner);
    if lab
        .wait_for(PATIENCE, |l| {
            (l.running("web") == [node.as_str()]).then_some(())
        })
        .is_none()
    {
        panic!(
            "web should run on {node} only; runs on {:?}; actions {:?}{}",
            lab.running("web"),
            lab.actions(),
            logs(lab)
        );
    }
}

/// Time from `since` (ns) to the first start of `web` on `node` after it.
fn start_delay(lab: &Lab, node: usize, since: u128) -> Duration {
    let at = lab
        .actions()
        .into_iter()
        .find(|a| a.unix_ns >= since && a.group == "web" && a.verb == "start")
        .filter(|a| a.node == node_name(node))
        .map(|a| a.unix_ns)
        .expect("a start after the event");
    Duration::from_nanos((at - since) as u64)
}

/// Starts every node; the heartbeatd ones get `extra` arguments.
fn start_all(lab: &mut Lab, extra: &[&str]) {
    for i in 0..lab.nodes() {
        if let Err(e) = lab.start_with(i, if lab.kind(i) == RS { extra } else { &[] }) {
            panic!("starting {}: {e}{}", node_name(i), logs(lab));
        }
    }
}

fn stop(lab: &mut Lab, i: usize) {
    lab.terminate(i);
    assert!(
        lab.wait_stopped(i, PATIENCE),
        "{} ({:?}) did not stop after SIGTERM{}",
        node_name(i),
        lab.kind(i),
        logs(lab)
    );
}

/// Sub-commands whose answer is the same on every node of a settled
/// two-node cluster with two links.
const SAME_EVERYWHERE: &[&[&str]] = &[
    &["hbstatus"],
    &["listnodes"],
    &["listnodes", "-n"],
    &["listnodes", "-v"],
    &["nodestatus", "node1"],
    &["nodestatus", "node2"],
    &["nodetype", "node1"],
    &["nodeweight", "node2"],
    &["nodesite", "node1"],
    &["listhblinks", "node1"],
    &["listhblinks", "-v", "node2"],
    &["hblinkstatus", "node1", "eth0"],
    &["hblinkstatus", "node2", "eth1"],
    &["hbparameter", "-p", "keepalive"],
    &["hbparameter", "-p", "deadtime"],
    &["hbparameter", "-p", "initdead"],
    &["hbparameter", "-p", "udpport"],
    &["hbparameter", "-p", "auto_failback"],
];

/// a. Node1 runs `first`, node2 the other kind: each side's own
/// `cl_status` sees the other active with both links up, and both tools
/// answer the node-independent sub-commands alike.
fn each_side_sees_the_other(first: NodeKind) {
    let second = if first == HB { RS } else { HB };
    let Some(mut lab) = mixed_lab(&[first, second], 2, "on") else {
        return;
    };
    start_all(&mut lab, &[]);
    settle(&mut lab, &[0, 1], 2, Some(0));
    let (hb, ours) = if first == HB { (0, 1) } else { (1, 0) };
    let mut differences = Vec::new();
    for args in SAME_EVERYWHERE {
        let theirs = lab.cl_status(hb, args).expect("cl_status");
        let mine = lab.cl_status(ours, args).expect("cl-status");
        if (&theirs.0, theirs.2) != (&mine.0, mine.2) {
            differences.push(format!(
                "{args:?}: Heartbeat {:?} exit {}, heartbeatd {:?} exit {}",
                theirs.0, theirs.2, mine.0, mine.2
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "cl_status and cl-status differ:\n{}",
        differences.join("\n")
    );
}

#[test]
fn each_side_sees_the_other_active_with_links_up() {
    each_side_sees_the_other(HB);
}

#[test]
fn each_side_sees_the_other_active_with_links_up_heartbeatd_first() {
    each_side_sees_the_other(RS);
}

/// What node1 is asked about its own links once its eth1 is down.
const OWN_LINK_QUERIES: &[&[&str]] = &[
    &["hblinkstatus", "node1", "eth1"],
    &["hblinkstatus", "-m", "node1", "eth1"],
    &["hblinkstatus", "node1", "eth0"],
    &["listhblinks", "-v", "node1"],
    &["listnodes", "-v"],
];

/// Node1 runs `kind`, node2 the other kind; node1's eth1 goes down. Once
/// node1 sees node2's eth1 dead (and, on heartbeatd, its own eth1 dead in
/// its status), node1's own `cl_status` answers [`OWN_LINK_QUERIES`]:
/// (arguments, stdout, exit code) each. `None` when skipped.
fn own_links_with_eth1_down(kind: NodeKind) -> Option<Vec<(String, String, i32)>> {
    let other = if kind == HB { RS } else { HB };
    let mut lab = mixed_lab(&[kind, other], 2, "on")?;
    start_all(&mut lab, &[]);
    settle(&mut lab, &[0, 1], 2, Some(0));
    let own_eth1_up = lab.wait_for(PATIENCE, |l| {
        (l.link_status_via_cl_status(0, "node1", "eth1") == "up").then_some(())
    });
    assert!(
        own_eth1_up.is_some(),
        "node1 ({kind:?}) never heard itself on eth1{}",
        logs(&lab)
    );
    lab.set_link(0, 1, false).expect("eth1 down");
    wait_cl_view(&mut lab, 0, 1, "active", &["up", "dead"]);
    if kind == RS {
        // heartbeatd's true state (its status, `--json`): its eth1 is dead.
        let own_eth1 = |l: &Lab| {
            Some(
                l.status(0)
                    .ok()?
                    .node("node1")?
                    .link("eth1")?
                    .status
                    .clone(),
            )
        };
        let dead = lab.wait_for(PATIENCE, |l| (own_eth1(l)? == "dead").then_some(()));
        assert!(
            dead.is_some(),
            "own eth1 in the status: {:?}",
            own_eth1(&lab)
        );
        let (json, _, _) = lab
            .cl_status(0, &["--json", "hblinkstatus", "node1", "eth1"])
            .expect("cl-status --json");
        let json: serde_json::Value = serde_json::from_str(&json).expect("one JSON object");
        assert_eq!(json["status"], "dead", "--json keeps the true state");
    }
    Some(
        OWN_LINK_QUERIES
            .iter()
            .map(|args| {
                let (out, _, code) = lab.cl_status(0, args).expect("cl_status");
                (args.join(" "), out, code)
            })
            .collect(),
    )
}

/// Issue 20: a node's own downed interface. Heartbeat 3.0.6 never times out
/// the local node's links, so its `cl_status hblinkstatus node1 eth1` on
/// node1 still says `up` (exit 0); heartbeatd's `cl-status` must answer
/// byte for byte alike, here and in the other listings of own links. Two
/// labs, so that each system is node1, the node asked about itself.
#[test]
fn own_downed_link_reads_as_in_heartbeat() {
    let Some(theirs) = own_links_with_eth1_down(HB) else {
        return;
    };
    let mine = own_links_with_eth1_down(RS).expect("second lab");
    assert_eq!(
        theirs[0],
        ("hblinkstatus node1 eth1".into(), "up\n".into(), 0),
        "Heartbeat's own view"
    );
    assert_eq!(
        mine, theirs,
        "heartbeatd's cl-status vs Heartbeat's cl_status"
    );
}

/// b. kill -9 of the owner → takeover; restart → failback
/// (`auto_failback on`); kill -9 of the other → nothing moves; graceful
/// stop of the owner → handover well under deadtime; failback again;
/// graceful stop of the other → nothing moves.
fn crash_restart_and_stop(kinds: &[NodeKind]) {
    let Some(mut lab) = mixed_lab(kinds, 2, "on") else {
        return;
    };
    let started = std::time::Instant::now();
    start_all(&mut lab, &[]);
    settle(&mut lab, &[0, 1], 2, Some(0));
    // Both daemons advertise deadtime + 2 s for their first 5 s.
    std::thread::sleep(Duration::from_secs(6).saturating_sub(started.elapsed()));

    let killed = unix_now_ns();
    lab.kill9(0);
    expect_web_on(&mut lab, 1);
    println!(
        "{kinds:?}: takeover {:?} after kill -9 of node1",
        start_delay(&lab, 1, killed)
    );
    wait_cl_view(&mut lab, 1, 0, "dead", &["dead", "dead"]);

    let restarted = unix_now_ns();
    lab.start(0).expect("restart node1");
    settle(&mut lab, &[0, 1], 2, Some(0));
    println!(
        "{kinds:?}: failback {:?} after the restart of node1",
        start_delay(&lab, 0, restarted)
    );

    let before = lab.actions().len();
    lab.kill9(1);
    wait_cl_view(&mut lab, 0, 1, "dead", &["dead", "dead"]);
    assert_eq!(lab.running("web"), ["node1"]);
    lab.start(1).expect("restart node2");
    settle(&mut lab, &[0, 1], 2, Some(0));
    let moved: Vec<ActionRecord> = lab.actions()[before..]
        .iter()
        .filter(|a| a.group == "web" && a.verb == "start")
        .cloned()
        .collect();
    assert!(moved.is_empty(), "web moved: {moved:?}");

    let stopped = unix_now_ns();
    lab.terminate(0);
    expect_web_on(&mut lab, 1);
    let handover = start_delay(&lab, 1, stopped);
    println!("{kinds:?}: handover {handover:?} after SIGTERM to node1");
    assert!(
        handover < DEADTIME,
        "a graceful stop hands over at once, not after deadtime: {handover:?}{}",
        logs(&lab)
    );
    assert!(lab.wait_stopped(0, PATIENCE), "node1 did not stop");
    lab.start(0).expect("restart node1");
    settle(&mut lab, &[0, 1], 2, Some(0));

    let before = lab.actions().len();
    stop(&mut lab, 1);
    wait_cl_view(&mut lab, 0, 1, "dead", &["dead", "dead"]);
    assert_eq!(lab.running("web"), ["node1"]);
    assert!(
        !lab.actions()[before..]
            .iter()
            .any(|a| a.group == "web" && a.verb == "start"),
        "web moved: {:?}",
        lab.actions()
    );
}

#[test]
fn crash_restart_and_stop_heartbeat_owner() {
    crash_restart_and_stop(&[HB, RS]);
}

#[test]
fn crash_restart_and_stop_heartbeatd_owner() {
    crash_restart_and_stop(&[RS, HB]);
}

/// b'. The other `auto_failback` policies: kill -9 of the owner (node1) →
/// node2 takes over; node1 restarts → `legacy` asks for its group back with
/// Heartbeat's `ip-request` (whichever side runs Heartbeat), `off` leaves it
/// on node2.
fn failback_as_auto_failback_says(kinds: &[NodeKind], policy: &str) {
    let Some(mut lab) = mixed_lab(kinds, 2, policy) else {
        return;
    };
    let started = std::time::Instant::now();
    start_all(&mut lab, &[]);
    settle(&mut lab, &[0, 1], 2, Some(0));
    std::thread::sleep(Duration::from_secs(6).saturating_sub(started.elapsed()));
    lab.kill9(0);
    expect_web_on(&mut lab, 1);
    lab.start(0).expect("restart node1");
    let home = match policy {
        "off" => 1,
        _ => 0,
    };
    settle(&mut lab, &[0, 1], 2, Some(home));
    // And it stays there: nothing moves in the next two deadtimes.
    let before = lab.actions().len();
    std::thread::sleep(DEADTIME * 2);
    assert_eq!(
        lab.actions().len(),
        before,
        "{kinds:?} {policy}: web moved after settling: {:?}",
        lab.actions()
    );
    assert_eq!(lab.running("web"), [node_name(home).as_str()]);
}

#[test]
fn legacy_failback_heartbeat_owner() {
    failback_as_auto_failback_says(&[HB, RS], "legacy");
}

#[test]
fn legacy_failback_heartbeatd_owner() {
    failback_as_auto_failback_says(&[RS, HB], "legacy");
}

#[test]
fn no_failback_with_auto_failback_off_heartbeat_owner() {
    failback_as_auto_failback_says(&[HB, RS], "off");
}

#[test]
fn no_failback_with_auto_failback_off_heartbeatd_owner() {
    failback_as_auto_failback_says(&[RS, HB], "off");
}

/// Operator takeovers across the dialects (`auto_failback off`, `web` on
/// the Heartbeat node1): `takeover foreign` on heartbeatd's control socket
/// pulls `web` through Heartbeat's `ip-request`; Heartbeat's own
/// `hb_takeover local` on node1 makes heartbeatd run the standby exchange
/// that gives it back.
#[test]
fn operator_takeover_works_from_either_side() {
    let Some(mut lab) = mixed_lab(&[HB, RS], 2, "off") else {
        return;
    };
    start_all(&mut lab, &[]);
    settle(&mut lab, &[0, 1], 2, Some(0));
    let answer = lab
        .request(
            1,
            &Request::Takeover {
                set: GroupSet::Foreign,
            },
        )
        .expect("control socket");
    assert!(matches!(answer, Response::Accepted { .. }), "{answer:?}");
    expect_web_on(&mut lab, 1);
    let script = Path::new("/usr/share/heartbeat/hb_takeover");
    let out = lab.run_in(0, script, &["local"]).expect("hb_takeover");
    assert_eq!(out.2, 0, "hb_takeover: {out:?}");
    expect_web_on(&mut lab, 0);
    let (most, _) = replay(&lab.actions(), unix_now_ns());
    assert_eq!(most, 1, "web ran twice: {:?}", lab.actions());
}

/// c. One link, 10 % of the datagrams that reach heartbeatd (node2) and 10 %
/// of those that reach Heartbeat (node1) dropped (`nft` in each node's
/// namespace; skipped without `nft`, which `.ci/run` installs): for 20 s
/// nobody is declared dead, `web` stays, and lost packets are
/// retransmitted both ways. One link: with two, a message is lost only
/// when both copies are (1 %).
#[test]
fn rx_loss_declares_nobody_dead_and_rexmit_flows_both_ways() {
    if Command::new("nft").arg("--version").output().is_err() {
        println!("skipped: nft is not installed (package nftables): no way to drop packets");
        return;
    }
    let Some(mut lab) = mixed_lab(&[HB, RS], 1, "on") else {
        return;
    };
    lab.set_rx_loss(1, 10).expect("nft loss on node2");
    start_all(&mut lab, &[]);
    settle(&mut lab, &[0, 1], 1, Some(0));
    lab.set_rx_loss(0, 10).expect("nft loss on node1");
    let log_start = fs::metadata(lab.ha_log(0)).map_or(0, |m| m.len() as usize);
    let actions = lab.actions().len();
    let end = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < end {
        let theirs = lab.node_status_via_cl_status(0, "node2");
        assert_eq!(theirs, "active", "Heartbeat's view of node2{}", logs(&lab));
        let ours = lab
            .cl_status(1, &["nodestatus", "node1"])
            .expect("cl-status");
        assert_eq!(
            (ours.0.trim(), ours.2),
            ("active", 0),
            "heartbeatd's view of node1 ({ours:?}){}",
            logs(&lab)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let _ = lab.set_rx_loss(0, 0);
    let _ = lab.set_rx_loss(1, 0);
    let log = fs::read_to_string(lab.ha_log(0)).unwrap_or_default();
    let during = log.get(log_start..).unwrap_or("");
    let lost = during.matches("lost packet(s) for [node2]").count();
    let recovered = during.matches("No pkts missing from node2!").count();
    let view = lab.status(1).expect("status of node2");
    let node1 = view.node("node1").expect("node1 in node2's view").clone();
    println!(
        "Heartbeat: {lost} gaps from node2, {recovered} closed; heartbeatd: {} packets \
         from node1 recovered, {} given up, {} late heartbeats, {} deaths",
        node1.recovered_packets, node1.lost_packets, node1.late_heartbeats, node1.deaths
    );
    assert!(
        !during.contains("is dead"),
        "Heartbeat declared a death:\n{during}"
    );
    assert_eq!(node1.deaths, 0, "heartbeatd declared node1 dead");
    assert!(
        node1.recovered_packets > 0,
        "heartbeatd recovered nothing by retransmission: {node1:?}"
    );
    assert!(lost > 0, "Heartbeat saw no gap from node2:\n{during}");
    assert!(
        !during.contains("Irretrievably lost"),
        "node2 could not retransmit:\n{during}"
    );
    assert_eq!(lab.actions().len(), actions, "resources moved under loss");
    assert_eq!(lab.running("web"), ["node1"]);
}

/// e. Fencing across the dialects: both nodes carry the same
/// `stonith_host * external/…` line (the lab's power switch as a
/// cluster-glue plugin, run by Heartbeat and by heartbeatd alike), initdead
/// 10 s so that nobody is reset while the other starts, `web` on node1.
/// Node1 hangs (SIGSTOP of every process of it): node2, of the other kind,
/// powers it off (as its own record says: heartbeatd's fence history,
/// Heartbeat's log), and only then starts `web`; node2 is never reset, and
/// `web` never runs twice. `fence_delay` is heartbeatd-only (Heartbeat
/// refuses the line, and the lab writes one `ha.cf` for both), so a
/// heartbeatd survivor, which holds no group, waits its default 5 s first.
fn a_hung_owner_is_fenced_by_the_other_kind(owner: NodeKind) {
    if let Some(reason) = skip_reason() {
        println!("skipped: {reason}");
        return;
    }
    let Some(plugin) = StonithPlugin::install_or_skip(2) else {
        return;
    };
    let survivor = if owner == HB { RS } else { HB };
    let line = plugin.stonith_host_line();
    let Some(mut lab) = mixed_lab_with(&[owner, survivor], 2, "off", |spec| {
        spec.initdead_ms = 10_000;
        spec.extra_ha_cf = vec![line];
    }) else {
        return;
    };
    lab.power_off_script().expect("power switch");
    start_all(&mut lab, &[]);
    settle(&mut lab, &[0, 1], 2, Some(0));
    let hung = unix_now_ns();
    assert!(lab.hang(0), "node1 could not be stopped{}", logs(&lab));
    expect_web_on(&mut lab, 1);
    let actions = lab.actions();
    let killed = killed_at(&actions, "node1")
        .unwrap_or_else(|| panic!("node1 was not powered off: {actions:#?}{}", logs(&lab)));
    let started = start_delay(&lab, 1, hung);
    println!(
        "{owner:?} owner hung, {survivor:?} survivor: fenced after {:?}, web started after {started:?}",
        Duration::from_nanos((killed - hung) as u64)
    );
    assert!(
        killed > hung && hung + started.as_nanos() > killed,
        "node1 is powered off after it hangs and before node2 starts web: {actions:#?}"
    );
    assert!(
        lab.node_pids(0).is_empty(),
        "node1 has processes left: {:?}",
        lab.node_pids(0)
    );
    assert_eq!(killed_at(&actions, "node2"), None, "{actions:#?}");
    // The survivor's own record of the reset.
    if survivor == RS {
        let history = lab.status(1).expect("status of node2").safety.fence_history;
        assert!(
            history
                .iter()
                .any(|r| r.ok && r.target == "node1" && r.by == "node2"),
            "heartbeatd's fence history: {history:?}"
        );
    } else {
        let log = fs::read_to_string(lab.ha_log(1)).unwrap_or_default();
        assert!(
            log.contains("node node1 now reset."),
            "Heartbeat logged no reset of node1{}",
            logs(&lab)
        );
    }
    let (most, _) = replay(&actions, unix_now_ns());
    assert_eq!(most, 1, "web ran on two nodes at once: {actions:#?}");
}

#[test]
fn a_hung_heartbeat_owner_is_fenced_by_heartbeatd() {
    a_hung_owner_is_fenced_by_the_other_kind(HB);
}

#[test]
fn a_hung_heartbeatd_owner_is_fenced_by_heartbeat() {
    a_hung_owner_is_fenced_by_the_other_kind(RS);
}

/// Replays `web` in `actions` (ordered by time) up to `end` ns: the most
/// nodes that ran it at once, and the longest time it ran nowhere after
/// its first start.
fn replay(actions: &[ActionRecord], end: u128) -> (usize, Duration) {
    let mut actions: Vec<&ActionRecord> = actions.iter().collect();
    actions.sort_by_key(|a| a.unix_ns);
    let mut running: Vec<&str> = Vec::new();
    let (mut most, mut longest) = (0, 0u128);
    let mut nowhere_since: Option<u128> = None;
    for a in actions {
        match a.verb.as_str() {
            "killed" => running.retain(|n| *n != a.node),
            _ if a.group != "web" => {}
            "start" if !running.contains(&a.node.as_str()) => running.push(&a.node),
            "stop" => running.retain(|n| *n != a.node),
            _ => {}
        }
        most = most.max(running.len());
        match (running.is_empty(), nowhere_since) {
            (true, None) if most > 0 => nowhere_since = Some(a.unix_ns),
            (false, Some(since)) => {
                longest = longest.max(a.unix_ns - since);
                nowhere_since = None;
            }
            _ => {}
        }
    }
    if let Some(since) = nowhere_since {
        longest = longest.max(end.saturating_sub(since));
    }
    (most, Duration::from_nanos(longest as u64))
}

/// d. Three Heartbeat 3.0.6 nodes, `web` on node1; node3, node2, node1
/// are replaced in turn: graceful stop, then heartbeatd on the same
/// directories, the cluster settled each time. `web` never runs on two
/// nodes at once and moves only when node1 is replaced (once with
/// `auto_failback off`, to node2 or node3 where it stays; with `on` it
/// also comes back); the longest time it runs nowhere is printed.
fn rolling_replacement(auto_failback: &str) {
    let Some(mut lab) = mixed_lab(&[HB, HB, HB], 2, auto_failback) else {
        return;
    };
    start_all(&mut lab, &[]);
    settle(&mut lab, &[0, 1, 2], 2, Some(0));
    for i in [2, 1, 0] {
        let before = lab.actions().len();
        let t = unix_now_ns();
        stop(&mut lab, i);
        lab.set_kind(i, RS).expect("set_kind");
        lab.start(i).expect("start heartbeatd");
        let owner = (i != 0 || auto_failback == "on").then_some(0);
        settle(&mut lab, &[0, 1, 2], 2, owner);
        let moved: Vec<String> = lab.actions()[before..]
            .iter()
            .filter(|a| a.group == "web" && a.verb == "start")
            .map(|a| a.node.clone())
            .collect();
        println!(
            "auto_failback {auto_failback}: replaced {} in {:?}; web started on {moved:?}",
            node_name(i),
            Duration::from_nanos((unix_now_ns() - t) as u64),
        );
        let expected = match (i, auto_failback) {
            (0, "on") => 2,
            (0, _) => 1,
            _ => 0,
        };
        assert_eq!(moved.len(), expected, "web moved: {:?}", lab.actions());
    }
    let (most, longest) = replay(&lab.actions(), unix_now_ns());
    println!("auto_failback {auto_failback}: web ran nowhere for at most {longest:?}");
    assert_eq!(most, 1, "web ran on two nodes at once: {:?}", lab.actions());
}

/// `auto_failback off`. (With three nodes Heartbeat's nice_failback
/// protocol, made for two, has every survivor of a graceful stop "take
/// over" the leaver's foreign set; `on` then makes them all ask for a
/// standby when it returns, and a SIGTERM waits until that times out.)
#[test]
fn rolling_replacement_of_heartbeat_by_heartbeatd() {
    rolling_replacement("off");
}

/// `auto_failback on`: `web` comes back to node1 once it runs heartbeatd.
#[test]
fn rolling_replacement_of_heartbeat_by_heartbeatd_auto_failback_on() {
    rolling_replacement("on");
}

/// Bytes received so far on node `i`'s `eth0` (`/proc/net/dev` in its
/// network namespace).
fn rx_bytes(lab: &Lab, i: usize) -> u64 {
    let (out, err, code) = lab
        .run_in(i, Path::new("/bin/cat"), &["/proc/net/dev"])
        .expect("cat /proc/net/dev");
    assert_eq!(code, 0, "{err}");
    out.lines()
        .find_map(|l| l.trim().strip_prefix("eth0:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no eth0 in {out}"))
}

/// Heartbeat's `compression bz2`, `compression_threshold 1` and
/// `traditional_compression yes` (what makes Heartbeat 3.0.6 compress whole
/// messages) on both nodes: the cluster forms, and a 20 KB message that
/// Heartbeat sends (written to its FIFO, as `ha_clustermsg` does) reaches
/// heartbeatd, decompressed, while fewer than 10 KB arrive on its link.
///
/// Only this direction: heartbeatd's own messages are all far below 1 KiB
/// and it has no interface for sending application messages, so nothing
/// makes it send a large one to Heartbeat here (the engine test
/// `engine_linuxha::compressed_messages_are_read_and_large_ones_sent_compressed`
/// covers our sending side).
#[test]
fn heartbeat_compressed_large_message_reaches_heartbeatd() {
    let Some(mut lab) = mixed_lab_with(&[HB, RS], 1, "on", |spec| {
        spec.extra_ha_cf = vec![
            "compression bz2".into(),
            "compression_threshold 1".into(),
            "traditional_compression yes".into(),
        ];
    }) else {
        return;
    };
    start_all(&mut lab, &[]);
    settle(&mut lab, &[0, 1], 1, Some(0));
    let fifo = lab.node_dir(0).join("lib/fifo");
    assert!(
        lab.wait_for(PATIENCE, |_| fifo.exists().then_some(()))
            .is_some(),
        "Heartbeat made no FIFO{}",
        logs(&lab)
    );
    // Lines of at most 510 bytes: Heartbeat reads the FIFO line by line.
    let mut text = String::from(">>>\nt=hbtest-large\n");
    for k in 0..40 {
        let line: String = (0..480)
            .map(|j| char::from(b'a' + ((j * 7 + k) % 26) as u8))
            .collect();
        text += &format!("f{k}={line}\n");
    }
    text += "<<<\n";
    assert!(text.len() > 19_000);
    let before = rx_bytes(&lab, 1);
    {
        use std::io::Write;
        let mut w = fs::OpenOptions::new()
            .write(true)
            .open(&fifo)
            .expect("open the FIFO");
        w.write_all(text.as_bytes()).expect("write to the FIFO");
    }
    let wanted = "Ignoring message type hbtest-large from node1";
    let seen = lab.wait_for(PATIENCE, |l| {
        fs::read_to_string(l.log_path(1))
            .unwrap_or_default()
            .contains(wanted)
            .then_some(())
    });
    let received = rx_bytes(&lab, 1) - before;
    assert!(
        seen.is_some(),
        "heartbeatd never got the message{}",
        logs(&lab)
    );
    println!("20 KB message: {received} bytes received on heartbeatd's link meanwhile");
    assert!(
        received < 10_000,
        "{received} bytes arrived: the message was not compressed{}",
        logs(&lab)
    );
    let ours = fs::read_to_string(lab.log_path(1)).unwrap_or_default();
    assert!(
        !ours.contains("Rejected") && !ours.to_ascii_lowercase().contains("compress"),
        "heartbeatd rejected packets{}",
        logs(&lab)
    );
    let theirs = fs::read_to_string(lab.ha_log(0)).unwrap_or_default();
    assert!(
        !theirs.contains("decompress") && !theirs.contains("authentication failed"),
        "Heartbeat complained{}",
        logs(&lab)
    );
    // Both still see each other.
    settle(&mut lab, &[0, 1], 1, Some(0));
}

/// The harness itself: two Heartbeat 3.0.6 nodes see each other, take
/// over after kill -9, fail back, and hand over on a graceful stop.
#[test]
fn heartbeat_pair_baseline() {
    crash_restart_and_stop(&[HB, HB]);
}

#[test]
fn replay_finds_overlaps_and_gaps() {
    let a = |t: u128, node: &str, verb: &str| ActionRecord {
        unix_ns: t,
        node: node.into(),
        group: if verb == "killed" { "*" } else { "web" }.into(),
        verb: verb.into(),
    };
    let log = [
        a(10, "node1", "start"),
        a(20, "node1", "killed"),
        a(50, "node2", "start"),
        a(60, "node1", "start"),
        a(70, "node2", "stop"),
    ];
    assert_eq!(replay(&log, 100), (2, Duration::from_nanos(30)));
    assert_eq!(replay(&log[..2], 100), (1, Duration::from_nanos(80)));
}
