//! `ha.cf`: syntax, defaults, every error class with its file:line, and the
//! directives accepted for compatibility.

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::{ha_cf, messages, one_error};
use heartbeat_core::config::{
    parse_ha_cf, AutoFailback, CompressionAlgorithm, CompressionSettings, Config, Medium,
    MsgFormat, PingNode, WireDialect, DEFAULT_UDP_PORT,
};

const NODES_AND_MEDIUM: &str = "node node1 node2\nucast eth0 10.0.0.2\n";

fn with(extra: &str) -> String {
    format!("{NODES_AND_MEDIUM}{extra}")
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

#[test]
fn defaults_like_heartbeat() {
    let c = ha_cf(NODES_AND_MEDIUM).unwrap();
    assert_eq!(c.local_node, "node1");
    assert_eq!(c.cluster, "linux-ha");
    assert_eq!(c.nodes, vec!["node1", "node2"]);
    assert_eq!(c.timing.keepalive, ms(1000));
    assert_eq!(c.timing.deadtime, ms(30_000));
    assert_eq!(c.timing.warntime, ms(15_000));
    assert_eq!(c.timing.initdead, ms(30_000));
    assert_eq!(c.timing.deadping, ms(30_000));
    assert_eq!(c.udp_port, DEFAULT_UDP_PORT);
    assert_eq!(c.auto_failback, AutoFailback::Legacy);
    assert_eq!(c.max_rexmit_delay, ms(250));
    assert_eq!(c.hopfudge, 1);
    assert!(c.realtime);
    assert_eq!(c.msgfmt, MsgFormat::Classic);
    assert_eq!(
        c.compression,
        CompressionSettings {
            algorithm: CompressionAlgorithm::Zlib,
            threshold_kib: 2,
            traditional: false,
        }
    );
    assert_eq!(c.compression.outgoing(), None);
    assert_eq!(c.logging.facility, None);
    assert_eq!(c.logging.debug, 0);
    assert!(c.ping_nodes.is_empty());
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn derived_timer_defaults() {
    let c = ha_cf(&with("deadtime 5\n")).unwrap();
    assert_eq!(c.timing.warntime, ms(2500));
    assert_eq!(c.timing.initdead, ms(12_000));
    assert_eq!(c.timing.deadping, ms(5000));
    let c = ha_cf(&with("deadtime 8\n")).unwrap();
    assert_eq!(c.timing.initdead, ms(16_000));
    let c = ha_cf(&with("deadtime 15\n")).unwrap();
    assert_eq!(c.timing.initdead, ms(15_000));
}

#[test]
fn time_syntax() {
    let c = ha_cf(&with(
        "keepalive 500ms\ndeadtime 2.5\nwarntime 1500000us\ninitdead 12\n",
    ))
    .unwrap();
    assert_eq!(c.timing.keepalive, ms(500));
    assert_eq!(c.timing.deadtime, ms(2500));
    assert_eq!(c.timing.warntime, ms(1500));
    let e = one_error(
        ha_cf(&with("keepalive 2s\n")),
        "ha.cf:3: `keepalive`: invalid value `2s`",
    );
    assert!(e.contains("expected a time"), "{e}");
}

#[test]
fn comments_commas_tabs_and_case() {
    let text = "# a comment line\n\
                Node\tNODE1,Node2 # trailing comment\n\
                bcast eth0,eth1\n\
                mcast eth2 239.1.2.3 694 1 0#no space before the comment\n\
                KEEPALIVE 2\n";
    let c = ha_cf(text).unwrap();
    assert_eq!(c.nodes, vec!["node1", "node2"]);
    assert_eq!(
        c.media,
        vec![
            Medium::Bcast { dev: "eth0".into() },
            Medium::Bcast { dev: "eth1".into() },
            Medium::Mcast {
                dev: "eth2".into(),
                group: Ipv4Addr::new(239, 1, 2, 3),
                port: 694,
                ttl: 1,
                loopback: false
            },
        ]
    );
    assert_eq!(c.timing.keepalive, ms(2000));
}

#[test]
fn every_medium_and_ping_node() {
    let text = "node node1 node2\n\
                udpport 7000\n\
                bcast eth0\n\
                mcast eth1 224.0.0.100 6000 4 1\n\
                ucast eth2 10.0.0.1\n\
                ucast eth2 node2.example 10.0.0.3\n\
                ping 10.0.0.254 Gateway\n\
                ping_group uplinks 10.1.0.1 10.1.0.2\n";
    let c = ha_cf(text).unwrap();
    assert_eq!(c.udp_port, 7000);
    assert_eq!(c.media.len(), 5);
    assert_eq!(
        c.media[4],
        Medium::Ucast {
            dev: "eth2".into(),
            peer: "10.0.0.3".into()
        }
    );
    assert_eq!(
        c.media.iter().map(|m| m.dev()).collect::<Vec<_>>(),
        ["eth0", "eth1", "eth2", "eth2", "eth2"]
    );
    assert_eq!(
        c.ping_nodes,
        vec![
            PingNode {
                name: "10.0.0.254".into(),
                hosts: vec!["10.0.0.254".into()]
            },
            PingNode {
                name: "gateway".into(),
                hosts: vec!["Gateway".into()]
            },
            PingNode {
                name: "uplinks".into(),
                hosts: vec!["10.1.0.1".into(), "10.1.0.2".into()]
            },
        ]
    );
}

#[test]
fn wire_dialect_is_native_unless_linux_ha_is_asked_for() {
    assert_eq!(ha_cf(&with("")).unwrap().wire_dialect, WireDialect::Native);
    for word in ["linux-ha", "Linux-HA", "linuxha"] {
        let c = ha_cf(&with(&format!("wire_dialect {word}\n"))).unwrap();
        assert_eq!(c.wire_dialect, WireDialect::LinuxHa, "{word}");
    }
    let c = ha_cf(&with("wire_dialect native\n")).unwrap();
    assert_eq!(c.wire_dialect, WireDialect::Native);
}

#[test]
fn implemented_scalar_directives() {
    let text = with(
        "auto_failback off\ncluster prod\nhopfudge 3\nrealtime no\nmsgfmt netstring\n\
         max_rexmit_delay 100\nlogfacility local0\nlogfile /var/log/ha-log\n\
         debugfile /var/log/ha-debug\ndebug 2\ncrm off\npacemaker no\nautojoin none\n",
    );
    let c = ha_cf(&text).unwrap();
    assert_eq!(c.auto_failback, AutoFailback::Off);
    assert_eq!(c.cluster, "prod");
    assert_eq!(c.hopfudge, 3);
    assert!(!c.realtime);
    assert_eq!(c.msgfmt, MsgFormat::Netstring);
    assert_eq!(c.max_rexmit_delay, ms(100));
    assert_eq!(c.logging.facility.as_deref(), Some("local0"));
    assert_eq!(
        c.logging.logfile.as_deref(),
        Some(std::path::Path::new("/var/log/ha-log"))
    );
    assert_eq!(c.logging.debug, 2);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    for (value, policy) in [
        ("on", AutoFailback::On),
        ("legacy", AutoFailback::Legacy),
        ("true", AutoFailback::On),
    ] {
        assert_eq!(
            ha_cf(&with(&format!("auto_failback {value}\n")))
                .unwrap()
                .auto_failback,
            policy
        );
    }
}

#[test]
fn nice_failback_is_mapped_with_a_warning() {
    let c = ha_cf(&with("nice_failback on\n")).unwrap();
    assert_eq!(c.auto_failback, AutoFailback::Off);
    assert_eq!(
        c.warnings,
        vec!["ha.cf:3: `nice_failback` is obsolete: read as `auto_failback off`"]
    );
}

// ---- every error class, with its file:line ------------------------------------

#[test]
fn unknown_directive() {
    one_error(
        ha_cf(&with("keepalive 1\nheartbeat_speed 9\n")),
        "ha.cf:4: unknown directive `heartbeat_speed`",
    );
}

#[test]
fn missing_and_extra_values() {
    one_error(
        ha_cf(&with("deadtime\n")),
        "ha.cf:3: `deadtime` needs a value: expected a time",
    );
    one_error(
        ha_cf(&with("deadtime 10 20\n")),
        "ha.cf:3: `deadtime` takes a time",
    );
    one_error(
        ha_cf(&with("mcast eth0 239.0.0.1 694 1\n")),
        "ha.cf:3: `mcast` needs a value: expected `mcast DEV GROUP PORT TTL LOOP`",
    );
    one_error(
        ha_cf(&with("ucast eth0\n")),
        "ha.cf:3: `ucast` needs a value",
    );
    one_error(
        ha_cf(&with("ping_group g\n")),
        "ha.cf:3: `ping_group` needs a value",
    );
    one_error(ha_cf(&with("bcast\n")), "ha.cf:3: `bcast` needs a value");
}

#[test]
fn deadtime_must_exceed_twice_keepalive() {
    let e = one_error(ha_cf(&with("keepalive 1\ndeadtime 1\n")), "ha.cf:4: ");
    assert_eq!(
        e,
        "ha.cf:4: deadtime must be greater than 2 × keepalive (got 1000 ms, keepalive 1000 ms)"
    );
    // Exactly 2 × keepalive is not enough either.
    one_error(
        ha_cf(&with("keepalive 2\ndeadtime 4\n")),
        "ha.cf:4: deadtime must be greater",
    );
    // With the default deadtime, the keepalive line is to blame.
    one_error(
        ha_cf(&with("keepalive 15\n")),
        "ha.cf:3: deadtime must be greater than 2 × keepalive (got 30000 ms, keepalive 15000 ms)",
    );
}

#[test]
fn keepalive_zero() {
    let m = messages(ha_cf(&with("keepalive 0\n")));
    assert_eq!(m, vec!["ha.cf:3: keepalive must be greater than 0"]);
}

#[test]
fn initdead_at_least_deadtime() {
    one_error(
        ha_cf(&with("deadtime 30\ninitdead 20\n")),
        "ha.cf:4: initdead must be at least deadtime (got 20000 ms, deadtime 30000 ms)",
    );
}

#[test]
fn warntime_positive() {
    one_error(
        ha_cf(&with("warntime 0\n")),
        "ha.cf:3: warntime must be greater than 0",
    );
    let c = ha_cf(&with("deadtime 10\nwarntime 10\n")).unwrap();
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].starts_with("ha.cf:4: warntime (10000 ms) is not less than deadtime"));
}

