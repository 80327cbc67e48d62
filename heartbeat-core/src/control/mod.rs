//! The control protocol between heartbeatd and its clients (`cl-status`),
//! spoken over the daemon's Unix stream socket.
//!
//! One JSON object per line. The client writes one [`Request`]; the daemon
//! answers with one [`Response`] line and closes the connection. Every
//! message carries the protocol [`VERSION`]; a daemon answers a request of
//! another version with [`ErrorKind::UnsupportedVersion`]. Field names are
//! stable: they are what `cl-status --json` prints, and tools may parse them.
//!
//! Reading the status is open to anyone the socket's mode lets in; requests
//! that change something ([`Request::changes_state`]) are refused unless the
//! peer's credentials (SO_PEERCRED) are root's or the configured group's.

pub mod client;
mod events;
mod safety;
mod view;

use serde::{Deserialize, Serialize};

pub use events::EventLine;
pub use safety::{AwaitingFenceView, FenceRecordView, QuorumView, SafetyView, WatchdogView};
pub use view::{GroupView, LinkView, MediumView, NodeView, RespawnedView, StatusView};

/// The protocol version this crate speaks.
pub const VERSION: u32 = 1;

/// Longest request line a daemon reads, in bytes.
pub const MAX_REQUEST_LINE: usize = 4096;

/// A set of resource groups, relative to the node that names it (Linux-HA's
/// `hb_standby` / `hb_takeover` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupSet {
    /// Every group.
    All,
    /// The groups this node prefers.
    Local,
    /// The groups other nodes prefer.
    Foreign,
    /// `failback`: the same as `foreign` (give back what we took over).
    Failback,
}

/// What a client asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    /// The full status: nodes, links, statistics, groups, parameters.
    Status,
    /// Give a set of groups to a peer (`hb_standby`).
    Standby {
        /// Which groups.
        set: GroupSet,
    },
    /// Take a set of groups from a peer (`hb_takeover`).
    Takeover {
        /// Which groups.
        set: GroupSet,
    },
    /// Release every group, announce the departure and exit.
    Shutdown,
    /// The operator confirms that dead node `node` is powered off, so that
    /// its groups may start elsewhere without waiting for its reset
    /// (Heartbeat's `meatclient -c NODE`). Refused unless `node` is dead
    /// and awaiting a reset ([`SafetyView::awaiting_fence`]).
    ConfirmDown {
        /// The node, as configured (compared without case).
        node: String,
    },
    /// Keep the connection open and stream one [`EventLine`] per line.
    Events,
}

impl Request {
    /// Whether the request changes the cluster (and needs privileges).
    pub fn changes_state(&self) -> bool {
        !matches!(self, Request::Status | Request::Events)
    }
}

/// A request line: the version and the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestLine {
    /// Protocol version of the client.
    pub version: u32,
    /// The request.
    #[serde(flatten)]
    pub request: Request,
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request line could not be read.
    BadRequest,
    /// The client speaks another protocol version.
    UnsupportedVersion,
    /// The caller may not change anything.
    PermissionDenied,
    /// The request is valid but cannot be carried out now.
    Refused,
    /// The daemon is at its bound of clients (in total, for this uid, or of
    /// event subscribers); the connection is closed after this answer.
    Busy,
}

/// An answer line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponseLine {
    /// Protocol version of the daemon.
    pub version: u32,
    /// The answer.
    #[serde(flatten)]
    pub response: Response,
}

/// The daemon's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Response {
    /// The status (answer to [`Request::Status`]).
    Status(Box<StatusView>),
    /// The request was accepted.
    Accepted {
        /// What the daemon will do, in words.
        message: String,
    },
    /// The request was refused.
    Error {
        /// Why, as a stable code.
        kind: ErrorKind,
        /// Why, in words.
        message: String,
    },
}

impl Response {
    /// An error answer.
    pub fn error(kind: ErrorKind, message: impl Into<String>) -> Response {
        Response::Error {
            kind,
            message: message.into(),
        }
    }
}

