//! Two embedded nodes on loopback see each other and exchange a message.
//!
//! ```sh
//! cargo run -p heartbeat-core --example two_nodes
//! ```
//!
//! Each node is configured in code (the same text an `ha.cf` would hold),
//! listens on its own UDP port on 127.0.0.1 and sends to the other's with
//! the `ucast lo 127.0.0.1:PORT` form.

use std::time::Duration;

use bytes::Bytes;
use heartbeat_core::config::Config;
use heartbeat_core::engine::{Event, Identity, NodeState};
use heartbeat_core::runtime::net::{MediaSockets, NetOptions};
use heartbeat_core::runtime::Cluster;
use heartbeat_core::wire::NodeUuid;

const AUTHKEYS: &str = "auth 1\n1 sha256 example-secret\n";

fn config(me: &str, my_port: u16, peer_port: u16) -> Config {
    let ha_cf = format!(
        "keepalive 100ms\ndeadtime 1\ninitdead 2\nudpport {my_port}\n\
         ucast lo 127.0.0.1:{peer_port}\nnode alpha beta\n"
    );
    Config::from_texts(&ha_cf, AUTHKEYS, "", me).expect("valid configuration")
}

async fn start(me: &str, my_port: u16, peer_port: u16, n: u8) -> Cluster {
    let config = config(me, my_port, peer_port);
    let sockets = MediaSockets::bind(&config.media, config.udp_port, &NetOptions::default())
        .await
        .expect("bind the UDP sockets");
    let identity = Identity {
        uuid: NodeUuid([n; 16]),
        generation: 1,
    };
    Cluster::builder(config, identity).start_with_transport(sockets)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let alpha = start("alpha", 17941, 17942, 1).await;
    let beta = start("beta", 17942, 17941, 2).await;
    let mut beta_events = beta.subscribe();

    // Wait until beta sees alpha active.
    loop {
        if let Ok(Event::NodeState {
            node,
            state: NodeState::Active,
        }) = beta_events.recv().await
        {
            if node == "alpha" {
                println!("beta sees alpha active");
                break;
            }
        }
    }
    alpha
        .send(Some("beta"), Bytes::from_static(b"hello from alpha"))
        .expect("alpha is running");
    let message = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(Event::AppMessage { from, payload }) = beta_events.recv().await {
                return (from, payload);
            }
        }
    })
    .await
    .expect("message within 5 s");
    println!("beta got {:?} from {}", message.1, message.0);

    let peer = beta
        .status()
        .node("alpha")
        .cloned()
        .expect("alpha is a peer");
    println!(
        "alpha as beta sees it: {:?}, links {:?}, largest gap {:?}",
        peer.state,
        peer.links
            .iter()
            .map(|l| (&l.name, l.state))
            .collect::<Vec<_>>(),
        peer.max_gap
    );
    alpha.shutdown().await;
    beta.shutdown().await;
}
