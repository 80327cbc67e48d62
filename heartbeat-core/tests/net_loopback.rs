//! `runtime::net` on the loopback interface: ucast between 127.0.0.x nodes
//! sharing one port, the `addr:port` override, attribution, errors, and
//! Linux-HA datagrams far larger than native ones arriving whole.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use bytes::Bytes;
use heartbeat_core::config::{Config, Medium};
use heartbeat_core::engine::{Event, NodeState};
use heartbeat_core::engine::{MediumId, Transmit, Via};
use heartbeat_core::runtime::identity::{GENERATION_FILE, UUID_FILE};
use heartbeat_core::runtime::net::{MediaSockets, NetError, NetOptions, Received, RECV_BUFFER_LEN};
use heartbeat_core::runtime::{Cluster, StartError, Transport};
use heartbeat_core::wire::linuxha::{self, Classified, Extras, MsgFmt};
use heartbeat_core::wire::{
    self, AuthMethod, Keyring, Message, NodeUuid, Packet, MAX_NATIVE_DATAGRAM,
    MAX_RECEIVED_DATAGRAM,
};

fn ucast(peer: &str) -> Medium {
    Medium::Ucast {
        dev: "lo".into(),
        peer: peer.into(),
    }
}

/// `N` distinct UDP ports that were free on 127.0.0.1 a moment ago (all
/// probes are held at once, so the kernel cannot hand out one port twice).
fn free_ports<const N: usize>() -> [u16; N] {
    let probes: Vec<UdpSocket> = (0..N)
        .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    std::array::from_fn(|i| probes[i].local_addr().unwrap().port())
}

fn free_port() -> u16 {
    free_ports::<1>()[0]
}

fn at(addr: &str) -> NetOptions {
    NetOptions {
        bind_addr: Some(addr.parse().unwrap()),
    }
}

