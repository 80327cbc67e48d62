//! Shared by the golden tests: where the binaries are, a lab cluster shaped
//! like the reference capture, and a runner for golden files written in
//! the reference's own format.
//!
//! # Finding the binaries
//!
//! `cl_status` and `cl-status` are this package's binaries
//! (`CARGO_BIN_EXE_*`). heartbeatd belongs to another package, and a
//! dev-dependency does not build binaries, so [`heartbeatd_binary`] looks,
//! in order, at:
//! 1. `$HEARTBEATD_BIN`;
//! 2. `heartbeatd` next to the `cl-status` binary (`target/debug/`), if it
//!    is newer than every source file of heartbeatd and heartbeat-core:
//!    `cargo test --workspace` always builds it there first, because
//!    heartbeatd's own integration tests need it;
//! 3. otherwise (`cargo test -p cl-status` on a clean or stale tree) it runs
//!    `cargo build -p heartbeatd` into `target/clstatus-heartbeatd` (a
//!    separate target directory: the running `cargo test` holds the lock
//!    of the main one).

#![allow(dead_code)]

pub(crate) mod reference;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use clstatus::logline::{hostname, strip_prefix};
use heartbeat_lab::{Lab, LabSpec};

/// The `cl_status` binary.
pub(crate) fn cl_status() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_cl_status"))
}

/// The `cl-status` binary.
pub(crate) fn cl_dash_status() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_cl-status"))
}

/// The heartbeatd binary (see the module documentation).
pub(crate) fn heartbeatd_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("HEARTBEATD_BIN") {
            return PathBuf::from(path);
        }
        let sibling = cl_dash_status().with_file_name("heartbeatd");
        if is_fresh(&sibling) {
            return sibling;
        }
        build_heartbeatd()
    })
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cl-status is in the workspace")
        .to_path_buf()
}

fn newest_mtime(dir: &Path, newest: &mut SystemTime) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            newest_mtime(&path, newest);
        } else if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
            *newest = (*newest).max(modified);
        }
    }
}

/// Whether `binary` exists and is newer than the sources it is built from.
fn is_fresh(binary: &Path) -> bool {
    let Ok(built) = fs::metadata(binary).and_then(|m| m.modified()) else {
        return false;
    };
    let root = workspace();
    let mut newest = SystemTime::UNIX_EPOCH;
    for dir in ["heartbeatd/src", "heartbeat-core/src"] {
        newest_mtime(&root.join(dir), &mut newest);
    }
    for file in [
        "Cargo.lock",
        "heartbeatd/Cargo.toml",
        "heartbeat-core/Cargo.toml",
    ] {
        if let Ok(m) = fs::metadata(root.join(file)).and_then(|m| m.modified()) {
            newest = newest.max(m);
        }
    }
    built >= newest
}

fn build_heartbeatd() -> PathBuf {
    let target = cl_dash_status()
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/cl-status")
        .join("clstatus-heartbeatd");
    eprintln!(
        "heartbeatd is not built next to cl-status (or is older than its sources): \
         building it into {}",
        target.display()
    );
    let status = Command::new(env!("CARGO"))
        .current_dir(workspace())
        .args([
            "build",
            "-p",
            "heartbeatd",
            "--bin",
            "heartbeatd",
            "--target-dir",
        ])
        .arg(&target)
        .status()
        .expect("run cargo");
    assert!(status.success(), "cargo build -p heartbeatd failed");
    target.join("debug").join("heartbeatd")
}

/// `ha.cf` lines appended to each lab node's, giving the reference
/// capture's values (keepalive 1 s, deadtime 5 s, ...) as written there.
pub(crate) fn reference_ha_cf(node_dir: &Path) -> String {
    format!(
        "# as in the cl_status reference capture\n\
         use_logd no\nlogfacility none\nlogfile {dir}/ha-log\ndebugfile {dir}/ha-debug\n\
         debug 0\nkeepalive 1\ndeadtime 5\nwarntime 3\ninitdead 10\nauto_failback on\ncrm no\n",
        dir = node_dir.display()
    )
}

/// A two-node loopback lab (`ucast lo`), group `web` preferring node1,
/// with the reference's parameters; started, not yet settled.
pub(crate) fn reference_lab() -> Lab {
    let mut lab = Lab::create(LabSpec::new(2, 1000, 5000), heartbeatd_binary()).expect("lab");
    for i in 0..2 {
        let ha_cf = lab.node_dir(i).join("ha.d/ha.cf");
        let mut text = fs::read_to_string(&ha_cf).expect("read ha.cf");
        text.push_str(&reference_ha_cf(&lab.node_dir(i)));
        fs::write(&ha_cf, text).expect("write ha.cf");
    }
    lab.start_all().expect("start");
    lab
}

/// Waits until every node sees every node active (ping nodes aside) and
/// node `owner` runs `group`.
pub(crate) fn settle(lab: &mut Lab, nodes: usize, group: &str, owner: &str) {
    let settled = lab.wait_for(Duration::from_secs(40), |l| {
        let all_active = (0..nodes).all(|i| {
            l.status(i).is_ok_and(|s| {
                s.nodes
                    .iter()
                    .all(|n| n.status == "active" || n.node_type == "ping")
            })
        });
        let owned = l.running(group) == [owner];
        let quiet = (0..nodes).all(|i| l.status(i).is_ok_and(|s| s.resources != "transition"));
        (all_active && owned && quiet).then_some(())
    });
    assert!(
        settled.is_some(),
        "lab did not settle: {:?} / {:?}; actions {:?}",
        lab.status(0),
        lab.status(1),
        lab.actions()
    );
}

