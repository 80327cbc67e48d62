//! The receiving side of reliable delivery for one peer: duplicate and replay
//! filtering, gap detection, retransmission requests and acknowledgements.
//!
//! Every generation of a sender numbers its sequenced packets from 1, so a
//! fresh tracker expects seq 1. At first contact (the first number heard
//! from a generation, or the first after the peer was declared dead) only
//! the [`FIRST_CONTACT_WINDOW`] numbers just below it are requested: a peer
//! that has been up for a while sent everything older before it knew of us
//! and would only nak it, and a node joining a big cluster must not make
//! every member answer hundreds of requests at once. Later, only the most
//! recent [`FLOW_LIMIT`] numbers of a gap are requested; older ones are
//! given up at once (Heartbeat resets its tracker on such a jump).
//!
//! Packets are delivered as they arrive, not held back for ordering; only a
//! packet that is new or fills a recorded gap is delivered, so a duplicate
//! (the same packet on several links) or an old replay never is.
//!
//! The sender retransmits only what it sent while it considered us alive
//! (see `sender_history`), so after a partition the requests for what was
//! sent meanwhile are answered with naks, and only messages sent after the
//! sender saw us again are recovered. Numbers below the *contact base* (the
//! first number heard at first contact, or at the first contact after the
//! peer was declared dead) that cannot be had are counted as skipped: they
//! were not meant for us. Others are counted as lost.
//!
//! A missing packet is requested after a random delay in
//! `[50 ms, max_rexmit_delay]` (`[0, max_rexmit_delay]` when that is under
//! 100 ms), then again every `max_rexmit_delay`, at most
//! [`MAX_REQUEST_ATTEMPTS`] times; then it is given up. Adjacent missing
//! numbers that are due together travel in one request of at most
//! [`MAX_REQUEST_SPAN`] numbers.
//!
//! Acknowledgements are cumulative. One is sent at once when the contiguous
//! level advanced by [`ACK_BATCH`], and on the next keepalive tick only if a
//! packet addressed to us alone is not yet acknowledged
//! ([`ReceiverTracker::want_ack`]). Broadcasts and packets for another node
//! are not acknowledged on a tick: each would cost an ack from every member,
//! quadratic traffic in a big cluster (64 nodes starting together sent
//! thousands). The sender does not need those acks: it drops a packet from
//! its history once no receiver can still be asking for it (see
//! `sender_history`).
//!
//! An acknowledgement names the contiguous level and how long we held the
//! packet with that number before acknowledging it (QUIC's `ack_delay`), so
//! the sender can take our batching out of its round-trip estimate. For that
//! the first receipt time of every packet above the last acknowledged level
//! is kept (at most [`MAX_RECEIPT_TIMES`], the lowest forgotten first); a
//! level reached without a known receipt time (given up, only announced, or
//! forgotten) is acknowledged with an unknown delay.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::engine::rng::Rng;

/// Most numbers of one gap that are requested: the most recent ones
/// (Heartbeat's `FLOWCONTROL_LIMIT`).
pub(crate) const FLOW_LIMIT: u64 = 250;

/// Most numbers below the first contact point that are requested: enough for
/// the messages a peer sends between hearing us and our hearing it.
pub(crate) const FIRST_CONTACT_WINDOW: u64 = 8;

/// Most missing numbers remembered per peer (Heartbeat's `MAXMISSING`).
pub(crate) const MAX_MISSING: usize = 500;

/// Requests sent for one missing packet before it is given up.
pub(crate) const MAX_REQUEST_ATTEMPTS: u32 = 8;

/// Most sequence numbers named by one request.
pub(crate) const MAX_REQUEST_SPAN: u64 = 50;

/// An acknowledgement is sent at once when the contiguous level advanced by
/// this much; smaller advances wait for the next keepalive tick.
pub(crate) const ACK_BATCH: u64 = 8;

/// Most receipt times remembered per peer for ack delays.
pub(crate) const MAX_RECEIPT_TIMES: usize = 512;

/// A copy of an already received packet this close to the highest number is a
/// duplicate (it refreshes its link); older copies are stale (possible replays).
const DUPLICATE_WINDOW: u64 = 64;

