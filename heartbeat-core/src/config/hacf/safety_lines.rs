//! The split-brain directives of `ha.cf` into [`Safety`]: `stonith`,
//! `stonith_host` (Heartbeat's), `fence_agent`, `fence_delay`,
//! `fence_timeout`, `quorum` (heartbeat-rs's) and `watchdog` (Heartbeat's,
//! now with an effect).
//!
//! The `ha.cf` lexer splits values at spaces, tabs and commas, and `#`
//! starts a comment: a `stonith_host` parameter or a `fence_agent` option
//! value cannot contain a space, a tab, a comma or a `#`. (Heartbeat split
//! `stonith_host` parameters at white space too.)
//!
//! Nodes named by `stonith_host` and `fence_agent` are checked once every
//! line is read, since `node` lines may come later.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Builder;
use crate::config::error::ConfigErrorKind as K;
use crate::config::safety::QUORUM_LINUX_HA_WARNING;
use crate::config::{
    FenceAgent, Safety, StonithDevice, StonithHost, StonithParams, WireDialect,
    DEFAULT_FENCE_DELAY, DEFAULT_FENCE_TIMEOUT,
};

/// What an agent must look like, for error messages.
const AGENT_EXPECTED: &str =
    "a fence agent name of letters, digits, `_` and `-` (`fence_ipmilan`) or an absolute path";

/// What a fence agent option must look like, for error messages.
const OPTION_EXPECTED: &str = "`key=value` with a key of letters, digits, `_` and `-`";

/// The option key heartbeatd sets itself (`action=reboot`, `action=off`).
const ACTION_KEY: &str = "action";

/// What the split-brain lines said, each with its line, until the node
/// list is complete.
#[derive(Debug, Default)]
pub(super) struct SafetyLines {
    /// `stonith` and `stonith_host` devices in file order.
    stonith: Vec<(StonithDevice, usize)>,
    /// `fence_agent` lines in file order.
    fence_agents: Vec<(FenceAgent, usize)>,
    /// `fence_delay`.
    fence_delay: Option<Duration>,
    /// `fence_timeout`.
    fence_timeout: Option<Duration>,
    /// `quorum` and its line.
    quorum: Option<(bool, usize)>,
    /// `watchdog`.
    watchdog: Option<PathBuf>,
}

impl Builder {
    /// `file:line` of a directive, for [`StonithDevice::origin`] and
    /// [`FenceAgent::origin`].
    fn origin(&self, line: usize) -> String {
        format!("{}:{line}", self.file.display())
    }

    /// `stonith TYPE CONFIGFILE`: one device used from every node.
    pub(super) fn stonith(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "`stonith TYPE CONFIGFILE`";
        if !self.arity(line, "stonith", values, 2, Some(2), EXPECTED) {
            return;
        }
        let device = StonithDevice {
            host: StonithHost::Any,
            kind: values[0].to_string(),
            params: StonithParams::ConfigFile(PathBuf::from(values[1])),
            origin: self.origin(line),
        };
        self.safety.stonith.push((device, line));
    }

    /// `stonith_host HOSTFROM TYPE PARAM…`: a device used from HOSTFROM
    /// (`*`: every node), its parameters in the plugin's order.
    pub(super) fn stonith_host(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "`stonith_host HOSTFROM TYPE [PARAM...]` (HOSTFROM: a node or `*`)";
        if !self.arity(line, "stonith_host", values, 2, None, EXPECTED) {
            return;
        }
        let host = match values[0] {
            "*" => StonithHost::Any,
            node => StonithHost::Node(node.to_ascii_lowercase()),
        };
        let device = StonithDevice {
            host,
            kind: values[1].to_string(),
            params: StonithParams::Positional(values[2..].iter().map(|v| v.to_string()).collect()),
            origin: self.origin(line),
        };
        self.safety.stonith.push((device, line));
    }

