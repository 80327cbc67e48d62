//! A lab's stand-in for a power switch: a script that "powers off" one of
//! the lab's nodes (kills every process of it with SIGKILL, which works on a
//! stopped process too, and drops its resources' state files), recording
//! the kill in `actions.log` as [`Lab::kill9`] does. Fencing tests wrap it
//! in a cluster-glue external STONITH plugin or a fence agent.
//!
//! On a loopback lab a node's processes are those whose command line names
//! its `ha.d`; on a namespace lab, those of its network namespace, found by
//! the namespace's inode (`/proc/PID/ns/net` is `net:[INODE]`): a Linux-HA
//! lab's daemons name no lab path, and the switch may run inside a node's
//! own mount namespace, where `/run/netns` (so `ip netns pids`) is hidden.

use std::io;
use std::path::PathBuf;

use crate::{write_script, Lab};

impl Lab {
    /// Writes `power-off` in the lab directory and returns its path.
    /// `power-off NODE` powers off node `NODE` (`node2`) of this lab and
    /// exits 0 once none of its processes is left (1 if some survive 2 s
    /// of kills); `power-off -q NODE` exits 0 while the node has a process
    /// and 2 once it has none. Both exit 1 for a name that is no node of
    /// the lab.
    pub fn power_off_script(&self) -> io::Result<PathBuf> {
        let path = self.root().join("power-off");
        let names: Vec<String> = (0..self.nodes()).map(crate::node_name).collect();
        let pids = match self.namespaces() {
            Some(ns) => {
                let mut cases = String::new();
                for (i, name) in names.iter().enumerate() {
                    cases += &format!("{name}) inode={};; ", ns.inode(i)?);
                }
                format!(
                    "case \"$node\" in {cases}esac\n\
                     pids() {{ find /proc/[0-9]*/ns/net -maxdepth 0 -lname \"net:\\[$inode\\]\" \
                     2>/dev/null | cut -d/ -f3; }}\n"
                )
            }
            None => "pids() { pgrep -f -- \"$dir/ha.d\"; }\n".to_owned(),
        };
        write_script(
            &path,
            &format!(
                "#!/bin/sh\n\
                 # power-off [-q] NODE: the lab's power switch (-q: is NODE on?).\n\
                 query=; [ \"$1\" = -q ] && {{ query=1; shift; }}\n\
                 node=$1\n\
                 case \" {names} \" in *\" $node \"*) ;; *) echo \"no node $node\" >&2; exit 1;; esac\n\
                 dir='{root}'/\"$node\"\n\
                 {pids}\
                 if [ -n \"$query\" ]; then [ -n \"$(pids)\" ] && exit 0; exit 2; fi\n\
                 tries=0\n\
                 while p=$(pids); [ -n \"$p\" ]; do\n\
                 kill -KILL $p 2>/dev/null\n\
                 tries=$((tries + 1))\n\
                 [ \"$tries\" -gt 200 ] && {{ echo \"$node still has processes: $p\" >&2; exit 1; }}\n\
                 sleep 0.01\n\
                 done\n\
                 rm -f \"$dir\"/running-* \"$dir\"/run/heartbeat.pid\n\
                 echo \"$(date +%s%N) $node * killed\" >> '{log}'\n\
                 exit 0\n",
                names = names.join(" "),
                root = self.root().display(),
                log = self.actions_log().display(),
            ),
        )?;
        Ok(path)
    }
}

/// Where cluster-glue looks for external STONITH plugins (compiled into its
/// `external.so`: there is no override).
pub const EXTERNAL_PLUGIN_DIR: &str = "/usr/lib/stonith/plugins/external";

/// A cluster-glue external STONITH plugin wrapping a lab's power switch,
/// installed under a unique name in [`EXTERNAL_PLUGIN_DIR`] and removed on
/// drop. Its parameters (`stonith -t TYPE -n`) are `power_off` (the path
/// of [`Lab::power_off_script`]) and `fail_file` (while that file exists,
/// every reset fails: a broken device).
pub struct StonithPlugin {
    path: PathBuf,
    kind: String,
}

