//! `auto_failback legacy`: ip-request at comm-up, retries, node death.

use super::harness::RETRY;
use super::harness::{n, secs, Cluster};
use crate::config::AutoFailback;
use crate::wire::Message;

#[test]
fn startup_together_each_takes_its_own() {
    let mut c = Cluster::new(2, AutoFailback::Legacy);
    c.start_all(&[1, 2]);
    c.assert_owner("g1", 1);
    c.assert_owner("g2", 2);
    assert_eq!(c.starts["g1"], 1);
    assert_eq!(c.starts["g2"], 1);
    assert_eq!(c.owner_seen_by(1, "g2").as_deref(), Some("n2"));
    assert_eq!(c.owner_seen_by(2, "g1").as_deref(), Some("n1"));
}

#[test]
fn alone_takes_everything_without_asking() {
    let mut c = Cluster::new(2, AutoFailback::Legacy);
    c.boot(1);
    c.comm_up(1);
    c.assert_owner("g1", 1);
    c.assert_owner("g2", 1);
    assert!(c.sent.is_empty());
    assert_eq!(c.rs[&n(1)].protocol_timeout(), None);
}

/// n1 holds both groups; n2 comes up and asks for g2; n1's answer is lost.
/// n2 asks again after RETRY and gets g2.
#[test]
fn failback_with_lost_response_is_retried() {
    let mut c = Cluster::new(2, AutoFailback::Legacy);
    c.boot(1);
    c.comm_up(1);
    c.boot(2);
    c.joined(1, 2);
    c.joined(2, 1);
    let mut dropped = false;
    c.drop_when(move |from, _, m| {
        let hit = !dropped && from == "n1" && matches!(m, Message::IpRequestResp { .. });
        dropped |= hit;
        hit
    });
    c.comm_up(2);
    // n1 released g2, but n2 never heard it.
    assert!(c.runners("g2").is_empty());
    let retry_at = c.rs[&n(2)].protocol_timeout().expect("retry pending");
    assert_eq!(retry_at, c.now + RETRY);
    c.advance(secs(1));
    assert!(c.runners("g2").is_empty());
    c.advance(secs(1));
    c.assert_owner("g2", 2);
    c.assert_owner("g1", 1);
    assert_eq!(c.rs[&n(2)].protocol_timeout(), None);
}

/// The holder never answers: the requester keeps asking and never starts the
/// group behind its back; when the holder dies it takes it.
#[test]
fn unanswered_request_waits_until_peer_dead() {
    let mut c = Cluster::new(2, AutoFailback::Legacy);
    c.boot(1);
    c.comm_up(1);
    c.boot(2);
    c.joined(1, 2);
    c.joined(2, 1);
    let asks = std::rc::Rc::new(std::cell::Cell::new(0));
    let counter = asks.clone();
    c.drop_when(move |from, _, m| {
        if matches!(m, Message::IpRequest { .. }) {
            counter.set(counter.get() + 1);
        }
        from == "n2"
    });
    c.comm_up(2);
    c.advance(secs(30));
    c.assert_owner("g2", 1);
    // One broadcast, then one resend every RETRY: 30 s / 2 s = 15 resends.
    assert_eq!(asks.get(), 16);
    c.kill(1);
    c.assert_owner("g1", 2);
    c.assert_owner("g2", 2);
}

#[test]
fn node_death_two_nodes() {
    let mut c = Cluster::new(2, AutoFailback::Legacy);
    c.start_all(&[1, 2]);
    c.kill(2);
    c.assert_owner("g2", 1);
    c.assert_owner("g1", 1);
    // n2 returns and gets g2 back (legacy: preferred node reclaims).
    c.boot(2);
    c.joined(1, 2);
    c.joined(2, 1);
    c.comm_up(2);
    c.assert_owner("g2", 2);
    c.assert_owner("g1", 1);
}

/// Heartbeat 3.0.6 made both survivors start the group. Here exactly one does.
#[test]
fn three_nodes_kill_owner_exactly_one_taker() {
    for victim in 1..=3 {
        let mut c = Cluster::new(3, AutoFailback::Legacy);
        c.start_all(&[1, 2, 3]);
        let g = format!("g{victim}");
        c.kill(victim);
        assert_eq!(c.starts[&g], 2, "one initial start, one takeover");
        let taker = if victim == 1 { 2 } else { 1 };
        c.assert_owner(&g, taker);
        for i in 1..=3 {
            if i != victim {
                c.assert_owner(&format!("g{i}"), i);
            }
        }
    }
}