#[test]
fn deadping_must_exceed_twice_keepalive() {
    one_error(
        ha_cf(&with("keepalive 2\ndeadping 3\n")),
        "ha.cf:4: deadping must be greater than 2 × keepalive (got 3000 ms, keepalive 2000 ms)",
    );
}

#[test]
fn at_least_one_node() {
    let m = messages(ha_cf("ucast eth0 10.0.0.2\n"));
    assert_eq!(
        m,
        vec!["ha.cf: no `node` directive: at least one cluster node is required"]
    );
}

#[test]
fn own_node_listed() {
    let r = Config::from_texts(NODES_AND_MEDIUM, common::AUTHKEYS, "", "node3");
    one_error(
        r,
        "ha.cf: this node `node3` is not listed in a `node` directive (nodes: node1, node2)",
    );
    // Compared in lower case.
    assert!(Config::from_texts(NODES_AND_MEDIUM, common::AUTHKEYS, "", "NODE2").is_ok());
}

#[test]
fn at_least_one_medium() {
    one_error(
        ha_cf("node node1 node2\n"),
        "ha.cf: no communication medium: expected at least one `bcast`, `mcast` or `ucast` line",
    );
}

#[test]
fn mcast_values() {
    one_error(
        ha_cf(&with("mcast eth0 10.0.0.1 694 1 0\n")),
        "ha.cf:3: `mcast` group 10.0.0.1 is not a multicast address: expected one in 224.0.0.0/4",
    );
    one_error(
        ha_cf(&with("mcast eth0 239.0.0.300 694 1 0\n")),
        "ha.cf:3: `mcast`: invalid value `239.0.0.300`",
    );
    one_error(
        ha_cf(&with("mcast eth0 239.0.0.1 0 1 0\n")),
        "ha.cf:3: `mcast`: invalid value `0`: expected a UDP port",
    );
    one_error(
        ha_cf(&with("mcast eth0 239.0.0.1 694 256 0\n")),
        "ha.cf:3: `mcast`: invalid value `256`: expected a TTL",
    );
    one_error(
        ha_cf(&with("mcast eth0 239.0.0.1 694 1 yes\n")),
        "ha.cf:3: `mcast`: invalid value `yes`: expected loop 0 or 1",
    );
}

