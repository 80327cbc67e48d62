//! The daemon and `ha.cf`'s watchdog device, with a regular file standing in
//! for `/dev/watchdog` (a real one would reset the machine): a missing
//! device stops the start with its path, and a daemon that shuts down
//! cleanly pets the device while it runs and disarms it last.

use std::path::Path;
use std::time::Duration;

use heartbeat_core::config::Config;
use heartbeat_core::runtime::memory::MemoryHub;
use heartbeatd::daemon::{self, DaemonPaths};
use tokio::sync::{mpsc, oneshot};

const HA_CF: &str = "keepalive 100ms\ndeadtime 1\ninitdead 1\nbcast eth0\nnode node1 node2\n";
const AUTHKEYS: &str = "auth 1\n1 sha256 watchdog-test\n";

fn config(watchdog: &Path) -> Config {
    let mut config = Config::from_texts(HA_CF, AUTHKEYS, "", "node1").unwrap();
    config.safety.watchdog = Some(watchdog.to_path_buf());
    config
}

fn paths(dir: &Path) -> DaemonPaths {
    DaemonPaths {
        config_dir: dir.join("ha.d"),
        state_dir: dir.join("state"),
        control_socket: dir.join("run/heartbeatd.sock"),
        control_gid: None,
        script_timeout: Duration::from_secs(10),
        wire_dialect: None,
        metrics_listen: None,
    }
}

#[tokio::test]
async fn a_missing_device_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let device = dir.path().join("no-such-watchdog");
    let (_reload, reloads) = mpsc::channel(1);
    let hub = MemoryHub::new(1);
    let ran = daemon::run(
        config(&device),
        paths(dir.path()),
        hub.attach("node1"),
        std::future::pending(),
        reloads,
    )
    .await;
    let error = format!("{:#}", ran.unwrap_err());
    assert!(error.contains(&device.display().to_string()), "{error}");
}

#[tokio::test]
async fn a_clean_shutdown_disarms_the_device() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("run")).unwrap();
    let device = dir.path().join("watchdog");
    std::fs::write(&device, b"").unwrap();
    let (_reload, reloads) = mpsc::channel(1);
    let (stop, stopped) = oneshot::channel::<()>();
    let hub = MemoryHub::new(1);
    let node = tokio::spawn(daemon::run(
        config(&device),
        paths(dir.path()),
        hub.attach("node1"),
        async move {
            let _ = stopped.await;
        },
        reloads,
    ));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while std::fs::read(&device).unwrap().len() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "no pets");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(()).unwrap();
    node.await.unwrap().unwrap();
    let bytes = std::fs::read(&device).unwrap();
    assert_eq!(bytes.last(), Some(&b'V'), "{bytes:?}");
    assert!(
        bytes[..bytes.len() - 1].iter().all(|b| *b == b'.'),
        "{bytes:?}"
    );
}
