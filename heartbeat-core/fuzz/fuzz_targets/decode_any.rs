//! Fuzz target: see [`heartbeat_core_fuzz::decode_any`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| heartbeat_core_fuzz::decode_any(data));
