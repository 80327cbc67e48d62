//! A hand-wired cluster of `Resources` with a FIFO network, virtual time and
//! a model of where each group really runs.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use super::super::{LocalState, Resources, Timers};
use crate::config::{AutoFailback, ResourceGroup, Timing};
use crate::engine::{ActionKind, Event, ResourceAction};
use crate::wire::{Holdings, Message};

type Filter = Box<dyn FnMut(&str, &str, &Message) -> bool>;

pub(super) struct Cluster {
    pub(super) now: Instant,
    nodes: Vec<String>,
    groups: Vec<ResourceGroup>,
    policy: AutoFailback,
    pub(super) rs: BTreeMap<String, Resources>,
    /// (from, to, message) in flight, FIFO.
    net: VecDeque<(String, String, Message)>,
    /// Cut links (unordered pairs, stored sorted).
    cut: BTreeSet<(String, String)>,
    /// Drop a message when the filter returns true.
    drop: Option<Filter>,
    /// Actions issued, not yet finished: (node, action).
    pub(super) pending: VecDeque<(String, ResourceAction)>,
    /// Hold actions instead of finishing them at once.
    pub(super) hold: bool,
    /// Where each group really runs (starting, running or stopping).
    pub(super) active: BTreeMap<String, BTreeSet<String>>,
    /// Number of starts per group (to check "no restart").
    pub(super) starts: BTreeMap<String, usize>,
    /// Failing actions: (node, group, kind).
    pub(super) fail: Vec<(String, String, ActionKind)>,
    pub(super) events: Vec<(String, Event)>,
    /// Allow two nodes to run a group (only while partitioned).
    pub(super) allow_dual: bool,
    pub(super) sent: Vec<(String, String, Message)>,
    /// Random-order mode: `run` does nothing; the test drives `step_random`.
    pub(super) manual: bool,
}

/// The heartbeat timers of every harness node: keepalive 1 s, deadtime 10 s.
pub(super) fn timing() -> Timing {
    Timing {
        keepalive: Duration::from_secs(1),
        deadtime: Duration::from_secs(10),
        warntime: Duration::from_secs(5),
        initdead: Duration::from_secs(20),
        deadping: Duration::from_secs(10),
    }
}

/// The resource layer's waits for [`timing`].
pub(super) fn timers() -> Timers {
    Timers::new(&timing())
}

/// nice_failback start-up wait for [`timing`].
pub(super) const SETTLE: Duration = Duration::from_secs(5);

/// `IpRequest` resend interval for [`timing`].
pub(super) const RETRY: Duration = Duration::from_secs(2);

pub(super) fn n(i: usize) -> String {
    format!("n{i}")
}

impl Cluster {
    /// `size` nodes n1..; one group per node `gN` preferred by `nN`.
    pub(super) fn new(size: usize, policy: AutoFailback) -> Self {
        let nodes: Vec<String> = (1..=size).map(n).collect();
        let groups = (1..=size)
            .map(|i| ResourceGroup {
                key: format!("g{i}"),
                preferred_node: n(i),
                resources: Vec::new(),
            })
            .collect();
        Cluster {
            now: Instant::now(),
            nodes,
            groups,
            policy,
            rs: BTreeMap::new(),
            net: VecDeque::new(),
            cut: BTreeSet::new(),
            drop: None,
            pending: VecDeque::new(),
            hold: false,
            active: BTreeMap::new(),
            starts: BTreeMap::new(),
            fail: Vec::new(),
            events: Vec::new(),
            allow_dual: false,
            sent: Vec::new(),
            manual: false,
        }
    }

    /// Start node `i` (fresh process): not yet comm-up.
    pub(super) fn boot(&mut self, i: usize) {
        let r = Resources::new(&n(i), &self.nodes, &self.groups, self.policy, &timing());
        self.rs.insert(n(i), r);
    }

    fn reachable(&self, a: &str, b: &str) -> bool {
        let key = if a < b {
            (a.to_owned(), b.to_owned())
        } else {
            (b.to_owned(), a.to_owned())
        };
        a != b && self.rs.contains_key(b) && !self.cut.contains(&key)
    }