impl StonithPlugin {
    /// Installs a plugin for a lab of `nodes` nodes (root only: the plugin
    /// directory is the system's). In `ha.cf`:
    /// `stonith_host * TYPE {dir}/../power-off {dir}/../fence-fails`.
    pub fn install(nodes: usize) -> io::Result<StonithPlugin> {
        let name = format!(
            "hbrs-lab-{}-{}",
            std::process::id(),
            crate::unix_now_ns() % 1_000_000_000
        );
        let path = PathBuf::from(EXTERNAL_PLUGIN_DIR).join(&name);
        let hosts: Vec<String> = (0..nodes).map(crate::node_name).collect();
        write_script(
            &path,
            &format!(
                "#!/bin/sh\n\
                 # cluster-glue external plugin: a heartbeat-rs test lab's power switch.\n\
                 case \"$1\" in\n\
                 gethosts) for h in {hosts}; do echo \"$h\"; done; exit 0;;\n\
                 on) exit 1;;\n\
                 off|reset) [ -e \"$fail_file\" ] && exit 1; exec \"$power_off\" \"$2\";;\n\
                 status) exit 0;;\n\
                 getconfignames) echo power_off; echo fail_file; exit 0;;\n\
                 getinfo-devid|getinfo-devname) echo 'heartbeat-rs lab power switch'; exit 0;;\n\
                 getinfo-devdescr) echo 'Kills every process of a lab node'; exit 0;;\n\
                 getinfo-devurl) echo 'https://example.invalid'; exit 0;;\n\
                 getinfo-xml) echo '<parameters/>'; exit 0;;\n\
                 esac\n\
                 exit 1\n",
                hosts = hosts.join(" "),
            ),
        )?;
        Ok(StonithPlugin {
            path,
            kind: format!("external/{name}"),
        })
    }

    /// [`StonithPlugin::install`], or `None` after printing why a test
    /// that needs it is skipped.
    pub fn install_or_skip(nodes: usize) -> Option<StonithPlugin> {
        match StonithPlugin::install(nodes) {
            Ok(plugin) => Some(plugin),
            Err(e) => {
                println!("skipped: cannot install a STONITH plugin: {e}");
                None
            }
        }
    }

    /// The plugin type for `ha.cf`, e.g. `external/hbrs-lab-1234-5678`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The lab's `ha.cf` line for it (`{dir}` is a node's directory, see
    /// [`crate::LabSpec::extra_ha_cf`]): every node may reset every other
    /// through the lab's power switch, which fails while `fence-fails`
    /// exists in the lab directory.
    pub fn stonith_host_line(&self) -> String {
        format!(
            "stonith_host * {} {{dir}}/../power-off {{dir}}/../fence-fails",
            self.kind
        )
    }
}

impl Drop for StonithPlugin {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Lab {
    /// Writes `fence-agent` in the lab directory and returns its path: a
    /// fence agent (fence-agents' stdin API) around the power switch.
    /// `action=off|reboot` powers off `nodename` (or `port`/`plug`),
    /// `action=status` exits 2 once the node has no process left (off) and 0
    /// while it runs; `monitor` and `list` exit 0. While `fail_file` (an
    /// option) names an existing file, `off` fails.
    pub fn fence_agent_script(&self) -> io::Result<PathBuf> {
        let path = self.root().join("fence-agent");
        write_script(
            &path,
            &format!(
                "#!/bin/sh\n\
                 # fence-agent: the lab's power switch behind fence-agents' stdin API.\n\
                 action=; node=; fail_file=\n\
                 while IFS='=' read -r key value; do\n\
                 case \"$key\" in\n\
                 action) action=$value;;\n\
                 nodename|port|plug) node=$value;;\n\
                 fail_file) fail_file=$value;;\n\
                 esac\n\
                 done\n\
                 case \"$action\" in\n\
                 off|reboot) [ -n \"$fail_file\" ] && [ -e \"$fail_file\" ] && exit 1\n\
                 exec '{power_off}' \"$node\";;\n\
                 status) exec '{power_off}' -q \"$node\";;\n\
                 monitor|list) exit 0;;\n\
                 esac\n\
                 exit 1\n",
                power_off = self.root().join("power-off").display(),
            ),
        )?;
        Ok(path)
    }
}
