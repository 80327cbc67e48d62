//! Showing a [`Config`]: the effective configuration with every default, in
//! `ha.cf` syntax like `heartbeat -D`, and a `Debug` that never shows secrets.

use std::fmt;

use super::authkeys::method_name;
use super::time::format_ms;
use super::{
    AutoFailback, Config, FenceAgent, Medium, MsgFormat, Safety, StonithHost, StonithParams,
};

/// The effective configuration of a [`Config`], one `directive value` per
/// line, defaults included; key secrets, fence agent passwords and
/// `stonith_host` parameters are never shown. See
/// [`Config::effective`].
#[derive(Clone, Copy)]
pub struct Effective<'a>(&'a Config);

impl Config {
    /// The effective configuration, printable with `{}`.
    pub fn effective(&self) -> Effective<'_> {
        Effective(self)
    }
}

impl AutoFailback {
    /// The `ha.cf` word: `on`, `off` or `legacy`.
    pub fn as_str(self) -> &'static str {
        match self {
            AutoFailback::On => "on",
            AutoFailback::Off => "off",
            AutoFailback::Legacy => "legacy",
        }
    }
}

impl MsgFormat {
    /// The `ha.cf` word: `classic` or `netstring`.
    pub fn as_str(self) -> &'static str {
        match self {
            MsgFormat::Classic => "classic",
            MsgFormat::Netstring => "netstring",
        }
    }
}

impl fmt::Display for Medium {
    /// The `ha.cf` line declaring this medium.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Medium::Bcast { dev } => write!(f, "bcast {dev}"),
            Medium::Mcast {
                dev,
                group,
                port,
                ttl,
                loopback,
            } => write!(
                f,
                "mcast {dev} {group} {port} {ttl} {}",
                u8::from(*loopback)
            ),
            Medium::Ucast { dev, peer } => write!(f, "ucast {dev} {peer}"),
        }
    }
}

