//! A blocking client of the control socket: std only, no async runtime, a
//! deadline on every call (what `cl-status` and tests use).

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use super::{parse_response, request_line, Request, Response};

/// Why a call to the daemon failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens on the socket (daemon stopped), or it does not exist.
    #[error("cannot connect to {path}: {source}")]
    Connect {
        /// The socket path.
        path: String,
        /// The error from connect.
        source: io::Error,
    },
    /// The daemon did not answer in time.
    #[error("no answer from the daemon within {0:?}")]
    Timeout(Duration),
    /// The connection failed after it was made.
    #[error("control socket: {0}")]
    Io(io::Error),
    /// The answer could not be read.
    #[error("unreadable answer from the daemon: {0}")]
    BadResponse(String),
}

/// Sends `request` to the daemon at `path` and returns its answer; the whole
/// exchange must finish within `timeout`.
pub fn call(path: &Path, request: &Request, timeout: Duration) -> Result<Response, ClientError> {
    let stream = UnixStream::connect(path).map_err(|source| ClientError::Connect {
        path: path.display().to_string(),
        source,
    })?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(ClientError::Io)?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(ClientError::Io)?;
    let timed_out = |e: io::Error| match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ClientError::Timeout(timeout),
        _ => ClientError::Io(e),
    };
    (&stream)
        .write_all(request_line(request).as_bytes())
        .map_err(timed_out)?;
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .map_err(timed_out)?;
    if line.is_empty() {
        return Err(ClientError::BadResponse(
            "connection closed without an answer".into(),
        ));
    }
    parse_response(&line).map_err(|e| ClientError::BadResponse(e.to_string()))
}
