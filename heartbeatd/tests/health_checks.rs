//! Real heartbeatd processes with a tracked `process` check: killing the
//! watched process on the owner moves the group to the healthy peer, never
//! running it on both; when the check recovers the group stays
//! (`auto_failback off`) or comes back (`on`); a hung command check is
//! killed at its timeout and counts as a failure.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command};
use std::time::Duration;

use heartbeat_lab::{node_name, unix_now_ns, write_script, Lab, LabSpec};
use heartbeatd::daemon::state_files::state_file;

const KEEPALIVE_MS: u64 = 100;
const DEADTIME_MS: u64 = 1000;
const INTERVAL_MS: u64 = 200;
const FALL: u64 = 2;
const PATIENCE: Duration = Duration::from_secs(30);

/// A copy of `sleep` named `w<tag>-nodeN`, so each node's check sees only
/// its own (and each test only its own: tests run in parallel).
fn watched(lab: &Lab, tag: &str, i: usize) -> Child {
    let path = lab.root().join(format!("w{tag}-{}", node_name(i)));
    if !path.exists() {
        std::fs::copy("/bin/sleep", &path).expect("copy sleep");
    }
    // Another test thread may fork while the copy is open for writing
    // ("text file busy" until that child execs): retry briefly.
    for _ in 0..50 {
        match Command::new(&path).arg("600").spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(Duration::from_millis(20));
            }
            spawned => return spawned.expect("spawn watched"),
        }
    }
    panic!("{} stayed busy", path.display());
}

/// Two nodes with a tracked `process` check on `w<tag>-nodeN` (both running)
/// and `web` up on node1, announcements exchanged.
fn checked_lab(tag: &str, auto_failback: &str, extra: Vec<String>) -> (Lab, Child, Child) {
    let mut spec = LabSpec::new(2, KEEPALIVE_MS, DEADTIME_MS);
    spec.auto_failback = auto_failback.into();
    spec.extra_ha_cf = vec![
        format!("check svc process w{tag}-{{node}} interval {INTERVAL_MS}ms fall {FALL} rise 2"),
        "track lab-logger::web svc".into(),
    ];
    spec.extra_ha_cf.extend(extra);
    let lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    let w1 = watched(&lab, tag, 0);
    let w2 = watched(&lab, tag, 1);
    (start_settled(lab), w1, w2)
}

/// Starts both nodes and waits until they see each other and `web` runs on
/// node1; then lets them exchange announcements.
fn start_settled(mut lab: Lab) -> Lab {
    lab.start_all().expect("start");
    let up = lab.wait_for(PATIENCE, |l| l.all_active().then_some(()));
    assert!(up.is_some());
    lab.expect_running_only_on("web", 0, PATIENCE);
    // Let the peers exchange announcements.
    std::thread::sleep(Duration::from_millis(500));
    lab
}

/// Every start of `web` came after the stop of the previous run.
fn assert_never_on_both(lab: &Lab) {
    let actions = lab.actions();
    let mut running: Option<&str> = None;
    for a in actions.iter().filter(|a| a.group == "web") {
        match a.verb.as_str() {
            "start" => {
                assert!(running.is_none(), "web on two nodes: {actions:?}");
                running = Some(&a.node);
            }
            "stop" if running == Some(a.node.as_str()) => running = None,
            _ => {}
        }
    }
}

#[test]
fn failing_process_check_hands_the_group_to_the_healthy_peer() {
    let hook_dir = std::env::temp_dir().join(format!("hb-hooks-{}", std::process::id()));
    std::fs::create_dir_all(&hook_dir).unwrap();
    let hook = hook_dir.join("hook");
    let hook_log = hook_dir.join("hook.log");
    write_script(
        &hook,
        &format!(
            "#!/bin/sh\necho \"$HA_NODE $1 $2 $HA_STATE\" >> '{}'\n",
            hook_log.display()
        ),
    )
    .unwrap();
    let hooks_cf = vec![
        format!("notify_master {}", hook.display()),
        format!("notify_backup lab-logger::web {}", hook.display()),
        format!("notify_fault {}", hook.display()),
    ];
    let (mut lab, mut w1, mut w2) = checked_lab("off", "off", hooks_cf);

    // Listen to node1's event stream meanwhile.
    let mut conn = UnixStream::connect(lab.control_socket(0)).expect("control socket");
    conn.write_all(b"{\"version\":1,\"request\":\"events\"}\n")
        .unwrap();
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut events = BufReader::new(conn).lines();
    let accepted = events.next().unwrap().unwrap();
    assert!(accepted.contains("accepted"), "{accepted}");

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
    lab.expect_running_only_on("web", 1, PATIENCE);
    assert_never_on_both(&lab);
    // The stream told the story, in order.
    let mut seen = Vec::new();
    for line in events.by_ref() {
        let line = line.expect("event line");
        let released = line.contains("\"group_released\"");
        seen.push(line);
        if released {
            break;
        }
    }
    let kinds: Vec<&str> = seen
        .iter()
        .filter_map(|l| l.split("\"event\":\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(
        kinds,
        ["group_health", "group_handed_over", "group_released"],
        "{seen:?}"
    );
    assert!(seen[0].contains("\"state\":\"faulty\""), "{seen:?}");
    assert!(seen[1].contains("\"node\":\"node2\""), "{seen:?}");

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

    // The check recovers on node1: with auto_failback off web stays on node2.
    let mut w1 = watched(&lab, "off", 0);
    let hooks = |_: &Lab| std::fs::read_to_string(&hook_log).unwrap_or_default();
    let recovered = lab.wait_for(PATIENCE, |l| {
        hooks(l)
            .contains("node1 lab-logger::web backup")
            .then_some(())
    });
    assert!(recovered.is_some(), "{}", hooks(&lab));
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(lab.running("web"), [node_name(1)]);
    // Hooks saw exactly the transitions, in order, per node.
    let log = hooks(&lab);
    let of = |node: &str| -> Vec<String> {
        log.lines()
            .filter(|l| l.starts_with(node))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        of("node1"),
        [
            "node1 lab-logger::web master master",
            "node1 lab-logger::web fault fault",
            "node1 lab-logger::web backup backup"
        ],
        "{log}"
    );
    assert_eq!(
        of("node2"),
        ["node2 lab-logger::web master master"],
        "{log}"
    );
    for w in [&mut w1, &mut w2] {
        let _ = w.kill();
        let _ = w.wait();
    }
    let _ = std::fs::remove_dir_all(&hook_dir);
}

#[test]
fn recovered_check_brings_the_group_back_with_auto_failback_on() {
    let (mut lab, mut w1, mut w2) = checked_lab("on", "on", Vec::new());
    w1.kill().expect("kill watched");
    let _ = w1.wait();
    lab.expect_running_only_on("web", 1, PATIENCE);
    // node1's check passes again (rise 2): web goes back to its preferred
    // node, stopped on node2 first.
    let mut w1 = watched(&lab, "on", 0);
    lab.expect_running_only_on("web", 0, PATIENCE);
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(lab.running("web"), [node_name(0)]);
    let starts = |l: &Lab, node: &str| {
        l.actions()
            .iter()
            .filter(|a| a.node == node && a.verb == "start")
            .count()
    };
    assert_eq!((starts(&lab, "node1"), starts(&lab, "node2")), (2, 1));
    assert_never_on_both(&lab);
    for w in [&mut w1, &mut w2] {
        let _ = w.kill();
        let _ = w.wait();
    }
}

/// Processes whose command line is exactly `words`.
fn processes(words: &[&str]) -> usize {
    let wanted: Vec<u8> = words
        .iter()
        .flat_map(|w| [w.as_bytes(), b"\0"].concat())
        .collect();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| std::fs::read(e.path().join("cmdline")).is_ok_and(|c| c == wanted))
        .count()
}

