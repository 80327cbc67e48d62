//! `heartbeatd demo`: three real heartbeatd processes on loopback, a group
//! that fails over after a kill -9 and fails back after the restart, with a
//! live table and the measured times. Everything lives in a temporary
//! directory that is removed at the end. The cluster is run with the process
//! lab of the tests (`heartbeat-lab`), linked only with the `demo` feature.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use heartbeat_core::control::LinkView;
use heartbeat_lab::{node_name, unix_now_ns, Lab, LabSpec};

/// How long any phase may take before the demo gives up.
const PHASE_LIMIT: Duration = Duration::from_secs(40);

/// Runs the demo; `binary` is the heartbeatd executable to start as nodes.
fn run(binary: &std::path::Path, out: &mut impl Write) -> anyhow::Result<()> {
    let spec = LabSpec::new(3, 100, 1000);
    writeln!(
        out,
        "heartbeat-rs demo: 3 nodes on loopback (ucast lo), keepalive {} ms, deadtime {} ms,\n\
         group `web` preferred by node1, auto_failback on.",
        spec.keepalive_ms, spec.deadtime_ms
    )?;
    let mut lab = Lab::create(spec, binary).context("cannot prepare the demo directory")?;
    writeln!(out, "Configuration and logs: {}", lab.root().display())?;
    // node3 is never killed: it serves the status page and the metrics.
    let page = page_address();
    for i in 0..2 {
        lab.start(i).context("cannot start heartbeatd")?;
    }
    lab.start_with(2, &["--metrics-listen", &page.to_string()])
        .context("cannot start heartbeatd")?;
    writeln!(
        out,
        "Live status page of node3 while the demo runs: http://{page}/ (metrics: /metrics)\n"
    )?;

    phase(out, &mut lab, "Starting the cluster", |l| {
        running_on(l, "node1")
    })?;

    writeln!(out, "\n>>> kill -9 node1 (the owner of web)")?;
    let killed_at = unix_now_ns();
    lab.kill9(0);
    let taker = phase(
        out,
        &mut lab,
        "Waiting for a survivor to take web over",
        |l| {
            let running = l.running("web");
            (running.len() == 1).then(|| running[0].clone())
        },
    )?;
    let takeover = start_after(&lab, &taker, killed_at);
    writeln!(
        out,
        ">>> {taker} started web {} ms after the kill (deadtime {} ms)",
        takeover.as_millis(),
        1000
    )?;

    writeln!(out, "\n>>> restarting node1")?;
    let restarted_at = unix_now_ns();
    lab.start(0).context("cannot restart node1")?;
    phase(out, &mut lab, "Waiting for the failback to node1", |l| {
        running_on(l, "node1")
    })?;
    let failback = start_after(&lab, "node1", restarted_at);
    writeln!(
        out,
        ">>> node1 runs web again, {} ms after its restart",
        failback.as_millis()
    )?;

    writeln!(out, "\n>>> stopping every node gracefully (SIGTERM)")?;
    for i in 0..3 {
        lab.terminate(i);
    }
    for i in 0..3 {
        match lab.wait_exit(i, PHASE_LIMIT) {
            Some(0) | None if !lab.is_running(i) => {}
            other => bail!("{} did not exit cleanly: {other:?}", node_name(i)),
        }
    }
    writeln!(
        out,
        "\nSummary: takeover after kill -9: {} ms; failback after restart: {} ms.\n\
         Every node stopped; the demo directory is removed.",
        takeover.as_millis(),
        failback.as_millis()
    )?;
    Ok(())
}

/// `127.0.0.1:9694` (the sample `ha.cf`'s port) when it is free, else any
/// free port.
fn page_address() -> std::net::SocketAddr {
    ["127.0.0.1:9694", "127.0.0.1:0"]
        .iter()
        .find_map(|a| {
            std::net::TcpListener::bind(a)
                .and_then(|l| l.local_addr())
                .ok()
        })
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 9694)))
}

fn running_on(lab: &mut Lab, node: &str) -> Option<()> {
    (lab.running("web") == [node]).then_some(())
}

/// Time from `since` (ns) to `node`'s first start of web after it.
fn start_after(lab: &Lab, node: &str, since: u128) -> Duration {
    lab.actions()
        .into_iter()
        .find(|a| a.node == node && a.verb == "start" && a.unix_ns >= since)
        .map(|a| Duration::from_nanos(u64::try_from(a.unix_ns - since).unwrap_or(u64::MAX)))
        .unwrap_or_default()
}

