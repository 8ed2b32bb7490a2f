//! How long a new SCSP server takes to align a 1,000,000-entry cache from one peer, and with
//! how many messages (RFC 2334 §2.2: CA summaries, CSUS solicitations, CSU Requests and
//! Replies, each packed to the VC's MTU).
//!
//! `cargo bench -p mars-sim --bench scsp_align` (`SCSP_ALIGN_ENTRIES=n` to change the size).
//! Prints wall-clock time (CPU of both engines and the fabric), virtual time on an OC-3 link
//! (155.52 Mb/s, 1 ms latency), and per message type the messages and records per message.

use std::time::{Duration, Instant as Wall};

use mars_proto::scsp::{ClientProtocol, DcsConfig, InvalidRecord, ScspConfig, ScspEngine};
use mars_sim::{test_address, LinkConfig, Sim};
use mars_wire::scsp::{CacheKey, ScspId};

/// RFC 2443-shaped: 4-octet IDs and keys; a part of 40 octets (about a MARS join entry).
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
    fn cache_key_len(&self) -> Option<u8> {
        Some(4)
    }
    fn validate(&self, _: &CacheKey, _: &ScspId, _: &[u8]) -> Result<(), InvalidRecord> {
        Ok(())
    }
    fn purge_part(&self, _: &CacheKey, _: &[u8]) -> Vec<u8> {
        Vec::new()
    }
}

fn config(n: u32, peer: u32) -> ScspConfig {
    let mut c = ScspConfig::new(ScspId::from_u32(n), test_address(u64::from(n)));
    c.origination_hold = None;
    c.connect_retry = Duration::from_millis(100);
    let mut d = DcsConfig::new(test_address(u64::from(peer)));
    d.params.ca_rexmt_interval = Duration::from_secs(2);
    d.params.csus_rexmt_interval = Duration::from_secs(2);
    d.params.csu_rexmt_interval = Duration::from_secs(2);
    c.dcs = vec![d];
    c
}

fn main() {
    let n: u32 = std::env::var("SCSP_ALIGN_ENTRIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut sim = Sim::new(1);
    sim.fabric_mut().set_default_link(LinkConfig {
        latency: Duration::from_millis(1),
        jitter: Duration::ZERO,
        loss: 0.0,
        bandwidth: Some(155_520_000),
    });
    let part = [0x5Au8; 40];
    let mut old = ScspEngine::new(config(1, 2), Bench, sim.now()).expect("config");
    let t = Wall::now();
    for k in 0..n {
        old.originate(sim.now(), CacheKey::from_u32(k), part.to_vec())
            .expect("originate");
    }
    eprintln!("populated {n} entries in {:?}", t.elapsed());
    let a = sim.add_engine(test_address(1), old);
    sim.run_for(Duration::from_secs(1)).expect("run");
    let start_virtual = sim.now();
    let wall = Wall::now();
    let fresh = ScspEngine::new(config(2, 1), Bench, sim.now()).expect("config");
    let b = sim.add_engine(test_address(2), fresh);
    let aligned = |sim: &Sim| {
        let e = sim.engine::<ScspEngine<Bench>>(b).expect("engine");
        e.cache().len() == n as usize
            && e.dcs_status(0)
                .is_some_and(|s| s.ca == mars_proto::scsp::CaState::Aligned)
    };
    let limit = sim.now() + Duration::from_secs(3600);
    assert!(
        sim.run_until_with(limit, aligned).expect("run"),
        "no alignment"
    );
    let wall = wall.elapsed();
    let virt = sim.now() - start_virtual;
    let ea = sim
        .engine::<ScspEngine<Bench>>(a)
        .expect("engine")
        .counters();
    let eb = sim
        .engine::<ScspEngine<Bench>>(b)
        .expect("engine")
        .counters();
    println!("SCSP alignment of {n} entries (40-octet parts) from one peer, max SDU 9188:");
    println!(
        "  wall clock {:.2} s ({:.0} ns per entry)",
        wall.as_secs_f64(),
        wall.as_nanos() as f64 / f64::from(n)
    );
    println!("  virtual time on OC-3 {:.2} s", virt.as_secs_f64());
    let per = |recs: u64, msgs: u64| {
        if msgs == 0 {
            0.0
        } else {
            recs as f64 / msgs as f64
        }
    };
    println!(
        "  CA:          {:>7} messages: {} from the old server with {:.1} CSAS each, {} (empty) answers",
        ea.sent.ca + eb.sent.ca,
        ea.sent.ca,
        per(ea.ca_records_sent, ea.sent.ca),
        eb.sent.ca
    );
    println!(
        "  CSUS:        {:>7} messages, {:.1} CSAS per CSUS",
        eb.sent.csus,
        per(eb.csus_records_sent, eb.sent.csus)
    );
    println!(
        "  CSU Request: {:>7} messages, {:.1} CSA per CSU Request",
        ea.sent.csu_request,
        per(ea.csa_sent, ea.sent.csu_request)
    );
    println!(
        "  CSU Reply:   {:>7} messages, {:.1} CSAS per CSU Reply",
        eb.sent.csu_reply,
        per(eb.acks_sent, eb.sent.csu_reply)
    );
    println!(
        "  total:       {:>7} messages, {:.1} MB",
        ea.sent.total() + eb.sent.total(),
        (ea.octets_sent + eb.octets_sent) as f64 / 1e6
    );
}
