//! What a sub-command produces: an [`Answer`] (text, JSON value, exit code)
//! or a [`Failure`] (stderr lines, JSON error, exit code), and the
//! [`Outcome`] of a whole invocation that `main` prints.

use serde::Serialize;

/// Exit codes of Linux-HA's `cl_status`, which this tool keeps.
pub mod exit {
    /// Success; for predicates, "yes" (node active, link up).
    pub const OK: u8 = 0;
    /// "No" or failure: dead node or link, unknown parameter, offline
    /// client, heartbeat not running (cannot sign on).
    pub const FALSE: u8 = 1;
    /// Bad arguments: unknown sub-command, missing parameter, bad option,
    /// unknown node.
    pub const BAD_PARAM: u8 = 11;
    /// The overall 5-second time limit ran out.
    pub const TIMEOUT: u8 = 12;
    /// The daemon could not answer the question (unknown link, link walk
    /// of an unknown node, client status).
    pub const API_ERROR: u8 = 13;
}

/// One line for stderr.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Diag {
    /// Printed as it is (`No enough parameter.`).
    Plain(String),
    /// A log line: printed after Heartbeat's log prefix
    /// (`Nov 21 22:26:28 node1 cl_status: [11633]: ERROR: `).
    Log(String),
}

/// Why a sub-command failed, as a stable word (the `kind` of a JSON error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The sub-command does not exist.
    InvalidSubCommand,
    /// Missing or malformed arguments or options.
    BadArguments,
    /// No such node.
    UnknownNode,
    /// No such link of the node.
    UnknownLink,
    /// The parameter is not set or does not exist.
    UnknownParameter,
    /// The client's status cannot be had.
    ClientStatusUnavailable,
    /// The daemon is not running (nothing listens on the control socket).
    NotRunning,
    /// The daemon refused the caller (socket permissions, or a state
    /// change asked by an unprivileged user).
    PermissionDenied,
    /// The daemon refused the request for another reason.
    Refused,
    /// No answer within the time limit.
    Timeout,
    /// The daemon's answer was unusable.
    ApiError,
}

/// A failed sub-command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Exit code.
    pub code: u8,
    /// What went wrong, as a stable word.
    pub kind: FailureKind,
    /// What went wrong, in words (the JSON error's `message`).
    pub message: String,
    /// The stderr lines of the text mode, exactly as Heartbeat prints them.
    pub lines: Vec<Diag>,
}

impl Failure {
    /// A failure reported with one plain stderr line.
    pub fn plain(code: u8, kind: FailureKind, text: impl Into<String>) -> Failure {
        let text = text.into();
        Failure {
            code,
            kind,
            message: text.clone(),
            lines: vec![Diag::Plain(text)],
        }
    }

    /// A failure reported as Heartbeat's pair of log lines, `WHAT` and
    /// `REASON: WHY` (the reason line is printed even when `why` is empty,
    /// as Heartbeat does).
    pub fn logged(code: u8, kind: FailureKind, what: impl Into<String>, why: &str) -> Failure {
        let what = what.into();
        Failure {
            code,
            kind,
            message: if why.is_empty() {
                what.clone()
            } else {
                format!("{what}: {why}")
            },
            lines: vec![Diag::Log(what), Diag::Log(format!("REASON: {why}"))],
        }
    }

    /// A failure reported with one log line.
    pub fn log_line(code: u8, kind: FailureKind, text: impl Into<String>) -> Failure {
        let text = text.into();
        Failure {
            code,
            kind,
            message: text.clone(),
            lines: vec![Diag::Log(text)],
        }
    }

    /// Heartbeat's answer to a node name it does not know (exit 11), in
    /// the words of `nodestatus`, `nodetype` and `nodesite`.
    pub fn unknown_node() -> Failure {
        Failure::plain(
            exit::BAD_PARAM,
            FailureKind::UnknownNode,
            "Error. May be due to incorrect node name",
        )
    }

    /// A missing positional argument, in the words of most sub-commands.
    pub fn not_enough_parameters() -> Failure {
        Failure::plain(
            exit::BAD_PARAM,
            FailureKind::BadArguments,
            "No enough parameter.",
        )
    }
}

/// A successful sub-command.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// Text for stdout (with its final newline).
    pub text: String,
    /// The same answer for `--json`.
    pub json: serde_json::Value,
    /// Exit code (not always 0: `nodestatus` of a dead node exits 1).
    pub code: u8,
}

impl Answer {
    /// An answer with exit code 0.
    pub fn ok(text: String, json: &impl Serialize) -> Answer {
        Answer::with_code(text, json, exit::OK)
    }

    /// An answer with the given exit code.
    pub fn with_code(text: String, json: &impl Serialize, code: u8) -> Answer {
        Answer {
            text,
            json: serde_json::to_value(json).expect("answers serialize"),
            code,
        }
    }
}

/// The JSON form of a failure: `{"error": {"kind", "code", "message"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ErrorReport {
    /// The error.
    pub error: ErrorBody,
}

/// The body of an [`ErrorReport`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ErrorBody {
    /// What went wrong, as a stable word.
    pub kind: FailureKind,
    /// The exit code.
    pub code: u8,
    /// What went wrong, in words.
    pub message: String,
}

/// Everything one invocation prints, and its exit code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// For stdout.
    pub stdout: String,
    /// For stderr, one entry per line.
    pub stderr: Vec<Diag>,
    /// Exit code.
    pub code: u8,
}

impl Outcome {
    /// The outcome of a sub-command, as text or as JSON.
    pub fn from_result(result: Result<Answer, Failure>, json: bool) -> Outcome {
        match (result, json) {
            (Ok(answer), false) => Outcome {
                stdout: answer.text,
                stderr: Vec::new(),
                code: answer.code,
            },
            (Ok(answer), true) => Outcome {
                stdout: json_line(&answer.json),
                stderr: Vec::new(),
                code: answer.code,
            },
            (Err(failure), false) => Outcome {
                stdout: String::new(),
                stderr: failure.lines,
                code: failure.code,
            },
            (Err(failure), true) => Outcome {
                stdout: json_line(&ErrorReport {
                    error: ErrorBody {
                        kind: failure.kind,
                        code: failure.code,
                        message: failure.message,
                    },
                }),
                stderr: Vec::new(),
                code: failure.code,
            },
        }
    }
}

/// Pretty JSON with a final newline.
fn json_line(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON values serialize");
    text.push('\n');
    text
}
