//! The status model: the one set of serde types for heartbeatd's status.
//!
//! The engine publishes its in-memory snapshot
//! ([`ClusterStatus`](crate::engine::ClusterStatus), with `Instant`s); the
//! daemon turns it into a [`StatusView`] when a client asks
//! ([`StatusView::from_status`]), the control socket sends that, and
//! `cl-status` prints these same types with `--json` (adding only fields it
//! computes, such as `linkstats`' justified deadtime, and per-command
//! wrappers that name a sub-command's answer). There is no other copy.
//!
//! Plain data with stable field names (fields are only ever added, never
//! removed or renamed), durations in milliseconds, round trips in
//! microseconds, states as the lower-case words Linux-HA prints (`active`,
//! `dead`, `up`, ...); `null` means "never" or "unknown".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::SafetyView;

/// Everything `cl-status` can ask about, at one instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    /// heartbeat-rs version of the daemon (the protocol version is the
    /// envelope's `version`).
    pub daemon_version: String,
    /// Local node name.
    pub local_node: String,
    /// Local generation.
    pub generation: u64,
    /// Whether communications are up.
    pub comm_up: bool,
    /// What this node holds, in Linux-HA's `rscstatus` words and sense
    /// (by class, see `rscstatus_word`): `none`, `local`, `foreign`, `all`,
    /// or `transition` while a resource action is in progress.
    pub resources: String,
    /// Every node, the local one included, in configuration order; ping
    /// nodes last.
    pub nodes: Vec<NodeView>,
    /// Resource groups in haresources order.
    pub groups: Vec<GroupView>,
    /// Parameters by `hbparameter` name, as Heartbeat answers them: values
    /// as written in `ha.cf` (`deadtime` → `5`), Heartbeat's defaults
    /// (`baud` → `19200`), computed timers when unset (`deadping` →
    /// `5000ms`), `hbversion`. Names Heartbeat cannot answer (`node`,
    /// `apiauth`, media, ...) are absent.
    pub parameters: BTreeMap<String, String>,
    /// Receive counters per local medium.
    pub media: Vec<MediumView>,
    /// Quorum, fencing and the watchdog (absent in the answers of daemons
    /// that predate it: then the default, everything off and empty).
    #[serde(default)]
    pub safety: SafetyView,
    /// The commands of `respawn`/`failfast` lines, in `ha.cf` order (absent
    /// in the answers of daemons that predate them: then none).
    #[serde(default)]
    pub respawned: Vec<RespawnedView>,
}

/// One command of a `respawn` or `failfast` line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RespawnedView {
    /// The command as written in `ha.cf`.
    pub command: String,
    /// The user it runs as.
    pub user: String,
    /// Its process id while it runs.
    pub pid: Option<u32>,
    /// How many times it was started again.
    pub restarts: u32,
    /// `starting`, `running`, `restarting`, `given up` (too many fast
    /// restarts), `exited` (status 100), `stopped` or `failed` (cannot start).
    pub state: String,
}

/// Receive counters of one local medium.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediumView {
    /// Medium (device) name.
    pub name: String,
    /// Datagrams received.
    pub received: u64,
    /// Datagrams dropped as malformed or unauthenticated.
    pub rejected: u64,
}

impl StatusView {
    /// The node called `name` (case-insensitive, as Heartbeat compares).
    pub fn node(&self, name: &str) -> Option<&NodeView> {
        self.nodes
            .iter()
            .find(|n| n.name.eq_ignore_ascii_case(name))
    }
}

