//! The `ha.cf` parser: directives, in file order, into [`HaCf`].
//!
//! Linux-HA syntax: one directive per line, `#` comments anywhere, tokens
//! separated by space, tab and comma. List directives (`node`, `bcast`,
//! `ping`) take any number of values; the others exactly what they need.
//! Directives Heartbeat 3.0.6 knows but heartbeat-rs does not implement are
//! checked and accepted with a warning (see [`super::compat`]); a directive
//! Heartbeat does not know is an error. The split-brain directives
//! (`stonith`, `stonith_host`, `fence_agent`, `fence_delay`,
//! `fence_timeout`, `quorum`, `watchdog`) are read by `safety_lines`.

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::compat::{self, Shape, BOOL_EXPECTED};
use super::error::{ConfigError, ConfigErrorKind as K, ConfigErrors, Parsed};
use super::lexer::{ha_cf_lines, Line};
use super::time::{parse_time, TIME_EXPECTED};
use super::timing::{Resolved, TimerSettings};
use super::{names, AutoFailback, Logging, Medium, MsgFormat, PingNode, Timing, WireDialect};
use crate::wire::MAX_NODE_NAME;

mod safety_lines;

/// Default UDP port (`ha-cluster` in /etc/services).
pub const DEFAULT_UDP_PORT: u16 = 694;
/// Default cluster name.
pub const DEFAULT_CLUSTER: &str = "linux-ha";
/// Default `max_rexmit_delay`.
pub const DEFAULT_MAX_REXMIT_DELAY: Duration = Duration::from_millis(250);
/// Default `hopfudge`.
pub const DEFAULT_HOPFUDGE: u8 = 1;

/// Syslog facility names `logfacility` accepts (besides `none`).
const FACILITIES: &[&str] = &[
    "auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news", "syslog", "user",
    "uucp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

/// Directives whose values Heartbeat does not record as parameters
/// (`cl_status hbparameter` cannot read them): node lists, media, ping
/// nodes, child processes, API permissions, STONITH, environment; and
/// heartbeat-rs's `fence_agent`, whose options carry passwords.
const NOT_RECORDED: &[&str] = &[
    "node",
    "bcast",
    "mcast",
    "mcast6",
    "ucast",
    "ucast6",
    "serial",
    "ping",
    "ping6",
    "ping_group",
    "hbaping",
    "respawn",
    "failfast",
    "apiauth",
    "stonith",
    "stonith_host",
    "fence_agent",
    "env",
    "nice_failback",
    "check",
    "track",
    "notify_master",
    "notify_backup",
    "notify_fault",
];

/// `crm`/`pacemaker` values that enable Pacemaker (refused here).
const PACEMAKER_ON: &[&str] = &[
    "true", "on", "yes", "y", "1", "respawn", "minimal", "manual", "ccm-only", "valgrind",
];

/// Everything `ha.cf` says, with defaults applied, validated on its own (the
/// checks that need the local node name or the other files are done by
/// [`super::Config::load`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HaCf {
    /// `cluster`.
    pub cluster: String,
    /// `node` names, lower case, in file order, without duplicates.
    pub nodes: Vec<String>,
    /// Timers with their defaults.
    pub timing: Timing,
    /// `udpport`.
    pub udp_port: u16,
    /// Media in file order.
    pub media: Vec<Medium>,
    /// Ping nodes in file order.
    pub ping_nodes: Vec<PingNode>,
    /// `check` and `track` lines.
    pub health: super::Health,
    /// `auto_failback` (or the obsolete `nice_failback`).
    pub auto_failback: AutoFailback,
    /// `max_rexmit_delay`.
    pub max_rexmit_delay: Duration,
    /// Logging directives.
    pub logging: Logging,
    /// `hopfudge`.
    pub hopfudge: u8,
    /// `realtime`.
    pub realtime: bool,
    /// `msgfmt`.
    pub msgfmt: MsgFormat,
    /// `compression`, `compression_threshold`, `traditional_compression`.
    pub compression: super::CompressionSettings,
    /// `wire_dialect`.
    pub wire_dialect: WireDialect,
    /// `metrics_listen` (a heartbeat-rs directive): where heartbeatd serves
    /// `/metrics` and its status page; off when absent.
    pub metrics_listen: Option<SocketAddr>,
    /// `respawn` and `failfast` lines, in file order.
    pub respawn: Vec<super::RespawnChild>,
    /// Fencing, quorum and watchdog (`stonith`, `stonith_host`,
    /// `fence_agent`, `fence_delay`, `fence_timeout`, `quorum`, `watchdog`).
    pub safety: super::Safety,
    /// The other directives' values as written (lower-case directive name →
    /// its values joined by one space; the last line wins), what Heartbeat
    /// records and `cl_status hbparameter` reads. Node lists, media, ping
    /// nodes, `respawn`, `apiauth`, `stonith`, `stonith_host`,
    /// `fence_agent` and `env` are not recorded.
    pub raw_parameters: BTreeMap<String, String>,
    /// Warnings (`file:line: ...`): directives without effect, overridden values.
    pub warnings: Vec<String>,
}

