//! Big clusters: nodes joining one after another must cost the members a
//! bounded amount of retransmission traffic, and a whole cluster starting at
//! once must not answer every `Starting` and ack every broadcast of every
//! member (both were storms at 64 nodes).
//!
//! A member that has been up for a while sent all its older sequenced
//! messages before it knew of the newcomer; the newcomer must not request
//! them (each would be answered by a broadcast nak, from every member).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use heartbeat_core::config::AutoFailback;
use heartbeat_core::wire::Message;
use heartbeat_sim::{timing, Cluster, ClusterSpec, Datagram};

const NODES: usize = 12;

/// Most sequence numbers a fresh receiver requests below its first contact
/// point (the engine's first-contact window).
const FIRST_CONTACT_WINDOW: u64 = 8;

#[test]
fn staggered_joins_of_a_big_cluster_cause_no_nak_storm() {
    let mut spec = ClusterSpec::new(NODES, 64);
    spec.start_at = (0..NODES)
        .map(|i| Some(Duration::from_millis(250) * i as u32))
        .collect();
    let mut c = Cluster::new(spec);
    let ok = c
        .run_until_cond(Duration::from_secs(30), Cluster::settled)
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

/// Packets of each kind received by node1 on medium 0 (every broadcast in
/// the cluster reaches it once there).
fn count_by_kind(c: &mut Cluster) -> Rc<RefCell<BTreeMap<&'static str, u64>>> {
    let counts: Rc<RefCell<BTreeMap<&'static str, u64>>> = Rc::default();
    let seen = counts.clone();
    c.net_mut().add_filter(Box::new(move |d: &Datagram| {
        if d.to == 0 && d.medium.0 == 0 {
            let kind = match d.packet.as_deref().map(|p| &p.message) {
                Some(Message::Ack { .. }) => "ack",
                Some(Message::ResourceReport { .. }) => "report",
                Some(Message::Ownership(_)) => "ownership",
                Some(Message::NakRexmit { .. }) => "nak",
                _ => "other",
            };
            *seen.borrow_mut().entry(kind).or_default() += 1;
        }
        false
    }));
    counts
}

#[test]
fn a_big_cluster_starting_at_once_answers_each_starting_once() {
    const COLD: usize = 32;
    let mut spec = ClusterSpec::new(COLD, 65);
    spec.timing = timing(Duration::from_millis(1000), Duration::from_millis(3000));
    spec.policy = AutoFailback::On;
    spec.groups = vec![0];
    let mut c = Cluster::new(spec);
    let counts = count_by_kind(&mut c);
    c.run_until(Duration::from_secs(6))
        .unwrap_or_else(|v| panic!("{v}"));
    assert!(c.settled(), "the cluster did not come up");
    assert_eq!(c.owners("grp1"), vec![0]);
    let counts = counts.borrow();
    let peers = (COLD - 1) as u64;
    // Every node answers the burst of Startings about twice (at once, then
    // once for all that came during the reply gap), not once per peer.
    assert!(counts["report"] <= 4 * peers, "{counts:?}");
    assert!(counts["ownership"] <= 6 * peers, "{counts:?}");
    // Acks: for node1's IpRequests (one to each peer) and the answers to
    // them, not for every broadcast from every member.
    assert!(
        counts.get("ack").copied().unwrap_or(0) <= 10 * peers,
        "{counts:?}"
    );
}
