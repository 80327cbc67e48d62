//! A cluster of real heartbeatd processes, for the demo and the integration
//! tests: each node gets its own configuration directory, state directory and
//! control socket under one temporary directory. On [`Topology::Loopback`]
//! every node has its own UDP port and `ucast lo 127.0.0.1:PORT` media to
//! every peer; on [`Topology::Namespaces`] (root only) every node runs in a
//! network namespace of its own with real `ethK` links. The resource script
//! `lab-logger` appends `<unix time in ns> <node> <group> <start|stop>` to
//! `actions.log`, which is how tests and the demo time failovers.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use heartbeat_core::control::client::{call, ClientError};
use heartbeat_core::control::{Request, Response, StatusView};

mod topology;

pub use topology::{ip, MediumKind, Namespaces, Topology};

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
    /// A floating address (`IPaddr` resource, e.g. `10.213.10.100/24/eth0`)
    /// started before `lab-logger` in the first group.
    pub floating_ip: Option<String>,
    /// Extra `ha.cf` lines for every node; `{node}` becomes the node's name
    /// and `{dir}` its directory.
    pub extra_ha_cf: Vec<String>,
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
            floating_ip: None,
            extra_ha_cf: Vec::new(),
        }
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
    namespaces: Option<Namespaces>,
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

    /// The lab's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Directory of node `i`.
    pub fn node_dir(&self, i: usize) -> PathBuf {
        self.root.join(node_name(i))
    }

    /// Control socket of node `i`.
    pub fn control_socket(&self, i: usize) -> PathBuf {
        self.node_dir(i).join("control")
    }

    /// Log file of node `i` (stdout and stderr of every start, appended).
    pub fn log_path(&self, i: usize) -> PathBuf {
        self.node_dir(i).join("heartbeatd.log")
    }

    fn write_node(&self, i: usize) -> io::Result<()> {
        let dir = self.node_dir(i);
        let ha_d = dir.join("ha.d");
        fs::create_dir_all(ha_d.join("resource.d"))?;
        fs::create_dir_all(dir.join("state"))?;
        let s = &self.spec;
        let mut ha_cf = format!(
            "# lab node {name}\nkeepalive {}ms\ndeadtime {}ms\nwarntime {}ms\ninitdead {}ms\n\
             udpport {}\nauto_failback {}\n",
            s.keepalive_ms,
            s.deadtime_ms,
            (s.deadtime_ms / 2).max(s.keepalive_ms + 1),
            s.initdead_ms,
            self.ports[i],
            s.auto_failback,
            name = node_name(i),
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
        fs::write(&authkeys, format!("auth 1\n1 sha256 {}\n", s.secrets[i]))?;
        fs::set_permissions(&authkeys, fs::Permissions::from_mode(0o600))?;
        let haresources: String = s
            .groups
            .iter()
            .enumerate()
            .map(|(n, (pref, g))| {
                let ip = match (&s.floating_ip, n) {
                    (Some(ip), 0) => format!(" IPaddr::{ip}"),
                    _ => String::new(),
                };
                format!("{}{ip} lab-logger::{g}\n", node_name(*pref))
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
        let peers = (0..self.spec.nodes).filter(|&j| j != i);
        match self.spec.topology {
            Topology::Loopback => peers
                .map(|j| format!("ucast lo 127.0.0.1:{}\n", self.ports[j]))
                .collect(),
            Topology::Namespaces { links, medium } => (0..links)
                .map(|k| match medium {
                    MediumKind::Bcast => format!("bcast eth{k}\n"),
                    MediumKind::Mcast => format!("mcast eth{k} 239.77.0.{} 694 1 0\n", k + 1),
                    MediumKind::Ucast => peers
                        .clone()
                        .map(|j| format!("ucast eth{k} {}\n", Namespaces::address(j, k)))
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
        let dir = self.node_dir(i);
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path(i))?;
        let mut command = match &self.namespaces {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", &ns.node(i)]).arg(&self.binary);
                c
            }
            None => Command::new(&self.binary),
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
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.children[i] = Some(child);
        Ok(())
    }

    /// Starts every node.
    pub fn start_all(&mut self) -> io::Result<()> {
        (0..self.spec.nodes).try_for_each(|i| self.start(i))
    }

    /// Process id of node `i`, while it runs (inside a namespace lab, `ip
    /// netns exec` has exec'ed heartbeatd in the same process).
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.children[i].as_ref().map(Child::id)
    }

    /// Whether node `i`'s process is running.
    pub fn is_running(&mut self, i: usize) -> bool {
        matches!(
            self.children[i].as_mut().map(|c| c.try_wait()),
            Some(Ok(None))
        )
    }

    /// Kills node `i` with SIGKILL (a crash) and reaps it. Its resources
    /// die with it: `actions.log` gets a `<time> nodeN * killed` line.
    pub fn kill9(&mut self, i: usize) {
        if let Some(mut child) = self.children[i].take() {
            let _ = child.kill();
            let _ = child.wait();
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
    }

    /// Sends SIGTERM to node `i` (graceful shutdown) without waiting.
    pub fn terminate(&mut self, i: usize) {
        self.signal(i, nix::sys::signal::Signal::SIGTERM);
    }

    /// Sends `signal` to node `i`'s process, if it runs.
    pub fn signal(&self, i: usize, signal: nix::sys::signal::Signal) {
        if let Some(pid) = self.pid(i).and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal);
        }
    }

    /// Replaces node `i`'s `authkeys` (mode 0600) with `text`.
    pub fn write_authkeys(&self, i: usize, text: &str) -> io::Result<()> {
        let path = self.node_dir(i).join("ha.d/authkeys");
        fs::write(&path, text)?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
    }

    /// Waits up to `timeout` for node `i` to exit; its exit code if it did.
    pub fn wait_exit(&mut self, i: usize, timeout: Duration) -> Option<i32> {
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
