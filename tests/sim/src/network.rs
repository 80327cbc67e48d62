//! The virtual network: broadcast media between simulated nodes, with seeded
//! per-link faults, partitions, message filters and a time-ordered delivery queue.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::faults::{Direction, LinkFaults};
use crate::rng::SimRng;
use heartbeat_core::engine::{MediumId, Via};
use heartbeat_core::wire::Packet;

/// Where a datagram in flight came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Sent by an engine.
    Genuine,
    /// Injected by the harness: must never be delivered to the application nor
    /// change any state.
    Forged,
    /// An authentic datagram replayed by the harness to a node that must drop it.
    Replayed,
}

/// One datagram on its way to one node on one medium.
#[derive(Clone, Debug)]
pub struct Datagram {
    /// Sending node index (for forged datagrams: the node they pretend to come from).
    pub from: usize,
    /// Receiving node index.
    pub to: usize,
    /// Medium it travels on.
    pub medium: MediumId,
    /// The bytes.
    pub bytes: Bytes,
    /// The packet as the harness decoded it when it was sent (`None` if it does
    /// not decode with the cluster keyring).
    pub packet: Option<Arc<Packet>>,
    /// Genuine, forged or replayed.
    pub origin: Origin,
}

/// A message filter: returns `true` to drop the datagram. Filters see every copy
/// (one per destination and medium) before the link faults are drawn.
pub type Filter = Box<dyn FnMut(&Datagram) -> bool>;

struct Queued {
    at: Duration,
    order: u64,
    datagram: Datagram,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the earliest first.
        (other.at, other.order).cmp(&(self.at, self.order))
    }
}

/// Counters of what the network did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Copies handed to the network (one per destination and medium).
    pub offered: u64,
    /// Copies lost to random loss.
    pub lost: u64,
    /// Copies dropped by a partition.
    pub partitioned: u64,
    /// Copies dropped by a filter.
    pub filtered: u64,
    /// Extra copies created by duplication.
    pub duplicated: u64,
    /// Copies popped for delivery.
    pub delivered: u64,
}

/// N nodes joined by M broadcast media.
pub struct Network {
    nodes: usize,
    media: usize,
    faults: Vec<LinkFaults>,
    blocked: Vec<bool>,
    loopback: bool,
    filters: Vec<Filter>,
    queue: BinaryHeap<Queued>,
    order: u64,
    rng: SimRng,
    stats: NetStats,
}

impl Network {
    /// `nodes` nodes on `media` clean media; `rng` draws every fault.
    pub fn new(nodes: usize, media: usize, rng: SimRng) -> Self {
        let links = nodes * nodes * media;
        Network {
            nodes,
            media,
            faults: vec![LinkFaults::CLEAN; links],
            blocked: vec![false; links],
            loopback: false,
            filters: Vec::new(),
            queue: BinaryHeap::new(),
            order: 0,
            rng,
            stats: NetStats::default(),
        }
    }

