//! Received packets: decode, classify the sender, check the generation,
//! refresh the link, then hand the message to membership, delivery or the
//! resource layer.

use std::time::{Duration, Instant};

use super::delivery::is_sequenced;
use super::delivery::receiver_tracker::{RequestTiming, SeqVerdict};
use super::dialect::Inbound;
use super::membership::{GenerationVerdict, StatusVerdict};
use super::{DropReason, Engine, Event, MediumId, NodeState};
use crate::wire::linuxha::{map::names, Envelope};
use crate::wire::{Holdings, Message, NodeUuid, Ownership, Packet, Status, ACK_DELAY_UNKNOWN};

/// Most messages held per peer while it is still considered dead.
pub(super) const MAX_HELD: usize = 64;

/// A packet's sender, admitted by [`Engine::admit`].
struct Admitted {
    /// The peer's index.
    peer: usize,
    /// Whether it was down (never heard, dead, or just restarted).
    was_down: bool,
    /// How many datagrams were queued before this packet was handled.
    mark: usize,
}

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
        match self.dialect.decode(datagram, &self.config.keys) {
            Ok(Inbound::Packet { packet, linux_ha }) => {
                self.on_packet(now, medium, packet, linux_ha)
            }
            Ok(Inbound::Foreign {
                msg_type,
                envelope,
                takeover,
            }) => self.on_foreign(now, medium, &msg_type, &envelope, takeover),
            Err(error) => {
                if let Some(m) = self.media.get_mut(medium.0) {
                    m.rejected += 1;
                }
                self.counters.rejected += 1;
                self.events.push_back(Event::Rejected { medium, error });
            }
        }
    }

    /// Who sent a packet (`from`, `uuid`, `generation`) on `medium`: a peer
    /// whose generation is current, or `None` when the packet is our own
    /// echo (its link refreshed) or must be dropped (reported).
    fn admit(
        &mut self,
        now: Instant,
        medium: MediumId,
        from: &str,
        uuid: NodeUuid,
        generation: u64,
    ) -> Option<Admitted> {
        if medium.0 >= self.config.media.len() {
            self.drop_packet(medium, from, DropReason::UnknownMedium);
            return None;
        }
        let peer = match self.classify(from, uuid, generation) {
            Ok(Sender::Peer(peer)) => peer,
            Ok(Sender::OwnEcho) => {
                let row = self.membership.peers().len();
                let deadtime = self.local_deadtime();
                if let Some(change) = self.links.refresh(now, row, medium.0, deadtime) {
                    self.link_event(change);
                }
                return None;
            }
            Err(reason) => {
                self.drop_packet(medium, from, reason);
                return None;
            }
        };
        let verdict = self.membership.observe_generation(peer, generation);
        let restarted = verdict == GenerationVerdict::Restarted;
        match verdict {
            GenerationVerdict::Replay => {
                self.drop_packet(medium, from, DropReason::OldGeneration);
                return None;
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
        self.dialect.note_uuid(from, uuid);
        let down = matches!(
            self.membership.peer(peer).state,
            NodeState::Init | NodeState::Dead
        );
        Some(Admitted {
            peer,
            was_down: restarted || down,
            mark: self.transmits.len(),
        })
    }

    /// Handle one authenticated packet; `linux_ha`: it came in Heartbeat's
    /// dialect (a status is then sequenced).
    pub(super) fn on_packet(
        &mut self,
        now: Instant,
        medium: MediumId,
        packet: Packet,
        linux_ha: bool,
    ) {
        let Some(admitted) = self.admit(
            now,
            medium,
            &packet.from,
            packet.from_uuid,
            packet.generation,
        ) else {
            return;
        };
        let peer = admitted.peer;
        let sequenced = is_sequenced(&packet.message)
            || (linux_ha && matches!(packet.message, Message::Status(_)));
        if sequenced && packet.seq == 0 {
            return self.drop_packet(medium, &packet.from, DropReason::MissingSequence);
        }
        let fresh = match &packet.message {
            Message::Status(status) if linux_ha => {
                let verdict = self.track_sequenced(now, peer, packet.seq, None);
                match verdict {
                    SeqVerdict::New | SeqVerdict::Recovered => {
                        self.on_status(now, peer, packet.seq, status)
                    }
                    SeqVerdict::Duplicate => true,
                    SeqVerdict::Stale => false,
                }
            }
            Message::Status(status) => self.on_status(now, peer, packet.seq, status),
            Message::Ownership(ownership) => {
                self.on_ownership(now, peer, packet.seq, ownership);
                true
            }
            _ if sequenced => self.on_sequenced(now, peer, &packet),
            _ => {
                self.on_control(now, peer, &packet);
                true
            }
        };
        if fresh {
            self.refresh_link(now, peer, medium);
        }
        self.status_before_answers(now, &admitted);
    }

    /// In the Linux-HA dialect, when a peer that was down (never heard,
    /// dead, or restarted) has just come alive, put our status before
    /// whatever we sent in answer to its packet: Heartbeat goes `active` as
    /// soon as it heard every node, and if the first packet of ours it hears
    /// is no status it believes we are not active (with `auto_failback
    /// legacy` it then takes its groups without asking). A replay changes
    /// no state, so it is never answered this way.
    fn status_before_answers(&mut self, now: Instant, admitted: &Admitted) {
        if !admitted.was_down || !self.membership.peer(admitted.peer).is_alive() {
            return;
        }
        let before = self.transmits.len();
        self.status_first(now);
        if self.transmits.len() > before {
            if let Some(status) = self.transmits.pop_back() {
                self.transmits.insert(admitted.mark, status);
            }
        }
    }

    /// A Heartbeat message without counterpart: sequence bookkeeping like
    /// any other, then `reqnodes` to us is answered with `repnodes`,
    /// `hb_takeover` (with its set, `takeover`) starts a standby of the
    /// complementary set, and anything else is ignored (reported once per
    /// type).
    fn on_foreign(
        &mut self,
        now: Instant,
        medium: MediumId,
        msg_type: &str,
        env: &Envelope,
        takeover: Option<Holdings>,
    ) {
        let Some(admitted) = self.admit(now, medium, &env.from, env.from_uuid, env.generation)
        else {
            return;
        };
        let peer = admitted.peer;
        let to_us = env
            .dest
            .as_deref()
            .is_none_or(|d| d == self.config.local_node);
        let (fresh, new) = if env.seq == 0 {
            (true, to_us)
        } else {
            let verdict = self.track_sequenced(now, peer, env.seq, env.dest.as_deref());
            (verdict != SeqVerdict::Stale, verdict.deliver() && to_us)
        };
        if fresh {
            self.refresh_link(now, peer, medium);
        }
        if !new {
            return;
        }
        if msg_type.eq_ignore_ascii_case(names::T_REQNODES) {
            self.answer_reqnodes(now, &env.from);
        } else if let Some(wanted) = takeover {
            // The sender's local groups are our foreign ones and back.
            let ours = match wanted {
                Holdings::Local => Holdings::Foreign,
                Holdings::Foreign => Holdings::Local,
                other => other,
            };
            self.resources.standby(now, ours);
        } else if self.dialect.first_report(msg_type) {
            self.events.push_back(Event::IgnoredMessage {
                node: env.from.clone(),
                msg_type: msg_type.to_owned(),
            });
        }
    }

    /// Send Heartbeat's `repnodes` to `to`: our configured nodes.
    fn answer_reqnodes(&mut self, now: Instant, to: &str) {
        let ours = Envelope {
            from: self.config.local_node.clone(),
            from_uuid: self.identity.uuid,
            generation: self.identity.generation,
            seq: self.history.next_seq(),
            dest: Some(to.to_owned()),
        };
        let since_start = self.since_start(now);
        let sent = self.send_sequenced_bytes(now, |engine| {
            Ok(engine.dialect.encode_repnodes(
                &ours,
                &engine.config.nodes,
                &engine.config.keys,
                since_start,
            )?)
        });
        if let Err(e) = sent {
            self.send_failed(e);
        }
    }

    /// Refresh the link to `peer` on `medium`.
    fn refresh_link(&mut self, now: Instant, peer: usize, medium: MediumId) {
        let deadtime = self.membership.effective_deadtime(peer);
        if let Some(change) = self.links.refresh(now, peer, medium.0, deadtime) {
            self.link_event(change);
        }
    }

    /// Is this packet from a peer, from ourselves, or to be dropped?
    fn classify(
        &mut self,
        from: &str,
        uuid: NodeUuid,
        generation: u64,
    ) -> Result<Sender, DropReason> {
        if from == self.config.local_node {
            return if uuid == self.identity.uuid && generation == self.identity.generation {
                Ok(Sender::OwnEcho)
            } else {
                self.counters.impostors += 1;
                Err(DropReason::Impostor)
            };
        }
        match self.membership.index_of(from) {
            Some(peer) => Ok(Sender::Peer(peer)),
            None => {
                self.counters.unknown_node += 1;
                Err(DropReason::UnknownNode)
            }
        }
    }

    fn drop_packet(&mut self, medium: MediumId, from: &str, reason: DropReason) {
        if reason == DropReason::UnknownMedium {
            self.counters.unknown_medium += 1;
        }
        self.events.push_back(Event::Dropped {
            medium,
            node: from.to_owned(),
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

    /// Sequence bookkeeping of packet `seq` from `peer` addressed to `dest`:
    /// gaps, retransmission requests and acknowledgements.
    fn track_sequenced(
        &mut self,
        now: Instant,
        peer: usize,
        seq: u64,
        dest: Option<&str>,
    ) -> SeqVerdict {
        let timing = self.request_timing();
        let (verdict, lost) = self.trackers[peer].on_packet(now, seq, timing, &mut self.rng);
        self.report_lost(peer, lost);
        if verdict.deliver() && dest == Some(self.config.local_node.as_str()) {
            self.trackers[peer].want_ack(seq);
        }
        self.maybe_ack(now, peer, false);
        verdict
    }

    /// A sequenced message: bookkeeping for everyone, delivery if new and for
    /// us. Returns whether it may refresh its link.
    fn on_sequenced(&mut self, now: Instant, peer: usize, packet: &Packet) -> bool {
        let dest = packet.dest.as_deref();
        let verdict = self.track_sequenced(now, peer, packet.seq, dest);
        if !verdict.deliver() {
            return verdict == SeqVerdict::Duplicate;
        }
        if dest.is_some_and(|d| d != self.config.local_node) {
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
                    self.send_control(now, &to, Message::NakRexmit { seq });
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
