//! The bench's fast fence device: a cluster-glue external STONITH plugin
//! (a script in [`PLUGIN_DIR`]) that "powers off" a node by SIGKILLing
//! every process of its network namespace (stopped ones too) and records
//! the fence in the cluster's timing log.
//!
//! Heartbeat 3.0.6 and heartbeatd both load it from the same `ha.cf` line,
//! `stonith_host * external/NAME NODES LOG` ([`stonith_host_line`]): NODES
//! maps each node name to the inode of its network namespace
//! (`node1:4026532174+node2:4026532175`), LOG is the timing log. The plugin
//! finds a node's processes by their `/proc/PID/ns/net` link (`net:[INODE]`),
//! which works from inside Heartbeat's private mount namespace, where
//! `/run/netns` (and so `ip netns pids`) is not visible.
//!
//! `reset HOST` / `off HOST` append `<unix ns> HOST * fence-start` before
//! the kill and `<unix ns> HOST * fenced` once no process of HOST is left
//! (see [`crate::stamps`]). The plugin is installed under a name unique to
//! this bench process ([`plugin_name`]) and removed when the
//! [`PowerSwitch`] is dropped, or by [`crate::cleanup`] on Ctrl-C.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::cleanup;
use crate::error::{Error, IoContext, Result};

/// Where cluster-glue looks for external plugins (`external/NAME`).
pub const PLUGIN_DIR: &str = "/usr/lib/stonith/plugins/external";

/// The plugin's file name, unique to this bench process:
/// `hbbench-power-<pid>` (see [`stale_owner`]).
pub fn plugin_name() -> String {
    format!("hbbench-power-{}", std::process::id())
}

/// The STONITH device type to name in `ha.cf` or to `stonith -t`:
/// `external/hbbench-power-<pid>`.
pub fn device_type() -> String {
    format!("external/{}", plugin_name())
}

/// The plugin's text. Its parameters (environment variables, in
/// `getconfignames` order): `nodes` (`NAME:INODE+NAME:INODE…`) and
/// `stamp_log` (the timing log to append the fence's lines to).
pub fn plugin_script() -> String {
    r#"#!/bin/sh
# heartbeat-rs benchmark power switch (cluster-glue external STONITH plugin).
# reset|off HOST: SIGKILL every process of HOST's network namespace (stopped
# ones too), logging "fence-start" before and "fenced" after to $stamp_log.
# Parameters: nodes=NAME:NETNS_INODE+NAME:NETNS_INODE..., stamp_log=FILE.
inode_of() {
    echo "$nodes" | tr '+' '\n' | sed -n "s/^$1:\([0-9][0-9]*\)\$/\1/p"
}
case "$1" in
gethosts)
    echo "$nodes" | tr '+' '\n' | cut -d: -f1
    exit 0;;
on)
    # Nothing to power on: the benchmark restarts the node itself.
    exit 0;;
off|reset)
    inode=$(inode_of "$2")
    [ -n "$inode" ] || { echo "no node $2" >&2; exit 1; }
    echo "$(date +%s%N) $2 * fence-start" >> "$stamp_log"
    tries=0
    while :; do
        pids=$(find /proc/[0-9]*/ns/net -maxdepth 0 -lname "net:\[$inode\]" 2>/dev/null | cut -d/ -f3)
        [ -z "$pids" ] && break
        kill -KILL $pids 2>/dev/null
        tries=$((tries + 1))
        [ "$tries" -gt 200 ] && { echo "$2 still has processes: $pids" >&2; exit 1; }
        sleep 0.01
    done
    echo "$(date +%s%N) $2 * fenced" >> "$stamp_log"
    exit 0;;
status)
    [ -n "$nodes" ] && [ -n "$stamp_log" ]
    exit;;
getconfignames)
    echo nodes
    echo stamp_log
    exit 0;;
getinfo-devid)
    echo "bench power switch"
    exit 0;;
getinfo-devname)
    echo "heartbeat-rs benchmark power switch"
    exit 0;;
getinfo-devdescr)
    echo "Kills every process of a benchmark node's network namespace."
    exit 0;;
getinfo-devurl)
    echo "benches/src/power.rs"
    exit 0;;
getinfo-xml)
    cat <<'XML'