/// Prints the table every half second until `done` returns a value.
fn phase<T>(
    out: &mut impl Write,
    lab: &mut Lab,
    title: &str,
    mut done: impl FnMut(&mut Lab) -> Option<T>,
) -> anyhow::Result<T> {
    writeln!(out, "--- {title}")?;
    let started = Instant::now();
    let mut last_table = String::new();
    loop {
        let found = done(lab);
        let table = table(lab);
        if table != last_table || found.is_some() {
            writeln!(out, "[{:>5.1}s]\n{table}", started.elapsed().as_secs_f64())?;
            out.flush()?;
            last_table = table;
        }
        if let Some(found) = found {
            return Ok(found);
        }
        if started.elapsed() > PHASE_LIMIT {
            bail!(
                "`{title}` did not finish within {PHASE_LIMIT:?}; logs in {}",
                lab.root().display()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// One line per node as that node sees the cluster: every peer with the
/// states of the links that can carry it ([`carrying_links`]).
fn table(lab: &mut Lab) -> String {
    let mut lines = Vec::new();
    for i in 0..3 {
        let line = match lab.status(i) {
            Err(_) => format!("  {:<6} (not running)", node_name(i)),
            Ok(status) => {
                let reach = lab.media_peers(i);
                let peers: Vec<String> = status
                    .nodes
                    .iter()
                    .filter(|n| !n.local)
                    .map(|n| {
                        let peer = (0..lab.nodes()).find(|&j| node_name(j) == n.name);
                        let links = carrying_links(&n.links, &reach, peer);
                        format!("{}={} (link {})", n.name, n.status, links.join(","))
                    })
                    .collect();
                let web = status
                    .groups
                    .iter()
                    .find(|g| g.key.ends_with("web"))
                    .map(|g| {
                        format!(
                            "web: {} ({})",
                            g.owner.as_deref().unwrap_or("-"),
                            g.activity
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "  {:<6} {:<7} sees {}  {web}",
                    status.local_node,
                    status
                        .nodes
                        .iter()
                        .find(|n| n.local)
                        .map(|n| n.status.as_str())
                        .unwrap_or("?"),
                    peers.join("  ")
                )
            }
        };
        lines.push(line);
    }
    lines.join("\n")
}

/// The states of the links of node `peer` that can carry its packets:
/// `links` are its links as the status lists them, one per local medium in
/// `ha.cf` order; `reach[k]` is the node medium `k` reaches (`None`: every
/// node, as `bcast` and `mcast` do). The demo's `ucast` media reach one
/// peer each, so the others' links to `peer` can only be dead. A link whose
/// medium is unknown, or a peer the lab does not know, shows every link.
fn carrying_links<'a>(
    links: &'a [LinkView],
    reach: &[Option<usize>],
    peer: Option<usize>,
) -> Vec<&'a str> {
    links
        .iter()
        .enumerate()
        .filter(|(k, _)| match (reach.get(*k).copied().flatten(), peer) {
            (Some(to), Some(peer)) => to == peer,
            _ => true,
        })
        .map(|(_, l)| l.status.as_str())
        .collect()
}

/// Runs the demo on this very executable, printing to stdout.
pub(crate) fn run_here() -> anyhow::Result<()> {
    let binary = std::env::current_exe().context("cannot find the heartbeatd executable")?;
    run(&binary, &mut io::stdout().lock())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(status: &str) -> LinkView {
        LinkView {
            name: "lo".into(),
            status: status.into(),
            last_heard_ms_ago: None,
            max_gap_ms: 0,
            packets: 0,
            deaths: 0,
        }
    }

    #[test]
    fn a_ucast_link_is_shown_only_for_its_peer() {
        // Node1's media: ucast to node2, ucast to node3.
        let reach = [Some(1), Some(2)];
        let to_node2 = [link("up"), link("dead")];
        assert_eq!(carrying_links(&to_node2, &reach, Some(1)), ["up"]);
        let to_node3 = [link("dead"), link("up")];
        assert_eq!(carrying_links(&to_node3, &reach, Some(2)), ["up"]);
        // Node3 dead: its own link shows it.
        let dead = [link("dead"), link("dead")];
        assert_eq!(carrying_links(&dead, &reach, Some(2)), ["dead"]);
    }

    #[test]
    fn broadcast_media_and_unknowns_show_every_link() {
        let links = [link("up"), link("dead")];
        assert_eq!(
            carrying_links(&links, &[None, None], Some(1)),
            ["up", "dead"]
        );
        assert_eq!(
            carrying_links(&links, &[Some(1), Some(2)], None),
            ["up", "dead"]
        );
        assert_eq!(carrying_links(&links, &[Some(2)], Some(1)), ["dead"]);
    }
}
