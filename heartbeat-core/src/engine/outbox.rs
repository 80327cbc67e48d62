//! The send side: who we are, how we encode, what we sent (the history ring
//! behind retransmissions) and what waits to be transmitted.
//!
//! Every message leaves through here: statuses (with the status clock that
//! makes their timestamps grow strictly), sequenced messages (numbered and
//! kept for retransmission), ownership announcements and control messages.
//! A send returns [`SendError`] instead of reporting it: the engine counts
//! and reports failures.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::delivery::sender_history::SenderHistory;
use super::dialect::Dialect;
use super::peers::PeerId;
use super::types::{Identity, SendError, Transmit, Via};
use crate::config::Config;
use crate::wire::linuxha::Envelope;
use crate::wire::{
    Holdings, Keyring, MembershipView, Message, NodeStatus, NodeUuid, Packet, Status,
    ACK_DELAY_UNKNOWN,
};

/// What this node sends, and how.
#[derive(Debug)]
pub(crate) struct Outbox {
    local_node: String,
    identity: Identity,
    started: Instant,
    /// Our own deadtime, advertised in statuses.
    deadtime: Duration,
    dialect: Dialect,
    keys: Keyring,
    history: SenderHistory,
    transmits: VecDeque<Transmit>,
    /// Timestamp of our last status (they grow strictly).
    last_status_ts: Option<u64>,
    /// When our last status was sent.
    last_status_at: Option<Instant>,
    /// `Shutdone` was sent: nothing new goes out any more.
    departed: bool,
}

impl Outbox {
    /// The send side of `config.local_node` (identity `identity`, with
    /// `peers` peers), started at `now` when the wall clock read
    /// `unix_secs` (Heartbeat's `ts`).
    pub(crate) fn new(
        config: &Config,
        identity: Identity,
        now: Instant,
        unix_secs: u64,
        peers: usize,
    ) -> Self {
        let ttl =
            u32::from(config.hopfudge) + (config.nodes.len() + config.ping_nodes.len()) as u32;
        let deadtime = config.timing.deadtime;
        Outbox {
            local_node: config.local_node.clone(),
            identity,
            started: now,
            deadtime,
            dialect: Dialect::new(
                config.wire_dialect,
                config.msgfmt.into(),
                config.compression.outgoing(),
                ttl,
                unix_secs,
            ),
            keys: config.keys.clone(),
            history: SenderHistory::new(peers, config.max_rexmit_delay, deadtime),
            transmits: VecDeque::new(),
            last_status_ts: None,
            last_status_at: None,
            departed: false,
        }
    }

    /// The local node's identity.
    pub(crate) fn identity(&self) -> Identity {
        self.identity
    }

    /// The keys packets are signed and verified with.
    pub(crate) fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// Use `keys` from now on.
    pub(crate) fn replace_keys(&mut self, keys: Keyring) {
        self.keys = keys;
    }

    /// Whether this node speaks Heartbeat's dialect.
    pub(crate) fn speaks_linux_ha(&self) -> bool {
        self.dialect.speaks_linux_ha()
    }

    /// Remember peer `name`'s uuid (Heartbeat's `destuuid`).
    pub(crate) fn note_uuid(&mut self, name: &str, uuid: NodeUuid) {
        self.dialect.note_uuid(name, uuid);
    }

    /// Our sequence numbers, history ring and acknowledgements.
    pub(crate) fn history(&self) -> &SenderHistory {
        &self.history
    }

    /// Answer `peer`'s request for `first..=last`: what the history still
    /// holds is queued again; returns the numbers to nak.
    pub(crate) fn answer_rexmit(
        &mut self,
        now: Instant,
        peer: PeerId,
        first: u64,
        last: u64,
    ) -> Vec<u64> {
        let answer = self.history.answer(now, peer.index(), first, last);
        for bytes in answer.resend {
            self.transmit(bytes);
        }
        answer.nak
    }

    /// `peer` acknowledged everything up to `ack_seq`, having held it for
    /// `delay_us` microseconds (or [`ACK_DELAY_UNKNOWN`]). Returns a
    /// round-trip sample, if this gives one.
    pub(crate) fn on_ack(
        &mut self,
        now: Instant,
        peer: PeerId,
        ack_seq: u64,
        delay_us: u32,
    ) -> Option<Duration> {
        let delay =
            (delay_us != ACK_DELAY_UNKNOWN).then(|| Duration::from_micros(u64::from(delay_us)));
        self.history.on_ack(now, peer.index(), ack_seq, delay)
    }

    /// `peer` restarted: forget what its old generation acknowledged.
    pub(crate) fn peer_restarted(&mut self, peer: PeerId) {
        self.history.forget_peer(peer.index());
    }

    /// `peer` became alive (joined, returned, restarted while alive): what
    /// we send from now on is for it.
    pub(crate) fn peer_alive(&mut self, peer: PeerId) {
        self.history.peer_alive(peer.index());
    }

    /// `peer` is gone (dead, or restarted while dead): nothing sent from
    /// now on is for it.
    pub(crate) fn peer_gone(&mut self, peer: PeerId) {
        self.history.peer_gone(peer.index());
    }

    /// Drop history entries every peer in `listening` acknowledged.
    pub(crate) fn trim_history(&mut self, listening: impl Iterator<Item = PeerId>) {
        self.history.trim(listening.map(PeerId::index));
    }

    /// Drop history entries too old to be requested any more.
    pub(crate) fn expire_history(&mut self, now: Instant) {
        self.history.expire(now);
    }

    /// Whether `Shutdone` was sent.
    pub(crate) fn has_departed(&self) -> bool {
        self.departed
    }

