//! Resolving a `ucast` peer, once, at start.

use std::net::{SocketAddr, SocketAddrV4, ToSocketAddrs};

use crate::config::names::{parse_ucast_peer, PeerHost};

use super::attribution::Addressing;
use super::NetError;

/// The destination of a `ucast` medium and how it is addressed.
///
/// `peer` is an IPv4 literal or a host name, optionally followed by
/// `:port`; without a port the destination port is `udp_port`.
pub(crate) fn resolve_peer(
    peer: &str,
    udp_port: u16,
    medium: &str,
) -> Result<(SocketAddrV4, Addressing), NetError> {
    let fail = |reason: String| NetError::Resolve {
        medium: medium.to_owned(),
        peer: peer.to_owned(),
        reason,
    };
    let (host, port) =
        parse_ucast_peer(peer).ok_or_else(|| fail("expected host or host:port".into()))?;
    let ip = match host {
        PeerHost::Address(ip) => ip,
        PeerHost::Name(host) => (host, 0)
            .to_socket_addrs()
            .map_err(|e| fail(e.to_string()))?
            .find_map(|a| match a {
                SocketAddr::V4(a) => Some(*a.ip()),
                SocketAddr::V6(_) => None,
            })
            .ok_or_else(|| fail("no IPv4 address".into()))?,
    };
    let destination = SocketAddrV4::new(ip, port.unwrap_or(udp_port));
    Ok((destination, Addressing::Unicast { peer: ip, port }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn literal_uses_udpport() {
        let (dest, sender) = resolve_peer("10.0.0.2", 694, "ucast eth0 10.0.0.2").unwrap();
        assert_eq!(dest, "10.0.0.2:694".parse().unwrap());
        assert_eq!(
            sender,
            Addressing::Unicast {
                peer: Ipv4Addr::new(10, 0, 0, 2),
                port: None
            }
        );
    }

    #[test]
    fn port_override() {
        let (dest, sender) = resolve_peer("127.0.0.1:7002", 7001, "m").unwrap();
        assert_eq!(dest, "127.0.0.1:7002".parse().unwrap());
        assert_eq!(
            sender,
            Addressing::Unicast {
                peer: Ipv4Addr::LOCALHOST,
                port: Some(7002)
            }
        );
    }

    #[test]
    fn host_name_resolves() {
        let (dest, _) = resolve_peer("localhost", 694, "m").unwrap();
        assert!(dest.ip().is_loopback());
        assert_eq!(dest.port(), 694);
    }

    #[test]
    fn bad_port_is_named() {
        let err = resolve_peer("node2:x", 694, "ucast eth0 node2:x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "ucast eth0 node2:x: cannot resolve peer node2:x: expected host or host:port"
        );
    }
}
