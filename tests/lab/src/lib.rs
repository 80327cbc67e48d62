//! heartbeat-lab: clusters of real heartbeatd processes (and Heartbeat 3.0.6
//! ones) for the integration tests, the benches and `heartbeatd demo`; a
//! test crate, no part of heartbeatd's API.
//!
//! # Layout
//!
//! - this file: [`Lab`] and [`LabSpec`], the cluster, its files and
//!   processes, and what the tests ask of it.
//! - [`netns`]: network namespaces: one a test makes ([`netns::Netns`]) and
//!   the shared `ip` / process helpers.
//! - `topology`: where the nodes live ([`Topology`]): loopback, or one
//!   namespace per node behind bridges ([`Namespaces`]).
//! - `heartbeat306`: running Debian's Heartbeat 3.0.6 as a lab node
//!   ([`NodeKind`]).
//! - `power`: the lab's power switch, behind a STONITH plugin
//!   ([`StonithPlugin`]) or a fence agent.
//! - `shared_disk`: a loop device every node reaches ([`LoopDisk`]) and a
//!   watch of where it is mounted ([`MountWatch`]).
//!
//! # The lab
//!
//! Each node gets its own configuration directory, state directory and
//! control socket under one temporary directory. On [`Topology::Loopback`]
//! every node has its own UDP port and `ucast lo 127.0.0.1:PORT` media to
//! every peer; on [`Topology::Namespaces`] (root only) every node runs in a
//! network namespace of its own with real `ethK` links. The resource script
//! `lab-logger` appends `<unix time in ns> <node> <group> <start|stop>` to
//! `actions.log`, which is how tests and the demo time failovers.
//!
//! A lab may also mix in real Linux-HA Heartbeat 3.0.6 nodes
//! ([`LabSpec::kinds`], [`NodeKind`]; namespaces only). Such a "Linux-HA
//! lab" writes the files an existing Heartbeat installation has (`sha1`
//! authkeys, one `ha.cf` identical on every node) and runs every node, of
//! either kind, in a mount + UTS namespace of its own: its `/etc/ha.d`,
//! `/var/lib/heartbeat` and `/run` are its directory's `ha.d`, `lib` and
//! `run`, its host name is its node name, and heartbeatd runs with its
//! default paths plus `--wire-dialect linux-ha`.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use heartbeat_core::control::client::{call, ClientError};
use heartbeat_core::control::{Request, Response, StatusView};

mod heartbeat306;
pub mod netns;
mod power;
mod shared_disk;
mod topology;

pub use heartbeat306::{daemon_path as heartbeat306_daemon, NodeKind};
pub use netns::{ip, kill_all_in, pids_in};
pub use power::{StonithPlugin, EXTERNAL_PLUGIN_DIR};
pub use shared_disk::{LoopDisk, MountChange, MountWatch};
pub use topology::{MediumKind, Namespaces, Topology};

/// The shape of a lab cluster.
#[derive(Clone, Debug)]
pub struct LabSpec {
    /// Number of nodes (`node1` … `nodeN`).
    pub nodes: usize,
    /// `keepalive`, in ms.
    pub keepalive_ms: u64,
    /// `deadtime`, in ms.
    pub deadtime_ms: u64,
    /// `initdead`, in ms.
    pub initdead_ms: u64,
    /// `auto_failback` (`on`, `off`, `legacy`).
    pub auto_failback: String,
    /// Resource groups: (preferred node index from 0, group name).
    pub groups: Vec<(usize, String)>,
    /// The authkeys secret of each node (all equal unless a test wants a
    /// node with a wrong key).
    pub secrets: Vec<String>,
    /// Where the nodes live.
    pub topology: Topology,
    /// Resources started before `lab-logger` in the first group, as
    /// `haresources` spells them (e.g. `IPaddr::10.213.10.100/24/eth0`).
    pub first_group_resources: Vec<String>,
    /// Extra `ha.cf` lines for every node; `{node}` becomes the node's name
    /// and `{dir}` its directory.
    pub extra_ha_cf: Vec<String>,
    /// What each node runs (all [`NodeKind::Heartbeatd`] by default). Any
    /// [`NodeKind::Heartbeat306`] makes this a Linux-HA lab (see the module
    /// documentation), which needs [`Topology::Namespaces`].
    pub kinds: Vec<NodeKind>,
    /// This workspace's `cl-status` binary, for [`Lab::cl_status`] on
    /// heartbeatd nodes.
    pub cl_status_binary: Option<PathBuf>,
    /// `RLIMIT_NOFILE` (soft and hard) of every heartbeatd node on a
    /// loopback lab, set with util-linux `prlimit` (default: inherited).
    pub fd_limit: Option<u64>,
}