fn transmit(via: Via, bytes: &'static [u8]) -> Transmit {
    Transmit {
        via,
        bytes: Bytes::from_static(bytes),
    }
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

/// Named `net` so that `cargo test net` selects these tests.
mod net {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn three_nodes_share_one_port_on_loopback() {
        let port = free_port();
        // Each node: ucast to the two others, both media on one socket.
        let a = MediaSockets::bind(
            &[ucast("127.0.0.2"), ucast("127.0.0.3")],
            port,
            &at("127.0.0.1"),
        );
        let b = MediaSockets::bind(
            &[ucast("127.0.0.1"), ucast("127.0.0.3")],
            port,
            &at("127.0.0.2"),
        );
        let c = MediaSockets::bind(
            &[ucast("127.0.0.1"), ucast("127.0.0.2")],
            port,
            &at("127.0.0.3"),
        );
        let (a, b, c) = (a.await.unwrap(), b.await.unwrap(), c.await.unwrap());
        assert_eq!(a.socket_count(), 1);
        assert_eq!(
            a.local_addr(MediumId(1)),
            Some(addr(&format!("127.0.0.1:{port}")))
        );
        assert_eq!(
            a.destination(MediumId(1)),
            Some(format!("127.0.0.3:{port}").parse().unwrap())
        );

        let report = a.send(&transmit(Via::AllMedia, b"from a"));
        assert_eq!(report.sent, 2);
        assert!(report.failed.is_empty(), "{:?}", report.failed);

        let (got, bytes) = recv(&b).await;
        assert_eq!(bytes, b"from a");
        assert_eq!(got.medium, MediumId(0), "b hears a on its first medium");
        assert_eq!(got.source, addr(&format!("127.0.0.1:{port}")));
        assert_eq!(got.destination, Some(Ipv4Addr::new(127, 0, 0, 2)));
        let (got, _) = recv(&c).await;
        assert_eq!(got.medium, MediumId(0), "c hears a on its first medium");

        // c sends to b only (its second medium): b attributes it to c's medium.
        let report = c.send(&transmit(Via::Medium(MediumId(1)), b"from c"));
        assert_eq!(report.sent, 1);
        let (got, bytes) = recv(&b).await;
        assert_eq!(bytes, b"from c");
        assert_eq!(got.medium, MediumId(1));
        assert_eq!(got.source, addr(&format!("127.0.0.3:{port}")));

        let stats = b.stats(MediumId(1)).unwrap();
        assert_eq!((stats.sent, stats.send_errors, stats.received), (0, 0, 1));
        assert_eq!(a.stats(MediumId(0)).unwrap().sent, 1);
        assert_eq!(c.stats(MediumId(1)).unwrap().sent, 1);
        assert_eq!(c.stats(MediumId(0)).unwrap().sent, 0);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn port_override_runs_nodes_on_one_address() {
        let [pa, pb, pc] = free_ports();
        let peer = |p: u16| ucast(&format!("127.0.0.1:{p}"));
        let none = NetOptions::default();
        let a = MediaSockets::bind(&[peer(pb), peer(pc)], pa, &none)
            .await
            .unwrap();
        let b = MediaSockets::bind(&[peer(pa), peer(pc)], pb, &none)
            .await
            .unwrap();
        let c = MediaSockets::bind(&[peer(pa), peer(pb)], pc, &none)
            .await
            .unwrap();
        assert_eq!(
            a.destination(MediumId(1)),
            Some(format!("127.0.0.1:{pc}").parse().unwrap())
        );

        // b and c both write to a; a tells them apart by source port.
        assert_eq!(b.send(&transmit(Via::Medium(MediumId(0)), b"b")).sent, 1);
        let (got, bytes) = recv(&a).await;
        assert_eq!((got.medium, bytes.as_slice()), (MediumId(0), &b"b"[..]));
        assert_eq!(got.source, addr(&format!("127.0.0.1:{pb}")));

        assert_eq!(c.send(&transmit(Via::Medium(MediumId(0)), b"c")).sent, 1);
        let (got, bytes) = recv(&a).await;
        assert_eq!((got.medium, bytes.as_slice()), (MediumId(1), &b"c"[..]));

        // And back: a to c arrives on c's first medium.
        assert_eq!(a.send(&transmit(Via::Medium(MediumId(1)), b"a")).sent, 1);
        let (got, _) = recv(&c).await;
        assert_eq!(got.medium, MediumId(0));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn unknown_medium_is_reported_not_panicked() {
        let port = free_port();
        let a = MediaSockets::bind(&[ucast("127.0.0.1")], port, &NetOptions::default())
            .await
            .unwrap();
        let report = a.send(&transmit(Via::Medium(MediumId(7)), b"x"));
        assert_eq!(report.sent, 0);
        assert_eq!(report.failed.len(), 1);
        assert!(matches!(
            report.failed[0],
            (MediumId(7), NetError::UnknownMedium(7))
        ));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn oversized_datagram_fails_and_is_counted() {
        let port = free_port();
        let a = MediaSockets::bind(&[ucast("127.0.0.1")], port, &NetOptions::default())
            .await
            .unwrap();
        let big = Transmit {
            via: Via::AllMedia,
            bytes: Bytes::from(vec![0u8; 70_000]),
        };
        let report = a.send(&big);
        assert_eq!(report.sent, 0);
        let (id, err) = &report.failed[0];
        assert_eq!(*id, MediumId(0));
        assert!(
            err.to_string().starts_with(&format!(
                "ucast lo 127.0.0.1: cannot send to 127.0.0.1:{port}: "
            )),
            "{err}"
        );
        assert_eq!(a.stats(MediumId(0)).unwrap().send_errors, 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn errors_name_the_medium() {
        let port = free_port();
        let none = NetOptions::default();
        let err = |media: Vec<Medium>| async move {
            MediaSockets::bind(&media, port, &none)
                .await
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(vec![Medium::Bcast { dev: "lo".into() }]).await,
            "bcast lo: interface has no IPv4 broadcast address"
        );
        assert_eq!(
            err(vec![Medium::Bcast {
                dev: "nosuchif9".into()
            }])
            .await,
            "bcast nosuchif9: no such interface"
        );
        assert_eq!(
            err(vec![ucast("no-such-host.invalid")])
                .await
                .split(": ")
                .next(),
            Some("ucast lo no-such-host.invalid")
        );
        let mcast = |group: [u8; 4], ttl| Medium::Mcast {
            dev: "lo".into(),
            group: group.into(),
            port,
            ttl,
            loopback: true,
        };
        assert_eq!(
            err(vec![mcast([239, 1, 1, 1], 1), mcast([239, 1, 1, 2], 2)]).await,
            "mcast lo 239.1.1.2: shares its socket with mcast lo 239.1.1.1 \
             but sets a different multicast ttl"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn bind_conflict_names_the_medium_and_address() {
        let holder = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = holder.local_addr().unwrap().port();
        let err = MediaSockets::bind(&[ucast("127.0.0.2")], port, &at("127.0.0.1"))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!(
                "ucast lo 127.0.0.2: cannot bind 127.0.0.1:{port}: "
            )),
            "{err}"
        );
    }

    /// A Linux-HA application message (`hbrs-app`) of `payload_len` bytes
    /// from node1, as the Linux-HA dialect composes it.
    fn linux_ha_app(payload_len: usize) -> Packet {
        Packet {
            from: "node1".into(),
            from_uuid: NodeUuid([7; 16]),
            generation: 3,
            seq: 42,
            dest: Some("node2".into()),
            message: Message::App {
                payload: (0..payload_len).map(|i| (i * 7 % 251) as u8).collect(),
            },
        }
    }

    /// Send `datagram` from `a`, receive it on `b` through the runtime's
    /// receive path ([`Transport::recv`], what the driver task calls) and
    /// decode and authenticate it as the engine does.
    async fn through_runtime(a: &MediaSockets, b: &mut MediaSockets, datagram: Bytes) -> Packet {
        let report = a.send(&Transmit {
            via: Via::AllMedia,
            bytes: datagram.clone(),
        });
        assert_eq!(report.sent, 1, "{:?}", report.failed);
        let got = tokio::time::timeout(Duration::from_secs(5), Transport::recv(b))
            .await
            .expect("no datagram within 5 s")
            .expect("receive failed");
        assert_eq!(got.medium, MediumId(0));
        assert_eq!(got.bytes.len(), datagram.len(), "arrived whole");
        assert_eq!(got.bytes, datagram);
        match wire::decode_any(&got.bytes, &keys()) {
            Ok(Classified::Known { packet, .. }) => packet,
            other => panic!("did not decode: {other:?}"),
        }
    }

    fn keys() -> Keyring {
        Keyring::single(AuthMethod::Sha1, "somekey")
    }

    #[test]
    fn receive_buffer_fits_every_dialect() {
        assert_eq!(MAX_NATIVE_DATAGRAM, 1400);
        assert_eq!(MAX_RECEIVED_DATAGRAM, linuxha::MAX_LINUX_HA_DATAGRAM);
        assert_eq!(RECV_BUFFER_LEN, MAX_RECEIVED_DATAGRAM + 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn large_linux_ha_datagrams_arrive_whole_and_decode() {
        let port = free_port();
        let a = MediaSockets::bind(&[ucast("127.0.0.2")], port, &at("127.0.0.1"));
        let b = MediaSockets::bind(&[ucast("127.0.0.1")], port, &at("127.0.0.2"));
        let (a, mut b) = (a.await.unwrap(), b.await.unwrap());

        // Netstring (`msgfmt netstring`): the 20 000-byte payload raw.
        let packet = linux_ha_app(20_000);
        let msg = linuxha::compose(&packet, &Extras::default()).unwrap();
        let datagram = linuxha::encode(&msg, &keys(), MsgFmt::Netstring).unwrap();
        assert!(
            (20_000..=linuxha::MAX_LINUX_HA_DATAGRAM).contains(&datagram.len()),
            "{}",
            datagram.len()
        );
        assert_eq!(through_runtime(&a, &mut b, datagram).await, packet);

        // Classic text (Heartbeat <= 2.1): the payload base64, about 20 KB.
        let packet = linux_ha_app(15_000);
        let msg = linuxha::compose(&packet, &Extras::default()).unwrap();
        let datagram = linuxha::encode_classic(&msg, &keys()).unwrap();
        assert!(datagram.len() > 20_000, "{}", datagram.len());
        assert_eq!(through_runtime(&a, &mut b, datagram).await, packet);

        // Compressed as Heartbeat does with `traditional_compression yes`
        // (`_compressed_payload` wrapper), zlib and bz2, both msgfmts: a
        // 40 KB message of text travels as a small datagram and decodes.
        for algorithm in [linuxha::Algorithm::Zlib, linuxha::Algorithm::Bz2] {
            for fmt in [MsgFmt::Classic, MsgFmt::Netstring] {
                let mut packet = linux_ha_app(0);
                packet.message = Message::App {
                    payload: b"resource state line\n".repeat(2_000).into(),
                };
                let msg = linuxha::compose(&packet, &Extras::default()).unwrap();
                let compression = linuxha::Compression {
                    algorithm,
                    threshold: 1024,
                };
                let datagram =
                    linuxha::encode_compressed(&msg, &keys(), fmt, Some(compression)).unwrap();
                assert!(datagram.len() < 4_000, "{algorithm:?}: {}", datagram.len());
                assert!(linuxha::decode(&datagram).unwrap().compressed == Some(algorithm));
                assert_eq!(through_runtime(&a, &mut b, datagram).await, packet);
            }
        }

        // A forged copy (one payload byte changed, tag kept) arrives whole
        // too and is refused by authentication, not by its size.
        let packet = linux_ha_app(20_000);
        let msg = linuxha::compose(&packet, &Extras::default()).unwrap();
        let mut forged = linuxha::encode(&msg, &keys(), MsgFmt::Netstring)
            .unwrap()
            .to_vec();
        let middle = forged.len() / 2;
        forged[middle] ^= 1;
        assert_eq!(a.send(&transmit_owned(forged.clone())).sent, 1);
        let got = Transport::recv(&mut b).await.unwrap();
        assert_eq!(got.bytes, forged);
        assert!(matches!(
            wire::decode_any(&got.bytes, &keys()),
            Err(wire::DecodeError::BadAuth)
        ));
    }

    fn transmit_owned(bytes: Vec<u8>) -> Transmit {
        Transmit {
            via: Via::AllMedia,
            bytes: Bytes::from(bytes),
        }
    }

    fn two_node_config(me: &str, peer_addr: &str, port: u16) -> Config {
        let ha_cf = format!(
            "keepalive 50ms\ndeadtime 1\ninitdead 1\nudpport {port}\n\
             ucast lo {peer_addr}\nnode alpha beta\n"
        );
        Config::from_texts(&ha_cf, "auth 1\n1 sha256 builder-test\n", "", me).unwrap()
    }

    async fn wait_active(node: &Cluster, peer: &str) {
        let mut events = node.subscribe();
        let active = Event::NodeState {
            node: peer.into(),
            state: NodeState::Active,
        };
        let seen = node.status().node(peer).map(|p| p.state) == Some(NodeState::Active);
        if !seen {
            tokio::time::timeout(Duration::from_secs(10), async {
                while events.recv().await.unwrap() != active {}
            })
            .await
            .expect("peer active within 10 s");
        }
    }

    /// The embedding path: the builder binds the configured media and keeps
    /// the identity in a state directory (or in memory); two such nodes meet
    /// over loopback and exchange a message; a restart advances the
    /// persisted generation and keeps the uuid.
    #[tokio::test(flavor = "current_thread")]
    async fn builder_binds_media_and_keeps_identity() {
        let port = free_port();
        let state = std::env::temp_dir().join(format!("hb-builder-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state);

        let bound = Cluster::with_config(two_node_config("alpha", "127.0.0.2", port))
            .state_dir(&state)
            .net_options(at("127.0.0.1"))
            .bind()
            .await
            .unwrap();
        let first = bound.identity();
        assert_eq!(std::fs::read(state.join(UUID_FILE)).unwrap(), first.uuid.0);
        let persisted = std::fs::read_to_string(state.join(GENERATION_FILE)).unwrap();
        assert_eq!(persisted.trim().parse::<u64>().unwrap(), first.generation);
        assert_eq!(
            bound.sockets().local_addr(MediumId(0)),
            Some(addr(&format!("127.0.0.1:{port}")))
        );
        let alpha = bound.start().unwrap();
        let beta = Cluster::with_config(two_node_config("beta", "127.0.0.1", port))
            .identity_in_memory()
            .net_options(at("127.0.0.2"))
            .start()
            .await
            .unwrap();
        let mut beta_events = beta.subscribe();
        wait_active(&beta, "alpha").await;
        wait_active(&alpha, "beta").await;
        alpha.send(Some("beta"), Bytes::from_static(b"hi")).unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Event::AppMessage { from, payload } = beta_events.recv().await.unwrap() {
                    return (from, payload);
                }
            }
        })
        .await
        .expect("message within 5 s");
        assert_eq!(got, ("alpha".to_owned(), Bytes::from_static(b"hi")));
        alpha.shutdown().await;
        beta.shutdown().await;
        drop((alpha, beta));

        // Restart from the same directory: same uuid, next generation.
        let again = Cluster::with_config(two_node_config("alpha", "127.0.0.2", port))
            .state_dir(&state)
            .net_options(at("127.0.0.1"))
            .bind()
            .await
            .unwrap();
        assert_eq!(again.identity().uuid, first.uuid);
        assert_eq!(again.identity().generation, first.generation + 1);
        drop(again);

        // Errors say which step failed.
        let busy = UdpSocket::bind(format!("127.0.0.1:{port}")).unwrap();
        let err = Cluster::with_config(two_node_config("alpha", "127.0.0.2", port))
            .net_options(at("127.0.0.1"))
            .start()
            .await
            .unwrap_err();
        assert!(matches!(err, StartError::Net(_)), "{err}");
        assert!(
            err.to_string()
                .starts_with("cannot open the communication media: ucast lo 127.0.0.2"),
            "{err}"
        );
        drop(busy);
        std::fs::write(state.join(GENERATION_FILE), "banana\n").unwrap();
        let err = Cluster::with_config(two_node_config("alpha", "127.0.0.2", port))
            .state_dir(&state)
            .net_options(at("127.0.0.1"))
            .start()
            .await
            .unwrap_err();
        assert!(matches!(err, StartError::Identity(_)), "{err}");
        assert!(err.to_string().contains("banana"), "{err}");
        std::fs::remove_dir_all(&state).unwrap();
    }
}