/// One node as this node sees it.
///
/// `L` is the type of its links: [`LinkView`] in the model; a client that
/// adds fields of its own to every link (`cl-status linkstats`) uses its
/// own link type, which flattens a [`LinkView`], through
/// [`NodeView::map_links`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView<L = LinkView> {
    /// Node name.
    pub name: String,
    /// `normal` or `ping`.
    #[serde(rename = "type")]
    pub node_type: String,
    /// `init`, `up`, `active`, `dead` or `ping`.
    pub status: String,
    /// Whether this is the local node.
    pub local: bool,
    /// Node weight (always 100, as Heartbeat's default).
    pub weight: u32,
    /// Node site (always empty, as Heartbeat's default).
    pub site: String,
    /// Generation last heard, if any.
    pub generation: Option<u64>,
    /// Deadtime applied to it, in ms.
    pub deadtime_ms: u64,
    /// Milliseconds since its last status, if ever heard.
    pub last_heard_ms_ago: Option<u64>,
    /// Milliseconds until it would be declared dead if it stays silent.
    pub dead_in_ms: Option<u64>,
    /// Largest interval between two of its statuses, in ms.
    pub max_gap_ms: u64,
    /// Late heartbeats seen.
    pub late_heartbeats: u64,
    /// Sequenced packets given up as lost.
    pub lost_packets: u64,
    /// Packets recovered by retransmission.
    pub recovered_packets: u64,
    /// Round-trip estimate in microseconds, when known.
    pub rtt_us: Option<u64>,
    /// Times it was declared dead.
    pub deaths: u64,
    /// Restarts seen (generation increases).
    pub restarts: u64,
    /// Its links, one per local medium (for the local node: whether our own
    /// packets come back on that medium).
    pub links: Vec<L>,
}

impl<L> NodeView<L> {
    /// The same node with every link replaced by `f` of it.
    pub fn map_links<M>(self, f: impl FnMut(L) -> M) -> NodeView<M> {
        NodeView {
            name: self.name,
            node_type: self.node_type,
            status: self.status,
            local: self.local,
            weight: self.weight,
            site: self.site,
            generation: self.generation,
            deadtime_ms: self.deadtime_ms,
            last_heard_ms_ago: self.last_heard_ms_ago,
            dead_in_ms: self.dead_in_ms,
            max_gap_ms: self.max_gap_ms,
            late_heartbeats: self.late_heartbeats,
            lost_packets: self.lost_packets,
            recovered_packets: self.recovered_packets,
            rtt_us: self.rtt_us,
            deaths: self.deaths,
            restarts: self.restarts,
            links: self.links.into_iter().map(f).collect(),
        }
    }
}

impl NodeView {
    /// The link called `name`.
    pub fn link(&self, name: &str) -> Option<&LinkView> {
        self.links.iter().find(|l| l.name == name)
    }

    /// The links that can carry this node's heartbeats. Several `ucast`
    /// lines on one device give every node as many links of that name,
    /// and each reaches one peer only: a link never heard from, beside a
    /// link of the same name that was, points at another peer and is left
    /// out. Every other link is kept (a `bcast` link dead since the start
    /// stays, as it should). `cl_status` output keeps every link, as
    /// Heartbeat's does.
    pub fn links_carrying(&self) -> impl Iterator<Item = &LinkView> {
        self.links.iter().filter(move |l| {
            l.last_heard_ms_ago.is_some()
                || !self
                    .links
                    .iter()
                    .any(|o| o.name == l.name && o.last_heard_ms_ago.is_some())
        })
    }
}

/// One (node, medium) link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    /// Link name (the medium's device).
    pub name: String,
    /// `up` or `dead`.
    pub status: String,
    /// Milliseconds since the last packet on it, if any.
    pub last_heard_ms_ago: Option<u64>,
    /// Largest interval between two packets, in ms.
    pub max_gap_ms: u64,
    /// Packets heard on it, duplicates included.
    pub packets: u64,
    /// Times it went dead.
    pub deaths: u64,
}

/// One resource group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    /// Group key (its first resource).
    pub key: String,
    /// Preferred node.
    pub preferred_node: String,
    /// Node believed to hold it.
    pub owner: Option<String>,
    /// What this node does with it: `stopped`, `starting`, `running`,
    /// `stopping`, `failed`.
    pub activity: String,
}

mod from_engine {
    //! Building the view from the engine's snapshot.

    use std::collections::BTreeMap;
    use std::time::{Duration, Instant};

    use super::{GroupView, LinkView, MediumView, NodeView, SafetyView, StatusView};
    use crate::config::Config;
    use crate::engine::{
        ClusterStatus, GroupActivity, GroupInfo, LinkInfo, LinkState, NodeInfo, NodeState,
        PingNodeInfo,
    };

