//! Ping nodes (`ping HOST`, `ping_group NAME HOST...`): hosts that are no
//! cluster members but whose reachability says whether this node is still
//! connected to the network its clients use, as Heartbeat's ping media did.
//!
//! The driver sends the ICMP echoes (`runtime::ping`) and reports each reply
//! with [`super::Command::PingReply`]; the engine only keeps time. A ping
//! node is `init` until its first reply, `ping` while replies come, and
//! `dead` once it stayed silent for `deadping` (from the engine's start for
//! one that never answered). A `ping_group` answers when any of its hosts
//! does.
//!
//! When every ping node is dead the node has lost the network: the resource
//! layer then treats each of its groups as faulty here, so a peer that still
//! reaches a ping node takes them (the ipfail tie-breaker); a node that never
//! had any ping node configured is unaffected.

use std::time::{Duration, Instant};

use super::lifeguard::Stall;
use super::types::NodeState;

/// One ping node's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PingNode {
    /// Name shown as the node name (the host, or the ping group's name).
    pub(crate) name: String,
    /// `Init`, `Ping` or `Dead`.
    pub(crate) state: NodeState,
    /// When the last reply arrived.
    pub(crate) last_reply: Option<Instant>,
    /// When it will be declared dead if it stays silent (`None` when dead).
    pub(crate) deadline: Option<Instant>,
    /// Replies received.
    pub(crate) replies: u64,
    /// Times declared dead.
    pub(crate) deaths: u64,
}

/// A ping node changed state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PingChange {
    /// Ping node name.
    pub(crate) name: String,
    /// New state (`Ping` or `Dead`).
    pub(crate) state: NodeState,
}

/// Every configured ping node, in configuration order.
#[derive(Clone, Debug)]
pub(crate) struct PingTable {
    deadping: Duration,
    nodes: Vec<PingNode>,
}

impl PingTable {
    /// Ping nodes `names`, none heard yet at `now`.
    pub(crate) fn new(names: &[String], deadping: Duration, now: Instant) -> Self {
        let nodes = names
            .iter()
            .map(|name| PingNode {
                name: name.clone(),
                state: NodeState::Init,
                last_reply: None,
                deadline: Some(now + deadping),
                replies: 0,
                deaths: 0,
            })
            .collect();
        PingTable { deadping, nodes }
    }

    /// The ping nodes, in configuration order.
    pub(crate) fn nodes(&self) -> &[PingNode] {
        &self.nodes
    }

    /// A reply from ping node `name` arrived at `now`; unknown names are
    /// ignored.
    pub(crate) fn on_reply(&mut self, now: Instant, name: &str) -> Option<PingChange> {
        let deadping = self.deadping;
        let node = self.nodes.iter_mut().find(|n| n.name == name)?;
        node.replies += 1;
        node.last_reply = Some(now);
        node.deadline = Some(now + deadping);
        if node.state == NodeState::Ping {
            return None;
        }
        node.state = NodeState::Ping;
        Some(PingChange {
            name: node.name.clone(),
            state: NodeState::Ping,
        })
    }

    /// Declare dead every ping node whose deadline passed at `now`.
    pub(crate) fn handle_timeout(&mut self, now: Instant) -> Vec<PingChange> {
        let mut changes = Vec::new();
        for node in &mut self.nodes {
            if node.deadline.is_some_and(|d| d <= now) {
                node.deadline = None;
                node.state = NodeState::Dead;
                node.deaths += 1;
                changes.push(PingChange {
                    name: node.name.clone(),
                    state: NodeState::Dead,
                });
            }
        }
        changes
    }

    /// After a local stall: push every deadline back (replies may be
    /// waiting unread).
    pub(crate) fn extend_deadlines(&mut self, stall: &Stall) {
        for d in self.nodes.iter_mut().filter_map(|n| n.deadline.as_mut()) {
            stall.postpone(d);
        }
    }

    /// The earliest deadline.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.nodes.iter().filter_map(|n| n.deadline).min()
    }

    /// Whether ping nodes are configured and every one of them is dead.
    pub(crate) fn all_lost(&self) -> bool {
        !self.nodes.is_empty() && self.nodes.iter().all(|n| n.state == NodeState::Dead)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn table(t0: Instant) -> PingTable {
        PingTable::new(&["gw".into(), "dns".into()], 500 * MS, t0)
    }

    #[test]
    fn reply_makes_ping_and_silence_makes_dead() {
        let t0 = Instant::now();
        let mut t = table(t0);
        assert_eq!(t.next_timeout(), Some(t0 + 500 * MS));
        let c = t.on_reply(t0 + 10 * MS, "gw").unwrap();
        assert_eq!(c.state, NodeState::Ping);
        assert_eq!(t.on_reply(t0 + 20 * MS, "gw"), None, "no change while up");
        assert_eq!(t.nodes()[0].replies, 2);
        // dns never answered: dead at deadping from the start.
        let c = t.handle_timeout(t0 + 500 * MS);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].name, "dns");
        assert!(!t.all_lost(), "gw still answers");
        let c = t.handle_timeout(t0 + 520 * MS);
        assert_eq!(c[0].name, "gw");
        assert!(t.all_lost());
        assert_eq!(t.next_timeout(), None);
        assert_eq!(
            t.on_reply(t0 + 600 * MS, "dns").unwrap().state,
            NodeState::Ping
        );
        assert!(!t.all_lost());
    }

    #[test]
    fn unknown_names_and_empty_tables() {
        let t0 = Instant::now();
        let mut t = table(t0);
        assert_eq!(t.on_reply(t0, "nobody"), None);
        let empty = PingTable::new(&[], 500 * MS, t0);
        assert!(!empty.all_lost(), "no ping node configured: nothing lost");
        assert_eq!(empty.next_timeout(), None);
    }

    #[test]
    fn stall_extends_deadlines() {
        let t0 = Instant::now();
        let mut t = table(t0);
        t.extend_deadlines(&Stall {
            now: t0 + 400 * MS,
            late_by: 300 * MS,
            grace: 200 * MS,
        });
        assert_eq!(t.next_timeout(), Some(t0 + 800 * MS));
        t.extend_deadlines(&Stall {
            now: t0 + 900 * MS,
            late_by: 10 * MS,
            grace: 200 * MS,
        });
        assert_eq!(t.next_timeout(), Some(t0 + 1100 * MS));
    }
}
