//! Network namespaces that a test creates and always deletes: the project's
//! own test hosts. Only root can make them; [`Netns::create`] returns `None`
//! (and prints why) elsewhere, so the calling test can skip.

use std::path::Path;
use std::process::Command;

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
