//! One run of one check: a command, a TCP connect, a process lookup in
//! `/proc`, an HTTP/1.0 GET or a file test. Never through a shell; every run
//! is bounded by the check's timeout (a hung command is killed with its
//! whole process group, on the runner of [`crate::child`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use heartbeat_core::config::CheckKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Command;
use tokio::task::JoinHandle;

use crate::child::{self, Ending};

/// The outcome of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Whether the run passed.
    pub ok: bool,
    /// What happened (exit status and output, connect error, ...), for the log.
    pub detail: String,
}

fn probe(ok: bool, detail: impl Into<String>) -> Probe {
    Probe {
        ok,
        detail: detail.into(),
    }
}

/// Runs `kind` once; a run longer than `timeout` fails.
pub async fn run(kind: &CheckKind, timeout: Duration) -> Probe {
    if matches!(kind, CheckKind::Command { .. }) {
        // The child runner keeps the bound itself, and kills the command's
        // whole process group at it.
        return run_kind(kind, timeout).await;
    }
    match tokio::time::timeout(timeout, run_kind(kind, timeout)).await {
        Ok(p) => p,
        Err(_) => probe(false, format!("timed out after {timeout:?}")),
    }
}

async fn run_kind(kind: &CheckKind, timeout: Duration) -> Probe {
    match kind {
        CheckKind::Command { program, args } => command(program, args, timeout).await,
        CheckKind::Tcp { host, port } => match TcpStream::connect((host.as_str(), *port)).await {
            Ok(_) => probe(true, format!("connected to {host}:{port}")),
            Err(e) => probe(false, format!("connect to {host}:{port}: {e}")),
        },
        CheckKind::Process { name } => {
            let name = name.clone();
            let Some(scan) = spawn_scan(move || process_running(&name)) else {
                return probe(
                    false,
                    format!("{MAX_SCANS} earlier scans of /proc still hang"),
                );
            };
            let found = scan.await.unwrap_or(false);
            probe(found, if found { "running" } else { "not running" })
        }
        CheckKind::Http {
            host,
            port,
            path,
            status,
        } => http(host, *port, path, *status).await,
        CheckKind::File { path, exists } => {
            let there = std::path::Path::new(path).try_exists().unwrap_or(false);
            let word = if there { "exists" } else { "absent" };
            probe(there == *exists, format!("{path} {word}"))
        }
    }
}

/// Runs a command check on the shared child runner (see [`crate::child`]):
/// its own process group, killed whole at `timeout`; output bounded; the
/// exit status, not the end of its output, ends the run, so a daemon it
/// leaves behind cannot make it fail.
async fn command(program: &str, args: &[String], timeout: Duration) -> Probe {
    let mut command = Command::new(program);
    command.args(args);
    let done = child::run(command, None, timeout).await;
    let text: String = done.output.trim().chars().take(512).collect();
    let ok = done.success();
    let detail = match done.ending {
        Ending::SpawnError(e) => format!("cannot run {program}: {e}"),
        Ending::TimedOut => format!("timed out after {timeout:?} (killed): {text}"),
        Ending::Signalled => format!("killed by a signal: {text}"),
        Ending::Exited(code) => format!("exit {code}: {text}"),
    };
    probe(ok, detail)
}

/// Scans of `/proc` (process checks) running at once, all checks together.
const MAX_SCANS: usize = 4;

/// Scans of `/proc` running now.
static SCANS: AtomicUsize = AtomicUsize::new(0);

/// Runs `scan` on a blocking thread, unless [`MAX_SCANS`] earlier scans
/// still run: a read of `/proc/PID/cmdline` hangs while that process is
/// stuck holding its memory lock (D state, a dead NFS server), the check's
/// timeout leaves the thread behind, and a new thread each interval would
/// fill tokio's blocking pool, which DNS lookups and file I/O need too.
fn spawn_scan(scan: impl FnOnce() -> bool + Send + 'static) -> Option<JoinHandle<bool>> {
    /// Counts a scan until it ends (or is dropped unrun).
    struct Running;
    impl Drop for Running {
        fn drop(&mut self) {
            SCANS.fetch_sub(1, Ordering::SeqCst);
        }
    }
    if SCANS.fetch_add(1, Ordering::SeqCst) >= MAX_SCANS {
        SCANS.fetch_sub(1, Ordering::SeqCst);
        return None;
    }
    let running = Running;
    Some(tokio::task::spawn_blocking(move || {
        let _running = running;
        scan()
    }))
}

/// Whether a process whose `comm` or first argument's base name is `name` runs.
pub fn process_running(name: &str) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return false;
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .any(|e| {
            let path = e.path();
            let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
            if comm.trim_end() == name {
                return true;
            }
            let cmdline = std::fs::read(path.join("cmdline")).unwrap_or_default();
            let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
            let base = argv0.rsplit(|b| *b == b'/').next().unwrap_or_default();
            !base.is_empty() && base == name.as_bytes()
        })
}

