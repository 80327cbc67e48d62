//! The driver's side of split-brain safety on an in-memory network, in
//! paused (virtual) time: resets go to the fencer and come back to the
//! engine, the operator can confirm a node down, and the watchdog device (a
//! regular file standing in) is petted once per keepalive and disarmed only
//! after a complete graceful shutdown.

mod runtime_common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use heartbeat_core::config::{Config, StonithDevice, StonithHost, StonithParams};
use heartbeat_core::engine::{
    ActionKind, Event, FenceRequest, GroupActivity, Identity, ResourceAction,
};
use heartbeat_core::runtime::memory::MemoryHub;
use heartbeat_core::runtime::{
    ActionRunner, Cluster, ClusterBuilder, FenceOutcome, Fencer, StartError,
};
use heartbeat_core::wire::NodeUuid;
use runtime_common::{is_acquired, wait_for};
use tokio::sync::broadcast;
use tokio::time::Instant;

const KEEPALIVE: Duration = Duration::from_millis(100);
const HA_CF: &str = "keepalive 100ms\ndeadtime 500ms\nwarntime 300ms\ninitdead 1\n\
                     auto_failback off\nbcast eth0\nnode node1 node2\n";
const AUTHKEYS: &str = "auth 1\n1 sha256 runtime-safety-key\n";

fn config(node: &str, haresources: &str) -> Config {
    Config::from_texts(HA_CF, AUTHKEYS, haresources, node).expect("test config is valid")
}

/// `config` with one STONITH device every node may use.
fn fenced_config(node: &str) -> Config {
    let mut config = config(node, "node2 web\n");
    config.safety.stonith.push(StonithDevice {
        host: StonithHost::Any,
        kind: "null".into(),
        params: StonithParams::Positional(vec!["node1 node2".into()]),
        origin: "test".into(),
    });
    config
}

fn builder(config: Config, n: u8) -> ClusterBuilder {
    let identity = Identity {
        uuid: NodeUuid([n; 16]),
        generation: 10 + u64::from(n),
    };
    Cluster::builder(config, identity)
}

/// A fencer that records its requests and answers `ok`.
#[derive(Clone, Default)]
struct Recording {
    requests: Arc<Mutex<Vec<FenceRequest>>>,
    ok: bool,
}

impl Fencer for Recording {
    async fn fence(&self, request: FenceRequest) -> FenceOutcome {
        self.requests.lock().unwrap().push(request);
        FenceOutcome {
            ok: self.ok,
            method: "stonith null".into(),
        }
    }
}

/// Starts node1 from `node1` and node2 (which takes `web`) on one
/// in-memory network, then crashes node2 (no `Shutdone`). Returns node1
/// and its events from its start on.
async fn owner_crashes_beside(node1: ClusterBuilder) -> (Cluster, broadcast::Receiver<Event>) {
    let hub = MemoryHub::new(1);
    let node1 = node1.start_with_transport(hub.attach("node1")).unwrap();
    let events = node1.subscribe();
    let node2 = builder(fenced_config("node2"), 2)
        .start_with_transport(hub.attach("node2"))
        .unwrap();
    wait_for(&mut node2.subscribe(), is_acquired).await;
    drop(node2); // a crash: no Shutdone
    (node1, events)
}

#[tokio::test(start_paused = true)]
async fn a_dead_node_is_reset_by_the_fencer_before_its_group_moves() {
    let fencer = Recording {
        ok: true,
        ..Recording::default()
    };
    let node1 = builder(fenced_config("node1"), 1).fencer(fencer.clone());
    let (_node1, mut events) = owner_crashes_beside(node1).await;
    let done = wait_for(&mut events, |e| matches!(e, Event::FenceSucceeded { .. })).await;
    assert_eq!(
        done,
        Event::FenceSucceeded {
            target: "node2".into(),
            by: "node1".into(),
            method: "stonith null".into()
        }
    );
    wait_for(&mut events, is_acquired).await;
    let requests = fencer.requests.lock().unwrap().clone();
    assert_eq!(
        requests,
        vec![FenceRequest {
            target: "node2".into(),
            attempt: 1
        }]
    );
}

#[tokio::test(start_paused = true)]
async fn without_a_fencer_resets_fail_until_the_operator_confirms() {
    let (node1, mut events) = owner_crashes_beside(builder(fenced_config("node1"), 1)).await;
    let failed = wait_for(&mut events, |e| matches!(e, Event::FenceFailed { .. })).await;
    assert!(
        matches!(&failed, Event::FenceFailed { target, method, .. } if target == "node2" && method == "none"),
        "{failed:?}"
    );
    let web = node1
        .status()
        .groups
        .iter()
        .find(|g| g.key == "web")
        .cloned();
    assert_eq!(web.map(|g| g.activity), Some(GroupActivity::Stopped));
    node1.confirm_down("node2").unwrap();
    let done = wait_for(&mut events, |e| matches!(e, Event::FenceSucceeded { .. })).await;
    assert!(
        matches!(&done, Event::FenceSucceeded { method, .. } if method == "operator"),
        "{done:?}"
    );
    wait_for(&mut events, is_acquired).await;
}

