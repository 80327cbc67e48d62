//! Link liveness: one link per (node, local medium).
//!
//! Any authenticated packet of the node's current generation that is not a
//! stale copy refreshes the link it arrived on, duplicates included (the
//! same packet arriving on every medium is what shows that every medium
//! works). A link is dead when nothing arrived on it for the node's
//! deadtime; it starts dead and goes up with the first packet. Link states
//! never change node states.
//!
//! The local node has links too: they go up when we hear our own packets
//! back (broadcast, or multicast with loopback) and, unlike Linux-HA, time out
//! like any other link.

use std::time::{Duration, Instant};

use super::lifeguard::Stall;
use super::types::LinkState;

/// One (node, medium) link.
#[derive(Clone, Debug)]
pub(crate) struct Link {
    /// Current state.
    pub(crate) state: LinkState,
    /// Last packet heard.
    pub(crate) last_heard: Option<Instant>,
    /// When it goes dead if silent.
    pub(crate) deadline: Option<Instant>,
    /// Packets heard (duplicates included).
    pub(crate) packets: u64,
    /// Largest interval between two packets.
    pub(crate) max_gap: Duration,
    /// Times it went dead.
    pub(crate) deaths: u64,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            state: LinkState::Dead,
            last_heard: None,
            deadline: None,
            packets: 0,
            max_gap: Duration::ZERO,
            deaths: 0,
        }
    }
}

/// One node's links, one per local medium (in configuration order).
#[derive(Clone, Debug)]
pub(crate) struct Links {
    links: Vec<Link>,
}

/// A link that changed state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LinkChange {
    /// Medium index.
    pub(crate) medium: usize,
    /// New state.
    pub(crate) state: LinkState,
}

impl Links {
    /// One dead link per medium, `media` of them.
    pub(crate) fn new(media: usize) -> Self {
        Links {
            links: vec![Link::default(); media],
        }
    }

    /// The links, one per medium.
    pub(crate) fn as_slice(&self) -> &[Link] {
        &self.links
    }

    /// A packet arrived on `medium`; its link stays up for `deadtime`.
    /// Returns the change if the link came up.
    pub(crate) fn refresh(
        &mut self,
        now: Instant,
        medium: usize,
        deadtime: Duration,
    ) -> Option<LinkChange> {
        let link = self.links.get_mut(medium)?;
        if let Some(prev) = link.last_heard {
            link.max_gap = link.max_gap.max(now.saturating_duration_since(prev));
        }
        link.last_heard = Some(now);
        link.deadline = Some(now + deadtime);
        link.packets += 1;
        (link.state == LinkState::Dead).then(|| {
            link.state = LinkState::Up;
            LinkChange {
                medium,
                state: LinkState::Up,
            }
        })
    }

    /// Mark dead every link whose deadline passed.
    pub(crate) fn handle_timeout(&mut self, now: Instant) -> Vec<LinkChange> {
        let mut changes = Vec::new();
        for (medium, link) in self.links.iter_mut().enumerate() {
            if link.deadline.is_some_and(|d| d <= now) {
                link.deadline = None;
                link.state = LinkState::Dead;
                link.deaths += 1;
                changes.push(LinkChange {
                    medium,
                    state: LinkState::Dead,
                });
            }
        }
        changes
    }

    /// Earliest link deadline.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.links.iter().filter_map(|l| l.deadline).min()
    }

    /// Lifeguard: push every deadline back after `stall`.
    pub(crate) fn extend_deadlines(&mut self, stall: &Stall) {
        for d in self.links.iter_mut().filter_map(|l| l.deadline.as_mut()) {
            stall.postpone(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn up_on_first_packet_dead_after_deadtime() {
        let t0 = Instant::now();
        let mut t = Links::new(2);
        assert_eq!(t.next_timeout(), None);
        let up = t.refresh(t0, 0, 100 * MS);
        assert_eq!(
            up,
            Some(LinkChange {
                medium: 0,
                state: LinkState::Up
            })
        );
        assert_eq!(t.refresh(t0 + 30 * MS, 0, 100 * MS), None);
        assert_eq!(t.as_slice()[0].max_gap, 30 * MS);
        assert_eq!(t.as_slice()[0].packets, 2);
        assert!(t.handle_timeout(t0 + 129 * MS).is_empty());
        let dead = t.handle_timeout(t0 + 130 * MS);
        assert_eq!(dead.len(), 1);
        assert_eq!(t.as_slice()[0].state, LinkState::Dead);
        assert_eq!(t.as_slice()[1].state, LinkState::Dead, "never heard");
        // Out-of-range indices are ignored.
        assert_eq!(t.refresh(t0, 5, MS), None);
    }

    #[test]
    fn lifeguard_extension() {
        let t0 = Instant::now();
        let mut t = Links::new(2);
        t.refresh(t0, 0, 100 * MS);
        t.refresh(t0, 1, 100 * MS);
        t.extend_deadlines(&Stall {
            now: t0 + 500 * MS,
            late_by: 450 * MS,
            grace: 50 * MS,
        });
        assert_eq!(t.next_timeout(), Some(t0 + 550 * MS));
        assert!(t.handle_timeout(t0 + 549 * MS).is_empty());
        assert_eq!(t.handle_timeout(t0 + 550 * MS).len(), 2);
    }
}
