//! Text shared by several sub-commands: the usage text, Heartbeat's
//! listing order, the verbose node block.

use heartbeat_core::control::{LinkView, NodeView, StatusView};

use crate::cli::Flavor;

/// Heartbeat 3.0.6's usage text, byte for byte.
pub const USAGE: &str = "\
Usage: cl_status <sub-command> [<options>] [<parameters>]

Sub-commands:
clientstatus <node-name> <client-id> [<timeout>]
\tShow the status of heartbeat clients.
hblinkstatus <node-name> <link-name>
\tShow the status of a heartbeat link
hbstatus
\tIndicate if heartbeat is running on the local system.
\tOptions:
\t\t-v\tverbose: also add \"listnodes -v\" output
listnodes [<option>]
\tList the nodes in the cluster.
\tOptions:
\t\t-p\tlist only 'ping' type nodes
\t\t-n\tlist only 'normal' type nodes
\t\t-v\tverbose: also list type and status,
\t\t\tthen add \"listhblinks -v\" output
listhblinks <node-name>
\tList the network interfaces used as hearbeat links.
\tOptions:
\t\t-v\tverbose: list link status as well
nodestatus <node-name>
\tList the node status.
nodeweight <node-name>
\tList the node weight.
nodesite <node-name>
\tList the node site.
nodetype <node-name>
\tList the nodes of a given type.
rscstatus
\tShow the status of cluster resources.
hbparameter -p <parameter-name>
\tRetrieve the value of a cluster parameter.
\tAs for the valid parameter names, please refer to the man page.
";

/// What `cl-status` adds to the usage text (not `cl_status`).
pub const USAGE_EXTENSIONS: &str = "
Extensions (heartbeat-rs):
linkstats [<node-name>]
\tShow per node and link: state, last heard, largest gap, lost packets,
\tround trip, and the deadtime the observed gaps justify.
standby [all|local|foreign|failback]
\tGive resource groups to the peer (hb_standby); root or the control group.
takeover [all|local|foreign]
\tTake resource groups from the peer (hb_takeover); root or the control group.
quorum
\tShow whether this node has quorum: `quorate 2/3 (need 2)`,
\t`no quorum 1/3 (need 2)` (exit 1) or `quorum off`.
fencehistory
\tList fence results (TIME TARGET by NODE via METHOD: ok|failed), then the
\tdead nodes whose resource groups still await a reset.
confirmdown <node-name>
\tConfirm that a dead node awaiting a reset is powered off, so that its
\tgroups may start elsewhere (meatclient -c); asks nothing. Only safe if
\tthe node is truly off. Root or the control group.
status_hblinks
\tShow `good` when every heartbeat link of every other node (ping nodes
\taside) is up, else `has_dead` (exit 1); a dead node's links are dead.
Options of every sub-command, anywhere on the line:
\t--json\t\tprint one JSON object instead of text
\t--socket PATH\theartbeatd's control socket (default: $HEARTBEAT_CONTROL_SOCKET,
\t\t\telse /var/run/heartbeat/control)
The same program answers as cl_status, with Heartbeat's usage text only.
";

/// The usage text for a flavor.
pub fn usage(flavor: Flavor) -> String {
    match flavor {
        Flavor::Compat => USAGE.to_owned(),
        Flavor::Extended => format!("{USAGE}{USAGE_EXTENSIONS}"),
    }
}

/// Nodes in the order Heartbeat 3.0.6 lists them: its walks go through
/// the node table backwards, so normal nodes come in reverse `ha.cf` order,
/// then ping nodes (declared before the `node` lines in usual `ha.cf`
/// files) in reverse order too.
pub fn heartbeat_order(view: &StatusView) -> Vec<&NodeView> {
    let normal = view.nodes.iter().filter(|n| n.node_type != "ping").rev();
    let ping = view.nodes.iter().filter(|n| n.node_type == "ping").rev();
    normal.chain(ping).collect()
}

/// Links of `node` in the order Heartbeat lists them (reverse `ha.cf`
/// order: `bcast eth0` + `bcast eth1` list `eth1` first).
pub fn heartbeat_link_order(node: &NodeView) -> impl Iterator<Item = &LinkView> {
    node.links.iter().rev()
}

/// The state `cl_status` 3.0.6 shows for `link` of `node`: Heartbeat never
/// times out the local node's own links, so once one of its own packets
/// came back on a medium that link says `up` until the daemon restarts, a
/// downed interface included; a link never heard (ucast, mcast without
/// loopback) stays `dead`. Other nodes' links show their state. The true
/// state of the local links stays in `--json` and `linkstats`.
pub fn heartbeat_link_status<'a>(node: &NodeView, link: &'a LinkView) -> &'a str {
    let heard = link.last_heard_ms_ago.is_some() || link.packets > 0;
    if node.local && heard {
        "up"
    } else {
        &link.status
    }
}

/// `listnodes -v`'s block of one node: a blank line, the node, its links.
pub fn verbose_node(node: &NodeView) -> String {
    let mut text = format!(
        "\n{}\t{}\t(nodetype: {})\n",
        node.name, node.status, node.node_type
    );
    for link in heartbeat_link_order(node) {
        let status = heartbeat_link_status(node, link);
        text.push_str(&format!("\t{}\t{status}\n", link.name));
    }
    text
}
