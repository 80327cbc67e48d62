//! Per-group ownership announcements ([`Ownership`]): the steady-state
//! information that makes ownership self-healing.
//!
//! # What is announced
//!
//! For every group (haresources order): `Held` while this node starts or
//! runs it, `Unmanaged` after its stop failed (it may still run and cannot be
//! stopped), `Free` otherwise (stopped, or being stopped). A node announces
//! at comm-up, whenever one of these states changes, whenever a peer joins,
//! returns or restarts, on a peer's `Starting`, and periodically anyway: a
//! lost announcement is superseded by the next one. The period starts at
//! `announce` ([`Timers`]) after every announcement
//! caused by a change and doubles after each periodic one, up to
//! `announce_max` (deadtime): quick repetition while things move, little
//! traffic in a steady state. Each datagram describes at most
//! [`MAX_ANNOUNCED_GROUPS`] groups (one datagram per run of that many).
//!
//! # What a receiver does with each group's state
//!
//! - **Conflict** (held there and held here). The copy with the lower
//!   priority stops: an unmanaged copy beats a managed one (it cannot be
//!   stopped); between two managed copies the better rank wins (preferred
//!   node first, then configured node order, computed the same way
//!   everywhere). The loser stops its copy, with no handshake and no restart
//!   of the winner. The winner answers with its own announcement (at most
//!   one per `reply_gap`), so a loser that never saw the winner die (a
//!   one-way cut, a restart inside a partition) still learns of it. Exactly
//!   one side stops, never both.
//! - **Belief refresh** (held there, not here): the sender is the believed
//!   holder.
//! - **Belief expiry** (free there while we believed the sender holds it):
//!   the holder is now whichever other live peer last announced it held, or
//!   nobody; in the latter case the rightful node acquires it through the
//!   handshake once `orphan_grace` has passed (a new holder's announcement
//!   may still be on its way). This repairs stale beliefs: a group released
//!   to a node that died before starting it, or "each believes the other
//!   owns it".
//!
//! Freshness is the engine's job: announcements reach this module only from
//! live peers, in serial order, and never when older than a resource message
//! of the same sender already delivered (see `engine::delivery`). A sender
//! whose group list differs (digest) is ignored.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::group::Then;
use super::{LocalState, Resources, Timers};
use crate::config::ResourceGroup;
use crate::wire::{GroupHold, Message, Ownership, MAX_ANNOUNCED_GROUPS};

/// Announcement bookkeeping of one node: what it sent, when it sends next,
/// and what each live peer announced.
#[derive(Debug)]
pub(super) struct Announcer {
    /// Digest of our group list.
    digest: u32,
    /// Serial of the last announcement sent.
    serial: u64,
    /// Announce at the end of the current input (a change).
    due: bool,
    /// The periodic announcement is due.
    periodic_due: bool,
    /// Current period of the periodic announcement.
    period: Duration,
    /// A conflict we win was seen: announce unless we just did.
    reply_due: bool,
    /// When we last announced.
    last_sent_at: Option<Instant>,
    /// What we last announced.
    last_sent: Vec<GroupHold>,
    /// Next periodic announcement.
    next_at: Option<Instant>,
    /// Latest state of every group announced by each live peer.
    heard: BTreeMap<String, Vec<GroupHold>>,
    /// Latest fault bit of every group announced by each live peer.
    heard_faults: BTreeMap<String, Vec<bool>>,
    /// What we last announced as faulty.
    last_faults: Vec<bool>,
}

impl Announcer {
    /// Bookkeeping for these groups.
    pub(super) fn new(groups: &[ResourceGroup]) -> Self {
        Announcer {
            digest: digest(groups),
            serial: 0,
            due: false,
            periodic_due: false,
            period: Duration::ZERO,
            reply_due: false,
            last_sent_at: None,
            last_sent: Vec::new(),
            next_at: None,
            heard: BTreeMap::new(),
            heard_faults: BTreeMap::new(),
            last_faults: Vec::new(),
        }
    }