impl LabSpec {
    /// `nodes` nodes, keepalive/deadtime as given, one group `web`
    /// preferring node1, `auto_failback on`, one shared key.
    pub fn new(nodes: usize, keepalive_ms: u64, deadtime_ms: u64) -> Self {
        LabSpec {
            nodes,
            keepalive_ms,
            deadtime_ms,
            initdead_ms: deadtime_ms.max(2 * keepalive_ms + 1),
            auto_failback: "on".into(),
            groups: vec![(0, "web".into())],
            secrets: vec!["lab-secret".into(); nodes],
            topology: Topology::Loopback,
            first_group_resources: Vec::new(),
            extra_ha_cf: Vec::new(),
            kinds: vec![NodeKind::Heartbeatd; nodes],
            cl_status_binary: None,
            fd_limit: None,
        }
    }

    /// Whether any node runs Heartbeat 3.0.6.
    pub fn is_linux_ha(&self) -> bool {
        self.kinds.contains(&NodeKind::Heartbeat306)
    }
}

/// One line of `actions.log`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRecord {
    /// Wall-clock time of the script call, ns since the Unix epoch.
    pub unix_ns: u128,
    /// Node that ran it.
    pub node: String,
    /// Group (the script argument).
    pub group: String,
    /// `start` or `stop`.
    pub verb: String,
}

/// A running lab cluster; every process is killed and the directory removed
/// on drop (set `HB_LAB_KEEP=1` to keep the directory for inspection).
pub struct Lab {
    spec: LabSpec,
    binary: PathBuf,
    root: PathBuf,
    ports: Vec<u16>,
    children: Vec<Option<Child>>,
    /// Whether a child has been reaped by [`Lab::is_running`] (its pid may
    /// belong to another process by now).
    reaped: Vec<bool>,
    namespaces: Option<Namespaces>,
    /// What each node runs now (see [`Lab::set_kind`]).
    kinds: Vec<NodeKind>,
    /// Heartbeat's daemon, in a Linux-HA lab.
    heartbeat: Option<PathBuf>,
}

/// Name of node `i` (0-based): `node1`, `node2`, …
pub fn node_name(i: usize) -> String {
    format!("node{}", i + 1)
}

