//! One module per sub-command (or family). Each read-only sub-command is a
//! pure function from a [`StatusView`] and its parsed options to an
//! [`Answer`] or a [`Failure`]; [`run`] fetches the status first, as
//! `cl_status` signs on before it reads its arguments.

pub mod admin;
pub mod clientstatus;
pub mod confirmdown;
pub mod fencehistory;
pub mod hbparameter;
pub mod hbstatus;
pub mod links;
pub mod linkstats;
pub mod listnodes;
pub mod node;
pub mod quorum;
pub mod rscstatus;
pub mod status_hblinks;

use heartbeat_core::control::StatusView;

use crate::cli::SubCommand;
use crate::daemon::Daemon;
use crate::getopt::Parsed;
use crate::outcome::{Answer, Failure};

/// Runs `sub` with the words after it against `daemon`.
pub fn run(sub: SubCommand, args: &[String], daemon: &dyn Daemon) -> Result<Answer, Failure> {
    match sub {
        SubCommand::HbStatus => hbstatus::run(daemon, args),
        SubCommand::Standby | SubCommand::Takeover => admin::run(sub, daemon, args),
        SubCommand::ConfirmDown => confirmdown::run(daemon, args),
        _ => {
            let view = daemon.status().map_err(|e| e.signon_failure())?;
            let opts = sub.options(args)?;
            answer(sub, &view, &opts)
        }
    }
}

/// Refuses operands after a sub-command that takes none (exit 11).
pub fn no_operands(sub: SubCommand, opts: &Parsed) -> Result<(), Failure> {
    match opts.operands.first() {
        None => Ok(()),
        Some(extra) => Err(unexpected_argument(sub, extra)),
    }
}

/// The failure of an operand too many after `sub` (exit 11).
pub fn unexpected_argument(sub: SubCommand, extra: &str) -> Failure {
    Failure::plain(
        crate::outcome::exit::BAD_PARAM,
        crate::outcome::FailureKind::BadArguments,
        format!("{}: unexpected argument `{extra}`", sub.name()),
    )
}

/// The answer of a read-only sub-command from a status already fetched.
pub fn answer(sub: SubCommand, view: &StatusView, opts: &Parsed) -> Result<Answer, Failure> {
    match sub {
        SubCommand::ClientStatus => clientstatus::answer(view, opts),
        SubCommand::HbLinkStatus => links::hblinkstatus(view, opts),
        SubCommand::HbStatus => Ok(hbstatus::running(view, opts)),
        SubCommand::ListNodes => Ok(listnodes::answer(view, opts)),
        SubCommand::ListHbLinks => links::listhblinks(view, opts),
        SubCommand::NodeStatus => node::nodestatus(view, opts),
        SubCommand::NodeWeight => node::nodeweight(view, opts),
        SubCommand::NodeSite => node::nodesite(view, opts),
        SubCommand::NodeType => node::nodetype(view, opts),
        SubCommand::RscStatus => Ok(rscstatus::answer(view, opts)),
        SubCommand::HbParameter => hbparameter::answer(view, opts),
        SubCommand::LinkStats => linkstats::answer(view, opts),
        SubCommand::Quorum => quorum::answer(view, opts),
        SubCommand::FenceHistory => fencehistory::answer(view, opts),
        SubCommand::StatusHbLinks => status_hblinks::answer(view, opts),
        SubCommand::Standby | SubCommand::Takeover | SubCommand::ConfirmDown => {
            unreachable!("not a read-only sub-command")
        }
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A hand-built status: node1 (local, active) and node2 (active) with
    //! links eth0 and eth1, ping node 10.77.0.1, node1 holding `hbltest`;
    //! a [`Recorder`] daemon for the sub-commands that change state.

    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use heartbeat_core::control::{
        GroupView, LinkView, NodeView, Request, Response, SafetyView, StatusView,
    };

    use crate::daemon::{Daemon, DaemonError};
    use crate::getopt::{getopt, Parsed};

    /// A daemon that gives one answer to every request and records them.
    pub(crate) struct Recorder {
        /// The answer.
        pub(crate) answer: Response,
        /// The requests seen.
        pub(crate) seen: RefCell<Vec<Request>>,
    }

    impl Recorder {
        /// A daemon answering `answer`.
        pub(crate) fn answering(answer: Response) -> Recorder {
            Recorder {
                answer,
                seen: RefCell::new(Vec::new()),
            }
        }
    }

    impl Daemon for Recorder {
        fn call(&self, request: &Request) -> Result<Response, DaemonError> {
            self.seen.borrow_mut().push(request.clone());
            Ok(self.answer.clone())
        }
    }

    /// The words of a command line.
    pub(crate) fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    /// A link.
    pub(crate) fn link(name: &str, status: &str) -> LinkView {
        LinkView {
            name: name.into(),
            status: status.into(),
            last_heard_ms_ago: Some(200),
            max_gap_ms: 1010,
            packets: 42,
            deaths: 0,
        }
    }

    /// A node.
    pub(crate) fn node(name: &str, node_type: &str, status: &str, links: &[&str]) -> NodeView {
        NodeView {
            name: name.into(),
            node_type: node_type.into(),
            status: status.into(),
            local: name == "node1",
            weight: 100,
            site: String::new(),
            generation: Some(7),
            deadtime_ms: 5000,
            last_heard_ms_ago: (name != "node1").then_some(200),
            dead_in_ms: None,
            max_gap_ms: if name == "node1" { 0 } else { 1010 },
            late_heartbeats: 0,
            lost_packets: 3,
            recovered_packets: 1,
            rtt_us: (name != "node1").then_some(250),
            deaths: 0,
            restarts: 0,
            links: links.iter().map(|l| link(l, "up")).collect(),
        }
    }

    /// The healthy two-node cluster of the reference capture.
    pub(crate) fn healthy() -> StatusView {
        StatusView {
            daemon_version: "0.1.0".into(),
            local_node: "node1".into(),
            generation: 7,
            comm_up: true,
            resources: "local".into(),
            nodes: vec![
                node("node1", "normal", "active", &["eth0", "eth1"]),
                node("node2", "normal", "active", &["eth0", "eth1"]),
                node("10.77.0.1", "ping", "ping", &["10.77.0.1"]),
            ],
            groups: vec![GroupView {
                key: "hbltest".into(),
                preferred_node: "node1".into(),
                owner: Some("node1".into()),
                activity: "running".into(),
            }],
            parameters: BTreeMap::from([
                ("deadtime".to_owned(), "5".to_owned()),
                ("deadping".to_owned(), "5000ms".to_owned()),
                (
                    "hbversion".to_owned(),
                    "3.0.6 (heartbeat-rs 0.1.0)".to_owned(),
                ),
            ]),
            media: Vec::new(),
            safety: SafetyView::default(),
            respawned: Vec::new(),
        }
    }

    /// Options of a sub-command line (after the sub-command).
    pub(crate) fn opts(line: &str, optstring: &str) -> Parsed {
        getopt(&words(line), optstring).unwrap()
    }
}
