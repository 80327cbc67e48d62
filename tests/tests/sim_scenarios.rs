//! Named simulation scenarios from the engine acceptance list. Each runs a small
//! cluster in virtual time with every invariant checked after every step, then
//! asserts what an operator would expect.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use heartbeat_core::config::AutoFailback;
use heartbeat_core::engine::{Event, NodeState};
use heartbeat_core::wire::Message;
use heartbeat_sim::{Cluster, ClusterSpec, Datagram, Direction, ForgeKind, LinkFaults, Op};

const G1: &str = "grp1";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// `nodes` nodes, two media, keepalive 100 ms / deadtime 500 ms, one group
/// `grp1` preferred by node1.
fn spec(nodes: usize, policy: AutoFailback, seed: u64) -> ClusterSpec {
    let mut s = ClusterSpec::new(nodes, seed);
    s.policy = policy;
    s.groups = vec![0];
    s
}

fn all_active(c: &Cluster) -> bool {
    let n = c.nodes().len();
    (0..n).all(|i| {
        !c.node(i).is_up()
            || (0..n).all(|j| i == j || !c.node(j).is_up() || c.view(i, j) == NodeState::Active)
    })
}

/// Run until every live node sees every other live node active and `grp1` has
/// exactly the owner `owner`.
fn settle(c: &mut Cluster, owner: usize) {
    let ok = c
        .run_until_cond(Duration::from_secs(15), |c| {
            all_active(c) && c.owners(G1) == vec![owner]
        })
        .unwrap_or_else(|v| panic!("{v}"));
    assert!(
        ok,
        "did not settle with {G1} on node{}: owners {:?}",
        owner + 1,
        c.owners(G1)
    );
}

fn dead_event(of: &str) -> impl Fn(&Event) -> bool + '_ {
    move |e| matches!(e, Event::NodeState { node, state: NodeState::Dead } if node == of)
}

#[test]
fn kill_9_of_the_owner_fails_over_within_deadtime_plus_keepalive() {
    let mut c = Cluster::new(spec(2, AutoFailback::Legacy, 11));
    settle(&mut c, 0);
    let crash_at = c.now();
    let last_status = c.node(0).last_status.expect("node1 sent statuses").at;
    c.crash(0).unwrap();
    let ok = c
        .run_until_cond(Duration::from_secs(5), |c| c.owners(G1) == vec![1])
        .unwrap();
    assert!(ok, "node2 did not take over {G1}");
    let dead_at = c
        .first_event(1, crash_at, dead_event("node1"))
        .expect("node1 declared dead");
    let t = c.spec().timing;
    assert!(
        dead_at <= last_status + t.deadtime + t.keepalive + ms(1),
        "dead at {dead_at:?}"
    );
    assert!(
        dead_at >= last_status + t.deadtime,
        "declared dead too early: {dead_at:?}"
    );
    assert_eq!(c.detections().len(), 1);
}

#[test]
fn graceful_shutdown_hands_over_before_deadtime() {
    let mut c = Cluster::new(spec(2, AutoFailback::Legacy, 12));
    settle(&mut c, 0);
    let t0 = c.now();
    c.shutdown(0).unwrap();
    let deadtime = c.spec().timing.deadtime;
    let ok = c
        .run_until_cond(deadtime, |c| !c.node(0).is_up() && c.owners(G1) == vec![1])
        .unwrap();
    assert!(ok, "no handover within deadtime: owners {:?}", c.owners(G1));
    assert!(c.now() - t0 < deadtime, "handover took {:?}", c.now() - t0);
    assert!(c
        .node(0)
        .events
        .iter()
        .any(|o| o.event == Event::ShutdownComplete));
}

#[test]
fn thirty_percent_loss_on_one_of_two_links_causes_no_false_death() {
    let mut c = Cluster::new(spec(2, AutoFailback::Legacy, 13));
    settle(&mut c, 0);
    let t0 = c.now();
    c.net_mut().set_medium(0, LinkFaults::lossy(0.3));
    c.run_for(Duration::from_secs(120)).unwrap();
    for i in 0..2 {
        let other = if i == 0 { "node2" } else { "node1" };
        assert_eq!(
            c.first_event(i, t0, dead_event(other)),
            None,
            "node{} saw a false death",
            i + 1
        );
        let eth1_dead = c.first_event(i, t0, |e| {
            matches!(e, Event::LinkState { link, state: heartbeat_core::engine::LinkState::Dead, .. } if link == "eth1")
        });
        assert_eq!(eth1_dead, None, "the clean link was declared dead");
    }
    assert_eq!(c.owners(G1), vec![0]);
}

