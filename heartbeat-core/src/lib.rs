//! heartbeat-core: Linux-HA style cluster messaging for Rust.
//!
//! # Layout
//!
//! - [`wire`]: typed messages and codecs (native fixed layout with
//!   authentication trailer; `authkeys` methods).
//! - [`config`]: hand-written parsers for `ha.cf`, `authkeys` and `haresources`
//!   producing one validated [`config::Config`].
//! - [`engine`]: the sans-io cluster engine (membership, reliable delivery,
//!   resource ownership). No sockets, no clock reads: driven with explicit
//!   instants, polled for outputs.
//! - `sim` (cargo feature `sim`): the deterministic simulation harness, N
//!   engines on a virtual network in virtual time with invariant checks.

pub mod config;
pub mod engine;
#[cfg(feature = "sim")]
pub mod sim;
pub mod wire;