    /// Live peers `i` can hear.
    pub(super) fn peers_of(&self, i: usize) -> Vec<String> {
        let me = n(i);
        self.rs
            .keys()
            .filter(|p| self.reachable(&me, p))
            .cloned()
            .collect()
    }

    /// Boot and bring communications up on the given nodes, in order, each
    /// one seeing the previously booted ones as peers (who see it join).
    pub(super) fn start_all(&mut self, ids: &[usize]) {
        for &i in ids {
            self.boot(i);
        }
        for &i in ids {
            for &j in ids {
                if i != j {
                    self.joined(i, j);
                }
            }
        }
        for &i in ids {
            self.comm_up(i);
        }
    }

    pub(super) fn comm_up(&mut self, i: usize) {
        let peers = self.peers_of(i);
        let now = self.now;
        self.rs.get_mut(&n(i)).unwrap().comm_up(now, &peers);
        self.run();
    }

    /// `i` sees `j` join.
    pub(super) fn joined(&mut self, i: usize, j: usize) {
        let now = self.now;
        self.rs.get_mut(&n(i)).unwrap().peer_joined(now, &n(j));
        self.run();
    }

    /// `i` declares `j` dead.
    pub(super) fn dead(&mut self, i: usize, j: usize) {
        let now = self.now;
        self.rs.get_mut(&n(i)).unwrap().peer_dead(now, &n(j));
        self.run();
    }

    /// kill -9 of node `i` (the machine goes down with its resources); every
    /// survivor declares it dead.
    pub(super) fn kill(&mut self, i: usize) {
        let me = n(i);
        self.rs.remove(&me);
        self.net.retain(|(f, t, _)| *f != me && *t != me);
        self.pending.retain(|(node, _)| *node != me);
        for set in self.active.values_mut() {
            set.remove(&me);
        }
        let survivors: Vec<String> = self.rs.keys().cloned().collect();
        for s in survivors {
            let now = self.now;
            self.rs.get_mut(&s).unwrap().peer_dead(now, &me);
            self.run();
        }
    }

    /// Cut (or restore) the link between `a` and `b`.
    pub(super) fn set_cut(&mut self, a: usize, b: usize, cut: bool) {
        let (x, y) = (n(a.min(b)), n(a.max(b)));
        if cut {
            self.cut.insert((x.clone(), y.clone()));
            self.net
                .retain(|(f, t, _)| !((*f == x && *t == y) || (*f == y && *t == x)));
        } else {
            self.cut.remove(&(x, y));
        }
    }

    /// Make `node`'s `kind` actions on `group` fail.
    pub(super) fn fail_on(&mut self, node: usize, group: &str, kind: ActionKind) {
        self.fail.push((n(node), group.to_owned(), kind));
    }

    pub(super) fn drop_when(&mut self, f: impl FnMut(&str, &str, &Message) -> bool + 'static) {
        self.drop = Some(Box::new(f));
    }

    pub(super) fn shutdown(&mut self, i: usize) {
        let now = self.now;
        self.rs.get_mut(&n(i)).unwrap().shutdown(now);
        self.run();
    }

    pub(super) fn standby(&mut self, i: usize, set: Holdings) {
        let now = self.now;
        self.rs.get_mut(&n(i)).unwrap().standby(now, set);
        self.run();
    }

    pub(super) fn health(&mut self, i: usize, group: &str, healthy: bool) {
        let now = self.now;
        self.rs
            .get_mut(&n(i))
            .unwrap()
            .set_health(now, group, healthy);
        self.run();
    }

    /// Several nodes report health at the same instant, before any of them
    /// hears from the others.
    pub(super) fn health_at_once(&mut self, reports: &[(usize, &str, bool)]) {
        let now = self.now;
        for &(i, group, healthy) in reports {
            self.rs
                .get_mut(&n(i))
                .unwrap()
                .set_health(now, group, healthy);
        }
        self.run();
    }

    pub(super) fn takeover(&mut self, i: usize, set: Holdings) {
        let now = self.now;
        self.rs.get_mut(&n(i)).unwrap().takeover(now, set);
        self.run();
    }

