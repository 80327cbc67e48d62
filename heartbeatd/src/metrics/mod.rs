//! Prometheus metrics of the daemon, with the official client library
//! (`prometheus-client`).
//!
//! Two kinds of series:
//! - **From the status snapshot** ([`snapshot`]): node, link, group,
//!   quorum and fencing state, the receive counters. They are computed at
//!   scrape time from the snapshot the engine publishes, so a scrape never
//!   waits on the engine and the engine never waits on a scrape.
//! - **Recorded as things happen** ([`DaemonMetrics`]): resource-script and
//!   health-check durations and results (recorded by the daemon's runners),
//!   failovers, handovers, failed actions and reset attempts (counted from
//!   the engine's events by [`count_events`]).
//!
//! Plus the process itself ([`process`]): memory, CPU, file descriptors.
//!
//! Names follow Prometheus conventions: the `heartbeat_` prefix, base units
//! (`_seconds`, `_bytes`), `_total` for counters, and one-hot 0/1 gauges
//! for states (`heartbeat_node_state{node, state}`), so no counter ever
//! carries a state label and no series comes and goes at a transition. The
//! README lists every series.

pub mod process;
pub mod snapshot;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use heartbeat_core::config::Config;
use heartbeat_core::engine::{ActionKind, Event, NodeState};
use heartbeat_core::runtime::Cluster;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tokio::sync::broadcast;

/// Label set of one name (`[("group", "web")]`).
pub type OneLabel = [(&'static str, String); 1];
/// Label set of two names.
pub type TwoLabels = [(&'static str, String); 2];

/// Histogram buckets for resource scripts and health checks, in seconds:
/// 5 ms to about 80 s.
fn duration_buckets() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.005, 2.0, 15,
    ))
}

/// The series the daemon records as things happen. Cheap to clone (every
/// family is shared); recording is a few atomic operations, whether or not
/// anything is ever scraped.
#[derive(Clone, Debug)]
pub struct DaemonMetrics {
    /// `heartbeat_resource_script_duration_seconds{action}`.
    script_duration: Family<OneLabel, Histogram, fn() -> Histogram>,
    /// `heartbeat_resource_script_failures_total{script, action}`.
    script_failures: Family<TwoLabels, Counter>,
    /// `heartbeat_resource_action_duration_seconds{group, action}`.
    action_duration: Family<TwoLabels, Histogram, fn() -> Histogram>,
    /// `heartbeat_group_action_failures_total{group, action}`.
    action_failures: Family<TwoLabels, Counter>,
    /// `heartbeat_group_failovers_total{group}`.
    failovers: Family<OneLabel, Counter>,
    /// `heartbeat_group_handovers_total{group}`.
    handovers: Family<OneLabel, Counter>,
    /// `heartbeat_group_acquired_total{group}`.
    acquired: Family<OneLabel, Counter>,
    /// `heartbeat_group_healthy{group}`.
    group_healthy: Family<OneLabel, Gauge>,
    /// `heartbeat_health_check_up{check}`.
    check_up: Family<OneLabel, Gauge>,
    /// `heartbeat_health_check_duration_seconds{check}`.
    check_duration: Family<OneLabel, Histogram, fn() -> Histogram>,
    /// `heartbeat_fence_attempts_total{target, result}`.
    fence_attempts: Family<TwoLabels, Counter>,
}

impl Default for DaemonMetrics {
    fn default() -> Self {
        DaemonMetrics {
            script_duration: Family::new_with_constructor(duration_buckets),
            script_failures: Family::default(),
            action_duration: Family::new_with_constructor(duration_buckets),
            action_failures: Family::default(),
            failovers: Family::default(),
            handovers: Family::default(),
            acquired: Family::default(),
            group_healthy: Family::default(),
            check_up: Family::default(),
            check_duration: Family::new_with_constructor(duration_buckets),
            fence_attempts: Family::default(),
        }
    }
}

/// `start` or `stop`.
fn action_word(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Start => "start",
        ActionKind::Stop => "stop",
    }
}

impl DaemonMetrics {
    /// Metrics for `config`: the counters of every group and peer start at
    /// zero, so that `increase()` and the alerts see the first event too.
    pub fn new(config: &Config) -> Self {
        let metrics = DaemonMetrics::default();
        for group in &config.groups {
            let g = [("group", group.key.clone())];
            metrics.failovers.get_or_create(&g).inc_by(0);
            metrics.handovers.get_or_create(&g).inc_by(0);
            metrics.acquired.get_or_create(&g).inc_by(0);
            for action in ["start", "stop"] {
                let ga = [("group", group.key.clone()), ("action", action.to_owned())];
                metrics.action_failures.get_or_create(&ga).inc_by(0);
            }
        }
        for peer in config.nodes.iter().filter(|n| **n != config.local_node) {
            for result in ["ok", "failed"] {
                let tr = [("target", peer.clone()), ("result", result.to_owned())];
                metrics.fence_attempts.get_or_create(&tr).inc_by(0);
            }
        }
        for track in &config.health.tracks {
            metrics
                .group_healthy
                .get_or_create(&[("group", track.group.clone())])
                .set(1);
        }
        metrics
    }

    /// One resource-script call (`script` is its name, `action` the verb)
    /// took `took` and succeeded or not.
    pub fn script_finished(&self, script: &str, action: &str, took: Duration, ok: bool) {
        self.script_duration
            .get_or_create(&[("action", action.to_owned())])
            .observe(took.as_secs_f64());
        if !ok {
            self.script_failures
                .get_or_create(&[("script", script.to_owned()), ("action", action.to_owned())])
                .inc();
        }
    }

