//! A big cluster whose nodes join one after another: joining must cost the
//! members a bounded amount of retransmission traffic, not a storm.
//!
//! A member that has been up for a while sent all its older sequenced
//! messages before it knew of the newcomer; the newcomer must not request
//! them (each would be answered by a broadcast nak, from every member).

use std::time::Duration;

use heartbeat_core::engine::NodeState;
use heartbeat_core::sim::{Cluster, ClusterSpec};

const NODES: usize = 12;

/// Most sequence numbers a fresh receiver requests below its first contact
/// point (the engine's first-contact window).
const FIRST_CONTACT_WINDOW: u64 = 8;

fn everyone_active(c: &Cluster) -> bool {
    (0..NODES).all(|i| (0..NODES).all(|j| i == j || c.view(i, j) == NodeState::Active))
}

#[test]
fn staggered_joins_of_a_big_cluster_cause_no_nak_storm() {
    let mut spec = ClusterSpec::new(NODES, 64);
    spec.start_at = (0..NODES)
        .map(|i| Some(Duration::from_millis(250) * i as u32))
        .collect();
    let mut c = Cluster::new(spec);
    let ok = c
        .run_until_cond(Duration::from_secs(30), everyone_active)
        .unwrap_or_else(|v| panic!("{v}"));
    assert!(ok, "the cluster did not come up");
    c.run_for(Duration::from_secs(3)).unwrap();
    c.check_converged().unwrap();

    let peers = (NODES - 1) as u64;
    let mut naks = Vec::new();
    for i in 0..NODES {
        let status = c.node(i).engine().expect("running").status();
        let requests: u64 = status.nodes.iter().map(|n| n.rexmit_requests).sum();
        let skipped: u64 = status.nodes.iter().map(|n| n.skipped_packets).sum();
        let lost: u64 = status.nodes.iter().map(|n| n.lost_packets).sum();
        // Each peer's gap at first contact is requested once, in at most
        // two ranges; nothing is lost on a clean network.
        assert!(
            requests <= 2 * peers,
            "node{} sent {requests} rexmit requests",
            i + 1
        );
        assert_eq!(lost, 0, "node{} lost sequenced messages", i + 1);
        assert!(
            status.delivery.naks_sent <= peers * FIRST_CONTACT_WINDOW,
            "node{} sent {} naks (skipped {skipped})",
            i + 1,
            status.delivery.naks_sent
        );
        naks.push(status.delivery.naks_sent);
    }
    // The first member to start answers every later joiner; it is the
    // busiest and still bounded by the window per joiner.
    assert!(naks.iter().sum::<u64>() <= peers * peers * FIRST_CONTACT_WINDOW / 2);
}
