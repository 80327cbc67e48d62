//! A lab's stand-in for a power switch: a script that "powers off" one of
//! the lab's nodes (kills every process of it with SIGKILL, which works on a
//! stopped process too, and drops its resources' state files), recording
//! the kill in `actions.log` as [`Lab::kill9`] does. Fencing tests wrap it
//! in a cluster-glue external STONITH plugin or a fence agent.

use std::io;
use std::path::PathBuf;

use crate::{write_script, Lab};

impl Lab {
    /// Writes `power-off` in the lab directory and returns its path.
    /// `power-off NODE` powers off node `NODE` (`node2`) of this lab and
    /// exits 0; it exits 1 for a name that is no node of the lab.
    pub fn power_off_script(&self) -> io::Result<PathBuf> {
        let path = self.root().join("power-off");
        let names: Vec<String> = (0..self.nodes()).map(crate::node_name).collect();
        write_script(
            &path,
            &format!(
                "#!/bin/sh\n\
                 # power-off NODE: the lab's power switch.\n\
                 case \" {names} \" in *\" $1 \"*) ;; *) echo \"no node $1\" >&2; exit 1;; esac\n\
                 dir='{root}'/\"$1\"\n\
                 pids=$(pgrep -f -- \"$dir/ha.d\")\n\
                 [ -n \"$pids\" ] && kill -KILL $pids\n\
                 rm -f \"$dir\"/running-*\n\
                 echo \"$(date +%s%N) $1 * killed\" >> '{log}'\n\
                 exit 0\n",
                names = names.join(" "),
                root = self.root().display(),
                log = self.actions_log().display(),
            ),
        )?;
        Ok(path)
    }
}
