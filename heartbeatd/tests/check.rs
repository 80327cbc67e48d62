//! `heartbeatd --config-dir DIR [--node-name NAME] --check`: output and exit codes.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A copy of the sample `ha.d/` in a temporary directory, removed on drop.
struct SampleCopy(PathBuf);

impl SampleCopy {
    fn new(authkeys_mode: u32) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "heartbeatd-check-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ha.d");
        for name in ["ha.cf", "authkeys", "haresources"] {
            std::fs::copy(sample.join(name), dir.join(name)).unwrap();
        }
        let keys = dir.join("authkeys");
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(authkeys_mode)).unwrap();
        SampleCopy(dir)
    }

    fn edit(&self, name: &str, f: impl FnOnce(String) -> String) {
        let path = self.0.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, f(text)).unwrap();
    }
}

impl Drop for SampleCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn heartbeatd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heartbeatd"))
        .args(args)
        .output()
        .expect("run heartbeatd")
}

fn check(dir: &Path, node: &str) -> Output {
    heartbeatd(&[
        "--config-dir",
        dir.to_str().unwrap(),
        "--node-name",
        node,
        "--check",
    ])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn sample_checks_ok_and_prints_the_effective_configuration() {
    let dir = SampleCopy::new(0o600);
    let out = check(&dir.0, "Node1");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    for line in [
        "node node1",
        "node node2",
        "keepalive 1000ms",
        "deadtime 10000ms",
        "warntime 5000ms",
        "initdead 20000ms",
        "deadping 10000ms",
        "udpport 694",
        "ucast lo 127.0.0.1",
        "auto_failback on",
        "auth 1",
        "1 sha256",
        "group hb-logger::web node1 hb-logger::web",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "missing {line:?} in\n{stdout}"
        );
    }
    let secret = std::fs::read_to_string(dir.0.join("authkeys")).unwrap();
    let secret = secret
        .lines()
        .find(|l| l.starts_with("1 "))
        .unwrap()
        .split(' ')
        .nth(2)
        .unwrap();
    assert!(!stdout.contains(secret), "the key leaked:\n{stdout}");
}

#[test]
fn every_error_is_printed_and_the_exit_code_is_nonzero() {
    let dir = SampleCopy::new(0o644);
    dir.edit("ha.cf", |t| {
        t.replace("deadtime 10", "deadtime 1")
            .replace("udpport 694", "udpport 694\nfrobnicate yes")
    });
    dir.edit("haresources", |t| format!("{t}node7 hb-logger::x\n"));
    let ha_cf = std::fs::read_to_string(dir.0.join("ha.cf")).unwrap();
    let line_of = |prefix: &str| ha_cf.lines().position(|l| l.starts_with(prefix)).unwrap() + 1;
    let (deadtime, frobnicate) = (line_of("deadtime "), line_of("frobnicate"));
    let haresources = std::fs::read_to_string(dir.0.join("haresources")).unwrap();
    let node7 = haresources.lines().count();
    let out = check(&dir.0, "node1");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 4, "{stderr}");
    assert!(
        stderr.contains("authkeys: authkeys holds secrets but its mode is 0644"),
        "{stderr}"
    );
    assert!(stderr.contains("chmod 600"), "{stderr}");
    let expected = [
        format!("ha.cf:{deadtime}: deadtime must be greater than 2 × keepalive"),
        format!("ha.cf:{frobnicate}: unknown directive `frobnicate`"),
        format!("haresources:{node7}: preferred node `node7`"),
    ];
    for e in expected {
        assert!(stderr.contains(&e), "{e:?} not in\n{stderr}");
    }
    assert!(stderr.contains("4 error(s)"), "{stderr}");
}

#[test]
fn unknown_node_name_fails() {
    let dir = SampleCopy::new(0o600);
    let out = check(&dir.0, "node3");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("this node `node3` is not listed"));
}

#[test]
fn warnings_go_to_stderr_and_do_not_fail() {
    let dir = SampleCopy::new(0o600);
    dir.edit("ha.cf", |t| format!("{t}coredumps true\n"));
    let out = check(&dir.0, "node2");
    assert!(out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("warning: "), "{stderr}");
    assert!(
        stderr.contains("directive `coredumps` has no effect in heartbeat-rs"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: No STONITH device configured. Shared disks are not protected.\n"),
        "{stderr}"
    );
}

#[test]
fn missing_directory_fails() {
    let out = check(Path::new("/nonexistent/ha.d"), "node1");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("/nonexistent/ha.d/ha.cf: cannot read the file"));
}

#[test]
fn bad_arguments_are_a_usage_error() {
    let out = heartbeatd(&["--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_daemon_refuses_to_start_on_a_bad_configuration() {
    let dir = SampleCopy::new(0o600);
    dir.edit("ha.cf", |t| t.replace("keepalive 1", "keepalive banana"));
    let ha_cf = std::fs::read_to_string(dir.0.join("ha.cf")).unwrap();
    let line = ha_cf
        .lines()
        .position(|l| l.starts_with("keepalive "))
        .unwrap()
        + 1;
    let state = dir.0.join("state");
    let out = heartbeatd(&[
        "--config-dir",
        dir.0.to_str().unwrap(),
        "--node-name",
        "node1",
        "--state-dir",
        state.to_str().unwrap(),
        "--control-socket",
        dir.0.join("control").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("ha.cf:{line}:")), "{stderr}");
    assert!(!state.exists(), "nothing was started or written");
}

#[test]
fn nodeinfo_names_the_node_when_no_option_does() {
    let dir = SampleCopy::new(0o600);
    std::fs::write(dir.0.join("nodeinfo"), "Node2\n").unwrap();
    let out = heartbeatd(&["--config-dir", dir.0.to_str().unwrap(), "--check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("# effective configuration of node node2"));
    let out = check(&dir.0, "node1");
    assert!(
        text(&out.stdout).contains("# effective configuration of node node1"),
        "the option wins"
    );
}
