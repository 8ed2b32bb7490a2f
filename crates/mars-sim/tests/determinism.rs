//! Same seed, same run — bit for bit — on a busy randomized scenario with loss, jitter,
//! crashes and partitions; a different seed, a different run. Every engine checks the
//! contract's guarantees on everything it is told, so the scenario doubles as a soak test.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use mars_proto::{AtmUser, Cause, Instant, PartyId, VcEvent, VcId, VcRequest};
use mars_sim::{test_address, FabricCounters, LinkConfig, Sim, TraceDigest};
use mars_wire::AtmAddress;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ENDPOINTS: u64 = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// We called; no answer yet.
    Calling,
    /// Connected (caller) or accepted (callee): both may send.
    Up,
    /// A leaf of someone's multipoint VC, accepted.
    Leaf,
}

/// Does random things on a timer and checks that what it is told obeys the contract.
#[derive(Debug)]
struct Chaos {
    rng: ChaCha8Rng,
    peers: Vec<AtmAddress>,
    out: VecDeque<VcRequest>,
    wake: Option<Instant>,
    stop_at: Instant,
    next_vc: u64,
    calls: BTreeMap<VcId, Call>,
    /// Multipoint roots: party → added yet?
    roots: BTreeMap<VcId, BTreeMap<PartyId, bool>>,
    next_party: u32,
    sent_seq: BTreeMap<VcId, u64>,
    recv_seq: BTreeMap<VcId, u64>,
    violations: Vec<String>,
}

impl Chaos {
    fn new(seed: u64, me: u64, start: Instant, stop_at: Instant) -> Self {
        let mut peers: Vec<AtmAddress> = (1..=ENDPOINTS).map(test_address).collect();
        peers.push(test_address(10_000)); // nobody
        Chaos {
            rng: ChaCha8Rng::seed_from_u64(seed ^ (me << 32)),
            peers,
            out: VecDeque::new(),
            wake: Some(start),
            stop_at,
            next_vc: 0,
            calls: BTreeMap::new(),
            roots: BTreeMap::new(),
            next_party: 0,
            sent_seq: BTreeMap::new(),
            recv_seq: BTreeMap::new(),
            violations: Vec::new(),
        }
    }

    fn violation(&mut self, now: Instant, what: String) {
        self.violations.push(format!("{now:?}: {what}"));
    }

    fn fresh_vc(&mut self) -> VcId {
        self.next_vc += 1;
        VcId::local(self.next_vc)
    }

    fn peer(&mut self) -> AtmAddress {
        let i = self.rng.gen_range(0..self.peers.len());
        self.peers[i]
    }

    fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: impl Iterator<Item = T>) -> Option<T> {
        let items: Vec<T> = items.collect();
        (!items.is_empty()).then(|| items[rng.gen_range(0..items.len())])
    }

    fn forget(&mut self, vc: VcId) {
        self.calls.remove(&vc);
        self.roots.remove(&vc);
        self.sent_seq.remove(&vc);
        self.recv_seq.remove(&vc);
    }

    fn send_burst(&mut self, vc: VcId) {
        for _ in 0..self.rng.gen_range(1..=8) {
            let seq = self.sent_seq.entry(vc).or_insert(0);
            *seq += 1;
            let mut sdu = seq.to_be_bytes().to_vec();
            sdu.resize(self.rng.gen_range(8..=200), 0xA5);
            self.out.push_back(VcRequest::Send {
                vc,
                sdu: Bytes::from(sdu),
            });
        }
    }

    fn act(&mut self) {
        let roll = self.rng.gen_range(0..100);
        match roll {
            0..=19 => {
                let (vc, to) = (self.fresh_vc(), self.peer());
                self.calls.insert(vc, Call::Calling);
                self.out.push_back(VcRequest::Connect { vc, to });
            }
            20..=27 => {
                let vc = self.fresh_vc();
                self.roots.insert(vc, BTreeMap::new());
                self.out.push_back(VcRequest::OpenMultipoint { vc });
            }
            28..=39 => {
                if let Some(vc) = Self::pick(&mut self.rng, self.roots.keys().copied()) {
                    self.next_party += 1;
                    let (party, to) = (PartyId(self.next_party), self.peer());
                    self.roots.get_mut(&vc).unwrap().insert(party, false);
                    self.out.push_back(VcRequest::AddParty { vc, party, to });
                }
            }
            40..=45 => {
                let parties = self
                    .roots
                    .iter()
                    .flat_map(|(&vc, ps)| ps.keys().map(move |&p| (vc, p)));
                if let Some((vc, party)) = Self::pick(&mut self.rng, parties) {
                    self.roots.get_mut(&vc).unwrap().remove(&party);
                    self.out.push_back(VcRequest::DropParty {
                        vc,
                        party,
                        cause: Cause::NORMAL,
                    });
                }
            }
            46..=55 => {
                let all = self.calls.keys().chain(self.roots.keys()).copied();
                if let Some(vc) = Self::pick(&mut self.rng, all) {
                    self.forget(vc);
                    self.out.push_back(VcRequest::Release {
                        vc,
                        cause: Cause::NORMAL,
                    });
                }
            }
            _ => {
                let up = self
                    .calls
                    .iter()
                    .filter(|(_, &c)| c == Call::Up)
                    .map(|(&vc, _)| vc);
                let sendable: Vec<VcId> = up.chain(self.roots.keys().copied()).collect();
                if let Some(vc) = Self::pick(&mut self.rng, sendable.into_iter()) {
                    self.send_burst(vc);
                }
            }
        }
    }
}

