//! Resource scripts: `script args… start|stop|status`, as Heartbeat's
//! ResourceManager runs them.
//!
//! A script is looked up in the configured directories in order (normally
//! `ha.d/resource.d`, then `/etc/init.d`) and executed directly, never through
//! a shell: its arguments come from `haresources`, nothing from the network
//! reaches it. Each call has a timeout after which the script is killed and
//! counted as failed. A group starts left to right; if one resource fails to
//! start, those already started are stopped again, right to left, and the
//! start fails. A group stops right to left, every resource being tried even
//! after a failure. `IPaddr` and `IPaddr2` are built in (see [`crate::ipaddr`]).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use heartbeat_core::config::{Resource, ResourceGroup};
use heartbeat_core::engine::ActionKind;
use tokio::process::Command;

use crate::ipaddr;

/// What one script call printed and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptRun {
    /// The command line, for the log (`IPaddr 10.0.0.1 start`).
    pub command: String,
    /// How it ended.
    pub outcome: ScriptOutcome,
    /// Standard output and standard error, as text.
    pub output: String,
}

/// How a script call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptOutcome {
    /// Exit status 0.
    Success,
    /// A non-zero exit status, or killed by a signal (`None`).
    Failed(Option<i32>),
    /// Still running at the timeout; it was killed.
    TimedOut,
    /// No executable of that name in any directory.
    NotFound,
    /// The script could not be started.
    SpawnError(String),
}

impl ScriptRun {
    /// Whether the call succeeded.
    pub fn ok(&self) -> bool {
        self.outcome == ScriptOutcome::Success
    }
}

/// The result of a group action: whether it succeeded and every call made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupActionReport {
    /// Whether the action succeeded as a whole.
    pub ok: bool,
    /// The script calls, in the order they ran.
    pub runs: Vec<ScriptRun>,
}

/// Runs resource scripts found in a list of directories.
#[derive(Clone, Debug)]
pub struct ScriptRunner {
    dirs: Vec<PathBuf>,
    timeout: Duration,
}

impl ScriptRunner {
    /// A runner looking in `dirs` in order, killing calls after `timeout`.
    pub fn new(dirs: Vec<PathBuf>, timeout: Duration) -> Self {
        ScriptRunner { dirs, timeout }
    }

    /// The executable for `script`, if a directory holds one. Names with a
    /// path separator or `..` are never looked up.
    pub fn find(&self, script: &str) -> Option<PathBuf> {
        if script.is_empty() || script.contains('/') || script == "." || script == ".." {
            return None;
        }
        self.dirs
            .iter()
            .map(|dir| dir.join(script))
            .find(|path| is_executable(path))
    }

