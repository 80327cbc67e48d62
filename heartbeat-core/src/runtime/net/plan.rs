//! The pure part of building media sockets: medium labels, `ucast` peer
//! syntax and the grouping of media into shared receive sockets.

use std::net::Ipv4Addr;

use crate::config::Medium;
use crate::engine::MediumId;

/// One receive socket to build: a device and a port, and the media using it
/// in configuration order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SocketPlan {
    /// Interface (`SO_BINDTODEVICE`).
    pub(crate) dev: String,
    /// Local port.
    pub(crate) port: u16,
    /// Media received on this socket.
    pub(crate) members: Vec<MediumId>,
}

/// The medium as an operator wrote it, for messages and logs.
pub(crate) fn label(medium: &Medium) -> String {
    match medium {
        Medium::Bcast { dev } => format!("bcast {dev}"),
        Medium::Mcast { dev, group, .. } => format!("mcast {dev} {group}"),
        Medium::Ucast { dev, peer } => format!("ucast {dev} {peer}"),
    }
}

/// The local port a medium receives on: its own port for `mcast`,
/// `udpport` otherwise.
pub(crate) fn receive_port(medium: &Medium, udp_port: u16) -> u16 {
    match medium {
        Medium::Mcast { port, .. } => *port,
        Medium::Bcast { .. } | Medium::Ucast { .. } => udp_port,
    }
}

/// Group media by (device, receive port), one [`SocketPlan`] per distinct
/// pair in order of first appearance; also returns, for each medium, the
/// index of its socket.
pub(crate) fn group_by_socket(media: &[Medium], udp_port: u16) -> (Vec<SocketPlan>, Vec<usize>) {
    let mut plans: Vec<SocketPlan> = Vec::new();
    let mut socket_of = Vec::with_capacity(media.len());
    for (i, medium) in media.iter().enumerate() {
        let port = receive_port(medium, udp_port);
        let idx = match plans
            .iter()
            .position(|p| p.dev == medium.dev() && p.port == port)
        {
            Some(idx) => idx,
            None => {
                plans.push(SocketPlan {
                    dev: medium.dev().to_owned(),
                    port,
                    members: Vec::new(),
                });
                plans.len() - 1
            }
        };
        plans[idx].members.push(MediumId(i));
        socket_of.push(idx);
    }
    (plans, socket_of)
}

/// The local address a socket binds: `bind_addr` when every medium on it is
/// `ucast` (a socket bound to a unicast address receives no broadcast or
/// multicast datagram), the wildcard otherwise.
pub(crate) fn bind_ip(
    media: &[Medium],
    plan: &SocketPlan,
    bind_addr: Option<Ipv4Addr>,
) -> Ipv4Addr {
    let all_ucast = plan
        .members
        .iter()
        .all(|id| matches!(media[id.0], Medium::Ucast { .. }));
    match bind_addr {
        Some(addr) if all_ucast => addr,
        _ => Ipv4Addr::UNSPECIFIED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bcast(dev: &str) -> Medium {
        Medium::Bcast { dev: dev.into() }
    }
    fn ucast(dev: &str, peer: &str) -> Medium {
        Medium::Ucast {
            dev: dev.into(),
            peer: peer.into(),
        }
    }
    fn mcast(dev: &str, port: u16) -> Medium {
        Medium::Mcast {
            dev: dev.into(),
            group: Ipv4Addr::new(239, 0, 0, 1),
            port,
            ttl: 1,
            loopback: false,
        }
    }

    #[test]
    fn labels_read_like_ha_cf() {
        assert_eq!(label(&bcast("eth1")), "bcast eth1");
        assert_eq!(label(&mcast("eth0", 694)), "mcast eth0 239.0.0.1");
        assert_eq!(label(&ucast("eth0", "node2")), "ucast eth0 node2");
    }

    #[test]
    fn media_on_one_device_and_port_share_a_socket() {
        let media = [
            bcast("eth0"),
            ucast("eth0", "a"),
            bcast("eth1"),
            mcast("eth0", 694),
            mcast("eth0", 695),
            ucast("eth1", "b"),
        ];
        let (plans, socket_of) = group_by_socket(&media, 694);
        assert_eq!(plans.len(), 3);
        assert_eq!((plans[0].dev.as_str(), plans[0].port), ("eth0", 694));
        assert_eq!(
            plans[0].members,
            vec![MediumId(0), MediumId(1), MediumId(3)]
        );
        assert_eq!((plans[1].dev.as_str(), plans[1].port), ("eth1", 694));
        assert_eq!(plans[1].members, vec![MediumId(2), MediumId(5)]);
        assert_eq!((plans[2].dev.as_str(), plans[2].port), ("eth0", 695));
        assert_eq!(plans[2].members, vec![MediumId(4)]);
        assert_eq!(socket_of, vec![0, 0, 1, 0, 2, 1]);
    }

    #[test]
    fn bind_addr_applies_to_ucast_only_sockets() {
        let media = [ucast("lo", "127.0.0.2"), bcast("eth0"), ucast("eth0", "x")];
        let (plans, _) = group_by_socket(&media, 694);
        let local = Some(Ipv4Addr::new(127, 0, 0, 3));
        assert_eq!(
            bind_ip(&media, &plans[0], local),
            Ipv4Addr::new(127, 0, 0, 3)
        );
        assert_eq!(bind_ip(&media, &plans[1], local), Ipv4Addr::UNSPECIFIED);
        assert_eq!(bind_ip(&media, &plans[0], None), Ipv4Addr::UNSPECIFIED);
    }
}