/// Parses an `ha.cf` text; `file` names it in messages. Returns every error
/// found, not only the first.
pub fn parse_ha_cf(text: &str, file: &Path) -> Result<HaCf, ConfigErrors> {
    let parsed = parse(text, file);
    let warnings = parsed.warnings.clone();
    parsed.into_result().map(|mut hacf| {
        hacf.warnings = warnings;
        hacf
    })
}

/// What a parse checks besides the text itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Checks {
    /// The text only (configurations built in memory, tests, fuzzing).
    #[default]
    TextOnly,
    /// Also this machine: `ucast` host names must resolve, interfaces that
    /// do not exist are warned about (a configuration directory loaded
    /// from disk, as `heartbeatd --check` and start do).
    Environment,
}

/// Parses without stopping: a value built from the valid lines, plus errors.
pub(crate) fn parse(text: &str, file: &Path) -> Parsed<HaCf> {
    parse_with(text, file, Checks::TextOnly)
}

/// [`parse`], with the given [`Checks`].
pub(crate) fn parse_with(text: &str, file: &Path, checks: Checks) -> Parsed<HaCf> {
    let mut b = Builder::new(file, checks);
    let raw: Vec<&str> = text.lines().collect();
    for line in ha_cf_lines(text) {
        let name = line.tokens[0].to_ascii_lowercase();
        if name == "respawn" || name == "failfast" {
            // The command is the rest of the line as written: commas and
            // spaces inside it are the command's, not separators.
            let body = raw[line.number - 1].split('#').next().unwrap_or("");
            let rest = body.trim_start().get(line.tokens[0].len()..).unwrap_or("");
            b.respawn(line.number, rest, name == "failfast");
        } else {
            b.directive(&line);
        }
    }
    b.finish()
}

struct Builder {
    file: PathBuf,
    checks: Checks,
    /// A timer directive had an invalid value: the checks between timers
    /// would only report follow-on errors computed from defaults.
    timer_invalid: bool,
    errors: Vec<ConfigError>,
    warnings: Vec<String>,
    /// Line where each single-valued directive was last set.
    seen: HashMap<String, usize>,
    cluster: Option<String>,
    nodes: Vec<(String, usize)>,
    timers: TimerSettings,
    udp_port: Option<u16>,
    media: Vec<Medium>,
    ping_nodes: Vec<(PingNode, usize)>,
    health: super::Health,
    auto_failback: Option<AutoFailback>,
    max_rexmit_delay: Option<Duration>,
    logging: Logging,
    hopfudge: Option<u8>,
    realtime: Option<bool>,
    msgfmt: Option<MsgFormat>,
    compression: super::CompressionSettings,
    wire_dialect: Option<WireDialect>,
    metrics_listen: Option<SocketAddr>,
    respawn: Vec<super::RespawnChild>,
    safety: safety_lines::SafetyLines,
    raw_parameters: BTreeMap<String, String>,
}

impl Builder {
    fn new(file: &Path, checks: Checks) -> Self {
        Builder {
            file: file.to_path_buf(),
            checks,
            timer_invalid: false,
            errors: Vec::new(),
            warnings: Vec::new(),
            seen: HashMap::new(),
            cluster: None,
            nodes: Vec::new(),
            timers: TimerSettings::default(),
            udp_port: None,
            media: Vec::new(),
            ping_nodes: Vec::new(),
            health: super::Health::default(),
            auto_failback: None,
            max_rexmit_delay: None,
            logging: Logging::default(),
            hopfudge: None,
            realtime: None,
            msgfmt: None,
            compression: super::CompressionSettings::default(),
            wire_dialect: None,
            metrics_listen: None,
            respawn: Vec::new(),
            safety: safety_lines::SafetyLines::default(),
            raw_parameters: BTreeMap::new(),
        }
    }

