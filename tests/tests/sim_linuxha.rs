//! The simulation suite's scenarios with every node speaking the Linux-HA
//! dialect (`wire_dialect linux-ha`): sequenced statuses, `NS_*` control
//! messages, ownership announcements as `NS_hbrs_ownership`. A cluster that
//! finished a rolling migration from Heartbeat 3.0.6 runs like this; one
//! moving on to the native dialect node by node mixes both.

use std::time::Duration;

use heartbeat_core::config::{AutoFailback, WireDialect};
use heartbeat_core::engine::NodeState;
use heartbeat_sim::{Cluster, ClusterSpec, LinkFaults, Scenario};

fn spec(nodes: usize, policy: AutoFailback, seed: u64) -> ClusterSpec {
    let mut s = ClusterSpec::new(nodes, seed);
    s.policy = policy;
    s.groups = vec![0];
    s.wire_dialects = vec![WireDialect::LinuxHa; nodes];
    s
}

fn all_active(c: &Cluster) -> bool {
    let n = c.nodes().len();
    (0..n).all(|i| {
        !c.node(i).is_up()
            || (0..n).all(|j| i == j || !c.node(j).is_up() || c.view(i, j) == NodeState::Active)
    })
}

fn settle_on(c: &mut Cluster, owner: usize, within: Duration) {
    let ok = c
        .run_until_cond(within, |c| all_active(c) && c.owners("grp1") == vec![owner])
        .unwrap_or_else(|v| panic!("{v}"));
    assert!(
        ok,
        "not settled on node{}: {:?}",
        owner + 1,
        c.owners("grp1")
    );
}

#[test]
fn three_nodes_settle_fail_over_and_fail_back() {
    for policy in [AutoFailback::On, AutoFailback::Legacy] {
        let mut c = Cluster::new(spec(3, policy, 21));
        settle_on(&mut c, 0, Duration::from_secs(15));
        c.crash(0).unwrap();
        let ok = c
            .run_until_cond(Duration::from_secs(5), |c| c.owners("grp1") == vec![1])
            .unwrap_or_else(|v| panic!("{v}"));
        assert!(
            ok,
            "{policy:?}: node2 did not take over: {:?}",
            c.owners("grp1")
        );
        c.start(0).unwrap();
        settle_on(&mut c, 0, Duration::from_secs(15));
    }
}

#[test]
fn native_and_linux_ha_nodes_run_one_cluster() {
    // A cluster between two rolling restarts: node2 speaks Linux-HA, the
    // others native; everyone reads both.
    let mut s = spec(3, AutoFailback::On, 23);
    s.wire_dialects = vec![
        WireDialect::Native,
        WireDialect::LinuxHa,
        WireDialect::Native,
    ];
    let mut c = Cluster::new(s);
    settle_on(&mut c, 0, Duration::from_secs(15));
    c.crash(0).unwrap();
    let ok = c
        .run_until_cond(Duration::from_secs(5), |c| c.owners("grp1") == vec![1])
        .unwrap_or_else(|v| panic!("{v}"));
    assert!(ok, "node2 did not take over: {:?}", c.owners("grp1"));
    c.start(0).unwrap();
    settle_on(&mut c, 0, Duration::from_secs(15));
}

#[test]
fn lossy_links_recover_by_retransmission_without_false_deaths() {
    let mut s = spec(2, AutoFailback::On, 22);
    s.link = LinkFaults {
        loss: 0.10,
        ..LinkFaults::CLEAN
    };
    let mut c = Cluster::new(s);
    settle_on(&mut c, 0, Duration::from_secs(15));
    c.run_for(Duration::from_secs(30))
        .unwrap_or_else(|v| panic!("{v}"));
    assert_eq!(c.view(0, 1), NodeState::Active);
    assert_eq!(c.view(1, 0), NodeState::Active);
    assert_eq!(c.owners("grp1"), vec![0]);
}

#[test]
fn random_scenarios_hold_every_invariant_in_either_and_mixed_dialects() {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    // SIM_LINUXHA_SEED=n replays scenario 1_000_000 + n alone.
    let seeds = match env("SIM_LINUXHA_SEED") {
        Some(seed) => seed..seed + 1,
        None => 0..env("SIM_LINUXHA_SCENARIOS").unwrap_or(150),
    };
    for seed in seeds {
        let mut scenario = Scenario::unprotected(1_000_000 + seed);
        // Even seeds: every node on Linux-HA; odd seeds: a mix by seed bits.
        scenario.spec.wire_dialects = (0..scenario.spec.nodes)
            .map(|i| {
                if seed % 2 == 0 || (seed >> (i + 1)) & 1 == 1 {
                    WireDialect::LinuxHa
                } else {
                    WireDialect::Native
                }
            })
            .collect();
        let result = if std::env::var_os("SIM_TRACE").is_some() {
            scenario.run_printing_trace()
        } else {
            scenario.run()
        };
        if let Err(v) = result {
            panic!(
                "SIM_LINUXHA_SEED={seed}: {v}\ndialects {:?}\n{}",
                scenario.spec.wire_dialects,
                scenario.describe()
            );
        }
    }
}
