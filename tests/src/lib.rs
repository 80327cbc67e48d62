//! heartbeat-tests: the workspace's cross-crate test suites; the tests
//! themselves are in `tests/tests/` (`sim_*.rs` on [`heartbeat_sim`],
//! `ipaddr_netns.rs` on [`heartbeat_lab::netns`]). The harnesses are crates
//! of their own beside this one:
//!
//! - `tests/sim/` (`heartbeat-sim`): the deterministic simulation harness.
//! - `tests/lab/` (`heartbeat-lab`): clusters of real processes on loopback
//!   and in network namespaces.
