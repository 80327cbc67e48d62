//! The built-in `IPaddr` resource: a floating IPv4 address.
//!
//! `haresources` writes it as a bare address (`node1 10.0.0.100 httpd`) or
//! `IPaddr::10.0.0.100[/bits[/iface[/broadcast]]]`; `IPaddr2` is read the same
//! way. Start adds the address to the named interface, or to the interface
//! that already holds an address of the same subnet, then announces it with
//! gratuitous ARP (`arping -U`, when installed) so that switches and peers
//! learn the new owner at once. Stop removes it; status prints `running` or
//! `stopped`. Both start and stop are idempotent. Addresses are changed with
//! `ip` from iproute2, called directly with fixed arguments, never a shell.

use std::net::Ipv4Addr;
use std::process::Stdio;

use nix::ifaddrs::getifaddrs;
use tokio::process::Command;

/// The resource names handled by this module instead of a script.
pub const BUILTIN_NAMES: [&str; 2] = ["IPaddr", "IPaddr2"];

/// A floating address as `haresources` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpSpec {
    /// The address.
    pub addr: Ipv4Addr,
    /// Prefix length, if given.
    pub prefix: Option<u8>,
    /// Interface, if given.
    pub iface: Option<String>,
    /// Broadcast address, if given.
    pub broadcast: Option<Ipv4Addr>,
}

/// Why a spec could not be read or an action could not be done.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IpAddrError {
    /// The resource argument is not `addr[/bits[/iface[/broadcast]]]`.
    #[error("IPaddr: cannot read {0:?}: expected ADDR[/BITS[/IFACE[/BROADCAST]]]")]
    BadSpec(String),
    /// No interface holds a subnet that contains the address.
    #[error("IPaddr: no interface has an address in a subnet containing {0}; name one as {0}/BITS/IFACE")]
    NoInterface(Ipv4Addr),
    /// The interfaces could not be listed.
    #[error("IPaddr: cannot list interfaces: {0}")]
    Interfaces(String),
}

impl IpSpec {
    /// Reads the resource arguments (`["10.0.0.100/24/eth0"]`).
    pub fn parse(args: &[String]) -> Result<IpSpec, IpAddrError> {
        let [arg] = args else {
            return Err(IpAddrError::BadSpec(args.join("::")));
        };
        let bad = || IpAddrError::BadSpec(arg.clone());
        let mut parts = arg.split('/');
        let addr = parts.next().and_then(|a| a.parse().ok()).ok_or_else(bad)?;
        let prefix = match parts.next().filter(|p| !p.is_empty()) {
            Some(p) => Some(p.parse::<u8>().ok().filter(|&b| b <= 32).ok_or_else(bad)?),
            None => None,
        };
        let iface = parts.next().filter(|i| !i.is_empty()).map(str::to_owned);
        let broadcast = match parts.next().filter(|b| !b.is_empty()) {
            Some(b) => Some(b.parse().map_err(|_| bad())?),
            None => None,
        };
        if parts.next().is_some() || iface.as_deref().is_some_and(|i| !valid_iface(i)) {
            return Err(bad());
        }
        Ok(IpSpec {
            addr,
            prefix,
            iface,
            broadcast,
        })
    }
}

/// One IPv4 address configured on an interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfaceAddr {
    /// Interface name.
    pub iface: String,
    /// Address.
    pub addr: Ipv4Addr,
    /// Prefix length.
    pub prefix: u8,
}

/// Every IPv4 address of this network namespace.
pub fn interface_addresses() -> Result<Vec<IfaceAddr>, IpAddrError> {
    let addrs = getifaddrs().map_err(|e| IpAddrError::Interfaces(e.to_string()))?;
    Ok(addrs
        .filter_map(|ifa| {
            let addr = ifa.address?.as_sockaddr_in()?.ip();
            let mask = ifa.netmask?.as_sockaddr_in()?.ip();
            Some(IfaceAddr {
                iface: ifa.interface_name,
                addr,
                prefix: u32::from(mask).count_ones() as u8,
            })
        })
        .collect())
}

/// Where `spec` goes: (interface, prefix length), given the current addresses.
pub fn placement(spec: &IpSpec, current: &[IfaceAddr]) -> Result<(String, u8), IpAddrError> {
    let holder = current.iter().find(|a| {
        let prefix = spec.prefix.unwrap_or(a.prefix);
        a.addr != spec.addr
            && spec.iface.as_ref().is_none_or(|i| *i == a.iface)
            && same_subnet(a.addr, spec.addr, prefix)
    });
    match (holder, &spec.iface) {
        (Some(h), _) => Ok((h.iface.clone(), spec.prefix.unwrap_or(h.prefix))),
        (None, Some(iface)) => Ok((iface.clone(), spec.prefix.unwrap_or(32))),
        (None, None) => Err(IpAddrError::NoInterface(spec.addr)),
    }
}

fn same_subnet(a: Ipv4Addr, b: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(a) & mask == u32::from(b) & mask
}

fn valid_iface(name: &str) -> bool {
    !name.is_empty()
        && name.len() < 16
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:@".contains(&b))
}

/// Runs `verb` (`start`, `stop`, `status`) for the resource arguments and
/// returns (success, output for the log).
pub async fn run(args: &[String], verb: &str) -> (bool, String) {
    let outcome = match IpSpec::parse(args) {
        Err(e) => Err(e.to_string()),
        Ok(spec) => match verb {
            "start" => start(&spec).await,
            "stop" => stop(&spec).await,
            "status" => status(&spec),
            other => Err(format!("IPaddr: unknown action {other:?}")),
        },
    };
    match outcome {
        Ok(out) => (true, out),
        Err(out) => (false, out),
    }
}

