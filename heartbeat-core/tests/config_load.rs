//! Loading a directory: the sample `ha.d/`, missing files, errors of all
//! three files reported together, the effective configuration.

mod common;

use std::time::Duration;

use common::{messages, sample_copy, TempDir, AUTHKEYS, HARESOURCES, HA_CF};
use heartbeat_core::config::{AutoFailback, Config, Medium};
use heartbeat_core::wire::AuthMethod;

#[test]
fn the_sample_parses_for_both_nodes() {
    let dir = sample_copy();
    for node in ["node1", "node2", "NODE2"] {
        let c = Config::load(dir.path(), node).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.local_node, node.to_ascii_lowercase());
        assert_eq!(c.nodes, vec!["node1", "node2"]);
        assert_eq!(c.timing.keepalive, Duration::from_secs(1));
        assert_eq!(c.timing.deadtime, Duration::from_secs(10));
        assert_eq!(c.auto_failback, AutoFailback::On);
        assert!(matches!(&c.media[0], Medium::Ucast { dev, .. } if dev == "lo"));
        assert_eq!(c.keys.active, 1);
        assert_eq!(c.keys.keys[&1].method, AuthMethod::Sha256);
        assert_eq!(c.groups.len(), 2);
        assert_eq!(c.groups[0].preferred_node, "node1");
        assert_eq!(c.groups[0].resources[0].script, "hb-logger");
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }
}

#[test]
fn the_sample_scripts_exist_and_are_executable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = sample_copy();
    let c = Config::load(dir.path(), "node1").unwrap();
    for group in &c.groups {
        for r in &group.resources {
            let path = common::sample_dir().join("resource.d").join(&r.script);
            let mode = std::fs::metadata(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .permissions()
                .mode();
            assert!(mode & 0o111 != 0, "{} is not executable", path.display());
        }
    }
}

#[test]
fn the_checked_in_sample_authkeys_is_refused_for_its_mode() {
    // A fresh clone has authkeys 0644 (git keeps no 0600): the check must bite.
    use std::os::unix::fs::PermissionsExt;
    let dir = sample_copy();
    let path = dir.path().join("authkeys");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let m = messages(Config::load(dir.path(), "node1"));
    assert_eq!(m.len(), 1);
    assert!(m[0].contains("chmod 600"), "{}", m[0]);
}

#[test]
fn errors_of_all_three_files_come_together() {
    let dir = TempDir::new();
    let ha_cf = dir.write(
        "ha.cf",
        "node node1 node2\nucast eth0 10.0.0.2\ndeadtime 1\n",
        0o644,
    );
    let keys = dir.write("authkeys", "auth 1\n1 sha1\n", 0o600);
    let res = dir.write("haresources", "node1 a\nnode9 b\n", 0o644);
    let m = messages(Config::load(dir.path(), "node1"));
    assert_eq!(
        m,
        vec![
            format!(
                "{}:3: deadtime must be greater than 2 × keepalive (got 1000 ms, keepalive 1000 ms)",
                ha_cf.display()
            ),
            format!("{}:2: method sha1 needs a key: expected `N sha1 KEY`", keys.display()),
            format!(
                "{}:2: preferred node `node9` is not a `node` in ha.cf (nodes: node1, node2)",
                res.display()
            ),
        ]
    );
}

#[test]
fn missing_files() {
    let dir = TempDir::new();
    let m = messages(Config::load(dir.path(), "node1"));
    assert_eq!(m.len(), 2, "{m:#?}");
    assert!(m[0].starts_with(&format!(
        "{}: cannot read the file",
        dir.path().join("ha.cf").display()
    )));
    assert!(m[1].starts_with(&format!(
        "{}: cannot read the file",
        dir.path().join("authkeys").display()
    )));
}

#[test]
fn missing_haresources_means_no_group() {
    let dir = TempDir::new();
    // `lo` exists everywhere: no warning about a missing interface.
    dir.write("ha.cf", &HA_CF.replace("eth0", "lo"), 0o644);
    dir.write("authkeys", AUTHKEYS, 0o600);
    let c = Config::load(dir.path(), "node1").unwrap();
    assert!(c.groups.is_empty());
    assert_eq!(c.warnings.len(), 1);
    assert!(
        c.warnings[0].contains("haresources: not found"),
        "{:?}",
        c.warnings
    );
}

