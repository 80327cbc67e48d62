//! The command line: the program's name, the options of this tool that
//! Linux-HA's `cl_status` does not have (`--json`, `--socket PATH`), and
//! the sub-command with its own words.
//!
//! The extra options are recognised anywhere on the line and removed before
//! the `cl_status`-compatible parsing, so every line `cl_status` accepts
//! means the same here (`cl_status --help` still is an invalid sub-command).

use std::path::PathBuf;

use crate::getopt::{getopt, Parsed};
use crate::outcome::{exit, Diag, Failure, FailureKind};

/// Default path of heartbeatd's control socket.
pub const DEFAULT_SOCKET: &str = "/var/run/heartbeat/control";

/// Environment variable naming another control socket.
pub const SOCKET_ENV: &str = "HEARTBEAT_CONTROL_SOCKET";

/// Which name the tool was called by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `cl_status`: the usage text is Heartbeat's, byte for byte.
    Compat,
    /// `cl-status`: the usage text also lists this tool's extensions.
    Extended,
}

impl Flavor {
    /// The flavor of a program called as `argv0` (a path or a name).
    pub fn from_argv0(argv0: &str) -> Flavor {
        let name = argv0.rsplit('/').next().unwrap_or(argv0);
        if name.starts_with("cl_status") {
            Flavor::Compat
        } else {
            Flavor::Extended
        }
    }

    /// The program name shown in log lines.
    pub fn program(self) -> &'static str {
        match self {
            Flavor::Compat => "cl_status",
            Flavor::Extended => "cl-status",
        }
    }
}

/// This tool's own options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Globals {
    /// `--json`: print one JSON object instead of text.
    pub json: bool,
    /// `--socket PATH` / `--socket=PATH`: the control socket.
    pub socket: Option<PathBuf>,
}

impl Globals {
    /// The control socket: `--socket`, else `$HEARTBEAT_CONTROL_SOCKET`
    /// (`env` is its value), else [`DEFAULT_SOCKET`].
    pub fn socket_path(&self, env: Option<&str>) -> PathBuf {
        self.socket
            .clone()
            .or_else(|| env.filter(|p| !p.is_empty()).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET))
    }
}

/// Removes `--json` and `--socket PATH` from `args` (the words after the
/// program name).
pub fn split_globals(args: &[String]) -> Result<(Globals, Vec<String>), Failure> {
    let mut globals = Globals::default();
    let mut rest = Vec::with_capacity(args.len());
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--json" {
            globals.json = true;
        } else if word == "--socket" {
            let path = words.next().ok_or_else(|| {
                Failure::plain(
                    exit::BAD_PARAM,
                    FailureKind::BadArguments,
                    "--socket needs the path of heartbeatd's control socket",
                )
            })?;
            globals.socket = Some(PathBuf::from(path));
        } else if let Some(path) = word.strip_prefix("--socket=") {
            globals.socket = Some(PathBuf::from(path));
        } else {
            rest.push(word.clone());
        }
    }
    Ok((globals, rest))
}

/// A sub-command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubCommand {
    /// `clientstatus <node> <client> [<timeout>]`.
    ClientStatus,
    /// `hblinkstatus <node> <link>`.
    HbLinkStatus,
    /// `hbstatus [-v]`.
    HbStatus,
    /// `listnodes [-p] [-n] [-v]`.
    ListNodes,
    /// `listhblinks [-v] <node>`.
    ListHbLinks,
    /// `nodestatus <node>`.
    NodeStatus,
    /// `nodeweight <node>`.
    NodeWeight,
    /// `nodesite <node>`.
    NodeSite,
    /// `nodetype <node>`.
    NodeType,
    /// `rscstatus`.
    RscStatus,
    /// `hbparameter -p <name>`.
    HbParameter,
    /// `linkstats [<node>]` (extension).
    LinkStats,
    /// `standby [all|local|foreign|failback]` (extension, `hb_standby`).
    Standby,
    /// `takeover [all|local|foreign]` (extension, `hb_takeover`).
    Takeover,
    /// `quorum` (extension): votes seen and needed.
    Quorum,
    /// `fencehistory` (extension): fence results and dead nodes awaiting
    /// a reset.
    FenceHistory,
    /// `confirmdown <node>` (extension, `meatclient -c`): a dead node is
    /// powered off.
    ConfirmDown,
    /// `status_hblinks` (extension): `good` when every link of every other
    /// normal node is up, else `has_dead`.
    StatusHbLinks,
}

