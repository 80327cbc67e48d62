//! cluster-glue STONITH devices, run through `stonith(8)` as Heartbeat ran
//! its plugins:
//!
//! - `stonith TYPE FILE` (`ha.cf`): `stonith -t TYPE -F FILE -T reset NODE`;
//! - `stonith_host FROM TYPE VALUES…`: the plugin's parameter names come
//!   from `stonith -t TYPE -n`; the values are given to them in order, the
//!   last name taking the rest of the values (space separated), as
//!   cluster-glue reads a `-p` string; then
//!   `stonith -t TYPE name=value… -T reset NODE`.
//!
//! Exit status 0 is a reset.

use std::path::Path;
use std::time::Instant;

use heartbeat_core::config::{StonithDevice, StonithParams};
use tokio::process::Command;

use super::{left, Attempt, AttemptError};
use crate::child::{self, is_executable};

/// Resets `target` with `device`, running `stonith` (cluster-glue's
/// `stonith(8)`), by `deadline`.
pub async fn reset(
    stonith: &Path,
    device: &StonithDevice,
    target: &str,
    deadline: Instant,
) -> Attempt {
    if !is_executable(stonith) {
        return Err(AttemptError {
            reason: format!("{} not found (install cluster-glue)", stonith.display()),
            output: String::new(),
        });
    }
    if target.starts_with('-') {
        return Err(AttemptError {
            reason: format!("node name {target:?} would be read as an option"),
            output: String::new(),
        });
    }
    let names = match &device.params {
        StonithParams::Positional(_) => Some(config_names(stonith, &device.kind, deadline).await?),
        StonithParams::ConfigFile(_) => None,
    };
    let args = reset_args(device, names.as_deref(), target);
    let done = child::run(command(stonith, &args), None, left(deadline)).await;
    if done.success() {
        return Ok(());
    }
    Err(AttemptError {
        reason: format!("stonith {}: {}", args.join(" "), done.ending),
        output: done.output,
    })
}

/// The parameter names of STONITH type `kind`, in order
/// (`stonith -t TYPE -n`).
pub async fn config_names(
    stonith: &Path,
    kind: &str,
    deadline: Instant,
) -> Result<Vec<String>, AttemptError> {
    let args = ["-t".to_owned(), kind.to_owned(), "-n".to_owned()];
    let done = child::run(command(stonith, &args), None, left(deadline)).await;
    let names: Vec<String> = done.output.split_whitespace().map(str::to_owned).collect();
    if !done.success() || names.is_empty() {
        return Err(AttemptError {
            reason: format!(
                "stonith -t {kind} -n: {} (is {kind} listed by stonith -L?)",
                if done.success() {
                    "no parameter names".to_owned()
                } else {
                    done.ending.to_string()
                }
            ),
            output: done.output,
        });
    }
    Ok(names)
}

/// The arguments of a reset of `target` with `device`; `names` are the
/// plugin's parameter names (needed for positional parameters).
pub fn reset_args(device: &StonithDevice, names: Option<&[String]>, target: &str) -> Vec<String> {
    let mut args = vec!["-t".to_owned(), device.kind.clone()];
    match &device.params {
        StonithParams::ConfigFile(file) => {
            args.push("-F".to_owned());
            args.push(file.display().to_string());
        }
        StonithParams::Positional(values) => {
            args.extend(name_values(names.unwrap_or_default(), values));
        }
    }
    args.extend(["-T".to_owned(), "reset".to_owned(), target.to_owned()]);
    args
}

/// `name=value` for each positional value, in order; the last name takes
/// every remaining value, joined by spaces (cluster-glue's reading of a
/// `-p` string). Names without a value are left out: the plugin reports
/// the missing ones it needs.
pub fn name_values(names: &[String], values: &[String]) -> Vec<String> {
    let mut pairs = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let value = if i + 1 == names.len() {
            values.get(i..).map(|rest| rest.join(" "))
        } else {
            values.get(i).cloned()
        };
        match value {
            Some(value) if !value.is_empty() => pairs.push(format!("{name}={value}")),
            _ => break,
        }
    }
    pairs
}

fn command(stonith: &Path, args: &[String]) -> Command {
    let mut command = Command::new(stonith);
    command.args(args);
    command
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    fn device(params: StonithParams) -> StonithDevice {
        StonithDevice {
            host: heartbeat_core::config::StonithHost::Any,
            kind: "external/ipmi".into(),
            params,
            origin: "ha.cf:7".into(),
        }
    }

    #[test]
    fn positional_values_go_to_the_names_in_order() {
        let names = strings(&["hostname", "ipaddr", "userid", "passwd"]);
        assert_eq!(
            name_values(&names, &strings(&["node2", "10.0.0.2", "admin", "secret"])),
            strings(&[
                "hostname=node2",
                "ipaddr=10.0.0.2",
                "userid=admin",
                "passwd=secret"
            ])
        );
        assert_eq!(
            name_values(&names, &strings(&["node2", "10.0.0.2"])),
            strings(&["hostname=node2", "ipaddr=10.0.0.2"]),
            "missing values are the plugin's to report"
        );
        assert_eq!(
            name_values(&strings(&["hostlist"]), &strings(&["node1", "node2"])),
            strings(&["hostlist=node1 node2"]),
            "the last name takes the rest"
        );
    }

    #[test]
    fn reset_arguments() {
        let positional = device(StonithParams::Positional(strings(&["node2", "10.0.0.2"])));
        let names = strings(&["hostname", "ipaddr"]);
        assert_eq!(
            reset_args(&positional, Some(&names), "node2"),
            strings(&[
                "-t",
                "external/ipmi",
                "hostname=node2",
                "ipaddr=10.0.0.2",
                "-T",
                "reset",
                "node2"
            ])
        );
        let file = device(StonithParams::ConfigFile(PathBuf::from(
            "/etc/ha.d/ipmi.cfg",
        )));
        assert_eq!(
            reset_args(&file, None, "node2"),
            strings(&[
                "-t",
                "external/ipmi",
                "-F",
                "/etc/ha.d/ipmi.cfg",
                "-T",
                "reset",
                "node2"
            ])
        );
    }
}
