//! Helpers shared by the runtime integration tests (paused tokio time).
#![allow(dead_code)]

use std::time::Duration;

use heartbeat_core::engine::Event;
use tokio::sync::broadcast;
use tokio::time::timeout;

/// Waits (in virtual time, at most 120 s) for the first event matching
/// `pred`.
pub(crate) async fn wait_for(
    events: &mut broadcast::Receiver<Event>,
    pred: impl Fn(&Event) -> bool,
) -> Event {
    timeout(Duration::from_secs(120), async {
        loop {
            match events.recv().await {
                Ok(e) if pred(&e) => return e,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("event stream closed"),
            }
        }
    })
    .await
    .expect("event within 120 s of virtual time")
}

/// Whether `e` says this node acquired group `web`.
pub(crate) fn is_acquired(e: &Event) -> bool {
    matches!(e, Event::GroupAcquired { group } if group == "web")
}
