//! Logging to syslog (`logfacility` in ha.cf): each log line becomes one
//! datagram to `/dev/log` in the traditional `<PRI>heartbeatd[PID]: text`
//! form, its severity taken from the line's level.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::sync::Arc;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// Facility numbers by name (RFC 5424 table).
const FACILITIES: &[(&str, u8)] = &[
    ("kern", 0),
    ("user", 1),
    ("mail", 2),
    ("daemon", 3),
    ("auth", 4),
    ("syslog", 5),
    ("lpr", 6),
    ("news", 7),
    ("uucp", 8),
    ("cron", 9),
    ("authpriv", 10),
    ("ftp", 11),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

/// A tracing writer that sends every line to the local syslog daemon.
#[derive(Clone)]
pub struct Syslog {
    socket: Arc<UnixDatagram>,
    facility: u8,
    tag: String,
}

impl Syslog {
    /// Connects to `/dev/log` for `facility` (a name `logfacility` accepts).
    pub fn connect(facility: &str) -> io::Result<Syslog> {
        let facility = FACILITIES
            .iter()
            .find(|(name, _)| *name == facility)
            .map(|(_, n)| *n)
            .ok_or_else(|| io::Error::other(format!("unknown syslog facility {facility}")))?;
        let socket = UnixDatagram::unbound()?;
        socket.connect("/dev/log")?;
        Ok(Syslog {
            socket: Arc::new(socket),
            facility,
            tag: format!("heartbeatd[{}]", std::process::id()),
        })
    }
}

/// The syslog severity of a tracing level.
pub fn severity(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// Buffers one formatted line and sends it when dropped.
pub struct SyslogLine {
    target: Syslog,
    severity: u8,
    buf: Vec<u8>,
}

impl io::Write for SyslogLine {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for SyslogLine {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buf);
        let text = text.trim_end();
        if text.is_empty() {
            return;
        }
        let pri = self.target.facility * 8 + self.severity;
        let message = format!("<{pri}>{}: {text}", self.target.tag);
        // Syslog is best effort: a full or missing daemon must not stop us.
        let _ = self.target.socket.send(message.as_bytes());
    }
}

impl<'a> MakeWriter<'a> for Syslog {
    type Writer = SyslogLine;

    fn make_writer(&'a self) -> SyslogLine {
        self.make_line(6)
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> SyslogLine {
        self.make_line(severity(meta.level()))
    }
}

impl Syslog {
    fn make_line(&self, severity: u8) -> SyslogLine {
        SyslogLine {
            target: self.clone(),
            severity,
            buf: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn lines_arrive_as_one_datagram_each_with_priority() {
        let dir = std::env::temp_dir().join(format!("hb-syslog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        let server = UnixDatagram::bind(&path).unwrap();
        let client = UnixDatagram::unbound().unwrap();
        client.connect(&path).unwrap();
        let syslog = Syslog {
            socket: Arc::new(client),
            facility: 3,
            tag: "heartbeatd[42]".into(),
        };
        let mut line = syslog.make_line(severity(&Level::WARN));
        writeln!(line, "Link node2:eth0 dead.").unwrap();
        drop(line);
        let mut buf = [0u8; 256];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"<28>heartbeatd[42]: Link node2:eth0 dead.");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_facility_is_an_error() {
        assert!(Syslog::connect("nonsense").is_err());
    }
}
