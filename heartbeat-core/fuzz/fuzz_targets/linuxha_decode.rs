//! Fuzz target: see [`heartbeat_core_fuzz::linuxha_decode`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| heartbeat_core_fuzz::linuxha_decode(data));
