//! Configuration: `ha.cf`, `authkeys` and `haresources` parsed into one
//! validated [`Config`].
//!
//! Parsers are hand-written with Linux-HA syntax and defaults; every error
//! names the file, the line and what was expected, and all errors of all three
//! files are reported together ([`ConfigErrors`]).
//!
//! # Layout
//!
//! - this file: the data model every other module builds on ([`Config`] and
//!   its parts).
//! - [`load`](Config::load): reading a directory, cross-file checks.
//! - `lexer`: comments, continuations and token separators of each file.
//! - `time`: Linux-HA time values ([`parse_time`]).
//! - `timing`: timer defaults and checks.
//! - `hacf`: the `ha.cf` directives ([`parse_ha_cf`]), the split-brain ones
//!   in `hacf::safety_lines`; `compat`: directives accepted without effect.
//! - `safety`: split-brain settings ([`Safety`]: fencing, quorum, watchdog).
//! - `authkeys`: keys and the permission check ([`parse_authkeys`]).
//! - `haresources`: resource groups ([`parse_haresources`]).
//! - `display`: the effective configuration ([`Config::effective`]).
//! - `error`: [`ConfigError`], [`ConfigErrorKind`], [`ConfigErrors`].
//!
//! ```
//! use heartbeat_core::config::Config;
//!
//! let ha_cf = "node node1 node2\nucast eth0 10.0.0.2\n";
//! let authkeys = "auth 1\n1 sha256 secret\n";
//! let haresources = "node1 10.0.0.10/24 httpd\n";
//! let config = Config::from_texts(ha_cf, authkeys, haresources, "NODE1").unwrap();
//! assert_eq!(config.local_node, "node1");
//! assert_eq!(config.timing.deadtime.as_secs(), 30);
//! assert_eq!(config.groups[0].resources[0].script, "IPaddr");
//! ```

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use crate::wire::Keyring;

mod authkeys;
mod compat;
mod display;
mod error;
mod hacf;
mod haresources;
mod health;
mod lexer;
mod load;
pub mod names;
mod respawn;
mod safety;
mod time;
mod timing;

pub use authkeys::{
    check_authkeys_permissions, method_name, parse_authkeys, parse_method, MAX_KEY_INDEX,
};
pub use display::Effective;
pub use error::{ConfigError, ConfigErrorKind, ConfigErrors};
pub use hacf::{
    parse_ha_cf, HaCf, DEFAULT_CLUSTER, DEFAULT_HOPFUDGE, DEFAULT_MAX_REXMIT_DELAY,
    DEFAULT_UDP_PORT,
};
pub use haresources::{parse_haresources, parse_resource, IPADDR_SCRIPT};
pub use health::{
    Check, CheckKind, NotifyHook, NotifyState, Track, DEFAULT_FALL, DEFAULT_INTERVAL, DEFAULT_RISE,
};
pub use load::{AUTHKEYS, HARESOURCES, HA_CF};
pub use respawn::{RespawnChild, HEARTBEAT_LIB_DIRS};
pub use safety::{
    FenceAgent, Safety, StonithDevice, StonithHost, StonithParams, DEFAULT_FENCE_DELAY,
    DEFAULT_FENCE_TIMEOUT,
};
pub use time::{format_ms, parse_time, TIME_EXPECTED};
pub use timing::{default_initdead, DEFAULT_DEADTIME, DEFAULT_KEEPALIVE};

