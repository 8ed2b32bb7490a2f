//! Support for the SCSP tests on the fabric: a tiny client protocol (not MARS), server
//! groups in a topology, cache comparison.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use mars_proto::scsp::{
    CaState, ClientProtocol, DcsConfig, DcsParams, HelloState, InvalidRecord, ScspConfig,
    ScspEngine,
};
use mars_proto::Instant;
use mars_sim::{test_address, EndpointId, LinkConfig, Sim};
use mars_wire::scsp::{CacheKey, ScspId};
use mars_wire::CsaSeq;

/// A client protocol with 4-octet IDs and keys that stores text; its purge part is `PURGED`.
#[derive(Debug, Clone, Default)]
pub struct Toy;

impl ClientProtocol for Toy {
    fn protocol_id(&self) -> u16 {
        0x7F01
    }
    fn server_group_id(&self) -> u16 {
        1
    }
    fn id_len(&self) -> Option<u8> {
        Some(4)
    }
    fn cache_key_len(&self) -> Option<u8> {
        Some(4)
    }
    fn validate(&self, _: &CacheKey, _: &ScspId, part: &[u8]) -> Result<(), InvalidRecord> {
        if part.len() <= 256 {
            Ok(())
        } else {
            Err(InvalidRecord("longer than 256 octets"))
        }
    }
    fn purge_part(&self, _: &CacheKey, _: &[u8]) -> Vec<u8> {
        b"PURGED".to_vec()
    }
}

pub type Engine = ScspEngine<Toy>;

/// Timers for simulations: Hello every second, dead after 3, retransmissions after 400 ms.
pub fn params() -> DcsParams {
    DcsParams {
        hello_interval: Duration::from_secs(1),
        dead_factor: 3,
        ca_rexmt_interval: Duration::from_millis(400),
        csus_rexmt_interval: Duration::from_millis(400),
        csu_rexmt_interval: Duration::from_millis(400),
        rexmt_limit: 5,
        hop_count: 32,
    }
}

/// Server `n` (ID and address `n`) with DCSs `dcs`.
pub fn config(n: u32, dcs: &[u32]) -> ScspConfig {
    let mut c = ScspConfig::new(ScspId::from_u32(n), test_address(u64::from(n)));
    c.rng_seed = u64::from(n) * 7919;
    c.connect_retry = Duration::from_millis(500);
    c.callee_fallback = Some(Duration::from_secs(5));
    c.dcs = dcs
        .iter()
        .map(|&d| {
            let mut dc = DcsConfig::new(test_address(u64::from(d)));
            dc.params = params();
            dc
        })
        .collect();
    c
}

