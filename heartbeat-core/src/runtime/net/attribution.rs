//! Which medium a datagram belongs to when several media share one socket.
//!
//! Media on the same device and port share one receive socket (two sockets
//! would either both receive every broadcast or, with `SO_REUSEPORT`, have the
//! kernel spread unicast datagrams between them at random). They remain
//! distinct links: [`attribute`] names the medium of each datagram from its
//! source address alone, so it is a pure function.

use std::net::{Ipv4Addr, SocketAddr};

use crate::engine::MediumId;

/// Whom a medium expects datagrams from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    /// Anyone on the segment (`bcast`, `mcast`).
    Anyone,
    /// One unicast peer (`ucast`).
    Peer {
        /// The peer's resolved address.
        ip: Ipv4Addr,
        /// The source port to match too, when the peer was written
        /// `addr:port` (the heartbeat-rs destination port override); `None`
        /// matches any source port.
        port: Option<u16>,
    },
}

impl Sender {
    fn matches(&self, source: SocketAddr) -> bool {
        match (self, source) {
            (Sender::Peer { ip, port }, SocketAddr::V4(src)) => {
                src.ip() == ip && port.map_or(true, |p| p == src.port())
            }
            _ => false,
        }
    }
}

/// The medium a datagram from `source` belongs to, among the `members` of
/// one socket (in configuration order).
///
/// 1. the first `ucast` medium whose peer matches the source (its IP, and
///    its port when the peer carries a port override);
/// 2. otherwise the first `bcast`/`mcast` medium ([`Sender::Anyone`]);
/// 3. otherwise the first medium.
///
/// Returns `None` only when `members` is empty.
pub fn attribute(members: &[(MediumId, Sender)], source: SocketAddr) -> Option<MediumId> {
    members
        .iter()
        .find(|(_, s)| s.matches(source))
        .or_else(|| members.iter().find(|(_, s)| *s == Sender::Anyone))
        .or_else(|| members.first())
        .map(|(id, _)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(ip: [u8; 4], port: Option<u16>) -> Sender {
        Sender::Peer {
            ip: Ipv4Addr::from(ip),
            port,
        }
    }

    fn src(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn empty_socket_has_no_medium() {
        assert_eq!(attribute(&[], src("10.0.0.1:694")), None);
    }

    #[test]
    fn ucast_peer_wins_over_bcast_on_the_same_socket() {
        let members = [
            (MediumId(0), Sender::Anyone),
            (MediumId(1), peer([10, 0, 0, 2], None)),
            (MediumId(2), peer([10, 0, 0, 3], None)),
        ];
        assert_eq!(attribute(&members, src("10.0.0.2:694")), Some(MediumId(1)));
        assert_eq!(
            attribute(&members, src("10.0.0.3:40000")),
            Some(MediumId(2))
        );
        // Anyone else: the bcast medium.
        assert_eq!(attribute(&members, src("10.0.0.9:694")), Some(MediumId(0)));
    }

    #[test]
    fn first_bcast_or_mcast_when_no_peer_matches() {
        let members = [
            (MediumId(3), peer([10, 0, 0, 2], None)),
            (MediumId(4), Sender::Anyone),
            (MediumId(5), Sender::Anyone),
        ];
        assert_eq!(attribute(&members, src("10.0.0.7:694")), Some(MediumId(4)));
    }

    #[test]
    fn first_medium_when_only_ucast_and_no_match() {
        let members = [
            (MediumId(2), peer([10, 0, 0, 2], None)),
            (MediumId(7), peer([10, 0, 0, 3], None)),
        ];
        assert_eq!(attribute(&members, src("10.0.0.4:694")), Some(MediumId(2)));
    }

    #[test]
    fn port_override_distinguishes_peers_on_one_address() {
        let members = [
            (MediumId(0), peer([127, 0, 0, 1], Some(7001))),
            (MediumId(1), peer([127, 0, 0, 1], Some(7002))),
        ];
        assert_eq!(
            attribute(&members, src("127.0.0.1:7002")),
            Some(MediumId(1))
        );
        assert_eq!(
            attribute(&members, src("127.0.0.1:7001")),
            Some(MediumId(0))
        );
        // Unknown port on the right address: falls back to the first medium.
        assert_eq!(
            attribute(&members, src("127.0.0.1:9999")),
            Some(MediumId(0))
        );
    }

    #[test]
    fn peer_without_override_matches_any_port() {
        let members = [
            (MediumId(0), peer([127, 0, 0, 1], Some(7001))),
            (MediumId(1), peer([127, 0, 0, 2], None)),
        ];
        assert_eq!(attribute(&members, src("127.0.0.2:5")), Some(MediumId(1)));
    }

    #[test]
    fn ipv6_source_never_matches_a_peer() {
        let members = [
            (MediumId(0), peer([127, 0, 0, 1], None)),
            (MediumId(1), Sender::Anyone),
        ];
        assert_eq!(attribute(&members, src("[::1]:694")), Some(MediumId(1)));
    }
}
