//! `listnodes [-p] [-n] [-v]`.

use heartbeat_core::control::{NodeView, StatusView};

use crate::getopt::Parsed;
use crate::json;
use crate::outcome::Answer;
use crate::render::{heartbeat_order, verbose_node};

/// Whether `node` passes the `-p` / `-n` filter (both or neither: all).
fn selected(node: &NodeView, opts: &Parsed) -> bool {
    let ping = node.node_type == "ping";
    match (opts.has('p'), opts.has('n')) {
        (true, false) => ping,
        (false, true) => !ping,
        _ => true,
    }
}

/// `listnodes`: names one per line; `-v` adds status, type and links;
/// `-m` a header.
pub fn answer(view: &StatusView, opts: &Parsed) -> Answer {
    let mut text = String::new();
    if opts.has('m') {
        text.push_str("The nodes are as follow:\n");
    }
    for node in heartbeat_order(view)
        .into_iter()
        .filter(|n| selected(n, opts))
    {
        if opts.has('v') {
            text.push_str(&verbose_node(node));
        } else {
            text.push_str(&node.name);
            text.push('\n');
        }
    }
    let json = json::NodeList {
        nodes: view
            .nodes
            .iter()
            .filter(|n| selected(n, opts))
            .cloned()
            .collect(),
    };
    Answer::ok(text, &json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures::{healthy, opts};

    #[test]
    fn lists_like_heartbeat() {
        let v = healthy();
        let t = |line: &str| answer(&v, &opts(line, "mpnv")).text;
        assert_eq!(t(""), "node2\nnode1\n10.77.0.1\n");
        assert_eq!(t("-n"), "node2\nnode1\n");
        assert_eq!(t("-p"), "10.77.0.1\n");
        assert_eq!(t("-p -n"), "node2\nnode1\n10.77.0.1\n");
        assert_eq!(
            t("-m"),
            "The nodes are as follow:\nnode2\nnode1\n10.77.0.1\n"
        );
        assert_eq!(
            t("-v"),
            "\nnode2\tactive\t(nodetype: normal)\n\teth1\tup\n\teth0\tup\n\
             \nnode1\tactive\t(nodetype: normal)\n\teth1\tup\n\teth0\tup\n\
             \n10.77.0.1\tping\t(nodetype: ping)\n\t10.77.0.1\tup\n"
        );
        assert_eq!(
            t("-p -v"),
            "\n10.77.0.1\tping\t(nodetype: ping)\n\t10.77.0.1\tup\n"
        );
    }

    #[test]
    fn own_downed_link_shows_up_as_in_heartbeat_but_not_in_json() {
        // The reference's section 4 seen from the node whose eth1 is down:
        // the peer's eth1 dead, its own eth1 still `up`.
        let mut v = healthy();
        for n in 0..2 {
            v.nodes[n].links[1].status = "dead".into();
        }
        let a = answer(&v, &opts("-n -v", "mpnv"));
        assert_eq!(
            a.text,
            "\nnode2\tactive\t(nodetype: normal)\n\teth1\tdead\n\teth0\tup\n\
             \nnode1\tactive\t(nodetype: normal)\n\teth1\tup\n\teth0\tup\n"
        );
        let j: json::NodeList = serde_json::from_value(a.json).unwrap();
        assert_eq!(j.nodes[0].links[1].status, "dead");
    }

    #[test]
    fn json_is_in_configuration_order() {
        let v = healthy();
        let a = answer(&v, &opts("-n", "mpnv"));
        let j: json::NodeList = serde_json::from_value(a.json.clone()).unwrap();
        let names: Vec<&str> = j.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["node1", "node2"]);
        assert!(j.nodes[0].local);
        assert_eq!(j.nodes[1].links[0].name, "eth0");
        // The first schema's fields are all there (the model adds more).
        let node = a.json["nodes"][1].as_object().unwrap();
        for key in ["name", "type", "status", "local", "links"] {
            assert!(node.contains_key(key), "{key}");
        }
        let link = node["links"][0].as_object().unwrap();
        assert!(link.contains_key("name") && link.contains_key("status"));
    }
}
