//! One external program run to its end or to a time bound: resource
//! scripts, notify hooks, health-check commands, STONITH devices, fence
//! agents.
//!
//! The program is executed directly (never through a shell), in a process
//! group of its own, with optional text on its standard input; standard
//! output and standard error are collected (up to [`MAX_OUTPUT`] each). At
//! the time bound the whole process group is killed, so that a hung
//! `ssh` or `ipmitool` below a script dies with it. A run whose caller
//! gives up first (its future dropped: an outer bound, a shutdown) kills the
//! group too, and stops the tasks reading its pipes, so nothing of it
//! outlives the call but a daemon it started and left behind on success.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio::task::{AbortHandle, JoinHandle};

/// Longest output kept from one stream of one call.
pub const MAX_OUTPUT: usize = 64 * 1024;

/// How long output is still read after the program exited.
const OUTPUT_GRACE: Duration = Duration::from_millis(200);

/// Further spawn attempts while the program is "text file busy" (20 ms
/// apart).
const SPAWN_BUSY_RETRIES: usize = 10;

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The program exited with this status.
    Exited(i32),
    /// The program was killed by a signal (not ours).
    Signalled,
    /// Still running at the time bound: its process group was killed.
    TimedOut,
    /// The program could not be started (missing, not executable...).
    SpawnError(String),
}

/// What a run printed and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    /// How it ended.
    pub ending: Ending,
    /// Standard output, then standard error, as text.
    pub output: String,
}

impl Finished {
    /// Whether the program exited with status 0.
    pub fn success(&self) -> bool {
        self.ending == Ending::Exited(0)
    }
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Exited(code) => write!(f, "exit code {code}"),
            Ending::Signalled => f.write_str("killed by a signal"),
            Ending::TimedOut => f.write_str("timed out (killed)"),
            Ending::SpawnError(e) => write!(f, "cannot run: {e}"),
        }
    }
}

/// Runs `command` (program and arguments set by the caller; its standard
/// streams are set here) with `input` on its standard input (or none),
/// for at most `timeout`.
pub async fn run(mut command: Command, input: Option<String>, timeout: Duration) -> Finished {
    command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    // A program being written at this moment (a deploy replacing it, or a
    // copy still open in a sibling's fork) is "text file busy" for a few
    // milliseconds: try again briefly before failing.
    let mut child = command.spawn();
    for _ in 0..SPAWN_BUSY_RETRIES {
        match &child {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                child = command.spawn();
            }
            _ => break,
        }
    }
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            return Finished {
                ending: Ending::SpawnError(e.to_string()),
                output: String::new(),
            }
        }
    };
    let mut abandoned = Abandoned {
        group: child.id().and_then(|id| i32::try_from(id).ok()),
        helpers: Vec::new(),
    };
    // Written beside the wait: a program that never reads its input must
    // not hold the call up beyond its bound.
    let writer = child.stdin.take().zip(input).map(|(mut stdin, text)| {
        tokio::spawn(async move {
            let _ = stdin.write_all(text.as_bytes()).await;
        })
    });
    // Read the pipes beside the wait too: a program that starts a daemon
    // may leave it holding them open, so the exit status, not end-of-file,
    // ends the call.
    let stdout = child.stdout.take().map(collect);
    let stderr = child.stderr.take().map(collect);
    abandoned.helpers = [
        writer.as_ref().map(JoinHandle::abort_handle),
        stdout.as_ref().map(|c| c.task.abort_handle()),
        stderr.as_ref().map(|c| c.task.abort_handle()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let ending = match tokio::time::timeout(timeout, child.wait()).await {
        Err(_elapsed) => {
            abandoned.kill_group();
            // Not waited for: a program stuck in D state (a dead disk or
            // NFS server) dies only when the kernel lets it, and the bound
            // holds regardless. Tokio reaps it then (`kill_on_drop`).
            let _ = child.start_kill();
            Ending::TimedOut
        }
        Ok(Err(e)) => {
            abandoned.kill_group();
            Ending::SpawnError(e.to_string())
        }
        Ok(Ok(status)) => status.code().map_or(Ending::Signalled, Ending::Exited),
    };
    // From here on the program has been reaped, or killed with its group:
    // its group id may name another group soon, so it is never signalled
    // again.
    abandoned.group = None;
    if let Some(writer) = writer {
        writer.abort();
    }
    // Both streams get the same grace period, at once.
    let (out, err) = tokio::join!(finish(stdout), finish(stderr));
    Finished {
        ending,
        output: out + &err,
    }
}

/// What a run leaves to clean up if its future is dropped before the end:
/// the program's process group (until the program is reaped) and the tasks
/// feeding and reading its pipes. The child itself is killed and reaped by
/// tokio (`kill_on_drop`).
struct Abandoned {
    group: Option<i32>,
    helpers: Vec<AbortHandle>,
}

impl Abandoned {
    /// Kills the whole process group, once.
    fn kill_group(&mut self) {
        if let Some(group) = self.group.take() {
            let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
        }
    }
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        self.kill_group();
        for helper in &self.helpers {
            helper.abort();
        }
    }
}