#[test]
fn loading_from_disk_checks_the_machine_too() {
    let dir = TempDir::new();
    dir.write(
        "ha.cf",
        "node node1 node2\nucast lo localhost:7001\nbcast nosuchif0\n",
        0o644,
    );
    dir.write("authkeys", AUTHKEYS, 0o600);
    dir.write("haresources", HARESOURCES, 0o644);
    let c = Config::load(dir.path(), "node1").unwrap();
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(
        c.warnings[0]
            .ends_with("ha.cf:3: interface `nosuchif0` does not exist on this machine (yet)"),
        "{:?}",
        c.warnings
    );
    // In memory, only the text counts.
    let text = std::fs::read_to_string(dir.path().join("ha.cf")).unwrap();
    let c = Config::from_texts(&text, AUTHKEYS, HARESOURCES, "node1").unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn respawn_users_and_programs_are_checked_on_this_machine() {
    let dir = TempDir::new();
    dir.write(
        "ha.cf",
        "node node1 node2\nbcast lo\nrespawn root /bin/sh -c true\n\
         respawn no-such-user-hbrs /bin/sh\nfailfast root /no/such/program --flag\n",
        0o644,
    );
    dir.write("authkeys", AUTHKEYS, 0o600);
    dir.write("haresources", HARESOURCES, 0o644);
    let m = messages(Config::load(dir.path(), "node1"));
    assert_eq!(m.len(), 2, "{m:#?}");
    assert!(
        m[0].ends_with("ha.cf:4: `respawn`: invalid value `no-such-user-hbrs`: expected a user of this machine"),
        "{m:#?}"
    );
    assert!(
        m[1].ends_with(
            "ha.cf:5: `failfast`: invalid value `/no/such/program`: expected an executable program"
        ),
        "{m:#?}"
    );
}

#[test]
fn warnings_survive_errors() {
    let e = Config::from_texts(
        &format!("{HA_CF}coredumps on\nbogus x\n"),
        AUTHKEYS,
        HARESOURCES,
        "node1",
    )
    .unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e.warnings().len(), 1);
    assert!(e
        .to_string()
        .starts_with("ha.cf:4: unknown directive `bogus`"));
}

#[test]
fn effective_configuration_shows_defaults_but_no_secret() {
    let c = Config::from_texts(
        "node node1 node2\nmcast eth0 239.0.0.1 694 1 0\nping_group g 10.0.0.1 10.0.0.2\n",
        "auth 2\n1 md5 topsecret1\n2 sha256 topsecret2\n3 crc\n",
        HARESOURCES,
        "node1",
    )
    .unwrap();
    let text = c.effective().to_string();
    for line in [
        "cluster linux-ha",
        "node node1",
        "node node2",
        "keepalive 1000ms",
        "deadtime 30000ms",
        "warntime 15000ms",
        "initdead 30000ms",
        "deadping 30000ms",
        "udpport 694",
        "mcast eth0 239.0.0.1 694 1 0",
        "ping_group g 10.0.0.1 10.0.0.2",
        "auto_failback legacy",
        "max_rexmit_delay 250",
        "hopfudge 1",
        "realtime true",
        "msgfmt classic",
        "logfacility none",
        "debug 0",
        "auth 2",
        "1 md5",
        "2 sha256",
        "3 crc",
        "group 10.0.0.10 node1 IPaddr::10.0.0.10 httpd",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert!(!text.contains("topsecret"), "{text}");
    assert!(!format!("{c:?}").contains("topsecret"));
}

#[test]
fn linux_ha_dialect_with_a_sha256_key_warns_that_heartbeat_cannot_read_it() {
    let ha_cf = "node a b\nbcast eth0\nwire_dialect linux-ha\n";
    let c = Config::from_texts(ha_cf, "auth 1\n1 sha256 k\n", "", "a").unwrap();
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("sha256") && w.contains("Heartbeat")),
        "{:?}",
        c.warnings
    );
    let c = Config::from_texts(ha_cf, "auth 1\n1 sha1 k\n", "", "a").unwrap();
    assert!(!c.warnings.iter().any(|w| w.contains("sha256")));
}

#[test]
fn the_command_line_dialect_warns_about_sha256_too() {
    let ha_cf = "node a b\nbcast eth0\n";
    let mut c = Config::from_texts(ha_cf, "auth 1\n1 sha256 k\n", "", "a").unwrap();
    assert!(!c.warnings.iter().any(|w| w.contains("sha256")));
    c.set_wire_dialect(heartbeat_core::config::WireDialect::LinuxHa);
    assert_eq!(c.wire_dialect, heartbeat_core::config::WireDialect::LinuxHa);
    assert!(
        c.warnings.iter().any(|w| w.contains("sha256")),
        "{:?}",
        c.warnings
    );
}
