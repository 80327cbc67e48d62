//! A running cluster of one system at one setting on fresh test hosts: node
//! directories with their configuration, the daemons, and the operations
//! the measurements need (start, kill -9, SIGSTOP, SIGTERM, link cut, who
//! owns the group). Everything is killed and removed on drop.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::cleanup;
use crate::error::{Error, IoContext, Result};
use crate::netns::Hosts;
use crate::stamps::{self, Stamp};
use crate::systems::{self, heartbeat, heartbeatd, keepalived, Setting, System};

/// Where to find the daemons' executables.
#[derive(Clone, Debug)]
pub struct Binaries {
    /// This project's heartbeatd.
    pub heartbeatd: PathBuf,
    /// Heartbeat 3.0.6's daemon.
    pub heartbeat: Option<PathBuf>,
}

/// A cluster under test.
pub struct Cluster {
    setting: Setting,
    hosts: Hosts,
    dir: PathBuf,
    binaries: Binaries,
    children: Vec<Option<Child>>,
    started: Vec<Option<Instant>>,
}

/// Name of node `i` (0-based).
pub fn node_name(i: usize) -> String {
    format!("node{}", i + 1)
}

/// Wall-clock now, ns since the Unix epoch (the scale of the timing log).
pub fn unix_now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

impl Cluster {
    /// Builds hosts for `nodes` nodes with `links` links each under
    /// `parent` and writes every node's configuration; starts nothing.
    pub fn create(
        setting: Setting,
        nodes: usize,
        links: usize,
        parent: &Path,
        binaries: &Binaries,
    ) -> Result<Cluster> {
        let hosts = Hosts::create(nodes, links)?;
        let dir = parent.join(format!("{}-{}", setting.slug(), hosts.switch()));
        fs::create_dir_all(&dir).context(|| format!("creating {}", dir.display()))?;
        cleanup::register_dir(dir.clone());
        let cluster = Cluster {
            setting,
            hosts,
            dir,
            binaries: binaries.clone(),
            children: (0..nodes).map(|_| None).collect(),
            started: vec![None; nodes],
        };
        for i in 0..nodes {
            cluster.write_node(i, links)?;
        }
        Ok(cluster)
    }

    /// The setting this cluster runs.
    pub fn setting(&self) -> &Setting {
        &self.setting
    }

    /// The test hosts.
    pub fn hosts(&self) -> &Hosts {
        &self.hosts
    }

    /// Directory of node `i`.
    pub fn node_dir(&self, i: usize) -> PathBuf {
        self.dir.join(node_name(i))
    }

    /// The shared timing log.
    pub fn stamp_log(&self) -> PathBuf {
        self.dir.join("stamps.log")
    }

    /// The daemon log of node `i`.
    pub fn daemon_log(&self, i: usize) -> PathBuf {
        self.node_dir(i).join("daemon.log")
    }

    fn state_file(&self, i: usize) -> PathBuf {
        self.node_dir(i).join("running")
    }

