//! Bounds on control-socket clients, so that no reader of the status can
//! use up the daemon's file descriptors: every connection holds a
//! [`ClientSlot`] taken from one [`Admission`], bounded in total, per uid
//! and (for long-lived event streams) per kind, with a few slots that only
//! privileged callers may take.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// How many control clients the daemon serves at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientLimits {
    /// Connections in total, privileged ones included.
    pub total: usize,
    /// Connections of one unprivileged uid.
    pub per_uid: usize,
    /// Event subscribers in total (each one is a connection too).
    pub subscribers: usize,
    /// Of `total`, slots that only privileged callers may take, so that a
    /// flood of readers cannot lock an operator out of `standby`.
    pub privileged_reserve: usize,
}

/// File descriptors kept free for resource scripts, checks, hooks, media
/// sockets and log files, at the least.
const MIN_FD_HEADROOM: u64 = 64;
/// ... and at the most (a quarter of the limit in between).
const MAX_FD_HEADROOM: u64 = 512;
/// No more connections than this, however high the fd limit.
const MAX_CLIENTS: u64 = 1024;
/// No fewer than this, however low the fd limit.
const MIN_CLIENTS: u64 = 8;

impl ClientLimits {
    /// Limits that leave a quarter of `fd_limit` (between 64 and 512
    /// descriptors) to everything that is not a control client.
    pub fn for_fd_limit(fd_limit: u64) -> ClientLimits {
        let headroom = (fd_limit / 4).clamp(MIN_FD_HEADROOM, MAX_FD_HEADROOM);
        let total = fd_limit
            .saturating_sub(headroom)
            .clamp(MIN_CLIENTS, MAX_CLIENTS);
        let total = usize::try_from(total).unwrap_or(usize::MAX);
        ClientLimits {
            total,
            per_uid: (total / 4).max(2),
            subscribers: (total / 2).max(1),
            privileged_reserve: (total / 8).max(1),
        }
    }

    /// Limits for this process's current soft `RLIMIT_NOFILE`.
    pub fn for_this_process() -> ClientLimits {
        let soft = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
            .map_or(1024, |(soft, _)| soft);
        ClientLimits::for_fd_limit(soft)
    }
}

/// Why a client was turned away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Every slot open to this caller is taken.
    TooManyClients(usize),
    /// This uid holds its share of connections.
    TooManyForUid(u32, usize),
    /// Every event-subscriber slot is taken.
    TooManySubscribers(usize),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::TooManyClients(n) => write!(f, "the daemon serves {n} clients already"),
            Refusal::TooManyForUid(uid, n) => {
                write!(f, "uid {uid} holds {n} control connections already")
            }
            Refusal::TooManySubscribers(n) => write!(f, "{n} event streams are open already"),
        }
    }
}

/// The counts behind every [`ClientSlot`] of one control socket.
#[derive(Debug)]
pub struct Admission {
    limits: ClientLimits,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    subscribers: usize,
    per_uid: HashMap<u32, usize>,
}

impl Admission {
    /// Admission under `limits`.
    pub fn new(limits: ClientLimits) -> Arc<Admission> {
        Arc::new(Admission {
            limits,
            counts: Mutex::new(Counts::default()),
        })
    }

    /// The limits in force.
    pub fn limits(&self) -> ClientLimits {
        self.limits
    }

    /// Connections held now.
    pub fn clients(&self) -> usize {
        self.lock().total
    }

