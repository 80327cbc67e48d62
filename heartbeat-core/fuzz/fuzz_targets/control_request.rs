//! Fuzz target: see [`heartbeat_core_fuzz::control_request`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| heartbeat_core_fuzz::control_request(data));
