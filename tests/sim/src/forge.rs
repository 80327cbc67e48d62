//! Forged and replayed datagrams, for the authentication invariant.

use bytes::{Bytes, BytesMut};

use crate::rng::SimRng;
use heartbeat_core::wire::{
    native, AuthKey, AuthMethod, Holdings, Keyring, Message, NodeStatus, Packet, Status,
};

/// What kind of bad datagram to inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForgeKind {
    /// A plausible packet signed with the right key index but a wrong secret.
    WrongKey,
    /// A plausible packet naming a key index absent from `authkeys`.
    UnknownKeyIndex,
    /// A genuine datagram with one bit flipped.
    BitFlip,
    /// A genuine sequenced datagram the target already received, sent again.
    ReplayDuplicate,
    /// A genuine datagram from an earlier generation of a node that restarted,
    /// sent to a node that already heard the new generation.
    ReplayOldGeneration,
}

impl ForgeKind {
    /// Every kind, for random choice.
    pub const ALL: [ForgeKind; 5] = [
        ForgeKind::WrongKey,
        ForgeKind::UnknownKeyIndex,
        ForgeKind::BitFlip,
        ForgeKind::ReplayDuplicate,
        ForgeKind::ReplayOldGeneration,
    ];
}

/// The cluster keyring with the active key's secret replaced.
pub fn wrong_secret(keys: &Keyring) -> Keyring {
    let mut k = keys.clone();
    if let Some(key) = k.keys.get_mut(&k.active) {
        key.secret = b"not the cluster secret".to_vec();
    }
    k
}

/// A keyring signing with an index the cluster does not have.
pub fn unknown_index(keys: &Keyring) -> Keyring {
    let index = (0..=15u8)
        .rev()
        .find(|i| !keys.keys.contains_key(i))
        .unwrap_or(15);
    let mut k = Keyring {
        active: index,
        keys: Default::default(),
    };
    k.keys.insert(
        index,
        AuthKey {
            method: AuthMethod::Sha256,
            secret: b"attacker".to_vec(),
        },
    );
    k
}

/// A forged packet pretending to come from `template`'s sender: the next sequence
/// number, carrying either an application payload or a status claiming it holds
/// every group.
pub fn forged_packet(template: &Packet, payload: Bytes, as_status: bool) -> Packet {
    let message = if as_status {
        Message::Status(Status {
            status: NodeStatus::Active,
            deadtime_ms: 3_600_000,
            holdings: Holdings::All,
            timestamp_ms: u64::MAX / 2,
            view: None,
        })
    } else {
        Message::App { payload }
    };
    Packet {
        from: template.from.clone(),
        from_uuid: template.from_uuid,
        generation: template.generation,
        seq: template.seq + 1,
        dest: None,
        message,
    }
}

/// Encode `packet` with a (bad) keyring; `None` if the codec refuses.
pub fn sign_with(packet: &Packet, keys: &Keyring) -> Option<Bytes> {
    native::encode(packet, keys).ok()
}

/// The last packet node `node` sent (a template for forgeries), if any.
pub fn template_of(cluster: &crate::Cluster, node: usize) -> Option<Packet> {
    cluster.last_sent(node).map(|p| (*p).clone())
}

/// `bytes` with one random bit flipped.
pub fn flip_bit(bytes: &Bytes, rng: &mut SimRng) -> Bytes {
    let mut b = BytesMut::from(&bytes[..]);
    if !b.is_empty() {
        let i = rng.index(b.len());
        b[i] ^= 1 << rng.index(8);
    }
    b.freeze()
}
