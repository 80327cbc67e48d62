//! Heartbeat's log-line prefix on stderr:
//! `Nov 21 22:26:28 node1 cl_status: [11633]: ERROR: `.

use chrono::{DateTime, Local};

/// The prefix of an error log line at `now`, from `node`, by `program`
/// with process id `pid`.
pub fn prefix(now: DateTime<Local>, node: &str, program: &str, pid: u32) -> String {
    format!(
        "{} {node} {program}: [{pid}]: ERROR: ",
        now.format("%b %e %H:%M:%S")
    )
}

/// This machine's short host name (what Heartbeat's log prefix shows when
/// the daemon could not tell the node name).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .and_then(|h| h.trim().split('.').next().map(str::to_owned))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Removes the prefix from a stderr line, if it has one (for comparing
/// outputs whose dates and pids differ).
pub fn strip_prefix(line: &str) -> &str {
    match line.find("]: ERROR: ") {
        Some(at) if line[..at].contains(": [") => &line[at + "]: ERROR: ".len()..],
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn prefix_shape() {
        let t = Local.with_ymd_and_hms(2026, 11, 21, 22, 26, 28).unwrap();
        assert_eq!(
            prefix(t, "node1", "cl_status", 11633),
            "Nov 21 22:26:28 node1 cl_status: [11633]: ERROR: "
        );
        let t = Local.with_ymd_and_hms(2026, 3, 2, 1, 2, 3).unwrap();
        assert!(prefix(t, "n", "p", 1).starts_with("Mar  2 01:02:03 n p: [1]"));
    }

    #[test]
    fn strip() {
        let line = "Nov 21 22:26:28 node1 cl_status: [11633]: ERROR: REASON: ";
        assert_eq!(strip_prefix(line), "REASON: ");
        assert_eq!(strip_prefix("No enough parameter."), "No enough parameter.");
        assert!(!hostname().is_empty());
    }
}