#[test]
fn bad_numbers_words_and_booleans() {
    one_error(
        ha_cf(&with("udpport 70000\n")),
        "ha.cf:3: `udpport`: invalid value `70000`: expected a UDP port",
    );
    one_error(
        ha_cf(&with("udpport 0\n")),
        "ha.cf:3: `udpport`: invalid value `0`",
    );
    one_error(
        ha_cf(&with("hopfudge 300\n")),
        "ha.cf:3: `hopfudge`: invalid value `300`",
    );
    one_error(
        ha_cf(&with("debug -1\n")),
        "ha.cf:3: `debug`: invalid value `-1`",
    );
    one_error(
        ha_cf(&with("realtime maybe\n")),
        "ha.cf:3: `realtime`: invalid value `maybe`: expected a boolean",
    );
    one_error(
        ha_cf(&with("auto_failback sometimes\n")),
        "ha.cf:3: `auto_failback`: invalid value `sometimes`: expected on, off or legacy",
    );
    one_error(
        ha_cf(&with("msgfmt json\n")),
        "ha.cf:3: `msgfmt`: invalid value `json`: expected classic or netstring",
    );
    one_error(
        ha_cf(&with("compression gzip\n")),
        "ha.cf:3: `compression`: invalid value `gzip`: expected zlib or bz2",
    );
    one_error(
        ha_cf(&with("compression_threshold 0\n")),
        "ha.cf:3: `compression_threshold`: invalid value `0`: expected a size in KiB, at least 1",
    );
    one_error(
        ha_cf(&with("compression_threshold 2k\n")),
        "ha.cf:3: `compression_threshold`: invalid value `2k`",
    );
    one_error(
        ha_cf(&with("traditional_compression perhaps\n")),
        "ha.cf:3: `traditional_compression`: invalid value `perhaps`: expected a boolean",
    );
    one_error(
        ha_cf(&with("wire_dialect heartbeat2\n")),
        "ha.cf:3: `wire_dialect`: invalid value `heartbeat2`: expected native or linux-ha",
    );
    one_error(
        ha_cf(&with("logfacility local9\n")),
        "ha.cf:3: `logfacility`: invalid value `local9`",
    );
    one_error(
        ha_cf(&with("max_rexmit_delay soon\n")),
        "ha.cf:3: `max_rexmit_delay`: invalid value `soon`",
    );
    let long = "n".repeat(65);
    one_error(
        ha_cf(&with(&format!("node {long}\n"))),
        "ha.cf:3: `node`: invalid value",
    );
}

