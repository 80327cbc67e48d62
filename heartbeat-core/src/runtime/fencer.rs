//! Who resets the dead nodes the engine asks to fence.

use std::future::Future;
use std::pin::Pin;

use crate::engine::FenceRequest;

/// How a reset ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FenceOutcome {
    /// Whether the target is known to be off (or reset).
    pub ok: bool,
    /// What was used, for the fence history (`stonith external/ssh`,
    /// `fence_ipmilan`); on failure, the last thing tried.
    pub method: String,
}

/// Resets nodes for the driver (STONITH, fence agents, a cloud API...).
/// heartbeatd runs cluster-glue's `stonith(8)` and fence agents.
pub trait Fencer: Send + Sync + 'static {
    /// Resets `request.target`. Report success only when the device
    /// confirmed the reset; give up (a failure) after the configured
    /// `fence_timeout` per device: the driver also stops waiting after
    /// `fence_timeout` times the number of configured methods plus a grace,
    /// and counts that as a failure.
    fn fence(&self, request: FenceRequest) -> impl Future<Output = FenceOutcome> + Send;
}

/// The [`Fencer`] of a cluster built without one: every reset fails with
/// method `none`. The engine only asks for resets when `ha.cf` configures
/// devices, so an embedder that configures them must bring a fencer; the
/// failure keeps the dead node's groups stopped until an operator confirms
/// the node down ([`super::Cluster::confirm_down`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFencer;

impl Fencer for NoFencer {
    async fn fence(&self, request: FenceRequest) -> FenceOutcome {
        tracing::error!(
            "cannot reset {}: no fencer was given to this node",
            request.target
        );
        FenceOutcome {
            ok: false,
            method: "none".to_owned(),
        }
    }
}

/// A boxed future of a [`FenceOutcome`].
pub(crate) type FenceFuture<'a> = Pin<Box<dyn Future<Output = FenceOutcome> + Send + 'a>>;

/// [`Fencer`] made object safe, so that the builder and driver keep one
/// type whatever the fencer (resets are rare: a box per call costs
/// nothing).
pub(crate) trait DynFencer: Send + Sync + 'static {
    /// [`Fencer::fence`], boxed.
    fn fence_boxed(&self, request: FenceRequest) -> FenceFuture<'_>;
}

impl<F: Fencer> DynFencer for F {
    fn fence_boxed(&self, request: FenceRequest) -> FenceFuture<'_> {
        Box::pin(self.fence(request))
    }
}
