//! Who runs the resource actions the engine asks for.

use std::future::Future;

use crate::engine::ResourceAction;

/// Runs resource actions (start or stop a group) for the driver. heartbeatd
/// runs scripts; an embedding service may start its own components.
pub trait ActionRunner: Send + Sync + 'static {
    /// Carries out `action`; `true` if it succeeded. The engine never asks
    /// for two actions on the same group at once.
    fn run(&self, action: ResourceAction) -> impl Future<Output = bool> + Send;
}

/// An [`ActionRunner`] for clusters without resources, or whose application
/// reacts to [`crate::engine::Event::GroupAcquired`] itself: every action
/// succeeds at once.
#[derive(Clone, Copy, Debug, Default)]
pub struct AlwaysSucceed;

impl ActionRunner for AlwaysSucceed {
    async fn run(&self, _action: ResourceAction) -> bool {
        true
    }
}