#[test]
fn partition_and_heal_keeps_one_owner_and_restarts_no_one() {
    let mut s = spec(2, AutoFailback::Legacy, 14);
    s.groups = vec![0, 1];
    let mut c = Cluster::new(s);
    settle(&mut c, 0);
    let ok = c
        .run_until_cond(Duration::from_secs(2), |c| c.owners("grp2") == vec![1])
        .unwrap();
    assert!(ok);
    let gens: Vec<u64> = c.nodes().iter().map(|n| n.identity.generation).collect();
    c.apply(Op::Split(vec![0])).unwrap();
    let ok = c
        .run_until_cond(Duration::from_secs(3), |c| {
            c.owners(G1).len() == 2 && c.owners("grp2").len() == 2
        })
        .unwrap();
    assert!(
        ok,
        "both sides should take every group during the partition"
    );
    c.apply(Op::HealAll).unwrap();
    let grace = c.bounds().split_brain_grace;
    let ok = c
        .run_until_cond(grace, |c| {
            c.owners(G1).len() == 1 && c.owners("grp2").len() == 1
        })
        .unwrap();
    assert!(ok, "no single owner within {grace:?} of the heal");
    c.run_for(Duration::from_secs(5)).unwrap();
    c.check_converged().unwrap();
    let after: Vec<u64> = c.nodes().iter().map(|n| n.identity.generation).collect();
    assert_eq!(gens, after, "a node restarted");
    assert!(c.nodes().iter().all(|n| n.incarnation == 0 && n.is_up()));
    assert!(all_active(&c));
}

#[test]
fn legacy_failback_survives_a_lost_ip_request_resp() {
    let mut s = spec(2, AutoFailback::Legacy, 15);
    s.start_at = vec![None, Some(Duration::ZERO)];
    let mut c = Cluster::new(s);
    // node2 alone takes node1's group after initdead.
    let ok = c
        .run_until_cond(Duration::from_secs(5), |c| c.owners(G1) == vec![1])
        .unwrap();
    assert!(ok, "node2 alone did not take {G1}");
    // The harness decodes every datagram with the cluster keyring when it is
    // sent; drop every copy (one per medium) of the first IpRequestResp to node1.
    let media = c.net().media();
    let dropped = Arc::new(AtomicUsize::new(0));
    let seen = dropped.clone();
    c.net_mut().add_filter(Box::new(move |d: &Datagram| {
        let is_resp = d
            .packet
            .as_deref()
            .is_some_and(|p| matches!(p.message, Message::IpRequestResp { .. }));
        is_resp && d.to == 0 && seen.fetch_add(1, Ordering::SeqCst) < media
    }));
    c.start(0).unwrap();
    let ok = c
        .run_until_cond(Duration::from_secs(10), |c| c.owners(G1) == vec![0])
        .unwrap();
    assert!(
        dropped.load(Ordering::SeqCst) > 0,
        "no IpRequestResp was sent"
    );
    assert!(
        ok,
        "{G1} never came back to node1: owners {:?}",
        c.owners(G1)
    );
    c.run_for(Duration::from_secs(3)).unwrap();
    c.check_converged().unwrap();
}

fn failback(policy: AutoFailback, seed: u64) -> Cluster {
    let mut c = Cluster::new(spec(2, policy, seed));
    settle(&mut c, 0);
    c.crash(0).unwrap();
    let ok = c
        .run_until_cond(Duration::from_secs(5), |c| c.owners(G1) == vec![1])
        .unwrap();
    assert!(ok, "node2 did not take over");
    c.start(0).unwrap();
    c.run_for(Duration::from_secs(8)).unwrap();
    c.check_converged().unwrap();
    assert!(all_active(&c));
    c
}

#[test]
fn auto_failback_on_returns_the_group_to_its_preferred_node() {
    let c = failback(AutoFailback::On, 16);
    assert_eq!(c.owners(G1), vec![0]);
}

#[test]
fn auto_failback_off_leaves_the_group_where_it_is() {
    let c = failback(AutoFailback::Off, 17);
    assert_eq!(c.owners(G1), vec![1]);
}

#[test]
fn legacy_failback_returns_the_group_after_a_restart() {
    let c = failback(AutoFailback::Legacy, 18);
    assert_eq!(c.owners(G1), vec![0]);
}