    /// A slot for a connection of `uid` (`privileged`: may change state),
    /// or why not.
    pub fn admit(self: &Arc<Self>, uid: u32, privileged: bool) -> Result<ClientSlot, Refusal> {
        let mut counts = self.lock();
        let open_to_caller = if privileged {
            self.limits.total
        } else {
            self.limits
                .total
                .saturating_sub(self.limits.privileged_reserve)
        };
        if counts.total >= open_to_caller {
            return Err(Refusal::TooManyClients(counts.total));
        }
        let of_uid = counts.per_uid.get(&uid).copied().unwrap_or(0);
        if !privileged && of_uid >= self.limits.per_uid {
            return Err(Refusal::TooManyForUid(uid, of_uid));
        }
        counts.total += 1;
        *counts.per_uid.entry(uid).or_insert(0) += 1;
        Ok(ClientSlot {
            admission: Arc::clone(self),
            uid,
            privileged,
            subscriber: false,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One admitted connection; gives its slot back when dropped.
#[derive(Debug)]
pub struct ClientSlot {
    admission: Arc<Admission>,
    uid: u32,
    privileged: bool,
    subscriber: bool,
}

impl ClientSlot {
    /// Whether the peer may change state (decided once, at admission).
    pub fn privileged(&self) -> bool {
        self.privileged
    }

    /// Turns this connection into an event subscriber, if a subscriber
    /// slot is free.
    pub fn subscribe(&mut self) -> Result<(), Refusal> {
        if self.subscriber {
            return Ok(());
        }
        let mut counts = self.admission.lock();
        if counts.subscribers >= self.admission.limits.subscribers {
            return Err(Refusal::TooManySubscribers(counts.subscribers));
        }
        counts.subscribers += 1;
        self.subscriber = true;
        Ok(())
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut counts = self.admission.lock();
        counts.total -= 1;
        if self.subscriber {
            counts.subscribers -= 1;
        }
        if let Some(n) = counts.per_uid.get_mut(&self.uid) {
            *n -= 1;
            if *n == 0 {
                counts.per_uid.remove(&self.uid);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ClientLimits {
        ClientLimits {
            total: 8,
            per_uid: 3,
            subscribers: 2,
            privileged_reserve: 2,
        }
    }

    #[test]
    fn limits_leave_headroom_under_the_fd_limit() {
        let small = ClientLimits::for_fd_limit(256);
        assert_eq!(small.total, 192);
        let large = ClientLimits::for_fd_limit(1 << 20);
        assert_eq!(large.total, 1024);
        let tiny = ClientLimits::for_fd_limit(16);
        assert_eq!(tiny.total, 8);
        for l in [small, large, tiny] {
            assert!(l.per_uid < l.total && l.subscribers < l.total);
            assert!(l.privileged_reserve >= 1);
        }
        assert!(ClientLimits::for_fd_limit(20_000).total <= 20_000 - 512);
    }

    #[test]
    fn a_uid_gets_its_share_and_slots_come_back() {
        let admission = Admission::new(limits());
        let held: Vec<_> = (0..3)
            .map(|_| admission.admit(1000, false).unwrap())
            .collect();
        assert_eq!(
            admission.admit(1000, false).unwrap_err(),
            Refusal::TooManyForUid(1000, 3)
        );
        let other = admission.admit(1001, false).unwrap();
        drop(held);
        assert_eq!(admission.clients(), 1);
        assert!(admission.admit(1000, false).is_ok());
        drop(other);
        assert_eq!(admission.clients(), 0);
        assert!(admission.lock().per_uid.is_empty());
    }

    #[test]
    fn readers_cannot_take_the_privileged_reserve() {
        let admission = Admission::new(limits());
        let readers: Vec<_> = (0..6)
            .map(|i| admission.admit(2000 + i, false).unwrap())
            .collect();
        assert_eq!(
            admission.admit(3000, false).unwrap_err(),
            Refusal::TooManyClients(6)
        );
        let root: Vec<_> = (0..2).map(|_| admission.admit(0, true).unwrap()).collect();
        assert_eq!(
            admission.admit(0, true).unwrap_err(),
            Refusal::TooManyClients(8)
        );
        drop((readers, root));
        assert_eq!(admission.clients(), 0);
    }

    #[test]
    fn subscribers_are_bounded_apart() {
        let admission = Admission::new(limits());
        let mut slots: Vec<_> = (0..3).map(|i| admission.admit(i, false).unwrap()).collect();
        slots[0].subscribe().unwrap();
        slots[0].subscribe().unwrap();
        slots[1].subscribe().unwrap();
        assert_eq!(slots[2].subscribe(), Err(Refusal::TooManySubscribers(2)));
        slots.remove(0);
        slots[1].subscribe().unwrap();
        drop(slots);
        let counts = admission.lock();
        assert_eq!((counts.total, counts.subscribers), (0, 0));
    }
}
