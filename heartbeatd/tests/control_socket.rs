//! The control socket: answers, bounds, and the credential check (a client
//! running under another uid is refused state changes).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use heartbeat_core::control::{
    parse_response, request_line, ErrorKind, GroupSet, Request, Response,
};
use heartbeatd::control_socket::{AdminPolicy, ControlSocket, RequestHandler};

/// Answers every request with a message naming it.
struct Echo;

impl RequestHandler for Echo {
    async fn handle(&self, request: Request) -> Response {
        Response::Accepted {
            message: format!("{request:?}"),
        }
    }
}

/// Sends one raw line and returns the raw answer line.
fn exchange(path: &Path, line: &str) -> String {
    let mut stream = UnixStream::connect(path).expect("connect");
    stream.write_all(line.as_bytes()).unwrap();
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).unwrap();
    answer
}

fn ask(path: &Path, request: &Request) -> Response {
    parse_response(&exchange(path, &request_line(request))).expect("response parses")
}

struct Server {
    dir: PathBuf,
    socket: PathBuf,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start(tag: &str, mode: u32) -> Server {
        let dir = std::env::temp_dir().join(format!("hb-ctl-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let socket = dir.join("control");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let bound = {
            let _guard = runtime.enter();
            ControlSocket::bind(&socket, mode, None).expect("bind")
        };
        runtime.spawn(bound.serve(Arc::new(Echo), AdminPolicy { admin_gid: None }));
        Server {
            dir,
            socket,
            _runtime: runtime,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn answers_requests_and_reports_bad_lines() {
    let server = Server::start("answers", 0o660);
    let mode = std::fs::metadata(&server.socket).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.permissions().mode() & 0o777, 0o660);
    match ask(&server.socket, &Request::Status) {
        Response::Accepted { message } => assert_eq!(message, "Status"),
        other => panic!("{other:?}"),
    }
    let bad = parse_response(&exchange(&server.socket, "hello\n")).unwrap();
    assert!(
        matches!(
            bad,
            Response::Error {
                kind: ErrorKind::BadRequest,
                ..
            }
        ),
        "{bad:?}"
    );
    let newer = exchange(&server.socket, "{\"version\":2,\"request\":\"status\"}\n");
    assert!(newer.contains("unsupported_version"), "{newer}");
}

#[test]
fn state_changes_are_refused_to_an_unprivileged_peer() {
    if !nix::unistd::geteuid().is_root() {
        println!("skipped: switching uid needs root");
        return;
    }
    let server = Server::start("creds", 0o666);
    // As root: allowed.
    for request in [
        Request::Shutdown,
        Request::ConfirmDown {
            node: "node2".into(),
        },
    ] {
        assert!(
            matches!(ask(&server.socket, &request), Response::Accepted { .. }),
            "{request:?}"
        );
    }
    // As nobody, from a child process: status allowed, changes refused.
    for (request, allowed) in [
        (Request::Status, true),
        (Request::Shutdown, false),
        (Request::Standby { set: GroupSet::All }, false),
        (
            Request::ConfirmDown {
                node: "node2".into(),
            },
            false,
        ),
    ] {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "child_client", "--nocapture"])
            .env("HB_CTL_SOCKET", &server.socket)
            .env("HB_CTL_LINE", request_line(&request))
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let answer = stdout
            .lines()
            .find_map(|l| l.strip_prefix("ANSWER "))
            .unwrap_or_else(|| {
                panic!(
                    "child said: {stdout} {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
        let response = parse_response(answer).unwrap();
        match (allowed, response) {
            (true, Response::Accepted { .. }) => {}
            (
                false,
                Response::Error {
                    kind: ErrorKind::PermissionDenied,
                    message,
                },
            ) => {
                assert!(message.contains("uid 65534"), "{message}")
            }
            (allowed, other) => panic!("{request:?} allowed={allowed}: {other:?}"),
        }
    }
}

/// Run by the test above under another uid: sends one line, prints the answer.
#[test]
#[ignore = "helper run as a child process under another uid"]
fn child_client() {
    let socket = std::env::var("HB_CTL_SOCKET").expect("HB_CTL_SOCKET");
    let line = std::env::var("HB_CTL_LINE").expect("HB_CTL_LINE");
    println!("ANSWER {}", exchange(Path::new(&socket), &line).trim_end());
}
