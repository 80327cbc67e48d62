//! [`MediaSockets`]: the media's sockets on tokio: best-effort send to the
//! selected media, receive from any socket with the medium attributed.

use std::future::{poll_fn, Future};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::task::Poll;

use bytes::Bytes;
use socket2::{SockAddr, SockRef};
use tokio::net::UdpSocket;

use super::bound::{NetOptions, StdMediaSockets};
use super::recv::poll_recv;
use super::table::MediaTable;
use super::NetError;
use crate::config::Medium;
use crate::engine::{MediumId, Transmit};
use crate::wire::MAX_RECEIVED_DATAGRAM;

/// Size of the buffer [`MediaSockets::recv_datagram`] receives into: one byte
/// more than the largest datagram any dialect accepts
/// ([`MAX_RECEIVED_DATAGRAM`], a Linux-HA datagram of up to 64 KiB), so
/// that every acceptable datagram reaches its decoder whole and a longer one
/// is seen as oversized instead of being silently cut.
pub const RECV_BUFFER_LEN: usize = MAX_RECEIVED_DATAGRAM + 1;

/// Counters of one medium since the sockets were built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MediumStats {
    /// Datagrams handed to the kernel.
    pub sent: u64,
    /// Datagrams that could not be sent (dropped).
    pub send_errors: u64,
    /// Datagrams received and attributed to this medium.
    pub received: u64,
}

#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    send_errors: AtomicU64,
    received: AtomicU64,
}

/// What [`MediaSockets::send`] did.
#[derive(Debug, Default)]
pub struct SendReport {
    /// Media the datagram was handed to the kernel for.
    pub sent: usize,
    /// Media it could not be sent on, and why.
    pub failed: Vec<(MediumId, NetError)>,
}

/// One datagram received by [`MediaSockets::recv`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// The medium it is attributed to.
    pub medium: MediumId,
    /// Its length: the datagram is `buf[..len]`.
    pub len: usize,
    /// Its source address.
    pub source: SocketAddr,
    /// The destination address of its IP header (our address, the
    /// broadcast address or the group), as `IP_PKTINFO` reported it.
    pub destination: Option<Ipv4Addr>,
}

/// The sockets of all media, registered with tokio. See the
/// [module doc](super) for the design.
#[derive(Debug)]
pub struct MediaSockets {
    table: MediaTable,
    sockets: Vec<UdpSocket>,
    counters: Vec<Counters>,
    /// Socket polled first by the next `recv`, so that a busy socket cannot
    /// starve the others.
    next: AtomicUsize,
    /// Where [`MediaSockets::recv_datagram`] receives, allocated once.
    recv_buf: RecvBuffer,
}

/// A heap buffer of [`RECV_BUFFER_LEN`] bytes (its `Debug` shows the length,
/// not the bytes).
struct RecvBuffer(Box<[u8]>);

impl std::fmt::Debug for RecvBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecvBuffer({} bytes)", self.0.len())
    }
}

