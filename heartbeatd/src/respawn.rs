//! `respawn` and `failfast`: commands heartbeatd starts with the node,
//! starts again when they exit, and stops at shutdown, as Heartbeat 3.0.6
//! does (see `heartbeat_core::config::RespawnChild` for what Heartbeat
//! does, read in its `config.c` and `heartbeat.c`).
//!
//! Each command runs as its user (supplementary groups of the user, its
//! primary group, its uid), as `/bin/sh -c "exec COMMAND"` (the shell
//! splits the words, then is replaced by the program), in a process group
//! of its own, with `/dev/null` as standard input, output and error.
//!
//! - Restarts follow Heartbeat's limit ([`RateLimiter`]): a run shorter than
//!   [`SHORT_RUN`] is too fast; after a too-fast run the restart waits
//!   [`FAST_RESTART_DELAY`]; the exit that makes [`MAX_FAST_RESTARTS`] + 1
//!   too-fast runs in a row ends the restarts for good (logged). Exit
//!   status [`NO_RESPAWN_STATUS`] (100) is never restarted.
//! - `failfast`: a command killed by a signal or exiting non-zero (outside
//!   of a shutdown) makes the node reboot, as Heartbeat's `cl_reboot`.
//! - Heartbeat's own programs (`ipfail`, `ccm`... under
//!   `/usr/lib/heartbeat` or `/usr/libexec/heartbeat`) need Heartbeat's
//!   client API, which heartbeatd does not serve: they are not started, and
//!   a warning says so once (ping nodes replace `ipfail`).
//! - [`Respawner::stop`] ends them all at shutdown: SIGTERM to each process
//!   group, SIGKILL to what is left after a grace period.
//!
//! Differences from Heartbeat, on purpose: the commands are stopped side by
//! side (Heartbeat stops them one after the other, the last configured
//! first, and has no SIGKILL); a `failfast` command dying of the shutdown's
//! own SIGTERM does not reboot the node; `env` lines do not reach the
//! commands; a program that cannot be executed any more is retried under
//! the same limit (Heartbeat checks it before each start and stops).

use std::ffi::CString;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use heartbeat_core::config::RespawnChild;
use heartbeat_core::control::RespawnedView;
use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::{Gid, Pid, Uid, User};
use tokio::process::Command;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A run shorter than this is "too fast" (Heartbeat: 30 s).
pub const SHORT_RUN: Duration = Duration::from_secs(30);
/// Too-fast runs in a row that are still restarted (Heartbeat: 10; the
/// 11th too-fast exit in a row ends the restarts).
pub const MAX_FAST_RESTARTS: u32 = 10;
/// The wait before a restart that follows a too-fast run (Heartbeat: 1 s).
pub const FAST_RESTART_DELAY: Duration = Duration::from_secs(1);
/// The exit status that asks not to be restarted (Heartbeat: 100).
pub const NO_RESPAWN_STATUS: i32 = 100;
/// How long a command has after SIGTERM at shutdown before SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// What to do after a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Start the command again after this delay.
    Restart(Duration),
    /// Too many too-fast runs in a row: do not start it again.
    GiveUp,
}

/// Heartbeat's restart limit for one command, as a pure function of how
/// long each run lasted (`ManagedChildDied`'s `shortrcount`).
#[derive(Clone, Debug, Default)]
pub struct RateLimiter {
    fast_runs: u32,
}

