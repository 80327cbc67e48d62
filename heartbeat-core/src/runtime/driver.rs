//! The task that owns the engine: it feeds it datagrams, commands, action
//! and reset results and timeouts, and carries out what it asks (transmit,
//! run an action, reset a node, pet the watchdog, tell the world). Nothing
//! else touches the engine, so nothing locks it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, watch};

use super::actions::ActionRunner;
use super::fencer::DynFencer;
use super::transport::Transport;
use super::watchdog::WatchdogDevice;
use crate::config::Safety;
use crate::engine::{ClusterStatus, Command, Engine, Event, FenceRequest};

/// How often the published status is refreshed when nothing else happens.
pub(crate) const STATUS_REFRESH: Duration = Duration::from_millis(250);

/// Pause after a failed receive, so a broken socket cannot spin the task.
const RECV_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Added to a fencer's own time bound before the driver stops waiting for it.
const FENCE_GRACE: Duration = Duration::from_secs(5);

/// Inputs from the [`super::Cluster`] handle and from action tasks.
#[derive(Debug)]
pub(crate) enum Input {
    /// An operator or application command.
    Command(Command),
}

/// The engine and everything around it.
pub(crate) struct Driver<T, R> {
    pub(crate) engine: Engine,
    pub(crate) transport: T,
    pub(crate) runner: Arc<R>,
    pub(crate) fencer: Arc<dyn DynFencer>,
    /// Fencing settings (how long a reset may take).
    pub(crate) safety: Safety,
    /// The open watchdog device, when `ha.cf` names one.
    pub(crate) watchdog: Option<WatchdogDevice>,
    pub(crate) inputs: mpsc::UnboundedReceiver<Input>,
    /// A sender kept for action tasks to report results.
    pub(crate) results: mpsc::UnboundedSender<Input>,
    pub(crate) events: broadcast::Sender<Event>,
    pub(crate) status: watch::Sender<Arc<ClusterStatus>>,
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

impl<T: Transport, R: ActionRunner> Driver<T, R> {
    /// Runs until the engine reports its shutdown complete, or every handle
    /// is gone.
    pub(crate) async fn run(mut self) {
        let mut last_publish = now();
        loop {
            let deadline = self.engine.poll_timeout();
            tokio::select! {
                input = self.inputs.recv() => match input {
                    Some(Input::Command(command)) => self.engine.handle_command(now(), command),
                    None => return,
                },
                received = self.transport.recv() => match received {
                    Ok(d) => self.engine.handle_datagram(now(), d.medium, &d.bytes),
                    Err(e) => {
                        tracing::warn!("receive failed: {e}");
                        tokio::time::sleep(RECV_ERROR_PAUSE).await;
                    }
                },
                () = sleep_until(deadline), if deadline.is_some() => {
                    self.engine.handle_timeout(now());
                }
                () = tokio::time::sleep_until((last_publish + STATUS_REFRESH).into()) => {}
            }
            let (published, finished) = self.drain();
            if published {
                last_publish = now();
            } else if now() >= last_publish + STATUS_REFRESH {
                self.status.send_replace(Arc::new(self.engine.status()));
                last_publish = now();
            }
            if finished {
                return;
            }
        }
    }

    /// Carries out every pending output. Returns whether anything changed
    /// state (events, actions or resets), in which case the status was
    /// published, and whether the shutdown ended.
    fn drain(&mut self) -> (bool, bool) {
        let mut noteworthy = false;
        let mut finished = false;
        while let Some(transmit) = self.engine.poll_transmit() {
            self.transport.send(&transmit);
        }
        if self.engine.poll_watchdog_pet() {
            if let Some(device) = &mut self.watchdog {
                device.pet();
            }
        }
        while let Some(request) = self.engine.poll_fence() {
            noteworthy = true;
            self.spawn_fence(request);
        }
        while let Some(action) = self.engine.poll_action() {
            noteworthy = true;
            let runner = Arc::clone(&self.runner);
            let results = self.results.clone();
            tokio::spawn(async move {
                let (group, kind) = (action.group.clone(), action.kind);
                let ok = runner.run(action).await;
                let _ = results.send(Input::Command(Command::ActionFinished { group, kind, ok }));
            });
        }
        let mut events = Vec::new();
        while let Some(event) = self.engine.poll_event() {
            events.push(event);
        }
        noteworthy |= !events.is_empty();
        if noteworthy {
            // Published before the events go out: a subscriber that fell
            // behind and re-reads the status never finds it older than an
            // event it could have missed.
            self.status.send_replace(Arc::new(self.engine.status()));
        }
        for event in events {
            match (&event, &mut self.watchdog) {
                (Event::ShutdownComplete, Some(device)) => device.disarm(),
                (Event::ShutdownIncomplete { .. }, Some(device)) => device.abandon(),
                _ => {}
            }
            finished |= matches!(
                event,
                Event::ShutdownComplete | Event::ShutdownIncomplete { .. }
            );
            // No subscriber is not an error.
            let _ = self.events.send(event);
        }
        if finished {
            // The Shutdone the engine queued with its last event goes out too.
            while let Some(transmit) = self.engine.poll_transmit() {
                self.transport.send(&transmit);
            }
        }
        (noteworthy, finished)
    }

    /// Runs `request` with the fencer on a task of its own and reports its
    /// end as [`Command::FenceFinished`]; a fencer still busy after
    /// `fence_timeout` per configured method (plus [`FENCE_GRACE`]) has
    /// failed.
    fn spawn_fence(&self, request: FenceRequest) {
        let safety = &self.safety;
        let methods = safety.stonith_devices_of(self.engine.local_node()).count()
            + safety.agents_for(&request.target).count();
        let bound = safety
            .fence_timeout
            .saturating_mul(u32::try_from(methods.max(1)).unwrap_or(u32::MAX))
            .saturating_add(FENCE_GRACE);
        let fencer = Arc::clone(&self.fencer);
        let results = self.results.clone();
        tokio::spawn(async move {
            let target = request.target.clone();
            let (ok, method) = match tokio::time::timeout(bound, fencer.fence_boxed(request)).await
            {
                Ok(outcome) => (outcome.ok, outcome.method),
                Err(_) => {
                    tracing::error!(
                        "reset of {target} still running after {} s: counted as failed",
                        bound.as_secs()
                    );
                    (false, "timeout".to_owned())
                }
            };
            let _ = results.send(Input::Command(Command::FenceFinished {
                target,
                ok,
                method,
            }));
        });
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
