//! Two embedded nodes on loopback see each other and exchange a message.
//!
//! ```sh
//! cargo run -p heartbeat-core --example two_nodes
//! ```
//!
//! Each node is configured in code (the same text an `ha.cf` would hold),
//! listens on its own UDP port on 127.0.0.1 and sends to the other's with
//! the `ucast lo 127.0.0.1:PORT` form. The builder binds those media and
//! makes up each node's identity in memory (a service that restarts keeps it
//! with `.state_dir(dir)` instead).

use std::time::Duration;

use heartbeat_core::config::Config;
use heartbeat_core::engine::{Event, NodeState};
use heartbeat_core::runtime::{Cluster, StartError};

async fn start(me: &str, my_port: u16, peer_port: u16) -> Result<Cluster, StartError> {
    let ha_cf = format!(
        "keepalive 100ms\ndeadtime 1\ninitdead 2\nudpport {my_port}\n\
         ucast lo 127.0.0.1:{peer_port}\nnode alpha beta\n"
    );
    let authkeys = "auth 1\n1 sha256 example-secret\n";
    let config = Config::from_texts(&ha_cf, authkeys, "", me).expect("valid configuration");
    Cluster::with_config(config)
        .identity_in_memory()
        .start()
        .await
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let alpha = start("alpha", 17941, 17942).await?;
    let beta = start("beta", 17942, 17941).await?;
    let mut beta_events = beta.subscribe();
    let alpha_active = Event::NodeState {
        node: "alpha".into(),
        state: NodeState::Active,
    };
    while beta_events.recv().await? != alpha_active {}
    println!("beta sees alpha active");

    alpha.send(Some("beta"), "hello from alpha".into())?;
    let (from, payload) = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(Event::AppMessage { from, payload }) = beta_events.recv().await {
                return (from, payload);
            }
        }
    })
    .await?;
    println!("beta got {payload:?} from {from}");

    let peer = beta
        .status()
        .node("alpha")
        .cloned()
        .expect("alpha is a peer");
    let links: Vec<_> = peer.links.iter().map(|l| (&l.name, l.state)).collect();
    println!(
        "alpha as beta sees it: {:?}, links {links:?}, largest gap {:?}",
        peer.state, peer.max_gap
    );
    alpha.shutdown().await;
    beta.shutdown().await;
    Ok(())
}
