//! `nodestatus`, `nodeweight`, `nodesite`, `nodetype`: one property of one
//! node.

use heartbeat_core::control::{NodeView, StatusView};

use crate::getopt::Parsed;
use crate::json;
use crate::outcome::{exit, Answer, Failure, FailureKind};

/// The node named by the first operand; `missing` when there is none.
fn named<'a>(
    view: &'a StatusView,
    opts: &'a Parsed,
    missing: fn() -> Failure,
    unknown: fn() -> Failure,
) -> Result<(&'a str, &'a NodeView), Failure> {
    let name = opts.operands.first().ok_or_else(missing)?;
    let node = view.node(name).ok_or_else(unknown)?;
    Ok((name, node))
}

/// `nodestatus <node>`: its status; exit 0 for `active`, `up` and `ping`,
/// 1 otherwise.
pub fn nodestatus(view: &StatusView, opts: &Parsed) -> Result<Answer, Failure> {
    let missing = || {
        Failure::plain(
            exit::BAD_PARAM,
            FailureKind::BadArguments,
            "Not enough parameters.",
        )
    };
    let (name, node) = named(view, opts, missing, Failure::unknown_node)?;
    let sentence = format!("The cluster node {name} is {}", node.status);
    let text = value_or_sentence(opts, &node.status, sentence);
    let code = match node.status.as_str() {
        "active" | "up" | "ping" => exit::OK,
        _ => exit::FALSE,
    };
    let json = json::NodeStatus {
        node: node.name.clone(),
        status: node.status.clone(),
    };
    Ok(Answer::with_code(text, &json, code))
}

/// The text of a one-value answer: the value, or with `-m` the sentence.
fn value_or_sentence(opts: &Parsed, value: &str, sentence: String) -> String {
    if opts.has('m') {
        format!("{sentence}\n")
    } else {
        format!("{value}\n")
    }
}

/// `nodeweight <node>`.
pub fn nodeweight(view: &StatusView, opts: &Parsed) -> Result<Answer, Failure> {
    let unknown = || {
        Failure::plain(
            exit::BAD_PARAM,
            FailureKind::UnknownNode,
            "Error. Maybe due to incorrect node name.",
        )
    };
    let (name, node) = named(view, opts, Failure::not_enough_parameters, unknown)?;
    let weight = node.weight.to_string();
    let sentence = format!("The weight of the cluster node {name} is {weight}");
    let json = json::NodeWeight {
        node: node.name.clone(),
        weight: node.weight,
    };
    Ok(Answer::ok(
        value_or_sentence(opts, &weight, sentence),
        &json,
    ))
}

/// `nodesite <node>`.
pub fn nodesite(view: &StatusView, opts: &Parsed) -> Result<Answer, Failure> {
    let (name, node) = named(
        view,
        opts,
        Failure::not_enough_parameters,
        Failure::unknown_node,
    )?;
    let sentence = format!("The site of the cluster node {name} is {}", node.site);
    let json = json::NodeSite {
        node: node.name.clone(),
        site: node.site.clone(),
    };
    Ok(Answer::ok(
        value_or_sentence(opts, &node.site, sentence),
        &json,
    ))
}

/// `nodetype <node>`: `normal` or `ping`. (Heartbeat's man page says it
/// takes a type; the real tool takes a node name.)
pub fn nodetype(view: &StatusView, opts: &Parsed) -> Result<Answer, Failure> {
    let (name, node) = named(
        view,
        opts,
        Failure::not_enough_parameters,
        Failure::unknown_node,
    )?;
    let sentence = format!("The node {name}'s type: {}", node.node_type);
    let json = json::NodeType {
        node: node.name.clone(),
        node_type: node.node_type.clone(),
    };
    Ok(Answer::ok(
        value_or_sentence(opts, &node.node_type, sentence),
        &json,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures::{healthy, opts};
    use crate::outcome::Diag;

    fn text(r: Result<Answer, Failure>) -> (String, u8) {
        let a = r.unwrap();
        (a.text, a.code)
    }

    fn err(r: Result<Answer, Failure>) -> (Vec<Diag>, u8) {
        let f = r.unwrap_err();
        (f.lines, f.code)
    }

    fn plain(s: &str) -> Vec<Diag> {
        vec![Diag::Plain(s.into())]
    }

    #[test]
    fn nodestatus_texts_and_codes() {
        let mut v = healthy();
        assert_eq!(
            text(nodestatus(&v, &opts("node1", "m"))),
            ("active\n".into(), 0)
        );
        assert_eq!(
            text(nodestatus(&v, &opts("10.77.0.1", "m"))),
            ("ping\n".into(), 0)
        );
        assert_eq!(
            text(nodestatus(&v, &opts("-m node2", "m"))),
            ("The cluster node node2 is active\n".into(), 0)
        );
        v.nodes[1].status = "dead".into();
        assert_eq!(
            text(nodestatus(&v, &opts("node2", "m"))),
            ("dead\n".into(), 1)
        );
        assert_eq!(
            err(nodestatus(&v, &opts("", "m"))),
            (plain("Not enough parameters."), 11)
        );
        assert_eq!(
            err(nodestatus(&v, &opts("nodeX", "m"))),
            (plain("Error. May be due to incorrect node name"), 11)
        );
    }

    #[test]
    fn weight_site_type() {
        let v = healthy();
        assert_eq!(
            text(nodeweight(&v, &opts("node1", "m"))),
            ("100\n".into(), 0)
        );
        assert_eq!(
            text(nodeweight(&v, &opts("-m node2", "m"))).0,
            "The weight of the cluster node node2 is 100\n"
        );
        assert_eq!(
            err(nodeweight(&v, &opts("nodeX", "m"))),
            (plain("Error. Maybe due to incorrect node name."), 11)
        );
        assert_eq!(text(nodesite(&v, &opts("node1", "m"))), ("\n".into(), 0));
        assert_eq!(
            text(nodesite(&v, &opts("-m node1", "m"))).0,
            "The site of the cluster node node1 is \n"
        );
        assert_eq!(text(nodetype(&v, &opts("10.77.0.1", "m"))).0, "ping\n");
        assert_eq!(
            text(nodetype(&v, &opts("-m node1", "m"))).0,
            "The node node1's type: normal\n"
        );
        for f in [nodetype, nodesite, nodeweight] {
            assert_eq!(
                err(f(&v, &opts("", "m"))),
                (plain("No enough parameter."), 11)
            );
        }
        assert_eq!(
            err(nodetype(&v, &opts("normal", "m"))),
            (plain("Error. May be due to incorrect node name"), 11)
        );
    }

    #[test]
    fn json_carries_the_configured_name() {
        let v = healthy();
        let a = nodestatus(&v, &opts("NODE2", "m")).unwrap();
        let j: json::NodeStatus = serde_json::from_value(a.json).unwrap();
        assert_eq!(j.node, "node2");
        assert_eq!(j.status, "active");
    }
}
