//! Engine tests in virtual time: a few engines on a hand-driven network.
//!
//! [`Net`] delivers every transmit to every other engine on every medium
//! after a fixed latency unless a filter drops it, calls `handle_timeout`
//! exactly at each engine's `poll_timeout`, and completes resource actions
//! at once.

mod delivery;
mod lifecycle;
mod membership;
mod ping;
mod robustness;
mod safety;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{Command, Engine, Event, FenceRequest, Identity, MediumId, Via};
use crate::config::{AutoFailback, Config, Logging, Medium, MsgFormat, ResourceGroup, Timing};
use crate::wire::{native, AuthMethod, Keyring, Message, NodeUuid, Packet};

pub(super) const MS: Duration = Duration::from_millis(1);

pub(super) fn keys() -> Keyring {
    Keyring::single(AuthMethod::Sha256, &b"test-secret"[..])
}

pub(super) fn timing() -> Timing {
    Timing {
        keepalive: 100 * MS,
        deadtime: 1000 * MS,
        warntime: 500 * MS,
        initdead: 2000 * MS,
        deadping: 1000 * MS,
    }
}

/// Config of `local` in a cluster of `nodes` with two bcast media.
pub(super) fn config(local: &str, nodes: &[&str]) -> Config {
    Config {
        local_node: local.into(),
        cluster: "test".into(),
        nodes: nodes.iter().map(|n| n.to_string()).collect(),
        timing: timing(),
        udp_port: 694,
        health: Default::default(),
        media: vec![
            Medium::Bcast { dev: "eth0".into() },
            Medium::Bcast { dev: "eth1".into() },
        ],
        ping_nodes: vec![],
        auto_failback: AutoFailback::Legacy,
        max_rexmit_delay: 50 * MS,
        logging: Logging::default(),
        hopfudge: 1,
        realtime: false,
        msgfmt: MsgFormat::Classic,
        compression: Default::default(),
        wire_dialect: Default::default(),
        metrics_listen: None,
        respawn: Vec::new(),
        raw_parameters: Default::default(),
        keys: keys(),
        groups: Vec::<ResourceGroup>::new(),
        safety: Default::default(),
        warnings: vec![],
    }
}

pub(super) fn uuid(i: usize) -> NodeUuid {
    NodeUuid([i as u8 + 1; 16])
}

/// A datagram on its way.
#[derive(Clone, Debug)]
pub(super) struct Flight {
    pub(super) at: Instant,
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) medium: usize,
    pub(super) bytes: Bytes,
}

/// Decide whether a datagram is dropped: (from, to, medium, packet).
pub(super) type Filter = Box<dyn FnMut(usize, usize, usize, &Packet) -> bool>;

pub(super) struct Net {
    pub(super) t0: Instant,
    pub(super) now: Instant,
    pub(super) names: Vec<String>,
    pub(super) engines: Vec<Option<Engine>>,
    pub(super) events: Vec<Vec<(Instant, Event)>>,
    pub(super) flights: Vec<Flight>,
    pub(super) latency: Duration,
    pub(super) filter: Option<Filter>,
    /// Every datagram ever sent, per sender, for replay tests.
    pub(super) sent: Vec<Vec<Bytes>>,
    pub(super) echo: bool,
    /// Resets each engine asked for, in order (answered by the test).
    pub(super) fences: Vec<Vec<(Instant, FenceRequest)>>,
    /// When each engine said to pet its watchdog.
    pub(super) pets: Vec<Vec<Instant>>,
    /// Per engine, resource actions are held here instead of completed at
    /// once (when `hold_actions[i]`).
    pub(super) held: Vec<Vec<super::ResourceAction>>,
    pub(super) hold_actions: Vec<bool>,
}

impl Net {
    pub(super) fn new(names: &[&str]) -> Net {
        Self::with(names, |_| {})
    }

    pub(super) fn with(names: &[&str], tweak: impl Fn(&mut Config)) -> Net {
        let t0 = Instant::now();
        let mut net = Net {
            t0,
            now: t0,
            names: names.iter().map(|n| n.to_string()).collect(),
            engines: Vec::new(),
            events: vec![Vec::new(); names.len()],
            flights: Vec::new(),
            latency: MS,
            filter: None,
            sent: vec![Vec::new(); names.len()],
            echo: false,
            fences: vec![Vec::new(); names.len()],
            pets: vec![Vec::new(); names.len()],
            held: vec![Vec::new(); names.len()],
            hold_actions: vec![false; names.len()],
        };
        for (i, name) in names.iter().enumerate() {
            let mut cfg = config(name, names);
            tweak(&mut cfg);
            let id = Identity {
                uuid: uuid(i),
                generation: 100,
            };
            net.engines
                .push(Some(Engine::new(cfg, id, t0, i as u64 + 1)));
        }
        net.collect();
        net
    }

    pub(super) fn engine(&mut self, i: usize) -> &mut Engine {
        self.engines[i].as_mut().expect("engine running")
    }

    /// Crash node `i` (no more output, no more input).
    pub(super) fn crash(&mut self, i: usize) {
        self.engines[i] = None;
        self.flights.retain(|f| f.to != i);
    }

    /// Start node `i` again with `generation`.
    pub(super) fn restart(&mut self, i: usize, generation: u64) {
        self.restart_with(i, generation, |_| {});
    }

    /// Start node `i` again with `generation`, its configuration changed by
    /// `tweak`.
    pub(super) fn restart_with(&mut self, i: usize, generation: u64, tweak: impl Fn(&mut Config)) {
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let mut cfg = config(&self.names[i], &names);
        tweak(&mut cfg);
        let id = Identity {
            uuid: uuid(i),
            generation,
        };
        self.engines[i] = Some(Engine::new(cfg, id, self.now, generation));
        self.collect();
    }

