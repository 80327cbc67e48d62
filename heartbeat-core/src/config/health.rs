//! Health-check directives of `ha.cf`: `check` and `track`.
//!
//! ```text
//! check NAME command /path/to/prog [ARG...] [OPTIONS]
//! check NAME tcp HOST:PORT [OPTIONS]
//! check NAME process PROCESS-NAME [OPTIONS]
//! check NAME http http://HOST[:PORT]/PATH STATUS [OPTIONS]
//! check NAME file PATH exists|absent [OPTIONS]
//! track GROUP-KEY CHECK-NAME...
//! ```
//!
//! `OPTIONS` come last, as `interval T`, `timeout T` (time values), `fall N`,
//! `rise N` (1..=100). Defaults: [`DEFAULT_INTERVAL`], a timeout equal to
//! the interval, [`DEFAULT_FALL`], [`DEFAULT_RISE`].

use std::time::Duration;

use super::time::parse_time;

/// Default `interval` of a check.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);
/// Default `fall`: consecutive failures before a check counts as failed.
pub const DEFAULT_FALL: u32 = 2;
/// Default `rise`: consecutive successes before it counts as healthy again.
pub const DEFAULT_RISE: u32 = 2;

/// One `check` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Check name (as written).
    pub name: String,
    /// What is checked.
    pub kind: CheckKind,
    /// Time between two runs.
    pub interval: Duration,
    /// A run that takes longer is killed and counts as a failure.
    pub timeout: Duration,
    /// Consecutive failures before the check counts as failed.
    pub fall: u32,
    /// Consecutive successes before a failed check counts as healthy again.
    pub rise: u32,
}

/// What a check tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckKind {
    /// Run `program` with `args` (no shell); exit status 0 is healthy.
    Command {
        /// Absolute path of the program.
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
    /// A TCP connection to `host:port` succeeds.
    Tcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
    /// A process with this name runs (`/proc/PID/comm`, or the base name of
    /// its first argument).
    Process {
        /// Process name.
        name: String,
    },
    /// An HTTP/1.0 GET answers with `status`.
    Http {
        /// Host name or address.
        host: String,
        /// Port (80 unless given).
        port: u16,
        /// Request path (with query), starting with `/`.
        path: String,
        /// Expected status code.
        status: u16,
    },
    /// A file exists (`exists: true`) or does not exist (`exists: false`).
    File {
        /// Path.
        path: String,
        /// Whether it must exist.
        exists: bool,
    },
}

/// One `track` line: the group is faulty on this node while any of its
/// checks counts as failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Track {
    /// Group key (first resource of its haresources line).
    pub group: String,
    /// Check names.
    pub checks: Vec<String>,
    /// `ha.cf` line of the directive (for cross-file errors).
    pub line: usize,
}

/// A group state a notify hook is called for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotifyState {
    /// The group runs here (`notify_master`).
    Master,
    /// The group does not run here and is healthy here (`notify_backup`).
    Backup,
    /// A tracked check marks the group faulty here (`notify_fault`).
    Fault,
}

impl NotifyState {
    /// `master`, `backup` or `fault`: the argument and `HA_STATE` value.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyState::Master => "master",
            NotifyState::Backup => "backup",
            NotifyState::Fault => "fault",
        }
    }
}

/// One `notify_master|notify_backup|notify_fault [GROUP] /path [ARG...]`
/// line: run (no shell) with `ARG... GROUP STATE` when a group enters the
/// state, with `HA_GROUP`, `HA_STATE` and `HA_NODE` in the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyHook {
    /// The state it is called for.
    pub state: NotifyState,
    /// Only for this group key; every group when `None`.
    pub group: Option<String>,
    /// Absolute path of the program.
    pub program: String,
    /// Its leading arguments.
    pub args: Vec<String>,
}

/// Parses the values of a `notify_*` line for `state`.
pub(crate) fn parse_hook(state: NotifyState, values: &[&str]) -> Result<NotifyHook, Invalid> {
    let (group, rest) = match values.first() {
        Some(v) if !v.starts_with('/') => (Some((*v).to_owned()), &values[1..]),
        _ => (None, values),
    };
    let Some((program, args)) = rest.split_first() else {
        return Err(invalid(
            &values.join(" "),
            "[GROUP] /absolute/program [ARG...]",
        ));
    };
    if !program.starts_with('/') {
        return Err(invalid(program, "an absolute program path"));
    }
    Ok(NotifyHook {
        state,
        group,
        program: (*program).to_owned(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
    })
}

/// Why a `check` line is invalid: the offending token and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// The token.
    pub(crate) value: String,
    /// What was expected instead.
    pub(crate) expected: String,
}

