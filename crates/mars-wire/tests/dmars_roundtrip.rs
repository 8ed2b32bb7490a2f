//! Property tests for the RFC 2443 MARS Specific Part: generated parts of every State, within
//! the RFC 2443 rules, encode and decode to themselves; arbitrary and damaged octets never
//! make the decoder panic, and what decodes re-encodes exactly; parts travel unchanged inside
//! SCSP CSU Requests.

use mars_wire::dmars::*;
use mars_wire::scsp::{CacheKey, CommonPart, CsasRecord, ScspBody, ScspId, ScspPacket};
use mars_wire::{AtmAddr, AtmAddress, CsaSeq, ProtoAddr, Protocol};
use proptest::collection::vec;
use proptest::prelude::*;

fn proto() -> impl Strategy<Value = Protocol> {
    prop_oneof![
        4 => Just(Protocol::IPV4),
        1 => Just(Protocol::IPV6),
        1 => any::<[u8; 5]>().prop_map(|snap| Protocol { ty: 0x0080, snap }),
        1 => (any::<u16>(), any::<[u8; 5]>()).prop_map(|(ty, snap)| Protocol { ty, snap }),
    ]
}

fn atm_number() -> impl Strategy<Value = AtmAddr> {
    prop_oneof![
        3 => any::<[u8; 20]>().prop_map(AtmAddr::nsap),
        2 => "[0-9]{1,15}".prop_map(|d| AtmAddr::e164(&d).unwrap()),
        1 => Just(AtmAddr::NULL),
        // A null address with the E.164 type flag: "ignored", but kept.
        1 => Just(AtmAddr::from_wire(0x40, &[], "T/L", 0, 0).unwrap()),
    ]
}

fn atm_sub() -> impl Strategy<Value = AtmAddr> {
    prop_oneof![
        3 => Just(AtmAddr::NULL),
        2 => any::<[u8; 20]>().prop_map(AtmAddr::nsap),
    ]
}

fn source() -> impl Strategy<Value = AtmAddress> {
    (atm_number(), atm_sub()).prop_map(|(number, sub)| AtmAddress { number, sub })
}

fn addr(len: usize) -> impl Strategy<Value = ProtoAddr> {
    vec(any::<u8>(), len).prop_map(|v| ProtoAddr::from_slice(&v).unwrap())
}

fn spa() -> impl Strategy<Value = ProtoAddr> {
    prop_oneof![
        Just(ProtoAddr::NULL),
        addr(4),
        addr(16),
        (0..=20usize).prop_flat_map(addr)
    ]
}

fn group(len: usize, single: bool) -> impl Strategy<Value = GroupRange> {
    (addr(len), addr(len)).prop_map(move |(min, max)| {
        if single {
            GroupRange::single(min)
        } else {
            GroupRange { min, max }
        }
    })
}

/// A MARS CSA of `state` obeying RFC 2443 §3 and §5.
fn mars_csa(state: CsaState) -> BoxedStrategy<MarsCsa> {
    if state == CsaState::ServerRedirect {
        return (proto(), any::<u8>(), source())
            .prop_map(|(pro, unused, source)| {
                let mut m = MarsCsa::redirect_entry(pro, source);
                m.unused = unused;
                m
            })
            .boxed();
    }
    let layer3grp = if state.is_mcs() {
        Just(false).boxed()
    } else {
        any::<bool>().boxed()
    };
    (
        proto(),
        any::<u8>(),
        layer3grp,
        any::<bool>(),
        any::<u8>(),
        any::<u16>(),
        spa(),
        source(),
        1..=20usize,
        any::<bool>(),
    )
        .prop_flat_map(
            move |(
                pro,
                unused,
                layer3grp,
                register,
                sequence,
                cmi,
                spa,
                source,
                glen,
                has_group,
            )| {
                // register ⇒ no group range (§5.2, §5.3); layer3grp on IPv4 ⇒ min = max (§5.3).
                let group = if register || !has_group {
                    Just(None).boxed()
                } else {
                    group(glen, layer3grp && pro.ty == 0x0800)
                        .prop_map(Some)
                        .boxed()
                };
                group.prop_map(move |group| MarsCsa {
                    pro,
                    unused,
                    state,
                    flags: CsaFlags {
                        layer3grp,
                        register,
                        sequence,
                    },
                    cmi,
                    spa,
                    source,
                    group,
                })
            },
        )
        .boxed()
}

fn any_mars_csa() -> impl Strategy<Value = MarsCsa> {
    prop_oneof![
        mars_csa(CsaState::ServerRedirect),
        mars_csa(CsaState::McsServe),
        mars_csa(CsaState::ClientJoin),
        mars_csa(CsaState::ClientLeave),
        mars_csa(CsaState::McsUnserve),
    ]
}

fn decode_is_exact(b: &[u8]) {
    if let Ok(m) = MarsCsa::decode(b) {
        assert_eq!(m.to_vec().expect("a decoded part encodes"), b);
        assert_eq!(m.wire_len(), b.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parts_round_trip(m in any_mars_csa()) {
        let b = m.to_vec().unwrap();
        prop_assert_eq!(b.len(), m.wire_len());
        let d = MarsCsa::decode(&b).unwrap();
        prop_assert_eq!(d, m);
        prop_assert_eq!(d.to_vec().unwrap(), b);
    }

    #[test]
    fn parts_travel_in_csu_requests(
        parts in vec(any_mars_csa(), 1..6),
        seq in any::<i32>().prop_filter_map("reserved", CsaSeq::new),
    ) {
        let records = parts
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let s = CsasRecord::new(seq, CacheKey::from_u32(i as u32), ScspId::from_u32(7));
                m.to_record(s).unwrap()
            })
            .collect();
        let p = ScspPacket::new(
            CommonPart::new(PROTOCOL_ID, 1, ScspId::from_u32(7), ScspId::from_u32(8)),
            ScspBody::CsuRequest(records),
        );
        let b = p.to_vec().unwrap();
        let q = ScspPacket::decode(&b).unwrap();
        let ScspBody::CsuRequest(recs) = &q.body else { panic!("not a CSU Request") };
        let back: Vec<MarsCsa> = recs.iter().map(|r| MarsCsa::decode_record(r).unwrap()).collect();
        prop_assert_eq!(back, parts);
    }

    #[test]
    fn arbitrary_octets(b in vec(any::<u8>(), 0..120)) {
        decode_is_exact(&b);
    }

    #[test]
    fn arbitrary_octets_after_a_valid_header(
        state in 0..7u8,
        flags in any::<u16>(),
        lens in any::<[u8; 4]>(),
        rest in vec(any::<u8>(), 0..120),
    ) {
        let mut b = vec![0x00, 0x0F, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, state];
        b.extend_from_slice(&flags.to_be_bytes());
        b.extend_from_slice(&[0, 1]);
        b.extend_from_slice(&lens);
        b.extend_from_slice(&rest);
        decode_is_exact(&b);
    }

    #[test]
    fn damaged_parts(
        m in any_mars_csa(),
        hits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut b = m.to_vec().unwrap();
        for (i, v) in hits {
            let i = i.index(b.len());
            b[i] = v;
        }
        decode_is_exact(&b);
        b.truncate(cut.index(b.len() + 1));
        decode_is_exact(&b);
    }
}
