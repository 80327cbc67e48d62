//! Configuration errors: where (file, line) and what was expected.

use std::fmt;
use std::path::{Path, PathBuf};

/// One configuration error, located in a file and (usually) at a line.
///
/// Displayed as `FILE:LINE: what is wrong and what was expected`, or
/// `FILE: ...` for errors about a whole file (a missing `node` directive, an
/// unreadable file, wrong permissions).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", location(.file, *.line), .kind)]
pub struct ConfigError {
    /// The file, as it was named to the parser (`ha.d/ha.cf`, or a label in tests).
    pub file: PathBuf,
    /// The 1-based line number; `None` when the error concerns the whole file.
    pub line: Option<usize>,
    /// What is wrong.
    pub kind: ConfigErrorKind,
}

impl ConfigError {
    /// An error at a line of a file.
    pub fn at(file: &Path, line: usize, kind: ConfigErrorKind) -> Self {
        ConfigError {
            file: file.to_path_buf(),
            line: Some(line),
            kind,
        }
    }

    /// An error about a whole file.
    pub fn in_file(file: &Path, kind: ConfigErrorKind) -> Self {
        ConfigError {
            file: file.to_path_buf(),
            line: None,
            kind,
        }
    }
}

fn location(file: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", file.display()),
        None => file.display().to_string(),
    }
}

/// What is wrong, with what was expected. Times are shown in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Unreadable(String),

    // ---- ha.cf: syntax -------------------------------------------------------
    /// A directive Heartbeat 3.0.6 does not know either.
    #[error("unknown directive `{0}` (not a Heartbeat ha.cf directive)")]
    UnknownDirective(String),
    /// A directive without its value(s).
    #[error("`{directive}` needs a value: expected {expected}")]
    MissingValue {
        /// The directive.
        directive: String,
        /// What was expected.
        expected: String,
    },
    /// A directive with more values than it takes.
    #[error("`{directive}` takes {expected}, found extra value `{extra}`")]
    ExtraValue {
        /// The directive.
        directive: String,
        /// What was expected.
        expected: String,
        /// The first value too many.
        extra: String,
    },
    /// A value that does not parse.
    #[error("`{directive}`: invalid value `{value}`: expected {expected}")]
    InvalidValue {
        /// The directive (or `authkeys`/`haresources` field).
        directive: String,
        /// The value as written.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// `crm`/`pacemaker` set to a value that enables Pacemaker.
    #[error(
        "`{directive} {value}` is not supported: heartbeat-rs runs resource groups from \
         haresources only (use `{directive} off`)"
    )]
    PacemakerNotSupported {
        /// `crm` or `pacemaker`.
        directive: String,
        /// The value as written.
        value: String,
    },
    /// `autojoin other|any`, which Heartbeat rejects in haresources mode too.
    #[error(
        "`autojoin {0}` is not supported with haresources: list every node with `node` \
         (expected `autojoin none`)"
    )]
    AutojoinNotSupported(String),

    // ---- ha.cf: validation ---------------------------------------------------
    /// No `node` directive.
    #[error("no `node` directive: at least one cluster node is required")]
    NoNodes,
    /// The local node is not among the `node` directives.
    #[error("this node `{node}` is not listed in a `node` directive (nodes: {nodes})")]
    LocalNodeNotListed {
        /// The local node name.
        node: String,
        /// The configured nodes, comma separated.
        nodes: String,
    },
    /// No `bcast`, `mcast` or `ucast` medium.
    #[error("no communication medium: expected at least one `bcast`, `mcast` or `ucast` line")]
    NoMedia,
    /// A `ucast` peer host name that does not resolve to an IPv4 address
    /// (checked when a configuration directory is loaded).
    #[error("`ucast` peer `{peer}` does not resolve: {reason}")]
    UnresolvablePeer {
        /// The peer as written.
        peer: String,
        /// The resolver's answer.
        reason: String,
    },
    /// A multicast group outside 224.0.0.0/4.
    #[error("`mcast` group {0} is not a multicast address: expected one in 224.0.0.0/4")]
    NotMulticast(std::net::Ipv4Addr),
    /// `keepalive 0`.
    #[error("keepalive must be greater than 0")]
    KeepaliveZero,
    /// deadtime ≤ 2 × keepalive.
    #[error(
        "deadtime must be greater than 2 × keepalive (got {deadtime_ms} ms, keepalive {keepalive_ms} ms)"
    )]
    DeadtimeTooShort {
        /// Effective deadtime.
        deadtime_ms: u128,
        /// Effective keepalive.
        keepalive_ms: u128,
    },
    /// warntime of 0.
    #[error("warntime must be greater than 0")]
    WarntimeZero,
    /// initdead < deadtime.
    #[error(
        "initdead must be at least deadtime (got {initdead_ms} ms, deadtime {deadtime_ms} ms)"
    )]
    InitdeadTooShort {
        /// Effective initdead.
        initdead_ms: u128,
        /// Effective deadtime.
        deadtime_ms: u128,
    },
    /// deadping ≤ 2 × keepalive.
    #[error(
        "deadping must be greater than 2 × keepalive (got {deadping_ms} ms, keepalive {keepalive_ms} ms)"
    )]
    DeadpingTooShort {
        /// Effective deadping.
        deadping_ms: u128,
        /// Effective keepalive.
        keepalive_ms: u128,
    },
    /// A name used both as a cluster node and as a ping node.
    #[error("`{0}` is declared both as a cluster node and as a ping node")]
    PingNodeIsNode(String),
    /// Two `check` lines with the same name.
    #[error("check `{0}` is declared again")]
    DuplicateCheck(String),
    /// A `track` line names a check no `check` line declares.
    #[error("`track` names check `{0}`, which no `check` line declares")]
    UnknownCheck(String),
    /// A `stonith_host` or `fence_agent` line names a node that no `node`
    /// line declares.
    #[error("`{directive}` names node `{node}`, which is not a `node` of ha.cf (nodes: {nodes})")]
    UnknownSafetyNode {
        /// `stonith_host` or `fence_agent`.
        directive: String,
        /// The node as written (lower-cased).
        node: String,
        /// The configured nodes, comma separated.
        nodes: String,
    },
    /// A `track` line names a group that is not in `haresources`.
    #[error("`track` names group `{0}`, which is not a haresources group key")]
    UnknownTrackedGroup(String),

    // ---- authkeys --------------------------------------------------------------
    /// authkeys can be read (or written) by group or others.
    #[error(
        "authkeys holds secrets but its mode is {mode:04o}: it is readable or writable by group \
         or others; expected mode 0600 (fix: chmod 600 {path})"
    )]
    InsecurePermissions {
        /// Permission bits of the file.
        mode: u32,
        /// The file path, for the fix.
        path: String,
    },
    /// No `auth N` line.
    #[error("no `auth N` line: expected one naming the key index used to sign (0..=15)")]
    NoAuthLine,
    /// A second `auth` line.
    #[error("second `auth` line: expected exactly one (the first is at line {first_line})")]
    DuplicateAuthLine {
        /// Line of the first `auth`.
        first_line: usize,
    },
    /// `auth N` names an index without a key line.
    #[error("`auth {0}` names key index {0}, but no line `{0} METHOD [KEY]` defines it")]
    ActiveKeyUndefined(u8),
    /// An index defined twice.
    #[error("key index {index} is defined twice (first at line {first_line})")]
    DuplicateKeyIndex {
        /// The index.
        index: u8,
        /// Line of the first definition.
        first_line: usize,
    },
    /// A line that starts with neither `auth` nor a key index.
    #[error("`{0}` is not a key index: expected `auth N` or `N METHOD [KEY]` with N in 0..=15")]
    BadKeyLine(String),
    /// An unknown authentication method.
    #[error("unknown authentication method `{0}`: expected crc, md5, sha1 or sha256")]
    UnknownAuthMethod(String),
    /// `crc` with a key.
    #[error("method crc takes no key (it only checks integrity), found `{0}`")]
    CrcWithKey(String),
    /// md5/sha1/sha256 without a key.
    #[error("method {0} needs a key: expected `N {0} KEY`")]
    MissingKey(String),

    // ---- haresources ------------------------------------------------------------
    /// The preferred node is not a configured node.
    #[error("preferred node `{node}` is not a `node` in ha.cf (nodes: {nodes})")]
    UnknownPreferredNode {
        /// The node as written (lower-cased).
        node: String,
        /// The configured nodes, comma separated.
        nodes: String,
    },
    /// A group line with a node and no resource.
    #[error("group of node `{0}` has no resource: expected `NODE RESOURCE...`")]
    EmptyGroup(String),
    /// Two groups with the same first resource.
    #[error("group key `{key}` is used twice (first at line {first_line}); the first resource of each line must be unique")]
    DuplicateGroupKey {
        /// The key.
        key: String,
        /// Line of the first group with this key.
        first_line: usize,
    },
    /// A resource token that is neither `script::args` nor an IPv4 address.
    #[error("invalid resource `{token}`: {reason}")]
    InvalidResource {
        /// The token as written.
        token: String,
        /// Why, and what was expected.
        reason: String,
    },
    /// A `\` continuation on the last line.
    #[error("the last line ends with `\\`: expected a continuation line")]
    DanglingContinuation,
}

