//! heartbeatd: the heartbeat-rs node daemon.
//!
//! Today it validates a configuration directory: `heartbeatd --config-dir DIR
//! [--node-name NAME] --check` prints the effective configuration and exits 0,
//! or prints every error and exits 1. Parsing lives in `heartbeat_core::config`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Parser;
use heartbeat_core::config::Config;

/// Command line of heartbeatd.
#[derive(Debug, Parser)]
#[command(name = "heartbeatd", version, about = "The heartbeat-rs node daemon")]
struct Args {
    /// Directory holding ha.cf, authkeys and haresources.
    #[arg(long, value_name = "DIR", default_value = "/etc/ha.d")]
    config_dir: PathBuf,

    /// This node's name (default: `uname -n`, lower-cased).
    #[arg(long, value_name = "NAME")]
    node_name: Option<String>,

    /// Validate the configuration, print it with every default, and exit.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("heartbeatd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    let node = match args.node_name {
        Some(name) => name.to_ascii_lowercase(),
        None => local_node_name()?,
    };
    let config = match Config::load(&args.config_dir, &node) {
        Ok(config) => config,
        Err(errors) => {
            let mut err = std::io::stderr().lock();
            for w in errors.warnings() {
                writeln!(err, "warning: {w}")?;
            }
            for e in errors.errors() {
                writeln!(err, "error: {e}")?;
            }
            writeln!(
                err,
                "heartbeatd: {} error(s) in {} (node {node})",
                errors.len(),
                args.config_dir.display()
            )?;
            return Ok(ExitCode::FAILURE);
        }
    };
    for w in &config.warnings {
        eprintln!("warning: {w}");
    }
    if args.check {
        print!("{}", config.effective());
        return Ok(ExitCode::SUCCESS);
    }
    bail!("the daemon itself is not implemented yet; use --check to validate a configuration")
}

/// The kernel's host name (`uname -n`), lower-cased.
fn local_node_name() -> anyhow::Result<String> {
    let path = "/proc/sys/kernel/hostname";
    let name = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the host name from {path}; use --node-name"))?;
    let name = name.trim().to_ascii_lowercase();
    if name.is_empty() {
        bail!("the host name is empty; use --node-name");
    }
    Ok(name)
}