impl AtmUser for Chaos {
    fn handle_vc_event(&mut self, now: Instant, ev: VcEvent) {
        let vc = ev.vc();
        match ev {
            VcEvent::IncomingCall { multipoint, .. } => {
                if !vc.is_incoming() || self.calls.contains_key(&vc) {
                    self.violation(now, format!("IncomingCall with a bad or reused id {vc}"));
                }
                if self.rng.gen_bool(0.8) {
                    let state = if multipoint { Call::Leaf } else { Call::Up };
                    self.calls.insert(vc, state);
                    self.out.push_back(VcRequest::Accept { vc });
                } else {
                    self.out.push_back(VcRequest::Refuse {
                        vc,
                        cause: Cause::CALL_REJECTED,
                    });
                }
            }
            VcEvent::Connected { .. } => match self.calls.get(&vc) {
                Some(Call::Calling) => {
                    self.calls.insert(vc, Call::Up);
                }
                other => self.violation(now, format!("Connected for {vc} in state {other:?} (G1)")),
            },
            VcEvent::Released { .. } => {
                if !self.calls.contains_key(&vc) && !self.roots.contains_key(&vc) {
                    self.violation(
                        now,
                        format!("Released for unknown or released {vc} (G4, G7)"),
                    );
                }
                self.forget(vc);
            }
            VcEvent::PartyAdded { party, .. } => {
                match self.roots.get_mut(&vc).and_then(|ps| ps.get_mut(&party)) {
                    Some(added @ false) => *added = true,
                    other => {
                        let other = other.copied();
                        self.violation(
                            now,
                            format!("PartyAdded {vc}/{party:?} when {other:?} (G5)"),
                        )
                    }
                }
            }
            VcEvent::PartyDropped { party, .. } => {
                if self
                    .roots
                    .get_mut(&vc)
                    .and_then(|ps| ps.remove(&party))
                    .is_none()
                {
                    self.violation(
                        now,
                        format!("PartyDropped for unknown {vc}/{party:?} (G5, G7)"),
                    );
                }
            }
            VcEvent::Received { sdu, .. } => {
                if !matches!(self.calls.get(&vc), Some(Call::Up | Call::Leaf)) {
                    self.violation(now, format!("Received on {vc} that is not up (G2, G4)"));
                }
                let seq = u64::from_be_bytes(sdu[..8].try_into().unwrap());
                let last = self.recv_seq.insert(vc, seq).unwrap_or(0);
                if seq <= last {
                    self.violation(now, format!("SDU {seq} after {last} on {vc} (G3)"));
                }
            }
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.act();
        let next = now + Duration::from_millis(self.rng.gen_range(1..=40));
        self.wake = (next < self.stop_at).then_some(next);
    }

    fn poll_request(&mut self) -> Option<VcRequest> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.wake
    }
}

/// Run the scenario; returns the trace digest and the fabric's counters.
fn scenario(seed: u64) -> (TraceDigest, FabricCounters) {
    let mut sim = Sim::new(seed);
    let end = Instant::ZERO + Duration::from_secs(20);
    sim.fabric_mut().enable_trace();
    sim.fabric_mut().set_default_link(LinkConfig {
        latency: Duration::from_millis(2),
        jitter: Duration::from_millis(3),
        loss: 0.01,
        bandwidth: Some(155_520_000),
    });
    let eps: Vec<_> = (1..=ENDPOINTS)
        .map(|n| sim.add_engine(test_address(n), Chaos::new(seed, n, Instant::ZERO, end)))
        .collect();

    let mut faults = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(31));
    let mut crashed = BTreeSet::new();
    let check = |sim: &Sim| {
        for &ep in &eps {
            if let Some(c) = sim.engine::<Chaos>(ep) {
                assert!(c.violations.is_empty(), "{ep}: {:#?}", c.violations);
            }
        }
    };
    while sim.now() < end {
        sim.run_for(Duration::from_millis(250)).unwrap();
        check(&sim);
        match faults.gen_range(0..20) {
            0 => {
                let ep = eps[faults.gen_range(0..eps.len())];
                if crashed.insert(ep) {
                    sim.crash(ep);
                }
            }
            1 => {
                if let Some(&ep) = crashed.iter().next() {
                    crashed.remove(&ep);
                    let n = ep.index() as u64 + 1;
                    sim.restart(ep, Chaos::new(seed ^ 0xdead, n, sim.now(), end));
                }
            }
            2 => {
                let cut: Vec<_> = eps
                    .iter()
                    .copied()
                    .filter(|_| faults.gen_bool(0.3))
                    .collect();
                sim.fabric_mut().partition(&[&cut]);
            }
            3 => sim.fabric_mut().heal(),
            _ => {}
        }
    }
    sim.fabric_mut().heal();
    assert!(sim.run_until_idle(end + Duration::from_secs(60)).unwrap());
    check(&sim);
    let f = sim.fabric();
    assert_eq!(
        f.totals().misuse,
        0,
        "the chaos engines never break the contract"
    );
    (f.trace().unwrap(), f.totals())
}

#[test]
fn same_seed_same_run_different_seed_different_run() {
    let (a, counters) = scenario(42);
    let (b, _) = scenario(42);
    assert_eq!(a, b);
    // The scenario is busy: calls, multipoint, data, loss, faults.
    assert!(a.events > 20_000, "{a:?}");
    assert!(counters.sdus_delivered > 10_000, "{counters:?}");
    assert!(counters.sdus_lost > 100, "{counters:?}");
    let (c, _) = scenario(43);
    assert_ne!(a.hash, c.hash);
}
