//! The OS socket layer of the media (the equivalent of `quinn-udp`): turns
//! `ha.cf`'s `bcast`, `mcast` and `ucast` media into configured UDP sockets,
//! sends [`Transmit`](crate::engine::Transmit)s and receives datagrams
//! attributed to a [`MediumId`](crate::engine::MediumId).
//!
//! # Sockets per medium
//!
//! Every socket is UDP/IPv4 with `SO_REUSEADDR`, `SO_BINDTODEVICE(dev)`,
//! `IP_PKTINFO` (to learn each datagram's destination address) and
//! `IP_MULTICAST_ALL` off (it receives only the groups it joined itself).
//!
//! | medium | receives on | extra options | sends to |
//! | --- | --- | --- | --- |
//! | `bcast dev` | `0.0.0.0:udpport` | `SO_BROADCAST` | `dev`'s IPv4 broadcast address`:udpport` |
//! | `mcast dev group port ttl loop` | `0.0.0.0:port` | `IP_ADD_MEMBERSHIP(group, dev's index)`, `IP_MULTICAST_IF(dev's address)`, `IP_MULTICAST_TTL(ttl)`, `IP_MULTICAST_LOOP(loop)` | `group:port` |
//! | `ucast dev peer` | `0.0.0.0:udpport`, or [`NetOptions::bind_addr`]`:udpport` | — | `peer:udpport`, or `peer:port` when written `addr:port` |
//!
//! A `ucast` peer is an IPv4 literal or a host name, resolved once when the
//! sockets are built. The `addr:port` form (a heartbeat-rs extension) lets
//! several nodes run on one machine with different ports. [`NetOptions::bind_addr`]
//! applies only to sockets that carry nothing but `ucast` media: a socket
//! bound to a unicast address receives no broadcast or multicast.
//!
//! # One socket per (device, port), one link per medium
//!
//! Media with the same device and receive port share **one** socket (their
//! options are united: `SO_BROADCAST` if any is `bcast`, the memberships of
//! every `mcast`; two `mcast` media on one socket must agree on TTL and loop,
//! which are per socket). Separate sockets would either each receive every
//! broadcast or, with `SO_REUSEPORT`, have unicast datagrams spread between
//! them by the kernel. Each medium still is its own link: a received
//! datagram is attributed by the pure function [`attribute`]: the
//! `bcast`/`mcast` medium its destination address names (broadcast address
//! or group, learnt with `IP_PKTINFO`), else the `ucast` medium whose peer
//! sent it, else the first `bcast`/`mcast` medium of the socket, else its
//! first medium. So `bcast eth0` and `ucast eth0 node2` stay two links to
//! node2 even though both arrive on one socket from the same address.
//!
//! Each medium also *sends* from its receive socket, so our datagrams leave
//! from our `udpport`: that is what a peer using the port override matches.
//! (Heartbeat used a separate send socket with `SO_DONTROUTE` for `bcast`;
//! here `SO_BINDTODEVICE` already keeps the datagrams on the interface.)
//!
//! # Driving the sockets
//!
//! [`StdMediaSockets::bind`] builds everything synchronously into
//! non-blocking std sockets (useful to build them inside another network
//! namespace and run them elsewhere: a socket stays in the namespace it was
//! created in). [`MediaSockets`] is the tokio side, built with
//! [`MediaSockets::bind`] or [`StdMediaSockets::into_tokio`]:
//!
//! - [`MediaSockets::send`] never waits: it calls a non-blocking `sendto` for each
//!   selected medium; a failure (a full send buffer included) drops that
//!   medium's copy, is counted and reported, and the other media are still
//!   served. This is Heartbeat's rule that a stuck medium loses packets
//!   instead of stalling the others, and keeps the engine task from ever
//!   blocking on a send.
//! - [`MediaSockets::recv`] polls every socket from one future (no extra
//!   tasks, no channel): it is cancel-safe, so the engine task can
//!   `select!` it against its timer and command channel. The socket polled
//!   first rotates, so that a flooded link cannot starve the others.
//!   [`MediaSockets::recv_datagram`] receives into the sockets' own buffer
//!   of [`RECV_BUFFER_LEN`] bytes, sized for the largest datagram any
//!   dialect accepts (a Linux-HA one of up to 64 KiB, not just the native
//!   1400 bytes).

mod attribution;
mod bound;
mod error;
pub(crate) mod icmp;
mod iface;
mod media;
mod plan;
mod recv;
mod resolve;
mod socket;
mod table;

pub use attribution::{attribute, Addressing};
pub use bound::{NetOptions, StdMediaSockets};
pub use error::NetError;
pub use media::{MediaSockets, MediumStats, Received, SendReport, RECV_BUFFER_LEN};
