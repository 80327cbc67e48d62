//! The `haresources` parser: one resource group per logical line.
//!
//! Linux-HA syntax: `NODE RESOURCE...`, `#` comments, `\` at the end of a line
//! continues it. `NODE` is the preferred node and must be a configured node
//! (case-insensitive). A resource is `script::arg1::arg2`; a bare IPv4
//! address, optionally `/bits`, `/bits/iface` or `/bits/iface/broadcast`,
//! means `IPaddr::` with it as the single argument. The group key is the first
//! resource as written and must be unique.

use std::net::Ipv4Addr;
use std::path::Path;

use super::error::{ConfigError, ConfigErrorKind as K, ConfigErrors, Parsed};
use super::lexer::haresources_lines;
use super::{Resource, ResourceGroup};
use crate::wire::MAX_GROUP_KEY;

/// Script that a bare IPv4 address stands for.
pub const IPADDR_SCRIPT: &str = "IPaddr";

/// Parses a `haresources` text; `file` names it in messages, `nodes` are the
/// configured nodes (lower case) a preferred node must be one of.
pub fn parse_haresources(
    text: &str,
    file: &Path,
    nodes: &[String],
) -> Result<Vec<ResourceGroup>, ConfigErrors> {
    parse(text, file, nodes).into_result()
}

/// Parses one resource token.
pub fn parse_resource(token: &str) -> Result<Resource, String> {
    let address = token.split('/').next().unwrap_or(token);
    if looks_like_ipv4(address) {
        check_ip_resource(token)?;
        return Ok(Resource {
            script: IPADDR_SCRIPT.to_string(),
            args: vec![token.to_string()],
        });
    }
    let mut parts = token.split("::");
    let script = parts.next().unwrap_or_default();
    if script.is_empty() {
        return Err("expected `SCRIPT::ARG...` with a script name before `::`".into());
    }
    if script.contains('/') {
        return Err(
            "a script name must not contain `/`: scripts are looked up in resource.d/ and \
             /etc/init.d/"
                .into(),
        );
    }
    Ok(Resource {
        script: script.to_string(),
        args: parts.map(str::to_string).collect(),
    })
}

/// Four dot-separated groups of digits: meant as an address.
fn looks_like_ipv4(text: &str) -> bool {
    let groups: Vec<&str> = text.split('.').collect();
    groups.len() == 4
        && groups
            .iter()
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
}

fn check_ip_resource(token: &str) -> Result<(), String> {
    const EXPECTED: &str = "expected ADDRESS[/BITS[/IFACE[/BROADCAST]]]";
    let parts: Vec<&str> = token.split('/').collect();
    if parts.len() > 4 {
        return Err(EXPECTED.into());
    }
    if parts[0].parse::<Ipv4Addr>().is_err() {
        return Err(format!("`{}` is not an IPv4 address; {EXPECTED}", parts[0]));
    }
    if let Some(bits) = parts.get(1) {
        if !matches!(bits.parse::<u8>(), Ok(0..=32)) {
            return Err(format!(
                "`{bits}` is not a prefix length 0..=32; {EXPECTED}"
            ));
        }
    }
    if let Some(iface) = parts.get(2) {
        if iface.is_empty() {
            return Err(format!("empty interface name; {EXPECTED}"));
        }
    }
    if let Some(bcast) = parts.get(3) {
        if bcast.parse::<Ipv4Addr>().is_err() {
            return Err(format!(
                "`{bcast}` is not an IPv4 broadcast address; {EXPECTED}"
            ));
        }
    }
    Ok(())
}

