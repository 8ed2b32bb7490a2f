//! Bad input never panics, never corrupts state and never grows memory without bound
//! (design principle 3). Engines in every FSM state are fed random SDUs, damaged valid
//! packets and hostile-but-well-formed packets.

mod scsp_support;

use std::time::Duration;

use bytes::Bytes;
use mars_proto::scsp::{CaState, Discard, HelloState, ScspEngine};
use mars_proto::{AtmUser, Instant, VcEvent, VcId, VcRequest};
use mars_wire::scsp::{
    Ca, CommonPart, CsaRecord, CsasRecord, ScspBody, ScspPacket, CA_FLAG_I, CA_FLAG_M, CA_FLAG_O,
};
use mars_wire::CsaSeq;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scsp_support::clients::Toy;
use scsp_support::{config, key, sid};

/// An engine (server 5) with one DCS (server 9) brought to `state`, and the VC to it.
fn engine_in(state: CaState) -> (ScspEngine<Toy>, VcId, Instant) {
    let mut cfg = config(5, &[9]);
    cfg.max_cache_entries = 1000;
    cfg.origination_hold = None;
    let mut e = ScspEngine::new(cfg, Toy::default(), Instant::ZERO).unwrap();
    let vc = match e.poll_request() {
        Some(VcRequest::Connect { vc, .. }) => vc,
        other => panic!("{other:?}"),
    };
    let now = Instant::ZERO;
    e.handle_vc_event(now, VcEvent::Connected { vc });
    let send = |e: &mut ScspEngine<Toy>, p: ScspPacket| deliver(e, vc, now, &p);
    let common = |flags: u16| {
        let mut c = CommonPart::new(3, 1, sid(9), sid(5));
        c.flags = flags;
        c
    };
    if state == CaState::Down {
        return (e, vc, now);
    }
    send(&mut e, ScspPacket::hello(common(0), 10, 3, 0, &[sid(5)]));
    if state == CaState::MasterSlaveNegotiation {
        return (e, vc, now);
    }
    let ca = |seq, flags| {
        ScspPacket::new(
            common(flags),
            ScspBody::Ca(Ca {
                sequence: seq,
                records: vec![],
            }),
        )
    };
    send(&mut e, ca(100, CA_FLAG_M | CA_FLAG_I | CA_FLAG_O));
    if state == CaState::CacheSummarize {
        return (e, vc, now);
    }
    let mut last = ca(101, CA_FLAG_M);
    if let ScspBody::Ca(c) = &mut last.body {
        c.records
            .push(CsasRecord::new(CsaSeq::FIRST, key(1), sid(9)));
    }
    send(&mut e, last);
    assert_eq!(e.dcs_status(0).unwrap().ca, CaState::UpdateCache);
    if state == CaState::UpdateCache {
        return (e, vc, now);
    }
    let rec = CsaRecord::new(
        CsasRecord::new(CsaSeq::FIRST, key(1), sid(9)),
        b"x".to_vec(),
    );
    send(
        &mut e,
        ScspPacket::new(common(0), ScspBody::CsuRequest(vec![rec])),
    );
    assert_eq!(e.dcs_status(0).unwrap().ca, CaState::Aligned);
    (e, vc, now)
}

/// `p` arrives on `vc`.
fn deliver(e: &mut ScspEngine<Toy>, vc: VcId, now: Instant, p: &ScspPacket) {
    let mut sdu = Vec::new();
    p.encode_sdu(&mut sdu).unwrap();
    e.handle_vc_event(
        now,
        VcEvent::Received {
            vc,
            sdu: Bytes::from(sdu),
        },
    );
}

fn drain(e: &mut ScspEngine<Toy>) {
    while e.poll_request().is_some() {}
    while e.poll_event().is_some() {}
}

