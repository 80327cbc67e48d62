//! [`NetError`]: everything that can go wrong while building or using media
//! sockets, each naming the medium concerned.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};

/// An error of the socket layer.
///
/// `medium` fields hold the medium as an operator wrote it (`bcast eth1`,
/// `mcast eth0 239.0.0.1`, `ucast eth0 node2`), so that the message can be
/// reported as is, e.g. `bcast eth1: interface has no IPv4 broadcast address`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The network interfaces could not be listed (`getifaddrs`).
    #[error("cannot list network interfaces: {0}")]
    Interfaces(#[source] io::Error),
    /// The medium names an interface that does not exist.
    #[error("{medium}: no such interface")]
    NoSuchInterface {
        /// The medium.
        medium: String,
    },
    /// A `bcast` medium's interface has no IPv4 broadcast address.
    #[error("{medium}: interface has no IPv4 broadcast address")]
    NoBroadcastAddress {
        /// The medium.
        medium: String,
    },
    /// An `mcast` medium's interface has no IPv4 address (needed for
    /// `IP_MULTICAST_IF`, as in Heartbeat).
    #[error("{medium}: interface has no IPv4 address")]
    NoIpv4Address {
        /// The medium.
        medium: String,
    },
    /// A `ucast` peer could not be resolved to an IPv4 address.
    #[error("{medium}: cannot resolve peer {peer}: {reason}")]
    Resolve {
        /// The medium.
        medium: String,
        /// The peer as written.
        peer: String,
        /// Why.
        reason: String,
    },
    /// A socket could not be created, configured or bound.
    #[error("{medium}: cannot {action}: {source}")]
    Socket {
        /// The (first) medium using the socket.
        medium: String,
        /// What was attempted, e.g. `bind 0.0.0.0:694` or `set SO_BINDTODEVICE(eth0)`.
        action: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The socket could not join a multicast group.
    #[error("{medium}: cannot join {group}: {source}")]
    Join {
        /// The medium.
        medium: String,
        /// The group.
        group: Ipv4Addr,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Two `mcast` media share one socket (same device and port) but ask for
    /// different TTL or loop settings, which are per socket.
    #[error("{medium}: shares its socket with {other} but sets a different multicast {setting}")]
    Conflict {
        /// The later medium.
        medium: String,
        /// The earlier medium on the same socket.
        other: String,
        /// `ttl` or `loop`.
        setting: &'static str,
    },
    /// A datagram could not be sent to a medium's destination.
    #[error("{medium}: cannot send to {destination}: {source}")]
    Send {
        /// The medium.
        medium: String,
        /// Where it was going.
        destination: SocketAddrV4,
        /// The OS error (`WouldBlock` when the send buffer is full).
        #[source]
        source: io::Error,
    },
    /// Receiving on a socket failed.
    #[error("{medium}: cannot receive: {source}")]
    Receive {
        /// The (first) medium using the socket.
        medium: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A transmit named a medium index that does not exist.
    #[error("no medium with index {0}")]
    UnknownMedium(usize),
}