#[test]
fn pacemaker_on_is_not_supported() {
    for (d, v) in [
        ("crm", "on"),
        ("crm", "yes"),
        ("pacemaker", "respawn"),
        ("crm", "ccm-only"),
    ] {
        let e = one_error(
            ha_cf(&with(&format!("{d} {v}\n"))),
            &format!("ha.cf:3: `{d} {v}` is not supported"),
        );
        assert!(e.contains("haresources"), "{e}");
    }
    one_error(
        ha_cf(&with("crm whatever\n")),
        "ha.cf:3: `crm`: invalid value `whatever`",
    );
    for off in ["off", "no", "false", "n", "0"] {
        assert!(ha_cf(&with(&format!("crm {off}\npacemaker {off}\n"))).is_ok());
    }
}

#[test]
fn autojoin_other_than_none_is_refused() {
    one_error(
        ha_cf(&with("autojoin any\n")),
        "ha.cf:3: `autojoin any` is not supported with haresources",
    );
    assert!(ha_cf(&with("autojoin none\n")).is_ok());
}

#[test]
fn ping_node_named_like_a_node() {
    one_error(
        ha_cf(&with("ping NODE2\n")),
        "ha.cf:3: `node2` is declared both as a cluster node and as a ping node",
    );
}

#[test]
fn all_errors_are_reported_not_just_the_first() {
    let text = "bogus 1\nkeepalive fast\nnode node1\ndeadtime 1\nmcast eth0 1.2.3.4 694 1 0\n";
    let m = messages(ha_cf(text));
    let lines: Vec<&str> = m.iter().map(|e| e.split(": ").next().unwrap()).collect();
    // No "deadtime too short" for line 4: it would compare deadtime with
    // the default keepalive, standing in for the invalid one of line 2.
    assert_eq!(
        lines,
        vec!["ha.cf:1", "ha.cf:2", "ha.cf:5", "ha.cf"],
        "{m:#?}"
    );
}

