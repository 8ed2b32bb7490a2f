//! Messages per update flooded through 16 SCSP servers in a ring (RFC 2334 §2.3), lossless.
//!
//! `cargo bench -p mars-sim --bench scsp_ring`. Two cases: updates one at a time (each flood
//! alone, the worst case for packing), and bursts of 100 updates from one server (packed).

use std::time::{Duration, Instant as Wall};

use mars_proto::scsp::{CaState, ClientProtocol, DcsConfig, InvalidRecord, ScspConfig, ScspEngine};
use mars_sim::{test_address, EndpointId, LinkConfig, Sim};
use mars_wire::scsp::{CacheKey, ScspId};

struct Bench;

impl ClientProtocol for Bench {
    fn protocol_id(&self) -> u16 {
        3
    }
    fn server_group_id(&self) -> u16 {
        1
    }
    fn id_len(&self) -> Option<u8> {
        Some(4)
    }
    fn validate(&self, _: &CacheKey, _: &ScspId, _: &[u8]) -> Result<(), InvalidRecord> {
        Ok(())
    }
    fn purge_part(&self, _: &CacheKey, _: &[u8]) -> Vec<u8> {
        Vec::new()
    }
}

type E = ScspEngine<Bench>;
const N: u32 = 16;

fn ring() -> (Sim, Vec<EndpointId>) {
    let mut sim = Sim::new(2);
    sim.fabric_mut()
        .set_default_link(LinkConfig::with_latency(Duration::from_millis(1)));
    let eps = (1..=N)
        .map(|i| {
            let mut c = ScspConfig::new(ScspId::from_u32(i), test_address(u64::from(i)));
            c.origination_hold = None;
            let prev = if i == 1 { N } else { i - 1 };
            let next = if i == N { 1 } else { i + 1 };
            c.dcs = [prev, next]
                .iter()
                .map(|&d| DcsConfig::new(test_address(u64::from(d))))
                .collect();
            c.rng_seed = u64::from(i);
            let e = E::new(c, Bench, sim.now()).expect("config");
            sim.add_engine(test_address(u64::from(i)), e)
        })
        .collect();
    (sim, eps)
}

fn quiet(sim: &Sim, eps: &[EndpointId]) -> bool {
    eps.iter().all(|&ep| {
        let e = sim.engine::<E>(ep).expect("engine");
        (0..e.dcs_count()).all(|d| {
            let s = e.dcs_status(d).expect("dcs");
            s.ca == CaState::Aligned && s.retransmit_queue == 0
        })
    })
}

fn totals(sim: &Sim, eps: &[EndpointId]) -> (u64, u64, u64) {
    eps.iter().fold((0, 0, 0), |(m, c, o), &ep| {
        let k = sim.engine::<E>(ep).expect("engine").counters();
        (
            m + k.sent.csu_request + k.sent.csu_reply,
            c + k.csa_sent,
            o + k.octets_sent,
        )
    })
}

fn case(name: &str, updates: u32, burst: u32) {
    let (mut sim, eps) = ring();
    let limit = sim.now() + Duration::from_secs(60);
    assert!(sim.run_until_with(limit, |s| quiet(s, &eps)).expect("run"));
    let (m0, c0, o0) = totals(&sim, &eps);
    let wall = Wall::now();
    let mut k = 0;
    for round in 0..updates / burst {
        let who = eps[(round as usize * 7) % eps.len()];
        let batch: Vec<(CacheKey, bytes::Bytes)> = (0..burst)
            .map(|i| (CacheKey::from_u32(k + i), bytes::Bytes::from(vec![0u8; 40])))
            .collect();
        k += burst;
        sim.with_engine::<E, _>(who, |e, now| {
            for r in e.originate_many(now, batch) {
                r.expect("originate");
            }
        })
        .expect("engine");
        let limit = sim.now() + Duration::from_secs(10);
        assert!(sim.run_until_with(limit, |s| quiet(s, &eps)).expect("run"));
    }
    let wall = wall.elapsed();
    let (m1, c1, o1) = totals(&sim, &eps);
    let u = f64::from(updates);
    println!(
        "{name}: {updates} updates through {N} servers in a ring: {:.1} CSU messages, {:.1} CSA records, {:.0} octets per update; {:.1} µs wall per update",
        (m1 - m0) as f64 / u,
        (c1 - c0) as f64 / u,
        (o1 - o0) as f64 / u,
        wall.as_secs_f64() * 1e6 / u
    );
}

fn main() {
    case("one at a time", 1000, 1);
    case("bursts of 100 (originate_many)", 10_000, 100);
}
