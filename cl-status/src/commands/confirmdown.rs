//! `confirmdown <node>` (extension): Heartbeat's `meatclient -c NODE`.
//! The operator tells heartbeatd that dead node NODE is powered off (or
//! cut off from every shared resource), so that its groups start on
//! another node without waiting for a reset that cannot come.
//!
//! It asks nothing (scripts call it): it prints a warning, then the
//! result. Only root, or a member of heartbeatd's `--control-group`, may
//! (others: `confirmdown: refused: ...`, exit 1). heartbeatd refuses it,
//! saying why, unless NODE is dead and awaiting a reset (exit 1). Exit 0
//! when accepted.

use heartbeat_core::control::Request;

use crate::cli::SubCommand;
use crate::daemon::Daemon;
use crate::json;
use crate::outcome::{Answer, Failure};

/// The warning printed before the result, for `node`.
pub fn warning(node: &str) -> String {
    format!(
        "WARNING: {node} now counts as fenced: its resource groups may start on another node.\n\
         This is only safe if {node} is truly powered off or cut off from every shared\n\
         resource and network; if it still runs, those groups run twice and data on\n\
         shared disks may be corrupted.\n"
    )
}

/// Runs `confirmdown <node>`.
pub fn run(daemon: &dyn Daemon, args: &[String]) -> Result<Answer, Failure> {
    let sub = SubCommand::ConfirmDown;
    let opts = sub.options(args)?;
    let node = match opts.operands.as_slice() {
        [] => return Err(Failure::not_enough_parameters()),
        [node] => node.clone(),
        [_, extra, ..] => return Err(super::unexpected_argument(sub, extra)),
    };
    let request = Request::ConfirmDown { node: node.clone() };
    let message = super::admin::send(sub, daemon, &request)?;
    let warning = warning(&node);
    let text = format!("{warning}{node} confirmed down.\n");
    let json = json::ConfirmDown {
        node,
        accepted: true,
        message,
        warning,
    };
    Ok(Answer::ok(text, &json))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures::{words, Recorder};
    use crate::outcome::{Diag, FailureKind};
    use heartbeat_core::control::{ErrorKind, Response};

    #[test]
    fn accepted_prints_the_warning_then_the_result() {
        let d = Recorder::answering(Response::Accepted {
            message: "node3 confirmed down: its groups may start elsewhere".into(),
        });
        let a = run(&d, &words("node3")).unwrap();
        assert_eq!(a.code, 0);
        assert!(a.text.starts_with("WARNING: node3 now counts as fenced"));
        assert!(a.text.contains("only safe if node3 is truly powered off"));
        assert!(a.text.ends_with("\nnode3 confirmed down.\n"), "{}", a.text);
        assert_eq!(
            d.seen.borrow().as_slice(),
            [Request::ConfirmDown {
                node: "node3".into()
            }]
        );
        let j: json::ConfirmDown = serde_json::from_value(a.json).unwrap();
        assert_eq!((j.node.as_str(), j.accepted), ("node3", true));
        assert_eq!(j.warning, warning("node3"));
    }

    #[test]
    fn refusals_say_why() {
        let refused = Recorder::answering(Response::error(
            ErrorKind::Refused,
            "node2 is active, not dead: only a dead node awaiting a reset can be confirmed down",
        ));
        let f = run(&refused, &words("node2")).unwrap_err();
        assert_eq!((f.code, f.kind), (1, FailureKind::Refused));
        assert_eq!(
            f.lines,
            [Diag::Plain(
                "confirmdown: refused by heartbeatd: node2 is active, not dead: \
                 only a dead node awaiting a reset can be confirmed down"
                    .into()
            )]
        );
        let denied = Recorder::answering(Response::error(
            ErrorKind::PermissionDenied,
            "uid 1000 may not change the cluster: only root may",
        ));
        let f = run(&denied, &words("node3")).unwrap_err();
        assert_eq!((f.code, f.kind), (1, FailureKind::PermissionDenied));
        assert_eq!(
            f.lines[0],
            Diag::Plain(
                "confirmdown: refused: uid 1000 may not change the cluster: only root may".into()
            )
        );
    }

    #[test]
    fn exactly_one_node() {
        let d = Recorder::answering(Response::Accepted {
            message: String::new(),
        });
        assert_eq!(run(&d, &[]).unwrap_err().code, 11);
        assert_eq!(run(&d, &words("node2 node3")).unwrap_err().code, 11);
        assert!(d.seen.borrow().is_empty());
    }
}
