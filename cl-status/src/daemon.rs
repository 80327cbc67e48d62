//! Talking to heartbeatd: the [`Daemon`] trait the sub-commands use, and
//! [`SocketDaemon`], its implementation over the control socket (blocking,
//! one request per connection, a deadline on every call).

use std::cell::RefCell;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use heartbeat_core::control::client::{call, ClientError};
use heartbeat_core::control::{ErrorKind, Request, Response, StatusView};

use crate::outcome::{exit, Failure, FailureKind};

/// What Heartbeat's client library says when nothing listens.
pub const CANNOT_CONNECT: &str = "hb_api_signon: Can't initiate connection to heartbeat";

/// Why the daemon could not be asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DaemonError {
    /// Nothing listens on the control socket (or it does not exist).
    #[error("heartbeat is not running: {0}")]
    NotRunning(String),
    /// The daemon is there but does not let us in (socket permissions).
    #[error("heartbeat refuses the connection: {0}")]
    Refused(String),
    /// No answer in time.
    #[error("no answer from heartbeat in time")]
    Timeout,
    /// The daemon answered something unusable, or the connection broke.
    #[error("bad answer from heartbeat: {0}")]
    Broken(String),
}

impl DaemonError {
    /// The failure of a sub-command that could not get the status:
    /// `Cannot signon with heartbeat` and its reason (exit 1), or the
    /// time-out (exit 12).
    pub fn signon_failure(&self) -> Failure {
        let (kind, reason) = match self {
            DaemonError::Timeout => return timeout_failure(),
            DaemonError::NotRunning(_) => (FailureKind::NotRunning, CANNOT_CONNECT.to_owned()),
            DaemonError::Refused(why) => (
                FailureKind::PermissionDenied,
                format!("hb_api_signon: {why}"),
            ),
            DaemonError::Broken(why) => (FailureKind::ApiError, format!("hb_api_signon: {why}")),
        };
        Failure::logged(exit::FALSE, kind, "Cannot signon with heartbeat", &reason)
    }
}

/// The failure of an invocation that ran out of time (exit 12).
pub fn timeout_failure() -> Failure {
    Failure::log_line(
        exit::TIMEOUT,
        FailureKind::Timeout,
        format!(
            "No answer from heartbeat within {} seconds.",
            crate::OVERALL_TIMEOUT.as_secs()
        ),
    )
}

/// The daemon, as the sub-commands see it.
pub trait Daemon {
    /// Sends one request and returns the answer.
    fn call(&self, request: &Request) -> Result<Response, DaemonError>;

    /// The status (Heartbeat's sign-on and queries in one).
    fn status(&self) -> Result<StatusView, DaemonError> {
        match self.call(&Request::Status)? {
            Response::Status(view) => Ok(*view),
            Response::Error {
                kind: ErrorKind::PermissionDenied,
                message,
            } => Err(DaemonError::Refused(message)),
            other => Err(DaemonError::Broken(format!("{other:?}"))),
        }
    }

    /// The local node's name, once the daemon told it.
    fn local_node(&self) -> Option<String> {
        None
    }
}

/// heartbeatd behind its control socket.
#[derive(Debug)]
pub struct SocketDaemon {
    path: PathBuf,
    deadline: Instant,
    local_node: RefCell<Option<String>>,
}

impl SocketDaemon {
    /// The daemon at `path`; every call must end before `deadline`.
    pub fn new(path: PathBuf, deadline: Instant) -> SocketDaemon {
        SocketDaemon {
            path,
            deadline,
            local_node: RefCell::new(None),
        }
    }
}

impl Daemon for SocketDaemon {
    fn call(&self, request: &Request) -> Result<Response, DaemonError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(DaemonError::Timeout);
        }
        let response = call(&self.path, request, left.max(Duration::from_millis(1)));
        let response = response.map_err(|e| match e {
            ClientError::Connect { source, .. } => connect_error(&source),
            ClientError::Timeout(_) => DaemonError::Timeout,
            ClientError::Io(e) => DaemonError::Broken(e.to_string()),
            ClientError::BadResponse(why) => DaemonError::Broken(why),
        })?;
        if let Response::Status(view) = &response {
            *self.local_node.borrow_mut() = Some(view.local_node.clone());
        }
        Ok(response)
    }

    fn local_node(&self) -> Option<String> {
        self.local_node.borrow().clone()
    }
}

fn connect_error(e: &io::Error) -> DaemonError {
    match e.kind() {
        io::ErrorKind::PermissionDenied => DaemonError::Refused(e.to_string()),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => DaemonError::Timeout,
        _ => DaemonError::NotRunning(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Diag;

    #[test]
    fn a_missing_socket_means_not_running() {
        let d = SocketDaemon::new(
            PathBuf::from("/nonexistent/heartbeat/control"),
            Instant::now() + Duration::from_secs(1),
        );
        let e = d.status().unwrap_err();
        assert!(matches!(e, DaemonError::NotRunning(_)), "{e:?}");
        let f = e.signon_failure();
        assert_eq!(f.code, 1);
        assert_eq!(
            f.lines,
            [
                Diag::Log("Cannot signon with heartbeat".into()),
                Diag::Log(format!("REASON: {CANNOT_CONNECT}")),
            ]
        );
    }

    #[test]
    fn a_past_deadline_is_a_timeout() {
        let d = SocketDaemon::new(PathBuf::from("/nonexistent"), Instant::now());
        assert_eq!(d.status(), Err(DaemonError::Timeout));
        assert_eq!(DaemonError::Timeout.signon_failure().code, exit::TIMEOUT);
    }
}
