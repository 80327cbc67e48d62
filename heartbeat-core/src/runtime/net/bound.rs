//! [`StdMediaSockets`]: the synchronous constructor, from media to bound std
//! sockets.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};

use super::attribution::Addressing;
use super::iface::{lookup, Interface};
use super::plan::{bind_ip, group_by_socket, label, SocketPlan};
use super::resolve::resolve_peer;
use super::socket::{build, Multicast, SocketSpec};
use super::table::{MediaTable, Route};
use super::{MediaSockets, NetError};
use crate::config::Medium;
use crate::engine::MediumId;

/// Options of the socket layer beyond `ha.cf`'s media.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetOptions {
    /// Bind receive sockets to this local address instead of `0.0.0.0`, so
    /// that several nodes on one machine (127.0.0.1, 127.0.0.2, ...) can use
    /// the same port. Applies to sockets that carry only `ucast` media: a
    /// socket bound to a unicast address would receive no broadcast or
    /// multicast datagram, so sockets with a `bcast` or `mcast` medium keep
    /// the wildcard.
    pub bind_addr: Option<Ipv4Addr>,
}

/// The media's sockets, bound and configured, as non-blocking std sockets
/// (for a caller that drives them itself, or moves them into another network
/// namespace's runtime); [`StdMediaSockets::into_tokio`] makes them a
/// [`MediaSockets`].
#[derive(Debug)]
pub struct StdMediaSockets {
    pub(crate) table: MediaTable,
    pub(crate) sockets: Vec<UdpSocket>,
}

impl StdMediaSockets {
    /// Resolve every medium (interface addresses, `ucast` peers: host names
    /// are resolved here, once, which may block) and build one socket per
    /// distinct (device, port), as described in the [module doc](super).
    pub fn bind(media: &[Medium], udp_port: u16, options: &NetOptions) -> Result<Self, NetError> {
        let (plans, socket_of) = group_by_socket(media, udp_port);
        let labels: Vec<String> = media.iter().map(label).collect();
        let ifaces = plans
            .iter()
            .map(|p| lookup(&p.dev, &labels[p.members[0].0]))
            .collect::<Result<Vec<_>, _>>()?;
        let routes = media
            .iter()
            .zip(&socket_of)
            .enumerate()
            .map(|(i, (medium, &socket))| {
                route(medium, labels[i].clone(), socket, &ifaces[socket], udp_port)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut sockets = Vec::with_capacity(plans.len());
        for (plan, iface) in plans.iter().zip(&ifaces) {
            let spec = spec(media, &labels, plan, *iface, options)?;
            sockets.push(build(&spec)?);
        }
        Ok(StdMediaSockets {
            table: MediaTable::new(routes, plans.len()),
            sockets,
        })
    }

    /// The sockets, one per distinct (device, port).
    pub fn sockets(&self) -> &[UdpSocket] {
        &self.sockets
    }

    /// Index in [`StdMediaSockets::sockets`] of a medium's socket.
    pub fn socket_of(&self, medium: MediumId) -> Option<usize> {
        self.table.route(medium).map(|r| r.socket)
    }

    /// Where a medium's datagrams go.
    pub fn destination(&self, medium: MediumId) -> Option<SocketAddrV4> {
        self.table.route(medium).map(|r| r.destination)
    }

    /// The medium a datagram received on socket `socket` from `source`,
    /// sent to `destination` if known, belongs to (see
    /// [`attribute`](super::attribute)).
    pub fn attribute(
        &self,
        socket: usize,
        source: SocketAddr,
        destination: Option<Ipv4Addr>,
    ) -> Option<MediumId> {
        self.table.attribute(socket, source, destination)
    }

    /// Register the sockets with the current tokio runtime.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (as `tokio::net::UdpSocket::from_std`).
    pub fn into_tokio(self) -> Result<MediaSockets, NetError> {
        MediaSockets::from_std(self)
    }
}

/// Resolve one medium.
fn route(
    medium: &Medium,
    label: String,
    socket: usize,
    iface: &Interface,
    udp_port: u16,
) -> Result<Route, NetError> {
    let (destination, addressing) = match medium {
        Medium::Bcast { .. } => match iface.broadcast {
            Some(addr) => (
                SocketAddrV4::new(addr, udp_port),
                Addressing::Broadcast { addr },
            ),
            None => return Err(NetError::NoBroadcastAddress { medium: label }),
        },
        Medium::Mcast { group, port, .. } => (
            SocketAddrV4::new(*group, *port),
            Addressing::Multicast { group: *group },
        ),
        Medium::Ucast { peer, .. } => resolve_peer(peer, udp_port, &label)?,
    };
    Ok(Route {
        label,
        socket,
        destination,
        addressing,
    })
}

/// The union of what the media of one socket need.
fn spec<'a>(
    media: &[Medium],
    labels: &'a [String],
    plan: &'a SocketPlan,
    iface: Interface,
    options: &NetOptions,
) -> Result<SocketSpec<'a>, NetError> {
    let mut spec = SocketSpec {
        label: &labels[plan.members[0].0],
        dev: &plan.dev,
        iface,
        bind: SocketAddrV4::new(bind_ip(media, plan, options.bind_addr), plan.port),
        broadcast: false,
        multicast: None,
        groups: Vec::new(),
    };
    let mut first_mcast: Option<&str> = None;
    for id in &plan.members {
        let this = labels[id.0].as_str();
        match &media[id.0] {
            Medium::Bcast { .. } => spec.broadcast = true,
            Medium::Ucast { .. } => {}
            Medium::Mcast {
                group,
                ttl,
                loopback,
                ..
            } => {
                let if_addr = iface.addr.ok_or_else(|| NetError::NoIpv4Address {
                    medium: this.to_owned(),
                })?;
                let wanted = Multicast {
                    ttl: *ttl,
                    loopback: *loopback,
                    if_addr,
                };
                match (spec.multicast, first_mcast) {
                    (Some(have), Some(other)) => {
                        let setting = if have.ttl != wanted.ttl {
                            Some("ttl")
                        } else if have.loopback != wanted.loopback {
                            Some("loop")
                        } else {
                            None
                        };
                        if let Some(setting) = setting {
                            return Err(NetError::Conflict {
                                medium: this.to_owned(),
                                other: other.to_owned(),
                                setting,
                            });
                        }
                    }
                    _ => {
                        spec.multicast = Some(wanted);
                        first_mcast = Some(this);
                    }
                }
                if !spec.groups.iter().any(|(g, _)| g == group) {
                    spec.groups.push((*group, this));
                }
            }
        }
    }
    Ok(spec)
}