impl RateLimiter {
    /// The decision after a run that lasted `ran_for`.
    pub fn after_run(&mut self, ran_for: Duration) -> Next {
        if ran_for < SHORT_RUN {
            self.fast_runs += 1;
        } else {
            self.fast_runs = 0;
        }
        if self.fast_runs > MAX_FAST_RESTARTS {
            self.fast_runs = 0;
            Next::GiveUp
        } else if self.fast_runs > 0 {
            Next::Restart(FAST_RESTART_DELAY)
        } else {
            Next::Restart(Duration::ZERO)
        }
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Exited with this status.
    Status(i32),
    /// Killed by this signal.
    Signal(i32),
}

impl Exit {
    /// Whether a `failfast` command ending so reboots the node (Heartbeat:
    /// a signal, or a non-zero status outside of a shutdown).
    pub fn is_failfast_death(self) -> bool {
        match self {
            Exit::Signal(_) => true,
            Exit::Status(code) => code != 0,
        }
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Status(code) => write!(f, "exited with status {code}"),
            Exit::Signal(signal) => write!(f, "killed by signal {signal}"),
        }
    }
}

/// The state of every command, shared with the control socket's status.
#[derive(Clone, Debug, Default)]
pub struct RespawnStatus(Arc<Mutex<Vec<RespawnedView>>>);

impl RespawnStatus {
    /// The commands and their state, in `ha.cf` order.
    pub fn snapshot(&self) -> Vec<RespawnedView> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// What a `failfast` death does: given the command, ends the node.
pub type FailfastAction = Arc<dyn Fn(&str) + Send + Sync>;

/// Reboots the machine at once (after a `sync`), as Heartbeat's
/// `cl_reboot` does for a `failfast` command that died.
pub fn reboot_now(command: &str) {
    tracing::error!("failfast command \"{command}\" died: rebooting this node now");
    nix::unistd::sync();
    let Err(e) = nix::sys::reboot::reboot(nix::sys::reboot::RebootMode::RB_AUTOBOOT);
    tracing::error!("cannot reboot after the death of failfast command \"{command}\": {e}");
}

/// The running commands of `respawn`/`failfast` lines.
pub struct Respawner {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    status: RespawnStatus,
}

/// A command ready to run: its line and the identity to take.
struct Prepared {
    child: RespawnChild,
    identity: Option<Identity>,
}

/// The ids a command takes before its program runs.
#[derive(Clone)]
struct Identity {
    uid: Uid,
    gid: Gid,
    groups: Vec<Gid>,
}

/// The ids of `child`'s user; `None` when heartbeatd already runs as that
/// user without being root (no change needed, none possible).
fn identity(child: &RespawnChild) -> anyhow::Result<Option<Identity>> {
    let where_ = format!("ha.cf line {}: {}", child.line, child.directive());
    let user = User::from_name(&child.user)
        .with_context(|| format!("{where_}: cannot look up user `{}`", child.user))?
        .with_context(|| format!("{where_}: no user `{}` on this machine", child.user))?;
    let euid = Uid::effective();
    if !euid.is_root() {
        if user.uid == euid {
            return Ok(None);
        }
        bail!(
            "{where_}: cannot run \"{}\" as `{}`: heartbeatd does not run as root",
            child.command,
            child.user
        );
    }
    let name = CString::new(user.name.clone()).context("user name with a NUL byte")?;
    let groups = nix::unistd::getgrouplist(&name, user.gid)
        .with_context(|| format!("{where_}: cannot read the groups of `{}`", child.user))?;
    Ok(Some(Identity {
        uid: user.uid,
        gid: user.gid,
        groups,
    }))
}

impl Respawner {
    /// Starts the commands of `children` (the lines of Heartbeat's own
    /// programs are skipped with a warning). Fails, starting nothing, when a
    /// user is unknown or cannot be taken.
    pub fn spawn(children: &[RespawnChild], failfast: FailfastAction) -> anyhow::Result<Self> {
        let mut prepared = Vec::new();
        for child in children {
            if child.needs_heartbeat_api() {
                tracing::warn!(
                    "ha.cf line {}: not starting \"{}\": it needs Heartbeat's client API, \
                     which heartbeatd does not serve (ping nodes replace ipfail)",
                    child.line,
                    child.command
                );
                continue;
            }
            prepared.push(Prepared {
                identity: identity(child)?,
                child: child.clone(),
            });
        }
        let (stop, stopped) = watch::channel(false);
        let status = RespawnStatus(Arc::new(Mutex::new(
            prepared
                .iter()
                .map(|p| RespawnedView {
                    command: p.child.command.clone(),
                    user: p.child.user.clone(),
                    pid: None,
                    restarts: 0,
                    state: "starting".into(),
                })
                .collect::<Vec<_>>(),
        )));
        let tasks = prepared
            .into_iter()
            .enumerate()
            .map(|(index, p)| {
                let keeper = Keeper {
                    index,
                    status: status.clone(),
                    failfast: Arc::clone(&failfast),
                };
                tokio::spawn(keeper.keep(p, stopped.clone()))
            })
            .collect();
        Ok(Respawner {
            stop,
            tasks,
            status,
        })
    }

