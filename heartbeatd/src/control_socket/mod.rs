//! The control socket: a Unix stream socket speaking
//! [`heartbeat_core::control`] (one JSON request line, one response line).
//!
//! Who may connect is decided by the socket file's mode (0660 by default)
//! and group. Who may change something is decided here, per connection, from
//! the peer's kernel-checked credentials (SO_PEERCRED): root, or a member of
//! the configured admin group. Reading the status is open to every client
//! that could connect; so is the event stream (`{"request":"events"}`: an
//! `accepted` line, then one JSON event line per engine event until the
//! client closes). Each connection has a deadline (the event stream once
//! accepted has none, but a subscriber that stops reading or hangs up is
//! dropped at once), and request lines are bounded, so a stuck or hostile
//! client costs one task and a few KiB. Clients are bounded in total, per
//! uid and as event subscribers, under the process's fd limit with
//! headroom left for resource scripts ([`ClientLimits`]): nothing a reader
//! of the status can do delays a heartbeat or a failover.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use heartbeat_core::control::{response_line, ErrorKind, Request, Response};
use heartbeat_core::engine::Event;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::broadcast;

mod admission;
mod client;

pub use admission::{Admission, ClientLimits, ClientSlot, Refusal};
pub use client::CLIENT_DEADLINE;

/// What the daemon does with an authorised request.
pub trait RequestHandler: Send + Sync + 'static {
    /// Answers `request` (already checked for permission).
    fn handle(&self, request: Request) -> impl std::future::Future<Output = Response> + Send;

    /// The engine's events, for [`Request::Events`]; `None` refuses it.
    fn subscribe(&self) -> Option<broadcast::Receiver<Event>> {
        None
    }
}

/// Who may change state besides root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdminPolicy {
    /// Members of this group (primary or supplementary) may change state.
    pub admin_gid: Option<u32>,
}

impl AdminPolicy {
    /// Whether a peer with `uid`, primary `gid` and process `pid` may
    /// change state.
    pub fn allows(&self, uid: u32, gid: u32, pid: Option<i32>) -> bool {
        if uid == 0 {
            return true;
        }
        let Some(admin) = self.admin_gid else {
            return false;
        };
        gid == admin || pid.is_some_and(|pid| supplementary_groups(pid).contains(&admin))
    }
}

/// The supplementary groups of process `pid`, read from `/proc/PID/status`.
fn supplementary_groups(pid: i32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("Groups:"))
                .map(|g| {
                    g.split_whitespace()
                        .filter_map(|n| n.parse().ok())
                        .collect()
                })
        })
        .unwrap_or_default()
}

/// A bound control socket.
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
    limits: ClientLimits,
}

/// How long the accept loop pauses when the process is out of file
/// descriptors (or memory), instead of spinning on the error.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

impl ControlSocket {
    /// Binds `path` (replacing a stale socket file; creating the parent
    /// directory), sets its mode and, if given, its group. Clients are
    /// bounded by [`ClientLimits::for_this_process`].
    pub fn bind(path: &Path, mode: u32, group: Option<u32>) -> io::Result<ControlSocket> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let listener = UnixListener::bind(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        if let Some(gid) = group {
            std::os::unix::fs::chown(path, None, Some(gid))?;
        }
        Ok(ControlSocket {
            listener,
            path: path.to_path_buf(),
            limits: ClientLimits::for_this_process(),
        })
    }

    /// Bounds clients by `limits` instead.
    pub fn with_limits(mut self, limits: ClientLimits) -> ControlSocket {
        self.limits = limits;
        self
    }

    /// Serves clients until the task is dropped. A client beyond the
    /// bounds gets one [`ErrorKind::Busy`] line and is closed at once.
    pub async fn serve<H: RequestHandler>(self, handler: Arc<H>, policy: AdminPolicy) {
        let admission = Admission::new(self.limits);
        tracing::debug!("control socket limits: {:?}", self.limits);
        loop {
            let stream = match self.listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) if out_of_resources(&e) => {
                    tracing::warn!("control socket: cannot accept ({e}); pausing");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
                Err(_) => continue,
            };
            // Privilege is decided here, once per connection (it may read
            // /proc for supplementary groups).
            let slot = match stream.peer_cred() {
                Ok(cred) => admission.admit(
                    cred.uid(),
                    policy.allows(cred.uid(), cred.gid(), cred.pid()),
                ),
                Err(_) => continue,
            };
            match slot {
                Ok(slot) => {
                    let handler = Arc::clone(&handler);
                    tokio::spawn(async move {
                        let _ = client::serve(stream, slot, handler.as_ref(), policy).await;
                    });
                }
                Err(refusal) => turn_away(&stream, &refusal),
            }
        }
    }
}

/// Whether an accept error means the process or system ran out of
/// descriptors or memory (retrying at once would spin).
fn out_of_resources(e: &io::Error) -> bool {
    use nix::errno::Errno;
    matches!(
        e.raw_os_error().map(Errno::from_raw),
        Some(Errno::EMFILE | Errno::ENFILE | Errno::ENOBUFS | Errno::ENOMEM)
    )
}

/// Answers a client beyond the bounds with one [`ErrorKind::Busy`] line,
/// without waiting for it (a fresh socket's buffer takes the line), and
/// closes it.
fn turn_away(stream: &UnixStream, refusal: &Refusal) {
    let busy = Response::error(ErrorKind::Busy, format!("{refusal}; try again later"));
    let _ = stream.try_write(response_line(&busy).as_bytes());
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_admin_group_may_change_state() {
        let none = AdminPolicy { admin_gid: None };
        let admins = AdminPolicy {
            admin_gid: Some(500),
        };
        assert!(none.allows(0, 0, None));
        assert!(!none.allows(1000, 500, None));
        assert!(admins.allows(1000, 500, None));
        assert!(!admins.allows(1000, 100, None));
    }

    #[test]
    fn supplementary_groups_are_read_from_proc() {
        let me = i32::try_from(std::process::id()).unwrap();
        let groups = supplementary_groups(me);
        let expected = nix::unistd::getgroups().unwrap();
        assert_eq!(groups.len(), expected.len());
    }
}