impl fmt::Display for Effective<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        let t = &c.timing;
        writeln!(f, "# effective configuration of node {}", c.local_node)?;
        writeln!(f, "# ha.cf (defaults included)")?;
        writeln!(f, "cluster {}", c.cluster)?;
        for node in &c.nodes {
            writeln!(f, "node {node}")?;
        }
        writeln!(f, "keepalive {}", format_ms(t.keepalive))?;
        writeln!(f, "deadtime {}", format_ms(t.deadtime))?;
        writeln!(f, "warntime {}", format_ms(t.warntime))?;
        writeln!(f, "initdead {}", format_ms(t.initdead))?;
        writeln!(f, "deadping {}", format_ms(t.deadping))?;
        writeln!(f, "udpport {}", c.udp_port)?;
        for medium in &c.media {
            writeln!(f, "{medium}")?;
        }
        for ping in &c.ping_nodes {
            if ping.hosts.len() == 1 && ping.hosts[0].eq_ignore_ascii_case(&ping.name) {
                writeln!(f, "ping {}", ping.hosts[0])?;
            } else {
                writeln!(f, "ping_group {} {}", ping.name, ping.hosts.join(" "))?;
            }
        }
        writeln!(f, "auto_failback {}", c.auto_failback.as_str())?;
        writeln!(f, "max_rexmit_delay {}", c.max_rexmit_delay.as_millis())?;
        writeln!(f, "hopfudge {}", c.hopfudge)?;
        writeln!(f, "realtime {}", c.realtime)?;
        writeln!(f, "msgfmt {}", c.msgfmt.as_str())?;
        if c.compression != super::CompressionSettings::default() {
            writeln!(f, "compression {}", c.compression.algorithm.as_str())?;
            writeln!(f, "compression_threshold {}", c.compression.threshold_kib)?;
            writeln!(f, "traditional_compression {}", c.compression.traditional)?;
        }
        writeln!(f, "wire_dialect {}", c.wire_dialect.as_str())?;
        if let Some(address) = c.metrics_listen {
            writeln!(f, "metrics_listen {address}")?;
        }
        for child in &c.respawn {
            writeln!(f, "{} {} {}", child.directive(), child.user, child.command)?;
        }
        writeln!(
            f,
            "logfacility {}",
            c.logging.facility.as_deref().unwrap_or("none")
        )?;
        if let Some(path) = &c.logging.logfile {
            writeln!(f, "logfile {}", path.display())?;
        }
        if let Some(path) = &c.logging.debugfile {
            writeln!(f, "debugfile {}", path.display())?;
        }
        writeln!(f, "debug {}", c.logging.debug)?;
        writeln!(f, "pacemaker false")?;
        writeln!(f, "autojoin none")?;
        write_safety(f, &c.safety)?;
        writeln!(f, "# authkeys (secrets not shown)")?;
        writeln!(f, "auth {}", c.keys.active)?;
        for (index, key) in &c.keys.keys {
            writeln!(f, "{index} {}", method_name(key.method))?;
        }
        writeln!(f, "# haresources: group KEY PREFERRED-NODE RESOURCE...")?;
        for group in &c.groups {
            write!(f, "group {} {}", group.key, group.preferred_node)?;
            for r in &group.resources {
                write!(f, " {}", r.script)?;
                for arg in &r.args {
                    write!(f, "::{arg}")?;
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The split-brain settings in `ha.cf` syntax: fence agent passwords and
/// `stonith_host` parameters (which may be passwords) as `***`.
fn write_safety(f: &mut fmt::Formatter<'_>, s: &Safety) -> fmt::Result {
    let hidden =
        |params: &StonithParams| matches!(params, StonithParams::Positional(v) if !v.is_empty());
    if s.stonith.iter().any(|d| hidden(&d.params)) {
        writeln!(
            f,
            "# stonith_host parameters are not shown (they may hold passwords)"
        )?;
    }
    for device in &s.stonith {
        let host = match &device.host {
            StonithHost::Any => "*",
            StonithHost::Node(node) => node,
        };
        match &device.params {
            StonithParams::ConfigFile(path) if device.host == StonithHost::Any => {
                writeln!(f, "stonith {} {}", device.kind, path.display())?;
            }
            StonithParams::ConfigFile(path) => {
                writeln!(
                    f,
                    "stonith {} {} # used from {host}",
                    device.kind,
                    path.display()
                )?;
            }
            StonithParams::Positional(values) => {
                write!(f, "stonith_host {host} {}", device.kind)?;
                for _ in values {
                    write!(f, " ***")?;
                }
                writeln!(f)?;
            }
        }
    }
    for agent in &s.fence_agents {
        write!(f, "fence_agent {} {}", agent.target, agent.agent)?;
        for (key, value) in &agent.options {
            write!(f, " {key}={}", FenceAgent::shown_value(key, value))?;
        }
        writeln!(f)?;
    }
    writeln!(f, "fence_delay {}", format_ms(s.fence_delay))?;
    writeln!(f, "fence_timeout {}", format_ms(s.fence_timeout))?;
    writeln!(f, "quorum {}", if s.quorum { "on" } else { "off" })?;
    if let Some(path) = &s.watchdog {
        writeln!(f, "watchdog {}", path.display())?;
    }
    Ok(())
}

impl fmt::Debug for Config {
    /// All fields; keys by index and method, never their secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<(u8, &'static str)> = self
            .keys
            .keys
            .iter()
            .map(|(i, k)| (*i, method_name(k.method)))
            .collect();
        f.debug_struct("Config")
            .field("local_node", &self.local_node)
            .field("cluster", &self.cluster)
            .field("nodes", &self.nodes)
            .field("timing", &self.timing)
            .field("udp_port", &self.udp_port)
            .field("media", &self.media)
            .field("ping_nodes", &self.ping_nodes)
            .field("auto_failback", &self.auto_failback)
            .field("max_rexmit_delay", &self.max_rexmit_delay)
            .field("logging", &self.logging)
            .field("hopfudge", &self.hopfudge)
            .field("realtime", &self.realtime)
            .field("msgfmt", &self.msgfmt)
            .field("compression", &self.compression)
            .field("wire_dialect", &self.wire_dialect)
            .field("metrics_listen", &self.metrics_listen)
            .field("safety", &self.safety)
            .field("raw_parameters", &self.raw_parameters)
            .field("active_key", &self.keys.active)
            .field("keys", &keys)
            .field("groups", &self.groups)
            .field("warnings", &self.warnings)
            .finish()
    }
}