/// A fencer that never answers.
struct Hung;

impl Fencer for Hung {
    async fn fence(&self, _request: FenceRequest) -> FenceOutcome {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn a_fencer_that_never_answers_has_failed_after_its_bound() {
    let mut config1 = fenced_config("node1");
    config1.safety.fence_timeout = Duration::from_secs(10);
    let (_node1, mut events) = owner_crashes_beside(builder(config1, 1).fencer(Hung)).await;
    wait_for(&mut events, |e| matches!(e, Event::FenceStarted { .. })).await;
    let started = Instant::now();
    let failed = wait_for(&mut events, |e| matches!(e, Event::FenceFailed { .. })).await;
    assert!(
        matches!(&failed, Event::FenceFailed { method, .. } if method == "timeout"),
        "{failed:?}"
    );
    // One device: fence_timeout plus the driver's 5 s grace.
    assert_eq!(started.elapsed().as_secs(), 15);
}

/// Stops fail: a shutdown leaves the group behind.
struct StopsFail;

impl ActionRunner for StopsFail {
    async fn run(&self, action: ResourceAction) -> bool {
        action.kind == ActionKind::Start
    }
}

/// A node with a watchdog (a regular file) that owns `web` alone.
async fn watched_node(path: &Path) -> (Cluster, broadcast::Receiver<Event>) {
    std::fs::write(path, b"").unwrap();
    let mut config = config("node1", "node1 web\n");
    config.safety.watchdog = Some(path.to_path_buf());
    let hub = MemoryHub::new(1);
    let node = builder(config, 1)
        .start_with_transport(hub.attach("node1"))
        .unwrap();
    let events = node.subscribe();
    (node, events)
}

/// Pets written so far, and whether the device was disarmed.
fn pets(path: &Path) -> (usize, bool) {
    let bytes = std::fs::read(path).unwrap();
    let pets = bytes.iter().filter(|b| **b == b'.').count();
    (pets, bytes.last() == Some(&b'V'))
}

#[tokio::test(start_paused = true)]
async fn the_watchdog_is_petted_every_keepalive_and_disarmed_at_a_clean_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("watchdog");
    let (node, mut events) = watched_node(&path).await;
    wait_for(&mut events, is_acquired).await;
    let (first, _) = pets(&path);
    let from = Instant::now();
    while pets(&path).0 < first + 20 {
        tokio::time::sleep(KEEPALIVE / 4).await;
    }
    let per_pet = from.elapsed() / 20;
    assert!(
        per_pet >= KEEPALIVE * 9 / 10 && per_pet <= KEEPALIVE * 11 / 10,
        "one pet per keepalive, got one per {per_pet:?}"
    );
    node.shutdown().await;
    wait_for(&mut events, |e| *e == Event::ShutdownComplete).await;
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.last(), Some(&b'V'), "disarmed last");
    assert_eq!(bytes.iter().filter(|b| **b == b'V').count(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_incomplete_shutdown_leaves_the_watchdog_armed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("watchdog");
    std::fs::write(&path, b"").unwrap();
    let mut config = config("node1", "node1 web\n");
    config.safety.watchdog = Some(path.clone());
    let node = builder(config, 1)
        .action_runner(StopsFail)
        .start_with_transport(MemoryHub::new(1).attach("node1"))
        .unwrap();
    let mut events = node.subscribe();
    wait_for(&mut events, is_acquired).await;
    while pets(&path).0 < 3 {
        tokio::time::sleep(KEEPALIVE / 4).await;
    }
    node.shutdown().await;
    wait_for(&mut events, |e| {
        matches!(e, Event::ShutdownIncomplete { .. })
    })
    .await;
    let (count, disarmed) = pets(&path);
    assert!(count >= 3);
    assert!(!disarmed, "no magic close after an incomplete shutdown");
}

#[tokio::test(start_paused = true)]
async fn a_missing_watchdog_device_is_a_start_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-watchdog");
    let mut config = config("node1", "");
    config.safety.watchdog = Some(path.clone());
    let err = builder(config, 1)
        .start_with_transport(MemoryHub::new(1).attach("node1"))
        .unwrap_err();
    assert!(
        matches!(&err, StartError::Watchdog(e) if e.path == path),
        "{err}"
    );
    assert!(err.to_string().contains("no-watchdog"), "{err}");
}