    impl StatusView {
        /// The view of `status` at instant `now`, with the parameters of
        /// `config`.
        pub fn from_status(status: &ClusterStatus, config: &Config, now: Instant) -> StatusView {
            let mut nodes = Vec::with_capacity(status.nodes.len() + 1);
            // Configuration order, the local node in its place.
            for name in &config.nodes {
                if *name == status.local_node {
                    nodes.push(local_node(status, config, now));
                } else if let Some(peer) = status.node(name) {
                    nodes.push(peer_node(peer, now));
                }
            }
            nodes.extend(status.ping_nodes.iter().map(|p| ping_node(p, config, now)));
            StatusView {
                daemon_version: env!("CARGO_PKG_VERSION").to_owned(),
                local_node: status.local_node.clone(),
                generation: status.generation,
                comm_up: status.comm_up,
                resources: rscstatus_word(status, config).to_owned(),
                nodes,
                groups: status
                    .groups
                    .iter()
                    .map(|g| GroupView {
                        key: g.key.clone(),
                        preferred_node: g.preferred_node.clone(),
                        owner: g.owner.clone(),
                        activity: activity_word(g.activity).to_owned(),
                    })
                    .collect(),
                parameters: parameters(config),
                media: status
                    .media
                    .iter()
                    .map(|m| MediumView {
                        name: m.name.clone(),
                        received: m.received,
                        rejected: m.rejected,
                    })
                    .collect(),
                safety: SafetyView::from_info(&status.safety, config.nodes.len(), now),
                respawned: Vec::new(),
            }
        }
    }

    fn local_node(status: &ClusterStatus, config: &Config, now: Instant) -> NodeView {
        NodeView {
            name: status.local_node.clone(),
            node_type: "normal".to_owned(),
            status: status.local_state.as_str().to_owned(),
            local: true,
            weight: 100,
            site: String::new(),
            generation: Some(status.generation),
            deadtime_ms: millis(config.timing.deadtime),
            last_heard_ms_ago: None,
            dead_in_ms: None,
            max_gap_ms: 0,
            late_heartbeats: 0,
            lost_packets: 0,
            recovered_packets: 0,
            rtt_us: None,
            deaths: 0,
            restarts: 0,
            links: status.local_links.iter().map(|l| link(l, now)).collect(),
        }
    }

