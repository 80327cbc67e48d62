//! `listhblinks` and `hblinkstatus`: a node's heartbeat links.

use heartbeat_core::control::StatusView;

use crate::getopt::Parsed;
use crate::json;
use crate::outcome::{exit, Answer, Failure, FailureKind};
use crate::render::{heartbeat_link_order, heartbeat_link_status};

/// `listhblinks [-v] <node>`: one tab-prefixed line per link (`-v`: its
/// state as Heartbeat shows it; `--json`: the true state).
pub fn listhblinks(view: &StatusView, opts: &Parsed) -> Result<Answer, Failure> {
    let name = opts
        .operands
        .first()
        .ok_or_else(Failure::not_enough_parameters)?;
    let node = view.node(name).ok_or_else(|| {
        Failure::logged(
            exit::API_ERROR,
            FailureKind::UnknownNode,
            "Cannot start heartbeat link interface walk.",
            "EINVAL",
        )
    })?;
    let mut text = String::new();
    if opts.has('m') {
        text.push_str("\tthis node has the following heartbeat links:\n");
    }
    for link in heartbeat_link_order(node) {
        if opts.has('v') {
            let status = heartbeat_link_status(node, link);
            text.push_str(&format!("\t{}\t{status}\n", link.name));
        } else {
            text.push_str(&format!("\t{}\n", link.name));
        }
    }
    let json = json::LinkList {
        node: node.name.clone(),
        links: node.links.clone(),
    };
    Ok(Answer::ok(text, &json))
}

