//! The resolved media: per medium its socket and destination, per socket
//! its members for [`attribute`](super::attribute).

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use super::attribution::{attribute, Addressing};
use crate::engine::{MediumId, Via};

/// One medium, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Route {
    /// The medium as written, for messages.
    pub(crate) label: String,
    /// Index of its socket.
    pub(crate) socket: usize,
    /// Where its datagrams go.
    pub(crate) destination: SocketAddrV4,
    /// How its datagrams are addressed.
    pub(crate) addressing: Addressing,
}

/// Every medium, resolved, and the members of each socket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MediaTable {
    /// Indexed by [`MediumId`].
    pub(crate) routes: Vec<Route>,
    /// Indexed by socket; members in configuration order.
    pub(crate) members: Vec<Vec<(MediumId, Addressing)>>,
}

impl MediaTable {
    /// Build from routes; `sockets` is the number of sockets.
    pub(crate) fn new(routes: Vec<Route>, sockets: usize) -> Self {
        let mut members = vec![Vec::new(); sockets];
        for (i, r) in routes.iter().enumerate() {
            members[r.socket].push((MediumId(i), r.addressing));
        }
        MediaTable { routes, members }
    }

    /// The route of a medium.
    pub(crate) fn route(&self, id: MediumId) -> Option<&Route> {
        self.routes.get(id.0)
    }

    /// The medium a datagram received on `socket` from `source`, sent to
    /// `destination`, belongs to.
    pub(crate) fn attribute(
        &self,
        socket: usize,
        source: SocketAddr,
        destination: Option<Ipv4Addr>,
    ) -> Option<MediumId> {
        attribute(self.members.get(socket)?, source, destination)
    }

    /// The media a transmit selects (an unknown index is returned as is, for
    /// the caller to report).
    pub(crate) fn selected(&self, via: Via) -> impl Iterator<Item = MediumId> {
        let range = match via {
            Via::AllMedia => 0..self.routes.len(),
            Via::Medium(id) => id.0..id.0 + 1,
        };
        range.map(MediumId)
    }
}