<parameters>
<parameter name="nodes" unique="1" required="1">
<content type="string" />
<shortdesc lang="en">Nodes</shortdesc>
<longdesc lang="en">NAME:NETNS_INODE pairs joined by +</longdesc>
</parameter>
<parameter name="stamp_log" unique="0" required="1">
<content type="string" />
<shortdesc lang="en">Timing log</shortdesc>
<longdesc lang="en">File the fence's start and end are appended to</longdesc>
</parameter>
</parameters>
XML
    exit 0;;
*)
    exit 1;;
esac
"#
    .to_owned()
}

/// Removes plugins left by an earlier run of this benchmark that was
/// killed without a chance to clean up (its pid no longer exists);
/// returns their paths.
pub fn remove_stale() -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(PLUGIN_DIR) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(stale_owner) else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        if fs::remove_file(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed
}

/// The pid in a plugin name of ours (`hbbench-power-<pid>`), if it is one.
pub fn stale_owner(name: &str) -> Option<u32> {
    name.strip_prefix("hbbench-power-")?.parse().ok()
}

/// The `ha.cf` line that fences with the power switch from every node:
/// `stonith_host * external/NAME node1:INODE+node2:INODE LOG`.
pub fn stonith_host_line(nodes: &[(String, u64)], stamp_log: &Path) -> String {
    let map: Vec<String> = nodes.iter().map(|(n, i)| format!("{n}:{i}")).collect();
    format!(
        "stonith_host * {} {} {}\n",
        device_type(),
        map.join("+"),
        stamp_log.display()
    )
}

/// The installed plugin; removed on drop.
#[derive(Debug)]
pub struct PowerSwitch {
    path: PathBuf,
}

impl PowerSwitch {
    /// Writes the plugin to `PLUGIN_DIR/<plugin_name()>` (mode 0755),
    /// registered with [`cleanup`] first so that Ctrl-C removes it too.
    pub fn install() -> Result<PowerSwitch> {
        let path = Path::new(PLUGIN_DIR).join(plugin_name());
        cleanup::register_installed(path.clone());
        fs::write(&path, plugin_script()).context(|| format!("writing {}", path.display()))?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
            .context(|| format!("chmod {}", path.display()))?;
        Ok(PowerSwitch { path })
    }

    /// Where the plugin is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Asks cluster-glue for the plugin's parameters
    /// (`stonith -t external/NAME -n`): an error when `stonith(8)` is
    /// missing or does not load the plugin.
    pub fn check(&self) -> Result<()> {
        let command = format!("stonith -t {} -n", device_type());
        let out = std::process::Command::new("stonith")
            .args(["-t", &device_type(), "-n"])
            .output()
            .map_err(|e| Error::Setup(format!("{command}: {e} (install cluster-glue)")))?;
        let names = String::from_utf8_lossy(&out.stdout);
        let names: Vec<&str> = names.split_whitespace().collect();
        if out.status.success() && names == ["nodes", "stamp_log"] {
            Ok(())
        } else {
            Err(Error::Command {
                command,
                stderr: format!(
                    "printed {names:?}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            })
        }
    }
}

impl Drop for PowerSwitch {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        cleanup::unregister_installed(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_device_every_node_and_the_log() {
        let line = stonith_host_line(
            &[("node1".into(), 11), ("node2".into(), 22)],
            Path::new("/t/stamps.log"),
        );
        assert_eq!(
            line,
            format!(
                "stonith_host * external/hbbench-power-{} node1:11+node2:22 /t/stamps.log\n",
                std::process::id()
            )
        );
        // heartbeatd's ha.cf lexer splits values at commas too.
        assert!(!line.contains(','));
    }

    #[test]
    fn plugin_names_carry_their_owner_pid() {
        assert_eq!(stale_owner(&plugin_name()), Some(std::process::id()));
        assert_eq!(stale_owner("hbbench-power-12x"), None);
        assert_eq!(stale_owner("ssh"), None);
    }

    #[test]
    fn the_plugin_answers_what_cluster_glue_asks() {
        let s = plugin_script();
        assert!(s.starts_with("#!/bin/sh\n"));
        for op in [
            "gethosts)",
            "off|reset)",
            "status)",
            "getconfignames)",
            "getinfo-devid)",
            "getinfo-devname)",
            "getinfo-devdescr)",
            "getinfo-devurl)",
            "getinfo-xml)",
        ] {
            assert!(s.contains(op), "{op}");
        }
        assert!(s.contains("echo nodes\n    echo stamp_log\n"));
        assert!(s.contains("* fence-start\" >> \"$stamp_log\""));
        assert!(s.contains("* fenced\" >> \"$stamp_log\""));
    }
}