    /// The next periodic announcement.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.next_at
    }

    /// Whether `node`'s latest announcement says it holds group `i`.
    pub(super) fn heard_holding(&self, node: &str, i: usize) -> bool {
        self.heard
            .get(node)
            .and_then(|h| h.get(i))
            .is_some_and(|h| *h != GroupHold::Free)
    }

    /// Whether `node`'s latest announcement marks group `i` faulty.
    pub(super) fn heard_faulty(&self, node: &str, i: usize) -> bool {
        self.heard_faults
            .get(node)
            .and_then(|f| f.get(i))
            .is_some_and(|f| *f)
    }

    /// Whether `node` announced its groups (with our group list) since it
    /// became alive.
    pub(super) fn heard_from(&self, node: &str) -> bool {
        self.heard.contains_key(node)
    }

    /// Whether `node`'s latest announcement says it holds any group.
    pub(super) fn heard_holding_any(&self, node: &str) -> bool {
        self.heard
            .get(node)
            .is_some_and(|h| h.iter().any(|h| *h != GroupHold::Free))
    }

    /// Announce at the end of the current input (a change).
    pub(super) fn announce(&mut self) {
        self.due = true;
    }

    /// A peer left (or restarted): forget what it announced.
    pub(super) fn forget(&mut self, node: &str) {
        self.heard.remove(node);
        self.heard_faults.remove(node);
    }

    /// The periodic announcement falls due at its deadline.
    pub(super) fn on_timeout(&mut self, now: Instant) {
        if self.next_at.is_some_and(|t| t <= now) {
            self.next_at = None;
            self.periodic_due = true;
        }
    }

    /// Record `from`'s announcement `o` (of our `groups` groups). Returns the
    /// groups it announced healthy again after a fault, or `None` when it
    /// describes another group list (then it is ignored).
    pub(super) fn record(
        &mut self,
        from: &str,
        o: &Ownership,
        groups: usize,
    ) -> Option<Vec<usize>> {
        if o.groups_digest != self.digest {
            return None;
        }
        let first = usize::from(o.first);
        let heard = self
            .heard
            .entry(from.to_owned())
            .or_insert_with(|| vec![GroupHold::Free; groups]);
        for (k, hold) in o.holds.iter().enumerate() {
            if let Some(slot) = heard.get_mut(first + k) {
                *slot = *hold;
            }
        }
        let faults = self
            .heard_faults
            .entry(from.to_owned())
            .or_insert_with(|| vec![false; groups]);
        let mut recovered = Vec::new();
        for k in 0..o.holds.len() {
            if let Some(slot) = faults.get_mut(first + k) {
                let faulty = o.faults.get(k).copied().unwrap_or(false);
                if *slot && !faulty {
                    recovered.push(first + k);
                }
                *slot = faulty;
            }
        }
        Some(recovered)
    }

    /// End of an input: the announcement of `holds` and `faults` (this
    /// node's state of every group) if one is due, if they changed since
    /// the last one, or to answer a conflict we win; one message per run of
    /// [`MAX_ANNOUNCED_GROUPS`] groups. Empty when nothing is due.
    fn compose(
        &mut self,
        now: Instant,
        holds: Vec<GroupHold>,
        faults: Vec<bool>,
        timers: &Timers,
    ) -> Vec<Ownership> {
        let reply = std::mem::take(&mut self.reply_due)
            && self
                .last_sent_at
                .is_none_or(|t| now >= t + timers.reply_gap);
        let change = self.due || reply || holds != self.last_sent || faults != self.last_faults;
        if !change && !self.periodic_due {
            return Vec::new();
        }
        let mut messages = Vec::new();
        for (c, (chunk, fchunk)) in holds
            .chunks(MAX_ANNOUNCED_GROUPS)
            .zip(faults.chunks(MAX_ANNOUNCED_GROUPS))
            .enumerate()
        {
            let Ok(first) = u16::try_from(c * MAX_ANNOUNCED_GROUPS) else {
                break; // more than 65,535 groups: the rest is never announced
            };
            self.serial += 1;
            messages.push(Ownership {
                serial: self.serial,
                groups_digest: self.digest,
                first,
                holds: chunk.to_vec(),
                faults: if fchunk.iter().any(|f| *f) {
                    fchunk.to_vec()
                } else {
                    Vec::new()
                },
            });
        }
        self.period = if change {
            timers.announce
        } else {
            (self.period * 2).clamp(timers.announce, timers.announce_max)
        };
        self.last_sent = holds;
        self.last_faults = faults;
        self.last_sent_at = Some(now);
        self.next_at = Some(now + self.period);
        self.due = false;
        self.periodic_due = false;
        messages
    }
}

/// FNV-1a (32 bit) over `key NUL preferred NUL` of every group, in order.
fn digest(groups: &[ResourceGroup]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for g in groups {
        for part in [g.key.as_bytes(), g.preferred_node.as_bytes()] {
            for b in part.iter().chain(&[0u8]) {
                h ^= u32::from(*b);
                h = h.wrapping_mul(0x0100_0193);
            }
        }
    }
    h
}

