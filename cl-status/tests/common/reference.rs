//! The reference capture (`golden/reference-cl_status-3.0.6.txt`, a copy of
//! the project's `shared/reference/linux-ha/cl_status-3.0.6.txt`: Heartbeat
//! 3.0.6's `cl_status` in a two-node cluster with links eth0 and eth1 and a
//! ping node) cut into its numbered sections, and turned into the
//! expectations for a heartbeat-rs cluster of the same shape.
//!
//! What changes, and why (each rule is a deliberate difference listed in
//! the README's cl-status section, or a fact of the lab):
//! - the ping node 10.77.0.1 becomes the lab's own ping target (the switch
//!   namespace's address), in arguments and answers; a lab without one drops
//!   the cases about it and removes its lines from listings;
//! - `online` answers of `clientstatus` become `offline`, exit 1:
//!   heartbeatd has no API clients (the reference had ipfail running);
//! - `hbversion`, `logfile` and `debugfile` values are the lab's.

use super::{parse_golden, Case};

/// The reference capture.
pub(crate) const REFERENCE: &str = include_str!("../golden/reference-cl_status-3.0.6.txt");

/// The ping node of the reference cluster.
pub(crate) const PING_NODE: &str = "10.77.0.1";

/// The build id in the reference's `hbversion`.
pub(crate) const REFERENCE_VERSION: &str = "3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)";

/// The cases of the section whose heading starts with `# {number} ` (for
/// example `"1."`, `"1b."`, `"7."`).
pub(crate) fn section(number: &str) -> Vec<Case> {
    let heading = format!("# {number} ");
    let mut text = String::new();
    let mut inside = false;
    for line in REFERENCE.lines() {
        if line.starts_with("# ") && line[2..].starts_with(|c: char| c.is_ascii_digit()) {
            inside = line.starts_with(&heading);
            continue;
        }
        if inside {
            text.push_str(line);
            text.push('\n');
        }
    }
    let cases = parse_golden(&text, &[]);
    assert!(!cases.is_empty(), "no section {number} in the reference");
    cases
}

/// The expectation for a heartbeat-rs cluster whose ping node is
/// `ping_node` (`None`: the lab has none, so cases about it are dropped
/// and its lines removed from listings); `substitute(node, text)` adapts
/// values (version, paths) in stdout.
pub(crate) fn adapt(
    case: &Case,
    ping_node: Option<&str>,
    substitute: &dyn Fn(usize, &str) -> String,
) -> Option<Case> {
    let mut case = case.clone();
    if let Some(ping) = ping_node {
        for a in &mut case.args {
            *a = a.replace(PING_NODE, ping);
        }
        case.stdout = case.stdout.replace(PING_NODE, ping);
    } else if case.args.iter().any(|a| a == PING_NODE) {
        return None;
    }
    let mut kept: Vec<&str> = Vec::new();
    for line in case.stdout.lines() {
        if ping_node.is_none() && line.contains(PING_NODE) {
            if kept.last() == Some(&"") {
                kept.pop();
            }
            continue;
        }
        kept.push(line);
    }
    let mut stdout: String = kept.iter().map(|l| format!("{l}\n")).collect();
    let mut code = case.code;
    if case.args.first().map(String::as_str) == Some("clientstatus") && stdout == "online\n" {
        stdout = "offline\n".to_owned();
        code = 1;
    }
    Some(Case {
        stdout: substitute(case.node, &stdout),
        code,
        ..case.clone()
    })
}
