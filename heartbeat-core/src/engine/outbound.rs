//! What this node sends: heartbeats, sequenced messages (recorded in the
//! history ring), control messages; and the timer and command entry points
//! that cause sending.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::timer::Timer;
use super::{ping, Command, Engine, Event, SendError, Transmit, Via};
use crate::wire::{Message, Packet, Status, ACK_DELAY_UNKNOWN};

impl Engine {
    /// Queue `bytes` on every medium.
    pub(super) fn transmit(&mut self, bytes: Bytes) {
        self.transmits.push_back(Transmit {
            via: Via::AllMedia,
            bytes,
        });
    }

    pub(super) fn packet(&self, seq: u64, dest: Option<String>, message: Message) -> Packet {
        Packet {
            from: self.config.local_node.clone(),
            from_uuid: self.identity.uuid,
            generation: self.identity.generation,
            seq,
            dest,
            message,
        }
    }

    /// Encode `packet` in the dialect this node speaks.
    fn encode(&self, now: Instant, packet: &Packet) -> Result<Bytes, SendError> {
        let since_start = self.since_start(now);
        Ok(self
            .dialect
            .encode(packet, &self.config.keys, since_start)?)
    }

    /// Send our status now. Natively its `seq` is our highest sequenced
    /// number (see the delivery module doc); in the Linux-HA dialect it is
    /// a sequenced message of its own. Its timestamp grows strictly.
    pub(super) fn send_status(&mut self, now: Instant) {
        let since_start = self.since_start(now);
        let mut timestamp_ms = u64::try_from(since_start.as_millis()).unwrap_or(u64::MAX);
        if let Some(last) = self.last_status_ts {
            timestamp_ms = timestamp_ms.max(last + 1);
        }
        let deadtime = self
            .dialect
            .advertised_deadtime(self.config.timing.deadtime, since_start);
        let status = Status {
            status: self.membership.local_status(),
            deadtime_ms: u32::try_from(deadtime.as_millis()).unwrap_or(u32::MAX),
            holdings: self.resources.holdings(),
            timestamp_ms,
        };
        let sent = if self.dialect.speaks_linux_ha() {
            self.send_sequenced(now, None, Message::Status(status))
        } else {
            let packet = self.packet(self.history.highest_sent(), None, Message::Status(status));
            self.encode(now, &packet).map(|bytes| self.transmit(bytes))
        };
        match sent {
            Ok(()) => {
                self.last_status_ts = Some(timestamp_ms);
                self.last_status_at = Some(now);
            }
            Err(e) => self.send_failed(e),
        }
    }

    /// Send a sequenced message to `dest` (or everyone), keeping it for
    /// retransmission. A message that cannot be encoded uses no number.
    pub(super) fn send_sequenced(
        &mut self,
        now: Instant,
        dest: Option<String>,
        message: Message,
    ) -> Result<(), SendError> {
        let packet = self.packet(self.history.next_seq(), dest, message);
        self.send_sequenced_bytes(now, |engine| engine.encode(now, &packet))
    }

    /// Send the sequenced datagram `build` makes, keeping it for
    /// retransmission; `build` must use [`SenderHistory::next_seq`].
    ///
    /// [`SenderHistory::next_seq`]: super::delivery::sender_history::SenderHistory::next_seq
    pub(super) fn send_sequenced_bytes(
        &mut self,
        now: Instant,
        build: impl FnOnce(&Self) -> Result<Bytes, SendError>,
    ) -> Result<(), SendError> {
        if self.departed {
            return Err(SendError::Departed);
        }
        let bytes = build(self)?;
        self.history.record(now, bytes.clone());
        self.transmit(bytes);
        self.trim_history();
        Ok(())
    }

    /// Send an ownership announcement: unsequenced, its `seq` our highest
    /// sequenced number so far (see the delivery module doc). Nothing once
    /// we departed.
    pub(super) fn send_announcement(
        &mut self,
        now: Instant,
        dest: Option<String>,
        message: Message,
    ) {
        if self.departed {
            return;
        }
        self.status_first(now);
        let packet = self.packet(self.history.highest_sent(), dest, message);
        match self.encode(now, &packet) {
            Ok(bytes) => self.transmit(bytes),
            Err(e) => self.send_failed(e),
        }
    }

    /// Send an unsequenced control message to peer `to`.
    pub(super) fn send_control(&mut self, now: Instant, to: &str, message: Message) {
        let packet = self.packet(0, Some(to.to_owned()), message);
        match self.encode(now, &packet) {
            Ok(bytes) => self.transmit(bytes),
            Err(e) => self.send_failed(e),
        }
    }

    /// In the Linux-HA dialect, send our status now unless one already went
    /// out at this instant, so that a Heartbeat node that has just started
    /// hears a status of ours before our periodic announcements (see
    /// `Engine::status_before_answers` for why).
    pub(super) fn status_first(&mut self, now: Instant) {
        if self.dialect.speaks_linux_ha() && self.last_status_at != Some(now) {
            self.send_status(now);
        }
    }

    /// Count and report a failed send.
    pub(super) fn send_failed(&mut self, error: SendError) {
        self.counters.send_failures += 1;
        self.events.push_back(Event::SendFailed { error });
    }

