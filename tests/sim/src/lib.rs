//! heartbeat-sim: deterministic simulation of heartbeat-core engines, N
//! engines on a virtual network in virtual time.
//!
//! A test crate (used by `heartbeat-tests`' `sim_*` suites and the
//! `detection` bench), built on heartbeat-core's public API only: the
//! production library carries none of it. Everything here is driven by one seed: the
//! network faults, the resource script run times and failures, and the engines'
//! own random choices. The same seed replays the same run, step for step, which is
//! how a failing randomized scenario becomes a regression test
//! (`SIM_SEED=<seed> cargo test -p heartbeat-tests --test sim_random`).
//!
//! # Layout
//!
//! - [`rng`]: the simulation's draws on heartbeat-core's SplitMix64
//!   ([`heartbeat_core::rng::Rng`]), the only source of randomness.
//! - [`clock`]: the virtual clock (an origin `Instant` plus an offset).
//! - [`faults`]: per-link faults (loss, delay, jitter, duplication, reordering)
//!   and resource script behaviour.
//! - [`safety`]: split-brain protection levels, simulated fence devices and
//!   watchdogs.
//! - [`network`]: broadcast media, partitions, filters, the delivery queue.
//! - [`node`]: one node: engine, observed events and views, group states.
//! - [`forge`]: forged and replayed datagrams for the authentication invariant.
//! - [`invariants`]: the rules checked after every step and their bounds.
//! - [`cluster`]: the driver that ties it together ([`Cluster`]).
//! - [`measure`]: detection-time distribution runs.
//! - [`scenario`]: seeded random scenarios for the randomized suite.
//!
//! # Driver
//!
//! One step = advance the clock to the earliest of (next delivery, each engine's
//! `poll_timeout` unless the node is hung, next harness timer: a resource action
//! or a fence device finishing, or a scheduled [`Op`]; a watchdog expiring),
//! perform that one thing, drain every `poll_*` of the affected engine (fence
//! requests and watchdog pets included), then check the invariants. Ties are
//! broken deterministically (engine timers, then harness timers, then
//! deliveries, then watchdogs, each in index / queue order).

pub mod clock;
pub mod cluster;
pub mod faults;
pub mod forge;
pub mod invariants;
pub mod measure;
pub mod network;
pub mod node;
pub mod rng;
pub mod safety;
pub mod scenario;

use std::collections::BTreeMap;
use std::time::Duration;

pub use clock::VirtualClock;
pub use cluster::{Cluster, ClusterSpec, Op, Reset, ResetCause};
pub use faults::{ActionFaults, Direction, LinkFaults};
pub use forge::ForgeKind;
pub use invariants::{Bounds, DetectionSample, Invariant, Violation};
pub use measure::{detection_times, DetectionRun, Distribution};
pub use network::{Datagram, Network, Origin};
pub use node::{GroupRun, PeerView, SimNode};
pub use rng::SimRng;
pub use safety::{FenceDevice, Protection, SafetySpec};
pub use scenario::{Scenario, ScenarioReport};

use heartbeat_core::config::{
    AutoFailback, Config, Logging, Medium, MsgFormat, Resource, ResourceGroup, Timing,
};
use heartbeat_core::wire::{AuthKey, AuthMethod, Keyring};

/// The name of node `index` (0-based): `node1`, `node2`, ...
pub fn node_name(index: usize) -> String {
    format!("node{}", index + 1)
}

/// The key of group `index` (0-based): `grp1`, `grp2`, ...
pub fn group_key(index: usize) -> String {
    format!("grp{}", index + 1)
}

/// The cluster keyring: one HMAC-SHA256 key at index 1.
pub fn sim_keyring() -> Keyring {
    let mut keys = BTreeMap::new();
    keys.insert(
        1,
        AuthKey {
            method: AuthMethod::Sha256,
            secret: b"heartbeat-rs simulation secret".to_vec(),
        },
    );
    Keyring { active: 1, keys }
}

/// Timers from a keepalive and a deadtime: warntime = deadtime / 2, initdead =
/// 2 × deadtime, deadping = deadtime.
pub fn timing(keepalive: Duration, deadtime: Duration) -> Timing {
    Timing {
        keepalive,
        deadtime,
        warntime: deadtime / 2,
        initdead: deadtime * 2,
        deadping: deadtime,
    }
}

/// One configuration per node for a cluster of `nodes` nodes on `media` broadcast
/// media named `eth0`, `eth1`, ...; `groups[k]` is the index of the preferred node
/// of group `grp{k+1}`, whose only resource is the script `grp{k+1}`.
pub fn config_for(
    nodes: usize,
    media: usize,
    timing: Timing,
    policy: AutoFailback,
    groups: &[usize],
) -> Vec<Config> {
    let names: Vec<String> = (0..nodes).map(node_name).collect();
    let media: Vec<Medium> = (0..media)
        .map(|m| Medium::Bcast {
            dev: format!("eth{m}"),
        })
        .collect();
    let groups: Vec<ResourceGroup> = groups
        .iter()
        .enumerate()
        .map(|(k, &pref)| ResourceGroup {
            key: group_key(k),
            preferred_node: names[pref % nodes].clone(),
            resources: vec![Resource {
                script: group_key(k),
                args: Vec::new(),
            }],
        })
        .collect();
    names
        .iter()
        .map(|local| Config {
            local_node: local.clone(),
            cluster: "sim".into(),
            nodes: names.clone(),
            timing,
            udp_port: 694,
            media: media.clone(),
            health: Default::default(),
            ping_nodes: Vec::new(),
            auto_failback: policy,
            max_rexmit_delay: (timing.keepalive * 2).min(Duration::from_millis(250)),
            logging: Logging::default(),
            hopfudge: 1,
            realtime: true,
            msgfmt: MsgFormat::Classic,
            compression: Default::default(),
            wire_dialect: Default::default(),
            metrics_listen: None,
            respawn: Vec::new(),
            raw_parameters: Default::default(),
            keys: sim_keyring(),
            groups: groups.clone(),
            safety: Default::default(),
            warnings: Vec::new(),
        })
        .collect()
}