/// How a sequenced packet was classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SeqVerdict {
    /// Never seen: deliver.
    New,
    /// Filled a recorded gap: deliver.
    Recovered,
    /// Seen recently (another link, or a retransmission we no longer need).
    Duplicate,
    /// Old and not missing: a late copy or a replay; dropped.
    Stale,
}

impl SeqVerdict {
    /// Whether the packet must be delivered.
    pub(crate) fn deliver(self) -> bool {
        matches!(self, SeqVerdict::New | SeqVerdict::Recovered)
    }
}

/// One missing sequence number.
#[derive(Clone, Copy, Debug)]
struct Missing {
    next_request: Instant,
    attempts: u32,
}

/// Counters of one peer's receiving side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReceiverStats {
    /// Sequenced packets delivered (new or recovered).
    pub(crate) delivered: u64,
    /// Packets recovered by retransmission.
    pub(crate) recovered: u64,
    /// Duplicates dropped.
    pub(crate) duplicates: u64,
    /// Stale copies (possible replays) dropped.
    pub(crate) stale: u64,
    /// Packets given up: naked, too many requests, or beyond a flow-limit jump.
    pub(crate) lost: u64,
    /// Packets from before our first contact that could not be had.
    pub(crate) skipped: u64,
    /// Retransmission requests sent.
    pub(crate) requests: u64,
}

/// Receive-side state for one peer (one generation of it).
#[derive(Debug)]
pub(crate) struct ReceiverTracker {
    /// Highest sequence number received or announced (0: nothing yet).
    highest: u64,
    missing: BTreeMap<u64, Missing>,
    /// Numbers up to this one were sent before our (re)contact.
    contact_base: Option<u64>,
    last_acked: u64,
    /// Highest number of a packet addressed to us alone (acked on a tick).
    ack_wanted_upto: u64,
    /// First receipt time of packets above `last_acked`.
    received_at: BTreeMap<u64, Instant>,
    stats: ReceiverStats,
}

/// Timing parameters of requests.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestTiming {
    /// `max_rexmit_delay`.
    pub(crate) max_delay: Duration,
}

impl RequestTiming {
    fn first_delay(self, rng: &mut Rng) -> Duration {
        let lo = if self.max_delay < Duration::from_millis(100) {
            Duration::ZERO
        } else {
            Duration::from_millis(50)
        };
        rng.duration_between(lo, self.max_delay)
    }
}

impl Default for ReceiverTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl ReceiverTracker {
    /// A tracker for a new generation: expects seq 1.
    pub(crate) fn new() -> Self {
        ReceiverTracker {
            highest: 0,
            missing: BTreeMap::new(),
            contact_base: None,
            last_acked: 0,
            ack_wanted_upto: 0,
            received_at: BTreeMap::new(),
            stats: ReceiverStats::default(),
        }
    }

    /// Counters.
    pub(crate) fn stats(&self) -> ReceiverStats {
        self.stats
    }

    /// Highest number received or announced.
    pub(crate) fn highest(&self) -> u64 {
        self.highest
    }

    /// Numbers currently missing.
    pub(crate) fn missing_count(&self) -> usize {
        self.missing.len()
    }

    /// Everything up to this number was received (or given up).
    pub(crate) fn contiguous(&self) -> u64 {
        self.missing
            .keys()
            .next()
            .map_or(self.highest, |&first| first - 1)
    }

    /// Start over for a new generation of the peer, keeping the counters.
    /// Returns how many missing packets were abandoned.
    pub(crate) fn restart(&mut self) -> u64 {
        let lost = self.missing.len() as u64;
        self.stats.lost = self.stats.lost.saturating_add(lost);
        *self = ReceiverTracker {
            stats: self.stats,
            ..ReceiverTracker::new()
        };
        lost
    }

    /// The peer was declared dead: stop requesting (what is missing is
    /// lost), and take the next number heard as a new contact base. Old
    /// numbers stay refused. Returns how many missing packets were abandoned.
    pub(crate) fn peer_died(&mut self) -> u64 {
        let lost = self.missing.len() as u64;
        self.stats.lost = self.stats.lost.saturating_add(lost);
        self.missing.clear();
        self.contact_base = None;
        lost
    }