#[test]
fn an_invalid_timer_brings_no_follow_on_error() {
    one_error(
        ha_cf(&with(
            "deadtime soon
initdead 1
",
        )),
        "ha.cf:3: `deadtime`: invalid value `soon`",
    );
    one_error(
        ha_cf(&with(
            "keepalive fast
deadtime 1
",
        )),
        "ha.cf:3: `keepalive`: invalid value `fast`",
    );
}

#[test]
fn impossible_names_are_refused_with_their_line() {
    for (line, expected) in [
        ("ucast lo 12", "`ucast`: invalid value `12`"),
        ("ucast lo 65536", "`ucast`: invalid value `65536`"),
        ("ucast lo 127.", "`ucast`: invalid value `127.`"),
        ("ucast lo node2:0", "`ucast`: invalid value `node2:0`"),
        ("bcast \"quoted\"", "`bcast`: invalid value `\"quoted\"`"),
        (
            "bcast 12345678901234567890",
            "`bcast`: invalid value `12345678901234567890`",
        ),
        ("ucast eth0:1 10.0.0.2", "`ucast`: invalid value `eth0:1`"),
        (
            "mcast a/b 239.0.0.1 694 1 0",
            "`mcast`: invalid value `a/b`",
        ),
        ("node node\u{1b}3", "`node`: invalid value `node\u{1b}3`"),
    ] {
        one_error(
            ha_cf(&with(&format!("{line}\n"))),
            &format!("ha.cf:3: {expected}"),
        );
    }
    assert!(ha_cf(&with("ucast eth0 10.0.0.2 node2.example.com:7000\n")).is_ok());
}

// ---- compatibility directives ----------------------------------------------------

/// Every other directive of Heartbeat 3.0.6's ha.cf, with a typical value.
const COMPAT: &[&str] = &[
    "mcast6 eth0 ff02::1:2 694 1 0",
    "ucast6 eth0 fe80::1",
    "serial /dev/ttyS0",
    "baud 19200",
    "ping6 ::1",
    "hbaping fc0",
    "use_logd yes",
    "conn_logd_time 60",
    "apiauth ipfail gid=haclient uid=hacluster",
    "rtprio 50",
    "hbgenmethod time",
    "coredumps true",
    "coreroot /var/lib/heartbeat/cores",
    "log_badpack false",
    "syslogmsgfmt true",
    "use_apphbd yes",
    "uuidfrom nodename",
    "memreserve 6500",
    "env HA_FOO=bar",
    "quorum_server quorum.example",
    "crm_daemon_dir /usr/lib/heartbeat",
    "crmd_spawns_pengine true",
    "record_config_changes on",
    "record_pengine_inputs on",
    "enable_config_writes on",
    "normalpoll true",
];

#[test]
fn heartbeat_directives_are_accepted_with_a_warning() {
    for (i, line) in COMPAT.iter().enumerate() {
        let c = ha_cf(&with(&format!("{line}\n"))).unwrap_or_else(|e| panic!("{line}: {e}"));
        let name = line.split(' ').next().unwrap();
        assert_eq!(c.warnings.len(), 1, "{line}: {:?}", c.warnings);
        let expected = format!("ha.cf:3: directive `{name}` has no effect in heartbeat-rs");
        assert!(
            c.warnings[0].starts_with(&expected),
            "{i}: {:?}",
            c.warnings[0]
        );
    }
}