    fn error(&mut self, line: usize, kind: K) {
        self.errors.push(ConfigError::at(&self.file, line, kind));
    }

    fn warn(&mut self, line: usize, message: impl std::fmt::Display) {
        self.warnings
            .push(format!("{}:{line}: {message}", self.file.display()));
    }

    fn invalid(&mut self, line: usize, directive: &str, value: &str, expected: &str) {
        self.error(
            line,
            K::InvalidValue {
                directive: directive.to_string(),
                value: value.to_string(),
                expected: expected.to_string(),
            },
        );
    }

    /// Checks that `values` has between `min` and `max` tokens; reports otherwise.
    fn arity(
        &mut self,
        line: usize,
        directive: &str,
        values: &[&str],
        min: usize,
        max: Option<usize>,
        expected: &str,
    ) -> bool {
        if values.len() < min {
            self.error(
                line,
                K::MissingValue {
                    directive: directive.to_string(),
                    expected: expected.to_string(),
                },
            );
            return false;
        }
        if let Some(max) = max {
            if values.len() > max {
                self.error(
                    line,
                    K::ExtraValue {
                        directive: directive.to_string(),
                        expected: expected.to_string(),
                        extra: values[max].to_string(),
                    },
                );
                return false;
            }
        }
        true
    }

    /// The single value of a single-valued directive; notes a repeated setting.
    fn single<'a>(
        &mut self,
        line: usize,
        directive: &str,
        values: &[&'a str],
        expected: &str,
    ) -> Option<&'a str> {
        if !self.arity(line, directive, values, 1, Some(1), expected) {
            return None;
        }
        if let Some(previous) = self.seen.insert(directive.to_string(), line) {
            self.warn(
                line,
                format_args!(
                    "`{directive}` is set again; this value replaces the one of line {previous}"
                ),
            );
        }
        Some(values[0])
    }

    fn time(&mut self, line: usize, directive: &str, values: &[&str]) -> Option<Duration> {
        let value = self.single(line, directive, values, TIME_EXPECTED)?;
        let parsed = parse_time(value);
        if parsed.is_none() {
            self.invalid(line, directive, value, TIME_EXPECTED);
        }
        parsed
    }

    /// A timer directive's value and line; an invalid one is remembered so
    /// that no follow-on error is computed from a default.
    fn timer(
        &mut self,
        line: usize,
        directive: &str,
        values: &[&str],
    ) -> Option<(Duration, usize)> {
        let value = self.time(line, directive, values);
        self.timer_invalid |= value.is_none();
        value.map(|t| (t, line))
    }

    fn number<T: std::str::FromStr>(
        &mut self,
        line: usize,
        directive: &str,
        values: &[&str],
        expected: &str,
    ) -> Option<T> {
        let value = self.single(line, directive, values, expected)?;
        let parsed = value.parse::<T>().ok();
        if parsed.is_none() {
            self.invalid(line, directive, value, expected);
        }
        parsed
    }

    fn boolean(&mut self, line: usize, directive: &str, values: &[&str]) -> Option<bool> {
        let value = self.single(line, directive, values, BOOL_EXPECTED)?;
        let parsed = compat::parse_bool(value);
        if parsed.is_none() {
            self.invalid(line, directive, value, BOOL_EXPECTED);
        }
        parsed
    }

    fn directive(&mut self, line: &Line<'_>) {
        let n = line.number;
        let name = line.tokens[0].to_ascii_lowercase();
        let v = &line.tokens[1..];
        if !v.is_empty() && !NOT_RECORDED.contains(&name.as_str()) {
            self.raw_parameters.insert(name.clone(), v.join(" "));
        }
        match name.as_str() {
            "node" => self.node(n, v),
            "keepalive" => self.timers.keepalive = self.timer(n, &name, v),
            "deadtime" => self.timers.deadtime = self.timer(n, &name, v),
            "warntime" => self.timers.warntime = self.timer(n, &name, v),
            "initdead" => self.timers.initdead = self.timer(n, &name, v),
            "deadping" => self.timers.deadping = self.timer(n, &name, v),
            "udpport" => self.udpport(n, v),
            "bcast" => self.bcast(n, v),
            "mcast" => self.mcast(n, v),
            "ucast" => self.ucast(n, v),
            "ping" => self.ping(n, v),
            "ping_group" => self.ping_group(n, v),
            "check" => self.check(n, v),
            "track" => self.track(n, v),
            "notify_master" => self.hook(n, &name, super::NotifyState::Master, v),
            "notify_backup" => self.hook(n, &name, super::NotifyState::Backup, v),
            "notify_fault" => self.hook(n, &name, super::NotifyState::Fault, v),
            "auto_failback" => self.auto_failback(n, v),
            "nice_failback" => self.nice_failback(n, v),
            "logfacility" => self.logfacility(n, v),
            "logfile" => {
                let path = self.single(n, &name, v, "a file path");
                self.logging.logfile = path.map(PathBuf::from).or(self.logging.logfile.take());
            }
            "debugfile" => {
                let path = self.single(n, &name, v, "a file path");
                self.logging.debugfile = path.map(PathBuf::from).or(self.logging.debugfile.take());
            }
            "debug" => {
                let level = self.number(n, &name, v, "a debug level 0..=255");
                self.logging.debug = level.unwrap_or(self.logging.debug);
            }
            "hopfudge" => {
                let h = self.number(n, &name, v, "a hop count 0..=255");
                self.hopfudge = h.or(self.hopfudge);
            }
            "realtime" => self.realtime = self.boolean(n, &name, v).or(self.realtime),
            "msgfmt" => self.msgfmt(n, v),
            "compression" => self.compression(n, v),
            "compression_threshold" => self.compression_threshold(n, v),
            "traditional_compression" => {
                let on = self.boolean(n, &name, v);
                self.compression.traditional = on.unwrap_or(self.compression.traditional);
            }
            "wire_dialect" => self.wire_dialect(n, v),
            "metrics_listen" => self.metrics_listen(n, v),
            "cluster" => {
                let c = self.single(n, &name, v, "a cluster name");
                self.cluster = c.map(str::to_string).or(self.cluster.take());
            }
            "max_rexmit_delay" => self.max_rexmit_delay(n, v),
            "crm" | "pacemaker" => self.pacemaker(n, &name, v),
            "autojoin" => self.autojoin(n, v),
            "stonith" => self.stonith(n, v),
            "stonith_host" => self.stonith_host(n, v),
            "fence_agent" => self.fence_agent(n, v),
            "fence_delay" => self.fence_delay(n, v),
            "fence_timeout" => self.fence_timeout(n, v),
            "quorum" => self.quorum(n, v),
            "watchdog" => self.watchdog(n, v),
            _ => match compat::find(&name) {
                Some(c) => self.compat(n, c, v),
                None => self.error(n, K::UnknownDirective(line.tokens[0].to_string())),
            },
        }
    }

    fn check(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "a check name, a kind and its arguments";
        if !self.arity(line, "check", values, 3, None, EXPECTED) {
            return;
        }
        match super::health::parse_check(values) {
            Ok(c) if self.health.checks.iter().any(|o| o.name == c.name) => {
                self.error(line, K::DuplicateCheck(c.name));
            }
            Ok(c) => self.health.checks.push(c),
            Err(e) => self.invalid(line, "check", &e.value, &e.expected),
        }
    }

    fn hook(&mut self, line: usize, name: &str, state: super::NotifyState, values: &[&str]) {
        const EXPECTED: &str = "[GROUP] /absolute/program [ARG...]";
        if !self.arity(line, name, values, 1, None, EXPECTED) {
            return;
        }
        match super::health::parse_hook(state, values) {
            Ok(h) => self.health.hooks.push(h),
            Err(e) => self.invalid(line, name, &e.value, &e.expected),
        }
    }

    fn track(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "a group key and one or more check names";
        if !self.arity(line, "track", values, 2, None, EXPECTED) {
            return;
        }
        for name in &values[1..] {
            if !self.health.checks.iter().any(|c| c.name == *name) {
                self.error(line, K::UnknownCheck((*name).to_owned()));
                return;
            }
        }
        self.health.tracks.push(super::Track {
            group: values[0].to_owned(),
            checks: values[1..].iter().map(|s| (*s).to_owned()).collect(),
            line,
        });
    }

    fn node(&mut self, line: usize, values: &[&str]) {
        if !self.arity(line, "node", values, 1, None, "one or more node names") {
            return;
        }
        for value in values {
            let name = value.to_ascii_lowercase();
            if name.len() > MAX_NODE_NAME {
                let expected = format!("a node name of at most {MAX_NODE_NAME} bytes");
                self.invalid(line, "node", value, &expected);
            } else if !names::check_node_name(&name) {
                self.invalid(line, "node", value, names::NODE_NAME_EXPECTED);
            } else if let Some((_, first)) = self.nodes.iter().find(|(n, _)| *n == name) {
                let first = *first;
                self.warn(
                    line,
                    format_args!("node `{name}` is listed again (first at line {first})"),
                );
            } else {
                self.nodes.push((name, line));
            }
        }
    }

    fn udpport(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "a UDP port 1..=65535";
        let Some(port) = self.number::<u16>(line, "udpport", values, EXPECTED) else {
            return;
        };
        if port == 0 {
            self.invalid(line, "udpport", "0", EXPECTED);
            return;
        }
        if self
            .media
            .iter()
            .any(|m| !matches!(m, Medium::Mcast { .. }))
        {
            self.warn(
                line,
                "`udpport` follows bcast/ucast media: Heartbeat would apply it only to later \
                 media; heartbeat-rs applies it to all of them (put it before the media)",
            );
        }
        self.udp_port = Some(port);
    }

    fn bcast(&mut self, line: usize, values: &[&str]) {
        if self.arity(
            line,
            "bcast",
            values,
            1,
            None,
            "one or more interface names",
        ) {
            for dev in values {
                if self.interface(line, "bcast", dev) {
                    self.media.push(Medium::Bcast {
                        dev: dev.to_string(),
                    });
                }
            }
        }
    }

    fn mcast(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "`mcast DEV GROUP PORT TTL LOOP`";
        if !self.arity(line, "mcast", values, 5, Some(5), EXPECTED) {
            return;
        }
        let dev_ok = self.interface(line, "mcast", values[0]);
        let group = match values[1].parse::<Ipv4Addr>() {
            Ok(group) if group.is_multicast() => Some(group),
            Ok(group) => {
                self.error(line, K::NotMulticast(group));
                None
            }
            Err(_) => {
                self.invalid(
                    line,
                    "mcast",
                    values[1],
                    "a multicast IPv4 group (224.0.0.0/4)",
                );
                None
            }
        };
        let port = match values[2].parse::<u16>() {
            Ok(p) if p > 0 => Some(p),
            _ => {
                self.invalid(line, "mcast", values[2], "a UDP port 1..=65535");
                None
            }
        };
        let ttl = values[3].parse::<u8>().ok();
        if ttl.is_none() {
            self.invalid(line, "mcast", values[3], "a TTL 0..=255");
        }
        let loopback = match values[4] {
            "0" => Some(false),
            "1" => Some(true),
            other => {
                self.invalid(line, "mcast", other, "loop 0 or 1");
                None
            }
        };
        if let (true, Some(group), Some(port), Some(ttl), Some(loopback)) =
            (dev_ok, group, port, ttl, loopback)
        {
            self.media.push(Medium::Mcast {
                dev: values[0].to_string(),
                group,
                port,
                ttl,
                loopback,
            });
        }
    }

    fn ucast(&mut self, line: usize, values: &[&str]) {
        if !self.arity(line, "ucast", values, 2, None, "`ucast DEV PEER...`") {
            return;
        }
        if !self.interface(line, "ucast", values[0]) {
            return;
        }
        for peer in &values[1..] {
            let host = match names::parse_ucast_peer(peer) {
                Some((host, _)) => host,
                None => {
                    self.invalid(line, "ucast", peer, names::PEER_EXPECTED);
                    continue;
                }
            };
            if let (names::PeerHost::Name(name), Checks::Environment) = (host, self.checks) {
                if let Err(reason) = resolves_to_ipv4(name) {
                    let peer = peer.to_string();
                    self.error(line, K::UnresolvablePeer { peer, reason });
                    continue;
                }
            }
            self.media.push(Medium::Ucast {
                dev: values[0].to_string(),
                peer: peer.to_string(),
            });
        }
    }

    /// Whether `dev` is a valid interface name (an error if not); when
    /// checking the environment, warns if no such interface exists here.
    fn interface(&mut self, line: usize, directive: &str, dev: &str) -> bool {
        if !names::check_interface_name(dev) {
            self.invalid(line, directive, dev, names::INTERFACE_EXPECTED);
            return false;
        }
        if self.checks == Checks::Environment && !Path::new("/sys/class/net").join(dev).exists() {
            self.warn(
                line,
                format_args!("interface `{dev}` does not exist on this machine (yet)"),
            );
        }
        true
    }

    fn ping(&mut self, line: usize, values: &[&str]) {
        if self.arity(line, "ping", values, 1, None, "one or more hosts") {
            for host in values {
                let node = PingNode {
                    name: host.to_ascii_lowercase(),
                    hosts: vec![host.to_string()],
                };
                self.ping_nodes.push((node, line));
            }
        }
    }

    fn ping_group(&mut self, line: usize, values: &[&str]) {
        if self.arity(
            line,
            "ping_group",
            values,
            2,
            None,
            "`ping_group NAME HOST...`",
        ) {
            let node = PingNode {
                name: values[0].to_ascii_lowercase(),
                hosts: values[1..].iter().map(|h| h.to_string()).collect(),
            };
            self.ping_nodes.push((node, line));
        }
    }

    fn auto_failback(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "on, off or legacy";
        let Some(value) = self.single(line, "auto_failback", values, EXPECTED) else {
            return;
        };
        let policy = match value.to_ascii_lowercase().as_str() {
            "legacy" => Some(AutoFailback::Legacy),
            other => match compat::parse_bool(other) {
                Some(true) => Some(AutoFailback::On),
                Some(false) => Some(AutoFailback::Off),
                None => None,
            },
        };
        match policy {
            Some(p) => self.auto_failback = Some(p),
            None => self.invalid(line, "auto_failback", value, EXPECTED),
        }
    }

    fn nice_failback(&mut self, line: usize, values: &[&str]) {
        if let Some(nice) = self.boolean(line, "nice_failback", values) {
            let policy = if nice {
                AutoFailback::Off
            } else {
                AutoFailback::Legacy
            };
            self.warn(
                line,
                format_args!(
                    "`nice_failback` is obsolete: read as `auto_failback {}`",
                    if nice { "off" } else { "legacy" }
                ),
            );
            self.auto_failback = Some(policy);
        }
    }

    fn logfacility(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "a syslog facility (daemon, local0..local7, ...) or none";
        let Some(value) = self.single(line, "logfacility", values, EXPECTED) else {
            return;
        };
        let lower = value.to_ascii_lowercase();
        if lower == "none" {
            self.logging.facility = None;
        } else if FACILITIES.contains(&lower.as_str()) {
            self.logging.facility = Some(lower);
        } else {
            self.invalid(line, "logfacility", value, EXPECTED);
        }
    }

    fn msgfmt(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "classic or netstring";
        let Some(value) = self.single(line, "msgfmt", values, EXPECTED) else {
            return;
        };
        match value.to_ascii_lowercase().as_str() {
            "classic" => self.msgfmt = Some(MsgFormat::Classic),
            "netstring" => self.msgfmt = Some(MsgFormat::Netstring),
            _ => self.invalid(line, "msgfmt", value, EXPECTED),
        }
    }

    fn compression(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "zlib or bz2";
        let Some(value) = self.single(line, "compression", values, EXPECTED) else {
            return;
        };
        match super::CompressionAlgorithm::from_name(value.as_bytes()) {
            Some(a) => self.compression.algorithm = a,
            None => self.invalid(line, "compression", value, EXPECTED),
        }
    }

    fn compression_threshold(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "a size in KiB, at least 1";
        let kib: Option<u32> = self.number(line, "compression_threshold", values, EXPECTED);
        match kib {
            Some(0) => self.invalid(line, "compression_threshold", "0", EXPECTED),
            Some(k) => self.compression.threshold_kib = k,
            None => {}
        }
    }

    fn wire_dialect(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "native or linux-ha";
        let Some(value) = self.single(line, "wire_dialect", values, EXPECTED) else {
            return;
        };
        match WireDialect::from_name(value) {
            Some(d) => self.wire_dialect = Some(d),
            None => self.invalid(line, "wire_dialect", value, EXPECTED),
        }
    }

    fn metrics_listen(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "an address and a port (`127.0.0.1:9694`, `[::1]:9694`)";
        let Some(value) = self.single(line, "metrics_listen", values, EXPECTED) else {
            return;
        };
        match value.parse::<SocketAddr>() {
            Ok(address) => self.metrics_listen = Some(address),
            Err(_) => self.invalid(line, "metrics_listen", value, EXPECTED),
        }
    }

    fn max_rexmit_delay(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "milliseconds (`250`), or a time with a `ms`/`us` suffix";
        let Some(value) = self.single(line, "max_rexmit_delay", values, EXPECTED) else {
            return;
        };
        let parsed = match value.parse::<u64>() {
            Ok(ms) => Some(Duration::from_millis(ms)),
            Err(_) if value.ends_with(|c: char| c.is_ascii_alphabetic()) => parse_time(value),
            Err(_) => None,
        };
        match parsed {
            Some(d) => self.max_rexmit_delay = Some(d),
            None => self.invalid(line, "max_rexmit_delay", value, EXPECTED),
        }
    }

    fn pacemaker(&mut self, line: usize, directive: &str, values: &[&str]) {
        const EXPECTED: &str = "off (false/no/n/0): Pacemaker is not supported";
        let Some(value) = self.single(line, directive, values, EXPECTED) else {
            return;
        };
        let lower = value.to_ascii_lowercase();
        if compat::parse_bool(&lower) == Some(false) {
            return;
        }
        if PACEMAKER_ON.contains(&lower.as_str()) {
            self.error(
                line,
                K::PacemakerNotSupported {
                    directive: directive.to_string(),
                    value: value.to_string(),
                },
            );
        } else {
            self.invalid(line, directive, value, EXPECTED);
        }
    }

    fn autojoin(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "none (other and any are not supported with haresources)";
        let Some(value) = self.single(line, "autojoin", values, EXPECTED) else {
            return;
        };
        match value.to_ascii_lowercase().as_str() {
            "none" => {}
            "other" | "any" => self.error(line, K::AutojoinNotSupported(value.to_string())),
            _ => self.invalid(line, "autojoin", value, EXPECTED),
        }
    }

    /// A `respawn` or `failfast` line; `rest` is the text after the
    /// directive name. With [`Checks::Environment`], the user must exist and
    /// the program be executable (as Heartbeat checks when it reads
    /// `ha.cf`); a program of Heartbeat's own is warned about.
    fn respawn(&mut self, line: usize, rest: &str, failfast: bool) {
        use super::respawn::{self as r, RespawnProblem};
        let directive = if failfast { "failfast" } else { "respawn" };
        let child = match r::parse_respawn(rest, failfast, line) {
            Ok(child) => child,
            Err(RespawnProblem::Missing) => {
                let kind = K::MissingValue {
                    directive: directive.to_string(),
                    expected: r::RESPAWN_EXPECTED.to_string(),
                };
                return self.error(line, kind);
            }
            Err(RespawnProblem::NotAbsolute(program)) => {
                return self.invalid(line, directive, &program, r::RESPAWN_EXPECTED);
            }
        };
        if child.needs_heartbeat_api() {
            self.warn(
                line,
                format_args!(
                    "`{directive}`: {} needs Heartbeat's client API and is not started \
                     (ping nodes replace ipfail)",
                    child.program().display()
                ),
            );
        } else if self.checks == Checks::Environment {
            if r::user_exists(&child.user) == Some(false) {
                let expected = "a user of this machine";
                return self.invalid(line, directive, &child.user, expected);
            }
            if !r::is_executable(child.program()) {
                let program = child.program().display().to_string();
                return self.invalid(line, directive, &program, "an executable program");
            }
        }
        self.respawn.push(child);
    }

    fn compat(&mut self, line: usize, c: &compat::CompatDirective, values: &[&str]) {
        let accepted = match c.shape {
            Shape::AtLeast(min) => {
                let expected = format!("at least {min} value(s)");
                self.arity(line, c.name, values, min, None, &expected)
            }
            Shape::Bool => match self.boolean(line, c.name, values) {
                // A value that matches what heartbeat-rs does anyway needs no warning.
                Some(b) if c.silent_bool == Some(b) => return,
                Some(_) => true,
                None => false,
            },
            Shape::Time => self.time(line, c.name, values).is_some(),
            Shape::UInt => self
                .number::<u64>(line, c.name, values, "a non-negative integer")
                .is_some(),
            Shape::Word => self.single(line, c.name, values, "one value").is_some(),
            Shape::Choice(choices) => {
                let expected = choices.join(" or ");
                match self.single(line, c.name, values, &expected) {
                    Some(v) if choices.contains(&v.to_ascii_lowercase().as_str()) => true,
                    Some(v) => {
                        self.invalid(line, c.name, v, &expected);
                        false
                    }
                    None => false,
                }
            }
        };
        if accepted {
            let note = if c.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.note)
            };
            self.warn(
                line,
                format_args!("directive `{}` has no effect in heartbeat-rs{note}", c.name),
            );
        }
    }

    fn finish(mut self) -> Parsed<HaCf> {
        let file = self.file.clone();
        if self.nodes.is_empty() {
            self.errors.push(ConfigError::in_file(&file, K::NoNodes));
        }
        if self.media.is_empty() {
            self.errors.push(ConfigError::in_file(&file, K::NoMedia));
        }
        let Resolved {
            timing,
            mut errors,
            mut warnings,
        } = self.timers.resolve();
        if self.timer_invalid {
            errors.clear();
            warnings.clear();
        }
        for (line, kind) in errors {
            self.errors.push(match line {
                Some(line) => ConfigError::at(&file, line, kind),
                None => ConfigError::in_file(&file, kind),
            });
        }
        for (line, message) in warnings {
            match line {
                Some(line) => self.warn(line, message),
                None => self.warnings.push(format!("{}: {message}", file.display())),
            }
        }
        let node_names: Vec<String> = self.nodes.iter().map(|(n, _)| n.clone()).collect();
        let mut ping_nodes: Vec<PingNode> = Vec::new();
        for (ping, line) in std::mem::take(&mut self.ping_nodes) {
            if node_names.contains(&ping.name) {
                self.error(line, K::PingNodeIsNode(ping.name.clone()));
            } else if ping_nodes.iter().any(|p| p.name == ping.name) {
                self.warn(
                    line,
                    format_args!("ping node `{}` is declared again", ping.name),
                );
            } else {
                ping_nodes.push(ping);
            }
        }
        let wire_dialect = self.wire_dialect.unwrap_or_default();
        let safety = self.finish_safety(&node_names, wire_dialect);
        let value = HaCf {
            cluster: self.cluster.unwrap_or_else(|| DEFAULT_CLUSTER.to_string()),
            nodes: node_names,
            timing,
            udp_port: self.udp_port.unwrap_or(DEFAULT_UDP_PORT),
            media: self.media,
            ping_nodes,
            health: self.health,
            auto_failback: self.auto_failback.unwrap_or_default(),
            max_rexmit_delay: self.max_rexmit_delay.unwrap_or(DEFAULT_MAX_REXMIT_DELAY),
            logging: self.logging,
            hopfudge: self.hopfudge.unwrap_or(DEFAULT_HOPFUDGE),
            realtime: self.realtime.unwrap_or(true),
            msgfmt: self.msgfmt.unwrap_or_default(),
            compression: self.compression,
            wire_dialect,
            metrics_listen: self.metrics_listen,
            respawn: self.respawn,
            safety,
            raw_parameters: self.raw_parameters,
            warnings: Vec::new(),
        };
        Parsed {
            value,
            errors: self.errors,
            warnings: self.warnings,
        }
    }
}

/// Whether host name `name` resolves to an IPv4 address here, or why not.
fn resolves_to_ipv4(name: &str) -> Result<(), String> {
    use std::net::ToSocketAddrs;
    let mut addresses = (name, 0).to_socket_addrs().map_err(|e| e.to_string())?;
    if addresses.any(|a| a.is_ipv4()) {
        Ok(())
    } else {
        Err("it has no IPv4 address".into())
    }
}
