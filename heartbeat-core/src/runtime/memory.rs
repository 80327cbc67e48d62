//! An in-process network for tests and examples: every node attached to a
//! [`MemoryHub`] receives, on medium *i*, what the others send on medium *i*
//! (like one broadcast segment per medium). A medium can be cut per node to
//! simulate a pulled cable.

use std::collections::HashSet;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc;

use super::transport::{Datagram, Transport};
use crate::engine::{MediumId, Transmit, Via};

#[derive(Default)]
struct HubState {
    nodes: Vec<(String, mpsc::UnboundedSender<Datagram>)>,
    /// (node, medium) pairs whose cable is pulled: nothing in, nothing out.
    cut: HashSet<(String, usize)>,
}

/// A shared in-memory network; clone it freely.
#[derive(Clone, Default)]
pub struct MemoryHub {
    state: Arc<Mutex<HubState>>,
    media: usize,
}

impl MemoryHub {
    /// A hub with `media` media (medium ids `0..media`).
    pub fn new(media: usize) -> Self {
        MemoryHub {
            state: Arc::default(),
            media,
        }
    }

    /// Attaches `node` and returns its transport.
    pub fn attach(&self, node: &str) -> MemoryTransport {
        let (tx, rx) = mpsc::unbounded_channel();
        self.lock().nodes.push((node.to_owned(), tx));
        MemoryTransport {
            hub: self.clone(),
            node: node.to_owned(),
            rx,
        }
    }

    /// Pulls (`up == false`) or plugs back the cable of `node` on `medium`.
    pub fn set_link(&self, node: &str, medium: MediumId, up: bool) {
        let key = (node.to_owned(), medium.0);
        let mut state = self.lock();
        if up {
            state.cut.remove(&key);
        } else {
            state.cut.insert(key);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn deliver(&self, from: &str, transmit: &Transmit) {
        let media = match transmit.via {
            Via::AllMedia => 0..self.media,
            Via::Medium(m) => m.0..(m.0 + 1).min(self.media),
        };
        let state = self.lock();
        for medium in media {
            if state.cut.contains(&(from.to_owned(), medium)) {
                continue;
            }
            for (node, tx) in &state.nodes {
                if node != from && !state.cut.contains(&(node.clone(), medium)) {
                    let _ = tx.send(Datagram {
                        medium: MediumId(medium),
                        bytes: transmit.bytes.clone(),
                    });
                }
            }
        }
    }
}

/// One node's attachment to a [`MemoryHub`].
pub struct MemoryTransport {
    hub: MemoryHub,
    node: String,
    rx: mpsc::UnboundedReceiver<Datagram>,
}

impl Transport for MemoryTransport {
    fn send(&mut self, transmit: &Transmit) {
        self.hub.deliver(&self.node, transmit);
    }

    async fn recv(&mut self) -> io::Result<Datagram> {
        match self.rx.recv().await {
            Some(datagram) => Ok(datagram),
            // The hub keeps every sender alive, so this only happens if the
            // hub state was dropped; behave like a silent network.
            None => std::future::pending().await,
        }
    }
}