impl MediaSockets {
    /// Build the sockets (see [`StdMediaSockets::bind`]) on tokio's blocking
    /// pool, since host names may be resolved, then register them with the
    /// current runtime.
    ///
    /// The future borrows nothing (the arguments are copied), so it can be
    /// spawned.
    pub fn bind(
        media: &[Medium],
        udp_port: u16,
        options: &NetOptions,
    ) -> impl Future<Output = Result<Self, NetError>> + Send + 'static {
        let media = media.to_vec();
        let options = *options;
        async move {
            let built = tokio::task::spawn_blocking(move || {
                StdMediaSockets::bind(&media, udp_port, &options)
            })
            .await;
            match built {
                Ok(std) => std?.into_tokio(),
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
    }

    /// Register already built std sockets with the current tokio runtime.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn from_std(std: StdMediaSockets) -> Result<Self, NetError> {
        let StdMediaSockets { table, sockets } = std;
        let sockets = sockets
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                UdpSocket::from_std(s).map_err(|source| NetError::Socket {
                    medium: first_label(&table, i),
                    action: "register with tokio".into(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let counters = table.routes.iter().map(|_| Counters::default()).collect();
        Ok(MediaSockets {
            table,
            sockets,
            counters,
            next: AtomicUsize::new(0),
            recv_buf: RecvBuffer(vec![0; RECV_BUFFER_LEN].into_boxed_slice()),
        })
    }

    /// Send a datagram to the destination of every medium `transmit`
    /// selects, without waiting (a plain non-blocking `sendto`, so it works
    /// outside the runtime too): a medium whose send fails (including a full
    /// send buffer, `WouldBlock`) drops the datagram, counts the error and is
    /// reported in [`SendReport::failed`]; the other media are still served.
    pub fn send(&self, transmit: &Transmit) -> SendReport {
        let mut report = SendReport::default();
        for id in self.table.selected(transmit.via) {
            let Some(route) = self.table.route(id) else {
                report.failed.push((id, NetError::UnknownMedium(id.0)));
                continue;
            };
            let socket = &self.sockets[route.socket];
            let counters = &self.counters[id.0];
            // Straight to the (non-blocking) socket rather than through
            // tokio's readiness tracking: a send is attempted every time, and
            // fails with `WouldBlock` only when the send buffer is really full.
            let destination = SockAddr::from(route.destination);
            match SockRef::from(socket).send_to(&transmit.bytes, &destination) {
                Ok(_) => {
                    counters.sent.fetch_add(1, Relaxed);
                    report.sent += 1;
                }
                Err(source) => {
                    counters.send_errors.fetch_add(1, Relaxed);
                    report.failed.push((
                        id,
                        NetError::Send {
                            medium: route.label.clone(),
                            destination: route.destination,
                            source,
                        },
                    ));
                }
            }
        }
        report
    }

    /// Wait for the next datagram on any socket, copy it into `buf` and
    /// attribute it to a medium.
    ///
    /// A datagram longer than `buf` is truncated: give a buffer of
    /// [`RECV_BUFFER_LEN`] bytes, or use [`MediaSockets::recv_datagram`],
    /// which does. Cancel-safe. Meant for one receiving task: two tasks
    /// calling `recv` at once would take each other's wake-ups. With no
    /// media it never returns. An error is about one socket and is usually
    /// transient: log it and call `recv` again.
    pub async fn recv(&self, buf: &mut [u8]) -> Result<Received, NetError> {
        receive(&self.table, &self.sockets, &self.counters, &self.next, buf).await
    }

    /// Like [`MediaSockets::recv`], into the sockets' own buffer of
    /// [`RECV_BUFFER_LEN`] bytes (allocated once), returning a copy of the
    /// datagram: what the runtime's driver receives with. Cancel-safe.
    pub async fn recv_datagram(&mut self) -> Result<(Received, Bytes), NetError> {
        let MediaSockets {
            table,
            sockets,
            counters,
            next,
            recv_buf,
        } = self;
        let received = receive(table, sockets, counters, next, &mut recv_buf.0).await?;
        Ok((
            received,
            Bytes::copy_from_slice(&recv_buf.0[..received.len]),
        ))
    }

    /// Counters of a medium.
    pub fn stats(&self, medium: MediumId) -> Option<MediumStats> {
        self.counters.get(medium.0).map(|c| MediumStats {
            sent: c.sent.load(Relaxed),
            send_errors: c.send_errors.load(Relaxed),
            received: c.received.load(Relaxed),
        })
    }

    /// Where a medium's datagrams go.
    pub fn destination(&self, medium: MediumId) -> Option<SocketAddrV4> {
        self.table.route(medium).map(|r| r.destination)
    }

    /// The local address of a medium's socket.
    pub fn local_addr(&self, medium: MediumId) -> Option<SocketAddr> {
        let route = self.table.route(medium)?;
        self.sockets[route.socket].local_addr().ok()
    }

    /// Number of sockets (distinct device and port pairs).
    pub fn socket_count(&self) -> usize {
        self.sockets.len()
    }
}

fn first_label(table: &MediaTable, socket: usize) -> String {
    table
        .members
        .get(socket)
        .and_then(|m| m.first())
        .and_then(|(id, _)| table.route(*id))
        .map(|r| r.label.clone())
        .unwrap_or_default()
}

/// [`MediaSockets::recv`] on the sockets' parts, so that
/// [`MediaSockets::recv_datagram`] can lend its own buffer alongside.
async fn receive(
    table: &MediaTable,
    sockets: &[UdpSocket],
    counters: &[Counters],
    next: &AtomicUsize,
    buf: &mut [u8],
) -> Result<Received, NetError> {
    let (socket, datagram) = poll_fn(|cx| {
        let n = sockets.len();
        let start = next.fetch_add(1, Relaxed);
        for k in 0..n {
            let i = (start + k) % n;
            match poll_recv(&sockets[i], cx, buf) {
                Poll::Ready(Ok(d)) => return Poll::Ready(Ok((i, d))),
                Poll::Ready(Err(e)) => return Poll::Ready(Err((i, e))),
                Poll::Pending => {}
            }
        }
        Poll::Pending
    })
    .await
    .map_err(|(i, source)| NetError::Receive {
        medium: first_label(table, i),
        source,
    })?;
    // Every socket has at least one member, so this is always `Some`.
    let medium = table
        .attribute(socket, datagram.source, datagram.destination)
        .unwrap_or(MediumId(0));
    if let Some(c) = counters.get(medium.0) {
        c.received.fetch_add(1, Relaxed);
    }
    Ok(Received {
        medium,
        len: datagram.len,
        source: datagram.source,
        destination: datagram.destination,
    })
}
