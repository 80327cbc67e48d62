//! Shared helpers of the integration tests (the tests themselves are in
//! `tests/`).
//!
//! - [`netns`]: network namespaces created and deleted by a test.

pub mod netns;
