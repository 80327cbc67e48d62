//! `standby [all|local|foreign|failback]` and `takeover [all|local|foreign]`
//! (extensions): Linux-HA's `hb_standby` and `hb_takeover`, as control
//! requests. Only root, or a member of the group heartbeatd was started
//! with (`--control-group`), may change the cluster; others get a clear
//! refusal (exit 1). [`send`] is how every state change is asked (also
//! `confirmdown`).

use heartbeat_core::control::{ErrorKind, GroupSet, Request, Response};

use crate::cli::SubCommand;
use crate::daemon::{Daemon, DaemonError};
use crate::json;
use crate::outcome::{exit, Answer, Failure, FailureKind};

/// What an unprivileged caller is told to do.
const PRIVILEGE_HINT: &str =
    "Run it as root, or as a member of the group heartbeatd was started with (--control-group).";

/// Parses the set word of `sub` (default `all`).
pub fn parse_set(sub: SubCommand, operands: &[String]) -> Result<GroupSet, Failure> {
    let expected = match sub {
        SubCommand::Takeover => "all, local or foreign",
        _ => "all, local, foreign or failback",
    };
    let bad = |what: String| {
        Failure::plain(
            exit::BAD_PARAM,
            FailureKind::BadArguments,
            format!("{}: {what}: expected {expected}", sub.name()),
        )
    };
    match operands {
        [] => Ok(GroupSet::All),
        [word] => match (word.as_str(), sub) {
            ("all", _) => Ok(GroupSet::All),
            ("local", _) => Ok(GroupSet::Local),
            ("foreign", _) => Ok(GroupSet::Foreign),
            ("failback", SubCommand::Standby) => Ok(GroupSet::Failback),
            _ => Err(bad(format!("bad argument `{word}`"))),
        },
        [_, extra, ..] => Err(bad(format!("unexpected argument `{extra}`"))),
    }
}

fn set_word(set: GroupSet) -> &'static str {
    match set {
        GroupSet::All => "all",
        GroupSet::Local => "local",
        GroupSet::Foreign => "foreign",
        GroupSet::Failback => "failback",
    }
}

/// Runs `standby` or `takeover`.
pub fn run(sub: SubCommand, daemon: &dyn Daemon, args: &[String]) -> Result<Answer, Failure> {
    let opts = sub.options(args)?;
    let set = parse_set(sub, &opts.operands)?;
    let request = match sub {
        SubCommand::Takeover => Request::Takeover { set },
        _ => Request::Standby { set },
    };
    let message = send(sub, daemon, &request)?;
    let word = set_word(set);
    let text = match sub {
        SubCommand::Takeover => format!("Taking over [{word}].\n"),
        _ => format!("Going standby [{word}].\n"),
    };
    let json = json::AdminRequest {
        request: sub.name().to_owned(),
        set: word.to_owned(),
        accepted: true,
        message,
    };
    Ok(Answer::ok(text, &json))
}

/// Sends `request`, a state change asked by sub-command `sub`, and returns
/// the daemon's words when it accepts it. A refusal for want of privileges
/// says what to do (exit 1); one for another reason gives the daemon's
/// reason (exit 1).
pub fn send(sub: SubCommand, daemon: &dyn Daemon, request: &Request) -> Result<String, Failure> {
    let refused = |why: &str| {
        let text = format!("{}: refused: {why}", sub.name());
        Failure {
            code: exit::FALSE,
            kind: FailureKind::PermissionDenied,
            message: format!("{text}. {PRIVILEGE_HINT}"),
            lines: vec![
                crate::outcome::Diag::Plain(text),
                crate::outcome::Diag::Plain(PRIVILEGE_HINT.to_owned()),
            ],
        }
    };
    let response = match daemon.call(request) {
        Ok(response) => response,
        Err(DaemonError::Refused(why)) => {
            return Err(refused(&format!(
                "cannot connect to heartbeatd's control socket: {why}"
            )))
        }
        Err(e) => return Err(e.signon_failure()),
    };
    match response {
        Response::Accepted { message } => Ok(message),
        Response::Error {
            kind: ErrorKind::PermissionDenied,
            message,
        } => Err(refused(&message)),
        Response::Error {
            kind: ErrorKind::Refused,
            message,
        } => Err(Failure::plain(
            exit::FALSE,
            FailureKind::Refused,
            format!("{}: refused by heartbeatd: {message}", sub.name()),
        )),
        other => Err(Failure::plain(
            exit::API_ERROR,
            FailureKind::ApiError,
            format!(
                "{}: unexpected answer from heartbeatd: {other:?}",
                sub.name()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures::{words, Recorder};
    use crate::outcome::Diag;

    #[test]
    fn sets() {
        let s = SubCommand::Standby;
        assert_eq!(parse_set(s, &[]).unwrap(), GroupSet::All);
        assert_eq!(
            parse_set(s, &words("failback")).unwrap(),
            GroupSet::Failback
        );
        assert_eq!(parse_set(s, &words("foreign")).unwrap(), GroupSet::Foreign);
        let f = parse_set(SubCommand::Takeover, &words("failback")).unwrap_err();
        assert_eq!(f.code, 11);
        assert_eq!(
            f.lines,
            [Diag::Plain(
                "takeover: bad argument `failback`: expected all, local or foreign".into()
            )]
        );
        assert!(parse_set(s, &words("all local")).is_err());
    }

    #[test]
    fn accepted_and_refused() {
        let d = Recorder::answering(Response::Accepted {
            message: "ok".into(),
        });
        let a = run(SubCommand::Standby, &d, &words("local")).unwrap();
        assert_eq!(a.text, "Going standby [local].\n");
        assert_eq!(
            d.seen.borrow().as_slice(),
            [Request::Standby {
                set: GroupSet::Local
            }]
        );
        let a = run(SubCommand::Takeover, &d, &[]).unwrap();
        assert_eq!(a.text, "Taking over [all].\n");

        let denied = Recorder::answering(Response::error(
            ErrorKind::PermissionDenied,
            "uid 1000 may not",
        ));
        let f = run(SubCommand::Standby, &denied, &[]).unwrap_err();
        assert_eq!((f.code, f.kind), (1, FailureKind::PermissionDenied));
        assert_eq!(
            f.lines[0],
            Diag::Plain("standby: refused: uid 1000 may not".into())
        );
    }
}