fn present(spec: &IpSpec) -> Result<Option<IfaceAddr>, String> {
    let current = interface_addresses().map_err(|e| e.to_string())?;
    Ok(current.into_iter().find(|a| a.addr == spec.addr))
}

async fn start(spec: &IpSpec) -> Result<String, String> {
    if let Some(existing) = present(spec)? {
        return Ok(format!("{} already on {}\n", spec.addr, existing.iface));
    }
    let current = interface_addresses().map_err(|e| e.to_string())?;
    let (iface, prefix) = placement(spec, &current).map_err(|e| e.to_string())?;
    let cidr = format!("{}/{prefix}", spec.addr);
    let brd = spec
        .broadcast
        .map_or_else(|| "+".to_owned(), |b| b.to_string());
    let mut log = run_tool(
        "ip",
        &["-4", "addr", "add", &cidr, "brd", &brd, "dev", &iface],
    )
    .await?;
    if iface != "lo" {
        log.push_str(&announce(&iface, spec.addr));
    }
    Ok(log)
}

/// Sends gratuitous ARP in the background (like Heartbeat's `send_arp`), so
/// that the start does not wait for it; returns a line for the log.
fn announce(iface: &str, addr: Ipv4Addr) -> String {
    let addr = addr.to_string();
    let args = ["-U", "-c", "3", "-w", "3", "-I", iface, addr.as_str()];
    match Command::new("arping")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(mut child) => {
            tokio::spawn(async move { child.wait().await });
            format!("arping {} (background)\n", args.join(" "))
        }
        Err(e) => format!("gratuitous ARP not sent: arping: {e}\n"),
    }
}

async fn stop(spec: &IpSpec) -> Result<String, String> {
    let Some(existing) = present(spec)? else {
        return Ok(format!("{} not configured\n", spec.addr));
    };
    let cidr = format!("{}/{}", existing.addr, existing.prefix);
    run_tool("ip", &["-4", "addr", "del", &cidr, "dev", &existing.iface]).await
}

fn status(spec: &IpSpec) -> Result<String, String> {
    Ok(match present(spec)? {
        Some(a) => format!("{} is running on {}\n", spec.addr, a.iface),
        None => format!("{} is stopped\n", spec.addr),
    })
}

/// Runs a tool with fixed arguments; Ok with its output when it exits 0.
async fn run_tool(tool: &str, args: &[&str]) -> Result<String, String> {
    let line = format!("{tool} {}", args.join(" "));
    let out = Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(std::time::Duration::from_secs(10), out).await {
        Err(_) => Err(format!("{line}: timed out\n")),
        Ok(Err(e)) => Err(format!("{line}: {e}\n")),
        Ok(Ok(out)) => {
            let text = format!(
                "{line}\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            if out.status.success() {
                Ok(text)
            } else {
                Err(text)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> Result<IpSpec, IpAddrError> {
        IpSpec::parse(&[s.to_owned()])
    }

    fn ifa(iface: &str, addr: &str, prefix: u8) -> IfaceAddr {
        IfaceAddr {
            iface: iface.into(),
            addr: addr.parse().unwrap(),
            prefix,
        }
    }

    #[test]
    fn specs_parse_in_every_form() {
        let full = spec("10.0.0.100/24/eth0/10.0.0.255").unwrap();
        assert_eq!(full.addr, Ipv4Addr::new(10, 0, 0, 100));
        assert_eq!(full.prefix, Some(24));
        assert_eq!(full.iface.as_deref(), Some("eth0"));
        assert_eq!(full.broadcast, Some(Ipv4Addr::new(10, 0, 0, 255)));
        let bare = spec("10.0.0.100").unwrap();
        assert_eq!((bare.prefix, bare.iface), (None, None));
        assert_eq!(
            spec("10.0.0.100//eth1").unwrap().iface.as_deref(),
            Some("eth1")
        );
        for bad in [
            "",
            "10.0.0",
            "10.0.0.1/33",
            "10.0.0.1/24/eth0/x",
            "1.2.3.4/8/a b",
            "1.2.3.4/8/e/1.1.1.1/x",
        ] {
            assert!(spec(bad).is_err(), "{bad}");
        }
        assert!(IpSpec::parse(&[]).is_err());
    }

    #[test]
    fn placement_picks_the_interface_of_the_subnet() {
        let current = [
            ifa("lo", "127.0.0.1", 8),
            ifa("eth0", "10.0.0.5", 24),
            ifa("eth1", "192.168.7.2", 16),
        ];
        assert_eq!(
            placement(&spec("10.0.0.100").unwrap(), &current),
            Ok(("eth0".into(), 24))
        );
        assert_eq!(
            placement(&spec("192.168.9.9").unwrap(), &current),
            Ok(("eth1".into(), 16))
        );
        assert_eq!(
            placement(&spec("10.0.0.100/25").unwrap(), &current),
            Ok(("eth0".into(), 25))
        );
        assert_eq!(
            placement(&spec("172.16.0.1/24/eth1").unwrap(), &current),
            Ok(("eth1".into(), 24))
        );
        assert_eq!(
            placement(&spec("172.16.0.1").unwrap(), &current),
            Err(IpAddrError::NoInterface(Ipv4Addr::new(172, 16, 0, 1)))
        );
    }
}
