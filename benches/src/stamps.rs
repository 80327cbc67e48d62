//! The timing log every system's "start script" writes: one line
//! `<unix ns> <node> <group> <verb>` per call, where verb is `start`, `stop`,
//! `fault` (keepalived's notify_fault) or `killed` (written by the harness when
//! it kills a node, whose resources die with it). The power switch
//! ([`crate::power`]) adds `fence-start` and `fenced` lines naming the node
//! it fences (group `*`).

use std::path::Path;

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Wall-clock time, ns since the Unix epoch.
    pub unix_ns: u128,
    /// Node name (`node1`, …).
    pub node: String,
    /// What happened: `start`, `stop`, `fault`, `killed`, `fence-start`
    /// or `fenced`.
    pub verb: String,
}

/// Parses the log text; malformed lines (a write cut short) are skipped.
pub fn parse(text: &str) -> Vec<Stamp> {
    text.lines()
        .filter_map(|line| {
            let mut w = line.split_whitespace();
            let unix_ns = w.next()?.parse().ok()?;
            let node = w.next()?.to_owned();
            let _group = w.next()?;
            let verb = w.next()?.to_owned();
            Some(Stamp {
                unix_ns,
                node,
                verb,
            })
        })
        .collect()
}

/// Reads and parses the log at `path` (empty if it does not exist yet).
pub fn read(path: &Path) -> Vec<Stamp> {
    parse(&std::fs::read_to_string(path).unwrap_or_default())
}

/// Verb of the power switch's line before it kills a node.
pub const FENCE_START: &str = "fence-start";
/// Verb of the power switch's line once no process of the node is left.
pub const FENCED: &str = "fenced";

/// Nodes holding the resource after `stamps`, in the order they started it.
pub fn owners(stamps: &[Stamp]) -> Vec<String> {
    let mut owners: Vec<String> = Vec::new();
    for s in stamps {
        match s.verb.as_str() {
            "start" => {
                if !owners.contains(&s.node) {
                    owners.push(s.node.clone());
                }
            }
            // Not down yet: only `fenced` says it is.
            FENCE_START => {}
            _ => owners.retain(|n| *n != s.node),
        }
    }
    owners
}

/// The first `start` by `node` later than `after_ns`.
pub fn first_start_after<'a>(stamps: &'a [Stamp], node: &str, after_ns: u128) -> Option<&'a Stamp> {
    stamps
        .iter()
        .find(|s| s.node == node && s.verb == "start" && s.unix_ns > after_ns)
}

/// Script calls (`start`, `stop`, `fault`) later than `after_ns`: in a window
/// where nothing was done to the cluster, each one is a spurious state change.
pub fn script_calls_after(stamps: &[Stamp], after_ns: u128) -> usize {
    stamps
        .iter()
        .filter(|s| s.unix_ns > after_ns)
        .filter(|s| !matches!(s.verb.as_str(), "killed" | FENCE_START | FENCED))
        .count()
}

/// The first fence of `node` that started later than `after_ns` and
/// ended before `before_ns`: (`fence-start`, `fenced`) instants in ns.
pub fn fence_between(
    stamps: &[Stamp],
    node: &str,
    after_ns: u128,
    before_ns: u128,
) -> Option<(u128, u128)> {
    let in_window = |s: &&Stamp| s.node == node && s.unix_ns > after_ns && s.unix_ns <= before_ns;
    let start = stamps
        .iter()
        .filter(in_window)
        .find(|s| s.verb == FENCE_START)?;
    let done = stamps
        .iter()
        .filter(in_window)
        .find(|s| s.verb == FENCED && s.unix_ns >= start.unix_ns)?;
    Some((start.unix_ns, done.unix_ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "100 node1 web stop\n200 node1 web start\n250 node2 web stop\n\
                       300 node1 * killed\n380 node2 web start\n4";

    #[test]
    fn parses_lines_and_skips_a_torn_tail() {
        let s = parse(LOG);
        assert_eq!(s.len(), 5);
        assert_eq!(
            s[3],
            Stamp {
                unix_ns: 300,
                node: "node1".into(),
                verb: "killed".into()
            }
        );
    }

    #[test]
    fn ownership_follows_starts_stops_and_kills() {
        let s = parse(LOG);
        assert_eq!(owners(&s[..2]), ["node1"]);
        assert_eq!(owners(&s[..4]), Vec::<String>::new());
        assert_eq!(owners(&s), ["node2"]);
    }

    #[test]
    fn finds_the_takeover_after_a_trigger() {
        let s = parse(LOG);
        assert_eq!(first_start_after(&s, "node2", 300).unwrap().unix_ns, 380);
        assert!(first_start_after(&s, "node2", 380).is_none());
    }

    #[test]
    fn counts_script_calls_but_not_kills() {
        let s = parse(LOG);
        assert_eq!(script_calls_after(&s, 200), 2);
        assert_eq!(script_calls_after(&s, 0), 4);
    }

    const FENCED_LOG: &str = "100 node1 web start
200 node1 * fence-start
                              250 node1 * fenced
300 node2 web start
                              400 node1 * fence-start
450 node1 * fenced
";

    #[test]
    fn a_fence_ends_ownership_when_it_is_done() {
        let s = parse(FENCED_LOG);
        assert_eq!(owners(&s[..2]), ["node1"]);
        assert_eq!(owners(&s[..4]), ["node2"]);
        assert_eq!(script_calls_after(&s, 0), 2);
    }

    #[test]
    fn finds_the_fence_between_trigger_and_takeover() {
        let s = parse(FENCED_LOG);
        assert_eq!(fence_between(&s, "node1", 150, 300), Some((200, 250)));
        assert_eq!(fence_between(&s, "node1", 300, 1000), Some((400, 450)));
        assert_eq!(fence_between(&s, "node1", 150, 220), None);
        assert_eq!(fence_between(&s, "node2", 0, 1000), None);
    }
}
