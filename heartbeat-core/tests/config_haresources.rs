//! `haresources`: groups, resources, and every error class with its file:line.

mod common;

use common::{one_error, AUTHKEYS, HA_CF};
use heartbeat_core::config::{Config, ConfigErrors, Resource};

fn groups(text: &str) -> Result<Config, ConfigErrors> {
    Config::from_texts(HA_CF, AUTHKEYS, text, "node1")
}

fn res(script: &str, args: &[&str]) -> Resource {
    Resource {
        script: script.into(),
        args: args.iter().map(|a| a.to_string()).collect(),
    }
}

#[test]
fn groups_resources_and_continuations() {
    let text = "\
# web on node1, db on node2
NODE1 192.168.1.100/24/eth0/192.168.1.255 Filesystem::/dev/drbd0::/srv::ext4 \\
      apache2   # continued
node2 10.0.0.20 \\
  \\
  postgresql
\n";
    let c = groups(text).unwrap();
    assert_eq!(c.groups.len(), 2);
    let g = &c.groups[0];
    assert_eq!(g.key, "192.168.1.100/24/eth0/192.168.1.255");
    assert_eq!(g.preferred_node, "node1");
    assert_eq!(
        g.resources,
        vec![
            res("IPaddr", &["192.168.1.100/24/eth0/192.168.1.255"]),
            res("Filesystem", &["/dev/drbd0", "/srv", "ext4"]),
            res("apache2", &[]),
        ]
    );
    let g = &c.groups[1];
    assert_eq!(g.key, "10.0.0.20");
    assert_eq!(g.preferred_node, "node2");
    assert_eq!(
        g.resources,
        vec![res("IPaddr", &["10.0.0.20"]), res("postgresql", &[])]
    );
}

#[test]
fn empty_file_means_no_group() {
    assert!(groups("").unwrap().groups.is_empty());
    assert!(groups("# nothing\n\n").unwrap().groups.is_empty());
}

#[test]
fn preferred_node_must_be_configured() {
    one_error(
        groups("# x\nnode3 httpd\n"),
        "haresources:2: preferred node `node3` is not a `node` in ha.cf (nodes: node1, node2)",
    );
}

#[test]
fn group_without_resource() {
    one_error(
        groups("node1\n"),
        "haresources:1: group of node `node1` has no resource",
    );
}

#[test]
fn group_keys_are_unique() {
    one_error(
        groups("node1 10.0.0.10 httpd\n\nnode2 10.0.0.10 mysql\n"),
        "haresources:3: group key `10.0.0.10` is used twice (first at line 1)",
    );
}

#[test]
fn invalid_resources() {
    one_error(
        groups("node1 10.0.0.256\n"),
        "haresources:1: invalid resource `10.0.0.256`: `10.0.0.256` is not an IPv4 address",
    );
    one_error(
        groups("node1 10.0.0.1/40\n"),
        "haresources:1: invalid resource `10.0.0.1/40`: `40` is not a prefix length 0..=32",
    );
    one_error(
        groups("node1 a b \\\n ::arg\n"),
        "haresources:1: invalid resource `::arg`: expected `SCRIPT::ARG...`",
    );
    one_error(
        groups("node1 ../../bin/sh::x\n"),
        "haresources:1: invalid resource `../../bin/sh::x`: a script name must not contain `/`",
    );
}

#[test]
fn dangling_continuation() {
    one_error(
        groups("node1 httpd\nnode2 mysql \\\n"),
        "haresources:2: the last line ends with `\\`",
    );
}
