//! Reliable delivery of sequenced messages.
//!
//! - [`sender_history`]: our sequence counter, the bounded history ring,
//!   acknowledgements received, answers to retransmission requests.
//! - [`receiver_tracker`]: per peer, duplicate/replay filtering, gap detection,
//!   retransmission requests and acknowledgements to send.
//!
//! # What is sequenced
//!
//! One counter per sender generation, starting at 1, shared by every
//! sequenced message whatever its destination: `IpRequest`, `IpRequestResp`,
//! `Starting`, `ResourceReport`, `AskResources`, `Shutdone` and application
//! messages. Messages addressed to one node still travel on all media and
//! through every receiver's bookkeeping, so the sequence space has no holes
//! for anyone.
//!
//! `RexmitRequest`, `NakRexmit` and `Ack` are unsequenced control messages
//! (seq 0; Heartbeat's `NS_` types).
//!
//! **`Ownership` announcements are not sequenced** either: they are periodic
//! and superseded by the next one. Like a status, an announcement carries the
//! sender's highest sequenced number in its `seq` field; a receiver drops an
//! announcement whose number is below a resource message of the same sender
//! it already delivered (it predates it), and one whose `serial` is not above
//! the last seen from that generation (late copy, duplicate or replay).
//!
//! **Status packets are not sequenced** (unlike Heartbeat): a lost heartbeat
//! is superseded by the next one and retransmitting it would be useless
//! traffic. Instead a status carries, in its `seq` field, the sender's
//! *highest sequenced number sent so far*; a receiver that sees a number above
//! what it received learns of tail loss (the last message of a burst) and
//! requests it. Replayed statuses are refused by their timestamp, which each
//! sender makes strictly increasing within a generation.

pub(crate) mod receiver_tracker;
pub(crate) mod sender_history;

use crate::wire::Message;

/// Whether `message` travels with a sequence number of its own.
pub(crate) fn is_sequenced(message: &Message) -> bool {
    !matches!(
        message,
        Message::Status(_)
            | Message::Ownership(_)
            | Message::RexmitRequest { .. }
            | Message::NakRexmit { .. }
            | Message::Ack { .. }
    )
}