    /// Runs `resource` with `verb` (`start`, `stop`, `status`).
    pub async fn run(&self, resource: &Resource, verb: &str) -> ScriptRun {
        let command = describe(resource, verb);
        if ipaddr::BUILTIN_NAMES.contains(&resource.script.as_str()) {
            let (ok, output) = ipaddr::run(&resource.args, verb).await;
            let outcome = if ok {
                ScriptOutcome::Success
            } else {
                ScriptOutcome::Failed(Some(1))
            };
            return ScriptRun {
                command,
                outcome,
                output,
            };
        }
        let Some(path) = self.find(&resource.script) else {
            return ScriptRun {
                command,
                outcome: ScriptOutcome::NotFound,
                output: String::new(),
            };
        };
        let mut command_line = Command::new(&path);
        command_line
            .args(&resource.args)
            .arg(verb)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // A script being written at this moment (a deploy replacing it, or
        // a copy still open in a sibling's fork) is "text file busy" for a
        // few milliseconds: try again briefly before failing.
        let mut child = command_line.spawn();
        for _ in 0..SPAWN_BUSY_RETRIES {
            match &child {
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    child = command_line.spawn();
                }
                _ => break,
            }
        }
        let mut child = match child {
            Ok(child) => child,
            Err(e) => {
                return ScriptRun {
                    command,
                    outcome: ScriptOutcome::SpawnError(e.to_string()),
                    output: String::new(),
                }
            }
        };
        // Read the pipes beside the wait: a script that starts a daemon may
        // leave it holding them open, so the exit status, not end-of-file,
        // ends the call.
        let stdout = child.stdout.take().map(collect);
        let stderr = child.stderr.take().map(collect);
        let outcome = match tokio::time::timeout(self.timeout, child.wait()).await {
            Err(_elapsed) => {
                let _ = child.kill().await;
                ScriptOutcome::TimedOut
            }
            Ok(Err(e)) => ScriptOutcome::SpawnError(e.to_string()),
            Ok(Ok(status)) if status.success() => ScriptOutcome::Success,
            Ok(Ok(status)) => ScriptOutcome::Failed(status.code()),
        };
        let mut output = String::new();
        for reader in [stdout, stderr].into_iter().flatten() {
            output.push_str(&finish(reader).await);
        }
        ScriptRun {
            command,
            outcome,
            output,
        }
    }

    /// Starts or stops every resource of `group` in the documented order.
    pub async fn run_group(&self, group: &ResourceGroup, kind: ActionKind) -> GroupActionReport {
        match kind {
            ActionKind::Start => self.start_group(group).await,
            ActionKind::Stop => self.stop_resources(group.resources.iter().rev()).await,
        }
    }

    async fn start_group(&self, group: &ResourceGroup) -> GroupActionReport {
        let mut runs = Vec::new();
        for (started, resource) in group.resources.iter().enumerate() {
            let run = self.run(resource, "start").await;
            let ok = run.ok();
            runs.push(run);
            if !ok {
                let undo = self.stop_resources(group.resources[..started].iter().rev());
                runs.extend(undo.await.runs);
                return GroupActionReport { ok: false, runs };
            }
        }
        GroupActionReport { ok: true, runs }
    }

    async fn stop_resources<'a>(
        &self,
        resources: impl Iterator<Item = &'a Resource>,
    ) -> GroupActionReport {
        let mut report = GroupActionReport {
            ok: true,
            runs: Vec::new(),
        };
        for resource in resources {
            let run = self.run(resource, "stop").await;
            report.ok &= run.ok();
            report.runs.push(run);
        }
        report
    }

    /// Whether `resource` reports itself running: `status` output containing
    /// "running" or "OK" but not "not running", as Heartbeat reads it.
    pub async fn is_running(&self, resource: &Resource) -> bool {
        status_says_running(&self.run(resource, "status").await.output)
    }
}

/// Heartbeat's reading of a `status` call's output.
pub fn status_says_running(output: &str) -> bool {
    let lower = output.to_ascii_lowercase();
    (lower.contains("running") && !lower.contains("not running")) || output.contains("OK")
}

/// Longest output kept from one script call.
const MAX_OUTPUT: usize = 64 * 1024;

/// How long output is still read after the script exited.
const OUTPUT_GRACE: Duration = Duration::from_millis(200);

/// Further spawn attempts while a script is "text file busy" (20 ms apart).
const SPAWN_BUSY_RETRIES: usize = 10;

fn collect(
    mut pipe: impl tokio::io::AsyncRead + Unpin + Send + 'static,
) -> tokio::task::JoinHandle<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    tokio::spawn(async move {
        let mut kept = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut chunk).await {
            let room = MAX_OUTPUT.saturating_sub(kept.len());
            kept.extend_from_slice(&chunk[..n.min(room)]);
        }
        kept
    })
}

async fn finish(reader: tokio::task::JoinHandle<Vec<u8>>) -> String {
    let abort = reader.abort_handle();
    match tokio::time::timeout(OUTPUT_GRACE, reader).await {
        Ok(Ok(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        _ => {
            abort.abort();
            String::from("[output not closed by the script]\n")
        }
    }
}

fn describe(resource: &Resource, verb: &str) -> String {
    let mut words = vec![resource.script.as_str()];
    words.extend(resource.args.iter().map(String::as_str));
    words.push(verb);
    words.join(" ")
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}
