//! cl-status: query tool for heartbeatd, compatible with Linux-HA cl_status.

fn main() {}
