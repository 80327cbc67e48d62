//! `respawn USER COMMAND [ARGS...]` and `failfast USER COMMAND [ARGS...]`:
//! programs the node daemon starts, and starts again when they exit.
//!
//! What Heartbeat 3.0.6 does (read in its `heartbeat/config.c`,
//! `add_client_child_base`, and `heartbeat/heartbeat.c`,
//! `start_a_child_client` and `ManagedChildDied`):
//!
//! - Both directives take a user name, then the rest of the line as the
//!   command. The user must exist (`getpwnam`), the command must start with
//!   an absolute path, and that program must be executable, or the
//!   configuration is refused.
//! - The command runs as the user (`initgroups`, `setgid` to the user's
//!   primary group, `setuid`), in a process group of its own, with
//!   `/dev/null` as standard input, output and error, as
//!   `/bin/sh -c "exec COMMAND"`: the shell splits the words (quotes and
//!   `$VAR` work) and is replaced by the program.
//! - When it exits it is started again, unless it exited with status 100
//!   or the daemon is shutting down. A run that lasted less than 30 s counts
//!   as "too fast"; a longer one resets the count. On the 11th too-fast exit
//!   in a row Heartbeat logs `respawning too fast` and stops restarting it
//!   for good. A restart after a too-fast exit waits 1 s first.
//! - `failfast` is `respawn` plus: when the program is killed by a signal,
//!   or exits with a non-zero status outside of a shutdown, Heartbeat
//!   reboots the machine (`cl_reboot`): the node leaves the cluster at once
//!   rather than run on without a component it cannot do without.
//! - At shutdown the children are sent SIGTERM (their process group), the
//!   last configured first.

use std::path::Path;

/// One `respawn` or `failfast` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RespawnChild {
    /// The user the command runs as (a name, checked when heartbeatd starts).
    pub user: String,
    /// The command as written after the user (comments removed, spaces
    /// around it trimmed), given to `/bin/sh -c "exec ..."`.
    pub command: String,
    /// `failfast`: the node reboots when the command dies abnormally.
    pub failfast: bool,
    /// The `ha.cf` line, for messages.
    pub line: usize,
}

/// Where Heartbeat installs the programs of its own (`HA_LIBHBDIR`), which
/// talk to Heartbeat through its client API and cannot work with heartbeatd.
pub const HEARTBEAT_LIB_DIRS: &[&str] = &[
    "/usr/lib/heartbeat",
    "/usr/lib64/heartbeat",
    "/usr/libexec/heartbeat",
];

impl RespawnChild {
    /// The program: the first word of the command.
    pub fn program(&self) -> &Path {
        Path::new(self.command.split_whitespace().next().unwrap_or(""))
    }

    /// The directive's name: `respawn` or `failfast`.
    pub fn directive(&self) -> &'static str {
        if self.failfast {
            "failfast"
        } else {
            "respawn"
        }
    }

    /// Whether the program is one of Heartbeat's own (`ipfail`, `ccm`,
    /// `crmd`...): it needs Heartbeat's client API, which heartbeatd does
    /// not serve, so heartbeatd does not start it.
    pub fn needs_heartbeat_api(&self) -> bool {
        let program = self.program();
        HEARTBEAT_LIB_DIRS
            .iter()
            .any(|dir| program.starts_with(dir))
    }
}

/// What is wrong with a `respawn`/`failfast` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RespawnProblem {
    /// No user, or no command after it.
    Missing,
    /// The command does not start with an absolute path.
    NotAbsolute(String),
}

/// The expected form, for messages.
pub(crate) const RESPAWN_EXPECTED: &str =
    "a user name, then a command starting with an absolute path";

/// Parses the text after the directive name (`rest`, comment removed) of
/// line `line`.
pub(crate) fn parse_respawn(
    rest: &str,
    failfast: bool,
    line: usize,
) -> Result<RespawnChild, RespawnProblem> {
    let rest = rest.trim_start_matches([' ', '\t', ',']);
    let (user, command) = rest
        .split_once([' ', '\t', ','])
        .ok_or(RespawnProblem::Missing)?;
    let command = command.trim_matches([' ', '\t', '\r']);
    if user.is_empty() || command.is_empty() {
        return Err(RespawnProblem::Missing);
    }
    if !command.starts_with('/') {
        let program = command.split_whitespace().next().unwrap_or(command);
        return Err(RespawnProblem::NotAbsolute(program.to_string()));
    }
    Ok(RespawnChild {
        user: user.to_string(),
        command: command.to_string(),
        failfast,
        line,
    })
}

/// Whether `program` is a regular file with an execute bit.
pub(crate) fn is_executable(program: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        program
            .metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        program.is_file()
    }
}

/// Whether `user` is a user of this machine (`None`: cannot tell here,
/// heartbeat-core built without its runtime).
pub(crate) fn user_exists(user: &str) -> Option<bool> {
    #[cfg(feature = "runtime")]
    {
        Some(matches!(nix::unistd::User::from_name(user), Ok(Some(_))))
    }
    #[cfg(not(feature = "runtime"))]
    {
        let _ = user;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_command_and_arguments() {
        let c = parse_respawn(" hacluster  /usr/bin/foo -a 'b c'  ", false, 7).unwrap();
        assert_eq!(c.user, "hacluster");
        assert_eq!(c.command, "/usr/bin/foo -a 'b c'");
        assert_eq!(c.program(), Path::new("/usr/bin/foo"));
        assert_eq!(c.line, 7);
        assert!(!c.failfast);
        assert_eq!(c.directive(), "respawn");
        let f = parse_respawn("root\t/bin/true", true, 1).unwrap();
        assert_eq!((f.user.as_str(), f.command.as_str()), ("root", "/bin/true"));
        assert_eq!(f.directive(), "failfast");
    }

    #[test]
    fn bad_lines() {
        assert_eq!(parse_respawn("", false, 1), Err(RespawnProblem::Missing));
        assert_eq!(
            parse_respawn("root", false, 1),
            Err(RespawnProblem::Missing)
        );
        assert_eq!(
            parse_respawn("root   ", false, 1),
            Err(RespawnProblem::Missing)
        );
        assert_eq!(
            parse_respawn("root ipfail -x", false, 1),
            Err(RespawnProblem::NotAbsolute("ipfail".into()))
        );
    }

    #[test]
    fn heartbeat_programs_are_recognised() {
        let ipfail = parse_respawn("hacluster /usr/lib/heartbeat/ipfail", false, 1).unwrap();
        assert!(ipfail.needs_heartbeat_api());
        let ipfail = parse_respawn("hacluster /usr/libexec/heartbeat/ipfail", false, 1).unwrap();
        assert!(ipfail.needs_heartbeat_api());
        let other = parse_respawn("root /usr/local/bin/agent", false, 1).unwrap();
        assert!(!other.needs_heartbeat_api());
    }
}
