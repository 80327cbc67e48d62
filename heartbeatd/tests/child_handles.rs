//! Long-lived handles of the child runner (issue 21): after many runs,
//! after a huge output and after an abandoned run, nothing is left open or
//! running. One test per file section, run one after the other in this
//! process, so that the descriptor counts are not disturbed by a sibling.

use std::time::{Duration, Instant};

use heartbeatd::child::{self, Ending, MAX_OUTPUT};
use tokio::process::Command;

fn sh(script: &str) -> Command {
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(script);
    command
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Our children that are zombies (exited, not reaped).
fn zombie_children() -> usize {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            let mut fields = stat.rsplit(')').next().unwrap_or("").split_whitespace();
            let state = fields.next();
            let ppid = fields.next();
            state == Some("Z") && ppid == Some(me.as_str())
        })
        .count()
}

/// Waits (at most 5 s) until no child of ours is a zombie.
async fn no_zombie_children() {
    let deadline = Instant::now() + Duration::from_secs(5);
    while zombie_children() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} zombie children",
            zombie_children()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn tasks(handle: &tokio::runtime::Handle) -> usize {
    handle.metrics().num_alive_tasks()
}

/// Waits until process `pid` is gone or a zombie.
async fn wait_gone(pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !heartbeat_lab::is_gone(pid) {
        assert!(Instant::now() < deadline, "process {pid} still runs");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn read_pid(path: &std::path::Path) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(pid) = std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            return pid;
        }
        assert!(Instant::now() < deadline, "no pid in {}", path.display());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A thousand runs (with input, output and a grandchild that keeps the
/// pipes open) leave no descriptor and no task behind.
async fn many_runs_leave_no_descriptor() {
    let handle = tokio::runtime::Handle::current();
    // A first run sets up tokio's signal and pipe machinery for good.
    assert!(child::run(sh("true"), None, TIMEOUT).await.success());
    let (fds, alive) = (open_fds(), tasks(&handle));
    for i in 0..1000 {
        let done = child::run(sh("cat; echo err >&2"), Some(format!("{i}\n")), TIMEOUT).await;
        assert_eq!(done.output, format!("{i}\nerr\n"));
    }
    // The grandchild holds stdout and stderr past the script's exit.
    for _ in 0..20 {
        let done = child::run(sh("sleep 2 & echo started"), None, TIMEOUT).await;
        assert!(done.success(), "{done:?}");
    }
    // An aborted reader task closes its pipe when the scheduler drops it,
    // a moment after the run returned.
    let deadline = Instant::now() + Duration::from_secs(5);
    while (open_fds() != fds || tasks(&handle) != alive) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let after = open_fds();
    println!("open descriptors: {fds} before 1,020 runs, {after} after");
    assert_eq!(after, fds, "descriptors leaked");
    assert_eq!(tasks(&handle), alive, "tasks leaked");
    no_zombie_children().await;
}

/// A program printing 1 GiB costs at most MAX_OUTPUT per stream.
async fn a_gigabyte_of_output_is_cut() {
    let started = Instant::now();
    let done = child::run(
        sh("head -c 1073741824 /dev/zero; head -c 1073741824 /dev/zero >&2"),
        None,
        Duration::from_secs(120),
    )
    .await;
    println!("2 GiB of output read in {:?}", started.elapsed());
    assert!(done.success(), "{:?}", done.ending);
    assert_eq!(done.output.len(), 2 * MAX_OUTPUT);
}

/// A run whose caller gives up (a fence bound, a shutdown) kills the
/// program's whole process group and stops its pipe readers.
async fn an_abandoned_run_kills_its_group() {
    let handle = tokio::runtime::Handle::current();
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("grandchild");
    let alive = tasks(&handle);
    let fds = open_fds();
    let script = format!("sleep 600 & echo $! > {}; wait", pid_file.display());
    let run = child::run(sh(&script), Some("input".into()), Duration::from_secs(600));
    let abandoned = tokio::time::timeout(Duration::from_millis(500), run).await;
    assert!(abandoned.is_err(), "the run ended early");
    wait_gone(read_pid(&pid_file).await).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while tasks(&handle) > alive || open_fds() > fds {
        assert!(
            Instant::now() < deadline,
            "{} tasks (was {alive}), {} fds (was {fds}) after the run was dropped",
            tasks(&handle),
            open_fds()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    no_zombie_children().await;
}

/// A timed-out run returns at its bound even when a grandchild that
/// escaped nothing holds its pipes.
async fn a_timeout_returns_at_its_bound() {
    let started = Instant::now();
    let done = child::run(
        sh("sleep 600 & sleep 600"),
        None,
        Duration::from_millis(300),
    )
    .await;
    assert_eq!(done.ending, Ending::TimedOut);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// A cgroup-v1 freezer group of our own (root only), thawed and removed
/// when dropped.
struct Freezer(std::path::PathBuf);

impl Freezer {
    fn create() -> Option<Freezer> {
        let path = std::path::PathBuf::from(format!(
            "/sys/fs/cgroup/freezer/hb-child-handles-{}",
            std::process::id()
        ));
        std::fs::create_dir(&path).ok()?;
        Some(Freezer(path))
    }

    fn freeze(&self, pid: i32) {
        std::fs::write(self.0.join("cgroup.procs"), pid.to_string()).unwrap();
        std::fs::write(self.0.join("freezer.state"), "FROZEN").unwrap();
    }
}

impl Drop for Freezer {
    fn drop(&mut self) {
        let _ = std::fs::write(self.0.join("freezer.state"), "THAWED");
        for _ in 0..200 {
            if std::fs::remove_dir(&self.0).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A program that cannot die at once (frozen here; in life stuck in D
/// state on a dead disk or NFS server) does not hold the run past its
/// bound: the runner reports the timeout and tokio reaps it once it dies.
async fn an_unkillable_program_does_not_hold_the_run() {
    let Some(freezer) = Freezer::create() else {
        println!("no cgroup-v1 freezer here: unkillable program not tried");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let script = format!("echo $$ > {}; exec sleep 600", pid_file.display());
    let run = tokio::spawn(child::run(sh(&script), None, Duration::from_secs(1)));
    let pid = read_pid(&pid_file).await;
    freezer.freeze(pid);
    let started = Instant::now();
    let done = tokio::time::timeout(Duration::from_secs(5), run).await;
    let waited = started.elapsed();
    drop(freezer);
    wait_gone(pid).await;
    let done = done.expect("the run waited for a process that could not die");
    assert_eq!(done.unwrap().ending, Ending::TimedOut);
    println!("a frozen program's run returned {waited:?} after it was frozen");
    no_zombie_children().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_handles_are_bounded() {
    many_runs_leave_no_descriptor().await;
    a_gigabyte_of_output_is_cut().await;
    an_abandoned_run_kills_its_group().await;
    a_timeout_returns_at_its_bound().await;
    an_unkillable_program_does_not_hold_the_run().await;
}

const TIMEOUT: Duration = Duration::from_secs(20);