/// The validated configuration of one node.
#[derive(Clone)]
pub struct Config {
    /// This node's name (lower case); always one of [`Config::nodes`].
    pub local_node: String,
    /// Cluster name (`cluster`, default `linux-ha`).
    pub cluster: String,
    /// Configured cluster nodes (lower case, in file order), the local one included.
    pub nodes: Vec<String>,
    /// Liveness timers.
    pub timing: Timing,
    /// Default UDP port (`udpport`, default 694); mcast media carry their own.
    pub udp_port: u16,
    /// Communication media, in file order.
    pub media: Vec<Medium>,
    /// Health checks and what they track (`check`, `track`).
    pub health: Health,
    /// Ping nodes (`ping`, `ping_group`).
    pub ping_nodes: Vec<PingNode>,
    /// Failback policy (`auto_failback`, default legacy).
    pub auto_failback: AutoFailback,
    /// Upper bound of the random delay before a retransmission request
    /// (`max_rexmit_delay`, default 250 ms).
    pub max_rexmit_delay: Duration,
    /// Logging directives.
    pub logging: Logging,
    /// `hopfudge` (default 1).
    pub hopfudge: u8,
    /// `realtime` (default true).
    pub realtime: bool,
    /// `msgfmt` (default classic); meaningful for the Linux-HA dialect only.
    pub msgfmt: MsgFormat,
    /// `compression`, `compression_threshold`, `traditional_compression`;
    /// meaningful for the Linux-HA dialect only.
    pub compression: CompressionSettings,
    /// `wire_dialect` (default native): what this node speaks on the wire.
    pub wire_dialect: WireDialect,
    /// `metrics_listen` (off by default): where heartbeatd serves Prometheus
    /// metrics and its status page over HTTP.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// `ha.cf` directive values as written ([`HaCf::raw_parameters`]), for
    /// `cl_status hbparameter`.
    pub raw_parameters: BTreeMap<String, String>,
    /// Keys from `authkeys`.
    pub keys: Keyring,
    /// Resource groups from `haresources`, in file order.
    pub groups: Vec<ResourceGroup>,
    /// Split-brain protection: fencing, quorum, watchdog.
    pub safety: Safety,
    /// `respawn` and `failfast` lines, in file order.
    pub respawn: Vec<RespawnChild>,
    /// Directives accepted for compatibility that have no effect here, with
    /// where they were found, for the operator's information.
    pub warnings: Vec<String>,
}

/// Liveness timers (`keepalive`, `deadtime`, `warntime`, `initdead`, `deadping`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Status send period (default 1 s).
    pub keepalive: Duration,
    /// Silence after which a node is dead (default 30 s).
    pub deadtime: Duration,
    /// Silence after which a late heartbeat is reported (default deadtime / 2).
    pub warntime: Duration,
    /// Deadtime applied before communications are up (default per Linux-HA).
    pub initdead: Duration,
    /// Deadtime of ping nodes (default deadtime).
    pub deadping: Duration,
}

/// One communication medium (`bcast`, `mcast`, `ucast`). Its link name is `dev`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Medium {
    /// `bcast dev`: UDP broadcast on the interface.
    Bcast {
        /// Interface name.
        dev: String,
    },
    /// `mcast dev group port ttl loop`.
    Mcast {
        /// Interface name.
        dev: String,
        /// Multicast group (224.0.0.0/4).
        group: Ipv4Addr,
        /// UDP port.
        port: u16,
        /// Multicast TTL (0..=4 as Heartbeat accepts... up to 255 here).
        ttl: u8,
        /// Whether our own packets loop back.
        loopback: bool,
    },
    /// `ucast dev peer`: UDP unicast to one peer.
    Ucast {
        /// Interface name.
        dev: String,
        /// Peer host name or address, as written.
        peer: String,
    },
}

impl Medium {
    /// The interface name, which is also the link name shown to operators.
    pub fn dev(&self) -> &str {
        match self {
            Medium::Bcast { dev } | Medium::Mcast { dev, .. } | Medium::Ucast { dev, .. } => dev,
        }
    }
}

/// A ping node: one host (`ping`) or a group answered by any member (`ping_group`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingNode {
    /// Name shown as the node name (the host, or the group name).
    pub name: String,
    /// Hosts pinged.
    pub hosts: Vec<String>,
}

/// `auto_failback` policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AutoFailback {
    /// `on`: the returning preferred node gets its groups back.
    On,
    /// `off`: groups stay where they are.
    Off,
    /// `legacy` (default): ip-request / ip-request-resp.
    #[default]
    Legacy,
}

/// The algorithm of `compression` (`zlib`, `bz2`).
pub use crate::wire::linuxha::Algorithm as CompressionAlgorithm;