/// Every error found in a configuration, plus the warnings gathered on the way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigErrors {
    errors: Vec<ConfigError>,
    warnings: Vec<String>,
}

impl ConfigErrors {
    /// Builds the set from errors and warnings.
    pub fn new(errors: Vec<ConfigError>, warnings: Vec<String>) -> Self {
        ConfigErrors { errors, warnings }
    }

    /// The errors, in file then line order of discovery.
    pub fn errors(&self) -> &[ConfigError] {
        &self.errors
    }

    /// Warnings found along the way (directives without effect, ...).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Number of errors.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether there is no error.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

impl fmt::Display for ConfigErrors {
    /// One error per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

/// What one parser produced: a value (possibly partial, with defaults where a
/// line was wrong), the errors and the warnings. Lets [`super::Config::load`]
/// report the errors of all three files at once.
#[derive(Clone, Debug)]
pub(crate) struct Parsed<T> {
    pub(crate) value: T,
    pub(crate) errors: Vec<ConfigError>,
    pub(crate) warnings: Vec<String>,
}

impl<T> Parsed<T> {
    /// `Ok(value)` without errors, else every error and warning.
    pub(crate) fn into_result(self) -> Result<T, ConfigErrors> {
        if self.errors.is_empty() {
            Ok(self.value)
        } else {
            Err(ConfigErrors::new(self.errors, self.warnings))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_with_and_without_line() {
        let e = ConfigError::at(
            Path::new("ha.cf"),
            12,
            ConfigErrorKind::DeadtimeTooShort {
                deadtime_ms: 1000,
                keepalive_ms: 1000,
            },
        );
        assert_eq!(
            e.to_string(),
            "ha.cf:12: deadtime must be greater than 2 × keepalive (got 1000 ms, keepalive 1000 ms)"
        );
        let e = ConfigError::in_file(Path::new("d/ha.cf"), ConfigErrorKind::NoNodes);
        assert!(e.to_string().starts_with("d/ha.cf: no `node` directive"));
    }
}
