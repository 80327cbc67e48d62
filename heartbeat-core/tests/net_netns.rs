//! `runtime::net` between two network namespaces joined by a veth pair:
//! bcast, mcast, and several media sharing one socket. Root only (skipped
//! with a printed reason otherwise); the namespaces are the test's own,
//! named after the process id, and deleted at the end even on panic.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use heartbeat_core::config::Medium;
use heartbeat_core::engine::{MediumId, Transmit, Via};
use heartbeat_core::runtime::net::{MediaSockets, NetOptions, Received, StdMediaSockets};
use nix::sched::{setns, CloneFlags};

/// Why these tests cannot run here, if they cannot.
fn skip_reason() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("not root".into());
    }
    match Command::new("ip").args(["netns", "list"]).output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "`ip netns list` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("`ip` unavailable: {e}")),
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

/// Two namespaces `a` and `b` joined by veth `dev_a` <-> `dev_b`, with
/// 10.213.`subnet`.1/24 and .2/24; deleted when dropped.
struct VethPair {
    a: String,
    b: String,
    dev_a: String,
    dev_b: String,
    created: Vec<String>,
}

impl VethPair {
    fn new(tag: &str, subnet: u8) -> VethPair {
        let pid = std::process::id();
        let mut pair = VethPair {
            a: format!("hbnet-{pid}-{tag}-a"),
            b: format!("hbnet-{pid}-{tag}-b"),
            dev_a: format!("hb{tag}{pid}a"),
            dev_b: format!("hb{tag}{pid}b"),
            created: Vec::new(),
        };
        for ns in [pair.a.clone(), pair.b.clone()] {
            ip(&["netns", "add", &ns]);
            pair.created.push(ns);
        }
        let (a, b, dev_a, dev_b) = (&pair.a, &pair.b, &pair.dev_a, &pair.dev_b);
        ip(&[
            "link", "add", dev_a, "netns", a, "type", "veth", "peer", "name", dev_b, "netns", b,
        ]);
        for (ns, dev, host) in [(a, dev_a, 1), (b, dev_b, 2)] {
            let cidr = format!("10.213.{subnet}.{host}/24");
            ip(&["-n", ns, "addr", "add", &cidr, "broadcast", "+", "dev", dev]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        pair
    }

    /// Build sockets inside namespace `ns` (they stay in it wherever they
    /// are used afterwards).
    fn bind_in(ns: &str, media: Vec<Medium>, port: u16) -> StdMediaSockets {
        let path = format!("/run/netns/{ns}");
        std::thread::spawn(move || {
            let netns = File::open(&path).expect("open netns");
            setns(netns, CloneFlags::CLONE_NEWNET).expect("setns");
            StdMediaSockets::bind(&media, port, &NetOptions::default()).expect("bind")
        })
        .join()
        .expect("namespace thread")
    }
}

impl Drop for VethPair {
    fn drop(&mut self) {
        for ns in &self.created {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn send(node: &MediaSockets, via: Via, bytes: &'static [u8]) {
    let report = node.send(&Transmit {
        via,
        bytes: Bytes::from_static(bytes),
    });
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(report.sent > 0);
}

async fn recv(node: &MediaSockets) -> (Received, Vec<u8>) {
    let mut buf = [0u8; 2048];
    let got = tokio::time::timeout(Duration::from_secs(5), node.recv(&mut buf))
        .await
        .expect("no datagram within 5 s")
        .expect("receive failed");
    (got, buf[..got.len].to_vec())
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ipv4(s: &str) -> Option<Ipv4Addr> {
    Some(s.parse().unwrap())
}

/// Named `net` so that `cargo test net` selects these tests.
mod net {
    use super::*;

    #[test]
    fn bcast_between_namespaces() {
        if let Some(why) = skip_reason() {
            eprintln!("skipped: {why}");
            return;
        }
        let pair = VethPair::new("b", 1);
        let bcast = |dev: &str| vec![Medium::Bcast { dev: dev.into() }];
        let a = VethPair::bind_in(&pair.a, bcast(&pair.dev_a), 694);
        let b = VethPair::bind_in(&pair.b, bcast(&pair.dev_b), 694);
        assert_eq!(
            a.destination(MediumId(0)),
            Some("10.213.1.255:694".parse().unwrap())
        );
        runtime().block_on(async {
            let (a, b) = (a.into_tokio().unwrap(), b.into_tokio().unwrap());
            send(&a, Via::AllMedia, b"hello from a");
            let (got, bytes) = recv(&b).await;
            assert_eq!(bytes, b"hello from a");
            assert_eq!(got.medium, MediumId(0));
            assert_eq!(got.source, addr("10.213.1.1:694"));
            assert_eq!(got.destination, ipv4("10.213.1.255"));

            // A broadcast comes back to its sender too (so the local link
            // of a bcast medium comes up, as in Heartbeat).
            let (got, bytes) = recv(&a).await;
            assert_eq!(bytes, b"hello from a");
            assert_eq!(got.source, addr("10.213.1.1:694"));

            send(&b, Via::AllMedia, b"hello from b");
            let (got, bytes) = recv(&a).await;
            assert_eq!(bytes, b"hello from b");
            assert_eq!(got.source, addr("10.213.1.2:694"));
            assert_eq!(a.stats(MediumId(0)).unwrap().received, 2);
        });
    }

    #[test]
    fn mcast_between_namespaces() {
        if let Some(why) = skip_reason() {
            eprintln!("skipped: {why}");
            return;
        }
        let pair = VethPair::new("m", 2);
        let group = Ipv4Addr::new(239, 213, 2, 1);
        let mcast = |dev: &str| {
            vec![Medium::Mcast {
                dev: dev.into(),
                group,
                port: 6942,
                ttl: 1,
                loopback: false,
            }]
        };
        let a = VethPair::bind_in(&pair.a, mcast(&pair.dev_a), 694);
        let b = VethPair::bind_in(&pair.b, mcast(&pair.dev_b), 694);
        runtime().block_on(async {
            let (a, b) = (a.into_tokio().unwrap(), b.into_tokio().unwrap());
            send(&a, Via::AllMedia, b"to the group");
            let (got, bytes) = recv(&b).await;
            assert_eq!(bytes, b"to the group");
            assert_eq!(got.medium, MediumId(0));
            assert_eq!(got.source, addr("10.213.2.1:6942"));
            assert_eq!(got.destination, Some(group));

            // loop 0: a does not hear itself, so b's answer is the first
            // datagram a receives.
            send(&b, Via::AllMedia, b"answer");
            let (got, bytes) = recv(&a).await;
            assert_eq!(bytes, b"answer");
            assert_eq!(got.source, addr("10.213.2.2:6942"));
        });
    }

    #[test]
    fn three_media_on_one_device_stay_three_links() {
        if let Some(why) = skip_reason() {
            eprintln!("skipped: {why}");
            return;
        }
        let pair = VethPair::new("s", 3);
        let group = Ipv4Addr::new(239, 213, 3, 1);
        let media = |dev: &str, peer: &str| {
            vec![
                Medium::Bcast { dev: dev.into() },
                Medium::Ucast {
                    dev: dev.into(),
                    peer: peer.into(),
                },
                Medium::Mcast {
                    dev: dev.into(),
                    group,
                    port: 694,
                    ttl: 1,
                    loopback: false,
                },
            ]
        };
        let a = VethPair::bind_in(&pair.a, media(&pair.dev_a, "10.213.3.2"), 694);
        let b = VethPair::bind_in(&pair.b, media(&pair.dev_b, "10.213.3.1"), 694);
        assert_eq!(a.sockets().len(), 1);
        runtime().block_on(async {
            let (a, b) = (a.into_tokio().unwrap(), b.into_tokio().unwrap());
            for (i, payload) in [&b"bcast"[..], b"ucast", b"mcast"].into_iter().enumerate() {
                let transmit = Transmit {
                    via: Via::Medium(MediumId(i)),
                    bytes: Bytes::from_static(payload),
                };
                assert_eq!(a.send(&transmit).sent, 1);
                let (got, bytes) = recv(&b).await;
                assert_eq!(bytes, payload);
                assert_eq!(
                    got.medium,
                    MediumId(i),
                    "{}",
                    String::from_utf8_lossy(payload)
                );
                assert_eq!(got.source, addr("10.213.3.1:694"));
            }
            for i in 0..3 {
                assert_eq!(b.stats(MediumId(i)).unwrap().received, 1);
            }
        });
    }
}
