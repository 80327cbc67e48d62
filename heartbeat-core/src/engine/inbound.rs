//! Received packets: decode, classify the sender, check the generation,
//! refresh the link, then hand the message to membership, delivery or the
//! resource layer.

use std::time::{Duration, Instant};

use super::delivery::is_sequenced;
use super::delivery::receiver_tracker::{RequestTiming, SeqVerdict};
use super::membership::{GenerationVerdict, StatusVerdict};
use super::{DropReason, Engine, Event, MediumId};
use crate::wire::{native, Message, Ownership, Packet, Status, ACK_DELAY_UNKNOWN};

/// Most messages held per peer while it is still considered dead.
pub(super) const MAX_HELD: usize = 64;

/// Who sent a packet, relative to this node.
enum Sender {
    /// A configured peer (index).
    Peer(usize),
    /// Our own packet heard back.
    OwnEcho,
}

impl Engine {
    /// A datagram on `medium`: decode and authenticate, then handle it.
    pub(super) fn on_datagram(&mut self, now: Instant, medium: MediumId, datagram: &[u8]) {
        if let Some(m) = self.media.get_mut(medium.0) {
            m.received += 1;
        }
        match native::decode(datagram, &self.config.keys) {
            Ok(packet) => self.on_packet(now, medium, packet),
            Err(error) => {
                if let Some(m) = self.media.get_mut(medium.0) {
                    m.rejected += 1;
                }
                self.counters.rejected += 1;
                self.events.push_back(Event::Rejected { medium, error });
            }
        }
    }

    /// Handle one authenticated packet.
    pub(super) fn on_packet(&mut self, now: Instant, medium: MediumId, packet: Packet) {
        if medium.0 >= self.config.media.len() {
            return self.drop_packet(medium, &packet, DropReason::UnknownMedium);
        }
        let peer = match self.classify(&packet) {
            Ok(Sender::Peer(peer)) => peer,
            Ok(Sender::OwnEcho) => {
                let row = self.membership.peers().len();
                let deadtime = self.local_deadtime();
                if let Some(change) = self.links.refresh(now, row, medium.0, deadtime) {
                    self.link_event(change);
                }
                return;
            }
            Err(reason) => return self.drop_packet(medium, &packet, reason),
        };
        match self.membership.observe_generation(peer, packet.generation) {
            GenerationVerdict::Replay => {
                return self.drop_packet(medium, &packet, DropReason::OldGeneration)
            }
            GenerationVerdict::Restarted => {
                // Reset before anything of the new generation is tracked.
                let lost = self.trackers[peer].restart();
                self.history.forget_peer(peer);
                self.counters.from_dead += self.held[peer].len() as u64;
                self.held[peer].clear();
                self.freshness[peer].reset();
                self.report_lost(peer, lost);
            }
            GenerationVerdict::Current => {}
        }
        let fresh = match &packet.message {
            Message::Status(status) => self.on_status(now, peer, packet.seq, status),
            Message::Ownership(ownership) => {
                self.on_ownership(now, peer, packet.seq, ownership);
                true
            }
            message if is_sequenced(message) => {
                if packet.seq == 0 {
                    return self.drop_packet(medium, &packet, DropReason::MissingSequence);
                }
                self.on_sequenced(now, peer, &packet)
            }
            _ => {
                self.on_control(now, peer, &packet);
                true
            }
        };
        if fresh {
            let deadtime = self.membership.effective_deadtime(peer);
            if let Some(change) = self.links.refresh(now, peer, medium.0, deadtime) {
                self.link_event(change);
            }
        }
    }

    /// Is this packet from a peer, from ourselves, or to be dropped?
    fn classify(&mut self, packet: &Packet) -> Result<Sender, DropReason> {
        if packet.from == self.config.local_node {
            return if packet.from_uuid == self.identity.uuid
                && packet.generation == self.identity.generation
            {
                Ok(Sender::OwnEcho)
            } else {
                self.counters.impostors += 1;
                Err(DropReason::Impostor)
            };
        }
        match self.membership.index_of(&packet.from) {
            Some(peer) => Ok(Sender::Peer(peer)),
            None => {
                self.counters.unknown_node += 1;
                Err(DropReason::UnknownNode)
            }
        }
    }

    fn drop_packet(&mut self, medium: MediumId, packet: &Packet, reason: DropReason) {
        if reason == DropReason::UnknownMedium {
            self.counters.unknown_medium += 1;
        }
        self.events.push_back(Event::Dropped {
            medium,
            node: packet.from.clone(),
            reason,
        });
    }

