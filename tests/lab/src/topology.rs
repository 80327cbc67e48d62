//! Where the lab's nodes live: all on loopback, or each in a network
//! namespace of its own with real `ethK` links to one bridge per link (in a
//! "switch" namespace), like separate hosts on separate networks. The
//! namespaces, bridges and addresses (10.213.(10+k).(i+1)/24, used only
//! inside them) are created by the lab and deleted when it is dropped; root
//! only.

use std::io;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::netns::{ip, kill_all_in, pids_in, set_link_state};

/// The medium kind used on every link of a namespace topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediumKind {
    /// `bcast ethK`.
    Bcast,
    /// `mcast ethK 239.77.0.(k+1) 694 1 0`.
    Mcast,
    /// `ucast ethK <peer address>` for every peer.
    Ucast,
}

/// How the lab's nodes are connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topology {
    /// All nodes on loopback, one `ucast lo 127.0.0.1:PORT` medium per peer.
    Loopback,
    /// One network namespace per node with `links` links (`eth0`, `eth1`, …).
    Namespaces {
        /// Links per node.
        links: usize,
        /// Medium kind on each link.
        medium: MediumKind,
    },
}

/// The namespaces of a [`Topology::Namespaces`] lab; deleted on drop.
#[derive(Debug)]
pub struct Namespaces {
    prefix: String,
    nodes: usize,
    links: usize,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Namespaces {
    /// Creates a switch namespace with one bridge per link and one
    /// namespace per node, its `ethK` plugged into bridge K.
    pub fn create(nodes: usize, links: usize) -> io::Result<Namespaces> {
        let prefix = format!(
            "hbl{}x{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let ns = Namespaces {
            prefix,
            nodes,
            links,
        };
        let sw = ns.switch();
        ip(&["netns", "add", &sw])?;
        ip(&["-n", &sw, "link", "set", "lo", "up"])?;
        for k in 0..links {
            let br = format!("br{k}");
            ip(&["-n", &sw, "link", "add", &br, "type", "bridge"])?;
            ip(&["-n", &sw, "link", "set", &br, "up"])?;
            let gateway = format!("{}/24", Self::switch_address(k));
            ip(&["-n", &sw, "addr", "add", &gateway, "dev", &br])?;
        }
        for i in 0..nodes {
            let node = ns.node(i);
            ip(&["netns", "add", &node])?;
            ip(&["-n", &node, "link", "set", "lo", "up"])?;
            for k in 0..links {
                let port = format!("n{i}e{k}");
                let eth = format!("eth{k}");
                ip(&[
                    "-n", &sw, "link", "add", &port, "type", "veth", "peer", "name", &eth, "netns",
                    &node,
                ])?;
                ip(&["-n", &sw, "link", "set", &port, "master", &format!("br{k}")])?;
                ip(&["-n", &sw, "link", "set", &port, "up"])?;
                let addr = format!("{}/24", Self::address(i, k));
                ip(&["-n", &node, "addr", "add", &addr, "brd", "+", "dev", &eth])?;
                ip(&["-n", &node, "link", "set", &eth, "up"])?;
            }
        }
        Ok(ns)
    }

    /// The namespace of node `i`.
    pub fn node(&self, i: usize) -> String {
        format!("{}n{i}", self.prefix)
    }

    /// The switch namespace (bridges `brK`, addresses `.254`).
    pub fn switch(&self) -> String {
        format!("{}sw", self.prefix)
    }

    /// Address of node `i` on link `k`.
    pub fn address(i: usize, k: usize) -> Ipv4Addr {
        Ipv4Addr::new(10, 213, 10 + k as u8, i as u8 + 1)
    }

    /// Address of the switch on link `k` (a host that is no node).
    pub fn switch_address(k: usize) -> Ipv4Addr {
        Ipv4Addr::new(10, 213, 10 + k as u8, 254)
    }

    /// Number of links per node.
    pub fn links(&self) -> usize {
        self.links
    }

    /// Sets node `i`'s link `k` up or down.
    pub fn set_link(&self, i: usize, k: usize, up: bool) -> io::Result<()> {
        set_link_state(&self.node(i), &format!("eth{k}"), up)
    }

    /// Process ids inside node `i`'s namespace (`ip netns pids`).
    pub fn pids(&self, i: usize) -> Vec<i32> {
        pids_in(&self.node(i))
    }

    /// The inode of node `i`'s namespace: what `/proc/PID/ns/net` of its
    /// processes links to (`net:[INODE]`), seen from any mount namespace.
    pub fn inode(&self, i: usize) -> io::Result<u64> {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(format!("/run/netns/{}", self.node(i))).map(|m| m.ino())
    }

    /// SIGKILLs every process in node `i`'s namespace, all at once, again
    /// until none is left (a daemon may be forking); whether there was any.
    pub fn kill_all(&self, i: usize) -> bool {
        kill_all_in(&self.node(i))
    }

    /// Drops `percent` % of the UDP datagrams to port 694 that reach node
    /// `i` (an `nft` table `lab_loss` in its namespace; 0 removes it).
    pub fn set_rx_loss(&self, i: usize, percent: u32) -> io::Result<()> {
        let ns = self.node(i);
        let _ = Command::new("ip")
            .args([
                "netns", "exec", &ns, "nft", "delete", "table", "inet", "lab_loss",
            ])
            .stderr(Stdio::null())
            .status();
        if percent == 0 {
            return Ok(());
        }
        let rules = format!(
            "table inet lab_loss {{\n chain input {{\n\
             type filter hook input priority 0; policy accept;\n\
             udp dport 694 numgen random mod 100 < {percent} drop\n }}\n}}\n"
        );
        let mut nft = Command::new("ip")
            .args(["netns", "exec", &ns, "nft", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut stdin) = nft.stdin.take() {
            io::Write::write_all(&mut stdin, rules.as_bytes())?;
        }
        let out = nft.wait_with_output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "nft in {ns}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    /// MAC address of node `i`'s link `k`.
    pub fn mac(&self, i: usize, k: usize) -> io::Result<String> {
        let out = Command::new("ip")
            .args([
                "-n",
                &self.node(i),
                "-o",
                "link",
                "show",
                &format!("eth{k}"),
            ])
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace()
            .skip_while(|w| *w != "link/ether")
            .nth(1)
            .map(str::to_owned)
            .ok_or_else(|| io::Error::other(format!("no MAC in {text:?}")))
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for i in 0..self.nodes {
            kill_all_in(&self.node(i));
            let _ = ip(&["netns", "del", &self.node(i)]);
        }
        let _ = ip(&["netns", "del", &self.switch()]);
    }
}
