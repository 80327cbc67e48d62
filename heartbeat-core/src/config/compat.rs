//! The `ha.cf` directives Heartbeat 3.0.6 knows that heartbeat-rs accepts for
//! compatibility but does not act on: their values are checked, and a warning
//! says they have no effect, so an existing `/etc/ha.d/ha.cf` still loads.

/// The shape of a compatibility directive's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One boolean (`true on yes y 1` / `false off no n 0`).
    Bool,
    /// One time value (see [`super::time`]).
    Time,
    /// One unsigned integer.
    UInt,
    /// One token.
    Word,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// At least this many tokens.
    AtLeast(usize),
}

/// One compatibility directive.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CompatDirective {
    /// Name, lower case.
    pub(crate) name: &'static str,
    /// Value shape.
    pub(crate) shape: Shape,
    /// A boolean value that matches what heartbeat-rs does anyway, so setting
    /// it needs no warning (`use_logd no`).
    pub(crate) silent_bool: Option<bool>,
    /// What the operator should know besides "no effect".
    pub(crate) note: &'static str,
}

const fn d(name: &'static str, shape: Shape, note: &'static str) -> CompatDirective {
    CompatDirective {
        name,
        shape,
        silent_bool: None,
        note,
    }
}

const fn quiet_when(name: &'static str, value: bool, note: &'static str) -> CompatDirective {
    CompatDirective {
        name,
        shape: Shape::Bool,
        silent_bool: Some(value),
        note,
    }
}

/// Every accepted-without-effect directive of Heartbeat 3.0.6's `ha.cf`.
pub(crate) const COMPAT_DIRECTIVES: &[CompatDirective] = &[
    d(
        "mcast6",
        Shape::AtLeast(5),
        "IPv6 media are not implemented",
    ),
    d(
        "ucast6",
        Shape::AtLeast(2),
        "IPv6 media are not implemented",
    ),
    d(
        "serial",
        Shape::AtLeast(1),
        "serial media are not implemented",
    ),
    d("baud", Shape::UInt, "serial media are not implemented"),
    d(
        "ping6",
        Shape::AtLeast(1),
        "IPv6 ping nodes are not implemented",
    ),
    d("hbaping", Shape::AtLeast(1), "HBA ping is not implemented"),
    quiet_when(
        "use_logd",
        false,
        "logs go to logfile/debugfile/logfacility",
    ),
    d("conn_logd_time", Shape::Time, "there is no logd"),
    d(
        "apiauth",
        Shape::AtLeast(1),
        "the control socket has its own access rules",
    ),
    d("rtprio", Shape::UInt, ""),
    d(
        "hbgenmethod",
        Shape::Choice(&["file", "time"]),
        "the generation is always kept in a file",
    ),
    d("coredumps", Shape::Bool, ""),
    d("coreroot", Shape::Word, ""),
    d("log_badpack", Shape::Bool, ""),
    d("syslogmsgfmt", Shape::Bool, ""),
    quiet_when("use_apphbd", false, "apphbd is not used"),
    d(
        "uuidfrom",
        Shape::Choice(&["file", "nodename"]),
        "the uuid is always kept in a file",
    ),
    d("memreserve", Shape::UInt, ""),
    d(
        "env",
        Shape::AtLeast(1),
        "respawned commands get no HA_ variables",
    ),
    d("quorum_server", Shape::Word, ""),
    d("crm_daemon_dir", Shape::Word, "Pacemaker only"),
    d("crmd_spawns_pengine", Shape::Bool, "Pacemaker only"),
    d("record_config_changes", Shape::Bool, "Pacemaker only"),
    d("record_pengine_inputs", Shape::Bool, "Pacemaker only"),
    d("enable_config_writes", Shape::Bool, "Pacemaker only"),
    d("normalpoll", Shape::Bool, ""),
];

/// Looks a compatibility directive up by its lower-case name.
pub(crate) fn find(name: &str) -> Option<&'static CompatDirective> {
    COMPAT_DIRECTIVES.iter().find(|c| c.name == name)
}

/// Parses a Linux-HA boolean: `true on yes y 1` / `false off no n 0`, any case.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "y" | "1" => Some(true),
        "false" | "off" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// What a boolean must look like, for error messages.
pub(crate) const BOOL_EXPECTED: &str = "a boolean: true/on/yes/y/1 or false/off/no/n/0";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        for t in ["true", "ON", "Yes", "y", "1"] {
            assert_eq!(parse_bool(t), Some(true));
        }
        for f in ["false", "off", "NO", "n", "0"] {
            assert_eq!(parse_bool(f), Some(false));
        }
        assert_eq!(parse_bool("maybe"), None);
    }

    #[test]
    fn names_are_unique_and_lower_case() {
        let mut names: Vec<_> = COMPAT_DIRECTIVES.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COMPAT_DIRECTIVES.len());
        assert!(names.iter().all(|n| *n == n.to_ascii_lowercase()));
    }
}
