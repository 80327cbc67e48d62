//! `quorum` (extension): whether this node has quorum, with the votes it
//! sees and the votes needed.
//!
//! ```text
//! quorate 2/3 (need 2)
//! no quorum 1/3 (need 2)
//! quorum off
//! ```
//!
//! Exit 0 when quorate or when quorum is off (groups may run here), 1
//! without quorum (this node runs no group), like a predicate of
//! `cl_status` (`nodestatus` of a dead node exits 1).

use heartbeat_core::control::StatusView;

use crate::cli::SubCommand;
use crate::getopt::Parsed;
use crate::json;
use crate::outcome::{exit, Answer, Failure};

/// `quorum`.
pub fn answer(view: &StatusView, opts: &Parsed) -> Result<Answer, Failure> {
    super::no_operands(SubCommand::Quorum, opts)?;
    let quorum = view.safety.quorum;
    let (text, code) = match quorum {
        None => ("quorum off\n".to_owned(), exit::OK),
        Some(q) => {
            let (word, code) = if q.quorate {
                ("quorate", exit::OK)
            } else {
                ("no quorum", exit::FALSE)
            };
            (
                format!("{word} {}/{} (need {})\n", q.votes, q.nodes, q.needed),
                code,
            )
        }
    };
    Ok(Answer::with_code(text, &json::Quorum { quorum }, code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures::{healthy, opts};
    use heartbeat_core::control::QuorumView;

    fn with(quorate: bool, votes: usize) -> StatusView {
        let mut v = healthy();
        v.safety.quorum = Some(QuorumView {
            quorate,
            votes,
            needed: 2,
            nodes: 3,
        });
        v
    }

    #[test]
    fn quorate_lost_and_off() {
        let a = answer(&with(true, 2), &opts("", "")).unwrap();
        assert_eq!((a.text.as_str(), a.code), ("quorate 2/3 (need 2)\n", 0));
        let a = answer(&with(false, 1), &opts("", "")).unwrap();
        assert_eq!((a.text.as_str(), a.code), ("no quorum 1/3 (need 2)\n", 1));
        let a = answer(&healthy(), &opts("", "")).unwrap();
        assert_eq!((a.text.as_str(), a.code), ("quorum off\n", 0));
        assert!(answer(&healthy(), &opts("node1", "")).is_err());
    }

    #[test]
    fn json_is_the_view() {
        let a = answer(&with(false, 1), &opts("", "")).unwrap();
        assert_eq!(
            a.json,
            serde_json::json!({"quorum": {"quorate": false, "votes": 1, "needed": 2, "nodes": 3}})
        );
        let back: json::Quorum = serde_json::from_value(a.json).unwrap();
        assert_eq!(back.quorum, with(false, 1).safety.quorum);
        let off = answer(&healthy(), &opts("", "")).unwrap();
        assert_eq!(off.json, serde_json::json!({"quorum": null}));
    }
}
