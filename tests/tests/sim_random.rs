//! The randomized simulation suite: thousands of seeded scenarios of 2–5 nodes
//! (crashes, restarts, shutdowns, partitions, lossy links, forged and replayed
//! datagrams, operator commands; with split-brain protection also hangs and
//! failing fence devices), every invariant checked after every step.
//!
//! `SIM_SEED=<seed>` replays one scenario (and prints it); `SIM_SCENARIOS=<n>`
//! changes how many run (default 2,000); `SIM_NO_CONVERGENCE=1` skips the final
//! convergence check (to debug the other invariants); `SIM_UNPROTECTED=1` runs
//! every seed without split-brain protection (`Scenario::unprotected`: the
//! scenarios of the generator before protection existed). The summary
//! counts scenarios and failures per protection level and per invariant.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread;
use std::time::Instant;

use heartbeat_sim::{Protection, Scenario};

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// One seed's outcome: its protection, and the steps taken or a printable
/// failure (with the broken invariant's name).
struct Outcome {
    protection: Protection,
    result: Result<u64, (String, String)>,
}

/// The scenario of `seed` (see `SIM_UNPROTECTED`).
fn scenario(seed: u64) -> Scenario {
    if std::env::var_os("SIM_UNPROTECTED").is_some() {
        Scenario::unprotected(seed)
    } else {
        Scenario::generate(seed)
    }
}

/// Run one seed.
fn run_seed(seed: u64) -> Outcome {
    let mut scenario = scenario(seed);
    scenario.check_convergence = std::env::var_os("SIM_NO_CONVERGENCE").is_none();
    let protection = scenario.spec.safety.protection;
    let result = match catch_unwind(AssertUnwindSafe(|| scenario.run())) {
        Ok(Ok(report)) => Ok(report.steps),
        Ok(Err(v)) => Err((
            format!("{:?}", v.invariant),
            format!("seed {seed}: {v}\n{}", scenario.describe()),
        )),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err((
                "panic".to_owned(),
                format!(
                    "seed {seed}: panic: {msg}; replay with SIM_SEED={seed}\n{}",
                    scenario.describe()
                ),
            ))
        }
    };
    Outcome { protection, result }
}

#[test]
fn randomized_scenarios_hold_every_invariant() {
    if let Some(seed) = env_u64("SIM_SEED") {
        let scenario = scenario(seed);
        println!("{}", scenario.describe());
        if std::env::var_os("SIM_TRACE").is_some() {
            if let Err(v) = scenario.run_printing_trace() {
                panic!("{v}");
            }
            return;
        }
        if let Err((_, e)) = run_seed(seed).result {
            panic!("{e}");
        }
        return;
    }
    let count = env_u64("SIM_SCENARIOS").unwrap_or(2_000);
    let workers = thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let started = Instant::now();
    let results: Vec<Vec<(u64, Outcome)>> = thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    (1..=count)
                        .filter(|k| k % workers == w)
                        .map(|seed| (seed, run_seed(seed)))
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect()
    });
    let mut outcomes: Vec<&(u64, Outcome)> = results.iter().flatten().collect();
    outcomes.sort_by_key(|(seed, _)| *seed);
    let steps: u64 = outcomes
        .iter()
        .filter_map(|(_, o)| o.result.as_ref().ok())
        .sum();
    let failures: Vec<&String> = outcomes
        .iter()
        .filter_map(|(_, o)| o.result.as_ref().err().map(|e| &e.1))
        .collect();
    println!(
        "{count} scenarios, {steps} steps, {} failures, {:.1?} wall time",
        failures.len(),
        started.elapsed()
    );
    let mut table: BTreeMap<String, (u64, BTreeMap<&str, u64>)> = BTreeMap::new();
    for (_, o) in &outcomes {
        let row = table.entry(format!("{:?}", o.protection)).or_default();
        row.0 += 1;
        if let Err((kind, _)) = &o.result {
            *row.1.entry(kind.as_str()).or_default() += 1;
        }
    }
    for (protection, (runs, kinds)) in &table {
        println!("  {protection:<14} {runs:>7} scenarios, failures {kinds:?}");
    }
    for f in failures.iter().take(50) {
        eprintln!("{}", f.lines().next().unwrap_or_default());
    }
    for f in failures.iter().take(3) {
        eprintln!("\n{f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {count} scenarios failed; first: {}",
        failures.len(),
        failures[0].lines().next().unwrap_or_default()
    );
}