fn invalid(value: &str, expected: &str) -> Invalid {
    Invalid {
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}

const OPTIONS: [&str; 4] = ["interval", "timeout", "fall", "rise"];

/// Parses the values of a `check` line (after the directive name).
pub(crate) fn parse_check(values: &[&str]) -> Result<Check, Invalid> {
    const KINDS: &str = "a check kind: command, tcp, process, http or file";
    let (Some(name), Some(kind)) = (values.first(), values.get(1)) else {
        return Err(invalid("", "a check name and kind"));
    };
    // Options: trailing `key value` pairs.
    let mut end = values.len();
    let mut check = Check {
        name: (*name).to_owned(),
        kind: CheckKind::File {
            path: String::new(),
            exists: true,
        },
        interval: DEFAULT_INTERVAL,
        timeout: Duration::ZERO,
        fall: DEFAULT_FALL,
        rise: DEFAULT_RISE,
    };
    let mut timeout = None;
    while end >= 4 && OPTIONS.contains(&values[end - 2].to_ascii_lowercase().as_str()) {
        let (key, value) = (values[end - 2].to_ascii_lowercase(), values[end - 1]);
        match key.as_str() {
            "interval" | "timeout" => {
                let t = parse_time(value)
                    .filter(|t| !t.is_zero())
                    .ok_or_else(|| invalid(value, "a time value above 0"))?;
                if key == "interval" {
                    check.interval = t;
                } else {
                    timeout = Some(t);
                }
            }
            _ => {
                let n = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=100).contains(n))
                    .ok_or_else(|| invalid(value, "a count 1..=100"))?;
                if key == "fall" {
                    check.fall = n;
                } else {
                    check.rise = n;
                }
            }
        }
        end -= 2;
    }
    check.timeout = timeout.unwrap_or(check.interval);
    let args = &values[2..end];
    check.kind = match kind.to_ascii_lowercase().as_str() {
        "command" => {
            let (program, rest) = args
                .split_first()
                .ok_or_else(|| invalid(kind, "an absolute program path after `command`"))?;
            if !program.starts_with('/') {
                return Err(invalid(program, "an absolute program path"));
            }
            CheckKind::Command {
                program: (*program).to_owned(),
                args: rest.iter().map(|a| (*a).to_owned()).collect(),
            }
        }
        "tcp" => {
            let [addr] = args else {
                return Err(invalid(&args.join(" "), "one HOST:PORT"));
            };
            let (host, port) = host_port(addr, None)?;
            CheckKind::Tcp { host, port }
        }
        "process" => {
            let [name] = args else {
                return Err(invalid(&args.join(" "), "one process name"));
            };
            CheckKind::Process {
                name: (*name).to_owned(),
            }
        }
        "http" => {
            let [url, status] = args else {
                return Err(invalid(&args.join(" "), "a URL and an expected status"));
            };
            let rest = url
                .strip_prefix("http://")
                .ok_or_else(|| invalid(url, "an http:// URL"))?;
            let (authority, path) = match rest.find('/') {
                Some(k) => (&rest[..k], &rest[k..]),
                None => (rest, "/"),
            };
            let (host, port) = host_port(authority, Some(80))?;
            let status = status
                .parse::<u16>()
                .ok()
                .filter(|s| (100..=599).contains(s))
                .ok_or_else(|| invalid(status, "an HTTP status 100..=599"))?;
            CheckKind::Http {
                host,
                port,
                path: path.to_owned(),
                status,
            }
        }
        "file" => {
            let [path, mode] = args else {
                return Err(invalid(&args.join(" "), "a path and `exists` or `absent`"));
            };
            let exists = match mode.to_ascii_lowercase().as_str() {
                "exists" => true,
                "absent" => false,
                _ => return Err(invalid(mode, "`exists` or `absent`")),
            };
            CheckKind::File {
                path: (*path).to_owned(),
                exists,
            }
        }
        _ => return Err(invalid(kind, KINDS)),
    };
    Ok(check)
}

