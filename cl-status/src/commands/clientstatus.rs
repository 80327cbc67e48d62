//! `clientstatus <node> <client> [<timeout>]`.
//!
//! heartbeatd has no API clients (Heartbeat's `ipfail`, `ccm`, ...), so
//! every client is one that is not there, and the answers are Heartbeat
//! 3.0.6's for such a client:
//!
//! - on the local node, or on a dead node: `offline`, exit 1;
//! - on another node that is not dead: Heartbeat asks that node and, in
//!   3.0.6, never gets the answer in time (even for a client that runs
//!   there): `Cannot get heartbeat client C's status` / `REASON: No timely
//!   response.`, exit 13. This tool answers the same at once instead of
//!   after the time-out;
//! - on an unknown node: the same error, exit 13.

use heartbeat_core::control::StatusView;

use crate::getopt::Parsed;
use crate::json;
use crate::outcome::{exit, Answer, Failure, FailureKind};

/// `clientstatus`: see the module documentation.
pub fn answer(view: &StatusView, opts: &Parsed) -> Result<Answer, Failure> {
    let [name, client, ..] = opts.operands.as_slice() else {
        return Err(Failure::not_enough_parameters());
    };
    let no_answer = || {
        Failure::logged(
            exit::API_ERROR,
            FailureKind::ClientStatusUnavailable,
            format!("Cannot get heartbeat client {client}'s status"),
            "No timely response.",
        )
    };
    let node = view.node(name).ok_or_else(no_answer)?;
    if !node.local && node.status != "dead" {
        return Err(no_answer());
    }
    let json = json::ClientStatus {
        node: node.name.clone(),
        client: client.clone(),
        status: "offline".to_owned(),
    };
    Ok(Answer::with_code(
        "offline\n".to_owned(),
        &json,
        exit::FALSE,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures::{healthy, opts};
    use crate::outcome::Diag;

    #[test]
    fn clients_are_never_there() {
        let mut v = healthy();
        let a = answer(&v, &opts("node1 ipfail", "m")).unwrap();
        assert_eq!((a.text.as_str(), a.code), ("offline\n", 1));
        let a = answer(&v, &opts("-m node1 nosuchclient 1000", "m")).unwrap();
        assert_eq!(a.text, "offline\n");
        for remote in ["node2 ipfail", "nodeX ipfail"] {
            let f = answer(&v, &opts(remote, "m")).unwrap_err();
            assert_eq!(f.code, 13);
            assert_eq!(
                f.lines,
                [
                    Diag::Log("Cannot get heartbeat client ipfail's status".into()),
                    Diag::Log("REASON: No timely response.".into()),
                ]
            );
        }
        v.nodes[1].status = "dead".into();
        let a = answer(&v, &opts("node2 ipfail", "m")).unwrap();
        assert_eq!((a.text.as_str(), a.code), ("offline\n", 1));
        let f = answer(&v, &opts("node1", "m")).unwrap_err();
        assert_eq!(
            (f.lines, f.code),
            (vec![Diag::Plain("No enough parameter.".into())], 11)
        );
    }
}