#[test]
fn compat_values_are_still_checked() {
    one_error(
        ha_cf(&with("coredumps sometimes\n")),
        "ha.cf:3: `coredumps`: invalid value `sometimes`: expected a boolean",
    );
    one_error(
        ha_cf(&with("compression lzma\n")),
        "ha.cf:3: `compression`: invalid value `lzma`: expected zlib or bz2",
    );
    one_error(
        ha_cf(&with("conn_logd_time soon\n")),
        "ha.cf:3: `conn_logd_time`: invalid value `soon`",
    );
}

#[test]
fn respawn_and_failfast_lines() {
    let c = ha_cf(&with(
        "respawn nobody /usr/bin/agent -x a,b  # comment\nFAILFAST root\t/bin/watcher\n",
    ))
    .unwrap();
    assert_eq!(c.respawn.len(), 2);
    assert_eq!(c.respawn[0].user, "nobody");
    // The command is the rest of the line: commas are the command's.
    assert_eq!(c.respawn[0].command, "/usr/bin/agent -x a,b");
    assert_eq!((c.respawn[0].line, c.respawn[0].failfast), (3, false));
    assert_eq!(c.respawn[1].command, "/bin/watcher");
    assert_eq!((c.respawn[1].line, c.respawn[1].failfast), (4, true));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(!c.raw_parameters.contains_key("respawn"));
    // Shown in the effective configuration (so a SIGHUP notices a change).
    let shown = c.effective().to_string();
    assert!(
        shown.contains("\nrespawn nobody /usr/bin/agent -x a,b\n"),
        "{shown}"
    );
    assert!(shown.contains("\nfailfast root /bin/watcher\n"), "{shown}");
}

#[test]
fn heartbeat_programs_are_kept_with_a_warning() {
    let c = ha_cf(&with("respawn hacluster /usr/lib/heartbeat/ipfail\n")).unwrap();
    assert_eq!(c.respawn.len(), 1);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(
        c.warnings[0].starts_with(
            "ha.cf:3: `respawn`: /usr/lib/heartbeat/ipfail needs Heartbeat's client API"
        ),
        "{:?}",
        c.warnings
    );
}

#[test]
fn bad_respawn_lines() {
    one_error(
        ha_cf(&with("respawn hacluster\n")),
        "ha.cf:3: `respawn` needs a value: expected a user name, then a command",
    );
    one_error(
        ha_cf(&with("failfast\n")),
        "ha.cf:3: `failfast` needs a value",
    );
    one_error(
        ha_cf(&with("respawn root ipfail\n")),
        "ha.cf:3: `respawn`: invalid value `ipfail`: expected a user name, then a command starting with an absolute path",
    );
}

