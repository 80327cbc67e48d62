//! `cl-status run-if-active [--passive-exit N] [--default active|passive]
//! GROUP -- COMMAND [ARG...]`: runs COMMAND (no shell) only on the node that
//! holds GROUP and exits with its status; elsewhere exits `--passive-exit`
//! (0 unless given) without running it. When the daemon cannot be asked,
//! `--default` decides (`passive` unless given), as rcron's `default_state`.
//! It runs outside the query watchdog: the command may take as long as it
//! needs. Exit 2 for a bad command line or an unknown group.

use std::process::Command;

use heartbeat_core::control::StatusView;

use crate::daemon::Daemon;

/// The parsed words after `run-if-active`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunIfActive {
    /// Group key.
    pub group: String,
    /// Program and arguments.
    pub command: Vec<String>,
    /// Exit status where the group is not held.
    pub passive_exit: i32,
    /// Whether to run when the daemon is unreachable.
    pub default_active: bool,
}

/// Parses the words after `run-if-active`.
pub fn parse(args: &[String]) -> Result<RunIfActive, String> {
    const USAGE: &str = "usage: cl-status run-if-active [--passive-exit N] \
                         [--default active|passive] GROUP -- COMMAND [ARG...]";
    let dash = args.iter().position(|a| a == "--").ok_or(USAGE)?;
    let (head, command) = (&args[..dash], &args[dash + 1..]);
    if command.is_empty() {
        return Err(USAGE.into());
    }
    let mut passive_exit = 0;
    let mut default_active = false;
    let mut group = None;
    let mut words = head.iter();
    while let Some(w) = words.next() {
        match w.as_str() {
            "--passive-exit" => {
                passive_exit = words
                    .next()
                    .and_then(|v| v.parse::<i32>().ok())
                    .filter(|v| (0..=255).contains(v))
                    .ok_or("--passive-exit needs a status 0..=255")?;
            }
            "--default" => {
                default_active = match words.next().map(String::as_str) {
                    Some("active") => true,
                    Some("passive") => false,
                    _ => return Err("--default needs `active` or `passive`".into()),
                };
            }
            _ if group.is_none() && !w.starts_with("--") => group = Some(w.clone()),
            _ => return Err(USAGE.into()),
        }
    }
    Ok(RunIfActive {
        group: group.ok_or(USAGE)?,
        command: command.to_vec(),
        passive_exit,
        default_active,
    })
}

/// Whether this node runs `group` per `view`; `None` for an unknown group.
pub fn held_here(view: &StatusView, group: &str) -> Option<bool> {
    view.groups
        .iter()
        .find(|g| g.key == group)
        .map(|g| g.activity == "running")
}

/// Decides, runs the command if due, and returns the exit status.
pub fn run(daemon: &dyn Daemon, r: &RunIfActive) -> i32 {
    let active = match daemon.status() {
        Ok(view) => match held_here(&view, &r.group) {
            Some(held) => held,
            None => {
                eprintln!("cl-status: run-if-active: no resource group `{}`", r.group);
                return 2;
            }
        },
        Err(e) => {
            eprintln!("cl-status: run-if-active: cannot ask heartbeatd ({e:?}); default state");
            r.default_active
        }
    };
    if !active {
        return r.passive_exit;
    }
    match Command::new(&r.command[0]).args(&r.command[1..]).status() {
        Ok(status) => status.code().unwrap_or_else(|| {
            use std::os::unix::process::ExitStatusExt;
            128 + status.signal().unwrap_or(0)
        }),
        Err(e) => {
            eprintln!("cl-status: run-if-active: cannot run {}: {e}", r.command[0]);
            127
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    use heartbeat_core::control::{Request, Response};

    use crate::commands::fixtures::healthy;
    use crate::daemon::DaemonError;

    /// A daemon answering `view`, or unreachable when `None`.
    struct Fake(Option<StatusView>);

    impl Daemon for Fake {
        fn call(&self, _: &Request) -> Result<Response, DaemonError> {
            match &self.0 {
                Some(v) => Ok(Response::Status(Box::new(v.clone()))),
                None => Err(DaemonError::NotRunning("test".into())),
            }
        }
    }

    fn exit_with(code: i32) -> Vec<String> {
        vec!["/bin/sh".into(), "-c".into(), format!("exit {code}")]
    }

    #[test]
    fn runs_only_where_held_and_passes_the_status_through() {
        let mut r = parse(&words("hbltest -- true")).unwrap();
        r.command = exit_with(7);
        let held = healthy();
        assert_eq!(run(&Fake(Some(held.clone())), &r), 7);
        let mut elsewhere = held.clone();
        elsewhere.groups[0].activity = "stopped".into();
        elsewhere.groups[0].owner = Some("node2".into());
        assert_eq!(run(&Fake(Some(elsewhere.clone())), &r), 0);
        r.passive_exit = 3;
        assert_eq!(run(&Fake(Some(elsewhere)), &r), 3);
        // Unreachable: the default state decides.
        assert_eq!(run(&Fake(None), &r), 3);
        r.default_active = true;
        assert_eq!(run(&Fake(None), &r), 7);
        r.group = "nosuch".into();
        assert_eq!(run(&Fake(Some(held)), &r), 2);
    }

    #[test]
    fn command_line_forms() {
        let r = parse(&words("web -- /bin/echo hi")).unwrap();
        assert_eq!(r.group, "web");
        assert_eq!(r.command, words("/bin/echo hi"));
        assert_eq!((r.passive_exit, r.default_active), (0, false));
        let r = parse(&words("--passive-exit 3 --default active web -- true")).unwrap();
        assert_eq!((r.passive_exit, r.default_active), (3, true));
        assert!(parse(&words("web /bin/echo")).is_err());
        assert!(parse(&words("web --")).is_err());
        assert!(parse(&words("-- true")).is_err());
        assert!(parse(&words("--default maybe web -- true")).is_err());
        assert!(parse(&words("a b -- true")).is_err());
    }
}
