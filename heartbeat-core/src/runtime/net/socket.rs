//! Building one receive-and-send socket with `socket2`.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};

use nix::sys::socket::{setsockopt, sockopt};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockAddr, Socket, Type};

use super::iface::Interface;
use super::NetError;

/// Multicast settings of a socket (one per socket: per-socket options).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Multicast {
    /// `IP_MULTICAST_TTL`.
    pub(crate) ttl: u8,
    /// `IP_MULTICAST_LOOP`.
    pub(crate) loopback: bool,
    /// `IP_MULTICAST_IF`: the interface's IPv4 address.
    pub(crate) if_addr: Ipv4Addr,
}

/// What one socket needs, whatever media share it.
#[derive(Clone, Debug)]
pub(crate) struct SocketSpec<'a> {
    /// The first medium on the socket, for error messages.
    pub(crate) label: &'a str,
    /// `SO_BINDTODEVICE`.
    pub(crate) dev: &'a str,
    /// The interface, for multicast membership.
    pub(crate) iface: Interface,
    /// Local address and port.
    pub(crate) bind: SocketAddrV4,
    /// `SO_BROADCAST` (some `bcast` medium uses it).
    pub(crate) broadcast: bool,
    /// Multicast send settings (some `mcast` medium uses it).
    pub(crate) multicast: Option<Multicast>,
    /// Groups to join, with the label of the medium that asked for each.
    pub(crate) groups: Vec<(Ipv4Addr, &'a str)>,
}

/// Create, configure and bind the socket (non-blocking, ready for tokio).
pub(crate) fn build(spec: &SocketSpec<'_>) -> Result<std::net::UdpSocket, NetError> {
    let ctx = |action: String| {
        let medium = spec.label.to_owned();
        move |source: io::Error| NetError::Socket {
            medium,
            action,
            source,
        }
    };
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
        .map_err(ctx("create a UDP socket".into()))?;
    socket
        .set_reuse_address(true)
        .map_err(ctx("set SO_REUSEADDR".into()))?;
    socket
        .bind_device(Some(spec.dev.as_bytes()))
        .map_err(ctx(format!("set SO_BINDTODEVICE({})", spec.dev)))?;
    // Only the groups joined on this socket, not every group joined by any
    // socket of the host on this port (Linux's default).
    socket
        .set_multicast_all_v4(false)
        .map_err(ctx("clear IP_MULTICAST_ALL".into()))?;
    // The destination address of each datagram, for `attribute`.
    setsockopt(&socket, sockopt::Ipv4PacketInfo, &true)
        .map_err(|e| ctx("set IP_PKTINFO".into())(io::Error::from(e)))?;
    if spec.broadcast {
        socket
            .set_broadcast(true)
            .map_err(ctx("set SO_BROADCAST".into()))?;
    }
    if let Some(m) = spec.multicast {
        socket
            .set_multicast_if_v4(&m.if_addr)
            .map_err(ctx(format!("set IP_MULTICAST_IF({})", m.if_addr)))?;
        socket
            .set_multicast_ttl_v4(u32::from(m.ttl))
            .map_err(ctx(format!("set IP_MULTICAST_TTL({})", m.ttl)))?;
        socket
            .set_multicast_loop_v4(m.loopback)
            .map_err(ctx(format!(
                "set IP_MULTICAST_LOOP({})",
                u8::from(m.loopback)
            )))?;
    }
    for &(group, medium) in &spec.groups {
        socket
            .join_multicast_v4_n(
                &group,
                &InterfaceIndexOrAddress::Index(spec.iface.index.get()),
            )
            .map_err(|source| NetError::Join {
                medium: medium.to_owned(),
                group,
                source,
            })?;
    }
    socket
        .bind(&SockAddr::from(spec.bind))
        .map_err(ctx(format!("bind {}", spec.bind)))?;
    socket
        .set_nonblocking(true)
        .map_err(ctx("set O_NONBLOCK".into()))?;
    Ok(socket.into())
}