impl Lab {
    /// Writes the configuration of every node under a new temporary
    /// directory; starts nothing yet.
    pub fn create(spec: LabSpec, binary: &Path) -> io::Result<Lab> {
        let root = std::env::temp_dir().join(format!(
            "hb-lab-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        fs::create_dir_all(&root)?;
        let heartbeat = if spec.is_linux_ha() {
            if spec.topology == Topology::Loopback {
                return Err(io::Error::other(
                    "Heartbeat 3.0.6 nodes need Topology::Namespaces",
                ));
            }
            Some(heartbeat306::daemon_path().ok_or_else(|| {
                io::Error::other("Heartbeat 3.0.6 (Debian's heartbeat package) is not installed")
            })?)
        } else {
            None
        };
        let (ports, namespaces) = match spec.topology {
            Topology::Loopback => (free_ports(spec.nodes)?, None),
            Topology::Namespaces { links, .. } => (
                vec![694; spec.nodes],
                Some(Namespaces::create(spec.nodes, links)?),
            ),
        };
        let lab = Lab {
            namespaces,
            children: (0..spec.nodes).map(|_| None).collect(),
            reaped: vec![false; spec.nodes],
            kinds: (0..spec.nodes)
                .map(|i| spec.kinds.get(i).copied().unwrap_or(NodeKind::Heartbeatd))
                .collect(),
            heartbeat,
            spec,
            binary: binary.to_path_buf(),
            root,
            ports,
        };
        for i in 0..lab.spec.nodes {
            lab.write_node(i)?;
        }
        Ok(lab)
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.spec.nodes
    }

    /// The lab's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Directory of node `i`.
    pub fn node_dir(&self, i: usize) -> PathBuf {
        self.root.join(node_name(i))
    }

    /// Control socket of node `i` (in a Linux-HA lab heartbeatd's default
    /// `/var/run/heartbeat/control`, seen from outside).
    pub fn control_socket(&self, i: usize) -> PathBuf {
        if self.is_linux_ha() {
            self.node_dir(i).join("run/heartbeat/control")
        } else {
            self.node_dir(i).join("control")
        }
    }

    /// Whether this is a Linux-HA lab (see the module documentation).
    pub fn is_linux_ha(&self) -> bool {
        self.heartbeat.is_some()
    }

    /// What node `i` runs now.
    pub fn kind(&self, i: usize) -> NodeKind {
        self.kinds[i]
    }

    /// Makes node `i`, which must be stopped, run `kind` from its next
    /// start on, with the same configuration and state directories (a
    /// Linux-HA lab only: how a node is migrated in place).
    pub fn set_kind(&mut self, i: usize, kind: NodeKind) -> io::Result<()> {
        if !self.is_linux_ha() {
            return Err(io::Error::other("node kinds change only in a Linux-HA lab"));
        }
        if !self.node_pids(i).is_empty() || self.is_running(i) {
            return Err(io::Error::other(format!("{} still runs", node_name(i))));
        }
        self.kinds[i] = kind;
        Ok(())
    }

    /// Heartbeat's log (`logfile` in `ha.cf`) of node `i` in a Linux-HA lab;
    /// a heartbeatd node writes there too.
    pub fn ha_log(&self, i: usize) -> PathBuf {
        self.node_dir(i).join("lib/ha-log")
    }

    /// Log file of node `i` (stdout and stderr of every start, appended;
    /// for a Heartbeat node, what it writes before it daemonizes).
    pub fn log_path(&self, i: usize) -> PathBuf {
        self.node_dir(i).join("heartbeatd.log")
    }

    fn write_node(&self, i: usize) -> io::Result<()> {
        let dir = self.node_dir(i);
        let ha_d = dir.join("ha.d");
        let linux_ha = self.is_linux_ha();
        if linux_ha {
            heartbeat306::prepare_node_dir(&dir)?;
        } else {
            fs::create_dir_all(ha_d.join("resource.d"))?;
            fs::create_dir_all(dir.join("state"))?;
        }
        let s = &self.spec;
        let mut ha_cf = if linux_ha {
            heartbeat306::HA_CF_HEAD.to_owned()
        } else {
            format!("# lab node {}\n", node_name(i))
        };
        ha_cf += &format!(
            "keepalive {}ms\ndeadtime {}ms\nwarntime {}ms\ninitdead {}ms\n\
             udpport {}\nauto_failback {}\n",
            s.keepalive_ms,
            s.deadtime_ms,
            (s.deadtime_ms / 2).max(s.keepalive_ms + 1),
            s.initdead_ms,
            self.ports[i],
            s.auto_failback,
        );
        ha_cf.push_str(&self.media_lines(i));
        let names: Vec<String> = (0..s.nodes).map(node_name).collect();
        ha_cf.push_str(&format!("node {}\n", names.join(" ")));
        for line in &s.extra_ha_cf {
            let line = line
                .replace("{node}", &node_name(i))
                .replace("{dir}", &dir.display().to_string());
            ha_cf.push_str(&line);
            ha_cf.push('\n');
        }
        fs::write(ha_d.join("ha.cf"), ha_cf)?;
        let authkeys = ha_d.join("authkeys");
        // Heartbeat has no sha256.
        let method = if linux_ha { "sha1" } else { "sha256" };
        fs::write(&authkeys, format!("auth 1\n1 {method} {}\n", s.secrets[i]))?;
        fs::set_permissions(&authkeys, fs::Permissions::from_mode(0o600))?;
        let haresources: String = s
            .groups
            .iter()
            .enumerate()
            .map(|(n, (pref, g))| {
                let before: String = match n {
                    0 => s
                        .first_group_resources
                        .iter()
                        .map(|r| format!(" {r}"))
                        .collect(),
                    _ => String::new(),
                };
                format!("{}{before} lab-logger::{g}\n", node_name(*pref))
            })
            .collect();
        fs::write(ha_d.join("haresources"), haresources)?;
        let script = ha_d.join("resource.d/lab-logger");
        write_script(
            &script,
            &format!(
                "#!/bin/sh\n# lab-logger GROUP start|stop|status\n\
                 state='{dir}/running-'\"$1\"\n\
                 case \"$2\" in\n\
                 start) touch \"$state\";;\n\
                 stop) rm -f \"$state\";;\n\
                 status) [ -e \"$state\" ] && echo running || echo stopped; exit 0;;\n\
                 esac\n\
                 echo \"$(date +%s%N) {node} $1 $2\" >> '{log}'\n",
                dir = dir.display(),
                node = node_name(i),
                log = self.actions_log().display()
            ),
        )
    }

    /// The `ha.cf` media lines of node `i`.
    fn media_lines(&self, i: usize) -> String {
        self.media(i).into_iter().map(|(line, _)| line).collect()
    }

    /// Which node each medium of node `i` reaches, in `ha.cf` order (the
    /// order of every node's links in node `i`'s status): `Some(j)` for a
    /// `ucast` line to node `j`, `None` for a `bcast` or `mcast` line,
    /// which reaches every node.
    pub fn media_peers(&self, i: usize) -> Vec<Option<usize>> {
        self.media(i).into_iter().map(|(_, peer)| peer).collect()
    }

    /// Node `i`'s media: each `ha.cf` line, with the one node it reaches
    /// for a `ucast` line.
    fn media(&self, i: usize) -> Vec<(String, Option<usize>)> {
        let peers = (0..self.spec.nodes).filter(|&j| j != i);
        match self.spec.topology {
            Topology::Loopback => peers
                .map(|j| (format!("ucast lo 127.0.0.1:{}\n", self.ports[j]), Some(j)))
                .collect(),
            Topology::Namespaces { links, medium } => (0..links)
                .flat_map(|k| match medium {
                    MediumKind::Bcast => vec![(format!("bcast eth{k}\n"), None)],
                    MediumKind::Mcast => {
                        vec![(format!("mcast eth{k} 239.77.0.{} 694 1 0\n", k + 1), None)]
                    }
                    MediumKind::Ucast => peers
                        .clone()
                        .map(|j| {
                            let line = format!("ucast eth{k} {}\n", Namespaces::address(j, k));
                            (line, Some(j))
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// The namespaces, on a [`Topology::Namespaces`] lab.
    pub fn namespaces(&self) -> Option<&Namespaces> {
        self.namespaces.as_ref()
    }

    /// Sets node `i`'s link `k` up or down (namespace topology only).
    pub fn set_link(&self, i: usize, k: usize, up: bool) -> io::Result<()> {
        match &self.namespaces {
            Some(ns) => ns.set_link(i, k, up),
            None => Err(io::Error::other("links can be cut only in a namespace lab")),
        }
    }

    /// The shared log of resource script calls.
    pub fn actions_log(&self) -> PathBuf {
        self.root.join("actions.log")
    }

    /// Starts (or restarts) node `i`.
    pub fn start(&mut self, i: usize) -> io::Result<()> {
        self.start_with(i, &[])
    }

    /// Starts (or restarts) node `i`, a heartbeatd node getting `extra`
    /// arguments besides the lab's (e.g. `--wire-dialect linux-ha`). A Heartbeat
    /// node takes no extra arguments; this returns once its daemon has
    /// forked into the background and written its pid file.
    pub fn start_with(&mut self, i: usize, extra: &[&str]) -> io::Result<()> {
        let dir = self.node_dir(i);
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path(i))?;
        let mut command = match (&self.namespaces, &self.heartbeat) {
            (Some(ns), Some(heartbeat)) => {
                return self.start_isolated(i, ns.node(i), heartbeat.clone(), extra, log);
            }
            (Some(ns), None) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", &ns.node(i)]).arg(&self.binary);
                c
            }
            (None, _) => match self.spec.fd_limit {
                // prlimit sets its own limit and execs: the pid stays.
                Some(n) => {
                    let mut c = Command::new("prlimit");
                    c.arg(format!("--nofile={n}:{n}")).arg(&self.binary);
                    c
                }
                None => Command::new(&self.binary),
            },
        };
        let child = command
            .arg("--config-dir")
            .arg(dir.join("ha.d"))
            .args(["--node-name", &node_name(i)])
            .arg("--state-dir")
            .arg(dir.join("state"))
            .arg("--control-socket")
            .arg(self.control_socket(i))
            .args(["--script-timeout", "20"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.children[i] = Some(child);
        self.reaped[i] = false;
        Ok(())
    }

    /// Starts node `i` of a Linux-HA lab in its own namespaces.
    fn start_isolated(
        &mut self,
        i: usize,
        ns: String,
        heartbeat: PathBuf,
        extra: &[&str],
        log: fs::File,
    ) -> io::Result<()> {
        let dir = self.node_dir(i);
        if !self.node_pids(i).is_empty() {
            return Err(io::Error::other(format!("{} already runs", node_name(i))));
        }
        let program = match self.kinds[i] {
            NodeKind::Heartbeatd => self.binary.clone(),
            NodeKind::Heartbeat306 if extra.is_empty() => heartbeat,
            NodeKind::Heartbeat306 => {
                return Err(io::Error::other("Heartbeat takes no extra arguments"))
            }
        };
        let mut command = heartbeat306::node_command(&ns, &node_name(i), &dir, &program);
        if self.kinds[i] == NodeKind::Heartbeatd {
            command.args(["--wire-dialect", "linux-ha"]).args(extra);
        } else {
            // A crashed Heartbeat's pid file may name a live process by now.
            let _ = fs::remove_file(dir.join("run/heartbeat.pid"));
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        if self.kinds[i] == NodeKind::Heartbeatd {
            self.children[i] = Some(child);
            self.reaped[i] = false;
            return Ok(());
        }
        let status = child.wait()?;
        let started = self.wait_for(Duration::from_secs(10), |l| {
            heartbeat306::master_pid(&l.node_dir(i))
        });
        match started {
            Some(_) if status.success() => Ok(()),
            _ => Err(io::Error::other(format!(
                "Heartbeat on {} did not start ({status}); see {} and {}",
                node_name(i),
                self.log_path(i).display(),
                self.ha_log(i).display()
            ))),
        }
    }

    /// Starts every node.
    pub fn start_all(&mut self) -> io::Result<()> {
        (0..self.spec.nodes).try_for_each(|i| self.start(i))
    }

    /// Process id of node `i`, while it runs (inside a namespace lab, `ip
    /// netns exec` has exec'ed heartbeatd in the same process; for a
    /// Heartbeat node, its master control process).
    pub fn pid(&self, i: usize) -> Option<u32> {
        match self.kinds[i] {
            NodeKind::Heartbeatd if self.reaped[i] => None,
            NodeKind::Heartbeatd => self.children[i].as_ref().map(Child::id),
            NodeKind::Heartbeat306 => {
                heartbeat306::master_pid(&self.node_dir(i)).and_then(|p| u32::try_from(p).ok())
            }
        }
    }

    /// Every process in node `i`'s network namespace (its daemon, the
    /// daemon's helpers and scripts); empty on a loopback lab.
    pub fn node_pids(&self, i: usize) -> Vec<i32> {
        self.namespaces
            .as_ref()
            .map(|ns| ns.pids(i))
            .unwrap_or_default()
    }

    /// Whether node `i`'s daemon is running.
    pub fn is_running(&mut self, i: usize) -> bool {
        match self.kinds[i] {
            NodeKind::Heartbeatd => match self.children[i].as_mut().map(|c| c.try_wait()) {
                Some(Ok(None)) => true,
                Some(Ok(Some(_))) => {
                    self.reaped[i] = true;
                    false
                }
                _ => false,
            },
            NodeKind::Heartbeat306 => self.pid(i).is_some(),
        }
    }

    /// Kills node `i` with SIGKILL (a crash) and reaps it. Its resources
    /// die with it: `actions.log` gets a `<time> nodeN * killed` line. In a
    /// Linux-HA lab every process of the node dies at once (Heartbeat's
    /// master and its read/write children, running scripts) and the
    /// resources' state files go too, as in a reboot.
    pub fn kill9(&mut self, i: usize) {
        let mut killed = match &self.namespaces {
            Some(ns) if self.is_linux_ha() => ns.kill_all(i),
            _ => false,
        };
        if let Some(mut child) = self.children[i].take() {
            let _ = child.kill();
            let _ = child.wait();
            killed = true;
        }
        if !killed {
            return;
        }
        if self.is_linux_ha() {
            let _ = fs::remove_file(self.node_dir(i).join("run/heartbeat.pid"));
            for (_, g) in &self.spec.groups {
                let _ = fs::remove_file(self.node_dir(i).join(format!("running-{g}")));
            }
        }
        let line = format!("{} {} * killed\n", unix_now_ns(), node_name(i));
        let appended = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.actions_log())
            .and_then(|mut f| io::Write::write_all(&mut f, line.as_bytes()));
        if let Err(e) = appended {
            eprintln!("lab: cannot record the kill of {}: {e}", node_name(i));
        }
    }

    /// Sends SIGTERM to node `i` (graceful shutdown) without waiting.
    pub fn terminate(&mut self, i: usize) {
        self.signal(i, nix::sys::signal::Signal::SIGTERM);
    }

    /// Sends `signal` to node `i`'s process (a Heartbeat node's master
    /// control process), if it runs.
    pub fn signal(&self, i: usize, signal: nix::sys::signal::Signal) {
        if let Some(pid) = self.pid(i).and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal);
        }
    }

    /// Hangs node `i`: SIGSTOP to every process of it (on a namespace lab
    /// every process of its namespace, a Heartbeat node's master control
    /// process and its read/write/FIFO children included, again until all
    /// are stopped; on loopback its daemon), as a frozen host. The
    /// processes stay stopped until killed (a fence, [`Lab::kill9`]).
    /// Whether every process was seen stopped within a few seconds.
    pub fn hang(&mut self, i: usize) -> bool {
        use nix::sys::signal::{kill, Signal};
        if self.namespaces.is_none() {
            self.signal(i, Signal::SIGSTOP);
            return self
                .pid(i)
                .and_then(|p| i32::try_from(p).ok())
                .is_some_and(|p| {
                    self.wait_for(Duration::from_secs(5), |_| is_stopped(p).then_some(()))
                        .is_some()
                });
        }
        self.wait_for(Duration::from_secs(5), |l| {
            let running: Vec<i32> = l
                .node_pids(i)
                .into_iter()
                .filter(|&p| !is_stopped(p))
                .collect();
            for &p in &running {
                let _ = kill(nix::unistd::Pid::from_raw(p), Signal::SIGSTOP);
            }
            running.is_empty().then_some(())
        })
        .is_some()
    }

    /// Replaces node `i`'s `authkeys` (mode 0600) with `text`.
    pub fn write_authkeys(&self, i: usize, text: &str) -> io::Result<()> {
        let path = self.node_dir(i).join("ha.d/authkeys");
        fs::write(&path, text)?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
    }

    /// Waits up to `timeout` for node `i` to exit; its exit code if it did.
    /// A Heartbeat node is not our child: its exit code is unknown, and
    /// `Some(0)` means that every process of the node is gone.
    pub fn wait_exit(&mut self, i: usize, timeout: Duration) -> Option<i32> {
        if self.kinds[i] == NodeKind::Heartbeat306 {
            return self.wait_stopped(i, timeout).then_some(0);
        }
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(child) = self.children[i].as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.children[i] = None;
                    return Some(status.code().unwrap_or(-1));
                }
            } else {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// Waits up to `timeout` until node `i` has stopped: its daemon exited
    /// (reaped if it is our child) and, on a namespace lab, no process is
    /// left in its namespace. Whether it did.
    pub fn wait_stopped(&mut self, i: usize, timeout: Duration) -> bool {
        self.wait_for(timeout, |l| {
            if let Some(Ok(Some(_))) = l.children[i].as_mut().map(|c| c.try_wait()) {
                l.children[i] = None;
            }
            (l.children[i].is_none() && l.pid(i).is_none() && l.node_pids(i).is_empty())
                .then_some(())
        })
        .is_some()
    }

    /// Drops `percent` % of the UDP datagrams to port 694 that reach node
    /// `i` (0: none), with `nft` in its namespace (random drops, either
    /// kind of node).
    pub fn set_rx_loss(&self, i: usize, percent: u32) -> io::Result<()> {
        match &self.namespaces {
            Some(ns) => ns.set_rx_loss(i, percent),
            None => Err(io::Error::other("loss needs a namespace lab")),
        }
    }

    /// Runs a `cl_status` in node `i`'s namespaces: Linux-HA's on a
    /// Heartbeat node, [`LabSpec::cl_status_binary`] on a heartbeatd node
    /// (outside a Linux-HA lab pointed at the node's control socket).
    /// Returns (stdout, stderr, exit code).
    pub fn cl_status(&self, i: usize, args: &[&str]) -> io::Result<(String, String, i32)> {
        let ours = || {
            self.spec
                .cl_status_binary
                .clone()
                .ok_or_else(|| io::Error::other("LabSpec::cl_status_binary is not set"))
        };
        match (&self.namespaces, self.is_linux_ha()) {
            (Some(_), true) => {
                let program = match self.kinds[i] {
                    NodeKind::Heartbeat306 => PathBuf::from("cl_status"),
                    NodeKind::Heartbeatd => ours()?,
                };
                self.run_in(i, &program, args)
            }
            _ => {
                let mut c = Command::new(ours()?);
                c.env("HEARTBEAT_CONTROL_SOCKET", self.control_socket(i))
                    .args(args);
                heartbeat306::output(c)
            }
        }
    }

    /// Runs `program args…` as node `i` of a Linux-HA lab would (its
    /// network, mount and UTS namespaces, its `/etc/ha.d`,
    /// `/var/lib/heartbeat` and `/run`), e.g. Heartbeat's `hb_takeover`:
    /// (stdout, stderr, exit code).
    pub fn run_in(
        &self,
        i: usize,
        program: &Path,
        args: &[&str],
    ) -> io::Result<(String, String, i32)> {
        let ns = self
            .namespaces
            .as_ref()
            .filter(|_| self.is_linux_ha())
            .ok_or_else(|| io::Error::other("run_in needs a Linux-HA namespace lab"))?;
        let mut c =
            heartbeat306::node_command(&ns.node(i), &node_name(i), &self.node_dir(i), program);
        c.args(args);
        heartbeat306::output(c)
    }

    /// `cl_status nodestatus NODE` on node `i`: the status word (`active`,
    /// `dead`, …), or `stdout + stderr` trimmed when it fails to answer.
    pub fn node_status_via_cl_status(&self, i: usize, node: &str) -> String {
        self.cl_status_word(i, &["nodestatus", node])
    }

    /// `cl_status hblinkstatus NODE LINK` on node `i`: `up` or `dead` (or
    /// the error text).
    pub fn link_status_via_cl_status(&self, i: usize, node: &str, link: &str) -> String {
        self.cl_status_word(i, &["hblinkstatus", node, link])
    }

    fn cl_status_word(&self, i: usize, args: &[&str]) -> String {
        match self.cl_status(i, args) {
            Ok((out, err, _)) if out.trim().is_empty() => err.trim().to_owned(),
            Ok((out, _, _)) => out.trim().to_owned(),
            Err(e) => format!("cl_status failed: {e}"),
        }
    }

    /// Asks node `i` for its status.
    pub fn status(&self, i: usize) -> Result<StatusView, ClientError> {
        match call(
            &self.control_socket(i),
            &Request::Status,
            Duration::from_secs(2),
        )? {
            Response::Status(view) => Ok(*view),
            other => Err(ClientError::BadResponse(format!("{other:?}"))),
        }
    }

    /// Whether node `i` answers and sees every node (itself included)
    /// `active`.
    pub fn sees_all_active(&self, i: usize) -> bool {
        self.status(i)
            .is_ok_and(|s| s.nodes.iter().all(|n| n.status == "active"))
    }

    /// Whether every node answers and sees every node `active`.
    pub fn all_active(&self) -> bool {
        (0..self.spec.nodes).all(|i| self.sees_all_active(i))
    }

    /// Sends `request` to node `i`.
    pub fn request(&self, i: usize, request: &Request) -> Result<Response, ClientError> {
        call(&self.control_socket(i), request, Duration::from_secs(2))
    }

    /// Every resource script call so far, in file order.
    pub fn actions(&self) -> Vec<ActionRecord> {
        fs::read_to_string(self.actions_log())
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                Some(ActionRecord {
                    unix_ns: words.next()?.parse().ok()?,
                    node: words.next()?.to_owned(),
                    group: words.next()?.to_owned(),
                    verb: words.next()?.to_owned(),
                })
            })
            .collect()
    }

    /// Polls `check` every 10 ms until it returns `Some` or `timeout` passes.
    pub fn wait_for<T>(
        &mut self,
        timeout: Duration,
        mut check: impl FnMut(&mut Lab) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = check(self) {
                return Some(found);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until `group` runs on node `i` and nowhere else, from the
    /// scripts' log. A test helper: panics with the log if that does not
    /// happen within `timeout`.
    pub fn expect_running_only_on(&mut self, group: &str, i: usize, timeout: Duration) {
        let node = node_name(i);
        let found = self.wait_for(timeout, |l| {
            (l.running(group) == [node.as_str()]).then_some(())
        });
        assert!(
            found.is_some(),
            "{group} should run on {node} only; runs on {:?}; actions {:?}",
            self.running(group),
            self.actions()
        );
    }

    /// Nodes that currently run `group`, from the scripts' log.
    pub fn running(&self, group: &str) -> Vec<String> {
        let mut running: Vec<String> = Vec::new();
        for a in self.actions() {
            match a.verb.as_str() {
                "killed" => running.retain(|n| *n != a.node),
                _ if a.group != group => {}
                "start" if !running.contains(&a.node) => running.push(a.node),
                "stop" => running.retain(|n| *n != a.node),
                _ => {}
            }
        }
        running
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for i in 0..self.children.len() {
            self.kill9(i);
        }
        if std::env::var_os("HB_LAB_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

/// Process state letter of `pid` (`R`, `S`, `T`, `Z`, …), `None` once the
/// process is gone.
fn process_state(pid: i32) -> Option<char> {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()?
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next())
}

/// Whether process `pid` is gone, or a zombie (dead, waiting to be reaped).
pub fn is_gone(pid: i32) -> bool {
    process_state(pid).is_none_or(|state| matches!(state, 'Z' | 'X'))
}

/// Whether process `pid` is stopped (state `T`) or gone.
fn is_stopped(pid: i32) -> bool {
    process_state(pid).is_none_or(|state| matches!(state, 'T' | 't' | 'Z' | 'X'))
}

/// The instant (`actions.log` scale) node `node` was first powered off or
/// killed (its first `killed` line), if it was.
pub fn killed_at(actions: &[ActionRecord], node: &str) -> Option<u128> {
    actions
        .iter()
        .find(|a| a.verb == "killed" && a.node == node)
        .map(|a| a.unix_ns)
}

/// Writes an executable (mode 755) script at `path`.
pub fn write_script(path: &Path, body: &str) -> io::Result<()> {
    fs::write(path, body)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
}

/// Wall-clock now in ns since the Unix epoch (the scale of `actions.log`).
pub fn unix_now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// `n` UDP ports free on 127.0.0.1 right now.
fn free_ports(n: usize) -> io::Result<Vec<u16>> {
    let sockets: Vec<std::net::UdpSocket> = (0..n)
        .map(|_| std::net::UdpSocket::bind("127.0.0.1:0"))
        .collect::<io::Result<_>>()?;
    sockets
        .iter()
        .map(|s| s.local_addr().map(|a| a.port()))
        .collect()
}
