//! Soak: two heartbeatd nodes in network namespaces (two bcast links) at a
//! 10 ms keepalive for a long time, while
//! - one link of node1 flaps (down 2 s) every 20 s, alternating links;
//! - both nodes re-read their configuration (SIGHUP) every minute;
//! - 10 clients per node connect, subscribe to events or ask the status,
//!   and vanish, in a loop.
//!
//! Prints RSS and open fds of each daemon at the start and at the end (once
//! the clients are gone), its CPU share in the first and the last minute
//! (no growth expected), node deaths (none expected: a link
//! flap leaves the other link) and resource script calls beyond the first
//! start (none expected).
//!
//! `sudo cargo run --release -p heartbeat-benches --bin soak [minutes]`
//! (default 30; needs root for the namespaces). Not run by CI.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use heartbeat_benches::procstat::{cpu_ticks, memory_kib, USER_HZ};
use heartbeat_core::control::{request_line, Request};
use heartbeat_lab::{Lab, LabSpec, MediumKind, Topology};

const KEEPALIVE_MS: u64 = 10;
const DEADTIME_MS: u64 = 100;
const FLAP_EVERY: Duration = Duration::from_secs(20);
const FLAP_FOR: Duration = Duration::from_secs(2);
const RELOAD_EVERY: Duration = Duration::from_secs(60);
const CLIENTS_PER_NODE: usize = 10;
const WINDOW: Duration = Duration::from_secs(60);

/// One daemon's figures at an instant.
#[derive(Clone, Copy, Debug)]
struct Sample {
    at: Instant,
    rss_kib: u64,
    fds: usize,
    cpu_ticks: u64,
}

fn sample(pid: u32) -> Sample {
    let pid = i32::try_from(pid).unwrap_or(i32::MAX);
    Sample {
        at: Instant::now(),
        rss_kib: memory_kib(&[pid]).0,
        fds: std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count),
        cpu_ticks: cpu_ticks(&[pid]),
    }
}

/// CPU share of one core between two samples, in percent.
fn cpu_percent(from: Sample, to: Sample) -> f64 {
    let seconds = (to.at - from.at).as_secs_f64();
    (to.cpu_ticks.saturating_sub(from.cpu_ticks)) as f64 / USER_HZ / seconds * 100.0
}

/// Connects, asks for events or the status, reads the first answer line,
/// lingers a little and vanishes; until `stop`.
fn client_loop(socket: PathBuf, seed: u64, stop: Arc<AtomicBool>, cycles: Arc<AtomicU64>) {
    let mut state = seed | 1;
    while !stop.load(Ordering::Relaxed) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let request = if state % 3 == 0 {
            Request::Status
        } else {
            Request::Events
        };
        if let Ok(mut stream) = UnixStream::connect(&socket) {
            let _ = stream.write_all(request_line(&request).as_bytes());
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            std::thread::sleep(Duration::from_millis(state % 300));
            cycles.fetch_add(1, Ordering::Relaxed);
        }
        std::thread::sleep(Duration::from_millis(state % 50));
    }
}

