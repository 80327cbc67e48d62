//! Integration tests for heartbeat-rs live in `tests/`.
