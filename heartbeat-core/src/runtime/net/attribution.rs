//! Which medium a datagram belongs to when several media share one socket.
//!
//! Media on the same device and port share one receive socket (two sockets
//! would either both receive every broadcast or, with `SO_REUSEPORT`, have the
//! kernel spread unicast datagrams between them at random). They remain
//! distinct links: [`attribute`] names the medium of each datagram from its
//! source address and, when known (`IP_PKTINFO`), the address it was sent
//! to. It is a pure function.

use std::net::{Ipv4Addr, SocketAddr};

use crate::engine::MediumId;

/// How a medium's datagrams are addressed: what it sends to, and so what it
/// receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addressing {
    /// `bcast`: to the interface's broadcast address, from anyone on the
    /// segment.
    Broadcast {
        /// The interface's IPv4 broadcast address.
        addr: Ipv4Addr,
    },
    /// `mcast`: to a group, from anyone in it.
    Multicast {
        /// The group.
        group: Ipv4Addr,
    },
    /// `ucast`: to and from one peer.
    Unicast {
        /// The peer's resolved address.
        peer: Ipv4Addr,
        /// The source port to match too, when the peer was written
        /// `addr:port` (the heartbeat-rs destination port override); `None`
        /// matches any source port.
        port: Option<u16>,
    },
}

impl Addressing {
    fn is_unicast(&self) -> bool {
        matches!(self, Addressing::Unicast { .. })
    }

    fn sent_by(&self, source: SocketAddr) -> bool {
        match (self, source) {
            (Addressing::Unicast { peer, port }, SocketAddr::V4(src)) => {
                src.ip() == peer && port.is_none_or(|p| p == src.port())
            }
            _ => false,
        }
    }

    fn sent_to(&self, destination: Ipv4Addr) -> bool {
        match self {
            Addressing::Broadcast { addr } => {
                destination == *addr || destination == Ipv4Addr::BROADCAST
            }
            Addressing::Multicast { group } => destination == *group,
            Addressing::Unicast { .. } => false,
        }
    }
}