    /// The state of the commands, kept up to date.
    pub fn status(&self) -> RespawnStatus {
        self.status.clone()
    }

    /// Stops every command (SIGTERM to its process group, SIGKILL after
    /// [`STOP_GRACE`]) and waits until they are gone.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for Respawner {
    fn drop(&mut self) {
        // A daemon that ends without `stop` (an error) still stops them:
        // each task kills its group when told.
        let _ = self.stop.send(true);
    }
}

/// The task keeping one command running.
struct Keeper {
    index: usize,
    status: RespawnStatus,
    failfast: FailfastAction,
}

impl Keeper {
    fn update(&self, f: impl FnOnce(&mut RespawnedView)) {
        let mut all = self.status.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = all.get_mut(self.index) {
            f(entry);
        }
    }

    async fn keep(self, p: Prepared, mut stopped: watch::Receiver<bool>) {
        let child = &p.child;
        let mut limiter = RateLimiter::default();
        let mut delay = Duration::ZERO;
        let mut restarts = 0u32;
        loop {
            if !delay.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = until_stopped(&mut stopped) => break,
                }
            }
            if *stopped.borrow() {
                break;
            }
            let mut running = match start(&p) {
                Ok(running) => running,
                Err(e) => {
                    tracing::error!("cannot start \"{}\": {e}", child.command);
                    self.update(|s| s.state = "failed".into());
                    return;
                }
            };
            let pid = running.id();
            let started = Instant::now();
            tracing::info!(
                "Started \"{}\" as {} (pid {})",
                child.command,
                child.user,
                pid.unwrap_or(0)
            );
            self.update(|s| {
                s.pid = pid;
                s.restarts = restarts;
                s.state = "running".into();
            });
            let status = tokio::select! {
                status = running.wait() => status,
                () = until_stopped(&mut stopped) => {
                    terminate(&mut running, pid, &child.command).await;
                    break;
                }
            };
            self.update(|s| s.pid = None);
            let exit = match status {
                Ok(status) => match status.code() {
                    Some(code) => Exit::Status(code),
                    None => Exit::Signal(status.signal().unwrap_or(0)),
                },
                Err(e) => {
                    tracing::error!("cannot wait for \"{}\": {e}", child.command);
                    self.update(|s| s.state = "failed".into());
                    return;
                }
            };
            if *stopped.borrow() {
                break;
            }
            tracing::error!(
                "Client \"{}\" (pid {}) {exit}",
                child.command,
                pid.unwrap_or(0)
            );
            if child.failfast && exit.is_failfast_death() {
                (self.failfast)(&child.command);
            }
            if exit == Exit::Status(NO_RESPAWN_STATUS) {
                tracing::warn!(
                    "\"{}\" exited with status {NO_RESPAWN_STATUS}: not restarted",
                    child.command
                );
                self.update(|s| s.state = "exited".into());
                return;
            }
            match limiter.after_run(started.elapsed()) {
                Next::GiveUp => {
                    tracing::error!(
                        "Client \"{}\" respawning too fast ({} runs in a row shorter than {} s): \
                         not restarted again",
                        child.command,
                        MAX_FAST_RESTARTS + 1,
                        SHORT_RUN.as_secs()
                    );
                    self.update(|s| s.state = "given up".into());
                    return;
                }
                Next::Restart(after) => {
                    restarts += 1;
                    tracing::warn!("Respawning \"{}\" (restart {restarts})", child.command);
                    self.update(|s| s.state = "restarting".into());
                    delay = after;
                }
            }
        }
        self.update(|s| {
            s.pid = None;
            s.state = "stopped".into();
        });
    }
}