/// `HOST:PORT` (or `HOST` when `default` is set); `[v6]:port` accepted.
fn host_port(s: &str, default: Option<u16>) -> Result<(String, u16), Invalid> {
    const EXPECTED: &str = "HOST:PORT with a port 1..=65535";
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !p.contains(']') => {
            let port = p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| invalid(s, EXPECTED))?;
            (h, port)
        }
        _ => (s, default.ok_or_else(|| invalid(s, EXPECTED))?),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(invalid(s, EXPECTED));
    }
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Check, Invalid> {
        parse_check(&s.split_whitespace().collect::<Vec<_>>())
    }

    #[test]
    fn every_kind_parses_with_defaults_and_options() {
        let c = p("web command /usr/bin/test -f /x interval 3 fall 4").unwrap();
        assert_eq!(
            c.kind,
            CheckKind::Command {
                program: "/usr/bin/test".into(),
                args: vec!["-f".into(), "/x".into()]
            }
        );
        assert_eq!(
            (c.interval, c.timeout),
            (Duration::from_secs(3), Duration::from_secs(3))
        );
        assert_eq!((c.fall, c.rise), (4, DEFAULT_RISE));
        let c = p("db tcp 127.0.0.1:5432 timeout 500ms").unwrap();
        assert_eq!(
            c.kind,
            CheckKind::Tcp {
                host: "127.0.0.1".into(),
                port: 5432
            }
        );
        assert_eq!(c.timeout, Duration::from_millis(500));
        assert_eq!(c.interval, DEFAULT_INTERVAL);
        let c = p("h http http://localhost/health?x=1 200 rise 1").unwrap();
        assert_eq!(
            c.kind,
            CheckKind::Http {
                host: "localhost".into(),
                port: 80,
                path: "/health?x=1".into(),
                status: 200
            }
        );
        assert_eq!(c.rise, 1);
        let c = p("h http http://[::1]:8080 204").unwrap();
        assert_eq!(
            c.kind,
            CheckKind::Http {
                host: "::1".into(),
                port: 8080,
                path: "/".into(),
                status: 204
            }
        );
        assert_eq!(
            p("n process nginx").unwrap().kind,
            CheckKind::Process {
                name: "nginx".into()
            }
        );
        assert_eq!(
            p("m file /etc/maint absent").unwrap().kind,
            CheckKind::File {
                path: "/etc/maint".into(),
                exists: false
            }
        );
    }

    #[test]
    fn bad_lines_name_the_token() {
        assert_eq!(p("x command rel/path").unwrap_err().value, "rel/path");
        assert_eq!(p("x tcp host").unwrap_err().value, "host");
        assert_eq!(p("x tcp host:0").unwrap_err().value, "host:0");
        assert_eq!(p("x ping host").unwrap_err().value, "ping");
        assert_eq!(p("x http https://a/ 200").unwrap_err().value, "https://a/");
        assert_eq!(p("x http http://a/ 999").unwrap_err().value, "999");
        assert_eq!(p("x file /a maybe").unwrap_err().value, "maybe");
        assert_eq!(p("x process a fall 0").unwrap_err().value, "0");
        assert_eq!(p("x process a interval zz").unwrap_err().value, "zz");
        assert!(p("x").is_err());
    }

    #[test]
    fn hooks_are_global_or_per_group() {
        let h = parse_hook(NotifyState::Master, &["/bin/hook", "a"]).unwrap();
        assert_eq!(
            (h.group, h.program, h.args),
            (None, "/bin/hook".into(), vec!["a".into()])
        );
        let h = parse_hook(NotifyState::Fault, &["web", "/bin/hook"]).unwrap();
        assert_eq!(h.group.as_deref(), Some("web"));
        assert_eq!(
            parse_hook(NotifyState::Backup, &["web", "hook"])
                .unwrap_err()
                .value,
            "hook"
        );
        assert!(parse_hook(NotifyState::Backup, &["web"]).is_err());
    }

    #[test]
    fn track_is_checked_against_checks_and_groups() {
        use crate::config::Config;
        let keys = "auth 1\n1 sha256 secret\n";
        let res = "node1 10.0.0.10/24 httpd\n";
        let base = "node node1 node2\nucast eth0 10.0.0.2\ncheck web process httpd\n";
        let ok = format!("{base}track 10.0.0.10/24 web\n");
        let c = Config::from_texts(&ok, keys, res, "node1").unwrap();
        assert_eq!(c.health.checks_of("10.0.0.10/24"), vec!["web"]);
        let unknown_check = format!("{base}track 10.0.0.10/24 nope\n");
        let e = Config::from_texts(&unknown_check, keys, res, "node1").unwrap_err();
        assert!(e.to_string().contains("check `nope`"), "{e}");
        let unknown_group = format!("{base}track nosuch web\n");
        let e = Config::from_texts(&unknown_group, keys, res, "node1").unwrap_err();
        assert!(e.to_string().contains(":4:"), "{e}");
        let dup = format!("{base}check web tcp a:1\n");
        let e = Config::from_texts(&dup, keys, res, "node1").unwrap_err();
        assert!(e.to_string().contains("declared again"), "{e}");
    }
}