    /// Drain every node's outputs, deliver messages and finish actions until
    /// nothing moves.
    pub(super) fn run(&mut self) {
        if self.manual {
            return;
        }
        for _ in 0..100_000 {
            let mut moved = self.drain();
            if let Some((from, to, msg)) = self.net.pop_front() {
                moved = true;
                let now = self.now;
                if let Some(r) = self.rs.get_mut(&to) {
                    r.on_message(now, &from, &msg);
                }
            } else if !self.hold {
                if let Some((node, a)) = self.pending.pop_front() {
                    moved = true;
                    let ok = !self.fail.contains(&(node.clone(), a.group.clone(), a.kind));
                    self.finish(&node, &a, ok);
                }
            }
            if !moved {
                return;
            }
        }
        panic!("no quiescence");
    }

    /// Random-order mode: drain outputs, then deliver one message (FIFO per
    /// sender/receiver pair) or finish one action (failing with probability
    /// `fail_pct`%). Returns false when nothing is left to do.
    pub(super) fn step_random(&mut self, rng: &mut Rng, fail_pct: u64) -> bool {
        self.drain();
        let choices = self.net.len() + self.pending.len();
        if choices == 0 {
            return false;
        }
        let pick = rng.below(choices as u64) as usize;
        if pick < self.net.len() {
            let (f, t) = (self.net[pick].0.clone(), self.net[pick].1.clone());
            let first = self
                .net
                .iter()
                .position(|(a, b, _)| *a == f && *b == t)
                .unwrap();
            let (from, to, msg) = self.net.remove(first).unwrap();
            let now = self.now;
            if let Some(r) = self.rs.get_mut(&to) {
                r.on_message(now, &from, &msg);
            }
        } else {
            let (node, a) = self.pending.remove(pick - self.net.len()).unwrap();
            let ok = rng.below(100) >= fail_pct;
            self.finish(&node, &a, ok);
        }
        self.drain();
        true
    }

    /// Random-order mode: remove `i` (and what it had in flight) without
    /// telling anyone.
    pub(super) fn vanish(&mut self, i: usize) {
        let me = n(i);
        self.rs.remove(&me);
        self.net.retain(|(f, t, _)| *f != me && *t != me);
        self.pending.retain(|(node, _)| *node != me);
    }

    /// Finish the held action of `node` on `group`.
    pub(super) fn finish_held(&mut self, node: usize, group: &str, ok: bool) {
        let pos = self
            .pending
            .iter()
            .position(|(nd, a)| *nd == n(node) && a.group == group)
            .expect("no such pending action");
        let (nd, a) = self.pending.remove(pos).unwrap();
        self.finish(&nd, &a, ok);
        self.run();
    }

    fn finish(&mut self, node: &str, a: &ResourceAction, ok: bool) {
        if std::env::var("RSC_TRACE").is_ok() {
            eprintln!("  {node} finished {:?} {} ok={ok}", a.kind, a.group);
        }
        // Model: a failed start leaves the group half up; a failed stop leaves it up.
        if a.kind == ActionKind::Stop && ok {
            self.active.entry(a.group.clone()).or_default().remove(node);
        }
        let now = self.now;
        if let Some(r) = self.rs.get_mut(node) {
            r.on_action_finished(now, &a.group, a.kind, ok);
        }
    }

    fn drain(&mut self) -> bool {
        let mut moved = false;
        let names: Vec<String> = self.rs.keys().cloned().collect();
        for name in names {
            loop {
                let r = self.rs.get_mut(&name).unwrap();
                if let Some((dest, msg)) = r.poll_send() {
                    moved = true;
                    self.route(&name, dest, msg);
                } else if let Some(a) = r.poll_action() {
                    moved = true;
                    self.issue(&name, a);
                } else if let Some(e) = r.poll_event() {
                    moved = true;
                    if e == Event::ShutdownComplete {
                        // The engine's part: announce Shutdone, then the node leaves.
                        self.route(&name, None, Message::Shutdone);
                    }
                    self.events.push((name.clone(), e));
                } else {
                    break;
                }
            }
        }
        moved
    }