impl Resources {
    /// End of every input: send the announcement if one is due (see
    /// [`Announcer::compose`]); none before comm-up, without groups, or
    /// once shutdown is over.
    pub(super) fn flush_announcement(&mut self, now: Instant) {
        if !self.comm_up || self.groups.is_empty() || self.shutdown_reported {
            self.ownership.next_at = None;
            return;
        }
        let holds = self
            .groups
            .iter()
            .map(|g| match g.state() {
                LocalState::Starting | LocalState::Running => GroupHold::Held,
                LocalState::Failed => GroupHold::Unmanaged,
                LocalState::Stopped | LocalState::Stopping => GroupHold::Free,
            })
            .collect();
        let faults = self.groups.iter().map(|g| g.health.faulty).collect();
        for o in self.ownership.compose(now, holds, faults, &self.timers) {
            self.send(None, Message::Ownership(o));
        }
    }

    /// Apply live peer `from`'s announcement `o`, once recorded, to every
    /// group it describes.
    pub(super) fn apply_announcement(&mut self, now: Instant, from: &str, o: &Ownership) {
        let first = usize::from(o.first);
        for (k, hold) in o.holds.iter().enumerate() {
            if first + k < self.groups.len() {
                self.apply_hold(now, from, first + k, *hold);
            }
        }
    }

    /// Apply `from`'s state of group `i`.
    fn apply_hold(&mut self, now: Instant, from: &str, i: usize, hold: GroupHold) {
        if hold == GroupHold::Free {
            if self.groups[i].owner.as_deref() == Some(from) {
                let other = self.other_holder(i, from);
                let g = &mut self.groups[i];
                if other.is_none() {
                    g.orphaned_at = Some(now);
                }
                g.believe_owner(other);
            }
            return;
        }
        if self.groups[i].held_here() {
            if !self.shutting_down {
                self.conflict(i, from, hold);
            }
            return;
        }
        let g = &mut self.groups[i];
        // A request of ours that `from` was not asked in (it began while we
        // believed `from` dead, and `from` returned) must not complete: the
        // other peers' consent would start a second copy beside the one
        // `from` announces. `from` keeps the group; if it is in the request,
        // its answer (after its stop) decides.
        if g.request
            .as_ref()
            .is_some_and(|r| !r.awaiting.contains(from))
        {
            g.request = None;
        }
        if g.owner.as_deref() != Some(from) {
            g.believe_owner(Some(from.to_owned()));
        }
        g.orphaned_at = None;
    }

    /// Group `i` is held here and by `from` (`hold` is not `Free`): the
    /// worse copy stops in favour of the better one, which answers.
    fn conflict(&mut self, i: usize, from: &str, hold: GroupHold) {
        if self.groups[i].state() == LocalState::Failed {
            // Ours cannot be stopped: theirs must go.
            self.ownership.reply_due |= hold == GroupHold::Held;
            return;
        }
        let they_win = hold == GroupHold::Unmanaged || self.rank(i, from) < self.rank(i, &self.me);
        if !they_win {
            self.ownership.reply_due = true;
            return;
        }
        self.groups[i].request = None;
        self.stop(i, |after| {
            after.failed_start = false;
            after.then = Then::YieldTo(from.to_owned());
        });
    }

    /// The best-ranked live peer but `except` whose latest announcement says
    /// it holds group `i`.
    fn other_holder(&self, i: usize, except: &str) -> Option<String> {
        self.peers
            .iter()
            .filter(|p| p.as_str() != except && self.ownership.heard_holding(p, i))
            .min_by_key(|p| self.rank(i, p))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(key: &str, preferred: &str) -> ResourceGroup {
        ResourceGroup {
            key: key.into(),
            preferred_node: preferred.into(),
            resources: Vec::new(),
        }
    }

    #[test]
    fn digest_depends_on_keys_preferred_nodes_and_order() {
        let a = [group("g1", "n1"), group("g2", "n2")];
        let b = [group("g2", "n2"), group("g1", "n1")];
        let c = [group("g1", "n2"), group("g2", "n2")];
        let d = [group("g1n", "1"), group("g2", "n2")];
        assert_eq!(digest(&a), digest(&a.clone()));
        assert_ne!(digest(&a), digest(&b));
        assert_ne!(digest(&a), digest(&c));
        assert_ne!(digest(&a), digest(&d));
        assert_eq!(digest(&[]), 0x811c_9dc5);
    }
}