    /// Classify sequenced packet `seq` (≥ 1). The second value counts packets
    /// given up because of a flow-limit jump or the missing-set bound.
    pub(crate) fn on_packet(
        &mut self,
        now: Instant,
        seq: u64,
        timing: RequestTiming,
        rng: &mut Rng,
    ) -> (SeqVerdict, u64) {
        let limit = self.contact_limit(seq.saturating_sub(1));
        if seq > self.highest {
            let lost = self.advance_to(now, seq - 1, limit, timing, rng);
            self.highest = seq;
            self.stats.delivered = self.stats.delivered.saturating_add(1);
            self.note_receipt(now, seq);
            return (SeqVerdict::New, lost);
        }
        if self.missing.remove(&seq).is_some() {
            self.note_receipt(now, seq);
            self.stats.recovered = self.stats.recovered.saturating_add(1);
            self.stats.delivered = self.stats.delivered.saturating_add(1);
            return (SeqVerdict::Recovered, 0);
        }
        if seq.saturating_add(DUPLICATE_WINDOW) > self.highest {
            self.stats.duplicates = self.stats.duplicates.saturating_add(1);
            (SeqVerdict::Duplicate, 0)
        } else {
            self.stats.stale = self.stats.stale.saturating_add(1);
            (SeqVerdict::Stale, 0)
        }
    }

    /// Remember when `seq` first arrived, for the delay of its ack.
    fn note_receipt(&mut self, now: Instant, seq: u64) {
        if seq <= self.last_acked {
            return;
        }
        self.received_at.insert(seq, now);
        while self.received_at.len() > MAX_RECEIPT_TIMES {
            self.received_at.pop_first();
        }
    }

    /// The peer announced (in its status) that it has sent everything up to
    /// `high_water`: request the tail we did not receive. Returns packets given up.
    pub(crate) fn on_high_water(
        &mut self,
        now: Instant,
        high_water: u64,
        timing: RequestTiming,
        rng: &mut Rng,
    ) -> u64 {
        let limit = self.contact_limit(high_water);
        if high_water <= self.highest {
            return 0;
        }
        let lost = self.advance_to(now, high_water, limit, timing, rng);
        self.highest = high_water;
        lost
    }

    /// Take `base` as the contact base if this is a first contact, and
    /// return how many numbers of the gap below may be requested.
    fn contact_limit(&mut self, base: u64) -> u64 {
        if self.contact_base.is_some() {
            return FLOW_LIMIT;
        }
        self.contact_base = Some(base);
        FIRST_CONTACT_WINDOW
    }

    /// Record `highest+1 ..= upto` as missing; beyond `limit` numbers the
    /// older ones are given up at once. Returns packets counted as lost.
    fn advance_to(
        &mut self,
        now: Instant,
        upto: u64,
        limit: u64,
        timing: RequestTiming,
        rng: &mut Rng,
    ) -> u64 {
        if upto <= self.highest {
            return 0;
        }
        let mut lost = 0;
        let mut from = self.highest + 1;
        if upto - self.highest > limit {
            let first_kept = upto - limit + 1;
            let base = self.contact_base.unwrap_or(0);
            let skipped = base.min(first_kept - 1).saturating_sub(from - 1);
            let given_up = first_kept - from;
            self.stats.skipped = self.stats.skipped.saturating_add(skipped);
            self.stats.lost = self.stats.lost.saturating_add(given_up - skipped);
            lost += given_up - skipped;
            from = first_kept;
        }
        let at = now + timing.first_delay(rng);
        for seq in from..=upto {
            self.missing.insert(
                seq,
                Missing {
                    next_request: at,
                    attempts: 0,
                },
            );
        }
        while self.missing.len() > MAX_MISSING {
            if let Some((seq, _)) = self.missing.pop_first() {
                lost += self.give_up(seq);
            }
        }
        lost
    }

    /// The peer said `seq` is gone. Returns how many packets count as lost
    /// (0 or 1; a pre-contact number is only skipped).
    pub(crate) fn on_nak(&mut self, seq: u64) -> u64 {
        if self.missing.remove(&seq).is_none() {
            return 0;
        }
        self.give_up(seq)
    }

