//! CPU time per CSA record processed by the SCSP engine (RFC 2334 §2.3), without a network:
//! an engine aligned with two DCSs receives CSU Requests of 150 CSA records (40-octet parts),
//! each more up to date than the cache, so each is decoded, checked, stored, acknowledged and
//! queued for flooding to the other DCS; the acknowledgements and the flood are encoded.
//! Also: a CSU Reply acknowledging 150 records, and a CA summary of 456 CSAS records.
//!
//! `cargo bench -p mars-proto --bench scsp_csa`; criterion reports time per message and
//! records per second.

use std::time::{Duration, Instant as Wall};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mars_proto::scsp::{CaState, ClientProtocol, DcsConfig, InvalidRecord, ScspConfig, ScspEngine};
use mars_proto::{AtmUser, Instant, VcEvent, VcId, VcRequest};
use mars_wire::scsp::{
    Ca, CacheKey, CommonPart, CsaRecord, CsasRecord, ScspBody, ScspId, ScspPacket, CA_FLAG_I,
    CA_FLAG_M, CA_FLAG_O,
};
use mars_wire::{AtmAddr, AtmAddress, CsaSeq};

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

fn addr(n: u8) -> AtmAddress {
    let mut o = [0x47u8; 20];
    o[19] = n;
    AtmAddress::new(AtmAddr::nsap(o))
}

const RECORDS: u32 = 150;

fn sdu(p: &ScspPacket) -> Bytes {
    let mut v = Vec::new();
    p.encode_sdu(&mut v).expect("encode");
    Bytes::from(v)
}

fn common(from: u32, flags: u16) -> CommonPart {
    let mut c = CommonPart::new(3, 1, ScspId::from_u32(from), ScspId::from_u32(1));
    c.flags = flags;
    c
}

/// Server 1 aligned (as slave) with DCSs 2 and 3; returns the engine and the two VCs.
fn aligned() -> (ScspEngine<Bench>, [VcId; 2]) {
    let mut c = ScspConfig::new(ScspId::from_u32(1), addr(1));
    c.origination_hold = None;
    c.max_cache_entries = usize::MAX;
    c.dcs = vec![DcsConfig::new(addr(2)), DcsConfig::new(addr(3))];
    let mut e = ScspEngine::new(c, Bench, Instant::ZERO).expect("config");
    let now = Instant::ZERO;
    let mut vcs = [VcId::local(0); 2];
    for (i, v) in vcs.iter_mut().enumerate() {
        *v = match e.poll_request() {
            Some(VcRequest::Connect { vc, .. }) => vc,
            other => panic!("{other:?} at {i}"),
        };
    }
    for (d, vc) in [(2u32, vcs[0]), (3, vcs[1])] {
        e.handle_vc_event(now, VcEvent::Connected { vc });
        let hello = ScspPacket::hello(common(d, 0), 60, 3, 0, &[ScspId::from_u32(1)]);
        e.handle_vc_event(
            now,
            VcEvent::Received {
                vc,
                sdu: sdu(&hello),
            },
        );
        for (seq, flags) in [(100, CA_FLAG_M | CA_FLAG_I | CA_FLAG_O), (101, CA_FLAG_M)] {
            let ca = ScspPacket::new(
                common(d, flags),
                ScspBody::Ca(Ca {
                    sequence: seq,
                    records: vec![],
                }),
            );
            e.handle_vc_event(now, VcEvent::Received { vc, sdu: sdu(&ca) });
        }
        assert!(e
            .dcs_status((d - 2) as usize)
            .is_some_and(|s| s.ca == CaState::Aligned));
    }
    while e.poll_request().is_some() {}
    while e.poll_event().is_some() {}
    (e, vcs)
}

/// A CSU Request from DCS 2 updating keys `base..base+RECORDS` to `seq`.
fn csu_request(base: u32, seq: CsaSeq) -> Bytes {
    let recs = (0..RECORDS)
        .map(|k| {
            let mut s = CsasRecord::new(seq, CacheKey::from_u32(base + k), ScspId::from_u32(2));
            s.hop_count = 8;
            CsaRecord::new(s, vec![0x5A; 40])
        })
        .collect();
    sdu(&ScspPacket::new(common(2, 0), ScspBody::CsuRequest(recs)))
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("scsp");
    g.throughput(Throughput::Elements(u64::from(RECORDS)));
    g.measurement_time(Duration::from_secs(5));
    // New CSAs: stored, acknowledged, flooded to DCS 3 (whose queue is acknowledged as it
    // goes, so that it stays small).
    g.bench_function("csu_request_150_newer_csa", |b| {
        let (mut e, vcs) = aligned();
        let mut seq = CsaSeq::FIRST;
        b.iter_custom(|iters| {
            let inputs: Vec<Bytes> = (0..iters)
                .map(|_| {
                    seq = seq.next().unwrap_or(CsaSeq::FIRST);
                    csu_request(0, seq)
                })
                .collect();
            let t = Wall::now();
            for sdu in inputs {
                e.handle_vc_event(Instant::ZERO, VcEvent::Received { vc: vcs[0], sdu });
                while e.poll_request().is_some() {}
                while e.poll_event().is_some() {}
            }
            let d = t.elapsed();
            // Acknowledge the flood to DCS 3 outside the timing.
            let ack = (0..RECORDS)
                .map(|k| CsasRecord::new(seq, CacheKey::from_u32(k), ScspId::from_u32(2)))
                .collect();
            let reply = ScspPacket::new(common(3, 0), ScspBody::CsuReply(ack));
            e.handle_vc_event(
                Instant::ZERO,
                VcEvent::Received {
                    vc: vcs[1],
                    sdu: sdu(&reply),
                },
            );
            while e.poll_request().is_some() {}
            d
        });
    });
    // Acknowledgements: a CSU Reply dequeuing 150 records.
    g.bench_function("csu_reply_150_acks", |b| {
        let (mut e, vcs) = aligned();
        let mut k = 0u32;
        b.iter_custom(|iters| {
            let mut replies = Vec::with_capacity(iters as usize);
            for _ in 0..iters {
                let keys: Vec<(CacheKey, Bytes)> = (0..RECORDS)
                    .map(|i| (CacheKey::from_u32(k + i), Bytes::from_static(&[0u8; 40])))
                    .collect();
                for r in e.originate_many(Instant::ZERO, keys) {
                    r.expect("originate");
                }
                while e.poll_request().is_some() {}
                let ack = (0..RECORDS)
                    .map(|i| {
                        CsasRecord::new(
                            CsaSeq::FIRST,
                            CacheKey::from_u32(k + i),
                            ScspId::from_u32(1),
                        )
                    })
                    .collect();
                replies.push(sdu(&ScspPacket::new(common(2, 0), ScspBody::CsuReply(ack))));
                k += RECORDS;
            }
            let t = Wall::now();
            for sdu in replies {
                e.handle_vc_event(Instant::ZERO, VcEvent::Received { vc: vcs[0], sdu });
                while e.poll_request().is_some() {}
            }
            t.elapsed()
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
