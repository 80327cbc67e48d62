//! Quorum: whether this node sees a strict majority of the configured
//! nodes, itself included, counting only peers that hear it too.
//!
//! A peer counts when it is alive here and its latest status
//! ([`MembershipView`]) says it hears this node. A node cut off in one
//! direction only (it hears the others, they no longer hear it) therefore
//! loses quorum as soon as their statuses say so, instead of running its
//! groups beside the majority that took them over.

use std::collections::{BTreeMap, BTreeSet};

use crate::wire::MembershipView;

/// Quorum bookkeeping of one node.
#[derive(Debug)]
pub(crate) struct Quorum {
    /// Configured nodes, in configuration order (this node included).
    nodes: Vec<String>,
    /// Index of this node in `nodes`.
    me: usize,
    /// Digest of `nodes` (see [`nodes_digest`]).
    digest: u32,
    /// Whether each alive peer's latest view says it hears this node.
    hears_me: BTreeMap<String, bool>,
    /// Whether quorum is required to run groups (`quorum on`).
    required: bool,
}

/// Votes seen and needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Votes {
    /// This node and every alive peer that hears it.
    pub(crate) seen: usize,
    /// A strict majority of the configured nodes.
    pub(crate) needed: usize,
}

impl Votes {
    /// Whether `seen` reaches `needed`.
    pub(crate) fn quorate(self) -> bool {
        self.seen >= self.needed
    }
}

impl Quorum {
    /// Quorum of node `me` among `nodes`; `required`: `quorum on`.
    pub(crate) fn new(nodes: &[String], me: &str, required: bool) -> Self {
        Quorum {
            me: nodes.iter().position(|n| n == me).unwrap_or(0),
            digest: nodes_digest(nodes),
            nodes: nodes.to_vec(),
            hears_me: BTreeMap::new(),
            required,
        }
    }

    /// Whether quorum is required to run groups.
    pub(crate) fn required(&self) -> bool {
        self.required
    }

    /// A status of alive peer `node` carried `view` (`None`: no view, a
    /// Heartbeat peer or quorum off there; it then counts as hearing us).
    pub(crate) fn record_view(&mut self, node: &str, view: Option<&MembershipView>) {
        let hears = match view {
            None => true,
            Some(v) => v.nodes_digest == self.digest && v.alive.get(self.me) == Some(&true),
        };
        // Called for every status: no allocation once the peer is known.
        match self.hears_me.get_mut(node) {
            Some(slot) => *slot = hears,
            None => {
                self.hears_me.insert(node.to_owned(), hears);
            }
        }
    }

    /// Peer `node` died, departed or restarted: its view is gone.
    pub(crate) fn forget(&mut self, node: &str) {
        self.hears_me.remove(node);
    }

    /// Votes among `alive` peers.
    pub(crate) fn votes(&self, alive: &BTreeSet<String>) -> Votes {
        let peers = alive
            .iter()
            .filter(|p| self.hears_me.get(*p).copied().unwrap_or(false))
            .count();
        Votes {
            seen: 1 + peers,
            needed: self.nodes.len() / 2 + 1,
        }
    }

    /// This node's view for its status: which configured nodes it
    /// believes alive (itself included).
    pub(crate) fn view(&self, alive: &BTreeSet<String>) -> MembershipView {
        MembershipView {
            nodes_digest: self.digest,
            alive: self
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| i == self.me || alive.contains(n))
                .collect(),
        }
    }
}

/// FNV-1a (32 bit) over `name NUL` of every node, in order.
pub(crate) fn nodes_digest(nodes: &[String]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in nodes.iter().flat_map(|n| n.bytes().chain([0u8])) {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    fn alive(n: &[&str]) -> BTreeSet<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_peer_counts_only_while_it_hears_us() {
        let nodes = names(&["a", "b", "c"]);
        let mut q = Quorum::new(&nodes, "a", true);
        let b = Quorum::new(&nodes, "b", true);
        assert_eq!(q.votes(&alive(&[])).seen, 1);
        assert!(!q.votes(&alive(&["b"])).quorate(), "b's view not heard yet");
        q.record_view("b", Some(&b.view(&alive(&["a"]))));
        assert!(q.votes(&alive(&["b"])).quorate());
        q.record_view("b", Some(&b.view(&alive(&["c"]))));
        assert_eq!(q.votes(&alive(&["b", "c"])).seen, 1, "b no longer hears a");
        q.forget("b");
        assert_eq!(q.votes(&alive(&["b"])).seen, 1);
    }

    #[test]
    fn views_of_another_node_list_are_not_counted() {
        let mut q = Quorum::new(&names(&["a", "b", "c"]), "a", true);
        let other = Quorum::new(&names(&["a", "b", "x"]), "b", true);
        q.record_view("b", Some(&other.view(&alive(&["a"]))));
        assert_eq!(q.votes(&alive(&["b"])).seen, 1);
        q.record_view("b", None);
        assert_eq!(q.votes(&alive(&["b"])).seen, 2, "no view: counted");
    }

    #[test]
    fn majority_is_strict() {
        let q = Quorum::new(&names(&["a", "b", "c", "d"]), "a", true);
        assert_eq!(q.votes(&alive(&[])).needed, 3);
        let q = Quorum::new(&names(&["a", "b"]), "a", false);
        assert_eq!(q.votes(&alive(&[])).needed, 2);
    }
}
