//! The node's persisted identity (`hb_uuid`, `hb_generation`, in Heartbeat's
//! formats): it lives in heartbeat-core, as
//! [`heartbeat_core::runtime::identity`], so that an embedding service keeps
//! its identity exactly as heartbeatd does; re-exported here under
//! heartbeatd's own path.

pub use heartbeat_core::runtime::identity::{
    load_and_advance, IdentityError, GENERATION_FILE, UUID_FILE,
};
