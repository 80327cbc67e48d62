//! Kill -9 → takeover times of real heartbeatd processes on loopback, and the
//! idle cost of one daemon.
//!
//! ```sh
//! cargo build --release -p heartbeatd
//! cargo run --release -p heartbeat-benches --bin takeover -- [RUNS] [KEEPALIVE_MS DEADTIME_MS]
//! ```
//!
//! Two nodes, group `web` preferred by node1, `auto_failback on`. Each run
//! kills node1 with SIGKILL, measures until node2's resource script has
//! started the group (wall clock, from the scripts' log), restarts node1 and
//! waits for the failback. Without timer arguments it measures 10 ms / 40 ms
//! and 1 s / 10 s. Then it samples RSS and CPU of one idle daemon.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use heartbeat_lab::{unix_now_ns, Lab, LabSpec};

fn heartbeatd_binary() -> PathBuf {
    heartbeat_benches::heartbeatd_binary().unwrap_or_else(|e| panic!("{e}"))
}

fn wait<T>(lab: &mut Lab, limit: Duration, check: impl FnMut(&mut Lab) -> Option<T>) -> T {
    lab.wait_for(limit, check)
        .unwrap_or_else(|| panic!("timed out; logs in {}", lab.root().display()))
}

fn takeovers(runs: usize, keepalive_ms: u64, deadtime_ms: u64) -> Vec<Duration> {
    let mut spec = LabSpec::new(2, keepalive_ms, deadtime_ms);
    spec.initdead_ms = deadtime_ms.max(1000);
    let mut lab = Lab::create(spec, &heartbeatd_binary()).expect("lab");
    lab.start_all().expect("start");
    let limit = Duration::from_millis(deadtime_ms * 4 + 30_000);
    let mut times = Vec::with_capacity(runs);
    for run in 0..runs {
        wait(&mut lab, limit, |l| {
            (l.running("web") == ["node1"]).then_some(())
        });
        // Let the failback settle and a few heartbeats flow.
        std::thread::sleep(Duration::from_millis(5 * keepalive_ms + 200));
        let killed = unix_now_ns();
        lab.kill9(0);
        let started = wait(&mut lab, limit, |l| {
            l.actions()
                .into_iter()
                .find(|a| a.node == "node2" && a.verb == "start" && a.unix_ns > killed)
        });
        let took = Duration::from_nanos((started.unix_ns - killed) as u64);
        eprintln!("  run {:>2}: {:>8.1} ms", run + 1, took.as_secs_f64() * 1e3);
        times.push(took);
        lab.start(0).expect("restart node1");
    }
    times
}

fn summary(times: &mut [Duration]) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "min {:.1} ms | median {:.1} ms | max {:.1} ms",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    )
}

/// (RSS in KiB, CPU % of one core) of node1 over `window`.
fn idle_cost(keepalive_ms: u64, deadtime_ms: u64, window: Duration) -> (u64, f64) {
    let mut lab = Lab::create(
        LabSpec::new(2, keepalive_ms, deadtime_ms),
        &heartbeatd_binary(),
    )
    .expect("lab");
    lab.start_all().expect("start");
    wait(&mut lab, Duration::from_secs(60), |l| {
        (l.running("web") == ["node1"]).then_some(())
    });
    let pid = lab.pid(0).expect("node1 runs");
    let ticks = || -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    };
    let hz = 100.0; // USER_HZ on Linux
    let (start, t0) = (ticks(), Instant::now());
    std::thread::sleep(window);
    let cpu = (ticks() - start) as f64 / hz / t0.elapsed().as_secs_f64() * 100.0;
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    (rss, cpu)
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers: RUNS [KEEPALIVE_MS DEADTIME_MS]"))
        .collect();
    let runs = args.first().copied().unwrap_or(20) as usize;
    let settings = match args[1..] {
        [ka, dt] => vec![(ka, dt)],
        _ => vec![(10, 40), (1000, 10_000)],
    };
    let mut rows = Vec::new();
    for (ka, dt) in settings {
        eprintln!("kill -9 → takeover, keepalive {ka} ms / deadtime {dt} ms, {runs} runs");
        let mut times = takeovers(runs, ka, dt);
        rows.push(format!(
            "| {ka} ms / {dt} ms | {runs} | {} |",
            summary(&mut times)
        ));
    }
    println!("| keepalive / deadtime | runs | kill -9 → survivor's start script |");
    println!("|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    for (ka, dt) in [(1000, 10_000), (10, 40)] {
        let (rss, cpu) = idle_cost(ka, dt, Duration::from_secs(30));
        println!(
            "idle node1 at {ka} ms / {dt} ms: RSS {rss} KiB, CPU {cpu:.2} % of one core (30 s)"
        );
    }
}
