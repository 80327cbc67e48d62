//! heartbeat-core: Linux-HA style cluster messaging for Rust.
//!
//! # Layout
//!
//! - [`wire`]: typed messages and codecs (native fixed layout with
//!   authentication trailer; `authkeys` methods).
//! - [`config`]: hand-written parsers for `ha.cf`, `authkeys` and `haresources`
//!   producing one validated [`config::Config`].
//! - [`control`]: the control-socket protocol (JSON lines) between
//!   heartbeatd and `cl-status`, and the status view it serves.
//! - [`engine`]: the sans-io cluster engine (membership, reliable delivery,
//!   resource ownership). No sockets, no clock reads: driven with explicit
//!   instants, polled for outputs.
//! - `runtime` (cargo feature `runtime`, on by default): the tokio driver,
//!   the OS sockets of each medium and the embedding API (`runtime::Cluster`).
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
