//! Test hosts: one network namespace per node, each node's `ethK` a veth
//! whose other end is a port of bridge `brK` in a switch namespace of its
//! own. Addresses are 10.214.(10+K).(i+1)/24 on node i's link K, used only
//! inside these namespaces; the root namespace is never touched. Everything
//! is deleted on drop (processes inside are killed first).

use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::cleanup;
use crate::error::{Error, IoContext, Result};
pub use heartbeat_lab::{kill_all_in, pids_in};

/// Prefix of every namespace this benchmark creates, followed by its pid.
pub const PREFIX: &str = "hbbench";

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A set of test hosts on one or more switched links.
#[derive(Debug)]
pub struct Hosts {
    tag: String,
    nodes: usize,
    links: usize,
}

impl Hosts {
    /// Creates the switch and `nodes` hosts with `links` links each.
    pub fn create(nodes: usize, links: usize) -> Result<Hosts> {
        let tag = format!(
            "{PREFIX}{}x{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let hosts = Hosts { tag, nodes, links };
        // Namespaces first, then one `ip -batch` per namespace (hundreds of
        // separate `ip` runs would take tens of seconds for 64 nodes).
        let sw = hosts.switch();
        add_namespace(&sw)?;
        for i in 0..nodes {
            add_namespace(&hosts.node(i))?;
        }
        let mut switch = vec!["link set lo up".to_string()];
        for k in 0..links {
            // Forward at once: no STP, no learning delay.
            switch.push(format!("link add br{k} type bridge forward_delay 0"));
            switch.push(format!("link set br{k} up"));
        }
        for i in 0..nodes {
            for k in 0..links {
                switch.push(format!(
                    "link add n{i}e{k} type veth peer name eth{k} netns {}",
                    hosts.node(i)
                ));
                switch.push(format!("link set n{i}e{k} master br{k}"));
                switch.push(format!("link set n{i}e{k} up"));
            }
        }
        ip_batch(&sw, &switch)?;
        for i in 0..nodes {
            let mut node = vec!["link set lo up".to_string()];
            for k in 0..links {
                node.push(format!("addr add {}/24 brd + dev eth{k}", address(i, k)));
                node.push(format!("link set eth{k} up"));
            }
            ip_batch(&hosts.node(i), &node)?;
        }
        Ok(hosts)
    }

    /// Namespace of node `i` (0-based).
    pub fn node(&self, i: usize) -> String {
        format!("{}n{i}", self.tag)
    }

    /// The switch namespace.
    pub fn switch(&self) -> String {
        format!("{}sw", self.tag)
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// Number of links per node.
    pub fn links(&self) -> usize {
        self.links
    }

    /// Sets node `i`'s link `k` up or down.
    pub fn set_link(&self, i: usize, k: usize, up: bool) -> Result<()> {
        let node = self.node(i);
        heartbeat_lab::netns::set_link_state(&node, &format!("eth{k}"), up)
            .context(|| format!("setting eth{k} of {node}"))
    }

    /// Inode of node `i`'s network namespace: what its processes'
    /// `/proc/PID/ns/net` links name (`net:[INODE]`).
    pub fn netns_inode(&self, i: usize) -> Result<u64> {
        use std::os::unix::fs::MetadataExt;
        let path = format!("/run/netns/{}", self.node(i));
        std::fs::metadata(&path)
            .map(|m| m.ino())
            .context(|| format!("stat {path}"))
    }

    /// Process ids inside node `i`'s namespace.
    pub fn pids(&self, i: usize) -> Vec<i32> {
        pids_in(&self.node(i))
    }

    /// Packets the nodes have sent into the switch so far (sum over every
    /// port: a port's rx is its node's tx).
    pub fn packets_sent(&self) -> u64 {
        let out = Command::new("ip")
            .args(["-n", &self.switch(), "-s", "-o", "link", "show"])
            .output();
        let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        text.map(|t| parse_port_rx_packets(&t)).unwrap_or(0)
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        let mut all: Vec<String> = (0..self.nodes).map(|i| self.node(i)).collect();
        all.push(self.switch());
        for ns in &all {
            kill_all_in(ns);
        }
        for ns in &all {
            let _ = delete(ns);
        }
    }
}

/// Address of node `i` on link `k`.
pub fn address(i: usize, k: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 214, 10 + k as u8, i as u8 + 1)
}

fn add_namespace(name: &str) -> Result<()> {
    if cleanup::interrupted() {
        return Err(Error::Interrupted);
    }
    cleanup::register_namespace(name);
    ip(&["netns", "add", name])
}

/// Runs `ip -n NS -batch -` with `lines` on its standard input.
fn ip_batch(ns: &str, lines: &[String]) -> Result<()> {
    use std::io::Write;
    let mut child = Command::new("ip")
        .args(["-n", ns, "-batch", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context(|| format!("running ip -n {ns} -batch"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all((lines.join("\n") + "\n").as_bytes())
            .context(|| "writing ip's batch".into())?;
    }
    let out = child
        .wait_with_output()
        .context(|| "waiting for ip -batch".into())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Command {
            command: format!("ip -n {ns} -batch ({} commands)", lines.len()),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// Deletes namespace `name` and forgets it.
pub fn delete(name: &str) -> Result<()> {
    let r = ip(&["netns", "del", name]);
    cleanup::unregister_namespace(name);
    r
}

/// Namespaces of this process that exist right now.
pub fn ours() -> Vec<String> {
    let mine = format!("{PREFIX}{}x", std::process::id());
    all_named()
        .into_iter()
        .filter(|n| n.starts_with(&mine))
        .collect()
}

/// Removes namespaces left by an earlier run of this benchmark that was
/// killed without a chance to clean up (its pid no longer exists).
pub fn remove_stale() -> Vec<String> {
    let mut removed = Vec::new();
    for name in all_named() {
        let Some(pid) = stale_owner(&name) else {
            continue;
        };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        kill_all_in(&name);
        if ip(&["netns", "del", &name]).is_ok() {
            removed.push(name);
        }
    }
    removed
}

/// The pid in a name of ours (`hbbench<pid>x…`), if it is one.
pub fn stale_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(PREFIX)?;
    let (pid, _) = rest.split_once('x')?;
    pid.parse().ok()
}

fn all_named() -> Vec<String> {
    Command::new("ip")
        .args(["netns", "list"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Sum of the RX packet counters of the bridge ports in `ip -s -o link`
/// output (bridges themselves and `lo` are skipped).
pub fn parse_port_rx_packets(text: &str) -> u64 {
    text.lines()
        .filter(|l| l.contains("master br"))
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let rx = words.iter().position(|w| w.starts_with("RX:"))?;
            // "RX:  bytes packets errors …\    <bytes> <packets> …"
            let header_len = words[rx..].iter().position(|w| w.ends_with('\\'))?;
            words.get(rx + header_len + 2)?.parse::<u64>().ok()
        })
        .sum()
}

/// Runs `ip args…`; an error carries its stderr.
pub fn ip(args: &[&str]) -> Result<()> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .context(|| format!("running ip {}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Command {
            command: format!("ip {}", args.join(" ")),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_private_and_per_link() {
        assert_eq!(address(0, 0), Ipv4Addr::new(10, 214, 10, 1));
        assert_eq!(address(63, 1), Ipv4Addr::new(10, 214, 11, 64));
    }

    #[test]
    fn port_rx_packets_are_summed_over_bridge_ports() {
        let text = "2: br0: <UP> mtu 1500 state UP\\    link/ether x\\    RX:  bytes packets errors dropped  missed   mcast           \\         9999      99      0       0       0       0 \\
3: n0e0@if2: <UP> mtu 1500 qdisc noqueue master br0 state UP\\    link/ether d6\\    RX:  bytes packets errors dropped  missed   mcast           \\           266       3      0       0       0       0 \\    TX:  bytes packets errors dropped carrier collsns           \\           484       6      0       0       0       0 
4: n1e0@if2: <UP> mtu 1500 qdisc noqueue master br0 state UP\\    link/ether d7\\    RX:  bytes packets errors dropped  missed   mcast           \\           100       4      0       0       0       0 \\    TX:  bytes packets errors dropped carrier collsns           \\           484       6      0       0       0       0 
";
        assert_eq!(parse_port_rx_packets(text), 7);
    }

    #[test]
    fn stale_names_carry_their_owner_pid() {
        assert_eq!(stale_owner("hbbench1234x0n1"), Some(1234));
        assert_eq!(stale_owner("hbl1234x0n1"), None);
        assert_eq!(stale_owner("hbbenchx"), None);
    }
}
