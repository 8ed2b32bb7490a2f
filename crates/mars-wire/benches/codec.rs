//! Codec throughput (issue: "decode and encode of a MARS_JOIN, a MARS_MULTI with 64 ATM
//! addresses, and an SCSP CSU Request with 64 RFC 2443 CSA records, beside a memcpy of the
//! same bytes measured in the same run").
//!
//! Run: `cargo bench -p mars-wire --bench codec`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use mars_wire::dmars::{CsaFlags, CsaState, GroupRange, MarsCsa};
use mars_wire::mars::{Flags, GroupPair, Join, MarsBody, MarsMessage, Multi, SeqXy};
use mars_wire::scsp::{
    CacheKey, CommonPart, CsasRecord, ScspBody, ScspId, ScspPacket, PROTOCOL_MARS,
};
use mars_wire::{AtmAddr, AtmAddress, CsaSeq, Csn, ProtoAddr, Protocol};

fn nsap(n: u32) -> AtmAddress {
    let mut o = [0u8; 20];
    o[0] = 0x47;
    o[16..20].copy_from_slice(&n.to_be_bytes());
    AtmAddress::new(AtmAddr::nsap(o))
}

fn join() -> Vec<u8> {
    let j = Join::new(
        nsap(1),
        ProtoAddr::v4_u32(0x0A00_0001),
        Flags(0).with_layer3grp(true),
        vec![GroupPair::single(ProtoAddr::v4_u32(0xE001_0203))],
    );
    MarsMessage::new(Protocol::IPV4, MarsBody::Join(j))
        .to_vec()
        .unwrap()
}

fn multi64() -> Vec<u8> {
    let targets = (0..64).map(nsap).collect();
    let m = Multi::new(
        nsap(1),
        ProtoAddr::v4_u32(0x0A00_0001),
        ProtoAddr::v4_u32(0xE001_0203),
        targets,
        SeqXy::SINGLE,
        Csn(7),
    );
    MarsMessage::new(Protocol::IPV4, MarsBody::Multi(m))
        .to_vec()
        .unwrap()
}

fn csu64() -> Vec<u8> {
    let oid = ScspId::from_u32(0x0A00_0001);
    let records = (0..64u32)
        .map(|i| {
            let csa = MarsCsa {
                pro: Protocol::IPV4,
                unused: 0,
                state: CsaState::ClientJoin,
                flags: CsaFlags {
                    layer3grp: true,
                    register: false,
                    sequence: 0,
                },
                cmi: i as u16 + 1,
                spa: ProtoAddr::v4_u32(0x0A00_0000 + i),
                source: nsap(i),
                group: Some(GroupRange::single(ProtoAddr::v4_u32(0xE000_0000 + i))),
            };
            let mut s =
                CsasRecord::new(CsaSeq::FIRST, CacheKey::from_u32(i << 16 | 1), oid.clone());
            s.hop_count = 8;
            csa.to_record(s).unwrap()
        })
        .collect();
    let common = CommonPart::new(PROTOCOL_MARS, 1, oid, ScspId::from_u32(0x0A00_0002));
    ScspPacket::new(common, ScspBody::CsuRequest(records))
        .to_vec()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let cases: [(&str, Vec<u8>); 3] = [
        ("mars_join", join()),
        ("mars_multi_64", multi64()),
        ("scsp_csu_64_csa", csu64()),
    ];
    for (name, bytes) in cases {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("memcpy", |b| {
            let mut dst = vec![0u8; bytes.len()];
            b.iter(|| {
                dst.copy_from_slice(black_box(&bytes));
                black_box(&dst);
            })
        });
        match name {
            "scsp_csu_64_csa" => {
                let p = ScspPacket::decode(&bytes).unwrap();
                g.bench_function("decode", |b| {
                    b.iter(|| ScspPacket::decode(black_box(&bytes)).unwrap())
                });
                g.bench_function("decode+mars_parts", |b| {
                    b.iter(|| {
                        let p = ScspPacket::decode(black_box(&bytes)).unwrap();
                        if let ScspBody::CsuRequest(rs) = &p.body {
                            for r in rs {
                                black_box(MarsCsa::decode_record(r).unwrap());
                            }
                        }
                    })
                });
                let mut out = Vec::with_capacity(bytes.len());
                g.bench_function("encode", |b| {
                    b.iter(|| {
                        out.clear();
                        black_box(&p).encode(&mut out).unwrap();
                    })
                });
            }
            _ => {
                let m = MarsMessage::decode(&bytes).unwrap();
                g.bench_function("decode", |b| {
                    b.iter(|| MarsMessage::decode(black_box(&bytes)).unwrap())
                });
                let mut out = Vec::with_capacity(bytes.len());
                g.bench_function("encode", |b| {
                    b.iter(|| {
                        out.clear();
                        black_box(&m).encode(&mut out).unwrap();
                    })
                });
            }
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
