//! Benchmark support for heartbeat-rs.
