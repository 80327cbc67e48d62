//! The peer table: one row per configured peer (the local node excluded),
//! keyed by [`PeerId`], holding everything the engine knows about it, plus
//! the local node's own links.

use std::ops::{Index, IndexMut};
use std::time::Instant;

use super::delivery::receiver_tracker::{ReceiverTracker, RequestTiming, SeqVerdict};
use super::freshness::Freshness;
use super::lifeguard::Stall;
use super::links::{LinkChange, Links};
use super::membership::Liveness;
use super::rng::Rng;
use super::types::{DropReason, Identity, NodeState};
use crate::wire::{Message, NodeUuid, ACK_DELAY_UNKNOWN};

/// Most messages held per peer while it is still considered dead.
pub(crate) const MAX_HELD: usize = 64;

/// A configured peer: its position among the peers, in configuration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct PeerId(pub(super) usize);

impl PeerId {
    /// The position, for the sender history's per-peer tables.
    pub(crate) fn index(self) -> usize {
        self.0
    }
}

/// Who sent a packet, relative to this node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sender {
    /// A configured peer.
    Peer(PeerId),
    /// Our own packet heard back.
    OwnEcho,
}

/// What becomes of a new message from a peer (see [`Peer::arrival`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// Hand it to its consumer now.
    Deliver,
    /// Held until the peer is alive again.
    Held,
    /// Dropped: the peer departed, or too many messages are held.
    Refused,
}

/// Everything known about one peer.
#[derive(Debug)]
pub(crate) struct Peer {
    /// Node name.
    pub(crate) name: String,
    /// Liveness: state, generation, deadline (see `membership`).
    pub(crate) liveness: Liveness,
    /// Its links, one per local medium.
    pub(crate) links: Links,
    /// Sequence bookkeeping of what it sends us.
    pub(crate) tracker: ReceiverTracker,
    /// New messages (with their sequence numbers) that arrived while it was
    /// considered dead, delivered when it is alive again (dropped if it
    /// restarts instead).
    pub(crate) held: Vec<(u64, Message)>,
    /// Freshness of its ownership announcements.
    pub(crate) freshness: Freshness,
}

impl Peer {
    /// The peer restarted: forget what its old generation sent. Returns
    /// the sequenced packets given up and the held messages dropped.
    pub(crate) fn restarted(&mut self) -> (u64, u64) {
        let lost = self.tracker.restart();
        let dropped = self.held.len() as u64;
        self.held.clear();
        self.freshness.reset();
        (lost, dropped)
    }

    /// Sequence bookkeeping of its packet `seq` at `now` (`to_us_alone`:
    /// addressed to this node only, so acknowledged on the next tick if
    /// new). Returns the verdict and how many packets were given up.
    pub(crate) fn track(
        &mut self,
        now: Instant,
        seq: u64,
        to_us_alone: bool,
        timing: RequestTiming,
        rng: &mut Rng,
    ) -> (SeqVerdict, u64) {
        let (verdict, lost) = self.tracker.on_packet(now, seq, timing, rng);
        if verdict.deliver() && to_us_alone {
            self.tracker.want_ack(seq);
        }
        (verdict, lost)
    }

    /// A new message (number `seq`) for us arrived: delivered now, or held
    /// while the peer is still considered dead in the same generation (a
    /// partition is healing and its status has not reached us yet: the
    /// resource layer must hear of the return before the claims), or
    /// refused once it departed or when [`MAX_HELD`] are held.
    pub(crate) fn arrival(&mut self, seq: u64, message: &Message) -> Arrival {
        if self.liveness.departed {
            return Arrival::Refused;
        }
        if self.liveness.state != NodeState::Dead {
            return Arrival::Deliver;
        }
        if self.held.len() >= MAX_HELD {
            return Arrival::Refused;
        }
        self.held.push((seq, message.clone()));
        Arrival::Held
    }

    /// The acknowledgement to send it at `now`, if one is due (`tick`: a
    /// keepalive tick), carrying how long we held the acknowledged packet.
    pub(crate) fn ack_due(&mut self, now: Instant, tick: bool) -> Option<Message> {
        let (ack_seq, held) = self.tracker.ack_due(now, tick)?;
        let delay_us = held.map_or(ACK_DELAY_UNKNOWN, |d| {
            u32::try_from(d.as_micros()).unwrap_or(ACK_DELAY_UNKNOWN)
        });
        Some(Message::Ack { ack_seq, delay_us })
    }

    /// The retransmission requests to send it at `now`, and how many
    /// packets were given up after too many requests.
    pub(crate) fn due_requests(
        &mut self,
        now: Instant,
        timing: RequestTiming,
    ) -> (Vec<Message>, u64) {
        if self.tracker.next_timeout().is_none_or(|t| t > now) {
            return (Vec::new(), 0);
        }
        let (ranges, lost) = self.tracker.due_requests(now, timing);
        let requests = ranges
            .into_iter()
            .map(|(first_seq, last_seq)| Message::RexmitRequest {
                first_seq,
                last_seq,
            })
            .collect();
        (requests, lost)
    }

    /// Up or active and not departed: it acknowledges what we send.
    pub(crate) fn is_listening(&self) -> bool {
        self.liveness.is_alive() && !self.liveness.departed
    }
}

/// Every peer, in configuration order, and the local node's links.
#[derive(Debug)]
pub(crate) struct Peers {
    rows: Vec<Peer>,
    local_links: Links,
}

