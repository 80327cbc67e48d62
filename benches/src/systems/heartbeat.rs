//! Heartbeat 3.0.6 (Debian's `heartbeat` package): configuration files and
//! the command that runs one node in its own mount + UTS namespace, so that
//! `/etc/ha.d`, `/var/lib/heartbeat`, `/run` (pid file, API sockets) and
//! `uname -n` are the node's own.

use std::path::Path;

use super::{ms_value, Setting};

/// Where Debian installs the daemon, if it is installed (the lab's lookup).
pub use heartbeat_lab::heartbeat306_daemon as daemon_path;

/// `ha.cf` of a two-node bcast cluster on `eth0`, logging to `logfile`.
/// `udpport` precedes the media line (Heartbeat ignores it otherwise).
pub fn ha_cf(setting: &Setting, logfile: &Path) -> String {
    format!(
        "# heartbeat-rs benchmark\nuse_logd no\nlogfacility none\nlogfile {log}\n\
         debugfile /dev/null\nkeepalive {ka}\ndeadtime {dt}\nwarntime {wt}\ninitdead {id}\n\
         udpport 694\nbcast eth0\nauto_failback on\ncrm no\nnode node1 node2\n",
        log = logfile.display(),
        ka = ms_value(setting.interval),
        dt = ms_value(setting.deadtime),
        wt = ms_value(setting.warntime()),
        id = ms_value(setting.initdead()),
    )
}

/// `authkeys` (mode 0600 is the caller's job).
pub fn authkeys() -> String {
    "auth 1\n1 sha1 bench-secret\n".into()
}

/// `haresources`: node1 runs the timing script as group `web`.
pub fn haresources() -> String {
    "node1 bench-stamp::web\n".into()
}

/// The shell command run by `unshare --mount --uts sh -c` inside the node's
/// network namespace: private bind mounts of the node's directories, its
/// host name, then the daemon (which forks into the background).
pub fn launch_command(node: &str, dir: &Path, daemon: &Path) -> String {
    let d = dir.display();
    format!(
        "mount --bind '{d}/ha.d' /etc/ha.d && \
         mount --bind '{d}/lib' /var/lib/heartbeat && \
         mount --bind '{d}/run' /run && \
         hostname {node} && exec '{daemon}'",
        daemon = daemon.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::systems::System;

    #[test]
    fn udpport_precedes_the_medium() {
        let s = Setting::ha(System::Heartbeat, 1000, 3000);
        let cf = ha_cf(&s, Path::new("/x/ha-log"));
        let port = cf.find("udpport 694").unwrap();
        assert!(port < cf.find("bcast eth0").unwrap());
        assert!(
            cf.contains("keepalive 1000ms\ndeadtime 3000ms\nwarntime 1500ms\ninitdead 3000ms\n")
        );
        assert!(cf.contains("logfile /x/ha-log\n"));
        assert!(cf.contains("crm no\n"));
    }

    #[test]
    fn launch_binds_the_nodes_directories() {
        let c = launch_command(
            "node2",
            Path::new("/b/node2"),
            Path::new("/usr/libexec/heartbeat/heartbeat"),
        );
        assert!(c.contains("mount --bind '/b/node2/ha.d' /etc/ha.d"));
        assert!(c.contains("mount --bind '/b/node2/run' /run"));
        assert!(c.ends_with("hostname node2 && exec '/usr/libexec/heartbeat/heartbeat'"));
    }
}