    /// Number of media.
    pub fn media(&self) -> usize {
        self.media
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    fn idx(&self, from: usize, to: usize, medium: usize) -> usize {
        (from * self.nodes + to) * self.media + medium
    }

    /// Whether a node receives its own broadcasts (as with `bcast`).
    pub fn set_loopback(&mut self, on: bool) {
        self.loopback = on;
    }

    /// Set the faults of the directed link `from → to` on `medium`.
    pub fn set_link(&mut self, from: usize, to: usize, medium: usize, faults: LinkFaults) {
        let i = self.idx(from, to, medium);
        self.faults[i] = faults;
    }

    /// The faults of the directed link `from → to` on `medium`.
    pub fn link(&self, from: usize, to: usize, medium: usize) -> LinkFaults {
        self.faults[self.idx(from, to, medium)]
    }

    /// Set the faults of every link of `medium` (both directions, all pairs).
    pub fn set_medium(&mut self, medium: usize, faults: LinkFaults) {
        for from in 0..self.nodes {
            for to in 0..self.nodes {
                self.set_link(from, to, medium, faults);
            }
        }
    }

    /// Set the faults of every link.
    pub fn set_all(&mut self, faults: LinkFaults) {
        self.faults.iter_mut().for_each(|f| *f = faults);
    }

    /// Cut `a → b` (and `b → a` for [`Direction::TwoWay`]) on `medium`, or on
    /// every medium when `medium` is `None`.
    pub fn partition(&mut self, a: usize, b: usize, medium: Option<usize>, dir: Direction) {
        self.set_blocked(a, b, medium, dir, true);
    }

    /// Undo [`Network::partition`] for the same arguments.
    pub fn heal(&mut self, a: usize, b: usize, medium: Option<usize>, dir: Direction) {
        self.set_blocked(a, b, medium, dir, false);
    }

    fn set_blocked(&mut self, a: usize, b: usize, medium: Option<usize>, dir: Direction, v: bool) {
        let media: Vec<usize> = match medium {
            Some(m) => vec![m],
            None => (0..self.media).collect(),
        };
        for m in media {
            let i = self.idx(a, b, m);
            self.blocked[i] = v;
            if dir == Direction::TwoWay {
                let j = self.idx(b, a, m);
                self.blocked[j] = v;
            }
        }
    }

    /// Split the nodes into two sides that cannot hear each other on any medium.
    pub fn split(&mut self, side_a: &[usize]) {
        for a in 0..self.nodes {
            for b in 0..self.nodes {
                if side_a.contains(&a) != side_a.contains(&b) {
                    self.partition(a, b, None, Direction::OneWay);
                }
            }
        }
    }

    /// Remove every partition (link faults stay).
    pub fn heal_all(&mut self) {
        self.blocked.iter_mut().for_each(|b| *b = false);
    }

    /// Whether `from → to` is cut on `medium`.
    pub fn is_blocked(&self, from: usize, to: usize, medium: usize) -> bool {
        self.blocked[self.idx(from, to, medium)]
    }

    /// Whether `a` and `b` can hear each other: some medium is open both ways with
    /// a loss below 90 %.
    pub fn connected(&self, a: usize, b: usize) -> bool {
        (0..self.media).any(|m| {
            let open =
                |x: usize, y: usize| !self.is_blocked(x, y, m) && self.link(x, y, m).loss < 0.9;
            open(a, b) && open(b, a)
        })
    }

    /// The largest one-way delay from `from` to `to` over every medium.
    pub fn max_delay(&self, from: usize, to: usize) -> Duration {
        (0..self.media)
            .map(|m| self.link(from, to, m).max_delay())
            .max()
            .unwrap_or_default()
    }

    /// The largest one-way delay of any link.
    pub fn max_delay_any(&self) -> Duration {
        self.faults
            .iter()
            .map(LinkFaults::max_delay)
            .max()
            .unwrap_or_default()
    }

    /// Add a filter; it stays for the rest of the run.
    pub fn add_filter(&mut self, filter: Filter) {
        self.filters.push(filter);
    }

    /// Remove every filter.
    pub fn clear_filters(&mut self) {
        self.filters.clear();
    }

    /// Hand a transmit of node `from` at time `now` to the network: one copy per
    /// destination and medium, each through partitions, filters and faults.
    pub fn send(
        &mut self,
        now: Duration,
        from: usize,
        via: Via,
        bytes: &Bytes,
        packet: Option<Arc<Packet>>,
    ) {
        let media: Vec<usize> = match via {
            Via::AllMedia => (0..self.media).collect(),
            Via::Medium(MediumId(m)) if m < self.media => vec![m],
            Via::Medium(_) => Vec::new(),
        };
        for m in media {
            for to in 0..self.nodes {
                if to == from && !self.loopback {
                    continue;
                }
                let d = Datagram {
                    from,
                    to,
                    medium: MediumId(m),
                    bytes: bytes.clone(),
                    packet: packet.clone(),
                    origin: Origin::Genuine,
                };
                self.offer(now, d);
            }
        }
    }

    fn offer(&mut self, now: Duration, d: Datagram) {
        self.stats.offered += 1;
        if to_self(&d) {
            self.push(now, d);
            return;
        }
        if self.is_blocked(d.from, d.to, d.medium.0) {
            self.stats.partitioned += 1;
            return;
        }
        if self.filters.iter_mut().any(|f| f(&d)) {
            self.stats.filtered += 1;
            return;
        }
        let faults = self.link(d.from, d.to, d.medium.0);
        let delays = faults.draw(&mut self.rng);
        if delays.is_empty() {
            self.stats.lost += 1;
        }
        if delays.len() > 1 {
            self.stats.duplicated += delays.len() as u64 - 1;
        }
        for delay in delays {
            self.push(now + delay, d.clone());
        }
    }

    /// Queue a datagram (forged or replayed) for delivery at `at`, bypassing
    /// faults and filters.
    pub fn inject(&mut self, at: Duration, datagram: Datagram) {
        self.push(at, datagram);
    }

    fn push(&mut self, at: Duration, datagram: Datagram) {
        self.order += 1;
        self.queue.push(Queued {
            at,
            order: self.order,
            datagram,
        });
    }

    /// When the next datagram arrives.
    pub fn next_delivery(&self) -> Option<Duration> {
        self.queue.peek().map(|q| q.at)
    }

    /// The next datagram if it arrives at or before `now`.
    pub fn pop_due(&mut self, now: Duration) -> Option<Datagram> {
        if self.queue.peek()?.at <= now {
            self.stats.delivered += 1;
            self.queue.pop().map(|q| q.datagram)
        } else {
            None
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> NetStats {
        self.stats
    }
}

fn to_self(d: &Datagram) -> bool {
    d.from == d.to
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_reaches_every_peer_on_every_medium_in_time_order() {
        let mut net = Network::new(3, 2, SimRng::new(1));
        net.send(
            Duration::ZERO,
            0,
            Via::AllMedia,
            &Bytes::from_static(b"x"),
            None,
        );
        let mut got = Vec::new();
        while let Some(d) = net.pop_due(Duration::from_secs(1)) {
            got.push((d.to, d.medium.0));
        }
        got.sort_unstable();
        assert_eq!(got, vec![(1, 0), (1, 1), (2, 0), (2, 1)]);
    }

    #[test]
    fn partitions_and_filters_drop() {
        let mut net = Network::new(2, 2, SimRng::new(1));
        net.partition(0, 1, Some(0), Direction::OneWay);
        assert!(net.connected(0, 1));
        net.partition(0, 1, Some(1), Direction::OneWay);
        assert!(!net.connected(0, 1));
        net.send(
            Duration::ZERO,
            0,
            Via::AllMedia,
            &Bytes::from_static(b"x"),
            None,
        );
        assert_eq!(net.next_delivery(), None);
        net.heal_all();
        net.add_filter(Box::new(|d: &Datagram| d.medium.0 == 1));
        net.send(
            Duration::ZERO,
            0,
            Via::AllMedia,
            &Bytes::from_static(b"x"),
            None,
        );
        let d = net.pop_due(Duration::from_secs(1)).expect("one copy");
        assert_eq!(d.medium.0, 0);
        assert!(net.pop_due(Duration::from_secs(1)).is_none());
        assert_eq!(net.stats().filtered, 1);
        assert_eq!(net.stats().partitioned, 2);
    }
}