/// Heartbeat's compression directives. Received compressed messages are
/// always read; outgoing Linux-HA messages are compressed, as Heartbeat
/// 3.0.6 does, only with `traditional_compression` on, and then when their
/// encoding exceeds `compression_threshold` KiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompressionSettings {
    /// `compression` (default zlib).
    pub algorithm: CompressionAlgorithm,
    /// `compression_threshold` in KiB (default 2, at least 1).
    pub threshold_kib: u32,
    /// `traditional_compression` (default off): whole messages are
    /// compressed above the threshold.
    pub traditional: bool,
}

impl Default for CompressionSettings {
    fn default() -> Self {
        CompressionSettings {
            algorithm: CompressionAlgorithm::Zlib,
            threshold_kib: DEFAULT_COMPRESSION_THRESHOLD_KIB,
            traditional: false,
        }
    }
}

/// Heartbeat's default `compression_threshold`, in KiB.
pub const DEFAULT_COMPRESSION_THRESHOLD_KIB: u32 = 2;

impl CompressionSettings {
    /// How outgoing messages are compressed: `None` unless
    /// `traditional_compression` is on.
    pub fn outgoing(&self) -> Option<crate::wire::linuxha::Compression> {
        self.traditional
            .then_some(crate::wire::linuxha::Compression {
                algorithm: self.algorithm,
                threshold: usize::try_from(self.threshold_kib)
                    .unwrap_or(usize::MAX)
                    .saturating_mul(1024),
            })
    }
}

/// `msgfmt`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MsgFormat {
    /// `classic` (default).
    #[default]
    Classic,
    /// `netstring`.
    Netstring,
}

/// `wire_dialect` (a heartbeat-rs directive): the packets and protocol a
/// node speaks. Received datagrams are read in either dialect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WireDialect {
    /// `native` (default): heartbeat-rs's fixed layout (`heartbeat-core/WIRE.md`).
    #[default]
    Native,
    /// `linux-ha`: Heartbeat 3.0.6's `ha_msg` packets and protocol, so that
    /// the node can join a cluster of Heartbeat nodes (`msgfmt` then means
    /// what it means to Heartbeat).
    LinuxHa,
}

impl WireDialect {
    /// The directive's word for the dialect.
    pub fn as_str(self) -> &'static str {
        match self {
            WireDialect::Native => "native",
            WireDialect::LinuxHa => "linux-ha",
        }
    }

    /// Reads a directive value (`native`, `linux-ha`; any case).
    pub fn from_name(name: &str) -> Option<WireDialect> {
        match name.to_ascii_lowercase().as_str() {
            "native" => Some(WireDialect::Native),
            "linux-ha" | "linuxha" => Some(WireDialect::LinuxHa),
            _ => None,
        }
    }
}

/// Logging directives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Logging {
    /// `logfacility` (`None` when unset or `none`).
    pub facility: Option<String>,
    /// `logfile`.
    pub logfile: Option<std::path::PathBuf>,
    /// `debugfile`.
    pub debugfile: Option<std::path::PathBuf>,
    /// `debug` level (0..=255).
    pub debug: u8,
}

/// One resource group: a logical line of `haresources`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceGroup {
    /// Group key: the first resource as written; unique.
    pub key: String,
    /// Preferred node (lower case, a configured node).
    pub preferred_node: String,
    /// Resources, started left to right and stopped right to left.
    pub resources: Vec<Resource>,
}

/// One resource: `script::arg1::arg2`, or a bare IPv4 address meaning `IPaddr::addr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// Script name (looked up in `resource.d/`, then `/etc/init.d/`).
    pub script: String,
    /// Arguments passed before `start|stop|status`.
    pub args: Vec<String>,
}

/// Health checks of `ha.cf` (`check`, `track`): see [`Check`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// `check` lines in file order (names unique).
    pub checks: Vec<Check>,
    /// `track` lines in file order (check names all declared).
    pub tracks: Vec<Track>,
    /// `notify_master`, `notify_backup`, `notify_fault` lines in file order.
    pub hooks: Vec<NotifyHook>,
}

impl Health {
    /// The checks tracked for group `key` (every `track` line of it).
    pub fn checks_of(&self, key: &str) -> Vec<&str> {
        self.tracks
            .iter()
            .filter(|t| t.group == key)
            .flat_map(|t| t.checks.iter().map(String::as_str))
            .collect()
    }
}
