//! What the status page shows besides the current status: the latest
//! events as log lines, and a timeline per link of how long the peer went
//! unheard on it (the longest silence seen in each half second of the last
//! two minutes), so that "when did the gaps start" is a picture.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use heartbeat_core::engine::Event;
use heartbeat_core::runtime::Cluster;
use serde::Serialize;
use tokio::sync::broadcast;
use tracing::Level;

use crate::daemon::event_line;

/// Events kept for the page.
pub const EVENTS_KEPT: usize = 100;
/// One timeline sample covers this long.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(500);
/// Samples kept per link (two minutes).
pub const SAMPLES_KEPT: usize = 240;
/// How often the links are looked at within a sample.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// One event as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecentEvent {
    /// When it was seen, ms since the Unix epoch.
    pub unix_ms: u64,
    /// Its log line.
    pub text: String,
}

/// The silence timeline of one link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinkTimeline {
    /// The peer.
    pub node: String,
    /// The link (medium device).
    pub link: String,
    /// Oldest first: the longest silence (ms since last heard) seen in each
    /// interval; `None` while the peer was never heard on the link.
    pub silence_ms: VecDeque<Option<u64>>,
}

/// Every link's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// Length of one sample, ms.
    pub interval_ms: u64,
    /// One entry per peer link, in the snapshot's order.
    pub links: Vec<LinkTimeline>,
}

/// The recent history the page shows; shared between the recorders and
/// the HTTP handlers.
#[derive(Debug)]
pub struct Recent {
    events: Mutex<VecDeque<RecentEvent>>,
    timeline: Mutex<Timeline>,
}

impl Default for Recent {
    fn default() -> Self {
        Recent {
            events: Mutex::new(VecDeque::with_capacity(EVENTS_KEPT)),
            timeline: Mutex::new(Timeline {
                interval_ms: SAMPLE_INTERVAL.as_millis() as u64,
                links: Vec::new(),
            }),
        }
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Recent {
    /// The kept events, oldest first.
    pub fn events(&self) -> Vec<RecentEvent> {
        lock(&self.events).iter().cloned().collect()
    }

    /// A copy of the timeline.
    pub fn timeline(&self) -> Timeline {
        lock(&self.timeline).clone()
    }

    /// Keeps `event`'s log line unless it is a debug-level one (a rejected
    /// datagram, an application message): those come by the thousand.
    pub fn push_event(&self, event: &Event) {
        let (level, text) = event_line(event);
        if level == Level::DEBUG || level == Level::TRACE {
            return;
        }
        let mut events = lock(&self.events);
        if events.len() == EVENTS_KEPT {
            events.pop_front();
        }
        events.push_back(RecentEvent {
            unix_ms: unix_ms(),
            text,
        });
    }

    /// Closes one sample: `silences` is the longest silence of each
    /// (node, link) seen during it.
    fn push_sample(&self, silences: &BTreeMap<(usize, String, String), Option<u64>>) {
        let mut timeline = lock(&self.timeline);
        let mut links: Vec<LinkTimeline> = Vec::with_capacity(silences.len());
        for ((_, node, link), silence) in silences {
            let mut kept = timeline
                .links
                .iter()
                .position(|l| l.node == *node && l.link == *link)
                .map(|i| std::mem::take(&mut timeline.links[i].silence_ms))
                .unwrap_or_default();
            if kept.len() == SAMPLES_KEPT {
                kept.pop_front();
            }
            kept.push_back(*silence);
            links.push(LinkTimeline {
                node: node.clone(),
                link: link.clone(),
                silence_ms: kept,
            });
        }
        timeline.links = links;
    }
}

/// A poisoned lock still holds consistent data here (every critical section
/// is a push or a copy): take it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps the latest events in `recent` until the stream closes.
pub async fn record_events(recent: Arc<Recent>, mut events: broadcast::Receiver<Event>) {
    loop {
        match events.recv().await {
            Ok(event) => recent.push_event(&event),
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Samples the links of `cluster`'s snapshot into `recent`'s timeline,
/// forever (abort the task to stop).
pub async fn sample_links(recent: Arc<Recent>, cluster: Arc<Cluster>) {
    let looks_per_sample = (SAMPLE_INTERVAL.as_millis() / LOOK_EVERY.as_millis()).max(1);
    let mut ticker = tokio::time::interval(LOOK_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut looks = 0;
    let mut longest: BTreeMap<(usize, String, String), Option<u64>> = BTreeMap::new();
    loop {
        ticker.tick().await;
        let status = cluster.status();
        let now = tokio::time::Instant::now().into_std();
        for (i, node) in status.nodes.iter().enumerate() {
            for link in &node.links {
                let silence = link
                    .last_heard
                    .map(|t| now.saturating_duration_since(t).as_millis() as u64);
                let slot = longest
                    .entry((i, node.name.clone(), link.name.clone()))
                    .or_insert(None);
                *slot = (*slot).max(silence);
            }
        }
        looks += 1;
        if looks == looks_per_sample {
            recent.push_sample(&longest);
            longest.clear();
            looks = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_keep_the_latest_hundred_without_debug_lines() {
        let recent = Recent::default();
        for i in 0..150 {
            recent.push_event(&Event::NodeRestarted {
                node: format!("node{i}"),
                generation: 1,
            });
        }
        recent.push_event(&Event::AppMessage {
            from: "node2".into(),
            payload: bytes::Bytes::from_static(b"x"),
        });
        let events = recent.events();
        assert_eq!(events.len(), EVENTS_KEPT);
        assert!(events[0].text.contains("node50"), "{:?}", events[0]);
        assert!(events.last().unwrap().text.contains("node149"));
    }

    #[test]
    fn the_timeline_keeps_two_minutes_per_link() {
        let recent = Recent::default();
        for i in 0..(SAMPLES_KEPT as u64 + 10) {
            let mut s = BTreeMap::new();
            s.insert((1, "node2".to_owned(), "eth0".to_owned()), Some(i));
            s.insert((1, "node2".to_owned(), "eth1".to_owned()), None);
            recent.push_sample(&s);
        }
        let t = recent.timeline();
        assert_eq!(t.links.len(), 2);
        assert_eq!(t.links[0].silence_ms.len(), SAMPLES_KEPT);
        assert_eq!(t.links[0].silence_ms.front(), Some(&Some(10)));
        assert_eq!(t.links[1].silence_ms.back(), Some(&None));
    }
}
