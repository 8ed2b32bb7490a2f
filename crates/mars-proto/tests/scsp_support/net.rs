//! A minimal deterministic network for driving several SCSP engines directly (the full fabric
//! lives in `mars-sim`): point-to-point VCs only, one fixed latency, seeded SDU loss, crashes
//! and restarts. It keeps the VC contract the engines rely on: `Connect` ends in `Connected` or
//! `Released`, SDUs on one VC arrive in order (constant latency, FIFO tie-break), a released VC
//! is released at the other end.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use mars_proto::scsp::{ClientProtocol, ScspConfig, ScspEngine, ScspEvent};
use mars_proto::{AtmUser, Cause, Instant, VcEvent, VcId, VcRequest};
use mars_wire::{AtmAddr, AtmAddress};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A distinct NSAP address for test endpoint `n`.
pub fn addr(n: u64) -> AtmAddress {
    let mut o = [0u8; 20];
    o[..13].copy_from_slice(&[
        0x47, 0x00, 0x05, 0x80, 0xFF, 0xE1, 0x00, 0x00, 0x00, 0xF2, 0x1A, 0x3A, 0x3D,
    ]);
    o[13..19].copy_from_slice(&n.to_be_bytes()[2..]);
    AtmAddress::new(AtmAddr::nsap(o))
}

/// One endpoint.
pub struct Node<C: ClientProtocol> {
    pub engine: ScspEngine<C>,
    pub events: Vec<ScspEvent>,
    pub up: bool,
}

/// The network.
pub struct Net<C: ClientProtocol> {
    pub nodes: Vec<Node<C>>,
    pub now: Instant,
    pub latency: Duration,
    /// Probability of losing each SDU.
    pub loss: f64,
    /// SDUs delivered and lost.
    pub delivered: u64,
    pub lost: u64,
    pub octets: u64,
    /// Keep the events each engine reports (off for big runs).
    pub keep_events: bool,
    rng: ChaCha8Rng,
    queue: BTreeMap<(Instant, u64), (usize, VcEvent)>,
    seq: u64,
    /// (node, vc) → (peer node, peer vc), for VCs set up or being set up.
    peer: HashMap<(usize, VcId), (usize, VcId)>,
    /// Calls announced to the callee but not answered: (callee, incoming vc).
    pending: HashMap<(usize, VcId), (usize, VcId)>,
    next_incoming: u64,
    /// Cut links: SDUs between these node pairs are lost, calls fail.
    pub cut: std::collections::HashSet<(usize, usize)>,
}

impl<C: ClientProtocol> Net<C> {
    pub fn new(seed: u64, latency: Duration, loss: f64) -> Self {
        Net {
            nodes: Vec::new(),
            now: Instant::ZERO,
            latency,
            loss,
            delivered: 0,
            lost: 0,
            octets: 0,
            keep_events: true,
            rng: ChaCha8Rng::seed_from_u64(seed),
            queue: BTreeMap::new(),
            seq: 0,
            peer: HashMap::new(),
            pending: HashMap::new(),
            next_incoming: 1,
            cut: Default::default(),
        }
    }

    /// Add an engine; returns its index.
    pub fn add(&mut self, cfg: ScspConfig, client: C) -> usize {
        let engine = ScspEngine::new(cfg, client, self.now).expect("valid config");
        self.nodes.push(Node {
            engine,
            events: Vec::new(),
            up: true,
        });
        let n = self.nodes.len() - 1;
        self.drain(n);
        n
    }