#[test]
fn settings_matching_our_behaviour_need_no_warning() {
    let c = ha_cf(&with(
        "use_logd no\nuse_apphbd no\ntraditional_compression no\n",
    ))
    .unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn repeated_settings_and_late_udpport_warn() {
    let c = ha_cf(&with("keepalive 1\nkeepalive 2\nudpport 700\nnode NODE1\n")).unwrap();
    assert_eq!(c.timing.keepalive, ms(2000));
    assert_eq!(c.udp_port, 700);
    assert_eq!(c.nodes, vec!["node1", "node2"]);
    assert_eq!(c.warnings.len(), 3, "{:#?}", c.warnings);
    assert!(c.warnings[0]
        .starts_with("ha.cf:4: `keepalive` is set again; this value replaces the one of line 3"));
    assert!(c.warnings[1].starts_with("ha.cf:5: `udpport` follows bcast/ucast media"));
    assert!(c.warnings[2].starts_with("ha.cf:6: node `node1` is listed again (first at line 1)"));
}

/// The ha.cf Heartbeat 3.0.6 ran with in the reference capture.
#[test]
fn reference_cluster_ha_cf_loads() {
    let text = "\
# generated by lab.sh for node1 (2026-11-21T22:25:58Z)
use_logd no
logfacility none
logfile /var/log/ha-log
debugfile /var/log/ha-debug
debug 0
keepalive 1
deadtime 5
warntime 3
initdead 10
udpport 694
bcast eth0
bcast eth1
ping 10.77.0.1
auto_failback on
crm no
node node1
node node2
respawn hacluster /usr/libexec/heartbeat/ipfail
apiauth ipfail gid=haclient uid=hacluster
";
    let h = parse_ha_cf(text, std::path::Path::new("/etc/ha.d/ha.cf")).unwrap();
    assert_eq!(h.nodes, vec!["node1", "node2"]);
    assert_eq!(h.timing.deadtime, ms(5000));
    assert_eq!(h.timing.warntime, ms(3000));
    assert_eq!(h.timing.initdead, ms(10_000));
    assert_eq!(h.media.len(), 2);
    assert_eq!(h.ping_nodes.len(), 1);
    assert_eq!(h.auto_failback, AutoFailback::On);
    assert_eq!(h.logging.facility, None);
    assert_eq!(
        h.warnings,
        vec![
            "/etc/ha.d/ha.cf:19: `respawn`: /usr/libexec/heartbeat/ipfail needs Heartbeat's client API and is not started (ping nodes replace ipfail)",
            "/etc/ha.d/ha.cf:20: directive `apiauth` has no effect in heartbeat-rs (the control socket has its own access rules)",
        ]
    );
}

#[test]
fn directive_values_are_recorded_as_written_for_hbparameter() {
    let text = "keepalive 1\ndeadtime 5\nDebugFile /var/log/ha-debug\ncrm no\n\
                keepalive 2\nbcast eth0\nnode node1\nping 10.0.0.1\n\
                apiauth ipfail uid=hacluster\nrespawn hacluster /bin/true\n";
    let h = parse_ha_cf(text, std::path::Path::new("ha.cf")).unwrap();
    let recorded: Vec<(&str, &str)> = h
        .raw_parameters
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        recorded,
        [
            ("crm", "no"),
            ("deadtime", "5"),
            ("debugfile", "/var/log/ha-debug"),
            ("keepalive", "2"),
        ]
    );
}

#[test]
fn metrics_listen_takes_an_address_and_a_port() {
    assert_eq!(ha_cf(NODES_AND_MEDIUM).unwrap().metrics_listen, None);
    let c = ha_cf(&with("metrics_listen 127.0.0.1:9694\n")).unwrap();
    assert_eq!(c.metrics_listen, Some("127.0.0.1:9694".parse().unwrap()));
    assert_eq!(c.raw_parameters["metrics_listen"], "127.0.0.1:9694");
    assert!(c
        .effective()
        .to_string()
        .contains("metrics_listen 127.0.0.1:9694\n"));
    let v6 = ha_cf(&with("metrics_listen [::1]:9694\n")).unwrap();
    assert_eq!(v6.metrics_listen, Some("[::1]:9694".parse().unwrap()));
    for bad in ["127.0.0.1", "localhost:9694", "127.0.0.1:65536", "9694"] {
        let e = one_error(ha_cf(&with(&format!("metrics_listen {bad}\n"))), "ha.cf:3:");
        assert!(e.contains("127.0.0.1:9694"), "{e}");
    }
}

#[test]
fn compression_directives() {
    let c = ha_cf(&with(
        "compression bz2\ncompression_threshold 1\ntraditional_compression yes\n",
    ))
    .unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.compression.algorithm, CompressionAlgorithm::Bz2);
    assert_eq!(c.compression.threshold_kib, 1);
    let out = c.compression.outgoing().unwrap();
    assert_eq!(out.algorithm, CompressionAlgorithm::Bz2);
    assert_eq!(out.threshold, 1024);
    // Without traditional_compression, Heartbeat compresses nothing it sends.
    let c = ha_cf(&with("compression bz2\ncompression_threshold 1\n")).unwrap();
    assert_eq!(c.compression.outgoing(), None);
}
