//! The randomized simulation suite: thousands of seeded scenarios of 2–5 nodes
//! (crashes, restarts, shutdowns, partitions, lossy links, forged and replayed
//! datagrams, operator commands), every invariant checked after every step.
//!
//! `SIM_SEED=<seed>` replays one scenario (and prints it); `SIM_SCENARIOS=<n>`
//! changes how many run (default 2,000); `SIM_NO_CONVERGENCE=1` skips the final
//! convergence check (to debug the other invariants).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread;

use heartbeat_sim::Scenario;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Run one seed; `Err` holds a printable failure.
fn run_seed(seed: u64) -> Result<u64, String> {
    let mut scenario = Scenario::generate(seed);
    scenario.check_convergence = std::env::var_os("SIM_NO_CONVERGENCE").is_none();
    match catch_unwind(AssertUnwindSafe(|| scenario.run())) {
        Ok(Ok(report)) => Ok(report.steps),
        Ok(Err(v)) => Err(format!("seed {seed}: {v}\n{}", scenario.describe())),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!(
                "seed {seed}: panic: {msg}; replay with SIM_SEED={seed}\n{}",
                scenario.describe()
            ))
        }
    }
}

#[test]
fn randomized_scenarios_hold_every_invariant() {
    if let Some(seed) = env_u64("SIM_SEED") {
        let scenario = Scenario::generate(seed);
        println!("{}", scenario.describe());
        if std::env::var_os("SIM_TRACE").is_some() {
            if let Err(v) = scenario.run_printing_trace() {
                panic!("{v}");
            }
            return;
        }
        if let Err(e) = run_seed(seed) {
            panic!("{e}");
        }
        return;
    }
    let count = env_u64("SIM_SCENARIOS").unwrap_or(2_000);
    let workers = thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let results: Vec<(u64, Vec<String>)> = thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    let mut steps = 0;
                    let mut failures = Vec::new();
                    for seed in (1..=count).filter(|k| k % workers == w) {
                        match run_seed(seed) {
                            Ok(n) => steps += n,
                            Err(e) => failures.push(e),
                        }
                    }
                    (steps, failures)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect()
    });
    let steps: u64 = results.iter().map(|r| r.0).sum();
    let failures: Vec<&String> = results.iter().flat_map(|r| &r.1).collect();
    println!(
        "{count} scenarios, {steps} steps, {} failures",
        failures.len()
    );
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