impl Peers {
    /// Peers `names` (the local node excluded) on `media` media, each
    /// starting as `liveness`.
    pub(crate) fn new(names: &[String], media: usize, liveness: Liveness) -> Self {
        let rows = names
            .iter()
            .map(|name| Peer {
                name: name.clone(),
                liveness: liveness.clone(),
                links: Links::new(media),
                tracker: ReceiverTracker::new(),
                held: Vec::new(),
                freshness: Freshness::default(),
            })
            .collect();
        Peers {
            rows,
            local_links: Links::new(media),
        }
    }

    /// Who sent a packet claiming to be `from` (`uuid`, `generation`), when
    /// we are `local_node` with identity `me`: a peer, our own echo, or an
    /// impostor or unknown node to drop.
    pub(crate) fn classify(
        &self,
        from: &str,
        uuid: NodeUuid,
        generation: u64,
        local_node: &str,
        me: Identity,
    ) -> Result<Sender, DropReason> {
        if from == local_node {
            return if uuid == me.uuid && generation == me.generation {
                Ok(Sender::OwnEcho)
            } else {
                Err(DropReason::Impostor)
            };
        }
        self.find(from)
            .map(Sender::Peer)
            .ok_or(DropReason::UnknownNode)
    }

    /// The peer called `name`.
    pub(crate) fn find(&self, name: &str) -> Option<PeerId> {
        self.rows.iter().position(|p| p.name == name).map(PeerId)
    }

    /// Every peer, in configuration order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (PeerId, &Peer)> + '_ {
        self.rows.iter().enumerate().map(|(i, p)| (PeerId(i), p))
    }

    /// Every peer, mutably.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (PeerId, &mut Peer)> + '_ {
        self.rows
            .iter_mut()
            .enumerate()
            .map(|(i, p)| (PeerId(i), p))
    }

    /// Every peer's id.
    pub(crate) fn ids(&self) -> impl Iterator<Item = PeerId> {
        (0..self.rows.len()).map(PeerId)
    }

    /// The local node's links (up when our own packets come back).
    pub(crate) fn local_links(&self) -> &Links {
        &self.local_links
    }

    /// The local node's links, mutably.
    pub(crate) fn local_links_mut(&mut self) -> &mut Links {
        &mut self.local_links
    }

    /// Earliest link deadline, peers' and ours.
    pub(crate) fn next_link_timeout(&self) -> Option<Instant> {
        self.rows
            .iter()
            .map(|p| &p.links)
            .chain([&self.local_links])
            .filter_map(Links::next_timeout)
            .min()
    }

    /// Earliest retransmission request due.
    pub(crate) fn next_request_timeout(&self) -> Option<Instant> {
        self.rows
            .iter()
            .filter_map(|p| p.tracker.next_timeout())
            .min()
    }

    /// Mark dead every link whose deadline passed, peers' first (`Some`)
    /// then ours (`None`).
    pub(crate) fn link_timeouts(&mut self, now: Instant) -> Vec<(Option<PeerId>, LinkChange)> {
        let mut changes = Vec::new();
        for (id, p) in self.iter_mut() {
            changes.extend(
                p.links
                    .handle_timeout(now)
                    .into_iter()
                    .map(|c| (Some(id), c)),
            );
        }
        let local = self.local_links.handle_timeout(now);
        changes.extend(local.into_iter().map(|c| (None, c)));
        changes
    }

    /// Lifeguard: push every link deadline back after `stall`.
    pub(crate) fn extend_link_deadlines(&mut self, stall: &Stall) {
        for p in &mut self.rows {
            p.links.extend_deadlines(stall);
        }
        self.local_links.extend_deadlines(stall);
    }

    /// The peers that acknowledge what we send (see [`Peer::is_listening`]).
    pub(crate) fn listening(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.iter()
            .filter(|(_, p)| p.is_listening())
            .map(|(id, _)| id)
    }
}

impl Index<PeerId> for Peers {
    type Output = Peer;

    fn index(&self, id: PeerId) -> &Peer {
        &self.rows[id.0]
    }
}

impl IndexMut<PeerId> for Peers {
    fn index_mut(&mut self, id: PeerId) -> &mut Peer {
        &mut self.rows[id.0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peers() -> Peers {
        let names = ["b".to_owned(), "c".to_owned()];
        Peers::new(&names, 2, Liveness::new(Instant::now()))
    }

    #[test]
    fn classify_senders() {
        let p = peers();
        let me = Identity {
            uuid: NodeUuid([1; 16]),
            generation: 7,
        };
        let other = NodeUuid([2; 16]);
        assert_eq!(p.classify("a", me.uuid, 7, "a", me), Ok(Sender::OwnEcho));
        assert_eq!(
            p.classify("a", me.uuid, 8, "a", me),
            Err(DropReason::Impostor)
        );
        assert_eq!(
            p.classify("a", other, 7, "a", me),
            Err(DropReason::Impostor)
        );
        assert_eq!(
            p.classify("c", other, 1, "a", me),
            Ok(Sender::Peer(PeerId(1)))
        );
        assert_eq!(
            p.classify("z", other, 1, "a", me),
            Err(DropReason::UnknownNode)
        );
    }

    #[test]
    fn held_while_dead_refused_once_departed_or_full() {
        let mut p = peers();
        let b = &mut p[PeerId(0)];
        assert_eq!(b.arrival(1, &Message::Shutdone), Arrival::Deliver, "init");
        b.liveness.state = NodeState::Dead;
        for seq in 0..MAX_HELD as u64 {
            assert_eq!(b.arrival(seq, &Message::Shutdone), Arrival::Held);
        }
        assert_eq!(b.arrival(99, &Message::Shutdone), Arrival::Refused);
        assert_eq!(b.restarted(), (0, MAX_HELD as u64));
        assert!(b.held.is_empty());
        b.liveness.departed = true;
        assert_eq!(b.arrival(100, &Message::Shutdone), Arrival::Refused);
    }
}
