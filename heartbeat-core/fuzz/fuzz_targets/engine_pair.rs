//! Fuzz target: see [`heartbeat_core_fuzz::engine_pair`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| heartbeat_core_fuzz::engine_pair(data));
