//! The two names of the program, the time limit, and option handling that
//! needs no cluster.

mod common;

use std::io::Read;
use std::os::unix::net::UnixListener;
use std::time::{Duration, Instant};

use clstatus::render::{USAGE, USAGE_EXTENSIONS};
use common::{cl_dash_status, cl_status, run};

#[test]
fn cl_status_prints_heartbeats_usage_and_cl_dash_status_adds_its_extensions() {
    let nowhere = std::path::Path::new("/nonexistent/control");
    for args in [&[][..], &["-h"][..]] {
        let (out, _) = run(cl_status(), nowhere, args);
        assert_eq!(String::from_utf8_lossy(&out.stdout), USAGE);
        assert_eq!(out.status.code(), Some(0));
        let (out, _) = run(cl_dash_status(), nowhere, args);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{USAGE}{USAGE_EXTENSIONS}")
        );
    }
    let (out, _) = run(cl_dash_status(), nowhere, &["--help"]);
    assert_eq!(out.status.code(), Some(11), "--help is not a sub-command");
}

#[test]
fn the_socket_option_wins_over_the_environment() {
    let dir = std::env::temp_dir().join(format!("clstatus-opt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("control");
    let listener = UnixListener::bind(&socket).unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut line = [0u8; 64];
        let _ = stream.read(&mut line);
        // Close without answering.
    });
    let (out, _) = run(
        cl_status(),
        std::path::Path::new("/nonexistent/control"),
        &["hbstatus", "--socket", socket.to_str().unwrap()],
    );
    server.join().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Heartbeat is apparently running on this machine, but refuses my connection\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_daemon_that_never_answers_costs_five_seconds_and_exit_12() {
    let dir = std::env::temp_dir().join(format!("clstatus-stuck-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("control");
    let listener = UnixListener::bind(&socket).unwrap();
    let server = std::thread::spawn(move || {
        let held: Vec<_> = (0..2).filter_map(|_| listener.accept().ok()).collect();
        std::thread::sleep(Duration::from_secs(7));
        drop(held);
    });
    for args in [&["nodestatus", "node1"][..], &["hbstatus"][..]] {
        let started = Instant::now();
        let (out, pid) = run(cl_status(), &socket, args);
        let took = started.elapsed();
        assert_eq!(out.status.code(), Some(12), "{args:?}");
        assert!(
            took >= Duration::from_millis(4900) && took < Duration::from_secs(7),
            "took {took:?}"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "cl_status: [{pid}]: ERROR: No answer from heartbeat"
            )),
            "{stderr}"
        );
        assert!(out.stdout.is_empty());
    }
    server.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