    /// `fence_agent NODE AGENT key=value…`.
    pub(super) fn fence_agent(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "`fence_agent NODE AGENT [key=value...]`";
        if !self.arity(line, "fence_agent", values, 2, None, EXPECTED) {
            return;
        }
        let mut valid = true;
        let agent = values[1];
        if !is_agent(agent) {
            self.invalid(line, "fence_agent", agent, AGENT_EXPECTED);
            valid = false;
        }
        let mut options: Vec<(String, String)> = Vec::new();
        for option in &values[2..] {
            let Some((key, value)) = option.split_once('=').filter(|(k, _)| is_option_key(k))
            else {
                self.invalid(line, "fence_agent", option, OPTION_EXPECTED);
                valid = false;
                continue;
            };
            // Never repeat a password in a message.
            let shown = format!("{key}={}", FenceAgent::shown_value(key, value));
            if key.eq_ignore_ascii_case(ACTION_KEY) {
                let expected = "options other than `action` (heartbeatd sets the action)";
                self.invalid(line, "fence_agent", &shown, expected);
                valid = false;
            } else if options.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                let expected = format!("each option once (`{key}` is already set on this line)");
                self.invalid(line, "fence_agent", &shown, &expected);
                valid = false;
            } else {
                options.push((key.to_string(), value.to_string()));
            }
        }
        if valid {
            let agent = FenceAgent {
                target: values[0].to_ascii_lowercase(),
                agent: agent.to_string(),
                options,
                origin: self.origin(line),
            };
            self.safety.fence_agents.push((agent, line));
        }
    }

    /// `fence_delay TIME`.
    pub(super) fn fence_delay(&mut self, line: usize, values: &[&str]) {
        if let Some(delay) = self.time(line, "fence_delay", values) {
            self.safety.fence_delay = Some(delay);
        }
    }

    /// `fence_timeout TIME`, more than 0.
    pub(super) fn fence_timeout(&mut self, line: usize, values: &[&str]) {
        match self.time(line, "fence_timeout", values) {
            Some(timeout) if timeout.is_zero() => {
                let expected = "a time greater than 0";
                self.invalid(line, "fence_timeout", values[0], expected);
            }
            Some(timeout) => self.safety.fence_timeout = Some(timeout),
            None => {}
        }
    }

    /// `quorum BOOLEAN`.
    pub(super) fn quorum(&mut self, line: usize, values: &[&str]) {
        if let Some(quorum) = self.boolean(line, "quorum", values) {
            self.safety.quorum = Some((quorum, line));
        }
    }

    /// `watchdog DEVICE`, an absolute path (not opened here).
    pub(super) fn watchdog(&mut self, line: usize, values: &[&str]) {
        const EXPECTED: &str = "an absolute device path (`/dev/watchdog`)";
        let Some(value) = self.single(line, "watchdog", values, EXPECTED) else {
            return;
        };
        if Path::new(value).is_absolute() {
            self.safety.watchdog = Some(PathBuf::from(value));
        } else {
            self.invalid(line, "watchdog", value, EXPECTED);
        }
    }

    /// The [`Safety`] of the whole file: nodes named by `stonith_host` and
    /// `fence_agent` checked against `nodes` (unless there is none, which is
    /// an error of its own), quorum resolved for `dialect`, warnings for a
    /// `quorum on` that cannot work as the operator may expect.
    pub(super) fn finish_safety(&mut self, nodes: &[String], dialect: WireDialect) -> Safety {
        let lines = std::mem::take(&mut self.safety);
        let mut safety = Safety {
            fence_delay: lines.fence_delay.unwrap_or(DEFAULT_FENCE_DELAY),
            fence_timeout: lines.fence_timeout.unwrap_or(DEFAULT_FENCE_TIMEOUT),
            quorum_explicit: lines.quorum.map(|(quorum, _)| quorum),
            watchdog: lines.watchdog,
            ..Safety::default()
        };
        for (device, line) in lines.stonith {
            if let StonithHost::Node(node) = &device.host {
                if !self.known_node(line, "stonith_host", node, nodes) {
                    continue;
                }
            }
            safety.stonith.push(device);
        }
        for (agent, line) in lines.fence_agents {
            if self.known_node(line, "fence_agent", &agent.target, nodes) {
                safety.fence_agents.push(agent);
            }
        }
        safety.resolve_quorum(nodes.len(), dialect);
        if let Some((true, line)) = lines.quorum {
            if (1..3).contains(&nodes.len()) {
                self.warn(
                    line,
                    format_args!(
                        "`quorum on` with {} node(s): while one node is down the others have \
                         no strict majority, so every group stops (quorum needs 3 or more \
                         nodes; a 2-node cluster relies on fencing)",
                        nodes.len()
                    ),
                );
            }
            if dialect == WireDialect::LinuxHa {
                self.warn(line, QUORUM_LINUX_HA_WARNING);
            }
        }
        safety
    }

    /// Whether `node` is one of `nodes` (or there are no nodes at all);
    /// reports it at `line` otherwise.
    fn known_node(&mut self, line: usize, directive: &str, node: &str, nodes: &[String]) -> bool {
        if nodes.is_empty() || nodes.iter().any(|n| n == node) {
            return true;
        }
        self.error(
            line,
            K::UnknownSafetyNode {
                directive: directive.to_string(),
                node: node.to_string(),
                nodes: nodes.join(", "),
            },
        );
        false
    }
}

