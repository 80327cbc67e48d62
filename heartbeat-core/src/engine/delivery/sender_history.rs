//! The sending side of reliable delivery: the sequence counter, the bounded
//! history ring of sent packets, acknowledgements, and the answers to
//! retransmission requests.
//!
//! Every sequenced packet this node sends is kept here, encoded, until every
//! live peer has acknowledged it, or no receiver can still be asking for it
//! ([`SenderHistory::expire`]: a receiver learns of a gap within a deadtime,
//! from the next packet or status, and gives it up after
//! `MAX_REQUEST_ATTEMPTS` requests), or the ring overflows (the oldest entry
//! is then overwritten, as in Heartbeat). Receivers do not acknowledge
//! broadcasts on every tick, so expiry is what usually empties the ring in a
//! quiet cluster. A retransmission resends the very same bytes (same seq,
//! generation and tag).
//!
//! A packet is resent to a peer only if it was sent while that peer (in its
//! current incarnation) was alive in our view; anything older is answered
//! with a nak. Messages sent while a peer was dead or before it restarted
//! were not meant for it: after a healed partition it must not act on
//! stale requests and reports, only on what was sent since we saw it again.
//!
//! Answering a [`crate::wire::Message::RexmitRequest`] is bounded three ways
//! (a request is an amplification vector, see DESIGN.md lesson 7):
//! - only packets still in the ring are resent; a packet that is gone gets a
//!   `NakRexmit`;
//! - one request covers at most [`MAX_REXMIT_BATCH`] sequence numbers, and a
//!   packet is not resent (nor naked to the same requester) again within
//!   `max_rexmit_delay - 10 ms` of its last transmission (per-packet limit;
//!   this also absorbs the copies of one request arriving on every medium);
//! - each requester may cause at most [`REXMIT_BUDGET`] resends and naks per
//!   `max_rexmit_delay` window (per-requester limit).

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::receiver_tracker::MAX_REQUEST_ATTEMPTS;

/// Sequenced packets kept for retransmission (Heartbeat's `MAXMSGHIST`).
pub(crate) const HISTORY_CAPACITY: usize = 500;

/// Most sequence numbers answered for one request (Heartbeat's `MAX_REXMIT_BATCH`).
pub(crate) const MAX_REXMIT_BATCH: u64 = 50;

/// Most resends plus naks one requester can cause per `max_rexmit_delay` window.
pub(crate) const REXMIT_BUDGET: u32 = 100;

/// How long a sent packet can still be requested: a receiver notices the
/// gap within `deadtime` (or declares us dead), then requests it at most
/// `MAX_REQUEST_ATTEMPTS` times, `max_rexmit_delay` apart, after a first
/// delay of at most `max_rexmit_delay`.
fn retention(deadtime: Duration, max_rexmit_delay: Duration) -> Duration {
    deadtime + max_rexmit_delay * (MAX_REQUEST_ATTEMPTS + 1)
}

/// One sent sequenced packet.
#[derive(Debug)]
struct Sent {
    seq: u64,
    bytes: Bytes,
    first_sent: Instant,
    last_sent: Instant,
    resent: u32,
}

/// Per-requester rate-limit window.
#[derive(Clone, Copy, Debug, Default)]
struct Budget {
    window_start: Option<Instant>,
    used: u32,
}

/// What to send in answer to one retransmission request.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RexmitAnswer {
    /// Packets to send again, unchanged.
    pub(crate) resend: Vec<Bytes>,
    /// Sequence numbers that are gone: answer each with a `NakRexmit`.
    pub(crate) nak: Vec<u64>,
    /// Sequence numbers skipped by a rate limit.
    pub(crate) limited: u64,
}

/// Counters of the sending side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SenderStats {
    /// Sequenced packets sent.
    pub(crate) sent: u64,
    /// Packets sent again on request.
    pub(crate) resent: u64,
    /// Naks sent.
    pub(crate) naks: u64,
    /// Requested packets skipped by a rate limit.
    pub(crate) rate_limited: u64,
    /// Ring entries overwritten before every live peer acknowledged them.
    pub(crate) overwritten: u64,
}