    /// Time since the engine started, at `now`.
    pub(crate) fn since_start(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.started)
    }

    /// Next datagram to send.
    pub(crate) fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// How many datagrams wait (a mark for [`Outbox::move_last_to`]).
    pub(crate) fn queued(&self) -> usize {
        self.transmits.len()
    }

    /// Move the last queued datagram to position `mark`.
    pub(crate) fn move_last_to(&mut self, mark: usize) {
        if let Some(last) = self.transmits.pop_back() {
            self.transmits.insert(mark, last);
        }
    }

    /// Queue `bytes` on every medium.
    pub(crate) fn transmit(&mut self, bytes: Bytes) {
        self.transmits.push_back(Transmit {
            via: Via::AllMedia,
            bytes,
        });
    }

    fn packet(&self, seq: u64, dest: Option<String>, message: Message) -> Packet {
        Packet {
            from: self.local_node.clone(),
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
        Ok(self.dialect.encode(packet, &self.keys, since_start)?)
    }

    /// Send our status (`status`, holding `holdings`) now. Natively its
    /// `seq` is our highest sequenced number (see the delivery module doc);
    /// in the Linux-HA dialect it is a sequenced message of its own, and
    /// this returns `true` (it was recorded in the history). Its timestamp
    /// grows strictly.
    pub(crate) fn send_status(
        &mut self,
        now: Instant,
        status: NodeStatus,
        holdings: Holdings,
        view: Option<MembershipView>,
    ) -> Result<bool, SendError> {
        let since_start = self.since_start(now);
        let mut timestamp_ms = u64::try_from(since_start.as_millis()).unwrap_or(u64::MAX);
        if let Some(last) = self.last_status_ts {
            timestamp_ms = timestamp_ms.max(last + 1);
        }
        let deadtime = self.dialect.advertised_deadtime(self.deadtime, since_start);
        let status = Message::Status(Status {
            status,
            deadtime_ms: u32::try_from(deadtime.as_millis()).unwrap_or(u32::MAX),
            holdings,
            timestamp_ms,
            view,
        });
        let sequenced = self.dialect.speaks_linux_ha();
        if sequenced {
            self.send_sequenced(now, None, status)?;
        } else {
            self.send_unsequenced(now, self.history.highest_sent(), None, status)?;
        }
        self.last_status_ts = Some(timestamp_ms);
        self.last_status_at = Some(now);
        Ok(sequenced)
    }

    /// In the Linux-HA dialect, whether our status must go out now before
    /// what follows: unless one already went out at this instant, so that a
    /// Heartbeat node that has just started hears a status of ours before
    /// our announcements and answers (it believes us not active otherwise).
    pub(crate) fn status_due_first(&self, now: Instant) -> bool {
        self.dialect.speaks_linux_ha() && self.last_status_at != Some(now)
    }

    /// Send a sequenced message to `dest` (or everyone), keeping it for
    /// retransmission. A message that cannot be encoded uses no number.
    pub(crate) fn send_sequenced(
        &mut self,
        now: Instant,
        dest: Option<String>,
        message: Message,
    ) -> Result<(), SendError> {
        let packet = self.packet(self.history.next_seq(), dest, message);
        self.record(now, |outbox| outbox.encode(now, &packet))
    }

    /// Send Heartbeat's `repnodes` answer (our configured `nodes`) to `to`,
    /// sequenced like any message.
    pub(crate) fn send_node_list(
        &mut self,
        now: Instant,
        to: &str,
        nodes: &[String],
    ) -> Result<(), SendError> {
        let envelope = Envelope {
            from: self.local_node.clone(),
            from_uuid: self.identity.uuid,
            generation: self.identity.generation,
            seq: self.history.next_seq(),
            dest: Some(to.to_owned()),
        };
        let since_start = self.since_start(now);
        self.record(now, |outbox| {
            Ok(outbox
                .dialect
                .encode_node_list(&envelope, nodes, &outbox.keys, since_start)?)
        })
    }

    /// Send the sequenced datagram `build` makes and keep it for
    /// retransmission; `build` must number it [`SenderHistory::next_seq`].
    fn record(
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
        Ok(())
    }

    /// Send an ownership announcement: unsequenced, its `seq` our highest
    /// sequenced number so far (see the delivery module doc).
    pub(crate) fn send_announcement(
        &mut self,
        now: Instant,
        dest: Option<String>,
        message: Message,
    ) -> Result<(), SendError> {
        self.send_unsequenced(now, self.history.highest_sent(), dest, message)
    }

    /// Send an unsequenced control message to peer `to`.
    pub(crate) fn send_control(
        &mut self,
        now: Instant,
        to: &str,
        message: Message,
    ) -> Result<(), SendError> {
        self.send_unsequenced(now, 0, Some(to.to_owned()), message)
    }

    /// Send `message` to `dest` with envelope number `seq`, not recorded for
    /// retransmission.
    fn send_unsequenced(
        &mut self,
        now: Instant,
        seq: u64,
        dest: Option<String>,
        message: Message,
    ) -> Result<(), SendError> {
        let packet = self.packet(seq, dest, message);
        let bytes = self.encode(now, &packet)?;
        self.transmit(bytes);
        Ok(())
    }

    /// Announce our departure: `Shutdone`, sequenced, queued twice
    /// (duplicates are harmless).
    pub(crate) fn send_shutdone(&mut self, now: Instant) -> Result<(), SendError> {
        self.send_sequenced(now, None, Message::Shutdone)?;
        if let Some(copy) = self.transmits.back().cloned() {
            self.transmits.push_back(copy);
        }
        Ok(())
    }

    /// From now on nothing new is sent (retransmissions still are).
    pub(crate) fn depart(&mut self) {
        self.departed = true;
    }
}