fn main() {
    let minutes: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(30);
    if !nix::unistd::geteuid().is_root() {
        eprintln!("soak: needs root (network namespaces)");
        std::process::exit(2);
    }
    let binary = heartbeat_benches::heartbeatd_binary().unwrap_or_else(|e| {
        eprintln!("soak: {e}");
        std::process::exit(2);
    });
    let mut spec = LabSpec::new(2, KEEPALIVE_MS, DEADTIME_MS);
    spec.topology = Topology::Namespaces {
        links: 2,
        medium: MediumKind::Bcast,
    };
    let mut lab = Lab::create(spec, &binary).expect("lab");
    lab.start_all().expect("start");
    let settled = lab.wait_for(Duration::from_secs(30), |l| {
        (0..2)
            .all(|i| {
                l.status(i)
                    .is_ok_and(|s| s.nodes.iter().all(|n| n.status == "active"))
            })
            .then_some(())
    });
    assert!(settled.is_some(), "the cluster never became active");
    lab.expect_running_only_on("web", 0, Duration::from_secs(30));
    let calls_at_start = lab.actions().len();
    let pids: Vec<u32> = (0..2).map(|i| lab.pid(i).expect("running")).collect();

    let stop = Arc::new(AtomicBool::new(false));
    let cycles = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..2 * CLIENTS_PER_NODE)
        .map(|c| {
            let socket = lab.control_socket(c % 2);
            let (stop, cycles) = (Arc::clone(&stop), Arc::clone(&cycles));
            std::thread::spawn(move || client_loop(socket, c as u64 * 7919, stop, cycles))
        })
        .collect();

    let started = Instant::now();
    let end = started + Duration::from_secs(minutes * 60);
    let first: Vec<Sample> = pids.iter().map(|&p| sample(p)).collect();
    let mut after_first_window: Option<Vec<Sample>> = None;
    let mut last_window_start: Vec<Sample> = first.clone();
    let (mut flaps, mut reloads) = (0u64, 0u64);
    let (mut next_flap, mut next_reload) = (started + FLAP_EVERY, started + RELOAD_EVERY);
    while Instant::now() < end {
        let now = Instant::now();
        if now >= next_flap {
            let link = (flaps % 2) as usize;
            lab.set_link(0, link, false).expect("link down");
            std::thread::sleep(FLAP_FOR);
            lab.set_link(0, link, true).expect("link up");
            flaps += 1;
            next_flap += FLAP_EVERY;
        }
        if now >= next_reload {
            for i in 0..2 {
                lab.signal(i, nix::sys::signal::Signal::SIGHUP);
            }
            reloads += 1;
            next_reload += RELOAD_EVERY;
        }
        if after_first_window.is_none() && now >= started + WINDOW {
            after_first_window = Some(pids.iter().map(|&p| sample(p)).collect());
        }
        if end.saturating_duration_since(now) <= WINDOW && last_window_start[0].at < end - WINDOW {
            last_window_start = pids.iter().map(|&p| sample(p)).collect();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let last: Vec<Sample> = pids.iter().map(|&p| sample(p)).collect();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.join();
    }
    // Descriptors and memory once the clients are gone and noticed.
    std::thread::sleep(Duration::from_secs(1));
    let settled: Vec<Sample> = pids.iter().map(|&p| sample(p)).collect();
    let first_window_end = after_first_window.unwrap_or_else(|| last.clone());

    println!("soak: {minutes} min, keepalive {KEEPALIVE_MS} ms, deadtime {DEADTIME_MS} ms, {flaps} link flaps, {reloads} reloads, {} client cycles", cycles.load(Ordering::Relaxed));
    println!(
        "| node  | RSS start | RSS end | fds start | fds end | CPU first min | CPU last min |"
    );
    println!(
        "|-------|-----------|---------|-----------|---------|---------------|--------------|"
    );
    for i in 0..2 {
        println!(
            "| node{} | {:>6} KiB | {:>5} KiB | {:>9} | {:>7} | {:>12.1} % | {:>11.1} % |",
            i + 1,
            first[i].rss_kib,
            settled[i].rss_kib,
            first[i].fds,
            settled[i].fds,
            cpu_percent(first[i], first_window_end[i]),
            cpu_percent(last_window_start[i], last[i]),
        );
    }
    let deaths: Vec<u64> = (0..2)
        .map(|i| {
            lab.status(i)
                .map(|s| s.nodes.iter().filter(|n| !n.local).map(|n| n.deaths).sum())
                .unwrap_or(u64::MAX)
        })
        .collect();
    let extra_calls = lab.actions().len() - calls_at_start;
    println!(
        "node deaths seen: node1 {} node2 {} (expected 0)",
        deaths[0], deaths[1]
    );
    println!("script calls after the first start: {extra_calls} (expected 0)");
}