/// Neighbour lists of servers 1..=n in a topology: `line`, `ring`, `star` (server 1 in the
/// middle) or `mesh`.
pub fn topology(kind: &str, n: u32) -> Vec<Vec<u32>> {
    (1..=n)
        .map(|i| {
            let mut v: Vec<u32> = match kind {
                "line" => vec![i - 1, i + 1],
                "ring" => vec![
                    if i == 1 { n } else { i - 1 },
                    if i == n { 1 } else { i + 1 },
                ],
                "star" if i == 1 => (2..=n).collect(),
                "star" => vec![1],
                _ => (1..=n).collect(),
            };
            v.retain(|&j| j >= 1 && j <= n && j != i);
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect()
}

/// The live cache: (key, originator) → (sequence number, part).
pub type Live = BTreeMap<(CacheKey, ScspId), (CsaSeq, Vec<u8>)>;

pub fn live(e: &Engine) -> Live {
    e.cache()
        .iter()
        .filter(|(_, v)| !v.purged)
        .map(|(id, v)| {
            (
                (id.key.clone(), id.origin.clone()),
                (v.seq, v.part.to_vec()),
            )
        })
        .collect()
}

/// Whether two engines hold the same live entries (key, originator, sequence number, part).
pub fn same_live(a: &Engine, b: &Engine) -> bool {
    if a.cache().len() != b.cache().len() {
        return false;
    }
    fn live_entries(
        e: &Engine,
    ) -> impl Iterator<Item = (&mars_proto::scsp::EntryId, CsaSeq, &bytes::Bytes)> {
        e.cache()
            .iter()
            .filter(|(_, v)| !v.purged)
            .map(|(id, v)| (id, v.seq, &v.part))
    }
    live_entries(a).eq(live_entries(b))
}

/// A server group on a fabric.
pub struct Group {
    pub sim: Sim,
    pub eps: Vec<EndpointId>,
    pub cfgs: Vec<ScspConfig>,
    pub up: Vec<bool>,
}

impl Group {
    /// Servers 1..=n in `kind`, on links `link`.
    pub fn new(seed: u64, kind: &str, n: u32, link: LinkConfig) -> Self {
        Self::with_configs(
            seed,
            topology(kind, n)
                .iter()
                .enumerate()
                .map(|(i, nb)| config(i as u32 + 1, nb))
                .collect(),
            link,
        )
    }

    pub fn with_configs(seed: u64, cfgs: Vec<ScspConfig>, link: LinkConfig) -> Self {
        let mut sim = Sim::new(seed);
        sim.fabric_mut().set_default_link(link);
        let eps = cfgs
            .iter()
            .map(|c| {
                let e = Engine::new(c.clone(), Toy, sim.now()).expect("valid config");
                sim.add_engine(c.address, e)
            })
            .collect();
        let up = vec![true; cfgs.len()];
        Group { sim, eps, cfgs, up }
    }

    pub fn engine(&self, k: usize) -> &Engine {
        self.sim
            .engine::<Engine>(self.eps[k])
            .expect("an SCSP engine")
    }

    pub fn with<R>(&mut self, k: usize, f: impl FnOnce(&mut Engine, Instant) -> R) -> R {
        self.sim
            .with_engine::<Engine, R>(self.eps[k], f)
            .expect("an SCSP engine")
    }

    /// Throw away the events the engines reported (tests look at caches and counters).
    pub fn drain_events(&mut self) {
        for k in 0..self.eps.len() {
            if self.up[k] {
                self.with(k, |e, _| while e.poll_event().is_some() {});
            }
        }
    }

    pub fn run_for(&mut self, d: Duration) {
        self.sim.run_for(d).expect("simulation runs");
        self.drain_events();
    }

    pub fn live(&self, k: usize) -> Live {
        live(self.engine(k))
    }

    /// Whether every running server holds the same live cache (compared without copying).
    pub fn same_caches(&self) -> bool {
        let mut up = (0..self.eps.len()).filter(|&k| self.up[k]);
        let Some(first) = up.next() else {
            return true;
        };
        let a = self.engine(first);
        up.all(|k| same_live(a, self.engine(k)))
    }

    /// The first entry on which two servers' live caches differ.
    pub fn first_difference(&self, a: usize, b: usize) -> Option<String> {
        let (la, lb) = (self.live(a), self.live(b));
        for (k, v) in &la {
            if lb.get(k) != Some(v) {
                return Some(format!(
                    "{k:?}: {v:?} at {} vs {:?} at {}",
                    a + 1,
                    lb.get(k),
                    b + 1
                ));
            }
        }
        lb.keys()
            .find(|k| !la.contains_key(*k))
            .map(|k| format!("{k:?} only at {}", b + 1))
    }

    /// Whether every adjacency of every running server is aligned, with nothing queued.
    pub fn quiet(&self) -> bool {
        (0..self.eps.len()).filter(|&k| self.up[k]).all(|k| {
            let e = self.engine(k);
            (0..e.dcs_count()).all(|d| {
                let s = e.dcs_status(d).expect("dcs");
                let peer_up = self
                    .cfgs
                    .iter()
                    .position(|c| c.address == s.address)
                    .is_some_and(|p| self.up[p]);
                !peer_up
                    || (s.hello == HelloState::Bidirectional
                        && s.ca == CaState::Aligned
                        && s.retransmit_queue == 0
                        && s.crl == 0)
            })
        })
    }

    /// Run until `cond` holds, checking every `step`, for at most `limit`.
    pub fn run_until(
        &mut self,
        step: Duration,
        limit: Duration,
        mut cond: impl FnMut(&Self) -> bool,
    ) -> bool {
        let end = self.sim.now() + limit;
        loop {
            if cond(self) {
                return true;
            }
            if self.sim.now() >= end {
                return false;
            }
            self.run_for(step);
        }
    }

    /// A description of every server for failure messages.
    pub fn dump(&self) -> String {
        let mut s = String::new();
        for k in 0..self.eps.len() {
            if !self.up[k] {
                let _ = writeln!(s, "server {}: down", k + 1);
                continue;
            }
            let e = self.engine(k);
            let _ = write!(s, "server {}: {} live;", k + 1, self.live(k).len());
            for d in 0..e.dcs_count() {
                let st = e.dcs_status(d).expect("dcs");
                let _ = write!(
                    s,
                    " [{} {:?}/{:?} q{} crl{}]",
                    st.id.map(|i| i.to_string()).unwrap_or_default(),
                    st.hello,
                    st.ca,
                    st.retransmit_queue,
                    st.crl
                );
            }
            let _ = writeln!(s, " abnormal {:?}", e.counters().abnormal);
        }
        let up: Vec<usize> = (0..self.eps.len()).filter(|&k| self.up[k]).collect();
        for &k in up.iter().skip(1) {
            if let Some(d) = self.first_difference(up[0], k) {
                let _ = writeln!(s, "first difference: {d}");
            }
        }
        s
    }

    /// Crash server `k` (its engine and state are gone).
    pub fn crash(&mut self, k: usize) {
        self.sim.crash(self.eps[k]);
        self.up[k] = false;
    }

    /// Bring server `k` back with a fresh engine and an empty cache.
    pub fn restart(&mut self, k: usize, cfg: ScspConfig) {
        let e = Engine::new(cfg.clone(), Toy, self.sim.now()).expect("valid config");
        self.sim.restart(self.eps[k], e);
        self.cfgs[k] = cfg;
        self.up[k] = true;
    }
}

/// Cache key `k`.
pub fn key(k: u32) -> CacheKey {
    CacheKey::from_u32(k)
}

/// Server ID `n`.
pub fn sid(n: u32) -> ScspId {
    ScspId::from_u32(n)
}