/// Sequence counter, history ring and per-peer acknowledgement levels.
#[derive(Debug)]
pub(crate) struct SenderHistory {
    next_seq: u64,
    ring: VecDeque<Sent>,
    /// Highest sequence number acknowledged, per peer index.
    acked: Vec<u64>,
    budgets: Vec<Budget>,
    /// Per peer: the first number sent since it became alive in our view
    /// (`None` while it is not).
    alive_since: Vec<Option<u64>>,
    /// Per peer: sequence numbers recently naked to it, and when.
    recent_naks: Vec<BTreeMap<u64, Instant>>,
    max_rexmit_delay: Duration,
    /// How long an entry can still be requested ([`retention`]).
    retention: Duration,
    stats: SenderStats,
}

impl SenderHistory {
    /// An empty history for `peers` peers whose deadtime is `deadtime`;
    /// sequence numbers start at 1.
    pub(crate) fn new(peers: usize, max_rexmit_delay: Duration, deadtime: Duration) -> Self {
        SenderHistory {
            next_seq: 1,
            ring: VecDeque::with_capacity(HISTORY_CAPACITY),
            acked: vec![0; peers],
            budgets: vec![Budget::default(); peers],
            recent_naks: vec![BTreeMap::new(); peers],
            alive_since: vec![None; peers],
            max_rexmit_delay,
            retention: retention(deadtime, max_rexmit_delay),
            stats: SenderStats::default(),
        }
    }

    /// The number the next sequenced packet must carry.
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The highest sequence number sent so far (0 before the first).
    pub(crate) fn highest_sent(&self) -> u64 {
        self.next_seq - 1
    }

    /// Packets currently retained.
    pub(crate) fn len(&self) -> usize {
        self.ring.len()
    }

    /// Counters.
    pub(crate) fn stats(&self) -> SenderStats {
        self.stats
    }

    /// Record the packet just sent with [`Self::next_seq`] and advance the counter.
    pub(crate) fn record(&mut self, now: Instant, bytes: Bytes) {
        if self.ring.len() == HISTORY_CAPACITY {
            if let Some(old) = self.ring.pop_front() {
                let all_acked = self.acked.iter().all(|&a| a >= old.seq);
                if !all_acked {
                    self.stats.overwritten += 1;
                }
            }
        }
        self.ring.push_back(Sent {
            seq: self.next_seq,
            bytes,
            first_sent: now,
            last_sent: now,
            resent: 0,
        });
        self.next_seq += 1;
        self.stats.sent += 1;
    }

    /// Peer `peer` acknowledged everything up to `ack_seq`, having held
    /// packet `ack_seq` for `delay` before acknowledging it (`None`: not
    /// known). Returns a round-trip sample, `(now − sent) − delay` clamped at
    /// zero, when the delay is known and the acknowledged packet was sent
    /// exactly once (Karn's rule).
    pub(crate) fn on_ack(
        &mut self,
        now: Instant,
        peer: usize,
        ack_seq: u64,
        delay: Option<Duration>,
    ) -> Option<Duration> {
        let level = self.acked.get_mut(peer)?;
        if ack_seq <= *level || ack_seq > self.next_seq - 1 {
            return None;
        }
        *level = ack_seq;
        let sent = self.find(ack_seq)?;
        let delay = delay?;
        (sent.resent == 0).then(|| {
            now.saturating_duration_since(sent.first_sent)
                .saturating_sub(delay)
        })
    }

    /// Forget what `peer` acknowledged (it restarted or came back).
    pub(crate) fn forget_peer(&mut self, peer: usize) {
        if let Some(level) = self.acked.get_mut(peer) {
            *level = 0;
        }
    }

