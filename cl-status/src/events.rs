//! `cl-status events`: streams heartbeatd's events, one JSON line each
//! (see `heartbeat_core::control::EventLine`), until the daemon stops or
//! the reader goes away. Runs outside the query watchdog. Exit 0 when the
//! stream ends, 1 when the daemon cannot be reached or refuses.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;

use heartbeat_core::control::{parse_response, request_line, Request, Response};

/// Copies the event stream of the daemon at `socket` to `out`.
pub fn stream(socket: &Path, out: &mut dyn Write) -> i32 {
    let mut conn = match UnixStream::connect(socket) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "cl-status: events: cannot connect to {}: {e}",
                socket.display()
            );
            return 1;
        }
    };
    if let Err(e) = conn.write_all(request_line(&Request::Events).as_bytes()) {
        eprintln!("cl-status: events: {e}");
        return 1;
    }
    let mut lines = BufReader::new(conn).lines();
    match lines.next().map(|l| l.map(|l| parse_response(&l))) {
        Some(Ok(Ok(Response::Accepted { .. }))) => {}
        other => {
            eprintln!("cl-status: events: refused: {other:?}");
            return 1;
        }
    }
    for line in lines {
        let Ok(line) = line else { return 0 };
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            return 0;
        }
    }
    0
}
