//! Real heartbeatd processes against hostile or careless control clients:
//! nothing a reader of the status can do may cost a failover. Event
//! subscribers that vanish leave no descriptor behind, a client holding
//! the fd limit's worth of connections cannot starve a resource script,
//! a line that is not UTF-8 gets a typed answer, and SIGTERM with a failed
//! group still ends.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use heartbeat_core::control::{parse_response, request_line, ErrorKind, Request, Response};
use heartbeat_lab::{write_script, Lab, LabSpec};

const KEEPALIVE_MS: u64 = 100;
const DEADTIME_MS: u64 = 1000;
const PATIENCE: Duration = Duration::from_secs(60);

fn started_lab(spec: LabSpec) -> Lab {
    let mut lab = Lab::create(spec, env!("CARGO_BIN_EXE_heartbeatd").as_ref()).expect("lab");
    lab.start_all().expect("start");
    let settled = lab.wait_for(PATIENCE, |l| l.all_active().then_some(()));
    assert!(settled.is_some(), "the cluster never became active");
    lab.expect_running_only_on("web", 0, PATIENCE);
    lab
}

/// Open descriptors of process `pid`.
fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// Sends `line` and reads the first answer line, keeping the connection.
fn send_line(socket: &Path, line: &[u8]) -> (UnixStream, Response) {
    let mut stream = UnixStream::connect(socket).expect("connect");
    stream.write_all(line).unwrap();
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer).unwrap();
    let response = parse_response(&answer).unwrap_or_else(|e| panic!("{answer:?}: {e:?}"));
    (stream, response)
}

/// Kills node1 (the owner) and waits until node2 started `web`.
fn fail_over(lab: &mut Lab) {
    lab.kill9(0);
    lab.expect_running_only_on("web", 1, PATIENCE);
}

#[test]
fn vanished_event_subscribers_leave_no_descriptor_behind() {
    let mut lab = started_lab(LabSpec::new(2, KEEPALIVE_MS, DEADTIME_MS));
    let pid = lab.pid(1).expect("node2 runs");
    let socket = lab.control_socket(1);
    let baseline = fd_count(pid);
    let subscribe = request_line(&Request::Events);
    for _ in 0..50 {
        let batch: Vec<UnixStream> = (0..100)
            .map(|_| {
                let (stream, answer) = send_line(&socket, subscribe.as_bytes());
                assert!(matches!(answer, Response::Accepted { .. }), "{answer:?}");
                stream
            })
            .collect();
        drop(batch);
    }
    // The cluster is quiet: no event will be written to find them gone.
    let settled = lab.wait_for(PATIENCE, |_| (fd_count(pid) <= baseline).then_some(()));
    assert!(
        settled.is_some(),
        "5,000 vanished subscribers: {} descriptors open, {baseline} before",
        fd_count(pid)
    );
    fail_over(&mut lab);
}

#[test]
fn a_client_holding_every_connection_cannot_starve_a_resource_script() {
    let mut spec = LabSpec::new(2, KEEPALIVE_MS, DEADTIME_MS);
    spec.fd_limit = Some(256);
    let mut lab = started_lab(spec);
    let socket = lab.control_socket(1);
    let subscribe = request_line(&Request::Events);
    let mut held = Vec::new();
    let mut busy = 0;
    for _ in 0..400 {
        match send_line(&socket, subscribe.as_bytes()) {
            (stream, Response::Accepted { .. }) => held.push(stream),
            (
                _,
                Response::Error {
                    kind: ErrorKind::Busy,
                    ..
                },
            ) => busy += 1,
            (_, other) => panic!("{other:?}"),
        }
    }
    assert!(
        busy > 0 && held.len() < 256,
        "{} held, {busy} turned away",
        held.len()
    );
    fail_over(&mut lab);
    let log = std::fs::read_to_string(lab.log_path(1)).unwrap();
    assert!(!log.contains("Too many open files"), "{log}");
    drop(held);
    let answered = lab.wait_for(PATIENCE, |l| {
        l.status(1).ok().filter(|s| {
            s.groups
                .iter()
                .any(|g| g.key.ends_with("::web") && g.activity == "running")
        })
    });
    assert!(
        answered.is_some(),
        "node2 answers and runs web: {:?}",
        lab.status(1)
    );
}

#[test]
fn a_request_line_that_is_not_utf8_gets_a_typed_error() {
    let lab = started_lab(LabSpec::new(2, KEEPALIVE_MS, DEADTIME_MS));
    let (_, answer) = send_line(
        &lab.control_socket(0),
        b"{\"version\":1,\"request\":\"stat\xffus\"}\n",
    );
    match answer {
        Response::Error {
            kind: ErrorKind::BadRequest,
            message,
        } => assert!(message.contains("UTF-8"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn sigterm_with_a_failed_group_exits_and_says_what_it_left() {
    let mut lab = started_lab(LabSpec::new(2, KEEPALIVE_MS, DEADTIME_MS));
    // From now on every script call on node2 fails: its takeover fails,
    // and so does the clean-up stop, which leaves web `failed` there.
    let script = lab.node_dir(1).join("ha.d/resource.d/lab-logger");
    write_script(&script, "#!/bin/sh\necho \"cannot $2 $1\" >&2\nexit 1\n").unwrap();
    lab.kill9(0);
    let failed = lab.wait_for(PATIENCE, |l| {
        l.status(1).ok().filter(|s| {
            s.groups
                .iter()
                .any(|g| g.key.ends_with("::web") && g.activity == "failed")
        })
    });
    assert!(failed.is_some(), "web ends failed on node2");
    lab.terminate(1);
    let code = lab.wait_exit(1, PATIENCE);
    assert!(code.is_some(), "node2 still runs after SIGTERM");
    let log = std::fs::read_to_string(lab.log_path(1)).unwrap();
    assert!(
        log.contains("left behind") && log.contains("web"),
        "the log names what was left behind: {log}"
    );
    assert_ne!(code, Some(0), "an incomplete shutdown is not a success");
}
