//! heartbeatd's `ha.cf`, `authkeys` and `haresources` for a bench cluster.

use super::{ms_value, Setting};

/// `ha.cf` for a cluster of `nodes` nodes with `links` bcast links
/// (`eth0`, `eth1`, …); the group prefers node1, `auto_failback on`.
pub fn ha_cf(setting: &Setting, nodes: usize, links: usize) -> String {
    let mut text = format!(
        "# heartbeat-rs benchmark\nkeepalive {}\ndeadtime {}\nwarntime {}\ninitdead {}\n\
         udpport 694\nauto_failback on\n",
        ms_value(setting.interval),
        ms_value(setting.deadtime),
        ms_value(setting.warntime()),
        ms_value(setting.initdead()),
    );
    for k in 0..links {
        text.push_str(&format!("bcast eth{k}\n"));
    }
    if setting.metrics_listen {
        text.push_str("metrics_listen 127.0.0.1:9694\n");
    }
    let names: Vec<String> = (1..=nodes).map(|i| format!("node{i}")).collect();
    text.push_str(&format!("node {}\n", names.join(" ")));
    text
}

/// `authkeys` (mode 0600 is the caller's job).
pub fn authkeys() -> String {
    "auth 1\n1 sha256 bench-secret\n".into()
}

/// `haresources`: node1 runs the timing script as group `web`.
pub fn haresources() -> String {
    "node1 bench-stamp::web\n".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::systems::System;

    #[test]
    fn ha_cf_has_timers_links_and_nodes() {
        let s = Setting::ha(System::Heartbeatd, 10, 40);
        let cf = ha_cf(&s, 3, 2);
        assert!(cf.contains("keepalive 10ms\ndeadtime 40ms\nwarntime 20ms\ninitdead 2000ms\n"));
        assert!(cf.contains("bcast eth0\nbcast eth1\nnode node1 node2 node3\n"));
        assert!(cf.contains("auto_failback on\n"));
    }
}