/// Parses without stopping: the valid groups, plus errors.
pub(crate) fn parse(text: &str, file: &Path, nodes: &[String]) -> Parsed<Vec<ResourceGroup>> {
    let mut errors = Vec::new();
    let mut groups: Vec<ResourceGroup> = Vec::new();
    let mut key_lines: Vec<(String, usize)> = Vec::new();
    let (lines, dangling) = haresources_lines(text);
    for line in &lines {
        let n = line.number;
        let mut err = |kind: K| errors.push(ConfigError::at(file, n, kind));
        let node = line.tokens[0].to_ascii_lowercase();
        let mut ok = true;
        if !nodes.is_empty() && !nodes.contains(&node) {
            err(K::UnknownPreferredNode {
                node: node.clone(),
                nodes: nodes.join(", "),
            });
            ok = false;
        }
        let tokens = &line.tokens[1..];
        let Some(key) = tokens.first() else {
            err(K::EmptyGroup(node));
            continue;
        };
        if key.len() > MAX_GROUP_KEY {
            err(K::InvalidResource {
                token: key.to_string(),
                reason: format!("a group key (first resource) is at most {MAX_GROUP_KEY} bytes"),
            });
            ok = false;
        }
        if let Some((_, first_line)) = key_lines.iter().find(|(k, _)| k == key) {
            err(K::DuplicateGroupKey {
                key: key.to_string(),
                first_line: *first_line,
            });
            ok = false;
        } else {
            key_lines.push((key.to_string(), n));
        }
        let mut resources = Vec::new();
        for token in tokens {
            match parse_resource(token) {
                Ok(r) => resources.push(r),
                Err(reason) => {
                    err(K::InvalidResource {
                        token: token.to_string(),
                        reason,
                    });
                    ok = false;
                }
            }
        }
        if ok {
            groups.push(ResourceGroup {
                key: key.to_string(),
                preferred_node: node,
                resources,
            });
        }
    }
    if dangling {
        let last = text.lines().count().max(1);
        errors.push(ConfigError::at(file, last, K::DanglingContinuation));
    }
    Parsed {
        value: groups,
        errors,
        warnings: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes() -> Vec<String> {
        vec!["node1".into(), "node2".into()]
    }

    #[test]
    fn resources() {
        let r = parse_resource("Filesystem::/dev/sda1::/data::ext3").unwrap();
        assert_eq!(r.script, "Filesystem");
        assert_eq!(r.args, vec!["/dev/sda1", "/data", "ext3"]);
        let r = parse_resource("apache").unwrap();
        assert!(r.args.is_empty());
        for ip in [
            "10.0.0.1",
            "10.0.0.1/24",
            "10.0.0.1/24/eth0",
            "10.0.0.1/24/eth0/10.0.0.255",
        ] {
            let r = parse_resource(ip).unwrap();
            assert_eq!(r.script, "IPaddr");
            assert_eq!(r.args, vec![ip]);
        }
        for bad in [
            "300.0.0.1",
            "10.0.0.1/33",
            "10.0.0.1/24//",
            "10.0.0.1/24/eth0/x",
            "::a",
            "../x",
        ] {
            assert!(parse_resource(bad).is_err(), "{bad}");
        }
        // Not four groups of digits: a script name, as Heartbeat reads it.
        assert_eq!(parse_resource("1.2.3").unwrap().script, "1.2.3");
    }

    #[test]
    fn groups() {
        let text = "# x\nNODE1 10.0.0.1 httpd \\\n  mysql::a::b\nnode2 drbd::r0\n";
        let g = parse_haresources(text, Path::new("haresources"), &nodes()).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].key, "10.0.0.1");
        assert_eq!(g[0].preferred_node, "node1");
        assert_eq!(g[0].resources.len(), 3);
        assert_eq!(g[1].key, "drbd::r0");
    }

    #[test]
    fn errors() {
        let text = "node3 a\nnode1\nnode1 b 1.2.3.400\nnode2 b\nnode1 c \\\n";
        let e: Vec<String> = parse_haresources(text, Path::new("haresources"), &nodes())
            .unwrap_err()
            .errors()
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(e.len(), 5, "{e:#?}");
        assert!(e[0].starts_with("haresources:1: preferred node `node3` is not a `node`"));
        assert!(e[1].starts_with("haresources:2: group of node `node1` has no resource"));
        assert!(e[2].starts_with("haresources:3: invalid resource `1.2.3.400`"));
        assert!(e[3].starts_with("haresources:4: group key `b` is used twice (first at line 3)"));
        assert!(e[4].starts_with("haresources:5: the last line ends with `\\`"));
    }
}
