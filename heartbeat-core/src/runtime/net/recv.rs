//! Receiving one datagram with its destination address (`IP_PKTINFO`) from
//! a tokio socket, through `recvmsg`.

use std::io::{self, IoSliceMut};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, RawFd};
use std::task::{ready, Context, Poll};

use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags, SockaddrIn};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// One datagram as the kernel handed it over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Datagram {
    /// Bytes copied into the buffer.
    pub(crate) len: usize,
    /// Source address.
    pub(crate) source: SocketAddr,
    /// Destination address of the IP header, when `IP_PKTINFO` reported it.
    pub(crate) destination: Option<Ipv4Addr>,
}

/// Control-message space, aligned as `cmsghdr` requires (room for one
/// `in_pktinfo` with some spare).
#[repr(align(8))]
struct CmsgBuf([u8; 64]);

/// Poll `socket` for one datagram into `buf`.
pub(crate) fn poll_recv(
    socket: &UdpSocket,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<Datagram>> {
    loop {
        ready!(socket.poll_recv_ready(cx))?;
        let fd = socket.as_raw_fd();
        match socket.try_io(Interest::READABLE, || recv_once(fd, buf)) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            result => return Poll::Ready(result),
        }
    }
}

fn recv_once(fd: RawFd, buf: &mut [u8]) -> io::Result<Datagram> {
    let mut iov = [IoSliceMut::new(buf)];
    let mut cmsg = CmsgBuf([0; 64]);
    let msg = recvmsg::<SockaddrIn>(fd, &mut iov, Some(&mut cmsg.0), MsgFlags::empty())?;
    let destination = msg.cmsgs().ok().and_then(|mut cmsgs| {
        cmsgs.find_map(|c| match c {
            ControlMessageOwned::Ipv4PacketInfo(info) => {
                Some(Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr)))
            }
            _ => None,
        })
    });
    let source = msg.address.map_or(
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)),
        |a| SocketAddr::V4(SocketAddrV4::new(a.ip(), a.port())),
    );
    Ok(Datagram {
        len: msg.bytes,
        source,
        destination,
    })
}