impl SubCommand {
    /// Every sub-command.
    pub const ALL: [SubCommand; 18] = [
        SubCommand::ClientStatus,
        SubCommand::HbLinkStatus,
        SubCommand::HbStatus,
        SubCommand::ListNodes,
        SubCommand::ListHbLinks,
        SubCommand::NodeStatus,
        SubCommand::NodeWeight,
        SubCommand::NodeSite,
        SubCommand::NodeType,
        SubCommand::RscStatus,
        SubCommand::HbParameter,
        SubCommand::LinkStats,
        SubCommand::Standby,
        SubCommand::Takeover,
        SubCommand::Quorum,
        SubCommand::FenceHistory,
        SubCommand::ConfirmDown,
        SubCommand::StatusHbLinks,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SubCommand::ClientStatus => "clientstatus",
            SubCommand::HbLinkStatus => "hblinkstatus",
            SubCommand::HbStatus => "hbstatus",
            SubCommand::ListNodes => "listnodes",
            SubCommand::ListHbLinks => "listhblinks",
            SubCommand::NodeStatus => "nodestatus",
            SubCommand::NodeWeight => "nodeweight",
            SubCommand::NodeSite => "nodesite",
            SubCommand::NodeType => "nodetype",
            SubCommand::RscStatus => "rscstatus",
            SubCommand::HbParameter => "hbparameter",
            SubCommand::LinkStats => "linkstats",
            SubCommand::Standby => "standby",
            SubCommand::Takeover => "takeover",
            SubCommand::Quorum => "quorum",
            SubCommand::FenceHistory => "fencehistory",
            SubCommand::ConfirmDown => "confirmdown",
            SubCommand::StatusHbLinks => "status_hblinks",
        }
    }

    /// The sub-command called `name` (exact, lower case, as Heartbeat).
    pub fn from_name(name: &str) -> Option<SubCommand> {
        SubCommand::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Its getopt option string.
    pub fn optstring(self) -> &'static str {
        match self {
            SubCommand::HbStatus | SubCommand::ListHbLinks => "mv",
            SubCommand::ListNodes => "mpnv",
            SubCommand::HbParameter => "mp:",
            SubCommand::LinkStats
            | SubCommand::Standby
            | SubCommand::Takeover
            | SubCommand::Quorum
            | SubCommand::FenceHistory
            | SubCommand::ConfirmDown
            | SubCommand::StatusHbLinks => "",
            _ => "m",
        }
    }

    /// Parses the words after the sub-command; a bad option is reported as
    /// `cl_status` does (getopt's line, then a log line; exit 11).
    pub fn options(self, args: &[String]) -> Result<Parsed, Failure> {
        getopt(args, self.optstring()).map_err(|e| {
            let getopt_line = format!("{}: {e}", self.name());
            Failure {
                code: exit::BAD_PARAM,
                kind: FailureKind::BadArguments,
                message: getopt_line.clone(),
                lines: vec![
                    Diag::Plain(getopt_line),
                    Diag::Log("Error: getopt returnedcharacter code ?.".to_owned()),
                ],
            }
        })
    }
}

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invocation {
    /// The usage text (no arguments, or `-h`).
    Usage,
    /// A sub-command and the words after it.
    Run {
        /// The sub-command.
        sub: SubCommand,
        /// Its options and operands, unparsed.
        args: Vec<String>,
    },
}

/// Reads the words after the program name (this tool's own options
/// already removed).
pub fn parse(args: &[String]) -> Result<Invocation, Failure> {
    let Some(first) = args.first() else {
        return Ok(Invocation::Usage);
    };
    if first == "-h" {
        return Ok(Invocation::Usage);
    }
    match SubCommand::from_name(first) {
        Some(sub) => Ok(Invocation::Run {
            sub,
            args: args[1..].to_vec(),
        }),
        None => Err(Failure::log_line(
            exit::BAD_PARAM,
            FailureKind::InvalidSubCommand,
            format!("{first}: invalid sub-command."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn flavor_follows_the_name() {
        assert_eq!(Flavor::from_argv0("/usr/sbin/cl_status"), Flavor::Compat);
        assert_eq!(Flavor::from_argv0("cl_status"), Flavor::Compat);
        assert_eq!(
            Flavor::from_argv0("./target/debug/cl-status"),
            Flavor::Extended
        );
    }

    #[test]
    fn globals_anywhere_are_removed() {
        let (g, rest) = split_globals(&words("nodestatus --json node1 --socket /x/c")).unwrap();
        assert!(g.json);
        assert_eq!(g.socket, Some(PathBuf::from("/x/c")));
        assert_eq!(rest, words("nodestatus node1"));
        let (g, rest) = split_globals(&words("--socket=/s listnodes")).unwrap();
        assert_eq!(g.socket_path(Some("/env")), PathBuf::from("/s"));
        assert_eq!(rest, ["listnodes"]);
        let e = split_globals(&words("listnodes --socket")).unwrap_err();
        assert_eq!(e.code, exit::BAD_PARAM);
    }

    #[test]
    fn socket_path_precedence() {
        let none = Globals::default();
        assert_eq!(none.socket_path(None), PathBuf::from(DEFAULT_SOCKET));
        assert_eq!(none.socket_path(Some("")), PathBuf::from(DEFAULT_SOCKET));
        assert_eq!(none.socket_path(Some("/e")), PathBuf::from("/e"));
    }

    #[test]
    fn usage_and_invalid_sub_commands() {
        assert_eq!(parse(&[]).unwrap(), Invocation::Usage);
        assert_eq!(parse(&words("-h")).unwrap(), Invocation::Usage);
        for bad in ["--help", "bogus", "parameter", "NODESTATUS"] {
            let e = parse(&words(bad)).unwrap_err();
            assert_eq!(e.code, exit::BAD_PARAM);
            assert_eq!(e.lines, [Diag::Log(format!("{bad}: invalid sub-command."))]);
        }
        assert_eq!(
            parse(&words("nodestatus -m node2")).unwrap(),
            Invocation::Run {
                sub: SubCommand::NodeStatus,
                args: words("-m node2")
            }
        );
    }

    #[test]
    fn every_name_round_trips() {
        for sub in SubCommand::ALL {
            assert_eq!(SubCommand::from_name(sub.name()), Some(sub));
        }
    }

    #[test]
    fn bad_options_are_reported_like_cl_status() {
        let e = SubCommand::HbParameter.options(&words("-p")).unwrap_err();
        assert_eq!(
            e.lines,
            [
                Diag::Plain("hbparameter: option requires an argument -- 'p'".into()),
                Diag::Log("Error: getopt returnedcharacter code ?.".into()),
            ]
        );
        assert_eq!(e.code, 11);
        assert!(SubCommand::NodeStatus.options(&words("-v node1")).is_err());
    }
}
