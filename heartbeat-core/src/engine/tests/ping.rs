//! Ping nodes end to end in virtual time: replies keep a ping node `ping`,
//! silence for deadping makes it `dead`, and a node that lost every ping
//! node while its peer still reaches one hands its groups over.

use super::{acquired, Net, MS};
use crate::config::{Config, PingNode, Resource, ResourceGroup};
use crate::engine::{Command, Event, NodeState};

fn with_ping_and_group(cfg: &mut Config) {
    cfg.ping_nodes = vec![PingNode {
        name: "gw".into(),
        hosts: vec!["10.0.0.254".into()],
    }];
    cfg.groups = vec![ResourceGroup {
        key: "ip1".into(),
        preferred_node: "a".into(),
        resources: vec![Resource {
            script: "IPaddr".into(),
            args: vec!["10.0.0.1".into()],
        }],
    }];
}

/// Runs `steps` keepalives (100 ms), each node in `sees` getting one reply
/// from `gw` per keepalive, as the prober would deliver them.
fn run_pinging(net: &mut Net, steps: usize, sees: &[usize]) {
    for _ in 0..steps {
        for &i in sees {
            net.command(i, Command::PingReply { node: "gw".into() });
        }
        net.run_for(100 * MS);
    }
}

fn ping_state(net: &mut Net, i: usize) -> NodeState {
    net.engine(i).status().ping_nodes[0].state
}

#[test]
fn ping_node_states_follow_replies_and_deadping() {
    let mut net = Net::with(&["a", "b"], with_ping_and_group);
    assert_eq!(ping_state(&mut net, 0), NodeState::Init);
    run_pinging(&mut net, 5, &[0, 1]);
    assert_eq!(ping_state(&mut net, 0), NodeState::Ping);
    assert!(!net.engine(0).status().ping_lost());
    // Replies stop for a: dead after deadping (1 s), not before.
    let silent = net.now;
    run_pinging(&mut net, 8, &[1]);
    assert_eq!(
        ping_state(&mut net, 0),
        NodeState::Ping,
        "deadping not over"
    );
    run_pinging(&mut net, 4, &[1]);
    assert_eq!(ping_state(&mut net, 0), NodeState::Dead);
    let died = net.find(
        0,
        |e| matches!(e, Event::NodeState { node, state: NodeState::Dead } if node == "gw"),
    );
    assert_eq!(died.len(), 1);
    let after = died[0].0 - silent;
    assert!(after >= 900 * MS && after <= 1100 * MS, "{after:?}");
    assert!(net.engine(0).status().ping_lost());
    assert_eq!(ping_state(&mut net, 1), NodeState::Ping);
}

#[test]
fn node_that_lost_its_ping_nodes_hands_over_and_legacy_failback_returns() {
    let mut net = Net::with(&["a", "b"], with_ping_and_group);
    run_pinging(&mut net, 10, &[0, 1]);
    assert_eq!(acquired(&net, 0).len(), 1);
    // a loses the gateway, b still reaches it: b takes ip1.
    let cut = net.now;
    run_pinging(&mut net, 30, &[1]);
    let taken = acquired(&net, 1);
    assert_eq!(taken.len(), 1, "b takes the group");
    assert!(taken[0] - cut < 2000 * MS, "{:?}", taken[0] - cut);
    let released = net.find(
        0,
        |e| matches!(e, Event::GroupReleased { group } if group == "ip1"),
    );
    assert_eq!(released.len(), 1);
    assert!(released[0].0 <= taken[0], "stopped on a before b started");
    assert_eq!(net.engine(0).status().holdings, crate::wire::Holdings::None);
    // a reaches the gateway again: legacy failback brings ip1 home.
    run_pinging(&mut net, 30, &[0, 1]);
    assert_eq!(acquired(&net, 0).len(), 2, "back on the preferred node");
    assert_eq!(net.engine(1).status().holdings, crate::wire::Holdings::None);
}

#[test]
fn nobody_moves_when_every_node_lost_the_ping_nodes() {
    let mut net = Net::with(&["a", "b"], with_ping_and_group);
    run_pinging(&mut net, 10, &[0, 1]);
    run_pinging(&mut net, 30, &[]);
    assert!(net.engine(0).status().ping_lost());
    assert!(net.engine(1).status().ping_lost());
    assert!(acquired(&net, 1).is_empty(), "b is no better off");
    assert_eq!(
        net.engine(0).status().holdings,
        crate::wire::Holdings::Local
    );
    let kept = net.find(0, |e| matches!(e, Event::GroupKeptFaulty { .. }));
    assert_eq!(kept.len(), 1, "a keeps ip1 and says so once");
}