/// A valid packet from the DCS of a random type with random records.
fn random_packet(rng: &mut ChaCha8Rng) -> ScspPacket {
    let mut c = CommonPart::new(3, 1, sid(9), sid(5));
    c.flags = rng.gen::<u16>() & 0xE000;
    let n = rng.gen_range(0..20);
    let csas: Vec<CsasRecord> = (0..n)
        .map(|_| {
            let seq = CsaSeq::new(rng.gen_range(i32::MIN + 1..=i32::MAX)).unwrap();
            CsasRecord::new(seq, key(rng.gen_range(0..50)), sid(rng.gen_range(1..12)))
        })
        .collect();
    let body = match rng.gen_range(0..5) {
        0 => ScspBody::Ca(Ca {
            sequence: rng.gen_range(99..103),
            records: csas,
        }),
        1 => ScspBody::CsuRequest(
            csas.into_iter()
                .map(|mut s| {
                    s.hop_count = rng.gen_range(0..4);
                    s.null = rng.gen_bool(0.1);
                    CsaRecord::new(s, b"part".to_vec())
                })
                .collect(),
        ),
        2 => ScspBody::CsuReply(csas),
        3 => ScspBody::Csus(csas),
        _ => return ScspPacket::hello(c, rng.gen_range(0..4), rng.gen_range(0..4), 0, &[sid(5)]),
    };
    ScspPacket::new(c, body)
}

#[test]
fn random_and_damaged_input_never_panics() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for state in [
        CaState::Down,
        CaState::MasterSlaveNegotiation,
        CaState::CacheSummarize,
        CaState::UpdateCache,
        CaState::Aligned,
    ] {
        for round in 0..300 {
            let (mut e, vc, mut now) = engine_in(state);
            drain(&mut e);
            for _ in 0..20 {
                let mut sdu = Vec::new();
                match round % 3 {
                    // Random octets, sometimes behind a valid LLC/SNAP header.
                    0 => {
                        if rng.gen_bool(0.7) {
                            sdu.extend_from_slice(&[
                                0xAA, 0xAA, 0x03, 0x00, 0x00, 0x5E, 0x00, 0x05,
                            ]);
                        }
                        let n = rng.gen_range(0..200);
                        sdu.extend((0..n).map(|_| rng.gen::<u8>()));
                    }
                    // A valid packet with a few octets changed.
                    1 => {
                        random_packet(&mut rng).encode_sdu(&mut sdu).unwrap();
                        for _ in 0..rng.gen_range(1..4) {
                            let i = rng.gen_range(0..sdu.len());
                            sdu[i] ^= 1 << rng.gen_range(0..8);
                        }
                    }
                    // Valid packets of every type, in no sensible order.
                    _ => random_packet(&mut rng).encode_sdu(&mut sdu).unwrap(),
                }
                e.handle_vc_event(
                    now,
                    VcEvent::Received {
                        vc,
                        sdu: Bytes::from(sdu),
                    },
                );
                drain(&mut e);
                now = now + Duration::from_millis(rng.gen_range(0..300));
                if e.poll_timeout().is_some_and(|t| t <= now) {
                    e.handle_timeout(now);
                    drain(&mut e);
                }
            }
            let s = e.dcs_status(0).unwrap();
            assert!(e.cache().slots() <= 1000);
            assert!(s.crl <= 1000 && s.retransmit_queue <= 1000);
        }
    }
}