async fn http(host: &str, port: u16, path: &str, expected: u16) -> Probe {
    let mut stream = match TcpStream::connect((host, port)).await {
        Ok(s) => s,
        Err(e) => return probe(false, format!("connect to {host}:{port}: {e}")),
    };
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if let Err(e) = stream.write_all(request.as_bytes()).await {
        return probe(false, format!("send: {e}"));
    }
    let mut head = Vec::new();
    let mut buf = [0u8; 256];
    while !head.contains(&b'\n') && head.len() < 1024 {
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) => return probe(false, format!("read: {e}")),
        }
    }
    let line = String::from_utf8_lossy(&head);
    let line = line.lines().next().unwrap_or_default().to_owned();
    let code = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok());
    probe(code == Some(expected), format!("answered `{line}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hung_command_is_killed_at_its_timeout_and_fails() {
        let kind = CheckKind::Command {
            program: "/bin/sleep".into(),
            args: vec!["30".into()],
        };
        let started = std::time::Instant::now();
        let p = run(&kind, Duration::from_millis(200)).await;
        assert!(!p.ok);
        assert!(p.detail.contains("timed out"), "{}", p.detail);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    fn sh(script: &str) -> CheckKind {
        CheckKind::Command {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
        }
    }

    #[tokio::test]
    async fn a_timeout_kills_the_commands_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild");
        let script = format!("sleep 600 & echo $! > {}; wait", pid_file.display());
        let p = run(&sh(&script), Duration::from_millis(500)).await;
        assert!(!p.ok && p.detail.contains("timed out"), "{}", p.detail);
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        crate::child::wait_gone(pid.trim().parse().unwrap()).await;
    }

    #[tokio::test]
    async fn a_command_whose_child_keeps_its_output_open_passes_at_its_exit() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("background");
        let script = format!("sleep 30 & echo $! > {}; echo up", pid_file.display());
        let started = std::time::Instant::now();
        let p = run(&sh(&script), Duration::from_secs(10)).await;
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
        assert!(p.ok, "{}", p.detail);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_commands_output_is_bounded() {
        let p = run(
            &sh("head -c 100000000 /dev/zero | tr '\\0' x"),
            Duration::from_secs(60),
        )
        .await;
        assert!(p.ok, "{}", p.detail);
        assert!(p.detail.len() < 1024, "{} bytes of detail", p.detail.len());
    }

    #[tokio::test]
    async fn hung_process_scans_are_bounded() {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = std::sync::Arc::new(std::sync::Mutex::new(released));
        let hung: Vec<_> = (0..MAX_SCANS)
            .map(|_| {
                let released = std::sync::Arc::clone(&released);
                spawn_scan(move || released.lock().unwrap().recv().is_ok()).expect("room")
            })
            .collect();
        assert!(spawn_scan(|| true).is_none(), "a fifth scan started");
        for _ in 0..MAX_SCANS {
            release.send(()).unwrap();
        }
        for scan in hung {
            assert!(scan.await.unwrap());
        }
        assert!(spawn_scan(|| true).expect("room again").await.unwrap());
    }

    #[tokio::test]
    async fn command_exit_status_and_file_tests() {
        let ok = CheckKind::Command {
            program: "/bin/true".into(),
            args: Vec::new(),
        };
        assert!(run(&ok, Duration::from_secs(5)).await.ok);
        let bad = CheckKind::Command {
            program: "/bin/false".into(),
            args: Vec::new(),
        };
        let p = run(&bad, Duration::from_secs(5)).await;
        assert!(!p.ok && p.detail.starts_with("exit 1"), "{}", p.detail);
        let absent = CheckKind::File {
            path: "/nonexistent/x".into(),
            exists: false,
        };
        assert!(run(&absent, Duration::from_secs(1)).await.ok);
    }

    #[tokio::test]
    async fn http_and_tcp_checks_read_a_local_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(b"HTTP/1.0 204 No Content\r\n\r\n").await;
            }
        });
        let tcp = CheckKind::Tcp {
            host: "127.0.0.1".into(),
            port,
        };
        assert!(run(&tcp, Duration::from_secs(2)).await.ok);
        let http = |status| CheckKind::Http {
            host: "127.0.0.1".into(),
            port,
            path: "/health".into(),
            status,
        };
        assert!(run(&http(204), Duration::from_secs(2)).await.ok);
        let p = run(&http(200), Duration::from_secs(2)).await;
        assert!(!p.ok && p.detail.contains("204"), "{}", p.detail);
    }
}
