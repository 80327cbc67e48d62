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
//! accepted has none), and request lines are
//! bounded, so a stuck or hostile client costs one task and a few KiB.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use heartbeat_core::control::{
    parse_request, response_line, ErrorKind, EventLine, Request, Response, MAX_REQUEST_LINE,
};
use heartbeat_core::engine::Event;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::OwnedWriteHalf;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::broadcast;

/// How long one client may take to send its request and read the answer.
pub const CLIENT_DEADLINE: Duration = Duration::from_secs(5);

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
}

impl ControlSocket {
    /// Binds `path` (replacing a stale socket file; creating the parent
    /// directory), sets its mode and, if given, its group.
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
        })
    }

    /// Serves clients until the task is dropped.
    pub async fn serve<H: RequestHandler>(self, handler: Arc<H>, policy: AdminPolicy) {
        loop {
            let Ok((stream, _)) = self.listener.accept().await else {
                continue;
            };
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let _ = serve_client(stream, handler.as_ref(), policy).await;
            });
        }
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// One client: the request and its answer within [`CLIENT_DEADLINE`]; an
/// accepted [`Request::Events`] then streams without a deadline until the
/// client goes away.
async fn serve_client<H: RequestHandler>(
    stream: UnixStream,
    handler: &H,
    policy: AdminPolicy,
) -> io::Result<()> {
    let timed_out = || io::Error::new(io::ErrorKind::TimedOut, "client too slow");
    let (mut write, events) =
        tokio::time::timeout(CLIENT_DEADLINE, answer_client(stream, handler, policy))
            .await
            .map_err(|_| timed_out())??;
    let Some(mut events) = events else {
        return Ok(());
    };
    loop {
        let event = match events.recv().await {
            Ok(e) => e,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return write.shutdown().await,
        };
        let unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        if let Some(line) = EventLine::from_event(&event, unix_ms) {
            write.write_all(line.to_line().as_bytes()).await?;
        }
    }
}

/// Reads the request and writes the answer; for an accepted
/// [`Request::Events`] returns the subscription to stream.
async fn answer_client<H: RequestHandler>(
    stream: UnixStream,
    handler: &H,
    policy: AdminPolicy,
) -> io::Result<(OwnedWriteHalf, Option<broadcast::Receiver<Event>>)> {
    let cred = stream.peer_cred()?;
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let limit = u64::try_from(MAX_REQUEST_LINE).unwrap_or(u64::MAX);
    BufReader::new(read.take(limit))
        .read_line(&mut line)
        .await?;
    if let Ok(Request::Events) = parse_request(line.trim_end()) {
        let response = match handler.subscribe() {
            Some(events) => {
                let ok = Response::Accepted {
                    message: "streaming events".into(),
                };
                write.write_all(response_line(&ok).as_bytes()).await?;
                return Ok((write, Some(events)));
            }
            None => Response::error(ErrorKind::Refused, "no event stream here"),
        };
        write.write_all(response_line(&response).as_bytes()).await?;
        write.shutdown().await?;
        return Ok((write, None));
    }
    let response = match parse_request(line.trim_end()) {
        Err(response) => response,
        Ok(request) => {
            if request.changes_state() && !policy.allows(cred.uid(), cred.gid(), cred.pid()) {
                Response::error(
                    ErrorKind::PermissionDenied,
                    format!(
                        "uid {} may not change the cluster: only root{} may",
                        cred.uid(),
                        policy
                            .admin_gid
                            .map(|g| format!(" or members of group {g}"))
                            .unwrap_or_default()
                    ),
                )
            } else {
                handler.handle(request).await
            }
        }
    };
    write.write_all(response_line(&response).as_bytes()).await?;
    write.shutdown().await?;
    Ok((write, None))
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