/// `hblinkstatus <node> <link>`: `up` (exit 0) or `dead` (exit 1), as
/// Heartbeat shows it (the local node's own links: see
/// [`heartbeat_link_status`]); `--json` has the true state.
pub fn hblinkstatus(view: &StatusView, opts: &Parsed) -> Result<Answer, Failure> {
    let [name, link_name, ..] = opts.operands.as_slice() else {
        return Err(Failure::not_enough_parameters());
    };
    let failure = |kind| {
        Failure::logged(
            exit::API_ERROR,
            kind,
            "Cannot get heartbeat link status",
            "",
        )
    };
    let node = view
        .node(name)
        .ok_or_else(|| failure(FailureKind::UnknownNode))?;
    let link = node
        .link(link_name)
        .ok_or_else(|| failure(FailureKind::UnknownLink))?;
    let shown = heartbeat_link_status(node, link);
    let text = if opts.has('m') {
        format!("The node {name}'s heartbeat link {link_name} is {shown}\n")
    } else {
        format!("{shown}\n")
    };
    let code = if shown == "up" { exit::OK } else { exit::FALSE };
    let json = json::LinkStatus {
        node: node.name.clone(),
        link: link.name.clone(),
        status: link.status.clone(),
    };
    Ok(Answer::with_code(text, &json, code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures::{healthy, opts};
    use crate::outcome::Diag;

    #[test]
    fn listhblinks_is_tab_prefixed_in_heartbeat_order() {
        let v = healthy();
        let a = listhblinks(&v, &opts("node2", "mv")).unwrap();
        assert_eq!(a.text, "\teth1\n\teth0\n");
        let a = listhblinks(&v, &opts("-v node2", "mv")).unwrap();
        assert_eq!(a.text, "\teth1\tup\n\teth0\tup\n");
        let a = listhblinks(&v, &opts("-m node2", "mv")).unwrap();
        assert_eq!(
            a.text,
            "\tthis node has the following heartbeat links:\n\teth1\n\teth0\n"
        );
        let a = listhblinks(&v, &opts("10.77.0.1", "mv")).unwrap();
        assert_eq!(a.text, "\t10.77.0.1\n");
        let j: json::LinkList = serde_json::from_value(a.json).unwrap();
        assert_eq!(j.links[0].name, "10.77.0.1");
    }

    #[test]
    fn listhblinks_errors() {
        let v = healthy();
        let f = listhblinks(&v, &opts("", "mv")).unwrap_err();
        assert_eq!(
            (f.lines, f.code),
            (vec![Diag::Plain("No enough parameter.".into())], 11)
        );
        let f = listhblinks(&v, &opts("-v nodeX", "mv")).unwrap_err();
        assert_eq!(f.code, 13);
        assert_eq!(
            f.lines,
            [
                Diag::Log("Cannot start heartbeat link interface walk.".into()),
                Diag::Log("REASON: EINVAL".into()),
            ]
        );
    }

    /// node1's eth1 down: its own packets stopped coming back on eth1.
    fn own_eth1_down() -> heartbeat_core::control::StatusView {
        let mut v = healthy();
        let eth1 = &mut v.nodes[0].links[1];
        (eth1.status, eth1.last_heard_ms_ago, eth1.deaths) = ("dead".into(), Some(6000), 1);
        v
    }

    #[test]
    fn own_links_once_heard_show_up_as_heartbeat_s_do() {
        let v = own_eth1_down();
        let a = hblinkstatus(&v, &opts("node1 eth1", "m")).unwrap();
        assert_eq!((a.text.as_str(), a.code), ("up\n", 0));
        let j: json::LinkStatus = serde_json::from_value(a.json).unwrap();
        assert_eq!(j.status, "dead", "--json keeps the true state");
        let a = hblinkstatus(&v, &opts("-m node1 eth1", "m")).unwrap();
        assert_eq!(a.text, "The node node1's heartbeat link eth1 is up\n");
        let a = listhblinks(&v, &opts("-v node1", "mv")).unwrap();
        assert_eq!(a.text, "\teth1\tup\n\teth0\tup\n");
        let j: json::LinkList = serde_json::from_value(a.json).unwrap();
        assert_eq!(j.links[1].status, "dead");
    }

    #[test]
    fn own_links_never_heard_stay_dead_and_peers_links_die() {
        // A ucast link: our own packets never come back on it.
        let mut v = healthy();
        let eth0 = &mut v.nodes[0].links[0];
        (eth0.status, eth0.last_heard_ms_ago, eth0.packets) = ("dead".into(), None, 0);
        let a = hblinkstatus(&v, &opts("node1 eth0", "m")).unwrap();
        assert_eq!((a.text.as_str(), a.code), ("dead\n", 1));
        let a = listhblinks(&v, &opts("-v node1", "mv")).unwrap();
        assert_eq!(a.text, "\teth1\tup\n\teth0\tdead\n");
        // A peer's link that was heard and timed out is dead, as in Heartbeat.
        let eth1 = &mut v.nodes[1].links[1];
        (eth1.status, eth1.deaths) = ("dead".into(), 1);
        let a = hblinkstatus(&v, &opts("node2 eth1", "m")).unwrap();
        assert_eq!((a.text.as_str(), a.code), ("dead\n", 1));
    }

    #[test]
    fn hblinkstatus_texts_and_codes() {
        let mut v = healthy();
        let a = hblinkstatus(&v, &opts("node2 eth0", "m")).unwrap();
        assert_eq!((a.text.as_str(), a.code), ("up\n", 0));
        let a = hblinkstatus(&v, &opts("-m node2 eth0", "m")).unwrap();
        assert_eq!(a.text, "The node node2's heartbeat link eth0 is up\n");
        v.nodes[1].links[1].status = "dead".into();
        let a = hblinkstatus(&v, &opts("node2 eth1", "m")).unwrap();
        assert_eq!((a.text.as_str(), a.code), ("dead\n", 1));
        for bad in ["node2 eth9", "nodeX eth0"] {
            let f = hblinkstatus(&v, &opts(bad, "m")).unwrap_err();
            assert_eq!(f.code, 13);
            assert_eq!(
                f.lines,
                [
                    Diag::Log("Cannot get heartbeat link status".into()),
                    Diag::Log("REASON: ".into()),
                ]
            );
        }
        let f = hblinkstatus(&v, &opts("node2", "m")).unwrap_err();
        assert_eq!(f.lines, [Diag::Plain("No enough parameter.".into())]);
    }
}
