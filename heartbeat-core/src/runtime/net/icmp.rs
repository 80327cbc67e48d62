//! ICMP echo for ping nodes: the socket (raw ICMP, or the kernel's
//! unprivileged "ping" datagram socket when raw sockets are not allowed) and
//! the echo request / reply layout (RFC 792).

use std::io;
use std::net::Ipv4Addr;

use socket2::{Domain, Protocol, Socket, Type};

/// ICMP type of an echo request.
const ECHO_REQUEST: u8 = 8;
/// ICMP type of an echo reply.
const ECHO_REPLY: u8 = 0;
/// Bytes of an echo request we send: header (8) and an 8-byte payload.
pub(crate) const ECHO_LEN: usize = 16;
/// The payload that marks our echoes.
const PAYLOAD: &[u8; 8] = b"hb-rs-pn";

/// An ICMP socket and what it delivers.
#[derive(Debug)]
pub(crate) struct IcmpSocket {
    /// Non-blocking, ready for `tokio::net::UdpSocket::from_std`.
    pub(crate) socket: std::net::UdpSocket,
    /// Raw sockets deliver the IP header before the ICMP message (and see
    /// every echo reply of the host); ping sockets deliver the ICMP message
    /// of our own echoes only, with the identifier chosen by the kernel.
    pub(crate) raw: bool,
}

/// Opens a raw ICMP socket (needs `CAP_NET_RAW`), else a ping socket (needs
/// the group in `net.ipv4.ping_group_range`).
pub(crate) fn open() -> io::Result<IcmpSocket> {
    let (socket, raw) = match Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)) {
        Ok(s) => (s, true),
        Err(raw_error) => {
            let s =
                Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::ICMPV4)).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!(
                            "no raw ICMP socket ({raw_error}) and no ping socket ({e}): \
                         run as root or allow the group in net.ipv4.ping_group_range"
                        ),
                    )
                })?;
            (s, false)
        }
    };
    socket.set_nonblocking(true)?;
    Ok(IcmpSocket {
        socket: socket.into(),
        raw,
    })
}

/// An echo request with identifier `id` and sequence number `seq`.
pub(crate) fn echo_request(id: u16, seq: u16) -> [u8; ECHO_LEN] {
    let mut b = [0u8; ECHO_LEN];
    b[0] = ECHO_REQUEST;
    b[4..6].copy_from_slice(&id.to_be_bytes());
    b[6..8].copy_from_slice(&seq.to_be_bytes());
    b[8..].copy_from_slice(PAYLOAD);
    let sum = checksum(&b);
    b[2..4].copy_from_slice(&sum.to_be_bytes());
    b
}

/// The Internet checksum (RFC 1071) of `bytes`.
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Whether `datagram` (from a socket opened as `raw` says) is an echo reply
/// to one of our echoes: type 0, our payload and, on a raw socket, our
/// identifier `id`. Never panics on short or odd input.
pub(crate) fn is_our_reply(datagram: &[u8], raw: bool, id: u16) -> bool {
    let icmp = if raw {
        let Some(&first) = datagram.first() else {
            return false;
        };
        let header = usize::from(first & 0x0f) * 4;
        if first >> 4 != 4 || header < 20 {
            return false;
        }
        match datagram.get(header..) {
            Some(rest) => rest,
            None => return false,
        }
    } else {
        datagram
    };
    icmp.len() >= ECHO_LEN
        && icmp[0] == ECHO_REPLY
        && icmp[1] == 0
        && icmp[8..ECHO_LEN] == PAYLOAD[..]
        && (!raw || icmp[4..6] == id.to_be_bytes())
}

/// The socket address an echo to `host` is sent to.
pub(crate) fn target(host: Ipv4Addr) -> std::net::SocketAddr {
    std::net::SocketAddr::from((host, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply_of(request: &[u8]) -> Vec<u8> {
        let mut r = request.to_vec();
        r[0] = ECHO_REPLY;
        r
    }

    fn with_ip_header(icmp: &[u8]) -> Vec<u8> {
        let mut d = vec![0u8; 20];
        d[0] = 0x45;
        d.extend_from_slice(icmp);
        d
    }

    #[test]
    fn request_checksum_verifies() {
        let r = echo_request(0x1234, 7);
        assert_eq!(checksum(&r), 0, "a correct checksum sums to zero");
        assert_eq!(&r[4..8], &[0x12, 0x34, 0, 7]);
    }

    #[test]
    fn replies_are_recognised_on_both_socket_kinds() {
        let reply = reply_of(&echo_request(42, 1));
        assert!(
            is_our_reply(&reply, false, 0),
            "ping socket: id is the kernel's"
        );
        assert!(is_our_reply(&with_ip_header(&reply), true, 42));
        assert!(
            !is_our_reply(&with_ip_header(&reply), true, 43),
            "someone else's echo"
        );
        assert!(
            !is_our_reply(&echo_request(42, 1), false, 42),
            "a request is no reply"
        );
        let mut other = reply.clone();
        other[9] ^= 1;
        assert!(!is_our_reply(&other, false, 42), "not our payload");
    }

    #[test]
    fn short_and_odd_input_is_refused() {
        for d in [&[][..], &[0x45], &[0x4f; 30], &[0x65; 40], &[0x41; 40]] {
            assert!(!is_our_reply(d, true, 1));
        }
        assert!(!is_our_reply(&[0u8; 8], false, 1));
    }
}