/// Returns once the stop has been asked for.
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

/// Starts one run of the command of `p`.
#[allow(unsafe_code)]
fn start(p: &Prepared) -> std::io::Result<tokio::process::Child> {
    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(format!("exec {}", p.child.command))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(id) = p.identity.clone() {
        // SAFETY: only async-signal-safe system calls between fork and exec
        // (setgroups, setgid, setuid), on data prepared before the fork.
        unsafe {
            command.pre_exec(move || {
                nix::unistd::setgroups(&id.groups)?;
                nix::unistd::setgid(id.gid)?;
                nix::unistd::setuid(id.uid)?;
                Ok(())
            });
        }
    }
    command.spawn()
}

/// Ends a run at shutdown: SIGTERM to its process group, SIGKILL to what
/// is left of the group after [`STOP_GRACE`].
async fn terminate(running: &mut tokio::process::Child, pid: Option<u32>, command: &str) {
    let Some(group) = pid.and_then(|p| i32::try_from(p).ok()).map(Pid::from_raw) else {
        let _ = running.kill().await;
        return;
    };
    tracing::info!("Stopping \"{command}\" (process group {group})");
    let _ = killpg(group, Signal::SIGTERM);
    let deadline = tokio::time::Instant::now() + STOP_GRACE;
    let mut reaped = false;
    loop {
        if !reaped {
            reaped = matches!(running.try_wait(), Ok(Some(_)));
        }
        // The group is gone when no process is left in it.
        if reaped && killpg(group, None) == Err(Errno::ESRCH) {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tracing::warn!("\"{command}\" still runs {STOP_GRACE:?} after SIGTERM: killing its group");
    let _ = killpg(group, Signal::SIGKILL);
    let _ = running.wait().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_limit_over_virtual_time() {
        let mut limiter = RateLimiter::default();
        // A long run restarts at once and keeps the count at zero.
        assert_eq!(
            limiter.after_run(Duration::from_secs(31)),
            Next::Restart(Duration::ZERO)
        );
        // Ten too-fast runs in a row are restarted, each after 1 s...
        for _ in 0..MAX_FAST_RESTARTS {
            assert_eq!(
                limiter.after_run(Duration::from_secs(1)),
                Next::Restart(FAST_RESTART_DELAY)
            );
        }
        // ...the eleventh is not.
        assert_eq!(limiter.after_run(Duration::from_millis(5)), Next::GiveUp);
    }

    #[test]
    fn a_long_run_resets_the_count() {
        let mut limiter = RateLimiter::default();
        for _ in 0..MAX_FAST_RESTARTS {
            assert_ne!(limiter.after_run(Duration::ZERO), Next::GiveUp);
        }
        assert_eq!(
            limiter.after_run(SHORT_RUN),
            Next::Restart(Duration::ZERO),
            "a run of exactly 30 s is not too fast"
        );
        for _ in 0..MAX_FAST_RESTARTS {
            assert_ne!(limiter.after_run(Duration::ZERO), Next::GiveUp);
        }
        assert_eq!(limiter.after_run(Duration::ZERO), Next::GiveUp);
    }

    #[test]
    fn failfast_deaths() {
        assert!(Exit::Signal(9).is_failfast_death());
        assert!(Exit::Status(1).is_failfast_death());
        assert!(!Exit::Status(0).is_failfast_death());
    }
}