    pub(super) fn command(&mut self, i: usize, cmd: Command) {
        let now = self.now;
        self.engine(i).handle_command(now, cmd);
        self.collect();
    }

    /// Inject raw bytes into node `to` on `medium` now.
    pub(super) fn inject(&mut self, to: usize, medium: usize, bytes: &[u8]) {
        let now = self.now;
        self.engine(to)
            .handle_datagram(now, MediumId(medium), bytes);
        self.collect();
    }

    /// Drain every engine's outputs into flights and event logs.
    pub(super) fn collect(&mut self) {
        let now = self.now;
        for i in 0..self.engines.len() {
            let Some(engine) = self.engines[i].as_mut() else {
                continue;
            };
            let mut finished = Vec::new();
            while let Some(a) = engine.poll_action() {
                if self.hold_actions[i] {
                    self.held[i].push(a);
                } else {
                    finished.push(a);
                }
            }
            for a in finished {
                engine.handle_command(
                    now,
                    Command::ActionFinished {
                        group: a.group,
                        kind: a.kind,
                        ok: true,
                    },
                );
            }
            while let Some(e) = engine.poll_event() {
                self.events[i].push((now, e));
            }
            while let Some(f) = engine.poll_fence() {
                self.fences[i].push((now, f));
            }
            if engine.poll_watchdog_pet() {
                self.pets[i].push(now);
            }
            let media = engine.config.media.len();
            while let Some(t) = engine.poll_transmit() {
                self.sent[i].push(t.bytes.clone());
                let packet = native::decode(&t.bytes, &keys()).expect("own packets decode");
                let mediums: Vec<usize> = match t.via {
                    Via::AllMedia => (0..media).collect(),
                    Via::Medium(m) => vec![m.0],
                };
                for to in 0..self.names.len() {
                    if to == i && !self.echo {
                        continue;
                    }
                    for &medium in &mediums {
                        let dropped = self
                            .filter
                            .as_mut()
                            .is_some_and(|f| f(i, to, medium, &packet));
                        if !dropped {
                            self.flights.push(Flight {
                                at: now + self.latency,
                                from: i,
                                to,
                                medium,
                                bytes: t.bytes.clone(),
                            });
                        }
                    }
                }
            }
        }
    }

    /// Run until `until`, delivering flights and firing timers in order.
    pub(super) fn run_until(&mut self, until: Instant) {
        loop {
            let next_flight = self.flights.iter().map(|f| f.at).min();
            let next_timer = self
                .engines
                .iter()
                .flatten()
                .filter_map(|e| e.poll_timeout())
                .min();
            let Some(next) = [next_flight, next_timer].into_iter().flatten().min() else {
                break;
            };
            if next > until {
                break;
            }
            self.now = self.now.max(next);
            let now = self.now;
            let (due, rest): (Vec<Flight>, Vec<Flight>) =
                self.flights.drain(..).partition(|f| f.at <= now);
            self.flights = rest;
            for f in due {
                if let Some(e) = self.engines[f.to].as_mut() {
                    e.handle_datagram(now, MediumId(f.medium), &f.bytes);
                }
            }
            for e in self.engines.iter_mut().flatten() {
                if e.poll_timeout().is_some_and(|t| t <= now) {
                    e.handle_timeout(now);
                }
            }
            self.collect();
        }
        self.now = self.now.max(until);
    }

    pub(super) fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    /// Events of node `i` matching `pred`, with their instants.
    pub(super) fn find(&self, i: usize, pred: impl Fn(&Event) -> bool) -> Vec<(Instant, Event)> {
        self.events[i]
            .iter()
            .filter(|(_, e)| pred(e))
            .cloned()
            .collect()
    }

    /// Application payloads delivered to node `i`, by sender.
    pub(super) fn app_messages(&self, i: usize) -> BTreeMap<String, Vec<Bytes>> {
        let mut out: BTreeMap<String, Vec<Bytes>> = BTreeMap::new();
        for (_, e) in &self.events[i] {
            if let Event::AppMessage { from, payload } = e {
                out.entry(from.clone()).or_default().push(payload.clone());
            }
        }
        out
    }

    pub(super) fn clear_events(&mut self) {
        for e in &mut self.events {
            e.clear();
        }
    }
}

/// One group `ip1` (an `IPaddr`) preferred on `a`.
pub(super) fn with_group(cfg: &mut Config) {
    cfg.groups = vec![ResourceGroup {
        key: "ip1".into(),
        preferred_node: "a".into(),
        resources: vec![crate::config::Resource {
            script: "IPaddr".into(),
            args: vec!["10.0.0.1".into()],
        }],
    }];
}

/// When node `i` acquired group `ip1`, in order.
pub(super) fn acquired(net: &Net, i: usize) -> Vec<Instant> {
    net.find(
        i,
        |e| matches!(e, Event::GroupAcquired { group } if group == "ip1"),
    )
    .into_iter()
    .map(|(t, _)| t)
    .collect()
}

/// Is `packet` an application message?
pub(super) fn is_app(packet: &Packet) -> bool {
    matches!(packet.message, Message::App { .. })
}

/// A tiny deterministic loss source for filters.
pub(super) fn lossy(seed: u64, percent: u64) -> impl FnMut() -> bool {
    let mut rng = super::rng::Rng::new(seed);
    move || rng.below_inclusive(99) < percent
}
