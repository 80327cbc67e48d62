//! The ping-node prober: sends an ICMP echo to every host of every ping
//! node (`ping`, `ping_group` in `ha.cf`) once per interval and reports each
//! reply to the engine ([`Cluster::ping_reply`]), which declares a ping node
//! dead after `deadping` without one (see `engine::ping`).
//!
//! Host names are resolved when the prober starts and, for those that did
//! not resolve, again at every round; only IPv4 is pinged.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use super::net::icmp;
use super::Cluster;
use crate::config::PingNode;

/// Starts pinging `nodes` every `interval` on behalf of `cluster`; the task
/// ends when the cluster stops (or when the handle is aborted). Fails when no
/// ICMP socket can be opened.
pub fn spawn_ping_prober(
    cluster: Arc<Cluster>,
    nodes: &[PingNode],
    interval: Duration,
) -> io::Result<JoinHandle<()>> {
    let opened = icmp::open()?;
    let raw = opened.raw;
    let socket = UdpSocket::from_std(opened.socket)?;
    let prober = Prober {
        socket,
        raw,
        id: (std::process::id() as u16) ^ 0x4842,
        pending: nodes
            .iter()
            .flat_map(|n| n.hosts.iter().map(|h| (h.clone(), n.name.clone())))
            .collect(),
        resolved: BTreeMap::new(),
        warned: Vec::new(),
    };
    Ok(tokio::spawn(prober.run(cluster, interval)))
}

struct Prober {
    socket: UdpSocket,
    raw: bool,
    id: u16,
    /// (host as written, ping node name) not resolved yet.
    pending: Vec<(String, String)>,
    /// Resolved address → the ping nodes it answers for.
    resolved: BTreeMap<Ipv4Addr, Vec<String>>,
    /// Hosts whose resolution failure was already logged.
    warned: Vec<String>,
}

impl Prober {
    async fn run(mut self, cluster: Arc<Cluster>, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seq: u16 = 0;
        let mut buf = [0u8; 1500];
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    self.resolve().await;
                    seq = seq.wrapping_add(1);
                    self.send_round(seq).await;
                }
                received = self.socket.recv_from(&mut buf) => {
                    let Ok((len, from)) = received else { continue };
                    let IpAddr::V4(from) = from.ip() else { continue };
                    if !icmp::is_our_reply(&buf[..len], self.raw, self.id) {
                        continue;
                    }
                    for node in self.resolved.get(&from).into_iter().flatten() {
                        if cluster.ping_reply(node).is_err() {
                            return;
                        }
                    }
                }
                () = cluster.stopped() => return,
            }
        }
    }

    /// Resolves the hosts that have no address yet.
    async fn resolve(&mut self) {
        let mut still_pending = Vec::new();
        for (host, node) in std::mem::take(&mut self.pending) {
            match lookup(&host).await {
                Some(addr) => {
                    let nodes = self.resolved.entry(addr).or_default();
                    if !nodes.contains(&node) {
                        nodes.push(node);
                    }
                }
                None => {
                    if !self.warned.contains(&host) {
                        tracing::warn!(
                            "ping node {node}: cannot resolve {host} to an IPv4 address"
                        );
                        self.warned.push(host.clone());
                    }
                    still_pending.push((host, node));
                }
            }
        }
        self.pending = still_pending;
    }

    async fn send_round(&self, seq: u16) {
        let echo = icmp::echo_request(self.id, seq);
        for addr in self.resolved.keys() {
            if let Err(e) = self.socket.send_to(&echo, icmp::target(*addr)).await {
                tracing::debug!("ping {addr}: {e}");
            }
        }
    }
}

/// The first IPv4 address of `host` (an address literal or a name).
async fn lookup(host: &str) -> Option<Ipv4Addr> {
    if let Ok(addr) = host.parse::<Ipv4Addr>() {
        return Some(addr);
    }
    tokio::net::lookup_host((host, 0))
        .await
        .ok()?
        .find_map(|a| match a.ip() {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
}
