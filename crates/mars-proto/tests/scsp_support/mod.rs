//! Support shared by the SCSP integration tests: two toy client protocols, a minimal
//! deterministic network, configuration helpers and cache comparisons.
#![allow(dead_code)]

pub mod clients;
pub mod json;
pub mod net;

use std::collections::BTreeMap;
use std::time::Duration;

use mars_proto::scsp::{ClientProtocol, DcsConfig, DcsParams, ScspConfig, ScspEngine};
use mars_wire::scsp::{CacheKey, ScspId};
use mars_wire::CsaSeq;

pub use net::addr;

/// Short timers for tests: Hello every second, dead after 3, retransmissions after 500 ms.
pub fn fast_params() -> DcsParams {
    DcsParams {
        hello_interval: Duration::from_secs(1),
        dead_factor: 3,
        ca_rexmt_interval: Duration::from_millis(500),
        csus_rexmt_interval: Duration::from_millis(500),
        csu_rexmt_interval: Duration::from_millis(500),
        rexmt_limit: 5,
        hop_count: 32,
    }
}

/// Server `n` (ID `n`, address `addr(n)`) with DCSs `dcs` and fast timers.
pub fn config(n: u32, dcs: &[u32]) -> ScspConfig {
    let mut c = ScspConfig::new(ScspId::from_u32(n), addr(u64::from(n)));
    c.rng_seed = u64::from(n);
    c.connect_retry = Duration::from_millis(500);
    c.callee_fallback = None;
    c.tombstone_hold = Duration::from_secs(60);
    c.dcs = dcs
        .iter()
        .map(|&d| {
            let mut dc = DcsConfig::new(addr(u64::from(d)));
            dc.params = fast_params();
            dc
        })
        .collect();
    c
}

/// The live cache as (key, originator) → (sequence number, part).
pub fn live<C: ClientProtocol>(
    e: &ScspEngine<C>,
) -> BTreeMap<(CacheKey, ScspId), (CsaSeq, Vec<u8>)> {
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

/// Cache key `k` as 4 octets.
pub fn key(k: u32) -> CacheKey {
    CacheKey::from_u32(k)
}

/// Server ID `n` as 4 octets.
pub fn sid(n: u32) -> ScspId {
    ScspId::from_u32(n)
}
