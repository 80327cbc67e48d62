//! What the driver needs from the network: send a [`Transmit`], wait for the
//! next datagram. Real sockets implement it (see [`super::net`]); so do the
//! in-memory and fault-injecting transports used by tests, since the kernel
//! here has no `netem`.

use std::future::Future;
use std::io;

use bytes::Bytes;

use crate::engine::{MediumId, Transmit};

/// A datagram received on a medium.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// The medium it came in on.
    pub medium: MediumId,
    /// Its bytes.
    pub bytes: Bytes,
}

/// The network as the driver sees it.
pub trait Transport: Send + 'static {
    /// Sends a datagram on the media it names. Best effort, like UDP: a
    /// failure is for the transport to count and log, never to block.
    fn send(&mut self, transmit: &Transmit);

    /// Waits for the next datagram. Must be cancel-safe: the driver drops the
    /// future whenever something else is ready first.
    fn recv(&mut self) -> impl Future<Output = io::Result<Datagram>> + Send;
}
