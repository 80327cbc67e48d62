//! Self-tests of the simulation harness: its checks fire when they should, and
//! a seed replays a run exactly.

use std::time::Duration;

use bytes::Bytes;
use heartbeat_core::engine::{MediumId, NodeState};
use heartbeat_sim::{
    forge, Bounds, Cluster, ClusterSpec, Datagram, Invariant, Op, Origin, Scenario,
};

fn all_see_all(c: &Cluster) -> bool {
    let n = c.nodes().len();
    (0..n).all(|i| (0..n).all(|j| i == j || c.view(i, j) == NodeState::Active))
}

#[test]
fn a_correctly_signed_packet_marked_forged_is_caught() {
    let mut c = Cluster::new(ClusterSpec::new(2, 1));
    assert!(c
        .run_until_cond(Duration::from_secs(5), all_see_all)
        .unwrap());
    // Sign a new application message as node1 with the real key: the engine
    // rightly accepts it, so labelling it forged must trip the invariant.
    let template = forge::template_of(&c, 0).expect("node1 sent packets");
    let packet = forge::forged_packet(&template, Bytes::from_static(b"smuggled"), false);
    let bytes = forge::sign_with(&packet, c.keys()).expect("encodes");
    let now = c.now();
    c.net_mut().inject(
        now,
        Datagram {
            from: 0,
            to: 1,
            medium: MediumId(0),
            bytes,
            packet: None,
            origin: Origin::Forged,
        },
    );
    let err = c.run_for(Duration::from_millis(10)).unwrap_err();
    assert_eq!(err.invariant, Invariant::Forged, "{err}");
    assert_eq!(err.seed, 1);
    assert!(err.to_string().contains("SIM_SEED=1"), "{err}");
}

#[test]
fn a_crash_is_measured_against_its_deadline() {
    let mut c = Cluster::new(ClusterSpec::new(2, 2));
    assert!(c
        .run_until_cond(Duration::from_secs(5), all_see_all)
        .unwrap());
    let deadtime = c.spec().timing.deadtime;
    c.crash(0).unwrap();
    c.run_for(deadtime * 3).unwrap();
    let s = c.detections()[0];
    assert!(s.dead_at <= s.deadline);
    assert!(s.dead_at >= s.last_status_at + deadtime);
}

#[test]
fn a_seed_replays_the_same_run() {
    let run = |seed| {
        let mut s = Scenario::generate(seed);
        s.check_convergence = false;
        s.run().map(|r| r.steps).map_err(|v| v.to_string())
    };
    for seed in [3, 4, 5] {
        assert_eq!(run(seed), run(seed));
    }
}

#[test]
fn liveness_violation_names_the_nodes() {
    let mut c = Cluster::new(ClusterSpec::new(2, 6));
    assert!(c
        .run_until_cond(Duration::from_secs(5), all_see_all)
        .unwrap());
    c.apply(Op::Split(vec![0])).unwrap();
    c.run_for(Duration::from_secs(2)).unwrap();
    assert_eq!(c.view(0, 1), NodeState::Dead);
    // Heal, but with a liveness grace of zero the first step before the status
    // arrives already counts as a breach.
    c.set_bounds(Bounds {
        liveness_grace: Duration::ZERO,
        ..c.bounds()
    });
    let err = c
        .apply(Op::HealAll)
        .and_then(|()| c.run_for(Duration::from_millis(50)));
    let err = err.unwrap_err();
    assert_eq!(err.invariant, Invariant::Liveness, "{err}");
    assert!(err.detail.contains("node1") && err.detail.contains("node2"));
}
