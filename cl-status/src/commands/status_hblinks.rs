//! `status_hblinks` (extension): whether every heartbeat link of every
//! other cluster node is up, as the `status_hblinks` command some
//! Heartbeat sites added to its management daemon answered it.
//!
//! ```text
//! good
//! has_dead
//! ```
//!
//! The walk skips the local node and the ping nodes. A link counts as
//! dead when the daemon reports it `dead`, and every link of a dead node
//! counts as dead, whatever its last state: Heartbeat's reference asked
//! `if_status` for each link, which answers `dead` for every link of a
//! dead node. Exit 0 for `good`, 1 for `has_dead`, like a predicate of
//! `cl_status` (`hblinkstatus` of a dead link exits 1).
//!
//! Links are the daemon's, one per local medium: on a cluster of three or
//! more nodes whose media are `ucast` lines (one peer each), every peer
//! also has the links that cannot carry it, which are dead, so the answer
//! there is `has_dead`, as it was with Heartbeat.

use heartbeat_core::control::{NodeView, StatusView};

use crate::cli::SubCommand;
use crate::getopt::Parsed;
use crate::json;
use crate::outcome::{exit, Answer, Failure};

/// The word printed when every link is up.
pub const GOOD: &str = "good";

/// The word printed when at least one link is dead.
pub const HAS_DEAD: &str = "has_dead";

/// `status_hblinks`.
pub fn answer(view: &StatusView, opts: &Parsed) -> Result<Answer, Failure> {
    super::no_operands(SubCommand::StatusHbLinks, opts)?;
    let dead = dead_links(view);
    let (word, code) = if dead.is_empty() {
        (GOOD, exit::OK)
    } else {
        (HAS_DEAD, exit::FALSE)
    };
    let json = json::StatusHbLinks {
        status: word.to_owned(),
        dead_links: dead,
    };
    Ok(Answer::with_code(format!("{word}\n"), &json, code))
}

/// Every dead link of the nodes the walk visits (all but the local node
/// and the ping nodes), in configuration order.
pub fn dead_links(view: &StatusView) -> Vec<json::LinkStatus> {
    view.nodes
        .iter()
        .filter(|n| !n.local && n.node_type != "ping")
        .flat_map(|node| {
            node.links
                .iter()
                .filter(move |link| node_is_dead(node) || link.status != "up")
                .map(move |link| json::LinkStatus {
                    node: node.name.clone(),
                    link: link.name.clone(),
                    status: "dead".to_owned(),
                })
        })
        .collect()
}

fn node_is_dead(node: &NodeView) -> bool {
    node.status == "dead"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures::{healthy, node, opts};

    fn run(view: &StatusView) -> (String, u8) {
        let a = answer(view, &opts("", "")).unwrap();
        (a.text, a.code)
    }

    #[test]
    fn healthy_cluster_is_good() {
        assert_eq!(run(&healthy()), ("good\n".to_owned(), 0));
        let a = answer(&healthy(), &opts("", "")).unwrap();
        assert_eq!(
            a.json,
            serde_json::json!({"status": "good", "dead_links": []})
        );
    }

    #[test]
    fn one_dead_link_of_a_peer_is_has_dead() {
        let mut v = healthy();
        v.nodes[1].links[1].status = "dead".into();
        assert_eq!(run(&v), ("has_dead\n".to_owned(), 1));
        let a = answer(&v, &opts("", "")).unwrap();
        let j: json::StatusHbLinks = serde_json::from_value(a.json).unwrap();
        assert_eq!(j.status, "has_dead");
        let dead: Vec<(&str, &str)> = j
            .dead_links
            .iter()
            .map(|l| (l.node.as_str(), l.link.as_str()))
            .collect();
        assert_eq!(dead, [("node2", "eth1")]);
    }

    #[test]
    fn every_link_of_a_dead_node_is_dead() {
        let mut v = healthy();
        // The node is dead; its links have not timed out yet.
        v.nodes[1].status = "dead".into();
        assert_eq!(run(&v), ("has_dead\n".to_owned(), 1));
        let dead = dead_links(&v);
        let names: Vec<&str> = dead.iter().map(|l| l.link.as_str()).collect();
        assert_eq!(names, ["eth0", "eth1"]);
        assert!(dead.iter().all(|l| l.node == "node2" && l.status == "dead"));
    }

    #[test]
    fn local_and_ping_nodes_are_skipped() {
        let mut v = healthy();
        // The local node's own links and a dead ping node do not count.
        v.nodes[0].links[0].status = "dead".into();
        v.nodes[2].status = "dead".into();
        v.nodes[2].links[0].status = "dead".into();
        assert_eq!(run(&v), ("good\n".to_owned(), 0));
    }

    #[test]
    fn every_peer_is_walked() {
        let mut v = healthy();
        let mut node3 = node("node3", "normal", "active", &["eth0", "eth1"]);
        node3.links[0].status = "dead".into();
        v.nodes.insert(2, node3);
        assert_eq!(run(&v), ("has_dead\n".to_owned(), 1));
        let dead = dead_links(&v);
        assert_eq!(
            (dead.len(), dead[0].node.as_str(), dead[0].link.as_str()),
            (1, "node3", "eth0")
        );
    }

    #[test]
    fn operands_are_refused() {
        let f = answer(&healthy(), &opts("node2", "")).unwrap_err();
        assert_eq!(f.code, exit::BAD_PARAM);
    }
}
