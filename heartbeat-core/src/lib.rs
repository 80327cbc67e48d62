//! heartbeat-core: Linux-HA style cluster messaging for Rust.
//!
//! # A service in a cluster
//!
//! A node named `alpha` joins a cluster of two (configured with the text of
//! Heartbeat's `ha.cf` and `authkeys`), waits until its peer `beta` is
//! active, sends it a message and leaves:
//!
//! ```no_run
//! # #[cfg(feature = "runtime")]
//! use heartbeat_core::{config::Config, engine::{Event, NodeState}, runtime::Cluster};
//!
//! # #[cfg(not(feature = "runtime"))] fn main() {}
//! # #[cfg(feature = "runtime")]
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let ha_cf = "keepalive 1\ndeadtime 10\nucast eth0 192.0.2.2\nnode alpha beta\n";
//!     let authkeys = "auth 1\n1 sha256 change-me\n";
//!     let config = Config::from_texts(ha_cf, authkeys, "", "alpha")?;
//!     // Binds the media of ha.cf, keeps uuid and generation in the state
//!     // directory as heartbeatd does, and starts the node.
//!     let node = Cluster::with_config(config).state_dir("/var/lib/my-service").start().await?;
//!     let mut events = node.subscribe();
//!     while let Ok(event) = events.recv().await {
//!         if event == (Event::NodeState { node: "beta".into(), state: NodeState::Active }) {
//!             node.send(Some("beta"), "hello from alpha".into())?;
//!             break;
//!         }
//!     }
//!     node.shutdown().await; // hands any resource group over and tells the peers
//!     Ok(())
//! }
//! ```
//!
//! Messages from peers arrive as [`engine::Event::AppMessage`] on the same
//! event stream; [`config::Config::load`] reads an `ha.d` directory instead
//! of texts; `identity_in_memory()` instead of `state_dir` keeps nothing on
//! disk. `examples/two_nodes.rs` runs two such nodes on loopback.
//!
//! # Layout
//!
//! - [`wire`]: typed messages and codecs (native fixed layout with
//!   authentication trailer; `authkeys` methods; Linux-HA's `ha_msg`
//!   dialect).
//! - [`config`]: hand-written parsers for `ha.cf`, `authkeys` and `haresources`
//!   producing one validated [`config::Config`].
//! - [`control`]: the control-socket protocol (JSON lines) between
//!   heartbeatd and `cl-status`, and the status view it serves.
//! - [`engine`]: the sans-io cluster engine (membership, reliable delivery,
//!   resource ownership). No sockets, no clock reads: driven with explicit
//!   instants, polled for outputs.
//! - `runtime` (cargo feature `runtime`, on by default): the tokio driver,
//!   the OS sockets of each medium, the node's persisted identity and the
//!   embedding API (`runtime::Cluster`).
//!   Without it the crate needs no async runtime (what `cl-status` uses).
//! - [`rng`]: the seeded SplitMix64 generator behind every random choice
//!   (the engine's, `runtime::Lossy`'s, and the simulation's in the
//!   `heartbeat-sim` test crate).
//!
//! The deterministic simulation harness (N engines on a virtual network in
//! virtual time) is not part of this crate: it is the `heartbeat-sim` crate
//! under `tests/sim/`, built on this crate's public API only.

pub mod config;
pub mod control;
pub mod engine;
pub mod rng;
#[cfg(feature = "runtime")]
pub mod runtime;
pub mod wire;
