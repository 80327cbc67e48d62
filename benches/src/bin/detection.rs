//! Failure-detection time distribution from the simulation.
//!
//! For each timer set, crashes one node of a two-node cluster N times (one
//! medium, 100 µs delay plus a small jitter, crash at a random phase of the
//! keepalive) and prints min / median / p95 / max of crash → `Dead` at the peer
//! and of last status sent → `Dead`.
//!
//! `cargo run --release -p heartbeat-benches --bin detection [runs]` (default 500).

use std::time::Duration;

use heartbeat_sim::{detection_times, Distribution};

fn row(label: &str, d: Option<Distribution>) {
    match d {
        Some(d) => println!(
            "| {label:<36} | {:>5} | {:>10.1?} | {:>10.1?} | {:>10.1?} | {:>10.1?} |",
            d.count, d.min, d.median, d.p95, d.max
        ),
        None => println!("| {label:<36} | no samples |"),
    }
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let cases = [
        (
            Duration::from_millis(10),
            Duration::from_millis(40),
            Duration::from_micros(200),
        ),
        (
            Duration::from_secs(1),
            Duration::from_secs(10),
            Duration::from_millis(2),
        ),
    ];
    println!("| timers / measure                     |     n |        min |     median |        p95 |        max |");
    println!("|--------------------------------------|-------|------------|------------|------------|------------|");
    for (keepalive, deadtime, jitter) in cases {
        let r = match detection_times(keepalive, deadtime, jitter, runs, 1) {
            Ok(r) => r,
            Err(v) => {
                eprintln!("invariant violated: {v}");
                std::process::exit(1);
            }
        };
        let name = format!("ka {keepalive:?} / dt {deadtime:?}");
        row(
            &format!("{name}: crash→dead"),
            Distribution::of(&r.crash_to_dead),
        );
        row(
            &format!("{name}: last status→dead"),
            Distribution::of(&r.last_status_to_dead),
        );
        if r.undetected > 0 {
            println!("| {name}: undetected in {} runs |", r.undetected);
        }
    }
}