    fn peer_node(peer: &NodeInfo, now: Instant) -> NodeView {
        NodeView {
            name: peer.name.clone(),
            node_type: "normal".to_owned(),
            status: peer.state.as_str().to_owned(),
            local: false,
            weight: 100,
            site: String::new(),
            generation: peer.generation,
            deadtime_ms: millis(peer.deadtime),
            last_heard_ms_ago: peer
                .last_heard
                .map(|t| millis(now.saturating_duration_since(t))),
            dead_in_ms: peer
                .dead_at
                .map(|t| millis(t.saturating_duration_since(now))),
            max_gap_ms: millis(peer.max_gap),
            late_heartbeats: peer.late_heartbeats,
            lost_packets: peer.lost_packets,
            recovered_packets: peer.recovered,
            rtt_us: peer
                .rtt
                .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX)),
            deaths: peer.deaths,
            restarts: peer.restarts,
            links: peer.links.iter().map(|l| link(l, now)).collect(),
        }
    }

    /// A ping node, shown as Heartbeat shows one: type `ping`, status
    /// `ping` or `dead`, one link named after the node.
    fn ping_node(p: &PingNodeInfo, config: &Config, now: Instant) -> NodeView {
        let last_heard_ms_ago = p
            .last_reply
            .map(|t| millis(now.saturating_duration_since(t)));
        NodeView {
            name: p.name.clone(),
            node_type: "ping".to_owned(),
            status: p.state.as_str().to_owned(),
            local: false,
            weight: 100,
            site: String::new(),
            generation: None,
            deadtime_ms: millis(config.timing.deadping),
            last_heard_ms_ago,
            dead_in_ms: p.dead_at.map(|t| millis(t.saturating_duration_since(now))),
            max_gap_ms: 0,
            late_heartbeats: 0,
            lost_packets: 0,
            recovered_packets: 0,
            rtt_us: None,
            deaths: p.deaths,
            restarts: 0,
            links: vec![LinkView {
                name: p.name.clone(),
                status: if p.state == NodeState::Ping {
                    "up"
                } else {
                    "dead"
                }
                .to_owned(),
                last_heard_ms_ago,
                max_gap_ms: 0,
                packets: p.replies,
                deaths: p.deaths,
            }],
        }
    }

    fn link(l: &LinkInfo, now: Instant) -> LinkView {
        LinkView {
            name: l.name.clone(),
            status: match l.state {
                LinkState::Up => "up",
                LinkState::Dead => "dead",
            }
            .to_owned(),
            last_heard_ms_ago: l
                .last_heard
                .map(|t| millis(now.saturating_duration_since(t))),
            max_gap_ms: millis(l.max_gap),
            packets: l.packets,
            deaths: l.deaths,
        }
    }

    /// Parameters Heartbeat 3.0.6 records before reading `ha.cf` (its
    /// `heartbeat -D` defaults), by `hbparameter` name.
    const HEARTBEAT_DEFAULTS: &[(&str, &str)] = &[
        ("cluster", "linux-ha"),
        ("hopfudge", "1"),
        ("baud", "19200"),
        ("auto_failback", "legacy"),
        ("hbgenmethod", "file"),
        ("realtime", "true"),
        ("msgfmt", "classic"),
        ("conn_logd_time", "60"),
        ("log_badpack", "true"),
        ("syslogmsgfmt", "true"),
        ("coredumps", "true"),
        ("pacemaker", "false"),
        ("autojoin", "none"),
        ("uuidfrom", "file"),
        ("compression", "zlib"),
        ("compression_threshold", "2"),
        ("traditional_compression", "no"),
        ("max_rexmit_delay", "250"),
        ("record_config_changes", "on"),
        ("record_pengine_inputs", "on"),
        ("enable_config_writes", "on"),
        ("memreserve", "6500"),
    ];

    /// What `hbparameter` answers, as Heartbeat 3.0.6 does: its defaults,
    /// replaced by the values written in `ha.cf` (as written: `deadtime 5`
    /// → `5`), plus the computed timers, port and debug level when `ha.cf`
    /// does not set them (`deadping` → `30000ms`), and `hbversion`.
    pub(super) fn parameters(config: &Config) -> BTreeMap<String, String> {
        let ms = |d: Duration| format!("{}ms", d.as_millis());
        let t = &config.timing;
        let mut p: BTreeMap<String, String> = HEARTBEAT_DEFAULTS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        p.extend(config.raw_parameters.clone());
        let computed = [
            ("keepalive", ms(t.keepalive)),
            ("deadtime", ms(t.deadtime)),
            ("warntime", ms(t.warntime)),
            ("initdead", ms(t.initdead)),
            ("deadping", ms(t.deadping)),
            ("udpport", config.udp_port.to_string()),
            ("debug", config.logging.debug.to_string()),
        ];
        for (name, value) in computed {
            p.entry(name.to_owned()).or_insert(value);
        }
        p.insert("hbversion".to_owned(), hbversion());
        p
    }

    /// `hbversion`: the Heartbeat release whose behaviour this daemon
    /// reproduces, then what it really is, in Heartbeat's `X (build)` shape.
    pub(super) fn hbversion() -> String {
        format!("3.0.6 (heartbeat-rs {})", env!("CARGO_PKG_VERSION"))
    }

    fn millis(d: Duration) -> u64 {
        u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
    }

    /// Linux-HA's `rscstatus` word for this node. Heartbeat tracks what
    /// a node holds by class, not by group: a class is held once acquired,
    /// even when it has no group (a backup whose own class is empty says
    /// `local`; a survivor that took over a dead peer's empty class says
    /// `all`). Modelled from the groups: `local` is held when every group
    /// preferring this node runs here; `foreign` when every group preferring
    /// another node runs here, or, with no such group, when a peer is dead
    /// (its class was taken over). `transition` while an action runs; `none`
    /// before communications are up. (The engine's own holdings, sent in
    /// status messages, count groups only.)
    pub(super) fn rscstatus_word(status: &ClusterStatus, config: &Config) -> &'static str {
        let is_ping = |name: &str| config.ping_nodes.iter().any(|p| p.name == name);
        let peer_dead = status
            .nodes
            .iter()
            .any(|n| n.state == NodeState::Dead && !is_ping(&n.name));
        rscstatus_of(
            &status.local_node,
            status.comm_up,
            &status.groups,
            peer_dead,
        )
    }

    /// [`rscstatus_word`] from its inputs.
    pub(super) fn rscstatus_of(
        me: &str,
        comm_up: bool,
        groups: &[GroupInfo],
        peer_dead: bool,
    ) -> &'static str {
        let busy = |g: &GroupInfo| {
            matches!(
                g.activity,
                GroupActivity::Starting | GroupActivity::Stopping
            )
        };
        if groups.iter().any(busy) {
            return "transition";
        }
        if !comm_up {
            return "none";
        }
        let runs_here = |g: &GroupInfo| g.activity == GroupActivity::Running;
        let (local, foreign): (Vec<&GroupInfo>, Vec<&GroupInfo>) =
            groups.iter().partition(|g| g.preferred_node == me);
        let local_held = local.iter().all(|g| runs_here(g));
        let foreign_held = if foreign.is_empty() {
            peer_dead
        } else {
            foreign.iter().all(|g| runs_here(g))
        };
        match (local_held, foreign_held) {
            (true, true) => "all",
            (true, false) => "local",
            (false, true) => "foreign",
            (false, false) => "none",
        }
    }

    fn activity_word(a: GroupActivity) -> &'static str {
        match a {
            GroupActivity::Stopped => "stopped",
            GroupActivity::Starting => "starting",
            GroupActivity::Running => "running",
            GroupActivity::Stopping => "stopping",
            GroupActivity::Failed => "failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    /// The ha.cf of the cl_status reference capture (Heartbeat 3.0.6).
    const REFERENCE_HA_CF: &str = "use_logd no\nlogfacility none\nlogfile /var/log/ha-log\n\
        debugfile /var/log/ha-debug\ndebug 0\nkeepalive 1\ndeadtime 5\nwarntime 3\n\
        initdead 10\nudpport 694\nbcast eth0\nbcast eth1\nping 10.77.0.1\n\
        auto_failback on\ncrm no\nnode node1\nnode node2\n\
        respawn hacluster /usr/libexec/heartbeat/ipfail\n\
        apiauth ipfail gid=haclient uid=hacluster\n";

    #[test]
    fn parameters_answer_what_heartbeat_answers() {
        let config = Config::from_texts(
            REFERENCE_HA_CF,
            "auth 1\n1 sha1 somekey\n",
            "node1 hbltest\n",
            "node1",
        )
        .unwrap();
        let p = super::from_engine::parameters(&config);
        let expected = [
            ("auto_failback", "on"),
            ("baud", "19200"),
            ("compression", "zlib"),
            ("crm", "no"),
            ("deadping", "5000ms"),
            ("deadtime", "5"),
            ("debug", "0"),
            ("debugfile", "/var/log/ha-debug"),
            ("hopfudge", "1"),
            ("initdead", "10"),
            ("keepalive", "1"),
            ("logfacility", "none"),
            ("logfile", "/var/log/ha-log"),
            ("msgfmt", "classic"),
            ("realtime", "true"),
            ("udpport", "694"),
            ("use_logd", "no"),
            ("warntime", "3"),
        ];
        for (name, value) in expected {
            assert_eq!(p.get(name).map(String::as_str), Some(value), "{name}");
        }
        for absent in [
            "apiauth",
            "nice_failback",
            "node",
            "normalpoll",
            "stonith",
            "watchdog",
            "bcast",
            "ping",
            "respawn",
        ] {
            assert_eq!(p.get(absent), None, "{absent}");
        }
        assert!(p["hbversion"].starts_with("3.0.6 (heartbeat-rs "));
    }

    #[test]
    fn unset_timers_are_computed_in_milliseconds() {
        let config = Config::from_texts(
            "node node1\nbcast eth0\n",
            "auth 1\n1 sha1 k\n",
            "",
            "node1",
        )
        .unwrap();
        let p = super::from_engine::parameters(&config);
        assert_eq!(p["keepalive"], "1000ms");
        assert_eq!(p["deadtime"], "30000ms");
        assert_eq!(p["warntime"], "15000ms");
        assert_eq!(p["deadping"], "30000ms");
        assert_eq!(p["udpport"], "694");
        assert_eq!(p["auto_failback"], "legacy");
    }

    #[test]
    fn rscstatus_counts_classes_like_heartbeat() {
        use crate::engine::{GroupActivity as A, GroupInfo};
        let group = |preferred: &str, activity| GroupInfo {
            key: "web".into(),
            preferred_node: preferred.into(),
            owner: None,
            activity,
        };
        let word = super::from_engine::rscstatus_of;
        // The primary holds its group; the backup, with no group of its own,
        // holds its (empty) local class: both say `local` (reference 1, 1b).
        assert_eq!(
            word("node1", true, &[group("node1", A::Running)], false),
            "local"
        );
        assert_eq!(
            word("node2", true, &[group("node1", A::Stopped)], false),
            "local"
        );
        // The survivor took over the dead peer's (empty) class (reference 5).
        assert_eq!(
            word("node1", true, &[group("node1", A::Running)], true),
            "all"
        );
        // The backup after a failover, and the primary in standby.
        assert_eq!(
            word("node2", true, &[group("node1", A::Running)], true),
            "all"
        );
        assert_eq!(
            word("node1", true, &[group("node1", A::Stopped)], false),
            "none"
        );
        assert_eq!(
            word("node1", true, &[group("node2", A::Running)], false),
            "all"
        );
        assert_eq!(
            word(
                "node1",
                true,
                &[group("node1", A::Stopped), group("node2", A::Running)],
                false
            ),
            "foreign"
        );
        assert_eq!(
            word("node1", true, &[group("node1", A::Starting)], false),
            "transition"
        );
        assert_eq!(word("node1", false, &[], false), "none");
    }

    #[test]
    fn a_status_without_safety_reads_as_everything_off() {
        // What a daemon that predates the safety part answers.
        let old = r#"{"daemon_version":"0.1.0","local_node":"node1","generation":7,
            "comm_up":true,"resources":"local","nodes":[],"groups":[],
            "parameters":{},"media":[]}"#;
        let view: super::StatusView = serde_json::from_str(old).unwrap();
        assert_eq!(view.safety, crate::control::SafetyView::default());
        let again: super::StatusView =
            serde_json::from_str(&serde_json::to_string(&view).unwrap()).unwrap();
        assert_eq!(again, view);
    }

    #[test]
    fn a_ucast_link_that_points_at_another_peer_is_not_carrying() {
        let link = |name: &str, heard: Option<u64>| super::LinkView {
            name: name.into(),
            status: if heard.is_some() { "up" } else { "dead" }.into(),
            last_heard_ms_ago: heard,
            max_gap_ms: 0,
            packets: 0,
            deaths: 0,
        };
        let node = |links| super::NodeView {
            name: "node2".into(),
            node_type: "normal".into(),
            status: "active".into(),
            local: false,
            weight: 100,
            site: String::new(),
            generation: None,
            deadtime_ms: 1000,
            last_heard_ms_ago: Some(5),
            dead_in_ms: None,
            max_gap_ms: 0,
            late_heartbeats: 0,
            lost_packets: 0,
            recovered_packets: 0,
            rtt_us: None,
            deaths: 0,
            restarts: 0,
            links,
        };
        let names = |n: &super::NodeView| -> Vec<(String, bool)> {
            n.links_carrying()
                .map(|l| (l.name.clone(), l.last_heard_ms_ago.is_some()))
                .collect()
        };
        // Two `ucast lo` lines: the one towards node3 is left out.
        let ucast = node(vec![link("lo", None), link("lo", Some(40))]);
        assert_eq!(names(&ucast), [("lo".to_owned(), true)]);
        // A bcast link never heard stays: it is what the operator must see.
        let bcast = node(vec![link("eth0", Some(40)), link("eth1", None)]);
        assert_eq!(names(&bcast).len(), 2);
        // Never heard on any: every link stays.
        let silent = node(vec![link("lo", None), link("lo", None)]);
        assert_eq!(names(&silent).len(), 2);
    }
}
