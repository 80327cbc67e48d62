//! Shared helpers of the Linux-HA dialect tests: a reader for the reference
//! captures (classic libpcap files; Ethernet, Linux cooked v1/v2 or raw IPv4
//! link types; IPv4 + UDP), and the captures' key.

#![allow(dead_code, unreachable_pub)]

use std::net::Ipv4Addr;
use std::path::PathBuf;

use heartbeat_core::wire::{AuthMethod, Keyring};

/// The captures' authkeys: `auth 1` / `1 sha1 somekey`.
pub fn capture_keys() -> Keyring {
    Keyring::single(AuthMethod::Sha1, "somekey")
}

/// The captures shipped with the tests (recorded from Heartbeat 3.0.6).
pub const CAPTURES: [&str; 3] = ["bcast", "mcast", "ucast"];

/// Path of a file in `tests/data/linuxha/`.
pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/linuxha")
        .join(name)
}

/// One UDP datagram of a capture.
#[derive(Clone, Debug)]
pub struct UdpDatagram {
    /// Index of the record in the file (0-based).
    pub record: usize,
    /// Source address and port.
    pub src: (Ipv4Addr, u16),
    /// Destination address and port.
    pub dst: (Ipv4Addr, u16),
    /// The UDP payload.
    pub payload: Vec<u8>,
}

/// Why a capture could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum PcapError {
    /// Not a classic libpcap file.
    BadMagic,
    /// A link type this reader does not know.
    LinkType(u32),
    /// The file or a record ends early.
    Truncated(usize),
}

/// Link types read (from the pcap global header).
const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;
const LINKTYPE_LINUX_SLL: u32 = 113;
const LINKTYPE_IPV4: u32 = 228;
const LINKTYPE_LINUX_SLL2: u32 = 276;

/// Largest record accepted (libpcap's own maximum snapshot length).
const MAX_RECORD: usize = 262_144;

/// Every IPv4/UDP datagram of the capture `name` (e.g. `"bcast"`); other
/// frames (ARP, IPv6, TCP, fragments) are skipped.
pub fn read_capture(name: &str) -> Vec<UdpDatagram> {
    let bytes = std::fs::read(data_path(&format!("{name}.pcap"))).expect("capture present");
    read_pcap(&bytes).expect("well-formed capture")
}

/// Every IPv4/UDP datagram of a classic libpcap file held in `file`.
pub fn read_pcap(file: &[u8]) -> Result<Vec<UdpDatagram>, PcapError> {
    let header = file.get(..24).ok_or(PcapError::Truncated(0))?;
    let magic = [header[0], header[1], header[2], header[3]];
    let little = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        _ => return Err(PcapError::BadMagic),
    };
    let u32_at = |b: &[u8], at: usize| {
        let w = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if little {
            u32::from_le_bytes(w)
        } else {
            u32::from_be_bytes(w)
        }
    };
    let linktype = u32_at(header, 20) & 0x0fff_ffff;
    let mut out = Vec::new();
    let mut at = 24;
    let mut record = 0;
    while at < file.len() {
        let rec = file.get(at..at + 16).ok_or(PcapError::Truncated(at))?;
        let incl = u32_at(rec, 8) as usize;
        if incl > MAX_RECORD {
            return Err(PcapError::Truncated(at));
        }
        let frame = file
            .get(at + 16..at + 16 + incl)
            .ok_or(PcapError::Truncated(at))?;
        if let Some(ip) = network_layer(linktype, frame)? {
            if let Some((src, dst, payload)) = udp_in_ipv4(ip) {
                out.push(UdpDatagram {
                    record,
                    src,
                    dst,
                    payload: payload.to_vec(),
                });
            }
        }
        at += 16 + incl;
        record += 1;
    }
    Ok(out)
}

/// The IPv4 packet inside a frame of `linktype`, or `None` for other protocols.
fn network_layer(linktype: u32, frame: &[u8]) -> Result<Option<&[u8]>, PcapError> {
    let be16 = |b: &[u8], at: usize| b.get(at..at + 2).map(|w| u16::from_be_bytes([w[0], w[1]]));
    Ok(match linktype {
        LINKTYPE_ETHERNET => {
            let mut ethertype = be16(frame, 12);
            let mut start = 14;
            // 802.1Q / 802.1ad tags.
            while matches!(ethertype, Some(0x8100 | 0x88a8)) {
                ethertype = be16(frame, start + 2);
                start += 4;
            }
            (ethertype == Some(0x0800))
                .then(|| frame.get(start..))
                .flatten()
        }
        LINKTYPE_LINUX_SLL => (be16(frame, 14) == Some(0x0800))
            .then(|| frame.get(16..))
            .flatten(),
        LINKTYPE_LINUX_SLL2 => (be16(frame, 0) == Some(0x0800))
            .then(|| frame.get(20..))
            .flatten(),
        LINKTYPE_RAW | LINKTYPE_IPV4 => Some(frame),
        other => return Err(PcapError::LinkType(other)),
    })
}

/// Source, destination and payload of an unfragmented IPv4/UDP packet.
#[allow(clippy::type_complexity)]
fn udp_in_ipv4(ip: &[u8]) -> Option<((Ipv4Addr, u16), (Ipv4Addr, u16), &[u8])> {
    let first = *ip.first()?;
    if first >> 4 != 4 || ip.get(9) != Some(&17) {
        return None;
    }
    let ihl = usize::from(first & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
    let fragment = u16::from_be_bytes([*ip.get(6)?, *ip.get(7)?]);
    if fragment & 0x3fff != 0 || ihl < 20 || total < ihl + 8 {
        return None;
    }
    let ip = ip.get(..total)?;
    let addr = |at: usize| Ipv4Addr::new(ip[at], ip[at + 1], ip[at + 2], ip[at + 3]);
    let udp = &ip[ihl..];
    let port = |at: usize| u16::from_be_bytes([udp[at], udp[at + 1]]);
    let len = usize::from(port(4));
    let payload = udp.get(8..len)?;
    Some(((addr(12), port(0)), (addr(16), port(2)), payload))
}

/// Every UDP payload to or from port 694 in all shipped captures, with the
/// capture's name.
pub fn all_heartbeat_payloads() -> Vec<(&'static str, UdpDatagram)> {
    CAPTURES
        .iter()
        .flat_map(|&name| {
            read_capture(name)
                .into_iter()
                .filter(|d| d.dst.1 == 694 || d.src.1 == 694)
                .map(move |d| (name, d))
        })
        .collect()
}
