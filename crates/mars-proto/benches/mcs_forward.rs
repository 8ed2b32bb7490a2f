//! The data-path cost of the MCS engine: one datagram received from a sender and forwarded
//! on the group's point-to-multipoint VC (RFC 2149 §4.3), measured against a plain memcpy of
//! the same SDU in the same run.
//!
//! Run: `cargo bench -p mars-proto --bench mcs_forward`.

use std::hint::black_box;
use std::net::Ipv4Addr;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mars_proto::mars::client::datapath::{encapsulate, ipv4_packet};
use mars_proto::mars::mcs::{Mcs, McsConfig};
use mars_proto::{AtmUser, Instant, PartyId, VcEvent, VcId};
use mars_wire::mars::{Flags, GroupPair, Join, MarsBody, MarsMessage, Multi, SeqXy};
use mars_wire::{AtmAddr, AtmAddress, Csn, ProtoAddr, Protocol};

fn addr(n: u8) -> AtmAddress {
    let mut o = [0u8; 20];
    o[0] = 0x47;
    o[19] = n;
    AtmAddress::new(AtmAddr::nsap(o))
}

fn recv(m: &mut Mcs, vc: VcId, body: MarsBody) {
    let sdu = MarsMessage::new(Protocol::IPV4, body).encode_sdu().unwrap();
    m.handle_vc_event(
        Instant::ZERO,
        VcEvent::Received {
            vc,
            sdu: Bytes::from(sdu),
        },
    );
}

/// An MCS serving 224.1.0.1 with a VC to `leaves` members and one sender's VC (`in2`).
fn ready_mcs(leaves: u8) -> Mcs {
    let g = ProtoAddr::v4(Ipv4Addr::new(224, 1, 0, 1));
    let me = addr(250);
    let mut m = Mcs::new(McsConfig::new(me, vec![addr(200)], vec![g]), Instant::ZERO);
    let t = Instant::ZERO;
    m.handle_vc_event(t, VcEvent::Connected { vc: VcId::local(1) });
    let ctl = VcId::incoming(1);
    m.handle_vc_event(
        t,
        VcEvent::IncomingCall {
            vc: ctl,
            from: addr(200),
            multipoint: true,
        },
    );
    let mut reg = Join::new(
        me,
        ProtoAddr::NULL,
        Flags(0).with_register(true).with_copy(true),
        vec![],
    );
    reg.msn = Csn(1);
    recv(&mut m, VcId::local(1), MarsBody::Mserv(reg));
    let serve = Join::new(
        me,
        ProtoAddr::NULL,
        Flags(0).with_copy(true),
        vec![GroupPair::single(g)],
    );
    recv(&mut m, ctl, MarsBody::Mserv(serve));
    let targets: Vec<AtmAddress> = (1..=leaves).map(addr).collect();
    let multi = Multi::new(me, ProtoAddr::NULL, g, targets, SeqXy::SINGLE, Csn(2));
    recv(&mut m, VcId::local(1), MarsBody::Multi(multi));
    for p in 1..=u32::from(leaves) {
        m.handle_vc_event(
            t,
            VcEvent::PartyAdded {
                vc: VcId::local(2),
                party: PartyId(p),
            },
        );
    }
    m.handle_vc_event(
        t,
        VcEvent::IncomingCall {
            vc: VcId::incoming(2),
            from: addr(1),
            multipoint: true,
        },
    );
    while m.poll_request().is_some() {}
    while m.poll_event().is_some() {}
    m
}

fn forward(c: &mut Criterion) {
    let mut grp = c.benchmark_group("mcs_forward");
    for size in [64usize, 1500, 9000] {
        let g = Ipv4Addr::new(224, 1, 0, 1);
        let pkt = ipv4_packet(Ipv4Addr::new(10, 0, 0, 1), g, &vec![0xA5; size - 20]);
        let sdu = encapsulate(3, Protocol::IPV4, &pkt);
        grp.throughput(Throughput::Bytes(sdu.len() as u64));
        let mut m = ready_mcs(16);
        let vc = VcId::incoming(2);
        grp.bench_with_input(BenchmarkId::new("engine", size), &sdu, |b, sdu| {
            b.iter(|| {
                m.handle_vc_event(
                    Instant::ZERO,
                    VcEvent::Received {
                        vc,
                        sdu: sdu.clone(),
                    },
                );
                black_box(m.poll_request())
            })
        });
        assert!(m.stats().other.forwarded > 0, "the engine forwarded");
        let mut dst = vec![0u8; sdu.len()];
        grp.bench_with_input(BenchmarkId::new("memcpy", size), &sdu, |b, sdu| {
            b.iter(|| {
                dst.copy_from_slice(black_box(&sdu[..]));
                black_box(&dst);
            })
        });
    }
    grp.finish();
}

criterion_group!(benches, forward);
criterion_main!(benches);