    /// A status: liveness, then the announced high-water mark. Returns whether
    /// it may refresh its link (not stale).
    fn on_status(&mut self, now: Instant, peer: usize, high_water: u64, status: &Status) -> bool {
        match self.membership.on_status(now, peer, status) {
            StatusVerdict::Fresh => {
                let timing = self.request_timing();
                let lost =
                    self.trackers[peer].on_high_water(now, high_water, timing, &mut self.rng);
                self.report_lost(peer, lost);
                true
            }
            StatusVerdict::Duplicate | StatusVerdict::Departed => true,
            StatusVerdict::Stale => false,
        }
    }

    /// A sequenced message: bookkeeping for everyone, delivery if new and for
    /// us. Returns whether it may refresh its link.
    fn on_sequenced(&mut self, now: Instant, peer: usize, packet: &Packet) -> bool {
        let timing = self.request_timing();
        let (verdict, lost) = self.trackers[peer].on_packet(now, packet.seq, timing, &mut self.rng);
        self.report_lost(peer, lost);
        let dest = packet.dest.as_deref();
        let to_us_alone = dest == Some(self.config.local_node.as_str());
        let to_another = dest.is_some() && !to_us_alone;
        if verdict.deliver() && to_us_alone {
            self.trackers[peer].want_ack(packet.seq);
        }
        self.maybe_ack(now, peer, false);
        if !verdict.deliver() {
            return verdict == SeqVerdict::Duplicate;
        }
        if to_another {
            return true;
        }
        let p = self.membership.peer(peer);
        if p.departed {
            self.counters.from_dead += 1;
            return true;
        }
        if p.state == super::NodeState::Dead {
            // Sent by a node we still consider dead, in the same generation:
            // a partition is healing and its status has not reached us yet.
            // Hold the message until the node is alive again, so that the
            // resource layer hears of the return before the claims.
            let held = &mut self.held[peer];
            if held.len() < MAX_HELD {
                held.push((packet.seq, packet.message.clone()));
            } else {
                self.counters.from_dead += 1;
            }
            return true;
        }
        self.deliver(now, peer, packet.seq, packet.message.clone());
        true
    }

    /// Hand a new message (sequence number `seq`) from a live (or not yet
    /// heard) peer to its consumer.
    pub(super) fn deliver(&mut self, now: Instant, peer: usize, seq: u64, message: Message) {
        let from = self.membership.peer(peer).name.clone();
        match message {
            Message::App { payload } => self.events.push_back(Event::AppMessage { from, payload }),
            Message::Shutdone => {
                self.freshness[peer].delivered(seq);
                self.resources.on_message(now, &from, &message);
                self.membership.on_departure(peer);
            }
            message => {
                self.freshness[peer].delivered(seq);
                self.resources.on_message(now, &from, &message);
            }
        }
    }

    /// An ownership announcement with high-water mark `high_water`: handed to
    /// the resource layer if it is news from a live peer (see `freshness`).
    fn on_ownership(&mut self, now: Instant, peer: usize, high_water: u64, o: &Ownership) {
        if !self.freshness[peer].accept(o.serial, high_water) {
            return;
        }
        let p = self.membership.peer(peer);
        if !p.is_alive() || p.departed || self.departed {
            return;
        }
        let from = p.name.clone();
        self.resources
            .on_message(now, &from, &Message::Ownership(o.clone()));
    }

    /// Retransmission requests, naks and acks addressed to us.
    fn on_control(&mut self, now: Instant, peer: usize, packet: &Packet) {
        if packet.dest.as_deref() != Some(self.config.local_node.as_str()) {
            return;
        }
        match packet.message {
            Message::RexmitRequest {
                first_seq,
                last_seq,
            } => {
                let answer = self.history.answer(now, peer, first_seq, last_seq);
                for bytes in answer.resend {
                    self.transmit(bytes);
                }
                let to = self.membership.peer(peer).name.clone();
                for seq in answer.nak {
                    self.send_control(&to, Message::NakRexmit { seq });
                }
            }
            Message::NakRexmit { seq } => {
                let lost = self.trackers[peer].on_nak(seq);
                self.report_lost(peer, lost);
                self.maybe_ack(now, peer, false);
            }
            Message::Ack { ack_seq, delay_us } => {
                let delay = (delay_us != ACK_DELAY_UNKNOWN)
                    .then(|| Duration::from_micros(u64::from(delay_us)));
                if let Some(sample) = self.history.on_ack(now, peer, ack_seq, delay) {
                    self.membership.add_rtt(peer, sample);
                }
                self.trim_history();
            }
            _ => {}
        }
    }

    /// Timing of retransmission requests, from the configuration.
    pub(super) fn request_timing(&self) -> RequestTiming {
        RequestTiming {
            max_delay: self.config.max_rexmit_delay,
        }
    }

    /// Report `count` sequenced packets of `peer` as given up.
    pub(super) fn report_lost(&mut self, peer: usize, count: u64) {
        if count > 0 {
            self.events.push_back(Event::LostPackets {
                node: self.membership.peer(peer).name.clone(),
                count,
            });
        }
    }
}
