//! Nodes of a Linux-HA lab (one with at least one real Heartbeat 3.0.6
//! node, Debian's `heartbeat` package): every node, heartbeatd included,
//! runs in a mount + UTS namespace of its own inside its network namespace,
//! with its own `/etc/ha.d`, `/var/lib/heartbeat` and `/run` bound from its
//! lab directory and `uname -n` set to its name, so that both daemons (and
//! both `cl_status` tools) use their default paths, as on a real host.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Which daemon a lab node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// This project's `heartbeatd`.
    Heartbeatd,
    /// Linux-HA Heartbeat 3.0.6 (`/usr/libexec/heartbeat/heartbeat`).
    Heartbeat306,
}

/// Where Debian installs Heartbeat's daemon (bookworm: libexec; older: lib),
/// if it is installed.
pub fn daemon_path() -> Option<PathBuf> {
    [
        "/usr/libexec/heartbeat/heartbeat",
        "/usr/lib/heartbeat/heartbeat",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// The host directories a node gets its own copy of, with the name of the
/// copy in the node's directory.
const BOUND: [(&str, &str); 3] = [
    ("/etc/ha.d", "ha.d"),
    ("/var/lib/heartbeat", "lib"),
    ("/run", "run"),
];

/// Gives node directory `dir` its `ha.d`, `lib` and `run/heartbeat`,
/// copied (owners kept) from the installed package's `/etc/ha.d`,
/// `/var/lib/heartbeat` and `/run/heartbeat`, without any node identity
/// (`hb_uuid`, `hb_generation`, `hostcache`) the host may have.
pub(crate) fn prepare_node_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir.join("run"))?;
    for (from, to) in [
        ("/etc/ha.d", "ha.d"),
        ("/var/lib/heartbeat", "lib"),
        ("/run/heartbeat", "run/heartbeat"),
    ] {
        let to = dir.join(to);
        if Path::new(from).is_dir() {
            let out = Command::new("cp").arg("-a").arg(from).arg(&to).output()?;
            if !out.status.success() {
                return Err(io::Error::other(format!(
                    "cp -a {from}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
        } else {
            fs::create_dir_all(&to)?;
        }
    }
    for f in ["hb_uuid", "hb_generation", "hostcache", "delhostcache"] {
        let _ = fs::remove_file(dir.join("lib").join(f));
    }
    fs::create_dir_all(dir.join("ha.d/resource.d"))
}

/// A command that runs `program args…` as node `node` (directory `dir`)
/// inside network namespace `ns`: `ip netns exec NS unshare --mount --uts`,
/// then private bind mounts of the node's directories, its host name, and
/// `exec` (the program keeps the command's process id); no limit on locked
/// memory.
pub(crate) fn node_command(ns: &str, node: &str, dir: &Path, program: &Path) -> Command {
    // Heartbeat locks itself into memory (mlockall) if the limit allows.
    let mut script = String::from("ulimit -l unlimited 2>/dev/null; d=$1 n=$2; shift 2");
    for (host, own) in BOUND {
        script.push_str(&format!(" && mount --bind \"$d/{own}\" {host}"));
    }
    script.push_str(" && hostname \"$n\" && exec \"$@\"");
    let mut c = Command::new("ip");
    c.args([
        "netns", "exec", ns, "unshare", "--mount", "--uts", "sh", "-c",
    ])
    .arg(script)
    .arg("sh")
    .arg(dir)
    .arg(node)
    .arg(program);
    c
}

/// Runs `command` to completion: (stdout, stderr, exit code; -1 if killed
/// by a signal).
pub(crate) fn output(mut command: Command) -> io::Result<(String, String, i32)> {
    let out = command.stdin(Stdio::null()).output()?;
    Ok((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    ))
}

/// Heartbeat's master control process on the node at `dir`, from its pid
/// file, if that process is alive and is a `heartbeat` (not another
/// process that got the pid of one gone).
pub(crate) fn master_pid(dir: &Path) -> Option<i32> {
    let pid: i32 = fs::read_to_string(dir.join("run/heartbeat.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    (comm.trim() == "heartbeat" && alive(pid)).then_some(pid)
}

/// Whether process `pid` exists and is not a zombie.
pub(crate) fn alive(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// `ha.cf` lines a Linux-HA lab puts first on every node: Heartbeat's
/// logging without logd or syslog (the log in the node's own
/// `/var/lib/heartbeat`, so the file stays identical on every node), and
/// haresources mode.
pub(crate) const HA_CF_HEAD: &str = "use_logd no\nlogfacility none\n\
     logfile /var/lib/heartbeat/ha-log\ndebugfile /dev/null\ncrm no\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_command_binds_then_execs() {
        let c = node_command(
            "ns1",
            "node2",
            Path::new("/l/node2"),
            Path::new("/usr/bin/cl_status"),
        );
        let args: Vec<String> = c
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args[..6],
            ["netns", "exec", "ns1", "unshare", "--mount", "--uts"]
        );
        let script = &args[8];
        assert!(script.contains("mount --bind \"$d/ha.d\" /etc/ha.d"));
        assert!(script.contains("mount --bind \"$d/run\" /run"));
        assert!(script.ends_with("hostname \"$n\" && exec \"$@\""));
        assert_eq!(args[9..], ["sh", "/l/node2", "node2", "/usr/bin/cl_status"]);
    }

    #[test]
    fn our_own_process_is_alive() {
        assert!(alive(std::process::id() as i32));
        assert!(!alive(i32::MAX));
    }
}
