//! Resource scripts: `script args… start|stop|status`, as Heartbeat's
//! ResourceManager runs them.
//!
//! A script is looked up in the configured directories in order (normally
//! `ha.d/resource.d`, then `/etc/init.d`) and executed directly, never through
//! a shell: its arguments come from `haresources`, nothing from the network
//! reaches it. Each call has a timeout after which the script and its
//! process group are killed (see [`crate::child`]) and the call counted as
//! failed. A group starts left to right; if one resource fails to
//! start, those already started are stopped again, right to left, and the
//! start fails. A group stops right to left, every resource being tried even
//! after a failure. `IPaddr` and `IPaddr2` are built in (see [`crate::ipaddr`]).

use std::path::PathBuf;
use std::time::Duration;

use heartbeat_core::config::{Resource, ResourceGroup};
use heartbeat_core::engine::ActionKind;
use tokio::process::Command;

use crate::child::{self, Ending};
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
    /// How long it ran.
    pub took: Duration,
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
        child::find_program(&self.dirs, script)
    }

    /// Runs `resource` with `verb` (`start`, `stop`, `status`).
    pub async fn run(&self, resource: &Resource, verb: &str) -> ScriptRun {
        let started = std::time::Instant::now();
        let mut run = self.run_untimed(resource, verb).await;
        run.took = started.elapsed();
        run
    }

    async fn run_untimed(&self, resource: &Resource, verb: &str) -> ScriptRun {
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
                took: Duration::ZERO,
            };
        }
        let Some(path) = self.find(&resource.script) else {
            return ScriptRun {
                command,
                outcome: ScriptOutcome::NotFound,
                output: String::new(),
                took: Duration::ZERO,
            };
        };
        let mut command_line = Command::new(&path);
        command_line.args(&resource.args).arg(verb);
        let done = child::run(command_line, None, self.timeout).await;
        let outcome = match done.ending {
            Ending::Exited(0) => ScriptOutcome::Success,
            Ending::Exited(code) => ScriptOutcome::Failed(Some(code)),
            Ending::Signalled => ScriptOutcome::Failed(None),
            Ending::TimedOut => ScriptOutcome::TimedOut,
            Ending::SpawnError(e) => ScriptOutcome::SpawnError(e),
        };
        ScriptRun {
            command,
            outcome,
            output: done.output,
            took: Duration::ZERO,
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

fn describe(resource: &Resource, verb: &str) -> String {
    let mut words = vec![resource.script.as_str()];
    words.extend(resource.args.iter().map(String::as_str));
    words.push(verb);
    words.join(" ")
}
