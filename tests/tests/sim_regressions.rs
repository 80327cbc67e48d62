//! Seeds of the randomized suite that broke an invariant, replayed by name.
//! `SIM_SEED=<seed> SIM_TRACE=1 cargo test -p heartbeat-tests --test sim_random
//! -- --nocapture` prints the scenario and a trace of every op, resource action
//! and event. A seed means a scenario of the current generator
//! (`sim::Scenario::generate`): when the generator changes, re-collect them.

use heartbeat_core::sim::Scenario;

fn replay(seed: u64) {
    let s = Scenario::generate(seed);
    if let Err(v) = s.run() {
        panic!("{v}\n{}", s.describe());
    }
}

/// auto_failback off, 2 nodes: a one-way cut node1 → node2 lets node2 declare
/// node1 dead and take grp1 while node1 keeps it; after the heal node2 sees
/// node1 return (`NodeReturned`) and both keep running grp1.
#[test]
fn seed_8_one_way_cut_leaves_two_owners() {
    replay(8);
}

/// The first other seeds (of 2,000) that broke the split-brain invariant when this
/// was written (same pattern: a peer returns after a cut or a restart inside
/// a partition, and double ownership is never resolved).
#[test]
fn split_brain_seeds_1_to_750() {
    let mut failed = Vec::new();
    for seed in [16, 20, 78, 154, 204, 337, 574, 582, 639, 746] {
        let s = Scenario::generate(seed);
        if let Err(v) = s.run() {
            failed.push(format!("{v}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