    fn write_node(&self, i: usize, links: usize) -> Result<()> {
        let dir = self.node_dir(i);
        let s = &self.setting;
        let w = |path: PathBuf, text: String, mode: u32| -> Result<()> {
            fs::write(&path, text).context(|| format!("writing {}", path.display()))?;
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))
                .context(|| format!("chmod {}", path.display()))
        };
        let script = systems::stamp_script(&node_name(i), &self.state_file(i), &self.stamp_log());
        let fencing = s.fencing_lines(&self.stonith_host_line()?);
        match s.system {
            System::Heartbeatd => {
                let ha_d = dir.join("ha.d");
                fs::create_dir_all(ha_d.join("resource.d")).context(|| "mkdir ha.d".into())?;
                fs::create_dir_all(dir.join("state")).context(|| "mkdir state".into())?;
                let nodes = self.children.len();
                w(
                    ha_d.join("ha.cf"),
                    heartbeatd::ha_cf(s, nodes, links) + &fencing,
                    0o644,
                )?;
                w(ha_d.join("authkeys"), heartbeatd::authkeys(), 0o600)?;
                w(ha_d.join("haresources"), heartbeatd::haresources(), 0o644)?;
                w(ha_d.join("resource.d/bench-stamp"), script, 0o755)?;
            }
            System::Heartbeat => {
                fs::create_dir_all(dir.join("run")).context(|| "mkdir run".into())?;
                copy_tree(Path::new("/etc/ha.d"), &dir.join("ha.d"))?;
                copy_tree(Path::new("/var/lib/heartbeat"), &dir.join("lib"))?;
                copy_tree(Path::new("/run/heartbeat"), &dir.join("run/heartbeat"))?;
                let ha_d = dir.join("ha.d");
                fs::create_dir_all(ha_d.join("resource.d")).context(|| "mkdir ha.d".into())?;
                let log = dir.join("daemon.log");
                w(
                    ha_d.join("ha.cf"),
                    heartbeat::ha_cf(s, &log) + &fencing,
                    0o644,
                )?;
                w(ha_d.join("authkeys"), heartbeat::authkeys(), 0o600)?;
                w(ha_d.join("haresources"), heartbeat::haresources(), 0o644)?;
                w(ha_d.join("resource.d/bench-stamp"), script, 0o755)?;
            }
            System::Keepalived => {
                fs::create_dir_all(&dir).context(|| "mkdir node".into())?;
                let path = dir.join("bench-stamp");
                w(path.clone(), script, 0o755)?;
                w(
                    dir.join("keepalived.conf"),
                    keepalived::config(s, i, &path),
                    0o644,
                )?;
            }
        }
        Ok(())
    }

    /// The power switch's `stonith_host` line for this cluster's nodes
    /// and timing log (written only for fenced settings).
    fn stonith_host_line(&self) -> Result<String> {
        if self.setting.fencing.is_none() {
            return Ok(String::new());
        }
        let nodes = (0..self.hosts.nodes())
            .map(|i| Ok((node_name(i), self.hosts.netns_inode(i)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(crate::power::stonith_host_line(&nodes, &self.stamp_log()))
    }

    /// Starts node `i` (its state file cleared: a fresh start holds nothing).
    pub fn start(&mut self, i: usize) -> Result<()> {
        let dir = self.node_dir(i);
        let _ = fs::remove_file(self.state_file(i));
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.daemon_log(i))
            .context(|| "opening the daemon log".into())?;
        let err = log.try_clone().context(|| "dup log".into())?;
        let ns = self.hosts.node(i);
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &ns]);
        match self.setting.system {
            System::Heartbeatd => {
                cmd.arg(&self.binaries.heartbeatd)
                    .arg("--config-dir")
                    .arg(dir.join("ha.d"))
                    .args(["--node-name", &node_name(i)])
                    .arg("--state-dir")
                    .arg(dir.join("state"))
                    .arg("--control-socket")
                    .arg(dir.join("control"))
                    .args(["--script-timeout", "20"]);
            }
            System::Keepalived => {
                // A killed daemon's pid may belong to an unreaped zombie:
                // keepalived would then refuse to start ("already running").
                for f in ["keepalived.pid", "vrrp.pid"] {
                    let _ = fs::remove_file(dir.join(f));
                }
                cmd.arg("keepalived").args(keepalived::args(&dir));
            }
            System::Heartbeat => {
                let daemon =
                    self.binaries.heartbeat.as_ref().ok_or_else(|| {
                        Error::Setup("Heartbeat's daemon is not installed".into())
                    })?;
                let _ = fs::remove_file(dir.join("run/heartbeat.pid"));
                cmd.args(["unshare", "--mount", "--uts", "sh", "-c"])
                    .arg(heartbeat::launch_command(&node_name(i), &dir, daemon));
            }
        }
        cmd.stdin(Stdio::null()).stdout(log).stderr(err);
        let mut child = cmd
            .spawn()
            .context(|| format!("starting {}", node_name(i)))?;
        if self.setting.system == System::Heartbeat {
            // The launcher returns once the daemon has forked into the background.
            let status = child
                .wait()
                .context(|| "waiting for heartbeat's launcher".into())?;
            if !status.success() {
                return Err(Error::Setup(format!(
                    "heartbeat on {} did not start ({status}); see {}",
                    node_name(i),
                    self.daemon_log(i).display()
                )));
            }
        } else {
            self.children[i] = Some(child);
        }
        Ok(())
    }

    /// Starts every node.
    pub fn start_all(&mut self) -> Result<()> {
        (0..self.children.len()).try_for_each(|i| self.start(i))
    }

    /// The daemon's main process on node `i` (heartbeatd; keepalived's
    /// parent; Heartbeat's master control process from its pid file).
    pub fn main_pid(&self, i: usize) -> Option<i32> {
        match self.setting.system {
            System::Heartbeat => fs::read_to_string(self.node_dir(i).join("run/heartbeat.pid"))
                .ok()?
                .trim()
                .parse()
                .ok(),
            _ => self.children[i]
                .as_ref()
                .and_then(|c| i32::try_from(c.id()).ok()),
        }
    }

    /// How long ago node `i` was last started (zero if it is not running).
    pub fn uptime(&self, i: usize) -> Duration {
        self.started[i].map(|t| t.elapsed()).unwrap_or_default()
    }

    /// Every process of node `i`.
    pub fn pids(&self, i: usize) -> Vec<i32> {
        self.hosts.pids(i)
    }

    /// Crashes node `i`: SIGKILL to every process in its namespace at once.
    /// Returns the instant of the kill (ns). Its resources die with it: the
    /// timing log gets a `killed` line.
    pub fn kill9(&mut self, i: usize) -> u128 {
        let pids = self.pids(i);
        let at = unix_now_ns();
        for p in &pids {
            let _ = kill(Pid::from_raw(*p), Signal::SIGKILL);
        }
        crate::netns::kill_all_in(&self.hosts.node(i));
        self.gone(i);
        at
    }

    /// Hangs node `i`: SIGSTOP to every process in its namespace (the
    /// daemon and its children). Returns the instant of the stop (ns).
    /// The processes stay stopped until killed: by a fence, or by
    /// [`Cluster::kill9`] (SIGKILL ends stopped processes too), which every
    /// caller runs before the node is started again.
    pub fn hang(&mut self, i: usize) -> u128 {
        let pids = self.pids(i);
        let at = unix_now_ns();
        for p in &pids {
            let _ = kill(Pid::from_raw(*p), Signal::SIGSTOP);
        }
        at
    }

    /// Marks node `i`'s daemon as gone: reaps it, clears its resource state
    /// and records `killed` in the timing log.
    fn gone(&mut self, i: usize) {
        self.started[i] = None;
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = fs::remove_file(self.state_file(i));
        let line = format!("{} {} * killed\n", unix_now_ns(), node_name(i));
        let _ = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.stamp_log())
            .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
    }

    /// Sends SIGTERM to node `i`'s main process; returns the instant (ns).
    pub fn terminate(&mut self, i: usize) -> Result<u128> {
        let pid = self
            .main_pid(i)
            .ok_or_else(|| Error::Setup(format!("{} has no main process", node_name(i))))?;
        let at = unix_now_ns();
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        Ok(at)
    }

    /// Waits up to `limit` for every process of node `i` to exit, then
    /// kills what is left; records the node as gone.
    pub fn wait_down(&mut self, i: usize, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(c) = self.children[i].as_mut() {
                let _ = c.try_wait();
            }
            if self.pids(i).is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill9(i);
    }

    /// Cuts node `i`'s only (first) link; returns the instant (ns) just
    /// before `ip link set eth0 down` runs.
    pub fn cut_link(&self, i: usize) -> Result<u128> {
        let at = unix_now_ns();
        self.hosts.set_link(i, 0, false)?;
        Ok(at)
    }

    /// Restores node `i`'s first link.
    pub fn heal_link(&self, i: usize) -> Result<()> {
        self.hosts.set_link(i, 0, true)
    }

    /// The timing log so far.
    pub fn stamps(&self) -> Vec<Stamp> {
        stamps::read(&self.stamp_log())
    }

    /// Polls the timing log every 5 ms until `check` finds something or
    /// `limit` passes.
    pub fn wait_stamp<T>(
        &self,
        limit: Duration,
        what: &str,
        mut check: impl FnMut(&[Stamp]) -> Option<T>,
    ) -> Result<T> {
        let deadline = Instant::now() + limit;
        loop {
            if cleanup::interrupted() {
                return Err(Error::Interrupted);
            }
            if let Some(found) = check(&self.stamps()) {
                return Ok(found);
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout(format!(
                    "{}: {what} (logs in {})",
                    self.setting.label(),
                    self.dir.display()
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until node1 alone holds the group.
    pub fn wait_preferred_owner(&self, limit: Duration) -> Result<()> {
        let want = [node_name(0)];
        self.wait_stamp(limit, "node1 to own the group alone", |s| {
            (stamps::owners(s) == want).then_some(())
        })
    }

    /// Lines of node `i`'s daemon log that contain any of `needles`.
    pub fn count_log_lines(&self, i: usize, needles: &[&str]) -> usize {
        fs::read_to_string(self.daemon_log(i))
            .unwrap_or_default()
            .lines()
            .filter(|l| needles.iter().any(|n| l.contains(n)))
            .count()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.children.len() {
            crate::netns::kill_all_in(&self.hosts.node(i));
            if let Some(mut c) = self.children[i].take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        if std::env::var_os("HBB_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
            cleanup::unregister_dir(&self.dir);
        }
    }
}

/// `cp -a SRC DST` (ownership and modes kept, as the package made them).
fn copy_tree(src: &Path, dst: &Path) -> Result<()> {
    let out = Command::new("cp")
        .arg("-a")
        .arg(src)
        .arg(dst)
        .output()
        .context(|| "running cp".into())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Command {
            command: format!("cp -a {} {}", src.display(), dst.display()),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}
