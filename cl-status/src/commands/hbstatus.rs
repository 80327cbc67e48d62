//! `hbstatus [-v]`: whether heartbeat runs here; `-v` adds the version,
//! the resource manager and `listnodes -v`.

use heartbeat_core::control::StatusView;

use crate::cli::SubCommand;
use crate::daemon::{Daemon, DaemonError, CANNOT_CONNECT};
use crate::getopt::Parsed;
use crate::json;
use crate::outcome::{exit, Answer, Failure};
use crate::render::{heartbeat_order, verbose_node};

/// Runs `hbstatus`: unlike the other sub-commands, a daemon that does not
/// answer is an answer (`stopped`, exit 1), not an error.
pub fn run(daemon: &dyn Daemon, args: &[String]) -> Result<Answer, Failure> {
    let opts = SubCommand::HbStatus.options(args)?;
    match daemon.status() {
        Ok(view) => Ok(running(&view, &opts)),
        Err(DaemonError::Timeout) => Err(DaemonError::Timeout.signon_failure()),
        Err(DaemonError::NotRunning(_)) => Ok(not_running(
            "stopped",
            "Heartbeat is stopped on this machine.",
            CANNOT_CONNECT.to_owned(),
            &opts,
            exit::FALSE,
        )),
        Err(DaemonError::Refused(why) | DaemonError::Broken(why)) => Ok(not_running(
            "refused",
            "Heartbeat is apparently running on this machine, but refuses my connection",
            format!("hb_api_signon: {why}"),
            &opts,
            exit::OK,
        )),
    }
}

/// The answer when the daemon answered.
pub fn running(view: &StatusView, opts: &Parsed) -> Answer {
    let version = view
        .parameters
        .get("hbversion")
        .cloned()
        .unwrap_or_else(|| view.daemon_version.clone());
    let mut text = String::new();
    match (opts.has('v'), opts.has('m')) {
        (false, _) => text.push_str("Heartbeat is running on this machine.\n"),
        (true, false) => {
            text.push_str(&format!("version:\t{version}\n"));
            text.push_str("managed by:\t\"haresources\"\n");
        }
        (true, true) => {
            text.push_str(&format!("Heartbeat version {version}\n"));
            text.push_str("Resources controlled by \"haresources\"\n");
        }
    }
    if opts.has('v') {
        for node in heartbeat_order(view) {
            text.push_str(&verbose_node(node));
        }
    }
    let json = json::HbStatus {
        state: "running".to_owned(),
        running: true,
        reason: None,
        version: Some(version),
        managed_by: Some("haresources".to_owned()),
        local_node: Some(view.local_node.clone()),
        nodes: view.nodes.clone(),
    };
    Answer::ok(text, &json)
}

fn not_running(state: &str, sentence: &str, reason: String, opts: &Parsed, code: u8) -> Answer {
    let mut text = format!("{sentence}\n");
    if opts.has('v') {
        text.push_str(&format!("({reason})\n"));
    }
    let json = json::HbStatus {
        state: state.to_owned(),
        running: false,
        reason: Some(reason),
        version: None,
        managed_by: None,
        local_node: None,
        nodes: Vec::new(),
    };
    Answer::with_code(text, &json, code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures::{healthy, opts};
    use heartbeat_core::control::{Request, Response};

    struct Down(DaemonError);

    impl Daemon for Down {
        fn call(&self, _: &Request) -> Result<Response, DaemonError> {
            Err(self.0.clone())
        }
    }

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn running_texts() {
        let v = healthy();
        assert_eq!(
            running(&v, &opts("", "mv")).text,
            "Heartbeat is running on this machine.\n"
        );
        assert_eq!(
            running(&v, &opts("-m", "mv")).text,
            "Heartbeat is running on this machine.\n"
        );
        let verbose = running(&v, &opts("-v", "mv")).text;
        assert!(verbose.starts_with(
            "version:\t3.0.6 (heartbeat-rs 0.1.0)\nmanaged by:\t\"haresources\"\n\nnode2\tactive"
        ));
        assert!(verbose.ends_with("\n10.77.0.1\tping\t(nodetype: ping)\n\t10.77.0.1\tup\n"));
    }

    #[test]
    fn stopped_and_refused() {
        let down = Down(DaemonError::NotRunning("ENOENT".into()));
        let a = run(&down, &[]).unwrap();
        assert_eq!(
            (a.text.as_str(), a.code),
            ("Heartbeat is stopped on this machine.\n", 1)
        );
        let a = run(&down, &words("-v")).unwrap();
        assert_eq!(
            a.text,
            "Heartbeat is stopped on this machine.\n\
             (hb_api_signon: Can't initiate connection to heartbeat)\n"
        );
        let refused = Down(DaemonError::Refused("Permission denied".into()));
        let a = run(&refused, &[]).unwrap();
        assert_eq!(a.code, 0);
        assert!(a.text.starts_with("Heartbeat is apparently running"));
        let f = run(&Down(DaemonError::Timeout), &[]).unwrap_err();
        assert_eq!(f.code, 12);
    }
}
