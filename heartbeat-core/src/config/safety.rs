//! Split-brain protection settings: STONITH devices (`stonith`,
//! `stonith_host`), fence agents (`fence_agent`), the two-node fence race
//! delay (`fence_delay`), fence timeouts (`fence_timeout`), quorum
//! (`quorum`) and the watchdog device (`watchdog`).
//!
//! The `ha.cf` is the same on every node, so every node knows which node can
//! fence which: [`Safety::can_fence`]. The engine uses that to pick exactly
//! one fencer per dead node; heartbeatd runs the devices.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::WireDialect;

/// Default [`Safety::fence_delay`]: how long the node that holds no group
/// waits before it fences a peer in a two-node cluster, so that the owner
/// wins a fence race after a cut link.
pub const DEFAULT_FENCE_DELAY: Duration = Duration::from_secs(5);

/// Default [`Safety::fence_timeout`]: a reset that has not finished by then
/// counts as failed.
pub const DEFAULT_FENCE_TIMEOUT: Duration = Duration::from_secs(60);

/// The warning for `quorum on` on the Linux-HA wire (from `ha.cf` or
/// heartbeatd's `--wire-dialect`).
pub(crate) const QUORUM_LINUX_HA_WARNING: &str =
    "`quorum on` with wire dialect linux-ha: Heartbeat 3.0.6 peers do not send their \
     membership view, so a Heartbeat peer that is up counts as hearing this node";

/// Which node a `stonith_host` line applies on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StonithHost {
    /// `*`: every node.
    Any,
    /// The named node (lower case).
    Node(String),
}

/// How a cluster-glue STONITH device gets its parameters.
///
/// Its `Debug` never shows positional values: which of them is a password
/// only the plugin knows.
#[derive(Clone, PartialEq, Eq)]
pub enum StonithParams {
    /// `stonith TYPE CONFIGFILE`: `stonith -t TYPE -F CONFIGFILE`.
    ConfigFile(PathBuf),
    /// `stonith_host HOSTFROM TYPE PARAMS…`: positional values, in the
    /// order of the plugin's `getconfignames` (`stonith -t TYPE -n`).
    Positional(Vec<String>),
}

impl fmt::Debug for StonithParams {
    /// The configuration file, or how many positional values there are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StonithParams::ConfigFile(path) => f.debug_tuple("ConfigFile").field(path).finish(),
            StonithParams::Positional(values) => {
                write!(f, "Positional(<{} value(s) not shown>)", values.len())
            }
        }
    }
}

/// One cluster-glue STONITH device (`stonith` or `stonith_host`), run
/// through `stonith(8)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StonithDevice {
    /// The node this device is used from (`*` for `stonith` lines).
    pub host: StonithHost,
    /// Plugin type as `stonith -L` lists it, e.g. `external/ssh`.
    pub kind: String,
    /// Its parameters.
    pub params: StonithParams,
    /// `file:line` of the directive, for messages.
    pub origin: String,
}

/// A fence agent from Debian's `fence-agents` for one target node
/// (`fence_agent NODE AGENT key=value…`), run with its options on stdin.
///
/// Its `Debug` shows the value of an option whose key contains `passw` as
/// `***` (see [`FenceAgent::shown_value`]).
#[derive(Clone, PartialEq, Eq)]
pub struct FenceAgent {
    /// The node it resets (lower case).
    pub target: String,
    /// The agent: a name looked up in `PATH` and `/usr/sbin`
    /// (`fence_ipmilan`) or an absolute path.
    pub agent: String,
    /// `key=value` options in file order (`action` is set by heartbeatd).
    pub options: Vec<(String, String)>,
    /// `file:line` of the directive, for messages.
    pub origin: String,
}

impl FenceAgent {
    /// The value of option `key` as it may be shown in logs and in the
    /// effective configuration: `***` when the key contains `passw` (any
    /// case: `password`, `passwd`, `passwd_script`…), else `value`.
    pub fn shown_value<'a>(key: &str, value: &'a str) -> &'a str {
        if key.to_ascii_lowercase().contains("passw") {
            "***"
        } else {
            value
        }
    }
}

impl fmt::Debug for FenceAgent {
    /// All fields; password values as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let options: Vec<(&str, &str)> = self
            .options
            .iter()
            .map(|(k, v)| (k.as_str(), Self::shown_value(k, v)))
            .collect();
        f.debug_struct("FenceAgent")
            .field("target", &self.target)
            .field("agent", &self.agent)
            .field("options", &options)
            .field("origin", &self.origin)
            .finish()
    }
}

/// Split-brain protection of one node. See the README's "Split brain".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Safety {
    /// STONITH devices in file order (every node's lines: see
    /// [`Safety::can_fence`]).
    pub stonith: Vec<StonithDevice>,
    /// Fence agents in file order.
    pub fence_agents: Vec<FenceAgent>,
    /// `fence_delay` (default [`DEFAULT_FENCE_DELAY`]): with quorum off, the
    /// node with the lower fence priority (it holds no group, or it comes
    /// later in the node list) waits this long before it fences.
    pub fence_delay: Duration,
    /// `fence_timeout` (default [`DEFAULT_FENCE_TIMEOUT`]).
    pub fence_timeout: Duration,
    /// Whether a node needs a strict majority of the configured nodes to
    /// run groups: [`Safety::quorum_explicit`] if set, else
    /// [`Safety::default_quorum`] (on with 3 or more nodes in the native
    /// dialect, off otherwise). [`Safety::resolve_quorum`] computes it.
    pub quorum: bool,
    /// The `quorum` directive's value as written (`None` when absent), kept
    /// apart from [`Safety::quorum`] so that the default can be resolved
    /// again when the wire dialect changes (`Config::set_wire_dialect`).
    pub quorum_explicit: Option<bool>,
    /// `watchdog DEVICE`: the kernel watchdog this node pets.
    pub watchdog: Option<PathBuf>,
}

