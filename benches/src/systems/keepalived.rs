//! keepalived's configuration: one VRRPv3 instance on `eth0`, node1 with
//! the higher priority (so it preempts back, like `auto_failback on`), a
//! virtual address inside the test subnet, and the timing script as
//! notify_master (start), notify_backup (stop) and notify_fault (fault).

use std::path::Path;

use super::{seconds_text, Setting, BACKUP_PRIORITY, MASTER_PRIORITY};

/// The configuration file of node `i` (0-based) running `script`.
pub fn config(setting: &Setting, i: usize, script: &Path) -> String {
    let priority = if i == 0 {
        MASTER_PRIORITY
    } else {
        BACKUP_PRIORITY
    };
    let s = script.display();
    format!(
        "# heartbeat-rs benchmark\n\
         global_defs {{\n  router_id node{n}\n  vrrp_version 3\n  script_user root\n  \
         enable_script_security\n}}\n\
         vrrp_instance bench {{\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  \
         priority {priority}\n  advert_int {adv}\n  virtual_ipaddress {{\n    10.214.10.100/24\n  }}\n  \
         notify_master \"{s} web start\"\n  notify_backup \"{s} web stop\"\n  \
         notify_fault \"{s} web fault\"\n}}\n",
        n = i + 1,
        adv = seconds_text(setting.interval),
    )
}

/// Command-line arguments after `keepalived` for node directory `dir`:
/// foreground, log to the console (not syslog), VRRP only, own pid files.
pub fn args(dir: &Path) -> Vec<String> {
    let p = |f: &str| dir.join(f).display().to_string();
    vec![
        "-n".into(),
        "-l".into(),
        "-G".into(),
        "-P".into(),
        "-f".into(),
        p("keepalived.conf"),
        "-p".into(),
        p("keepalived.pid"),
        "-r".into(),
        p("vrrp.pid"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node1_has_the_higher_priority_and_advert_is_in_seconds() {
        let s = Setting::keepalived(10);
        let c0 = config(&s, 0, Path::new("/b/stamp"));
        let c1 = config(&s, 1, Path::new("/b/stamp"));
        assert!(c0.contains("priority 150\n") && c1.contains("priority 100\n"));
        assert!(c0.contains("advert_int 0.01\n"));
        assert!(c0.contains("vrrp_version 3\n"));
        assert!(c0.contains("notify_master \"/b/stamp web start\""));
    }

    #[test]
    fn args_name_the_config_and_pid_files() {
        let a = args(Path::new("/b/node1"));
        assert!(a
            .windows(2)
            .any(|w| w[0] == "-f" && w[1] == "/b/node1/keepalived.conf"));
        assert!(a.contains(&"-n".to_string()));
    }
}
