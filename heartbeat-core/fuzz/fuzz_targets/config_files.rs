//! Fuzz target: see [`heartbeat_core_fuzz::config_files`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| heartbeat_core_fuzz::config_files(data));