    fn node_at(&self, a: &AtmAddress) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| n.engine.config().address == *a)
    }

    fn schedule(&mut self, to: usize, ev: VcEvent) {
        self.seq += 1;
        self.queue
            .insert((self.now + self.latency, self.seq), (to, ev));
    }

    fn is_cut(&self, a: usize, b: usize) -> bool {
        self.cut.contains(&(a.min(b), a.max(b)))
    }

    /// Carry out the requests of node `n` and collect its events.
    fn drain(&mut self, n: usize) {
        while let Some(r) = self.nodes[n].engine.poll_request() {
            self.request(n, r);
        }
        while let Some(e) = self.nodes[n].engine.poll_event() {
            if self.keep_events {
                self.nodes[n].events.push(e);
            }
        }
    }

    fn request(&mut self, n: usize, r: VcRequest) {
        match r {
            VcRequest::Connect { vc, to } => match self.node_at(&to) {
                Some(m) if self.nodes[m].up && !self.is_cut(n, m) => {
                    let inc = VcId::incoming(self.next_incoming);
                    self.next_incoming += 1;
                    self.peer.insert((n, vc), (m, inc));
                    self.peer.insert((m, inc), (n, vc));
                    self.pending.insert((m, inc), (n, vc));
                    let from = self.nodes[n].engine.config().address;
                    self.schedule(
                        m,
                        VcEvent::IncomingCall {
                            vc: inc,
                            from,
                            multipoint: false,
                        },
                    );
                }
                _ => self.schedule(
                    n,
                    VcEvent::Released {
                        vc,
                        cause: Cause::NO_ROUTE,
                    },
                ),
            },
            VcRequest::Accept { vc } => {
                if let Some((m, mvc)) = self.pending.remove(&(n, vc)) {
                    self.schedule(m, VcEvent::Connected { vc: mvc });
                }
            }
            VcRequest::Refuse { vc, cause } => {
                if let Some((m, mvc)) = self.pending.remove(&(n, vc)) {
                    self.peer.remove(&(n, vc));
                    self.peer.remove(&(m, mvc));
                    self.schedule(m, VcEvent::Released { vc: mvc, cause });
                }
            }
            VcRequest::Release { vc, cause } => {
                if let Some((m, mvc)) = self.peer.remove(&(n, vc)) {
                    self.peer.remove(&(m, mvc));
                    self.pending.remove(&(m, mvc));
                    self.pending.remove(&(n, vc));
                    self.schedule(m, VcEvent::Released { vc: mvc, cause });
                }
            }
            VcRequest::Send { vc, sdu } => {
                let Some(&(m, mvc)) = self.peer.get(&(n, vc)) else {
                    return;
                };
                self.octets += sdu.len() as u64;
                if self.is_cut(n, m) || (self.loss > 0.0 && self.rng.gen_bool(self.loss)) {
                    self.lost += 1;
                    return;
                }
                self.delivered += 1;
                self.schedule(m, VcEvent::Received { vc: mvc, sdu });
            }
            VcRequest::OpenMultipoint { .. }
            | VcRequest::AddParty { .. }
            | VcRequest::DropParty { .. } => {}
        }
    }

    /// When the next thing happens, if before `limit`.
    fn next_time(&self) -> Option<Instant> {
        let ev = self.queue.keys().next().map(|&(t, _)| t);
        let tm = self
            .nodes
            .iter()
            .filter(|n| n.up)
            .filter_map(|n| n.engine.poll_timeout())
            .min();
        match (ev, tm) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Run until `now + d`.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        while let Some(t) = self.next_time() {
            if t > until {
                break;
            }
            self.now = t;
            if let Some(entry) = self.queue.first_entry() {
                if entry.key().0 <= t {
                    let (to, ev) = entry.remove();
                    if self.nodes[to].up {
                        self.nodes[to].engine.handle_vc_event(t, ev);
                        self.drain(to);
                    }
                    continue;
                }
            }
            for n in 0..self.nodes.len() {
                if self.nodes[n].up && self.nodes[n].engine.poll_timeout().is_some_and(|x| x <= t) {
                    self.nodes[n].engine.handle_timeout(t);
                    self.drain(n);
                }
            }
        }
        self.now = until;
    }

    /// Run until `cond` holds (checked every `step`) or `limit` passes; returns whether it held.
    pub fn run_until(
        &mut self,
        step: Duration,
        limit: Duration,
        mut cond: impl FnMut(&Self) -> bool,
    ) -> bool {
        let end = self.now + limit;
        while self.now < end {
            if cond(self) {
                return true;
            }
            self.run_for(step);
        }
        cond(self)
    }

    /// Crash node `n`: its VCs are released at the other ends (cause 27).
    pub fn crash(&mut self, n: usize) {
        self.nodes[n].up = false;
        let mine: Vec<_> = self.peer.keys().filter(|(a, _)| *a == n).copied().collect();
        for k in mine {
            if let Some((m, mvc)) = self.peer.remove(&k) {
                self.peer.remove(&(m, mvc));
                self.pending.remove(&(m, mvc));
                self.schedule(
                    m,
                    VcEvent::Released {
                        vc: mvc,
                        cause: Cause::DESTINATION_OUT_OF_ORDER,
                    },
                );
            }
        }
        self.queue.retain(|_, (to, _)| *to != n);
    }

    /// Restart node `n` with a fresh engine.
    pub fn restart(&mut self, n: usize, cfg: ScspConfig, client: C) {
        self.nodes[n].engine = ScspEngine::new(cfg, client, self.now).expect("valid config");
        self.nodes[n].up = true;
        self.nodes[n].events.clear();
        self.drain(n);
    }

    /// Cut or restore the link between `a` and `b` (SDUs lost, existing VCs stay up).
    pub fn set_cut(&mut self, a: usize, b: usize, cut: bool) {
        let k = (a.min(b), a.max(b));
        if cut {
            self.cut.insert(k);
        } else {
            self.cut.remove(&k);
        }
    }

    /// Call `f` on engine `n` at the current time, then carry out what it asked.
    pub fn with<R>(&mut self, n: usize, f: impl FnOnce(&mut ScspEngine<C>, Instant) -> R) -> R {
        let now = self.now;
        let r = f(&mut self.nodes[n].engine, now);
        self.drain(n);
        r
    }
}
