//! heartbeatd: the heartbeat-rs node daemon.

fn main() {}