#[test]
fn three_nodes_kill_9_of_the_owner_exactly_one_survivor_starts() {
    for seed in 0..20 {
        let mut c = Cluster::new(spec(3, AutoFailback::Legacy, 100 + seed));
        settle(&mut c, 0);
        let t0 = c.now();
        c.crash(0).unwrap();
        c.run_for(Duration::from_secs(5)).unwrap();
        let owners = c.owners(G1);
        assert_eq!(owners.len(), 1, "seed {seed}: owners {owners:?}");
        let starters: Vec<usize> = (1..3)
            .filter(|&i| {
                c.first_event(
                    i,
                    t0,
                    |e| matches!(e, Event::GroupAcquired { group } if group == G1),
                )
                .is_some()
            })
            .collect();
        assert_eq!(
            starters.len(),
            1,
            "seed {seed}: both survivors started {G1}"
        );
    }
}

#[test]
fn forged_and_replayed_datagrams_are_never_accepted() {
    let mut s = spec(3, AutoFailback::Legacy, 19);
    s.groups = vec![0, 1, 2];
    let mut c = Cluster::new(s);
    settle(&mut c, 0);
    // Application traffic to replay, and a restart to make old generations.
    for k in 0..10 {
        c.apply(Op::SendApp {
            from: k % 3,
            to: None,
        })
        .unwrap();
    }
    c.run_for(ms(500)).unwrap();
    c.crash(2).unwrap();
    c.run_for(ms(200)).unwrap();
    c.start(2).unwrap();
    c.run_for(Duration::from_secs(3)).unwrap();
    for round in 0..200u32 {
        let kind = ForgeKind::ALL[round as usize % ForgeKind::ALL.len()];
        c.apply(Op::Forge(kind)).unwrap();
        c.run_for(ms(7)).unwrap();
    }
    c.run_for(Duration::from_secs(2)).unwrap();
    c.check_converged().unwrap();
    assert!(all_active(&c));
}

#[test]
fn one_way_partition_on_one_medium_keeps_everyone_alive() {
    let mut c = Cluster::new(spec(3, AutoFailback::Legacy, 20));
    settle(&mut c, 0);
    let t0 = c.now();
    c.apply(Op::Partition {
        a: 0,
        b: 1,
        medium: Some(0),
        dir: Direction::OneWay,
    })
    .unwrap();
    c.run_for(Duration::from_secs(10)).unwrap();
    for i in 0..3 {
        for j in 0..3 {
            if i != j {
                let name = format!("node{}", j + 1);
                assert_eq!(c.first_event(i, t0, dead_event(&name)), None);
            }
        }
    }
}

/// Seed 13 of the randomized suite, reduced: node1 and node2 lose each other
/// while node3 still hears both; each takes the other's group; after the heal
/// every group must end on one node.
#[test]
fn partial_partition_between_two_of_three_nodes_heals_to_one_owner() {
    for policy in [AutoFailback::Legacy, AutoFailback::On, AutoFailback::Off] {
        let mut s = spec(3, policy, 21);
        s.groups = vec![0, 1, 2];
        let mut c = Cluster::new(s);
        settle(&mut c, 0);
        let ok = c
            .run_until_cond(Duration::from_secs(15), |c| {
                c.owners("grp2") == vec![1] && c.owners("grp3") == vec![2]
            })
            .unwrap();
        assert!(
            ok,
            "{policy:?}: groups did not settle on their preferred nodes"
        );
        c.apply(Op::Partition {
            a: 0,
            b: 1,
            medium: None,
            dir: Direction::TwoWay,
        })
        .unwrap();
        c.run_for(Duration::from_secs(2)).unwrap();
        c.apply(Op::HealAll).unwrap();
        c.run_for(Duration::from_secs(15))
            .unwrap_or_else(|v| panic!("{policy:?}: {v}"));
        c.check_converged()
            .unwrap_or_else(|v| panic!("{policy:?}: {v}"));
    }
}

/// Seed 8 of the randomized suite, reduced (an engine bug at the time of
/// writing): a one-way cut node1 → node2 makes node2 declare node1 dead and
/// take its group while node1 keeps it; after the heal node2 sees node1 return,
/// and one of them must give the group up.
#[test]
fn one_way_cut_then_heal_resolves_double_ownership() {
    for policy in [AutoFailback::Legacy, AutoFailback::On, AutoFailback::Off] {
        let mut c = Cluster::new(spec(2, policy, 22));
        settle(&mut c, 0);
        c.apply(Op::Partition {
            a: 0,
            b: 1,
            medium: None,
            dir: Direction::OneWay,
        })
        .unwrap();
        let ok = c
            .run_until_cond(Duration::from_secs(3), |c| c.owners(G1).len() == 2)
            .unwrap();
        assert!(
            ok,
            "{policy:?}: node2 should take {G1} when node1 goes silent"
        );
        c.apply(Op::HealAll).unwrap();
        c.run_for(Duration::from_secs(15))
            .unwrap_or_else(|v| panic!("{policy:?}: {v}"));
        c.check_converged()
            .unwrap_or_else(|v| panic!("{policy:?}: {v}"));
    }
}