    fn route(&mut self, from: &str, dest: Option<String>, msg: Message) {
        let targets: Vec<String> = match dest {
            Some(d) => vec![d],
            None => self.rs.keys().filter(|p| *p != from).cloned().collect(),
        };
        for to in targets {
            if !self.reachable(from, &to) {
                continue;
            }
            if let Some(f) = self.drop.as_mut() {
                if f(from, &to, &msg) {
                    continue;
                }
            }
            if std::env::var("RSC_TRACE").is_ok() && !matches!(msg, Message::ResourceReport { .. })
            {
                eprintln!("  {from}->{to}: {msg:?}");
            }
            self.sent.push((from.to_owned(), to.clone(), msg.clone()));
            self.net.push_back((from.to_owned(), to, msg.clone()));
        }
    }

    fn issue(&mut self, node: &str, a: ResourceAction) {
        if std::env::var("RSC_TRACE").is_ok() {
            eprintln!("  {node} issues {:?} {}", a.kind, a.group);
        }
        assert!(
            !self
                .pending
                .iter()
                .any(|(nd, p)| nd == node && p.group == a.group),
            "{node}: two actions in flight for {}",
            a.group
        );
        if a.kind == ActionKind::Start {
            let others: Vec<String> = self
                .runners(&a.group)
                .into_iter()
                .filter(|o| o != node && (!self.allow_dual || self.reachable(node, o)))
                .collect();
            assert!(
                others.is_empty(),
                "{node} starts {} while {others:?} run it",
                a.group
            );
            *self.starts.entry(a.group.clone()).or_default() += 1;
            self.active
                .entry(a.group.clone())
                .or_default()
                .insert(node.to_owned());
        }
        self.pending.push_back((node.to_owned(), a));
    }

    /// Advance virtual time by `d`, firing every deadline on the way.
    pub(super) fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            let next = self
                .rs
                .values()
                .filter_map(Resources::poll_timeout)
                .filter(|t| *t <= end)
                .min();
            let Some(t) = next else { break };
            self.now = self.now.max(t);
            let now = self.now;
            for r in self.rs.values_mut() {
                if r.poll_timeout().is_some_and(|d| d <= now) {
                    r.handle_timeout(now);
                }
            }
            self.run();
        }
        self.now = end;
    }

    /// Nodes really running (or starting/stopping) `group`.
    pub(super) fn runners(&self, group: &str) -> Vec<String> {
        self.active
            .get(group)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Assert `group` runs exactly on node `i`, and that node reports it so.
    pub(super) fn assert_owner(&self, group: &str, i: usize) {
        assert_eq!(self.runners(group), vec![n(i)], "runners of {group}");
        let view = self.rs[&n(i)].groups().find(|g| g.key == group).unwrap();
        assert_eq!(view.state, LocalState::Running, "{group} on n{i}");
    }

    pub(super) fn state(&self, i: usize, group: &str) -> LocalState {
        self.rs[&n(i)]
            .groups()
            .find(|g| g.key == group)
            .unwrap()
            .state
    }

    pub(super) fn owner_seen_by(&self, i: usize, group: &str) -> Option<String> {
        self.rs[&n(i)]
            .groups()
            .find(|g| g.key == group)
            .unwrap()
            .owner
            .map(str::to_owned)
    }

    pub(super) fn count_events(&self, node: usize, pred: impl Fn(&Event) -> bool) -> usize {
        self.events
            .iter()
            .filter(|(nd, e)| *nd == n(node) && pred(e))
            .count()
    }

    pub(super) fn group_names(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.key.clone()).collect()
    }
}

/// Seeded randomness for scenarios: the engine's generator
/// ([`crate::engine::rng::Rng`]), drawn modulo a bound so that a seed keeps
/// naming the same scenario (see `random::former_liveness_gaps_converge`).
pub(super) struct Rng(crate::engine::rng::Rng);

impl Rng {
    /// The generator for scenario `seed`.
    pub(super) fn new(seed: u64) -> Self {
        Rng(crate::engine::rng::Rng::new(seed))
    }

    /// A value in `0..n`.
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.0.next_u64() % n
    }
}

/// Shorthand for a `Duration` in seconds.
pub(super) fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn harness_waits_match_the_timers() {
    assert_eq!(timers().settle, SETTLE);
    assert_eq!(timers().retry, RETRY);
}