/// The `udpport` a lab node's ha.cf names.
pub(crate) fn udpport(lab: &Lab, i: usize) -> String {
    let text = fs::read_to_string(lab.node_dir(i).join("ha.d/ha.cf")).expect("ha.cf");
    text.lines()
        .find_map(|l| l.strip_prefix("udpport "))
        .expect("udpport line")
        .trim()
        .to_owned()
}

/// Runs `binary` with `args` against `socket`.
pub(crate) fn run(binary: &Path, socket: &Path, args: &[&str]) -> (Output, u32) {
    let child = Command::new(binary)
        .args(args)
        .env("HEARTBEAT_CONTROL_SOCKET", socket)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn cl_status");
    let pid = child.id();
    (child.wait_with_output().expect("wait cl_status"), pid)
}

/// One case of a golden file.
#[derive(Clone, Debug)]
pub(crate) struct Case {
    /// The words after `cl_status`.
    pub(crate) args: Vec<String>,
    /// The node it runs on (0-based), from `# on nodeN`.
    pub(crate) node: usize,
    /// Expected stdout.
    pub(crate) stdout: String,
    /// Expected stderr lines (log prefixes included, as captured).
    pub(crate) stderr: Vec<String>,
    /// Expected exit code.
    pub(crate) code: i32,
    /// Line of the `$` in the golden file.
    pub(crate) line: usize,
}

/// Parses a golden file in the reference's format: `$ cl_status ARGS  #
/// on nodeN`, stdout lines, `[stderr] ` lines, `exit=N`; `#` lines between
/// cases are comments. `{name}` placeholders are replaced from `vars`.
pub(crate) fn parse_golden(text: &str, vars: &[(&str, String)]) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut current: Option<Case> = None;
    for (n, raw) in text.lines().enumerate() {
        let mut line = raw.to_owned();
        for (name, value) in vars {
            line = line.replace(&format!("{{{name}}}"), value);
        }
        if let Some(command) = line.strip_prefix("$ ") {
            assert!(current.is_none(), "line {}: case without exit=", n + 1);
            let (command, on) = command.split_once("# on node").expect("# on nodeN");
            let words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
            assert_eq!(words[0], "cl_status", "line {}", n + 1);
            current = Some(Case {
                args: words[1..].to_vec(),
                node: on.trim().parse::<usize>().expect("node number") - 1,
                stdout: String::new(),
                stderr: Vec::new(),
                code: -1,
                line: n + 1,
            });
        } else if let Some(case) = current.as_mut() {
            if let Some(code) = line.strip_prefix("exit=") {
                case.code = code.trim().parse().expect("exit code");
                cases.push(current.take().expect("case"));
            } else if let Some(err) = line.strip_prefix("[stderr] ") {
                case.stderr.push(err.to_owned());
            } else {
                case.stdout.push_str(&line);
                case.stdout.push('\n');
            }
        }
    }
    assert!(current.is_none(), "golden file ends inside a case");
    cases
}

/// Runs every case with `binary`, node `i`'s socket given by `socket(i)`,
/// and returns the mismatches (empty when all match). Log lines are
/// compared without their date/node/pid prefix, whose shape is checked
/// (program `cl_status`, the child's pid, and the node: `node` when given,
/// or this machine's host name, which is what is shown when the daemon was
/// not asked, as Heartbeat always does).
pub(crate) fn check_cases(
    cases: &[Case],
    binary: &Path,
    socket: impl Fn(usize) -> PathBuf,
    node: impl Fn(usize) -> Option<String>,
) -> Vec<String> {
    let mut mismatches = Vec::new();
    for case in cases {
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let (out, pid) = run(binary, &socket(case.node), &args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let actual: Vec<&str> = stderr.lines().collect();
        let what = format!("line {} `cl_status {}`", case.line, case.args.join(" "));
        if stdout != case.stdout {
            mismatches.push(format!(
                "{what}: stdout\n  expected {:?}\n  actual   {stdout:?}",
                case.stdout
            ));
        }
        let strip =
            |v: &[&str]| -> Vec<String> { v.iter().map(|l| strip_prefix(l).to_owned()).collect() };
        let expected: Vec<&str> = case.stderr.iter().map(String::as_str).collect();
        if strip(&actual) != strip(&expected) {
            mismatches.push(format!(
                "{what}: stderr\n  expected {expected:?}\n  actual   {actual:?}"
            ));
        }
        for (a, e) in actual.iter().zip(&expected) {
            if strip_prefix(e) != *e {
                let shape = format!(" cl_status: [{pid}]: ERROR: ");
                let shows = |n: &str| a.contains(&format!(" {n} cl_status: ["));
                let node_ok = node(case.node).is_none_or(|n| shows(&n)) || shows(&hostname());
                if !a.contains(&shape) || !node_ok {
                    mismatches.push(format!("{what}: log prefix of {a:?}"));
                }
            }
        }
        if out.status.code() != Some(case.code) {
            mismatches.push(format!(
                "{what}: exit {:?}, expected {}",
                out.status.code(),
                case.code
            ));
        }
    }
    mismatches
}
