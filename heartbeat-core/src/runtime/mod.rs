//! The tokio runtime around the sans-io [`crate::engine`].
//!
//! For now this holds only [`net`], the OS socket layer (the equivalent of
//! `quinn-udp`): sockets per medium, sending and attributed receiving. The
//! driver task that owns the engine, the status snapshot and the embedding API
//! come later and build on it.

pub mod net;
