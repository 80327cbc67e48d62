//! The idle cost of heartbeatd's HTTP listener (`metrics_listen`): one run
//! of the benchmark's idle measurement with two healthy 2-node clusters side
//! by side, each node in its own namespace, heartbeatd 100 ms / 400 ms with
//! the listener off and on (not scraped: Prometheus's default of one scrape
//! every 15 s costs one request of a few milliseconds).
//!
//! ```sh
//! cargo build --release -p heartbeatd
//! sudo cargo run --release -p heartbeat-benches --bin metrics_cost -- [WINDOW_SECS]
//! ```

use std::time::Duration;

use heartbeat_benches::cleanup;
use heartbeat_benches::cluster::Binaries;
use heartbeat_benches::measure::idle;
use heartbeat_benches::systems::{Setting, System};

fn main() -> std::process::ExitCode {
    cleanup::main_with_cleanup("metrics_cost", run)
}

fn run() -> anyhow::Result<()> {
    let window = Duration::from_secs(
        std::env::args()
            .nth(1)
            .map(|a| a.parse())
            .transpose()?
            .unwrap_or(60),
    );
    let binaries = Binaries {
        heartbeatd: heartbeat_benches::heartbeatd_binary().map_err(anyhow::Error::msg)?,
        heartbeat: None,
    };
    let off = Setting::ha(System::Heartbeatd, 100, 400);
    let settings = [off, off.with_metrics_listen()];
    let scratch = std::env::temp_dir().join(format!("hbbench-metrics-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    cleanup::register_dir(scratch.clone());
    eprintln!("idle for {} s, listener off and on …", window.as_secs());
    let rows = idle::idle_cost(&settings, window, &scratch, &binaries)?;
    println!("| setting | CPU node1 | CPU node2 | RSS node1 | RSS node2 |");
    println!("|---|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {:.2} % | {:.2} % | {} KiB | {} KiB |",
            r.setting.label(),
            r.cpu_percent[0],
            r.cpu_percent[1],
            r.rss_kib[0],
            r.rss_kib[1]
        );
    }
    if let [a, b] = rows.as_slice() {
        let mean = |r: &idle::IdleRow| (r.cpu_percent[0] + r.cpu_percent[1]) / 2.0;
        let rss = |r: &idle::IdleRow| (r.rss_kib[0] + r.rss_kib[1]) as f64 / 2.0;
        println!(
            "\nlistener on / off: CPU {:.2}×, RSS {:.2}× ({:+.0} KiB per node)",
            mean(b) / mean(a).max(f64::MIN_POSITIVE),
            rss(b) / rss(a).max(1.0),
            rss(b) - rss(a)
        );
    }
    cleanup::unregister_dir(&scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
