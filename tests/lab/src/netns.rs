//! Network namespaces for tests and benches, from `ip netns`: one namespace
//! a test creates and always deletes ([`Netns`]), and the helpers every
//! namespace user shares (the lab's [`crate::Namespaces`], the benches' test
//! hosts): [`ip`], [`pids_in`], [`kill_all_in`]. Only root can make
//! namespaces; [`Netns::create`] returns `None` (and prints why) elsewhere,
//! so the calling test can skip.

use std::io;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// A network namespace named `hbt-<tag>-<pid>`, deleted on drop.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Creates the namespace with its loopback up, or returns `None` with a
    /// printed reason when this process cannot (not root, no `ip`).
    pub fn create(tag: &str) -> Option<Netns> {
        if !nix::unistd::geteuid().is_root() {
            println!("skipped: network namespaces need root");
            return None;
        }
        let name = format!("hbt-{tag}-{}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).status();
        match Command::new("ip").args(["netns", "add", &name]).status() {
            Ok(s) if s.success() => {}
            other => {
                println!("skipped: `ip netns add {name}` failed: {other:?}");
                return None;
            }
        }
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        Some(ns)
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `ip -n <ns> args…`, panicking with its output if it fails.
    pub fn ip(&self, args: &[&str]) -> String {
        let out = Command::new("ip")
            .args(["-n", &self.name])
            .args(args)
            .output()
            .expect("run ip");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "ip -n {} {}: {}",
            self.name,
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }

    /// Runs `f` on a new thread that has entered this namespace; processes it
    /// spawns are in the namespace too.
    pub fn run_inside<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        let path = Path::new("/var/run/netns").join(&self.name);
        std::thread::spawn(move || {
            let file = std::fs::File::open(&path).expect("open netns handle");
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            f()
        })
        .join()
        .expect("thread inside the namespace panicked")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Process ids inside network namespace `name`.
pub fn pids_in(name: &str) -> Vec<i32> {
    Command::new("ip")
        .args(["netns", "pids", name])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// SIGKILLs every process in namespace `name` until none is left (for up
/// to a second); whether there was any.
pub fn kill_all_in(name: &str) -> bool {
    let mut any = false;
    for _ in 0..50 {
        let pids = pids_in(name);
        if pids.is_empty() {
            break;
        }
        any = true;
        for p in pids {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(p),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    any
}

/// Sets interface `dev` of namespace `ns` up or down.
pub fn set_link_state(ns: &str, dev: &str, up: bool) -> io::Result<()> {
    let state = if up { "up" } else { "down" };
    ip(&["-n", ns, "link", "set", dev, state])
}

/// Runs `ip args…`; an error carries its stderr.
pub fn ip(args: &[&str]) -> io::Result<()> {
    let out = Command::new("ip").args(args).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}