/// The medium a datagram belongs to, among the `members` of one socket (in
/// configuration order), given its `source` and, if known, the
/// `destination` address of its IP header.
///
/// 1. the first `bcast`/`mcast` medium the destination is addressed to (the
///    interface's broadcast address, `255.255.255.255`, or the group);
/// 2. else the first `ucast` medium whose peer sent it (its IP, and its port
///    when the peer carries a port override);
/// 3. else the first `bcast`/`mcast` medium;
/// 4. else the first medium.
///
/// Without a destination, rule 1 never applies. With one, a peer reached
/// both by `bcast eth0` and by `ucast eth0 peer` keeps two separate links.
/// Returns `None` only when `members` is empty.
pub fn attribute(
    members: &[(MediumId, Addressing)],
    source: SocketAddr,
    destination: Option<Ipv4Addr>,
) -> Option<MediumId> {
    let to_group = |(_, a): &&(MediumId, Addressing)| destination.is_some_and(|d| a.sent_to(d));
    members
        .iter()
        .find(to_group)
        .or_else(|| members.iter().find(|(_, a)| a.sent_by(source)))
        .or_else(|| members.iter().find(|(_, a)| !a.is_unicast()))
        .or_else(|| members.first())
        .map(|(id, _)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(ip: [u8; 4], port: Option<u16>) -> Addressing {
        Addressing::Unicast {
            peer: Ipv4Addr::from(ip),
            port,
        }
    }
    const BCAST: Addressing = Addressing::Broadcast {
        addr: Ipv4Addr::new(10, 0, 0, 255),
    };
    fn group(ip: [u8; 4]) -> Addressing {
        Addressing::Multicast {
            group: Ipv4Addr::from(ip),
        }
    }
    fn src(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }
    fn ip(s: &str) -> Option<Ipv4Addr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn empty_socket_has_no_medium() {
        assert_eq!(attribute(&[], src("10.0.0.1:694"), None), None);
    }

    #[test]
    fn ucast_peer_wins_over_bcast_on_the_same_socket() {
        let members = [
            (MediumId(0), BCAST),
            (MediumId(1), peer([10, 0, 0, 2], None)),
            (MediumId(2), peer([10, 0, 0, 3], None)),
        ];
        assert_eq!(
            attribute(&members, src("10.0.0.2:694"), None),
            Some(MediumId(1))
        );
        assert_eq!(
            attribute(&members, src("10.0.0.3:40000"), None),
            Some(MediumId(2))
        );
        // Anyone else: the bcast medium.
        assert_eq!(
            attribute(&members, src("10.0.0.9:694"), None),
            Some(MediumId(0))
        );
    }

    #[test]
    fn destination_separates_bcast_and_ucast_from_one_peer() {
        let members = [
            (MediumId(0), BCAST),
            (MediumId(1), peer([10, 0, 0, 2], None)),
        ];
        let from = src("10.0.0.2:694");
        assert_eq!(
            attribute(&members, from, ip("10.0.0.255")),
            Some(MediumId(0))
        );
        assert_eq!(
            attribute(&members, from, ip("255.255.255.255")),
            Some(MediumId(0))
        );
        assert_eq!(attribute(&members, from, ip("10.0.0.1")), Some(MediumId(1)));
    }

    #[test]
    fn destination_separates_groups() {
        let members = [
            (MediumId(0), group([239, 0, 0, 1])),
            (MediumId(1), group([239, 0, 0, 2])),
            (MediumId(2), peer([10, 0, 0, 2], None)),
        ];
        let from = src("10.0.0.2:694");
        assert_eq!(
            attribute(&members, from, ip("239.0.0.2")),
            Some(MediumId(1))
        );
        assert_eq!(
            attribute(&members, from, ip("239.0.0.1")),
            Some(MediumId(0))
        );
        assert_eq!(attribute(&members, from, ip("10.0.0.1")), Some(MediumId(2)));
        // An unexpected group from a stranger: first bcast/mcast medium.
        assert_eq!(
            attribute(&members, src("10.0.0.7:694"), ip("239.9.9.9")),
            Some(MediumId(0))
        );
    }

    #[test]
    fn first_bcast_or_mcast_when_no_peer_matches() {
        let members = [
            (MediumId(3), peer([10, 0, 0, 2], None)),
            (MediumId(4), group([239, 0, 0, 1])),
            (MediumId(5), BCAST),
        ];
        assert_eq!(
            attribute(&members, src("10.0.0.7:694"), None),
            Some(MediumId(4))
        );
        assert_eq!(
            attribute(&members, src("10.0.0.7:694"), ip("10.0.0.1")),
            Some(MediumId(4))
        );
    }

    #[test]
    fn first_medium_when_only_ucast_and_no_match() {
        let members = [
            (MediumId(2), peer([10, 0, 0, 2], None)),
            (MediumId(7), peer([10, 0, 0, 3], None)),
        ];
        assert_eq!(
            attribute(&members, src("10.0.0.4:694"), None),
            Some(MediumId(2))
        );
    }

    #[test]
    fn port_override_distinguishes_peers_on_one_address() {
        let members = [
            (MediumId(0), peer([127, 0, 0, 1], Some(7001))),
            (MediumId(1), peer([127, 0, 0, 1], Some(7002))),
        ];
        let to = ip("127.0.0.1");
        assert_eq!(
            attribute(&members, src("127.0.0.1:7002"), to),
            Some(MediumId(1))
        );
        assert_eq!(
            attribute(&members, src("127.0.0.1:7001"), to),
            Some(MediumId(0))
        );
        // Unknown port on the right address: falls back to the first medium.
        assert_eq!(
            attribute(&members, src("127.0.0.1:9999"), to),
            Some(MediumId(0))
        );
    }

    #[test]
    fn peer_without_override_matches_any_port() {
        let members = [
            (MediumId(0), peer([127, 0, 0, 1], Some(7001))),
            (MediumId(1), peer([127, 0, 0, 2], None)),
        ];
        assert_eq!(
            attribute(&members, src("127.0.0.2:5"), None),
            Some(MediumId(1))
        );
    }

    #[test]
    fn ipv6_source_never_matches_a_peer() {
        let members = [
            (MediumId(0), peer([127, 0, 0, 1], None)),
            (MediumId(1), BCAST),
        ];
        assert_eq!(
            attribute(&members, src("[::1]:694"), None),
            Some(MediumId(1))
        );
    }
}
