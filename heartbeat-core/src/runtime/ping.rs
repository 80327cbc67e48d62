//! The ping-node prober: sends an ICMP echo to every host of every ping
//! node (`ping`, `ping_group` in `ha.cf`) once per interval and reports each
//! reply to the engine ([`Cluster::ping_reply`]), which declares a ping node
//! dead after `deadping` without one (see `engine::ping`).
//!
//! Host names are resolved on a task of their own, once, and again every
//! interval for those that did not resolve: a resolver that hangs (DNS down)
//! delays only the hosts it has not resolved yet, never the echoes to the
//! others nor the reading of their replies. Only IPv4 is pinged.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
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
    spawn_with_lookup(cluster, nodes, interval, |host| async move {
        lookup(&host).await
    })
}

/// [`spawn_ping_prober`] with the host-name resolver `lookup`.
fn spawn_with_lookup<L, F>(
    cluster: Arc<Cluster>,
    nodes: &[PingNode],
    interval: Duration,
    lookup: L,
) -> io::Result<JoinHandle<()>>
where
    L: Fn(String) -> F + Send + 'static,
    F: Future<Output = Option<Ipv4Addr>> + Send + 'static,
{
    let opened = icmp::open()?;
    let raw = opened.raw;
    let socket = UdpSocket::from_std(opened.socket)?;
    let pending: Vec<(String, String)> = nodes
        .iter()
        .flat_map(|n| n.hosts.iter().map(|h| (h.clone(), n.name.clone())))
        .collect();
    let (found_tx, found) = mpsc::unbounded_channel();
    let resolver = tokio::spawn(resolve(pending, interval, lookup, found_tx));
    let prober = Prober {
        socket,
        raw,
        id: (std::process::id() as u16) ^ 0x4842,
        found,
        resolved: BTreeMap::new(),
        _resolver: AbortOnDrop(resolver),
    };
    Ok(tokio::spawn(prober.run(cluster, interval)))
}

struct Prober {
    socket: UdpSocket,
    raw: bool,
    id: u16,
    /// Addresses from the resolver task: (address, ping node).
    found: mpsc::UnboundedReceiver<(Ipv4Addr, String)>,
    resolved: BTreeMap<Ipv4Addr, Vec<String>>,
    /// The resolver task, which ends with the prober.
    _resolver: AbortOnDrop,
}

/// A task aborted when this handle is dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
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
                    seq = seq.wrapping_add(1);
                    self.send_round(seq).await;
                }
                Some((addr, node)) = self.found.recv() => {
                    let nodes = self.resolved.entry(addr).or_default();
                    if !nodes.contains(&node) {
                        nodes.push(node);
                    }
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

    async fn send_round(&self, seq: u16) {
        let echo = icmp::echo_request(self.id, seq);
        for addr in self.resolved.keys() {
            if let Err(e) = self.socket.send_to(&echo, icmp::target(*addr)).await {
                tracing::debug!("ping {addr}: {e}");
            }
        }
    }
}

/// Resolves every (host, ping node) of `pending` with `lookup`, sending each
/// address to `found`; tries those that did not resolve again every
/// `interval` until none is left or the prober is gone.
async fn resolve<L, F>(
    mut pending: Vec<(String, String)>,
    interval: Duration,
    lookup: L,
    found: mpsc::UnboundedSender<(Ipv4Addr, String)>,
) where
    L: Fn(String) -> F,
    F: Future<Output = Option<Ipv4Addr>>,
{
    let mut warned: Vec<String> = Vec::new();
    loop {
        let mut still_pending = Vec::new();
        for (host, node) in pending {
            match lookup(host.clone()).await {
                Some(addr) => {
                    if found.send((addr, node)).is_err() {
                        return;
                    }
                }
                None => {
                    if !warned.contains(&host) {
                        tracing::warn!(
                            "ping node {node}: cannot resolve {host} to an IPv4 address"
                        );
                        warned.push(host.clone());
                    }
                    still_pending.push((host, node));
                }
            }
        }
        pending = still_pending;
        if pending.is_empty() {
            return;
        }
        tokio::time::sleep(interval).await;
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::engine::{Identity, NodeState};
    use crate::runtime::memory::MemoryHub;
    use crate::wire::NodeUuid;

    #[tokio::test]
    async fn a_hung_lookup_delays_no_other_ping_node() {
        let ha_cf = "keepalive 100ms\ndeadtime 1\ninitdead 1\ndeadping 2\nbcast eth0\n\
                     node a b\nping 127.0.0.1\nping hangs.example\n";
        let config = Config::from_texts(ha_cf, "auth 1\n1 sha256 ping-test\n", "", "a").unwrap();
        let nodes = config.ping_nodes.clone();
        let identity = Identity {
            uuid: NodeUuid([1; 16]),
            generation: 1,
        };
        let hub = MemoryHub::new(1);
        let cluster = Arc::new(
            Cluster::builder(config, identity)
                .start_with_transport(hub.attach("a"))
                .unwrap(),
        );
        let lookup = |host: String| async move {
            match host.parse::<Ipv4Addr>() {
                Ok(addr) => Some(addr),
                // A resolver that never answers (DNS down).
                Err(_) => std::future::pending().await,
            }
        };
        let Ok(prober) = spawn_with_lookup(
            Arc::clone(&cluster),
            &nodes,
            Duration::from_millis(100),
            lookup,
        ) else {
            eprintln!("no ICMP socket here: test skipped");
            return;
        };
        let mut status = cluster.watch_status();
        let answered = status.wait_for(|s| {
            s.ping_nodes
                .iter()
                .any(|p| p.name == "127.0.0.1" && p.state == NodeState::Ping)
        });
        let answered = tokio::time::timeout(Duration::from_secs(10), answered).await;
        prober.abort();
        assert!(answered.is_ok(), "127.0.0.1 never answered");
    }
}
