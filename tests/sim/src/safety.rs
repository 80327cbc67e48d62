//! Split-brain protection in the simulation: which protection a cluster is
//! configured with ([`Protection`], [`SafetySpec`]) and the simulated fence
//! device ([`FenceDevice`]).
//!
//! # Models
//!
//! - **Fence device** (one per node, the device that node fences with):
//!   when the node's engine asks for a reset
//!   ([`heartbeat_core::engine::FenceRequest`]), the device works for a
//!   delay drawn from `min_delay..=max_delay`, then either powers the target
//!   off (a crash: its engine and its resources are gone at once, hung or
//!   not) and reports `FenceFinished { ok: true }`, or fails (probability
//!   `failure`, or always while `failing`) and reports `ok: false` with the
//!   target untouched. The STONITH and fence-agent configurations use the
//!   same device model; they differ only in the configuration the engines
//!   read (`stonith_host *` versus one `fence_agent` per node).
//! - **Watchdog** (nodes whose configuration names one): the harness keeps
//!   the last pet ([`heartbeat_core::engine::Engine::poll_watchdog_pet`]);
//!   a node not petted for its timeout
//!   ([`heartbeat_core::config::Safety::watchdog_timeout`]) is reset (a
//!   crash). The device is armed when the engine starts; a graceful
//!   shutdown disarms it (magic close).
//! - After a reset by a fence device or a watchdog, a node may start again
//!   (a new generation) after [`SafetySpec::restart_after_reset`].

use std::path::PathBuf;
use std::time::Duration;

use heartbeat_core::config::{
    Config, FenceAgent, StonithDevice, StonithHost, StonithParams, DEFAULT_FENCE_DELAY,
};

/// The protection levels of the README's "Split brain" table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protection {
    /// Nothing: Heartbeat 3.0.6 behaviour.
    None,
    /// `quorum on` (3+ nodes).
    Quorum,
    /// `watchdog /dev/watchdog` with `quorum on` (3+ nodes).
    WatchdogQuorum,
    /// `watchdog /dev/watchdog` alone (every node pets, nobody can fence).
    Watchdog,
    /// One `stonith_host * external/sim` device: every node can fence every other.
    Stonith,
    /// One `fence_agent nodeN fence_sim` per node.
    FenceAgent,
    /// STONITH with `quorum on` (3+ nodes).
    StonithQuorum,
    /// Fence agents with `quorum on` (3+ nodes).
    FenceAgentQuorum,
}

impl Protection {
    /// Every level, weakest first.
    pub const ALL: [Protection; 8] = [
        Protection::None,
        Protection::Quorum,
        Protection::Watchdog,
        Protection::WatchdogQuorum,
        Protection::Stonith,
        Protection::FenceAgent,
        Protection::StonithQuorum,
        Protection::FenceAgentQuorum,
    ];

    /// Whether `quorum on`.
    pub fn quorum(self) -> bool {
        matches!(
            self,
            Protection::Quorum
                | Protection::WatchdogQuorum
                | Protection::StonithQuorum
                | Protection::FenceAgentQuorum
        )
    }

    /// Whether every node has a watchdog.
    pub fn watchdog(self) -> bool {
        matches!(self, Protection::Watchdog | Protection::WatchdogQuorum)
    }

    /// Whether fencing is configured.
    pub fn fencing(self) -> bool {
        matches!(
            self,
            Protection::Stonith
                | Protection::FenceAgent
                | Protection::StonithQuorum
                | Protection::FenceAgentQuorum
        )
    }

    /// Whether "no group runs on two nodes at the same instant" must hold
    /// for a cluster of `nodes` nodes: with fencing, or with a watchdog and
    /// quorum on 3+ nodes.
    pub fn guarantees_exclusion(self, nodes: usize) -> bool {
        self.fencing() || (self.watchdog() && self.quorum() && nodes >= 3)
    }
}

/// A simulated fence device (see the [module documentation](self)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FenceDevice {
    /// Shortest time a reset takes.
    pub min_delay: Duration,
    /// Longest time a reset takes.
    pub max_delay: Duration,
    /// Probability that a reset fails.
    pub failure: f64,
    /// Every reset fails while set.
    pub failing: bool,
}

impl FenceDevice {
    /// A device that always succeeds after 200 ms.
    pub const RELIABLE: FenceDevice = FenceDevice {
        min_delay: Duration::from_millis(200),
        max_delay: Duration::from_millis(200),
        failure: 0.0,
        failing: false,
    };
}

impl Default for FenceDevice {
    fn default() -> Self {
        Self::RELIABLE
    }
}

/// The split-brain protection of a simulated cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct SafetySpec {
    /// The configured level.
    pub protection: Protection,
    /// `fence_delay` (the two-node race delay).
    pub fence_delay: Duration,
    /// The device each node fences with (missing entries: [`FenceDevice::RELIABLE`]).
    pub devices: Vec<FenceDevice>,
    /// A node reset by a fence device or its watchdog starts again after
    /// a delay drawn from this range (`None`: it stays down).
    pub restart_after_reset: Option<(Duration, Duration)>,
}

impl SafetySpec {
    /// No protection (the default).
    pub fn none() -> Self {
        Self::new(Protection::None)
    }

    /// `protection` with the default fence delay, reliable devices, and no
    /// restart after a reset.
    pub fn new(protection: Protection) -> Self {
        SafetySpec {
            protection,
            fence_delay: DEFAULT_FENCE_DELAY,
            devices: Vec::new(),
            restart_after_reset: None,
        }
    }

    /// The device node `i` fences with.
    pub fn device(&self, i: usize) -> FenceDevice {
        self.devices.get(i).copied().unwrap_or_default()
    }

    /// Apply the protection to one node's configuration (every node's
    /// `ha.cf` is the same).
    pub fn configure(&self, config: &mut Config) {
        let p = self.protection;
        config.safety.quorum = p.quorum();
        config.safety.fence_delay = self.fence_delay;
        if p.watchdog() {
            config.safety.watchdog = Some(PathBuf::from("/dev/watchdog"));
        }
        match p {
            Protection::Stonith | Protection::StonithQuorum => {
                config.safety.stonith = vec![StonithDevice {
                    host: StonithHost::Any,
                    kind: "external/sim".into(),
                    params: StonithParams::Positional(Vec::new()),
                    origin: "sim:1".into(),
                }];
            }
            Protection::FenceAgent | Protection::FenceAgentQuorum => {
                config.safety.fence_agents = config
                    .nodes
                    .iter()
                    .enumerate()
                    .map(|(k, n)| FenceAgent {
                        target: n.clone(),
                        agent: "fence_sim".into(),
                        options: vec![("plug".into(), (k + 1).to_string())],
                        origin: format!("sim:{}", k + 1),
                    })
                    .collect();
            }
            _ => {}
        }
    }
}

impl Default for SafetySpec {
    fn default() -> Self {
        Self::none()
    }
}
