//! Resource script runner: order, rollback, timeout, lookup.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use heartbeat_core::config::{Resource, ResourceGroup};
use heartbeat_core::engine::ActionKind;
use heartbeatd::scripts::{status_says_running, ScriptOutcome, ScriptRunner};

struct Fixture {
    dir: PathBuf,
    log: PathBuf,
}

impl Fixture {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("hb-scripts-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let log = dir.join("calls.log");
        Fixture { dir, log }
    }

    /// A script that logs `name args…` and exits with `code` for `fail_verb`.
    fn script(&self, name: &str, fail_verb: &str) {
        let body = format!(
            "#!/bin/sh\necho \"{name} $*\" >> '{}'\necho \"output of {name} $*\"\n\
             for last; do :; done\n[ \"$last\" = '{fail_verb}' ] && exit 3\nexit 0\n",
            self.log.display()
        );
        write_exec(&self.dir.join(name), &body);
    }

    fn calls(&self) -> Vec<String> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn runner(&self) -> ScriptRunner {
        ScriptRunner::new(vec![self.dir.clone()], Duration::from_secs(5))
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn write_exec(path: &Path, body: &str) {
    fs::write(path, body).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn resource(script: &str, args: &[&str]) -> Resource {
    Resource {
        script: script.into(),
        args: args.iter().map(|a| a.to_string()).collect(),
    }
}

fn group(resources: Vec<Resource>) -> ResourceGroup {
    ResourceGroup {
        key: "g".into(),
        preferred_node: "node1".into(),
        resources,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn group_starts_left_to_right_and_stops_right_to_left() {
    let fx = Fixture::new("order");
    for name in ["a", "b", "c"] {
        fx.script(name, "never");
    }
    let g = group(vec![
        resource("a", &["x"]),
        resource("b", &[]),
        resource("c", &["1", "2"]),
    ]);
    let rt = runtime();
    assert!(rt.block_on(fx.runner().run_group(&g, ActionKind::Start)).ok);
    assert!(rt.block_on(fx.runner().run_group(&g, ActionKind::Stop)).ok);
    assert_eq!(
        fx.calls(),
        [
            "a x start",
            "b start",
            "c 1 2 start",
            "c 1 2 stop",
            "b stop",
            "a x stop"
        ]
    );
}

#[test]
fn failed_start_rolls_back_what_was_started() {
    let fx = Fixture::new("rollback");
    fx.script("a", "never");
    fx.script("b", "start");
    fx.script("c", "never");
    let g = group(vec![
        resource("a", &[]),
        resource("b", &[]),
        resource("c", &[]),
    ]);
    let report = runtime().block_on(fx.runner().run_group(&g, ActionKind::Start));
    assert!(!report.ok);
    assert_eq!(fx.calls(), ["a start", "b start", "a stop"]);
    assert_eq!(report.runs[1].outcome, ScriptOutcome::Failed(Some(3)));
    assert!(report.runs[1].output.contains("output of b start"));
}

#[test]
fn failed_stop_still_stops_the_rest_and_reports_failure() {
    let fx = Fixture::new("stopfail");
    fx.script("a", "never");
    fx.script("b", "stop");
    let g = group(vec![resource("a", &[]), resource("b", &[])]);
    let report = runtime().block_on(fx.runner().run_group(&g, ActionKind::Stop));
    assert!(!report.ok);
    assert_eq!(fx.calls(), ["b stop", "a stop"]);
}

#[test]
fn hung_script_is_killed_at_its_timeout() {
    let fx = Fixture::new("timeout");
    write_exec(&fx.dir.join("slow"), "#!/bin/sh\nexec sleep 30\n");
    let runner = ScriptRunner::new(vec![fx.dir.clone()], Duration::from_millis(200));
    let started = std::time::Instant::now();
    let run = runtime().block_on(runner.run(&resource("slow", &[]), "start"));
    assert_eq!(run.outcome, ScriptOutcome::TimedOut);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "not waited out"
    );
}

#[test]
fn lookup_follows_directory_order_and_refuses_paths() {
    let first = Fixture::new("first");
    let second = Fixture::new("second");
    second.script("only-second", "never");
    first.script("both", "never");
    second.script("both", "never");
    fs::write(first.dir.join("plain"), "not executable").unwrap();
    let runner = ScriptRunner::new(
        vec![first.dir.clone(), second.dir.clone()],
        Duration::from_secs(1),
    );
    assert_eq!(runner.find("both"), Some(first.dir.join("both")));
    assert_eq!(
        runner.find("only-second"),
        Some(second.dir.join("only-second"))
    );
    assert_eq!(runner.find("plain"), None);
    assert_eq!(runner.find("../second/both"), None);
    assert_eq!(runner.find(".."), None);
    let run = runtime().block_on(runner.run(&resource("missing", &[]), "start"));
    assert_eq!(run.outcome, ScriptOutcome::NotFound);
}

#[test]
fn status_output_is_read_as_heartbeat_reads_it() {
    assert!(status_says_running("httpd is running"));
    assert!(status_says_running("OK"));
    assert!(!status_says_running("httpd is not running"));
    assert!(!status_says_running("stopped"));
}

#[test]
fn script_leaving_a_daemon_on_its_pipes_still_finishes() {
    let fx = Fixture::new("daemon");
    write_exec(
        &fx.dir.join("daemonizes"),
        "#!/bin/sh\necho started\nsleep 30 &\nexit 0\n",
    );
    let started = std::time::Instant::now();
    let run = runtime().block_on(fx.runner().run(&resource("daemonizes", &[]), "start"));
    assert_eq!(run.outcome, ScriptOutcome::Success);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "did not wait for the pipes"
    );
}