    /// `peer` became alive (joined, returned, or restarted): what we send from
    /// now on is for it.
    pub(crate) fn peer_alive(&mut self, peer: usize) {
        if let Some(since) = self.alive_since.get_mut(peer) {
            *since = Some(self.next_seq);
        }
    }

    /// `peer` was declared dead: nothing sent from now on is for it.
    pub(crate) fn peer_gone(&mut self, peer: usize) {
        if let Some(since) = self.alive_since.get_mut(peer) {
            *since = None;
        }
    }

    /// Drop ring entries last sent more than the retention ([`retention`])
    /// before `now`: no receiver can still be requesting them.
    pub(crate) fn expire(&mut self, now: Instant) {
        while self
            .ring
            .front()
            .is_some_and(|s| now.saturating_duration_since(s.last_sent) > self.retention)
        {
            self.ring.pop_front();
        }
    }

    /// Drop ring entries acknowledged by every peer in `live` (peer indices).
    /// With no live peer everything is dropped (as Heartbeat advances the ack
    /// level of a lonely node): a node that starts later must not receive
    /// messages sent before anyone could hear them.
    pub(crate) fn trim(&mut self, live: impl IntoIterator<Item = usize>) {
        let level = live
            .into_iter()
            .filter_map(|p| self.acked.get(p).copied())
            .min()
            .unwrap_or(u64::MAX);
        while self.ring.front().is_some_and(|s| s.seq <= level) {
            self.ring.pop_front();
        }
    }

    /// Answer `peer`'s request for `first..=last`.
    pub(crate) fn answer(
        &mut self,
        now: Instant,
        peer: usize,
        first: u64,
        last: u64,
    ) -> RexmitAnswer {
        let mut answer = RexmitAnswer::default();
        let Some(&acked) = self.acked.get(peer) else {
            return answer;
        };
        // Above the highest sent: ignored (Heartbeat warns, no nak).
        let last = last.min(self.next_seq - 1);
        // Already acknowledged by the requester: nothing to do.
        let first = first.max(acked + 1).max(1);
        if first > last {
            return answer;
        }
        let last = last.min(first.saturating_add(MAX_REXMIT_BATCH - 1));
        let min_interval = self.per_packet_interval();
        let window = self.max_rexmit_delay;
        let budget = &mut self.budgets[peer];
        if budget
            .window_start
            .is_none_or(|start| now.saturating_duration_since(start) >= window)
        {
            *budget = Budget {
                window_start: Some(now),
                used: 0,
            };
        }
        let naked = &mut self.recent_naks[peer];
        naked.retain(|_, at| now.saturating_duration_since(*at) < min_interval);
        // Numbers below this were not for the requester: answered like gone.
        let oldest = self
            .ring
            .front()
            .map_or(self.next_seq, |s| s.seq)
            .max(self.alive_since[peer].unwrap_or(self.next_seq));
        for seq in first..=last {
            if budget.used >= REXMIT_BUDGET {
                answer.limited += last - seq + 1;
                break;
            }
            let ring_start = self.ring.front().map_or(self.next_seq, |s| s.seq);
            let index = (seq >= oldest)
                .then(|| seq.checked_sub(ring_start))
                .flatten()
                .map(|i| i as usize);
            let Some(sent) = index.and_then(|i| self.ring.get_mut(i)) else {
                match naked.entry(seq) {
                    Entry::Occupied(_) => answer.limited += 1,
                    Entry::Vacant(slot) => {
                        slot.insert(now);
                        budget.used += 1;
                        answer.nak.push(seq);
                    }
                }
                continue;
            };
            if now.saturating_duration_since(sent.last_sent) < min_interval {
                answer.limited += 1;
                continue;
            }
            budget.used += 1;
            sent.last_sent = now;
            sent.resent += 1;
            answer.resend.push(sent.bytes.clone());
        }
        self.stats.resent += answer.resend.len() as u64;
        self.stats.naks += answer.nak.len() as u64;
        self.stats.rate_limited += answer.limited;
        answer
    }

