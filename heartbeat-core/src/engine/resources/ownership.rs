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
//! `announce` ([`Timers`](super::timers::Timers)) after every announcement
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
use super::{health, nice, LocalState, Resources};
use crate::config::{AutoFailback, ResourceGroup};
use crate::wire::{GroupHold, Message, Ownership, MAX_ANNOUNCED_GROUPS};

/// Announcement bookkeeping of one node.
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
}

/// FNV-1a (32 bit) over `key NUL preferred NUL` of every group, in order.
pub(crate) fn digest(groups: &[ResourceGroup]) -> u32 {
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

/// What this node announces for each group.
fn local_holds(r: &Resources) -> Vec<GroupHold> {
    r.groups
        .iter()
        .map(|g| match g.state() {
            LocalState::Starting | LocalState::Running => GroupHold::Held,
            LocalState::Failed => GroupHold::Unmanaged,
            LocalState::Stopped | LocalState::Stopping => GroupHold::Free,
        })
        .collect()
}

/// Announce at the end of the current input.
pub(super) fn announce(r: &mut Resources) {
    r.ownership.due = true;
}

/// End of every input: announce if due, if our holdings changed since the
/// last announcement, or to answer a conflict we win.
pub(super) fn flush(r: &mut Resources, now: Instant) {
    if !r.comm_up || r.groups.is_empty() || r.shutdown_reported {
        r.ownership.next_at = None;
        return;
    }
    let a = &mut r.ownership;
    let reply = std::mem::take(&mut a.reply_due)
        && a.last_sent_at.is_none_or(|t| now >= t + r.timers.reply_gap);
    let holds = local_holds(r);
    let faults: Vec<bool> = r.groups.iter().map(|g| g.health.faulty).collect();
    let change = r.ownership.due
        || reply
        || holds != r.ownership.last_sent
        || faults != r.ownership.last_faults;
    if !change && !r.ownership.periodic_due {
        return;
    }
    for (c, (chunk, fchunk)) in holds
        .chunks(MAX_ANNOUNCED_GROUPS)
        .zip(faults.chunks(MAX_ANNOUNCED_GROUPS))
        .enumerate()
    {
        let Ok(first) = u16::try_from(c * MAX_ANNOUNCED_GROUPS) else {
            break; // more than 65,535 groups: the rest is never announced
        };
        r.ownership.serial += 1;
        let msg = Ownership {
            serial: r.ownership.serial,
            groups_digest: r.ownership.digest,
            first,
            holds: chunk.to_vec(),
            faults: if fchunk.iter().any(|f| *f) {
                fchunk.to_vec()
            } else {
                Vec::new()
            },
        };
        r.send(None, Message::Ownership(msg));
    }
    let a = &mut r.ownership;
    a.period = if change {
        r.timers.announce
    } else {
        (a.period * 2).clamp(r.timers.announce, r.timers.announce_max)
    };
    a.last_sent = holds;
    a.last_faults = faults;
    a.last_sent_at = Some(now);
    a.next_at = Some(now + a.period);
    a.due = false;
    a.periodic_due = false;
}

/// The periodic announcement is due.
pub(super) fn on_timeout(r: &mut Resources, now: Instant) {
    if r.ownership.next_at.is_some_and(|t| t <= now) {
        r.ownership.next_at = None;
        r.ownership.periodic_due = true;
    }
}

/// A peer left: forget what it announced.
pub(super) fn forget(r: &mut Resources, node: &str) {
    r.ownership.heard.remove(node);
    r.ownership.heard_faults.remove(node);
}

/// An announcement from live peer `from`.
pub(super) fn on_announcement(r: &mut Resources, now: Instant, from: &str, o: &Ownership) {
    if !r.peers.contains(from) {
        return;
    }
    if r.policy != AutoFailback::Legacy {
        // Even one we cannot read (another group list): the peer is up.
        nice::on_announced(r, from);
    }
    if o.groups_digest != r.ownership.digest {
        return;
    }
    let n = r.groups.len();
    let first = usize::from(o.first);
    let heard = r
        .ownership
        .heard
        .entry(from.to_owned())
        .or_insert_with(|| vec![GroupHold::Free; n]);
    for (k, hold) in o.holds.iter().enumerate() {
        if let Some(slot) = heard.get_mut(first + k) {
            *slot = *hold;
        }
    }
    let faults = r
        .ownership
        .heard_faults
        .entry(from.to_owned())
        .or_insert_with(|| vec![false; n]);
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
    for i in recovered {
        health::peer_recovered(r, from, i);
    }
    for (k, hold) in o.holds.iter().enumerate() {
        if first + k < n {
            apply(r, now, from, first + k, *hold);
        }
    }
}

/// Apply `from`'s state of group `i`.
fn apply(r: &mut Resources, now: Instant, from: &str, i: usize, hold: GroupHold) {
    if hold == GroupHold::Free {
        if r.groups[i].owner.as_deref() == Some(from) {
            let other = other_holder(r, i, from);
            let g = &mut r.groups[i];
            g.refused = false;
            if other.is_none() {
                g.orphaned_at = Some(now);
            }
            g.owner = other;
        }
        return;
    }
    if r.groups[i].held_here() {
        if !r.shutting_down {
            conflict(r, i, from, hold);
        }
        return;
    }
    let g = &mut r.groups[i];
    if g.owner.as_deref() != Some(from) {
        g.owner = Some(from.to_owned());
        g.refused = false;
    }
    g.orphaned_at = None;
}

/// Group `i` is held here and by `from` (`hold` is not `Free`).
fn conflict(r: &mut Resources, i: usize, from: &str, hold: GroupHold) {
    if r.groups[i].state() == LocalState::Failed {
        // Ours cannot be stopped: theirs must go.
        r.ownership.reply_due |= hold == GroupHold::Held;
        return;
    }
    let they_win = hold == GroupHold::Unmanaged || r.rank(i, from) < r.rank(i, &r.me);
    if they_win {
        yield_to(r, i, from);
    } else {
        r.ownership.reply_due = true;
    }
}

/// Stop our copy of group `i` in favour of `winner`.
fn yield_to(r: &mut Resources, i: usize, winner: &str) {
    r.groups[i].request = None;
    r.stop(i, |after| {
        after.failed_start = false;
        after.then = Then::YieldTo(winner.to_owned());
    });
}

/// The best-ranked live peer but `except` whose latest announcement says it
/// holds group `i`.
fn other_holder(r: &Resources, i: usize, except: &str) -> Option<String> {
    r.peers
        .iter()
        .filter(|p| p.as_str() != except && r.ownership.heard_holding(p, i))
        .min_by_key(|p| r.rank(i, p))
        .cloned()
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
