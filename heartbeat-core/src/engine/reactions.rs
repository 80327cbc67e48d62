//! Reactions to state changes: membership changes become events, tracker
//! resets and calls into the resource layer; the resource layer's outputs
//! become sequenced messages, actions and events.

use std::time::Instant;

use super::links::LinkChange;
use super::membership::Change;
use super::timer::Timer;
use super::{Engine, Event, NodeState};
use crate::wire::{Message, NodeStatus};

impl Engine {
    /// Act on everything membership and resources produced, until quiet.
    pub(super) fn react(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(change) = self.membership.poll_change() {
                progressed = true;
                self.apply_change(now, change);
            }
            while let Some((dest, message)) = self.resources.poll_send() {
                progressed = true;
                self.send_for_resources(now, dest, message);
            }
            while let Some(action) = self.resources.poll_action() {
                progressed = true;
                self.actions.push_back(action);
            }
            while let Some(event) = self.resources.poll_event() {
                progressed = true;
                if event == Event::ShutdownComplete {
                    self.leave(now);
                }
                self.events.push_back(event);
            }
            if !progressed {
                break;
            }
        }
    }

    fn apply_change(&mut self, now: Instant, change: Change) {
        let comm_up = self.membership.comm_up();
        match change {
            Change::Node { peer, state } => {
                let node = self.membership.peer(peer).name.clone();
                self.events.push_back(Event::NodeState { node, state });
            }
            Change::Late { peer, interval } => {
                let node = self.membership.peer(peer).name.clone();
                self.events
                    .push_back(Event::LateHeartbeat { node, interval });
            }
            Change::Restarted {
                peer,
                generation,
                was_alive,
            } => {
                let node = self.membership.peer(peer).name.clone();
                self.events.push_back(Event::NodeRestarted {
                    node: node.clone(),
                    generation,
                });
                // A restarted process holds nothing: to resources it died and
                // joined again. (A dead peer that restarts joins through its
                // status.)
                if was_alive {
                    self.history.peer_alive(peer);
                    if comm_up {
                        self.resources.peer_dead(now, &node);
                        self.resources.peer_joined(now, &node);
                    }
                } else {
                    self.history.peer_gone(peer);
                }
            }
            Change::Joined { peer, returned } => {
                let node = self.membership.peer(peer).name.clone();
                if returned {
                    self.events
                        .push_back(Event::NodeReturned { node: node.clone() });
                }
                self.history.peer_alive(peer);
                if comm_up {
                    self.resources.peer_joined(now, &node);
                }
                for (seq, message) in std::mem::take(&mut self.held[peer]) {
                    self.deliver(now, peer, seq, message);
                }
            }
            Change::Died { peer, departed } => {
                let lost = self.trackers[peer].peer_died();
                self.report_lost(peer, lost);
                self.history.peer_gone(peer);
                self.trim_history();
                // A departure reached resources as the `Shutdone` message.
                if comm_up && !departed {
                    let node = self.membership.peer(peer).name.clone();
                    self.resources.peer_dead(now, &node);
                }
            }
            Change::Local(status) => {
                let state = match status {
                    NodeStatus::Init => NodeState::Init,
                    NodeStatus::Up => NodeState::Up,
                    NodeStatus::Active => NodeState::Active,
                };
                self.events.push_back(Event::NodeState {
                    node: self.config.local_node.clone(),
                    state,
                });
                if !self.departed {
                    self.send_status(now);
                }
            }
            Change::CommUp => {
                self.events.push_back(Event::CommUp);
                let alive: Vec<String> = self
                    .membership
                    .peers()
                    .iter()
                    .filter(|p| p.is_alive())
                    .map(|p| p.name.clone())
                    .collect();
                self.resources.comm_up(now, &alive);
            }
        }
    }

    fn send_for_resources(&mut self, now: Instant, dest: Option<String>, message: Message) {
        if dest.as_deref() == Some(self.config.local_node.as_str()) {
            let local = self.config.local_node.clone();
            self.resources.on_message(now, &local, &message);
            return;
        }
        if matches!(message, Message::Ownership(_)) {
            return self.send_announcement(now, dest, message);
        }
        if let Err(e) = self.send_sequenced(now, dest, message) {
            self.send_failed(e);
        }
    }

    /// Resources are released: announce `Shutdone` and stop heartbeating.
    /// The announcement goes out twice (duplicates are harmless), followed by
    /// a last status whose high-water mark lets a peer that lost both copies
    /// request it (natively; Heartbeat sends no status after `shutdone`).
    fn leave(&mut self, now: Instant) {
        if self.departed {
            return;
        }
        match self.send_sequenced(now, None, Message::Shutdone) {
            Ok(()) => {
                if let Some(copy) = self.transmits.back().cloned() {
                    self.transmits.push_back(copy);
                }
            }
            Err(e) => self.send_failed(e),
        }
        if !self.dialect.speaks_linux_ha() {
            self.send_status(now);
        }
        self.departed = true;
        self.timers.stop(Timer::Keepalive);
    }

    /// Report a link state change as an event.
    pub(super) fn link_event(&mut self, change: LinkChange) {
        let node = self
            .membership
            .peers()
            .get(change.row)
            .map_or_else(|| self.config.local_node.clone(), |p| p.name.clone());
        let link = self.config.media[change.medium].dev().to_owned();
        self.events.push_back(Event::LinkState {
            node,
            link,
            state: change.state,
        });
    }
}
