//! The tokio runtime around the sans-io [`crate::engine`], and the public
//! embedding API.
//!
//! - [`Cluster`] / [`ClusterBuilder`]: start a node from a [`Config`] (the
//!   builder binds the media and loads the identity, or runs on a transport
//!   and identity of the caller's), read its status, subscribe to its events,
//!   send application messages, stand by or take over, shut down gracefully.
//!   heartbeatd uses exactly this API.
//! - [`identity`]: the node's uuid and generation, persisted in a state
//!   directory in Heartbeat's formats (as heartbeatd keeps them) or made up
//!   in memory.
//! - [`net`]: the OS socket layer (the equivalent of `quinn-udp`): sockets per
//!   medium, sending and attributed receiving.
//! - [`Transport`]: what the driver needs from the network; real sockets
//!   implement it, and so do the test transports that inject loss.
//! - [`memory`]: an in-process network for tests and examples.
//! - [`Lossy`]: drops a share of received and sent datagrams (loss tests
//!   on real sockets).
//! - [`ActionRunner`]: who runs the resource actions the engine asks for.
//! - [`Fencer`]: who resets the dead nodes the engine asks to fence.
//! - `watchdog`: the kernel watchdog device, petted when the engine says
//!   so and disarmed only after a complete graceful shutdown.
//! - [`spawn_ping_prober`]: ICMP echoes to the ping nodes, replies reported
//!   to the engine.
//!
//! One task owns the engine (`driver`): it `select!`s over the sockets, the
//! engine's next deadline and a command channel, and after every input
//! carries out the engine's outputs. Readers get status snapshots through a
//! `tokio::sync::watch` and events through a `tokio::sync::broadcast`, so no
//! one ever locks the engine.
//!
//! [`Config`]: crate::config::Config

mod actions;
mod cluster;
mod driver;
mod fencer;
pub mod identity;
mod lossy;
pub mod memory;
pub mod net;
mod ping;
mod transport;
mod watchdog;

use std::io;

pub use actions::{ActionRunner, AlwaysSucceed};
pub use cluster::{BoundCluster, Cluster, ClusterBuilder, StartError, Stopped, EVENT_BACKLOG};
pub use fencer::{FenceOutcome, Fencer, NoFencer};
pub use lossy::Lossy;
pub use ping::spawn_ping_prober;
pub use transport::{Datagram, Transport};
pub use watchdog::WatchdogError;

use crate::engine::Transmit;

/// Real sockets: the media of `ha.cf`.
impl Transport for net::MediaSockets {
    fn send(&mut self, transmit: &Transmit) {
        let report = net::MediaSockets::send(self, transmit);
        for (medium, error) in report.failed {
            tracing::debug!(medium = medium.0, "send failed: {error}");
        }
    }

    async fn recv(&mut self) -> io::Result<Datagram> {
        // Into a buffer one byte longer than any datagram a dialect accepts
        // (a Linux-HA one can be 64 KiB), so that valid ones arrive whole and
        // oversized ones are seen as such by the codec, not silently cut.
        let (received, bytes) = net::MediaSockets::recv_datagram(self)
            .await
            .map_err(io::Error::other)?;
        Ok(Datagram {
            medium: received.medium,
            bytes,
        })
    }
}
