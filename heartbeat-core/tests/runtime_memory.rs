//! The tokio driver and the `Cluster` API on an in-memory network, in paused
//! (virtual) time: membership, application messages, handover on shutdown,
//! takeover after a crash.

mod runtime_common;

use std::time::Duration;

use bytes::Bytes;
use heartbeat_core::config::Config;
use heartbeat_core::engine::{Event, Identity, NodeState};
use heartbeat_core::runtime::memory::MemoryHub;
use heartbeat_core::runtime::Cluster;
use heartbeat_core::wire::NodeUuid;
use runtime_common::{is_acquired, wait_for};
use tokio::time::Instant;

const HA_CF: &str = "keepalive 100ms\ndeadtime 500ms\nwarntime 300ms\ninitdead 1\n\
                     auto_failback on\nbcast eth0\nbcast eth1\nnode node1 node2\n";
const AUTHKEYS: &str = "auth 1\n1 sha256 runtime-test-key\n";
const HARESOURCES: &str = "node1 web\n";

fn config(node: &str) -> Config {
    Config::from_texts(HA_CF, AUTHKEYS, HARESOURCES, node).expect("test config is valid")
}

fn identity(n: u8, generation: u64) -> Identity {
    Identity {
        uuid: NodeUuid([n; 16]),
        generation,
    }
}

fn start(hub: &MemoryHub, node: &str, n: u8, generation: u64) -> Cluster {
    Cluster::builder(config(node), identity(n, generation))
        .start_with_transport(hub.attach(node))
        .expect("no watchdog to open")
}

#[tokio::test(start_paused = true)]
async fn nodes_meet_exchange_messages_and_hand_over_on_shutdown() {
    let hub = MemoryHub::new(2);
    let node1 = start(&hub, "node1", 1, 10);
    let node2 = start(&hub, "node2", 2, 20);
    let mut events1 = node1.subscribe();
    let mut events2 = node2.subscribe();

    wait_for(&mut events1, is_acquired).await;
    wait_for(
        &mut events2,
        |e| matches!(e, Event::NodeState { node, state: NodeState::Active } if node == "node1"),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = node2.status();
    let peer = status.node("node1").expect("node1 listed");
    assert_eq!(peer.state, NodeState::Active);
    assert_eq!(peer.links.len(), 2);

    node1
        .send(Some("node2"), Bytes::from_static(b"hello"))
        .unwrap();
    let message = wait_for(&mut events2, |e| matches!(e, Event::AppMessage { .. })).await;
    assert_eq!(
        message,
        Event::AppMessage {
            from: "node1".into(),
            payload: Bytes::from_static(b"hello")
        }
    );

    let before = Instant::now();
    node1.shutdown().await;
    wait_for(&mut events2, is_acquired).await;
    assert!(
        before.elapsed() < Duration::from_millis(500),
        "handover after {:?}, before node1's deadtime",
        before.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_crashed_owner_is_declared_dead_and_its_group_taken_over() {
    let hub = MemoryHub::new(1);
    let node1 = start(&hub, "node1", 1, 10);
    let node2 = start(&hub, "node2", 2, 20);
    let mut events2 = node2.subscribe();
    wait_for(&mut node1.subscribe(), is_acquired).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let crashed_at = Instant::now();
    drop(node1);
    wait_for(
        &mut events2,
        |e| matches!(e, Event::NodeState { node, state: NodeState::Dead } if node == "node1"),
    )
    .await;
    let detection = crashed_at.elapsed();
    assert!(
        detection <= Duration::from_millis(600),
        "dead after {detection:?}: deadtime 500 ms + one keepalive"
    );
    wait_for(&mut events2, is_acquired).await;
}

#[tokio::test(start_paused = true)]
async fn a_pulled_cable_kills_one_link_not_the_node() {
    let hub = MemoryHub::new(2);
    let node1 = start(&hub, "node1", 1, 10);
    let node2 = start(&hub, "node2", 2, 20);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut events2 = node2.subscribe();
    hub.set_link("node1", heartbeat_core::engine::MediumId(1), false);
    let event = wait_for(&mut events2, |e| matches!(e, Event::LinkState { .. })).await;
    assert!(
        matches!(&event, Event::LinkState { node, link, state: heartbeat_core::engine::LinkState::Dead } if node == "node1" && link == "eth1"),
        "{event:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        node2.status().node("node1").unwrap().state,
        NodeState::Active
    );
    drop(node1);
}
