//! cl-status: the query tool of heartbeatd, a drop-in for Linux-HA
//! Heartbeat 3.0.6's `cl_status` (same sub-commands, texts, stderr
//! messages and exit codes), plus `--json`, `linkstats`, `standby`,
//! `takeover`, `status_hblinks`, and for split-brain safety `quorum`,
//! `fencehistory` and `confirmdown`.
//!
//! # Layout
//!
//! - [`cli`]: program name, this tool's own options (`--json`, `--socket`),
//!   sub-command lookup; [`getopt`]: the options after a sub-command.
//! - [`daemon`]: the [`daemon::Daemon`] trait and the control-socket client
//!   (blocking std socket, deadline on every call; no async runtime).
//! - [`commands`]: one module per sub-command; read-only ones are pure
//!   functions of a `StatusView` (unit-tested from hand-built views).
//! - [`render`]: Heartbeat's usage text, listing order, verbose blocks.
//! - [`json`]: the `--json` schema. [`outcome`]: answers, failures, exit
//!   codes. [`logline`]: Heartbeat's stderr log prefix.
//!
//! - [`events`]: `events`, the daemon's event stream as JSON lines.
//! - [`run_if_active`]: `run-if-active GROUP -- COMMAND`, the rcron
//!   replacement (runs outside the query watchdog).
//!
//! [`main_entry`] is the whole program; both binaries (`cl-status` and
//! `cl_status`) call it.

pub mod cli;
pub mod commands;
pub mod daemon;
pub mod events;
pub mod getopt;
pub mod json;
pub mod logline;
pub mod outcome;
pub mod render;
pub mod run_if_active;

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cli::{Flavor, Globals, Invocation};
use daemon::Daemon;
use outcome::{Diag, Outcome};

/// Linux-HA's overall limit: an invocation that has not finished by then
/// exits 12.
pub const OVERALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs one invocation: `args` are the words after the program name;
/// `connect` makes the daemon for the chosen options (called only when a
/// sub-command needs it). Returns what to print and the local node name if
/// the daemon told it.
pub fn execute<D: Daemon>(
    flavor: Flavor,
    args: &[String],
    connect: impl FnOnce(&Globals) -> D,
) -> (Outcome, Option<String>) {
    let (globals, rest) = match cli::split_globals(args) {
        Ok(split) => split,
        Err(failure) => return (Outcome::from_result(Err(failure), false), None),
    };
    let invocation = match cli::parse(&rest) {
        Ok(invocation) => invocation,
        Err(failure) => return (Outcome::from_result(Err(failure), globals.json), None),
    };
    match invocation {
        Invocation::Usage => (
            Outcome {
                stdout: render::usage(flavor),
                stderr: Vec::new(),
                code: outcome::exit::OK,
            },
            None,
        ),
        Invocation::Run { sub, args } => {
            let daemon = connect(&globals);
            let result = commands::run(sub, &args, &daemon);
            (
                Outcome::from_result(result, globals.json),
                daemon.local_node(),
            )
        }
    }
}

/// Serialises the final output with the time-out watchdog, so that one of
/// them prints, whole.
static OUTPUT: Mutex<()> = Mutex::new(());

/// The program: reads the command line and the environment, runs, prints,
/// exits (12 if the whole took more than [`OVERALL_TIMEOUT`]).
pub fn main_entry() -> ! {
    let started = Instant::now();
    let mut argv = std::env::args_os().map(|a| a.to_string_lossy().into_owned());
    let flavor = Flavor::from_argv0(&argv.next().unwrap_or_default());
    let args: Vec<String> = argv.collect();
    if let Ok((globals, rest)) = cli::split_globals(&args) {
        if rest.first().map(String::as_str) == Some("events") && rest.len() == 1 {
            let path = globals.socket_path(std::env::var(cli::SOCKET_ENV).ok().as_deref());
            std::process::exit(events::stream(&path, &mut std::io::stdout()))
        }
        if rest.first().map(String::as_str) == Some("run-if-active") {
            let code = match run_if_active::parse(&rest[1..]) {
                Ok(r) => {
                    let path = globals.socket_path(std::env::var(cli::SOCKET_ENV).ok().as_deref());
                    let d = daemon::SocketDaemon::new(path, started + OVERALL_TIMEOUT);
                    run_if_active::run(&d, &r)
                }
                Err(usage) => {
                    eprintln!("{usage}");
                    2
                }
            };
            std::process::exit(code)
        }
    }
    arm_watchdog(
        flavor,
        args.iter().any(|a| a == "--json"),
        started + OVERALL_TIMEOUT,
    );
    let socket_env = std::env::var(cli::SOCKET_ENV).ok();
    let (outcome, node) = execute(flavor, &args, |globals| {
        daemon::SocketDaemon::new(
            globals.socket_path(socket_env.as_deref()),
            started + OVERALL_TIMEOUT,
        )
    });
    let _output = OUTPUT.lock().unwrap_or_else(|e| e.into_inner());
    print(&outcome, flavor, node.as_deref());
    // Exit while holding the lock: the watchdog can no longer print.
    std::process::exit(i32::from(outcome.code))
}

/// Prints `outcome`; log lines get Heartbeat's prefix with `node` (else
/// the host name).
pub fn print(outcome: &Outcome, flavor: Flavor, node: Option<&str>) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(outcome.stdout.as_bytes());
    let _ = stdout.flush();
    if outcome.stderr.is_empty() {
        return;
    }
    let node = node.map_or_else(logline::hostname, str::to_owned);
    let prefix = logline::prefix(
        chrono::Local::now(),
        &node,
        flavor.program(),
        std::process::id(),
    );
    let mut text = String::new();
    for line in &outcome.stderr {
        match line {
            Diag::Plain(t) => text.push_str(t),
            Diag::Log(t) => {
                text.push_str(&prefix);
                text.push_str(t);
            }
        }
        text.push('\n');
    }
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// Starts the thread that ends the process with exit 12 at `deadline`.
fn arm_watchdog(flavor: Flavor, json: bool, deadline: Instant) {
    let spawned = std::thread::Builder::new()
        .name("timeout".into())
        .spawn(move || {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            let _output = OUTPUT.lock().unwrap_or_else(|e| e.into_inner());
            let outcome = Outcome::from_result(Err(daemon::timeout_failure()), json);
            print(&outcome, flavor, None);
            std::process::exit(i32::from(outcome::exit::TIMEOUT));
        });
    // Without the thread, the per-call deadlines still bound every call.
    drop(spawned);
}
