//! A node run in this test's own process with `daemon::run`: its media
//! sockets bound here and wrapped in `runtime::Lossy` (10 % of what it
//! receives dropped), stopped by a future instead of a signal, beside a
//! real heartbeatd process on loopback.

use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use heartbeat_core::config::Config;
use heartbeat_core::runtime::net::{MediaSockets, NetOptions};
use heartbeat_core::runtime::Lossy;
use heartbeat_lab::{node_name, Lab, LabSpec};
use heartbeatd::daemon::{self, DaemonPaths};
use tokio::sync::{mpsc, oneshot};

const PATIENCE: Duration = Duration::from_secs(30);

#[test]
fn lossy_in_process_node_joins_runs_its_group_and_hands_it_over_on_shutdown() {
    let mut lab = Lab::create(
        LabSpec::new(2, 100, 1000),
        env!("CARGO_BIN_EXE_heartbeatd").as_ref(),
    )
    .expect("lab");
    let dir = lab.node_dir(0);
    let config = Config::load(&dir.join("ha.d"), &node_name(0)).expect("node1's configuration");
    let paths = DaemonPaths {
        config_dir: dir.join("ha.d"),
        state_dir: dir.join("state"),
        control_socket: lab.control_socket(0),
        control_gid: None,
        script_timeout: Duration::from_secs(20),
        wire_dialect: None,
        metrics_listen: None,
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let (_reload, reloads) = mpsc::channel(1);
    let (done, ended) = std_mpsc::channel();
    let node = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let ran = runtime.block_on(async move {
            let sockets =
                MediaSockets::bind(&config.media, config.udp_port, &NetOptions::default()).await?;
            let transport = Lossy::new(sockets, 10, 0, 7);
            let shutdown = async move {
                let _ = stopped.await;
            };
            daemon::run(config, paths, transport, shutdown, reloads).await
        });
        runtime.shutdown_timeout(Duration::from_secs(2));
        let _ = done.send(ran.map_err(|e| format!("{e:#}")));
    });

    lab.start(1).expect("start node2");
    assert!(
        lab.wait_for(PATIENCE, |l| l.all_active().then_some(()))
            .is_some(),
        "node1 (in process) and node2 never saw each other active: {:?} / {:?}",
        lab.status(0),
        lab.status(1)
    );
    lab.expect_running_only_on("web", 0, PATIENCE);

    stop.send(()).expect("the node still runs");
    let ran = ended
        .recv_timeout(PATIENCE)
        .expect("daemon::run returned after its shutdown future completed");
    assert_eq!(ran, Ok(()));
    node.join().expect("node thread");
    lab.expect_running_only_on("web", 1, PATIENCE);
}
