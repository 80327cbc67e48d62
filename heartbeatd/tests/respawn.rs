//! Real heartbeatd processes with a `respawn` line: the command is started
//! again each time it is killed, a command that keeps dying at once is
//! given up after Heartbeat's limit (10 restarts), SIGTERM of the daemon
//! leaves nothing of the command behind, and the control socket's status
//! shows the command.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use heartbeat_lab::{write_script, Lab, LabSpec};
use heartbeatd::respawn::MAX_FAST_RESTARTS;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::{Pid, Uid, User};

const PATIENCE: Duration = Duration::from_secs(30);

/// The name of the user the tests run as.
fn me() -> String {
    User::from_uid(Uid::effective())
        .expect("user lookup")
        .expect("a user name")
        .name
}

/// A two-node lab of which node1 alone runs, whose `ha.cf` respawns
/// `script` (written with `body`).
fn lab_with(tag: &str, body: &str) -> (Lab, PathBuf) {
    let base = std::env::temp_dir().join(format!("respawn-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&base).expect("dir");
    let script = base.join("helper");
    write_script(&script, body).expect("script");
    let mut spec = LabSpec::new(2, 100, 1000);
    spec.extra_ha_cf = vec![format!(
        "respawn {} {} {}",
        me(),
        script.display(),
        base.display()
    )];
    let mut lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    lab.start(0).expect("start");
    (lab, base)
}

/// The numbers in `file`, one per line (none if it does not exist yet).
fn numbers(file: &Path) -> Vec<i32> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Waits until `f` holds, or panics with `what`.
fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` is gone (or a zombie).
fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
    }
}

#[test]
fn a_killed_command_is_restarted_and_sigterm_ends_it_with_its_children() {
    // The helper records its pid and its child's, then waits.
    let body = "#!/bin/sh\nsleep 600 &\necho $! >> \"$1/children\"\necho $$ >> \"$1/pids\"\nwait\n";
    let (mut lab, base) = lab_with("kill", body);
    let pids = base.join("pids");
    for round in 1..=5 {
        wait_until("the helper runs", || numbers(&pids).len() == round);
        let pid = *numbers(&pids).last().expect("a pid");
        // The whole group, as an operator's `kill -- -PGID` would.
        killpg(Pid::from_raw(pid), Signal::SIGKILL).expect("kill the helper");
    }
    wait_until("the sixth run", || numbers(&pids).len() == 6);
    let helper = *numbers(&pids).last().expect("a pid");
    wait_until("its child", || numbers(&base.join("children")).len() == 6);
    let child = *numbers(&base.join("children")).last().expect("a child");
    assert!(!gone(helper) && !gone(child));
    // The control socket's status shows it.
    wait_until("the status shows the sixth run", || {
        lab.status(0).is_ok_and(|v| {
            v.respawned.len() == 1
                && v.respawned[0].pid == u32::try_from(helper).ok()
                && v.respawned[0].restarts == 5
                && v.respawned[0].state == "running"
        })
    });

    lab.terminate(0);
    assert_eq!(lab.wait_exit(0, PATIENCE), Some(0), "heartbeatd exits 0");
    wait_until("the helper and its child are gone", || {
        gone(helper) && gone(child)
    });
    let log = std::fs::read_to_string(lab.log_path(0)).unwrap_or_default();
    assert_eq!(log.matches("Respawning").count(), 5, "{log}");
    let _ = std::fs::remove_dir_all(base);
}

#[test]
fn a_command_dying_at_once_is_given_up_after_heartbeats_limit() {
    let body = "#!/bin/sh\necho $$ >> \"$1/pids\"\nexit 1\n";
    let (mut lab, base) = lab_with("fast", body);
    let runs = MAX_FAST_RESTARTS as usize + 1;
    wait_until("the limit is reached", || {
        std::fs::read_to_string(lab.log_path(0))
            .unwrap_or_default()
            .contains("respawning too fast")
    });
    assert_eq!(numbers(&base.join("pids")).len(), runs);
    let view = lab.status(0).expect("status");
    assert_eq!(view.respawned[0].state, "given up");
    assert_eq!(view.respawned[0].restarts, MAX_FAST_RESTARTS);
    lab.terminate(0);
    assert_eq!(lab.wait_exit(0, PATIENCE), Some(0), "heartbeatd exits 0");
    assert_eq!(numbers(&base.join("pids")).len(), runs, "not started again");
    let _ = std::fs::remove_dir_all(base);
}
