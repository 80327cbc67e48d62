//! `realtime` (on by default): as root, every thread of a running heartbeatd
//! is under SCHED_RR, and the programs it runs (here a health check) are
//! not; `realtime off` leaves the daemon at normal priority.

use std::time::Duration;

use heartbeat_lab::{write_script, Lab, LabSpec};
use heartbeatd::realtime::{policy_in_stat, thread_policy};

const SCHED_RR: u32 = 2;

/// The scheduling policy of every thread of process `pid`.
fn policies(pid: u32) -> Vec<u32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("task dir")
        .flatten()
        .filter_map(|t| t.file_name().to_str()?.parse().ok())
        .filter_map(|tid| thread_policy(pid, tid).ok())
        .collect()
}

fn lab(extra: &[&str]) -> Lab {
    let mut spec = LabSpec::new(2, 100, 1000);
    spec.extra_ha_cf = extra.iter().map(|s| (*s).to_owned()).collect();
    let mut lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    lab.start_all().expect("start");
    lab.expect_running_only_on("web", 0, Duration::from_secs(30));
    lab
}

#[test]
fn daemon_threads_run_realtime_and_scripts_do_not() {
    if !nix::unistd::geteuid().is_root() {
        println!("skipped: SCHED_RR needs root");
        return;
    }
    // A (tracked, so running) health check that records its own policy.
    let dir = std::env::temp_dir().join(format!("hb-rt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("record-policy");
    let out = dir.join("stat");
    write_script(
        &script,
        &format!("#!/bin/sh\ncat /proc/$$/stat > '{}'\n", out.display()),
    )
    .unwrap();
    let check = format!("check pol command {} interval 100ms", script.display());
    let mut lab = lab(&[&check, "track lab-logger::web pol"]);
    let pid = lab.pid(0).expect("pid");
    let all = policies(pid);
    assert!(all.len() >= 3, "{all:?}");
    assert!(all.iter().all(|p| *p == SCHED_RR), "{all:?}");
    let recorded = lab.wait_for(Duration::from_secs(10), |_| {
        policy_in_stat(&std::fs::read_to_string(&out).ok()?).ok()
    });
    assert_eq!(recorded, Some(0), "the check runs at normal priority");
    drop(lab);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn realtime_off_keeps_normal_priority() {
    let lab = lab(&["realtime off"]);
    let pid = lab.pid(0).expect("pid");
    let all = policies(pid);
    assert!(all.iter().all(|p| *p == 0), "{all:?}");
}