    /// A packet is not resent again within `max_rexmit_delay - 10 ms` of its
    /// last transmission (never less than half of `max_rexmit_delay`, so that
    /// small delays in simulations still limit).
    fn per_packet_interval(&self) -> Duration {
        self.max_rexmit_delay
            .saturating_sub(Duration::from_millis(10))
            .max(self.max_rexmit_delay / 2)
    }

    fn find(&self, seq: u64) -> Option<&Sent> {
        let oldest = self.ring.front()?.seq;
        self.ring
            .get(usize::try_from(seq.checked_sub(oldest)?).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: Duration = Duration::from_millis(250);
    const DEADTIME: Duration = Duration::from_secs(1);

    fn filled(n: u64, t0: Instant) -> SenderHistory {
        let mut h = SenderHistory::new(2, DELAY, DEADTIME);
        h.peer_alive(0);
        h.peer_alive(1);
        for i in 0..n {
            assert_eq!(h.next_seq(), i + 1);
            h.record(t0, Bytes::from(format!("p{}", i + 1)));
        }
        h
    }

    #[test]
    fn sequence_numbers_start_at_one_and_ring_is_bounded() {
        let t0 = Instant::now();
        let h = filled(HISTORY_CAPACITY as u64 + 20, t0);
        assert_eq!(h.highest_sent(), 520);
        assert_eq!(h.len(), HISTORY_CAPACITY);
        assert_eq!(h.stats().overwritten, 20);
    }

    #[test]
    fn entries_expire_after_the_retention_counted_from_the_last_send() {
        let t0 = Instant::now();
        let mut h = filled(3, t0);
        let keep = retention(DEADTIME, DELAY);
        assert_eq!(
            keep,
            Duration::from_secs(1) + DELAY * (MAX_REQUEST_ATTEMPTS + 1)
        );
        // p2 is resent later: its clock restarts, and it keeps p3 behind it.
        let later = t0 + Duration::from_millis(500);
        assert_eq!(h.answer(later, 0, 2, 2).resend, vec![Bytes::from("p2")]);
        h.expire(t0 + keep);
        assert_eq!(h.len(), 3);
        h.expire(t0 + keep + Duration::from_millis(1));
        assert_eq!(h.len(), 2, "p1 expired");
        h.expire(later + keep + Duration::from_millis(1));
        assert_eq!(h.len(), 0);
        assert_eq!(h.stats().overwritten, 0);
    }

    #[test]
    fn resends_from_ring_and_naks_what_is_gone() {
        let t0 = Instant::now();
        let mut h = filled(HISTORY_CAPACITY as u64 + 10, t0);
        let now = t0 + Duration::from_secs(1);
        // 1..=10 were overwritten.
        let a = h.answer(now, 0, 9, 12);
        assert_eq!(a.nak, vec![9, 10]);
        assert_eq!(a.resend, vec![Bytes::from("p11"), Bytes::from("p12")]);
        // The same request again (another medium): no second nak or resend.
        let a = h.answer(now, 0, 9, 12);
        assert_eq!((a.nak.len(), a.resend.len(), a.limited), (0, 0, 4));
        assert_eq!(h.answer(now + DELAY, 0, 9, 9).nak, vec![9]);
        // Above the highest sent: ignored.
        let a = h.answer(now + DELAY, 1, 600, 700);
        assert_eq!(a, RexmitAnswer::default());
    }

    #[test]
    fn only_what_was_sent_while_the_peer_was_alive_is_resent() {
        let t0 = Instant::now();
        let mut h = SenderHistory::new(1, DELAY, DEADTIME);
        h.record(t0, Bytes::from("before"));
        h.peer_alive(0);
        h.record(t0, Bytes::from("alive"));
        h.peer_gone(0);
        h.record(t0, Bytes::from("dead"));
        h.peer_alive(0);
        h.record(t0, Bytes::from("back"));
        let a = h.answer(t0 + DELAY, 0, 1, 4);
        assert_eq!(a.nak, vec![1, 2, 3]);
        assert_eq!(a.resend, vec![Bytes::from("back")]);
        h.peer_gone(0);
        let a = h.answer(t0 + DELAY * 2, 0, 4, 4);
        assert_eq!(a.nak, vec![4]);
    }

    #[test]
    fn per_packet_rate_limit() {
        let t0 = Instant::now();
        let mut h = filled(5, t0);
        // Just sent: too early to resend.
        let a = h.answer(t0 + Duration::from_millis(100), 0, 3, 3);
        assert!(a.resend.is_empty());
        assert_eq!(a.limited, 1);
        let t1 = t0 + Duration::from_millis(300);
        assert_eq!(h.answer(t1, 0, 3, 3).resend.len(), 1);
        // The second requester within 240 ms gets nothing more: the resend
        // reached everyone.
        assert_eq!(
            h.answer(t1 + Duration::from_millis(200), 1, 3, 3).limited,
            1
        );
        assert_eq!(
            h.answer(t1 + Duration::from_millis(240), 1, 3, 3)
                .resend
                .len(),
            1
        );
    }

    #[test]
    fn batch_and_budget_caps() {
        let t0 = Instant::now();
        let mut h = filled(400, t0);
        let now = t0 + Duration::from_secs(1);
        let a = h.answer(now, 0, 1, 400);
        assert_eq!(a.resend.len() as u64, MAX_REXMIT_BATCH);
        let a = h.answer(now, 0, 51, 400);
        assert_eq!(a.resend.len() as u64, MAX_REXMIT_BATCH);
        // Budget (100 per window) spent.
        let a = h.answer(now, 0, 101, 400);
        assert!(a.resend.is_empty());
        assert_eq!(a.limited, MAX_REXMIT_BATCH);
        // The other requester has its own budget; a new window refills.
        assert_eq!(h.answer(now, 1, 101, 150).resend.len(), 50);
        assert_eq!(h.answer(now + DELAY, 0, 151, 160).resend.len(), 10);
    }

    #[test]
    fn acks_trim_and_give_rtt_samples() {
        let t0 = Instant::now();
        let mut h = filled(10, t0);
        let now = t0 + Duration::from_millis(3);
        let ms = Duration::from_millis(1);
        assert_eq!(h.on_ack(now, 0, 2, Some(ms)), Some(2 * ms), "delay removed");
        assert_eq!(
            h.on_ack(now, 0, 3, Some(5 * ms)),
            Some(Duration::ZERO),
            "clamped"
        );
        assert_eq!(h.on_ack(now, 0, 4, Some(Duration::ZERO)), Some(3 * ms));
        assert_eq!(
            h.on_ack(now, 0, 3, Some(Duration::ZERO)),
            None,
            "acks only go up"
        );
        assert_eq!(
            h.on_ack(now, 0, 99, Some(Duration::ZERO)),
            None,
            "bogus ack ignored"
        );
        h.trim([0, 1]);
        assert_eq!(h.len(), 10, "peer 1 acked nothing");
        h.trim([0]);
        assert_eq!(h.len(), 6);
        // A request for something the requester acked is ignored.
        assert_eq!(h.answer(now + DELAY, 0, 1, 4), RexmitAnswer::default());
        // Resent packets give no sample.
        let later = now + Duration::from_secs(1);
        assert_eq!(h.answer(later, 1, 7, 7).resend.len(), 1);
        assert_eq!(h.on_ack(later, 1, 7, Some(Duration::ZERO)), None);
        h.forget_peer(0);
        assert_eq!(h.on_ack(later, 0, 8, Some(ms)), Some(later - t0 - ms));
        assert_eq!(
            h.on_ack(later, 0, 9, None),
            None,
            "unknown delay: no sample"
        );
        assert_eq!(h.on_ack(later, 0, 9, Some(ms)), None, "but the level moved");
        h.trim(std::iter::empty());
        assert_eq!(h.len(), 0, "alone: nobody can ask");
    }
}