    fn give_up(&mut self, seq: u64) -> u64 {
        if self.contact_base.is_some_and(|base| seq <= base) {
            self.stats.skipped = self.stats.skipped.saturating_add(1);
            0
        } else {
            self.stats.lost = self.stats.lost.saturating_add(1);
            1
        }
    }

    /// When the next request is due.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.missing.values().map(|m| m.next_request).min()
    }

    /// Requests due at `now` as inclusive ranges, and how many packets were
    /// given up after [`MAX_REQUEST_ATTEMPTS`].
    pub(crate) fn due_requests(
        &mut self,
        now: Instant,
        timing: RequestTiming,
    ) -> (Vec<(u64, u64)>, u64) {
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        let mut given_up = Vec::new();
        for (&seq, m) in self.missing.iter_mut() {
            if m.next_request > now {
                continue;
            }
            if m.attempts >= MAX_REQUEST_ATTEMPTS {
                given_up.push(seq);
                continue;
            }
            m.attempts += 1;
            m.next_request = now + timing.max_delay;
            match ranges.last_mut() {
                Some((first, last)) if *last + 1 == seq && seq - *first < MAX_REQUEST_SPAN => {
                    *last = seq;
                }
                _ => ranges.push((seq, seq)),
            }
        }
        let mut lost = 0;
        for seq in given_up {
            self.missing.remove(&seq);
            lost += self.give_up(seq);
        }
        self.stats.requests = self.stats.requests.saturating_add(ranges.len() as u64);
        (ranges, lost)
    }

    /// Packet `seq`, just delivered, was addressed to us alone: acknowledge
    /// it on the next keepalive tick.
    pub(crate) fn want_ack(&mut self, seq: u64) {
        self.ack_wanted_upto = self.ack_wanted_upto.max(seq);
    }

    /// The level to acknowledge at `now`, if any: at once after [`ACK_BATCH`]
    /// new packets, or on a keepalive `tick` while a packet addressed to us
    /// alone is unacknowledged. With it, how long the packet of that number
    /// was held (`None`: not known).
    pub(crate) fn ack_due(&mut self, now: Instant, tick: bool) -> Option<(u64, Option<Duration>)> {
        let level = self.contiguous();
        let wanted = tick && self.ack_wanted_upto > self.last_acked;
        if level > self.last_acked && (wanted || level - self.last_acked >= ACK_BATCH) {
            self.last_acked = level;
            let held = self
                .received_at
                .get(&level)
                .map(|&at| now.saturating_duration_since(at));
            while self
                .received_at
                .first_key_value()
                .is_some_and(|(&seq, _)| seq <= level)
            {
                self.received_at.pop_first();
            }
            Some((level, held))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: RequestTiming = RequestTiming {
        max_delay: Duration::from_millis(250),
    };

    fn setup() -> (ReceiverTracker, Rng, Instant) {
        (ReceiverTracker::new(), Rng::new(1), Instant::now())
    }

    #[test]
    fn in_order_duplicates_and_stale() {
        let (mut r, mut rng, t0) = setup();
        for seq in 1..=100 {
            assert_eq!(r.on_packet(t0, seq, T, &mut rng).0, SeqVerdict::New);
        }
        assert_eq!(r.on_packet(t0, 100, T, &mut rng).0, SeqVerdict::Duplicate);
        assert_eq!(r.on_packet(t0, 90, T, &mut rng).0, SeqVerdict::Duplicate);
        assert_eq!(r.on_packet(t0, 2, T, &mut rng).0, SeqVerdict::Stale);
        assert_eq!(r.next_timeout(), None);
        assert_eq!(r.contiguous(), 100);
        assert_eq!(r.stats().delivered, 100);
    }

    #[test]
    fn gap_is_requested_after_random_delay_then_recovered() {
        let (mut r, mut rng, t0) = setup();
        r.on_packet(t0, 1, T, &mut rng);
        assert_eq!(r.on_packet(t0, 5, T, &mut rng).0, SeqVerdict::New);
        assert_eq!(r.missing_count(), 3);
        let due = r.next_timeout().unwrap();
        assert!(due >= t0 + Duration::from_millis(50) && due <= t0 + T.max_delay);
        let (none, _) = r.due_requests(due - Duration::from_micros(1), T);
        assert!(none.is_empty());
        let (ranges, lost) = r.due_requests(due, T);
        assert_eq!((ranges, lost), (vec![(2, 4)], 0));
        assert_eq!(r.next_timeout(), Some(due + T.max_delay));
        assert_eq!(r.on_packet(due, 3, T, &mut rng).0, SeqVerdict::Recovered);
        assert_eq!(r.on_packet(due, 3, T, &mut rng).0, SeqVerdict::Duplicate);
        assert_eq!(r.contiguous(), 1);
        assert_eq!(r.on_nak(2), 1);
        assert_eq!(r.on_nak(2), 0);
        assert_eq!(r.contiguous(), 3);
        assert_eq!(r.stats().lost, 1);
        assert_eq!(r.stats().recovered, 1);
    }

    #[test]
    fn requests_are_bounded_then_given_up() {
        let (mut r, mut rng, t0) = setup();
        r.on_packet(t0, 1, T, &mut rng);
        r.on_packet(t0, 3, T, &mut rng);
        let mut now = t0;
        let mut requests = 0;
        while let Some(due) = r.next_timeout() {
            now = due;
            let (ranges, lost) = r.due_requests(now, T);
            requests += ranges.len();
            if lost > 0 {
                break;
            }
        }
        assert_eq!(requests as u32, MAX_REQUEST_ATTEMPTS);
        assert_eq!(r.stats().lost, 1);
        assert_eq!(r.next_timeout(), None);
        assert!(now < t0 + T.max_delay * (MAX_REQUEST_ATTEMPTS + 1));
    }

    #[test]
    fn high_water_reveals_tail_loss() {
        let (mut r, mut rng, t0) = setup();
        r.on_packet(t0, 1, T, &mut rng);
        assert_eq!(r.on_high_water(t0, 3, T, &mut rng), 0);
        assert_eq!(r.missing_count(), 2);
        assert_eq!(r.on_packet(t0, 3, T, &mut rng).0, SeqVerdict::Recovered);
        // Nothing before the first packet of a generation is lost: seq 1 is
        // requested when the first thing heard is seq 2.
        let mut fresh = ReceiverTracker::new();
        fresh.on_packet(t0, 3, T, &mut rng);
        assert_eq!(fresh.missing_count(), 2);
        // If they are gone, they were sent before we listened: skipped.
        assert_eq!(fresh.on_nak(1), 0);
        let due = fresh.next_timeout().unwrap() + T.max_delay * 10;
        for k in 0..=MAX_REQUEST_ATTEMPTS {
            assert_eq!(fresh.due_requests(due + T.max_delay * k, T).1, 0);
        }
        assert_eq!(fresh.missing_count(), 0);
        assert_eq!((fresh.stats().lost, fresh.stats().skipped), (0, 2));
    }

    #[test]
    fn large_jump_requests_the_latest_and_missing_set_is_bounded() {
        let (mut r, mut rng, t0) = setup();
        // First contact far into the sequence: only the window just below
        // is requested, older numbers skipped (sent before we listened).
        assert_eq!(r.on_packet(t0, 10_000, T, &mut rng), (SeqVerdict::New, 0));
        assert_eq!(r.missing_count() as u64, FIRST_CONTACT_WINDOW);
        assert_eq!(r.stats().skipped, 10_000 - FIRST_CONTACT_WINDOW - 1);
        // A later jump requests up to FLOW_LIMIT.
        r.on_packet(t0, 10_000 + FLOW_LIMIT / 2, T, &mut rng);
        assert_eq!(
            r.missing_count() as u64,
            FIRST_CONTACT_WINDOW + FLOW_LIMIT / 2 - 1
        );
        // Later jump: older numbers counted as lost.
        let highest = r.highest();
        let (v, lost) = r.on_packet(t0, highest + FLOW_LIMIT + 2, T, &mut rng);
        assert_eq!((v, lost), (SeqVerdict::New, 1));
        // Many gaps: bounded set.
        let mut seq = 20_000;
        r.on_packet(t0, seq, T, &mut rng);
        for _ in 0..300 {
            seq += 3;
            r.on_packet(t0, seq, T, &mut rng);
        }
        assert_eq!(r.missing_count(), MAX_MISSING);
    }

    #[test]
    fn death_rebases_contact_but_refuses_old() {
        let (mut r, mut rng, t0) = setup();
        r.on_packet(t0, 8, T, &mut rng);
        assert_eq!(r.peer_died(), 7);
        // After the return, what was sent meanwhile is requested; what the
        // sender naks (sent while we were dead to it) is skipped.
        assert_eq!(r.on_packet(t0, 14, T, &mut rng).0, SeqVerdict::New);
        assert_eq!(r.missing_count(), 5);
        assert_eq!(r.on_nak(12), 0);
        assert_eq!(r.stats().skipped, 1);
        assert_eq!(r.on_packet(t0, 5, T, &mut rng).0, SeqVerdict::Duplicate);
        assert_eq!(r.on_packet(t0, 200, T, &mut rng).0, SeqVerdict::New);
        assert_eq!(r.on_packet(t0, 5, T, &mut rng).0, SeqVerdict::Stale);
        // Beyond the first-contact window, older numbers are skipped at once.
        r.peer_died();
        let lost_before = r.stats().lost;
        r.on_packet(t0, 500, T, &mut rng);
        assert_eq!(r.missing_count() as u64, FIRST_CONTACT_WINDOW);
        assert_eq!(r.stats().lost, lost_before);
        r.restart();
        assert_eq!(r.on_packet(t0, 1, T, &mut rng).0, SeqVerdict::New);
    }

    #[test]
    fn acks_batch_or_wait_for_tick() {
        let (mut r, mut rng, t0) = setup();
        for seq in 1..=3 {
            r.on_packet(t0, seq, T, &mut rng);
        }
        let ms = Duration::from_millis(1);
        assert_eq!(r.ack_due(t0, false), None);
        // Broadcasts and packets for other nodes wait for a batch.
        assert_eq!(r.ack_due(t0 + 700 * ms, true), None);
        r.want_ack(3);
        assert_eq!(r.ack_due(t0 + 700 * ms, true), Some((3, Some(700 * ms))));
        assert_eq!(r.ack_due(t0 + 700 * ms, true), None);
        for seq in 4..=11 {
            r.on_packet(t0 + seq as u32 * ms, seq, T, &mut rng);
        }
        assert_eq!(
            r.ack_due(t0 + 11 * ms, false),
            Some((11, Some(Duration::ZERO)))
        );
        r.on_packet(t0, 13, T, &mut rng);
        r.want_ack(13);
        assert_eq!(r.ack_due(t0, true), None, "gap at 12 holds the level");
        // The gap is given up: level 13 was received, 12 never was.
        assert_eq!(r.on_nak(12), 1);
        assert_eq!(r.ack_due(t0 + 5 * ms, true), Some((13, Some(5 * ms))));
        r.on_high_water(t0, 13 + ACK_BATCH, T, &mut rng);
        for seq in 14..=13 + ACK_BATCH {
            r.on_nak(seq);
        }
        assert_eq!(
            r.ack_due(t0, false),
            Some((13 + ACK_BATCH, None)),
            "never received"
        );
        assert!(r.received_at.is_empty());
    }

    #[test]
    fn ranges_split_at_holes_and_span() {
        let (mut r, mut rng, t0) = setup();
        r.on_packet(t0, 1, T, &mut rng);
        r.on_packet(t0, 80, T, &mut rng);
        r.on_packet(t0, 82, T, &mut rng);
        let due = r.next_timeout().unwrap();
        let (ranges, _) = r.due_requests(due + T.max_delay, T);
        assert!(ranges.contains(&(2, 51)));
        assert!(ranges.contains(&(52, 79)) || ranges.iter().any(|&(f, _)| f == 52));
        assert!(ranges.contains(&(81, 81)));
    }
}
