//! What a name in `ha.cf` may look like: interface names by the kernel's
//! rules, node names, and `ucast` peers (an IPv4 address or a host name,
//! with an optional `:port`). Pure syntax: whether an interface exists or a
//! host name resolves is checked when a configuration directory is loaded
//! (see `Config::load`), not here.
//!
//! Deliberately stricter than Heartbeat 3.0.6, which takes any token:
//! - an interface name with a quote character is refused although the
//!   kernel would allow one (`ha.cf` has no quoting: a quote is a typo);
//! - a `ucast` peer that is neither a dotted-quad address nor a host name
//!   is refused (Heartbeat hands it to `inet_aton`/`gethostbyname`, which
//!   read `12` as 0.0.0.12 and `65536` as 0.1.0.0);
//! - a node name with a control character is refused.

use std::net::Ipv4Addr;

/// Longest interface name the kernel accepts (`IFNAMSIZ` − 1).
pub const MAX_INTERFACE_NAME: usize = 15;

/// What [`check_interface_name`] expects, for messages.
pub const INTERFACE_EXPECTED: &str =
    "an interface name of 1 to 15 bytes without `/`, `:`, quotes, white space or control characters";

/// What [`parse_ucast_peer`] expects, for messages.
pub const PEER_EXPECTED: &str = "an IPv4 address or a host name, optionally followed by `:PORT`";

/// What [`check_node_name`] expects, for messages.
pub const NODE_NAME_EXPECTED: &str = "a node name without white space or control characters";

/// Whether `name` is an interface name the kernel would accept
/// (`dev_valid_name`: 1 to 15 bytes, not `.` or `..`, no `/`, `:` or white
/// space), also without quotes or control characters.
pub fn check_interface_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_INTERFACE_NAME
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| matches!(c, '/' | ':' | '"' | '\'') || c.is_whitespace() || c.is_control())
}

/// Whether `name` may name a node: no white space, no control characters.
pub fn check_node_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The host part of a `ucast` peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerHost<'a> {
    /// A dotted-quad IPv4 address.
    Address(Ipv4Addr),
    /// A host name (resolved when the configuration is loaded from disk,
    /// and again when the media are bound).
    Name(&'a str),
}

/// Splits a `ucast` peer into its host and optional port, or says why not.
pub fn parse_ucast_peer(peer: &str) -> Option<(PeerHost<'_>, Option<u16>)> {
    let (host, port) = match peer.rsplit_once(':') {
        None => (peer, None),
        Some((host, port)) => match port.parse::<u16>() {
            Ok(p) if p != 0 => (host, Some(p)),
            _ => return None,
        },
    };
    if let Ok(address) = host.parse::<Ipv4Addr>() {
        return Some((PeerHost::Address(address), port));
    }
    is_host_name(host).then_some((PeerHost::Name(host), port))
}

/// RFC 1123 host name: dot-separated labels of 1 to 63 letters, digits and
/// hyphens, not starting or ending with a hyphen, 253 bytes at most, and a
/// last label that is not all digits (so that no number passes for a name).
fn is_host_name(host: &str) -> bool {
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    (1..=253).contains(&host.len())
        && host.split('.').all(label_ok)
        && host
            .rsplit('.')
            .next()
            .is_some_and(|last| !last.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names_follow_the_kernel() {
        for ok in [
            "eth0",
            "lo",
            "enp0s31f6",
            "br-lan.100",
            "a",
            "veth_123456789a",
        ] {
            assert!(check_interface_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "eth0:1",
            "a/b",
            "eth 0",
            "\"quoted\"",
            "'eth0'",
            "12345678901234567890",
            "sixteen-bytes-xx",
            "eth\u{7}0",
        ] {
            assert!(!check_interface_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn node_names_have_no_control_characters() {
        assert!(check_node_name("node1"));
        assert!(check_node_name("db-01.example.com"));
        assert!(!check_node_name("node\u{1b}[31m"));
        assert!(!check_node_name("node\u{a0}1"));
        assert!(!check_node_name(""));
    }

    #[test]
    fn ucast_peers_are_addresses_or_host_names() {
        let ip = |s: &str| PeerHost::Address(s.parse().unwrap());
        assert_eq!(parse_ucast_peer("10.0.0.2"), Some((ip("10.0.0.2"), None)));
        assert_eq!(
            parse_ucast_peer("127.0.0.1:7002"),
            Some((ip("127.0.0.1"), Some(7002)))
        );
        assert_eq!(
            parse_ucast_peer("node2.example.com"),
            Some((PeerHost::Name("node2.example.com"), None))
        );
        assert_eq!(
            parse_ucast_peer("node2:694"),
            Some((PeerHost::Name("node2"), Some(694)))
        );
        // Moved from the runtime's old `split_peer`: same splits.
        assert_eq!(
            parse_ucast_peer("node2:7002"),
            Some((PeerHost::Name("node2"), Some(7002)))
        );
        assert_eq!(parse_ucast_peer("node2:70000"), None);
        for bad in [
            "12",
            "65536",
            "127.",
            "127.0.0",
            "10.0.0.256",
            "node2:0",
            "node2:x",
            ":694",
            "-node",
            "a..b",
            "under_score",
            "\"node2\"",
        ] {
            assert_eq!(parse_ucast_peer(bad), None, "{bad}");
        }
    }
}