/// The variant of the one-way cut: node2 crashes and restarts inside a
/// partition, comes up alone and starts every group; after the heal node1
/// keeps its group (no restart of it) and node2 gives its copy up.
#[test]
fn restart_inside_a_partition_then_heal_keeps_the_preferred_copy() {
    for policy in [AutoFailback::Legacy, AutoFailback::On, AutoFailback::Off] {
        let mut s = spec(2, policy, 23);
        s.groups = vec![0, 1];
        let mut c = Cluster::new(s);
        settle(&mut c, 0);
        let ok = c
            .run_until_cond(Duration::from_secs(15), |c| c.owners("grp2") == vec![1])
            .unwrap();
        assert!(ok, "{policy:?}: grp2 did not settle on node2");
        let t0 = c.now();
        c.apply(Op::Split(vec![0])).unwrap();
        c.crash(1).unwrap();
        c.run_for(ms(200)).unwrap();
        c.start(1).unwrap();
        let ok = c
            .run_until_cond(Duration::from_secs(5), |c| c.owners(G1) == vec![0, 1])
            .unwrap();
        assert!(ok, "{policy:?}: the restarted node2 should take {G1} alone");
        c.apply(Op::HealAll).unwrap();
        c.run_for(Duration::from_secs(10))
            .unwrap_or_else(|v| panic!("{policy:?}: {v}"));
        c.check_converged()
            .unwrap_or_else(|v| panic!("{policy:?}: {v}"));
        assert_eq!(c.owners(G1), vec![0], "{policy:?}");
        let restarted_on_node1 = c
            .node(0)
            .events
            .iter()
            .filter(|o| o.at > t0)
            .any(|o| matches!(&o.event, Event::GroupAcquired { group } if group == G1));
        assert!(!restarted_on_node1, "{policy:?}: node1 restarted {G1}");
    }
}

/// Three nodes, one-way cut node1 → node2 only: node2 declares node1 dead and
/// takes grp1; node3 still hears everyone. After the heal exactly one copy
/// is left, on node1.
#[test]
fn one_way_cut_in_three_nodes_heals_to_the_preferred_node() {
    for policy in [AutoFailback::Legacy, AutoFailback::On, AutoFailback::Off] {
        let mut c = Cluster::new(spec(3, policy, 24));
        settle(&mut c, 0);
        c.apply(Op::Partition {
            a: 0,
            b: 1,
            medium: None,
            dir: Direction::OneWay,
        })
        .unwrap();
        c.run_for(Duration::from_secs(3))
            .unwrap_or_else(|v| panic!("{policy:?}: {v}"));
        c.apply(Op::HealAll).unwrap();
        c.run_for(Duration::from_secs(10))
            .unwrap_or_else(|v| panic!("{policy:?}: {v}"));
        c.check_converged()
            .unwrap_or_else(|v| panic!("{policy:?}: {v}"));
        assert_eq!(c.owners(G1), vec![0], "{policy:?}");
    }
}

/// auto_failback on|off, every node starting at once: nobody holds anything,
/// so nobody waits for a stable peer (Linux-HA waits a fixed 10 s). Every
/// group runs on its preferred node within initdead plus a few keepalives.
#[test]
fn nice_failback_cold_start_needs_no_fixed_wait() {
    for policy in [AutoFailback::On, AutoFailback::Off] {
        let mut s = spec(3, policy, 25);
        s.groups = vec![0, 1, 2];
        let mut c = Cluster::new(s);
        let t = c.spec().timing;
        let limit = t.initdead + t.keepalive * 10;
        let ok = c
            .run_until_cond(limit, |c| {
                (0..3).all(|i| c.owners(&format!("grp{}", i + 1)) == vec![i])
            })
            .unwrap_or_else(|v| panic!("{policy:?}: {v}"));
        assert!(ok, "{policy:?}: groups not on their nodes after {limit:?}");
        c.run_for(Duration::from_secs(5)).unwrap();
        c.check_converged().unwrap();
    }
}