    /// Acknowledge `peer`'s packets if due (`tick`: keepalive time), with
    /// how long we held the acknowledged packet.
    pub(super) fn maybe_ack(&mut self, now: Instant, peer: usize, tick: bool) {
        if let Some((ack_seq, held)) = self.trackers[peer].ack_due(now, tick) {
            let delay_us = held.map_or(ACK_DELAY_UNKNOWN, |d| {
                u32::try_from(d.as_micros()).unwrap_or(ACK_DELAY_UNKNOWN)
            });
            let to = self.membership.peer(peer).name.clone();
            self.send_control(now, &to, Message::Ack { ack_seq, delay_us });
        }
    }

    /// Drop history entries every live peer acknowledged.
    pub(super) fn trim_history(&mut self) {
        let live: Vec<usize> = (0..self.membership.peers().len())
            .filter(|&p| {
                let peer = self.membership.peer(p);
                peer.is_alive() && !peer.departed
            })
            .collect();
        self.history.trim(live);
    }

    /// The deadtime applied to our own links.
    pub(super) fn local_deadtime(&self) -> Duration {
        self.membership.deadtime(None)
    }

    /// Timers due at `now`, after the lifeguard's check. The resource
    /// layer is ticked on every timeout, due or not (its settling step runs
    /// each tick).
    pub(super) fn on_timeout(&mut self, now: Instant) {
        let due = self.timers.next_timeout().filter(|&t| t <= now);
        if let Some(late_by) = self.lifeguard.check(now, due) {
            let grace = self.lifeguard.grace();
            self.membership.extend_deadlines(now, late_by, grace);
            self.links.extend_deadlines(now, late_by, grace);
            self.pings.extend_deadlines(now, late_by, grace);
            self.refresh_timers();
            self.events.push_back(Event::LocalStall { late_by });
        }
        let mut firing: Vec<Timer> = self.timers.expired(now).collect();
        if !firing.contains(&Timer::Resources) {
            firing.push(Timer::Resources);
        }
        for timer in firing {
            self.on_timer(now, timer);
        }
    }

    /// Timer `timer` fired at `now`.
    fn on_timer(&mut self, now: Instant, timer: Timer) {
        match timer {
            Timer::Keepalive => {
                self.send_status(now);
                let keepalive = self.config.timing.keepalive;
                let mut next = self.timers.get(timer).unwrap_or(now) + keepalive;
                if next <= now {
                    next = now + keepalive;
                }
                self.timers.set(timer, next);
                for peer in 0..self.trackers.len() {
                    self.maybe_ack(now, peer, true);
                }
                self.history.expire(now);
            }
            Timer::NodeDeath => self.membership.handle_timeout(now),
            Timer::PingDeath => {
                for change in self.pings.handle_timeout(now) {
                    self.ping_event(now, change);
                }
            }
            Timer::LinkDeath => {
                for change in self.links.handle_timeout(now) {
                    self.link_event(change);
                }
            }
            Timer::Rexmit => self.send_due_requests(now),
            Timer::Resources => self.resources.handle_timeout(now),
        }
    }

    /// Send the retransmission requests due at `now`, giving up the packets
    /// requested too often.
    fn send_due_requests(&mut self, now: Instant) {
        let timing = self.request_timing();
        for peer in 0..self.trackers.len() {
            if self.trackers[peer].next_timeout().is_some_and(|t| t <= now) {
                let (ranges, lost) = self.trackers[peer].due_requests(now, timing);
                self.report_lost(peer, lost);
                let to = self.membership.peer(peer).name.clone();
                for (first_seq, last_seq) in ranges {
                    self.send_control(
                        now,
                        &to,
                        Message::RexmitRequest {
                            first_seq,
                            last_seq,
                        },
                    );
                }
                if lost > 0 {
                    self.maybe_ack(now, peer, false);
                }
            }
        }
    }

    /// Apply an operator or application command.
    pub(super) fn on_command(&mut self, now: Instant, command: Command) {
        match command {
            Command::Standby(which) => self.resources.standby(now, which),
            Command::Takeover(which) => self.resources.takeover(now, which),
            Command::Send { to, payload } => self.send_app(now, to, payload),
            Command::Shutdown => {
                if !self.shutting_down {
                    self.shutting_down = true;
                    self.resources.shutdown(now);
                }
            }
            Command::GroupHealth { group, healthy } => {
                self.resources.set_health(now, &group, healthy)
            }
            Command::PingReply { node } => {
                if let Some(change) = self.pings.on_reply(now, &node) {
                    self.ping_event(now, change);
                }
            }
            Command::ActionFinished { group, kind, ok } => {
                self.resources.on_action_finished(now, &group, kind, ok)
            }
            Command::ReplaceKeys(keys) => self.config.keys = keys,
        }
    }

    /// A ping node changed state: report it, and tell the resource layer
    /// whether this node has lost every ping node.
    fn ping_event(&mut self, now: Instant, change: ping::PingChange) {
        self.events.push_back(Event::NodeState {
            node: change.name,
            state: change.state,
        });
        self.resources.set_ping_lost(now, self.pings.all_lost());
    }

    fn send_app(&mut self, now: Instant, to: Option<String>, payload: Bytes) {
        if let Some(dest) = &to {
            if *dest == self.config.local_node {
                self.events.push_back(Event::AppMessage {
                    from: dest.clone(),
                    payload,
                });
                return;
            }
            if self.membership.index_of(dest).is_none() {
                return self.send_failed(SendError::UnknownNode(dest.clone()));
            }
        }
        if let Err(e) = self.send_sequenced(now, to, Message::App { payload }) {
            self.send_failed(e);
        }
    }
}