    /// A whole group action (every script of the group) took `took`.
    pub fn action_finished(&self, group: &str, kind: ActionKind, took: Duration) {
        self.action_duration
            .get_or_create(&[
                ("group", group.to_owned()),
                ("action", action_word(kind).to_owned()),
            ])
            .observe(took.as_secs_f64());
    }

    /// One run of health check `check` took `took`; its state after the
    /// fall/rise counting is `passing`.
    pub fn check_finished(&self, check: &str, took: Duration, passing: bool) {
        let labels = [("check", check.to_owned())];
        self.check_duration
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        self.check_up.get_or_create(&labels).set(i64::from(passing));
    }

    /// Counts what `event` says; `owner_was_dead_peer`: its group was last
    /// held by a peer that is dead now (a failover, for a GroupAcquired).
    fn count(&self, event: &Event, owner_was_dead_peer: bool) {
        match event {
            Event::GroupAcquired { group } => {
                let g = [("group", group.clone())];
                self.acquired.get_or_create(&g).inc();
                if owner_was_dead_peer {
                    self.failovers.get_or_create(&g).inc();
                }
            }
            Event::GroupHandedOver { group, .. } => {
                self.handovers
                    .get_or_create(&[("group", group.clone())])
                    .inc();
            }
            Event::GroupFailed { group, kind } => {
                self.action_failures
                    .get_or_create(&[
                        ("group", group.clone()),
                        ("action", action_word(*kind).to_owned()),
                    ])
                    .inc();
            }
            Event::GroupHealth { group, healthy } => {
                self.group_healthy
                    .get_or_create(&[("group", group.clone())])
                    .set(i64::from(*healthy));
            }
            Event::FenceSucceeded { target, method, .. } if method != "announced" => {
                self.fence_attempts
                    .get_or_create(&[("target", target.clone()), ("result", "ok".to_owned())])
                    .inc();
            }
            Event::FenceFailed { target, .. } => {
                self.fence_attempts
                    .get_or_create(&[("target", target.clone()), ("result", "failed".to_owned())])
                    .inc();
            }
            _ => {}
        }
    }

    /// Registers every series of this node in a new registry: these
    /// families, the status snapshot of `cluster` and the process.
    pub fn registry(&self, cluster: Arc<Cluster>, config: Arc<Config>) -> Registry {
        let mut r = Registry::default();
        r.register(
            "heartbeat_resource_script_duration_seconds",
            "Duration of resource script calls, by action (start, stop, status)",
            self.script_duration.clone(),
        );
        r.register(
            "heartbeat_resource_script_failures",
            "Resource script calls that failed, timed out or could not run",
            self.script_failures.clone(),
        );
        r.register(
            "heartbeat_resource_action_duration_seconds",
            "Duration of a whole group start or stop (every script of the group)",
            self.action_duration.clone(),
        );
        r.register(
            "heartbeat_group_action_failures",
            "Group starts and stops that failed on this node",
            self.action_failures.clone(),
        );
        r.register(
            "heartbeat_group_failovers",
            "Groups this node started because the node holding them died or left",
            self.failovers.clone(),
        );
        r.register(
            "heartbeat_group_handovers",
            "Groups this node handed to a healthy peer because they were faulty here",
            self.handovers.clone(),
        );
        r.register(
            "heartbeat_group_acquired",
            "Groups started on this node, for any reason",
            self.acquired.clone(),
        );
        r.register(
            "heartbeat_group_healthy",
            "1 while every health check a group tracks passes on this node",
            self.group_healthy.clone(),
        );
        r.register(
            "heartbeat_health_check_up",
            "1 while a health check passes (after its fall/rise counting), else 0",
            self.check_up.clone(),
        );
        r.register(
            "heartbeat_health_check_duration_seconds",
            "Duration of health check runs",
            self.check_duration.clone(),
        );
        r.register(
            "heartbeat_fence_attempts",
            "Resets this node tried, by target and result (ok, failed)",
            self.fence_attempts.clone(),
        );
        r.register_collector(Box::new(snapshot::SnapshotCollector::new(cluster, config)));
        r.register_collector(Box::new(process::ProcessCollector));
        r
    }
}

/// Counts the engine's events into `metrics` until the stream closes. A
/// lagging receiver loses counts (logged), never stops.
pub async fn count_events(
    metrics: DaemonMetrics,
    cluster: Arc<Cluster>,
    mut events: broadcast::Receiver<Event>,
) {
    // The last known holder of each group as of the previous event: at a
    // GroupAcquired the snapshot already names this node, and a dead
    // holder may no longer be named at all.
    let mut owners: HashMap<String, String> = HashMap::new();
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!("metrics fell behind the events: {n} not counted");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let status = cluster.status();
        let failover = match &event {
            Event::GroupAcquired { group } => owners
                .get(group)
                .filter(|owner| **owner != status.local_node)
                .and_then(|owner| status.node(owner))
                .is_some_and(|holder| holder.state == NodeState::Dead),
            _ => false,
        };
        metrics.count(&event, failover);
        for group in &status.groups {
            if let Some(owner) = &group.owner {
                owners.insert(group.key.clone(), owner.clone());
            }
        }
    }
}

/// The text of one scrape: OpenMetrics when `openmetrics` (the scraper
/// asked for it), else the classic Prometheus text format.
pub fn render(registry: &Registry, openmetrics: bool) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let written = if openmetrics {
        encode(&mut out, registry)
    } else {
        prometheus_client::encoding::prometheus_text::encode(&mut out, registry)
    };
    if let Err(e) = written {
        tracing::error!("cannot encode the metrics: {e}");
    }
    out
}