impl Default for Safety {
    fn default() -> Self {
        Safety {
            stonith: Vec::new(),
            fence_agents: Vec::new(),
            fence_delay: DEFAULT_FENCE_DELAY,
            fence_timeout: DEFAULT_FENCE_TIMEOUT,
            quorum: false,
            quorum_explicit: None,
            watchdog: None,
        }
    }
}

impl Safety {
    /// The quorum rule when `ha.cf` has no `quorum` line: on with 3 or more
    /// nodes in the native dialect (a strict majority of 2 is both nodes,
    /// and Heartbeat 3.0.6 peers do not send the membership view), off
    /// otherwise.
    pub fn default_quorum(nodes: usize, dialect: WireDialect) -> bool {
        nodes >= 3 && dialect == WireDialect::Native
    }

    /// Sets [`Safety::quorum`] from [`Safety::quorum_explicit`], or from
    /// [`Safety::default_quorum`] of `nodes` configured nodes speaking
    /// `dialect` when `ha.cf` does not say.
    pub fn resolve_quorum(&mut self, nodes: usize, dialect: WireDialect) {
        self.quorum = self
            .quorum_explicit
            .unwrap_or_else(|| Self::default_quorum(nodes, dialect));
    }

    /// Whether `from` has a device that can reset `target`: a STONITH
    /// device that applies on `from` (`*` or its name), or a fence agent
    /// for `target`. No node fences itself.
    pub fn can_fence(&self, from: &str, target: &str) -> bool {
        if from == target {
            return false;
        }
        let stonith = self.stonith.iter().any(|d| match &d.host {
            StonithHost::Any => true,
            StonithHost::Node(n) => n == from,
        });
        stonith || self.fence_agents.iter().any(|a| a.target == target)
    }

    /// Whether any fencing is configured at all.
    pub fn fencing_configured(&self) -> bool {
        !self.stonith.is_empty() || !self.fence_agents.is_empty()
    }

    /// The STONITH devices `node` uses, in file order.
    pub fn stonith_devices_of<'a>(
        &'a self,
        node: &'a str,
    ) -> impl Iterator<Item = &'a StonithDevice> + 'a {
        self.stonith.iter().filter(move |d| match &d.host {
            StonithHost::Any => true,
            StonithHost::Node(n) => n == node,
        })
    }

    /// The fence agents that reset `target`, in file order.
    pub fn agents_for<'a>(&'a self, target: &'a str) -> impl Iterator<Item = &'a FenceAgent> + 'a {
        self.fence_agents.iter().filter(move |a| a.target == target)
    }

    /// The watchdog device's timeout, derived from `deadtime`: deadtime
    /// rounded up to whole seconds (the unit of `WDIOC_SETTIMEOUT`), at
    /// least 1 s.
    pub fn watchdog_timeout(deadtime: Duration) -> Duration {
        let secs = deadtime.as_millis().div_ceil(1000).max(1);
        Duration::from_secs(u64::try_from(secs).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(host: StonithHost) -> StonithDevice {
        StonithDevice {
            host,
            kind: "external/ssh".into(),
            params: StonithParams::Positional(vec!["node2".into()]),
            origin: "ha.cf:1".into(),
        }
    }

    #[test]
    fn who_can_fence_whom() {
        let mut s = Safety::default();
        assert!(!s.can_fence("node1", "node2"));
        s.stonith.push(device(StonithHost::Node("node1".into())));
        assert!(s.can_fence("node1", "node2"));
        assert!(!s.can_fence("node2", "node1"));
        assert!(!s.can_fence("node1", "node1"));
        s.stonith.push(device(StonithHost::Any));
        assert!(s.can_fence("node2", "node1"));
        let mut a = Safety::default();
        a.fence_agents.push(FenceAgent {
            target: "node3".into(),
            agent: "fence_dummy".into(),
            options: vec![],
            origin: "ha.cf:2".into(),
        });
        assert!(a.can_fence("node1", "node3"));
        assert!(!a.can_fence("node1", "node2"));
        assert!(!a.can_fence("node3", "node3"));
    }

    #[test]
    fn watchdog_timeout_is_deadtime_in_whole_seconds() {
        assert_eq!(
            Safety::watchdog_timeout(Duration::from_millis(300)),
            Duration::from_secs(1)
        );
        assert_eq!(
            Safety::watchdog_timeout(Duration::from_millis(10_001)),
            Duration::from_secs(11)
        );
        assert_eq!(
            Safety::watchdog_timeout(Duration::from_secs(30)),
            Duration::from_secs(30)
        );
    }
}