#[test]
fn hostile_peer_cannot_grow_memory_past_the_limits() {
    let (mut e, vc, now) = engine_in(CaState::CacheSummarize);
    drain(&mut e);
    // The "master" summarises 60,000 entries in 20 CAs: the CRL stops at the cache limit.
    for (seq, batch) in (101..).zip(0..20u32) {
        let records = (0..3000)
            .map(|i| CsasRecord::new(CsaSeq::FIRST, key(batch * 3000 + i), sid(9)))
            .collect();
        let mut c = CommonPart::new(3, 1, sid(9), sid(5));
        c.flags = CA_FLAG_M | CA_FLAG_O;
        let p = ScspPacket::new(
            c,
            ScspBody::Ca(Ca {
                sequence: seq,
                records,
            }),
        );
        deliver(&mut e, vc, now, &p);
        drain(&mut e);
    }
    let s = e.dcs_status(0).unwrap();
    assert!(s.crl <= 1000, "CRL {}", s.crl);
    assert!(e.counters().discarded(Discard::NoRoom) > 0);

    // Aligned: CSUS for 60,000 entries the LS never had: null answers stop at the limit.
    let (mut e, vc, now) = engine_in(CaState::Aligned);
    drain(&mut e);
    for batch in 0..20u32 {
        let records = (0..3000)
            .map(|i| CsasRecord::new(CsaSeq::FIRST, key(10_000 + batch * 3000 + i), sid(9)))
            .collect();
        let p = ScspPacket::new(
            CommonPart::new(3, 1, sid(9), sid(5)),
            ScspBody::Csus(records),
        );
        deliver(&mut e, vc, now, &p);
        drain(&mut e);
    }
    assert!(e.dcs_status(0).unwrap().retransmit_queue <= 1000);

    // CSU Requests with 60,000 new entries: the cache stops at the limit, the rest unacknowledged.
    for batch in 0..20u32 {
        let records = (0..3000)
            .map(|i| {
                CsaRecord::new(
                    CsasRecord::new(CsaSeq::FIRST, key(100_000 + batch * 3000 + i), sid(9)),
                    b"p".to_vec(),
                )
            })
            .collect();
        let p = ScspPacket::new(
            CommonPart::new(3, 1, sid(9), sid(5)),
            ScspBody::CsuRequest(records),
        );
        deliver(&mut e, vc, now, &p);
        drain(&mut e);
    }
    assert_eq!(e.cache().slots(), 1000);
    assert_eq!(e.dcs_status(0).unwrap().hello, HelloState::Bidirectional);
}

#[test]
fn events_on_unknown_vcs_are_counted_not_fatal() {
    let mut cfg = config(5, &[9]);
    cfg.vc_id_base = 1_000;
    let mut e = ScspEngine::new(cfg, Toy::default(), Instant::ZERO).unwrap();
    // The engine names its VCs from vc_id_base (a composite endpoint gives each engine a range).
    assert_eq!(e.poll_request().map(|r| r.vc()), Some(VcId::local(1_000)));
    assert!(e.owns_vc(VcId::local(1_000)));
    assert!(!e.owns_vc(VcId::local(1)));
    assert!(e.owns_incoming_call(&scsp_support::addr(9)));
    assert!(!e.owns_incoming_call(&scsp_support::addr(10)));
    let now = Instant::ZERO;
    e.handle_vc_event(
        now,
        VcEvent::Received {
            vc: VcId::local(1),
            sdu: Bytes::from_static(b"x"),
        },
    );
    e.handle_vc_event(now, VcEvent::Connected { vc: VcId::local(2) });
    e.handle_vc_event(
        now,
        VcEvent::Released {
            vc: VcId::incoming(3),
            cause: mars_proto::Cause::NORMAL,
        },
    );
    assert_eq!(e.counters().discarded(Discard::UnknownVc), 2);
}

/// RFC 2334 §2.3 leaves fragmenting a CSA record larger than the link's PDU to the client
/// protocol (RFC 2443 defines none, its records always fit): a local record that cannot fit
/// a CSU Request to every DCS is refused at origination, and the cache does not change.
#[test]
fn a_record_larger_than_the_mtu_is_refused_at_origination() {
    let mut cfg = config(5, &[9]);
    cfg.origination_hold = None;
    cfg.dcs[0].max_sdu = 128;
    let mut e = ScspEngine::new(cfg, Toy::default(), Instant::ZERO).unwrap();
    let big = vec![7u8; 200];
    match e.originate(Instant::ZERO, key(1), big) {
        Err(mars_proto::scsp::ScspError::TooLarge(len)) => assert!(len > 128, "{len}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(e.cache().len(), 0);
    // One that fits goes in.
    e.originate(Instant::ZERO, key(1), vec![7u8; 20]).unwrap();
    assert_eq!(e.cache().len(), 1);
}
