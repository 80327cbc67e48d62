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
/// `script` (written with `body`) as the user running the tests.
fn lab_with(tag: &str, body: &str) -> (Lab, PathBuf) {
    lab_as(tag, &me(), body)
}

/// [`lab_with`], the script run as `user` (its directory open to all).
fn lab_as(tag: &str, user: &str, body: &str) -> (Lab, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let base = std::env::temp_dir().join(format!("respawn-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&base).expect("dir");
    std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let script = base.join("helper");
    write_script(&script, body).expect("script");
    let mut spec = LabSpec::new(2, 100, 1000);
    let line = format!("respawn {user} {} {}", script.display(), base.display());
    spec.extra_ha_cf = vec![line];
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

#[test]
fn status_100_is_not_restarted() {
    let body = "#!/bin/sh\necho $$ >> \"$1/pids\"\nexit 100\n";
    let (lab, base) = lab_with("exit100", body);
    wait_until("the run ended", || {
        lab.status(0)
            .is_ok_and(|v| v.respawned.first().is_some_and(|r| r.state == "exited"))
    });
    assert_eq!(numbers(&base.join("pids")).len(), 1);
    let _ = std::fs::remove_dir_all(base);
}

#[test]
fn the_command_runs_as_its_user() {
    if !Uid::effective().is_root() {
        eprintln!("skipped: needs root to change users");
        return;
    }
    let Some(nobody) = User::from_name("nobody").ok().flatten() else {
        eprintln!("skipped: no user `nobody`");
        return;
    };
    let body = "#!/bin/sh\necho \"$(id -u) $(id -g) $(id -G)\" > \"$1/ids.tmp\"\n\
                mv \"$1/ids.tmp\" \"$1/ids\"\nexec sleep 600\n";
    let (mut lab, base) = lab_as("user", "nobody", body);
    let ids = base.join("ids");
    wait_until("the helper wrote its ids", || ids.exists());
    let text = std::fs::read_to_string(&ids).expect("ids");
    let words: Vec<u32> = text
        .split_whitespace()
        .map(|w| w.parse().expect("id"))
        .collect();
    assert_eq!(words[0], nobody.uid.as_raw(), "{text}");
    assert_eq!(words[1], nobody.gid.as_raw(), "{text}");
    assert!(
        !words[2..].contains(&0),
        "root's groups were dropped: {text}"
    );
    lab.terminate(0);
    assert_eq!(lab.wait_exit(0, PATIENCE), Some(0), "heartbeatd exits 0");
    let _ = std::fs::remove_dir_all(base);
}
