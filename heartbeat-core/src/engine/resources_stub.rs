//! TEMPORARY stand-in for the resource state machine (branch `rsc`), with the
//! agreed interface and no behaviour, so that the engine glue compiles and
//! its membership and delivery tests run before the merge. Removed when
//! `engine/resources/` lands.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::time::Instant;

use crate::config::{AutoFailback, ResourceGroup};
use crate::engine::{ActionKind, Event, ResourceAction};
use crate::wire::{Holdings, Message};

/// Resource ownership (stub).
#[derive(Debug, Default)]
pub(crate) struct Resources {
    events: VecDeque<Event>,
}

impl Resources {
    pub(crate) fn new(
        _local: &str,
        _nodes: &[String],
        _groups: &[ResourceGroup],
        _policy: AutoFailback,
    ) -> Self {
        Resources::default()
    }
    pub(crate) fn comm_up(&mut self, _now: Instant, _peers_alive: &[String]) {}
    pub(crate) fn peer_joined(&mut self, _now: Instant, _node: &str) {}
    pub(crate) fn peer_dead(&mut self, _now: Instant, _node: &str) {}
    pub(crate) fn on_message(&mut self, _now: Instant, _from: &str, _message: &Message) {}
    pub(crate) fn on_action_finished(
        &mut self,
        _now: Instant,
        _group: &str,
        _kind: ActionKind,
        _ok: bool,
    ) {
    }
    pub(crate) fn standby(&mut self, _now: Instant, _which: Holdings) {}
    pub(crate) fn takeover(&mut self, _now: Instant, _which: Holdings) {}
    pub(crate) fn shutdown(&mut self, _now: Instant) {
        self.events.push_back(Event::ShutdownComplete);
    }
    pub(crate) fn handle_timeout(&mut self, _now: Instant) {}
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    pub(crate) fn poll_send(&mut self) -> Option<(Option<String>, Message)> {
        None
    }
    pub(crate) fn poll_action(&mut self) -> Option<ResourceAction> {
        None
    }
    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }
    pub(crate) fn holdings(&self) -> Holdings {
        Holdings::None
    }
}