/// Whether `agent` is a bare fence agent name or an absolute path.
fn is_agent(agent: &str) -> bool {
    if agent.starts_with('/') {
        return agent.len() > 1 && !agent.ends_with('/');
    }
    agent
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether `key` is a fence agent option name.
fn is_option_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use crate::config::{
        parse_ha_cf, Config, ConfigErrors, FenceAgent, HaCf, StonithDevice, StonithHost,
        StonithParams, WireDialect, DEFAULT_FENCE_DELAY, DEFAULT_FENCE_TIMEOUT,
    };

    const TWO_NODES: &str = "node node1 node2\nucast eth0 10.0.0.2\n";
    const THREE_NODES: &str = "node node1 node2 node3\nucast eth0 10.0.0.2\n";

    fn parse(text: &str) -> Result<HaCf, ConfigErrors> {
        parse_ha_cf(text, Path::new("ha.cf"))
    }

    /// `TWO_NODES` followed by `extra` (whose first line is line 3).
    fn with(extra: &str) -> HaCf {
        let text = format!("{TWO_NODES}{extra}");
        parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    /// The one error of `TWO_NODES` followed by `extra`; checks its start.
    fn one_error(extra: &str, prefix: &str) -> String {
        let errors = parse(&format!("{TWO_NODES}{extra}")).expect_err(extra);
        let messages: Vec<String> = errors.errors().iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 1, "{extra}: {messages:#?}");
        assert!(
            messages[0].starts_with(prefix),
            "{:?} does not start with {prefix:?}",
            messages[0]
        );
        messages.into_iter().next().unwrap_or_default()
    }

    /// A node1 configuration (a sha1 key: no key warning on the Linux-HA wire).
    fn config(ha_cf: &str) -> Config {
        Config::from_texts(ha_cf, "auth 1\n1 sha1 secret\n", "node1 httpd\n", "node1")
            .unwrap_or_else(|e| panic!("{ha_cf}: {e}"))
    }

    #[test]
    fn defaults_without_directives() {
        let h = with("");
        assert!(h.safety.stonith.is_empty());
        assert!(h.safety.fence_agents.is_empty());
        assert_eq!(h.safety.fence_delay, DEFAULT_FENCE_DELAY);
        assert_eq!(h.safety.fence_timeout, DEFAULT_FENCE_TIMEOUT);
        assert_eq!(h.safety.quorum_explicit, None);
        assert!(!h.safety.quorum);
        assert_eq!(h.safety.watchdog, None);
        // No device and no watchdog: heartbeatd says so once, not the parser.
        assert!(h.warnings.is_empty(), "{:?}", h.warnings);
    }

    #[test]
    fn stonith_is_one_device_for_every_node() {
        let h = with("stonith baytech /etc/ha.d/conf/stonith.baytech\n");
        assert_eq!(
            h.safety.stonith,
            vec![StonithDevice {
                host: StonithHost::Any,
                kind: "baytech".into(),
                params: StonithParams::ConfigFile("/etc/ha.d/conf/stonith.baytech".into()),
                origin: "ha.cf:3".into(),
            }]
        );
        assert!(h.safety.can_fence("node1", "node2"));
        assert!(h.warnings.is_empty(), "{:?}", h.warnings);
    }

    #[test]
    fn stonith_host_lines_in_file_order_nodes_declared_later() {
        let text = "stonith_host * external/ssh node1 node2\n\
                    stonith_host NODE2 baytech 10.0.0.3 mylogin mysecretpassword\n\
                    stonith_host node1 meatware\n\
                    node node1 node2\nucast eth0 10.0.0.2\n";
        let h = parse(text).unwrap();
        let devices: Vec<(&StonithHost, &str, &StonithParams, &str)> = h
            .safety
            .stonith
            .iter()
            .map(|d| (&d.host, d.kind.as_str(), &d.params, d.origin.as_str()))
            .collect();
        let positional =
            |v: &[&str]| StonithParams::Positional(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            devices,
            [
                (
                    &StonithHost::Any,
                    "external/ssh",
                    &positional(&["node1", "node2"]),
                    "ha.cf:1"
                ),
                (
                    &StonithHost::Node("node2".into()),
                    "baytech",
                    &positional(&["10.0.0.3", "mylogin", "mysecretpassword"]),
                    "ha.cf:2"
                ),
                (
                    &StonithHost::Node("node1".into()),
                    "meatware",
                    &positional(&[]),
                    "ha.cf:3"
                ),
            ]
        );
        assert!(h.warnings.is_empty(), "{:?}", h.warnings);
    }

    #[test]
    fn fence_agent_options_in_file_order() {
        let h = with(
            "fence_agent NODE2 fence_ipmilan ip=10.0.0.12 username=admin password=s3cr=t! lanplus=1\n\
             fence_agent node1 /usr/local/sbin/fence-custom\n",
        );
        let option = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            h.safety.fence_agents,
            vec![
                FenceAgent {
                    target: "node2".into(),
                    agent: "fence_ipmilan".into(),
                    options: vec![
                        option("ip", "10.0.0.12"),
                        option("username", "admin"),
                        option("password", "s3cr=t!"),
                        option("lanplus", "1"),
                    ],
                    origin: "ha.cf:3".into(),
                },
                FenceAgent {
                    target: "node1".into(),
                    agent: "/usr/local/sbin/fence-custom".into(),
                    options: vec![],
                    origin: "ha.cf:4".into(),
                },
            ]
        );
        assert!(h.safety.can_fence("node1", "node2"));
        assert!(!format!("{:?}", h.safety).contains("s3cr"));
    }

    #[test]
    fn fence_delay_timeout_and_watchdog() {
        let h = with("fence_delay 2.5\nfence_timeout 90000ms\nwatchdog /dev/watchdog1\n");
        assert_eq!(h.safety.fence_delay, Duration::from_millis(2500));
        assert_eq!(h.safety.fence_timeout, Duration::from_secs(90));
        assert_eq!(h.safety.watchdog, Some("/dev/watchdog1".into()));
        assert_eq!(with("fence_delay 0\n").safety.fence_delay, Duration::ZERO);
        let h = with("watchdog /dev/watchdog\nwatchdog /dev/watchdog0\n");
        assert_eq!(h.safety.watchdog, Some("/dev/watchdog0".into()));
        assert_eq!(h.warnings.len(), 1, "{:?}", h.warnings);
        assert!(h.warnings[0].starts_with("ha.cf:4: `watchdog` is set again"));
    }

    #[test]
    fn quorum_values() {
        for (value, expected) in [("on", true), ("Yes", true), ("1", true), ("off", false)] {
            let h = parse(&format!("{THREE_NODES}quorum {value}\n")).unwrap();
            assert_eq!(h.safety.quorum_explicit, Some(expected), "{value}");
            assert_eq!(h.safety.quorum, expected, "{value}");
            assert!(h.warnings.is_empty(), "{value}: {:?}", h.warnings);
        }
    }

    #[test]
    fn quorum_default_needs_three_native_nodes() {
        assert!(!with("").safety.quorum);
        assert!(parse(THREE_NODES).unwrap().safety.quorum);
        let h = parse(&format!("{THREE_NODES}wire_dialect linux-ha\n")).unwrap();
        assert!(!h.safety.quorum);
        assert_eq!(h.safety.quorum_explicit, None);
    }

    #[test]
    fn quorum_on_that_cannot_work_as_expected_warns() {
        let h = with("quorum on\n");
        assert!(h.safety.quorum);
        assert_eq!(h.warnings.len(), 1, "{:?}", h.warnings);
        assert!(
            h.warnings[0].starts_with("ha.cf:3: `quorum on` with 2 node(s): while one node"),
            "{:?}",
            h.warnings
        );
        let h = parse(&format!("{THREE_NODES}wire_dialect linux-ha\nquorum on\n")).unwrap();
        assert!(h.safety.quorum);
        assert_eq!(
            h.warnings,
            [format!(
                "ha.cf:4: {}",
                crate::config::safety::QUORUM_LINUX_HA_WARNING
            )]
        );
        assert!(with("quorum off\n").warnings.is_empty());
    }

    #[test]
    fn set_wire_dialect_resolves_the_quorum_default_again() {
        let mut c = config(THREE_NODES);
        assert!(c.safety.quorum);
        c.set_wire_dialect(WireDialect::LinuxHa);
        assert!(!c.safety.quorum);
        c.set_wire_dialect(WireDialect::Native);
        assert!(c.safety.quorum);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);

        let mut c = config(&format!("{THREE_NODES}quorum off\n"));
        c.set_wire_dialect(WireDialect::LinuxHa);
        c.set_wire_dialect(WireDialect::Native);
        assert!(!c.safety.quorum);

        let mut c = config(&format!("{THREE_NODES}quorum on\n"));
        c.set_wire_dialect(WireDialect::LinuxHa);
        assert!(c.safety.quorum);
        assert_eq!(
            c.warnings,
            [format!(
                "ha.cf: {}",
                crate::config::safety::QUORUM_LINUX_HA_WARNING
            )]
        );
    }

    #[test]
    fn arity_errors_name_the_line() {
        for (line, expected) in [
            (
                "stonith baytech",
                "ha.cf:3: `stonith` needs a value: expected `stonith TYPE CONFIGFILE`",
            ),
            (
                "stonith baytech /etc/a /etc/b",
                "ha.cf:3: `stonith` takes `stonith TYPE CONFIGFILE`, found extra value `/etc/b`",
            ),
            ("stonith_host *", "ha.cf:3: `stonith_host` needs a value"),
            ("fence_agent node2", "ha.cf:3: `fence_agent` needs a value"),
            ("fence_delay", "ha.cf:3: `fence_delay` needs a value"),
            ("fence_timeout 1 2", "ha.cf:3: `fence_timeout` takes"),
            ("quorum", "ha.cf:3: `quorum` needs a value"),
            ("watchdog /dev/a /dev/b", "ha.cf:3: `watchdog` takes"),
        ] {
            one_error(&format!("{line}\n"), expected);
        }
    }

    #[test]
    fn unknown_nodes_are_errors_at_their_line() {
        one_error(
            "stonith_host node9 external/ssh node1\n",
            "ha.cf:3: `stonith_host` names node `node9`, which is not a `node` of ha.cf \
             (nodes: node1, node2)",
        );
        one_error(
            "fence_agent Node9 fence_ipmilan ip=10.0.0.19\n",
            "ha.cf:3: `fence_agent` names node `node9`, which is not a `node` of ha.cf",
        );
        // Without any node the missing `node` line is the only error.
        let e = parse("ucast eth0 10.0.0.2\nfence_agent node9 fence_dummy\n").unwrap_err();
        assert_eq!(e.len(), 1, "{e}");
        assert!(
            e.to_string().starts_with("ha.cf: no `node` directive"),
            "{e}"
        );
    }

    #[test]
    fn fence_agent_value_errors() {
        one_error(
            "fence_agent node2 fence_ipmilan ip=10.0.0.12 action=off\n",
            "ha.cf:3: `fence_agent`: invalid value `action=off`: expected options other than \
             `action` (heartbeatd sets the action)",
        );
        one_error(
            "fence_agent node2 fence_ipmilan Action=reboot\n",
            "ha.cf:3: `fence_agent`: invalid value `Action=reboot`",
        );
        let e = one_error(
            "fence_agent node2 fence_ipmilan password=one ip=10.0.0.12 password=two\n",
            "ha.cf:3: `fence_agent`: invalid value `password=***`: expected each option once \
             (`password` is already set on this line)",
        );
        assert!(!e.contains("two"), "{e}");
        for bad in ["lanplus", "=1", "ip.addr=1", "ke y=1"] {
            one_error(
                &format!("fence_agent node2 fence_ipmilan {bad}\n"),
                "ha.cf:3: `fence_agent`: invalid value",
            );
        }
        for bad in ["fence.sh", "bin/fence_x", "/", "/usr/sbin/"] {
            one_error(
                &format!("fence_agent node2 {bad}\n"),
                &format!(
                    "ha.cf:3: `fence_agent`: invalid value `{bad}`: expected a fence agent name"
                ),
            );
        }
        // An empty value is a value.
        let h = with("fence_agent node2 fence_dummy plug=\n");
        assert_eq!(
            h.safety.fence_agents[0].options,
            [("plug".into(), String::new())]
        );
    }

    #[test]
    fn value_errors_name_the_line() {
        one_error(
            "watchdog dev/watchdog\n",
            "ha.cf:3: `watchdog`: invalid value `dev/watchdog`: expected an absolute device path",
        );
        one_error(
            "quorum maybe\n",
            "ha.cf:3: `quorum`: invalid value `maybe`: expected a boolean",
        );
        one_error(
            "fence_timeout 0\n",
            "ha.cf:3: `fence_timeout`: invalid value `0`: expected a time greater than 0",
        );
        one_error(
            "fence_timeout 0.0001\n",
            "ha.cf:3: `fence_timeout`: invalid value `0.0001`: expected a time greater than 0",
        );
        one_error(
            "fence_delay 5s\n",
            "ha.cf:3: `fence_delay`: invalid value `5s`: expected a time",
        );
    }

    #[test]
    fn raw_parameters_leave_out_devices_and_agents() {
        let h = with(
            "stonith baytech /etc/ha.d/conf/stonith.baytech\n\
             stonith_host * baytech 10.0.0.3 mylogin mysecretpassword\n\
             fence_agent node2 fence_ipmilan ip=10.0.0.12 password=secret\n\
             fence_delay 5\nfence_timeout 30\nquorum off\nwatchdog /dev/watchdog\n",
        );
        let keys: Vec<&str> = h.raw_parameters.keys().map(String::as_str).collect();
        assert_eq!(keys, ["fence_delay", "fence_timeout", "quorum", "watchdog"]);
        let all = format!("{:?}", h.raw_parameters);
        assert!(!all.contains("secret") && !all.contains("baytech"), "{all}");
    }

    /// The commented-out block of the sample `ha.d/ha.cf` is valid once
    /// uncommented.
    #[test]
    fn sample_block_parses_when_uncommented() {
        let sample = include_str!("../../../../ha.d/ha.cf");
        let directives = [
            "stonith_host ",
            "fence_agent ",
            "fence_delay ",
            "fence_timeout ",
            "quorum ",
            "watchdog ",
        ];
        let block: String = sample
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| directives.iter().any(|d| l.starts_with(d)))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(block.lines().count(), directives.len(), "{block}");
        let h = with(&block);
        assert_eq!(h.safety.stonith.len(), 1);
        assert_eq!(h.safety.fence_agents.len(), 1);
        assert_eq!(h.safety.fence_delay, Duration::from_secs(5));
        assert_eq!(h.safety.fence_timeout, Duration::from_secs(60));
        assert!(h.safety.quorum);
        assert_eq!(h.safety.watchdog, Some("/dev/watchdog".into()));
        // Two nodes: the sample's `quorum on` earns the 2-node warning.
        assert_eq!(h.warnings.len(), 1, "{:?}", h.warnings);
    }

    #[test]
    fn effective_configuration_hides_passwords() {
        let c = config(
            "node node1 node2\nucast eth0 10.0.0.2\n\
             stonith baytech /etc/ha.d/conf/stonith.baytech\n\
             stonith_host node1 baytech 10.0.0.3 mylogin mysecretpassword\n\
             fence_agent node2 fence_ipmilan ip=10.0.0.12 Passwd=topsecret lanplus=1\n\
             fence_timeout 30\nwatchdog /dev/watchdog\n",
        );
        let text = c.effective().to_string();
        for line in [
            "stonith baytech /etc/ha.d/conf/stonith.baytech",
            "# stonith_host parameters are not shown (they may hold passwords)",
            "stonith_host node1 baytech *** *** ***",
            "fence_agent node2 fence_ipmilan ip=10.0.0.12 Passwd=*** lanplus=1",
            "fence_delay 5000ms",
            "fence_timeout 30000ms",
            "quorum off",
            "watchdog /dev/watchdog",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        let debug = format!("{c:?}");
        for secret in ["topsecret", "mysecretpassword"] {
            assert!(!text.contains(secret), "{text}");
            assert!(!debug.contains(secret), "{debug}");
        }
        let text = config(THREE_NODES).effective().to_string();
        assert!(text.lines().any(|l| l == "quorum on"), "{text}");
        assert!(
            !text.contains("watchdog") && !text.contains("stonith"),
            "{text}"
        );
    }
}