/// Parses a request line, answering the error a daemon sends back if it is
/// malformed or of another version.
pub fn parse_request(line: &str) -> Result<Request, Response> {
    #[derive(Deserialize)]
    struct VersionOnly {
        version: u32,
    }
    let version = serde_json::from_str::<VersionOnly>(line)
        .map_err(|e| Response::error(ErrorKind::BadRequest, e.to_string()))?
        .version;
    if version != VERSION {
        return Err(Response::error(
            ErrorKind::UnsupportedVersion,
            format!("protocol version {version} is not supported (this daemon speaks {VERSION})"),
        ));
    }
    serde_json::from_str::<RequestLine>(line)
        .map(|r| r.request)
        .map_err(|e| Response::error(ErrorKind::BadRequest, e.to_string()))
}

/// Parses a request line as read from the socket (without its newline): a
/// line that is not UTF-8 gets [`ErrorKind::BadRequest`] like any other
/// malformed line.
pub fn parse_request_bytes(line: &[u8]) -> Result<Request, Response> {
    let text = std::str::from_utf8(line).map_err(|e| {
        Response::error(
            ErrorKind::BadRequest,
            format!("request line is not UTF-8: {e}"),
        )
    })?;
    parse_request(text)
}

/// Encodes a request as one line (with its newline).
pub fn request_line(request: &Request) -> String {
    let line = RequestLine {
        version: VERSION,
        request: request.clone(),
    };
    let mut text = serde_json::to_string(&line).expect("requests always serialize");
    text.push('\n');
    text
}

/// Encodes a response as one line (with its newline).
pub fn response_line(response: &Response) -> String {
    let line = ResponseLine {
        version: VERSION,
        response: response.clone(),
    };
    let mut text = serde_json::to_string(&line).expect("responses always serialize");
    text.push('\n');
    text
}

/// Parses a response line.
pub fn parse_response(line: &str) -> Result<Response, serde_json::Error> {
    serde_json::from_str::<ResponseLine>(line).map(|r| r.response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_lines() {
        for request in [
            Request::Status,
            Request::Standby {
                set: GroupSet::Failback,
            },
            Request::Takeover { set: GroupSet::All },
            Request::Shutdown,
            Request::ConfirmDown {
                node: "node3".into(),
            },
        ] {
            let line = request_line(&request);
            assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'));
            assert_eq!(parse_request(line.trim_end()), Ok(request));
        }
        assert_eq!(
            request_line(&Request::Standby {
                set: GroupSet::Local
            }),
            "{\"version\":1,\"request\":\"standby\",\"set\":\"local\"}\n"
        );
        assert_eq!(
            request_line(&Request::ConfirmDown {
                node: "node3".into()
            }),
            "{\"version\":1,\"request\":\"confirm_down\",\"node\":\"node3\"}\n"
        );
    }

    #[test]
    fn bad_lines_get_a_typed_error() {
        let kind = |line: &str| match parse_request(line) {
            Err(Response::Error { kind, .. }) => kind,
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(kind("not json"), ErrorKind::BadRequest);
        assert_eq!(
            kind("{\"version\":1,\"request\":\"reboot\"}"),
            ErrorKind::BadRequest
        );
        assert_eq!(
            kind("{\"version\":9,\"request\":\"status\"}"),
            ErrorKind::UnsupportedVersion
        );
    }

    #[test]
    fn a_line_that_is_not_utf8_gets_a_typed_error() {
        match parse_request_bytes(b"{\"version\":1,\"request\":\"st\xffatus\"}") {
            Err(Response::Error {
                kind: ErrorKind::BadRequest,
                message,
            }) => assert!(message.contains("not UTF-8"), "{message}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse_request_bytes(request_line(&Request::Status).trim_end().as_bytes()),
            Ok(Request::Status)
        );
    }

    #[test]
    fn only_status_is_read_only() {
        assert!(!Request::Status.changes_state());
        assert!(Request::Shutdown.changes_state());
        assert!(Request::Standby { set: GroupSet::All }.changes_state());
        assert!(Request::ConfirmDown { node: "n".into() }.changes_state());
        assert!(!Request::Events.changes_state());
    }

    #[test]
    fn responses_round_trip() {
        let response = Response::error(ErrorKind::PermissionDenied, "uid 1000 may not");
        assert_eq!(parse_response(&response_line(&response)).unwrap(), response);
        let accepted = Response::Accepted {
            message: "ok".into(),
        };
        assert_eq!(parse_response(&response_line(&accepted)).unwrap(), accepted);
    }
}