#[test]
fn hung_check_is_killed_at_its_timeout_and_counts_as_a_failure() {
    const TIMEOUT_MS: u64 = 300;
    let mut spec = LabSpec::new(2, KEEPALIVE_MS, DEADTIME_MS);
    spec.auto_failback = "off".into();
    // Healthy unless the node's flag file exists; then it hangs.
    let hang_secs = format!("{}", 900 + std::process::id() % 90);
    let script = std::env::temp_dir().join(format!("hb-hang-check-{}", std::process::id()));
    write_script(
        &script,
        &format!("#!/bin/sh\n[ -e \"$1\" ] && exec sleep {hang_secs}\nexit 0\n"),
    )
    .unwrap();
    let flag = std::env::temp_dir().join(format!("hb-hang-{}-node1", std::process::id()));
    let flag_pattern = flag.to_string_lossy().replace("node1", "{node}");
    spec.extra_ha_cf = vec![
        format!(
            "check svc command {} {flag_pattern} interval {INTERVAL_MS}ms timeout {TIMEOUT_MS}ms fall {FALL} rise 2",
            script.display()
        ),
        "track lab-logger::web svc".into(),
    ];
    let lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    let mut lab = start_settled(lab);

    std::fs::write(&flag, "").unwrap();
    let hung_at = unix_now_ns();
    lab.expect_running_only_on("web", 1, PATIENCE);
    let took = Duration::from_nanos((unix_now_ns() - hung_at) as u64);
    // Each hung run ends at its timeout: fall of them, one interval of
    // phase, then the hand-over.
    let bound = Duration::from_millis(FALL * (INTERVAL_MS + TIMEOUT_MS) + INTERVAL_MS + 1500);
    assert!(took <= bound, "took {took:?}, bound {bound:?}");
    assert_never_on_both(&lab);
    let log = std::fs::read_to_string(lab.log_path(0)).unwrap_or_default();
    assert!(log.contains("timed out"), "{log}");
    // Hung runs are killed, not left behind: at most the current one lives.
    std::thread::sleep(Duration::from_millis(4 * (INTERVAL_MS + TIMEOUT_MS)));
    let left = processes(&["sleep", &hang_secs]);
    assert!(left <= 1, "{left} hung checks still running");
    let _ = std::fs::remove_file(&flag);
    drop(lab);
    let _ = std::fs::remove_file(&script);
}

#[test]
fn check_flapping_faster_than_fall_moves_nothing() {
    let (lab, mut w1, mut w2) = checked_lab("flap", "off", Vec::new());
    // Down for less than one interval at a time: never `fall` failures in
    // a row, so the group must stay where it is.
    let until = std::time::Instant::now() + Duration::from_secs(4);
    while std::time::Instant::now() < until {
        let _ = w1.kill();
        let _ = w1.wait();
        std::thread::sleep(Duration::from_millis(INTERVAL_MS / 4));
        w1 = watched(&lab, "flap", 0);
        std::thread::sleep(Duration::from_millis(INTERVAL_MS * 3 / 2));
    }
    assert_eq!(lab.running("web"), [node_name(0)]);
    let starts = lab.actions().iter().filter(|a| a.verb == "start").count();
    assert_eq!(starts, 1, "{:?}", lab.actions());
    for w in [&mut w1, &mut w2] {
        let _ = w.kill();
        let _ = w.wait();
    }
}