/// The executable `name` in the first of `dirs` that holds one. Names
/// with a path separator, `.` and `..` are never looked up.
pub fn find_program(dirs: &[PathBuf], name: &str) -> Option<PathBuf> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return None;
    }
    dirs.iter()
        .map(|dir| dir.join(name))
        .find(|path| is_executable(path))
}

/// Whether `path` is a regular file with an execute bit.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// One stream being read: what was kept so far, and the reading task.
struct Collector {
    kept: Arc<Mutex<Vec<u8>>>,
    task: JoinHandle<()>,
}

/// Reads `pipe` to its end, keeping its first [`MAX_OUTPUT`] bytes.
fn collect(mut pipe: impl AsyncRead + Unpin + Send + 'static) -> Collector {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&kept);
    let task = tokio::spawn(async move {
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut chunk).await {
            let mut kept = shared.lock().unwrap_or_else(PoisonError::into_inner);
            let room = MAX_OUTPUT.saturating_sub(kept.len());
            kept.extend_from_slice(&chunk[..n.min(room)]);
        }
    });
    Collector { kept, task }
}

/// What `collector` read, once its stream closed or [`OUTPUT_GRACE`]
/// passed (a daemon the program started still holds it: what was read
/// so far is kept, and the reading stops).
async fn finish(collector: Option<Collector>) -> String {
    let Some(Collector { kept, mut task }) = collector else {
        return String::new();
    };
    let closed = tokio::time::timeout(OUTPUT_GRACE, &mut task).await.is_ok();
    task.abort();
    let bytes = std::mem::take(&mut *kept.lock().unwrap_or_else(PoisonError::into_inner));
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if !closed {
        text.push_str("[output not closed by the program]\n");
    }
    text
}

/// Waits until process `pid` is gone, or a zombie (killed, waiting for
/// its parent or init to reap it).
#[cfg(test)]
pub(crate) async fn wait_gone(pid: i32) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !heartbeat_lab::is_gone(pid) {
        assert!(std::time::Instant::now() < deadline, "process {pid} runs");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("/bin/sh");
        command.arg("-c").arg(script);
        command
    }

    #[tokio::test]
    async fn output_status_and_input() {
        let done = run(
            sh("cat; echo err >&2; exit 3"),
            Some("in\n".into()),
            TIMEOUT,
        )
        .await;
        assert_eq!(done.ending, Ending::Exited(3));
        assert_eq!(done.output, "in\nerr\n");
        assert!(run(sh("true"), None, TIMEOUT).await.success());
    }

    #[tokio::test]
    async fn a_hung_program_and_its_children_are_killed() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild");
        let script = format!("sleep 600 & echo $! > {}; wait", pid_file.display());
        let done = run(sh(&script), None, Duration::from_secs(2)).await;
        assert_eq!(done.ending, Ending::TimedOut);
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        wait_gone(pid).await;
    }

    #[tokio::test]
    async fn a_daemon_left_holding_both_pipes_costs_one_grace_period() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("daemon");
        let script = format!("sleep 30 & echo $! > {}; echo started", pid_file.display());
        let started = std::time::Instant::now();
        let done = run(sh(&script), None, TIMEOUT).await;
        let took = started.elapsed();
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let _ = nix::sys::signal::kill(Pid::from_raw(pid.trim().parse().unwrap()), Signal::SIGKILL);
        assert!(done.success(), "{done:?}");
        assert!(done.output.starts_with("started\n"), "{:?}", done.output);
        assert!(took < OUTPUT_GRACE + OUTPUT_GRACE / 2, "took {took:?}");
    }

    #[tokio::test]
    async fn a_missing_program_cannot_run() {
        let done = run(Command::new("/nonexistent/fence"), None, TIMEOUT).await;
        assert!(matches!(done.ending, Ending::SpawnError(_)), "{done:?}");
    }

    const TIMEOUT: Duration = Duration::from_secs(20);
}
