//! Property tests for the SCSP codec (RFC 2334 Appendix B):
//! - every generated packet of every message type encodes, decodes to itself, and its
//!   encoding is re-produced exactly from the decoded value;
//! - authenticated packets verify, and any change to a covered octet makes them fail;
//! - arbitrary octets, and valid packets with random damage (Packet Size and Checksum
//!   repaired so that the decoder looks further), never make the decoder or `verify_mac`
//!   panic, and whatever decodes re-encodes to the same octets.

mod util;

use std::collections::BTreeSet;

use mars_wire::scsp::*;
use mars_wire::CsaSeq;
use proptest::collection::vec;
use proptest::prelude::*;
use util::fix_up;

fn octets(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=max)
}

fn scsp_id() -> impl Strategy<Value = ScspId> {
    prop_oneof![
        4 => any::<u32>().prop_map(ScspId::from_u32),
        1 => octets(20).prop_map(ScspId::new),
        1 => Just(ScspId::new(vec![0x5a; 255])),
    ]
}

fn cache_key() -> impl Strategy<Value = CacheKey> {
    prop_oneof![
        4 => any::<u32>().prop_map(CacheKey::from_u32),
        1 => octets(20).prop_map(CacheKey::new),
    ]
}

fn csa_seq() -> impl Strategy<Value = CsaSeq> {
    any::<u32>().prop_filter_map("reserved", CsaSeq::from_raw)
}

fn csas() -> impl Strategy<Value = CsasRecord> {
    (
        any::<u16>(),
        any::<bool>(),
        0..=CSAS_UNUSED_MAX,
        csa_seq(),
        cache_key(),
        scsp_id(),
    )
        .prop_map(
            |(hop_count, null, unused, seq, cache_key, originator_id)| CsasRecord {
                hop_count,
                null,
                unused,
                seq,
                cache_key,
                originator_id,
            },
        )
}

fn csa() -> impl Strategy<Value = CsaRecord> {
    (csas(), octets(80)).prop_map(|(s, p)| CsaRecord::new(s, p))
}

fn common() -> impl Strategy<Value = CommonPart> {
    (
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        scsp_id(),
        prop_oneof![scsp_id(), Just(ScspId::default())],
    )
        .prop_map(
            |(protocol_id, server_group_id, unused, flags, sender_id, receiver_id)| CommonPart {
                protocol_id,
                server_group_id,
                unused,
                flags,
                sender_id,
                receiver_id,
            },
        )
}

fn body() -> impl Strategy<Value = ScspBody> {
    prop_oneof![
        (any::<u32>(), vec(csas(), 0..6))
            .prop_map(|(sequence, records)| ScspBody::Ca(Ca { sequence, records })),
        vec(csa(), 0..5).prop_map(ScspBody::CsuRequest),
        vec(csas(), 0..6).prop_map(ScspBody::CsuReply),
        vec(csas(), 0..6).prop_map(ScspBody::Csus),
        (
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            vec(scsp_id(), 0..6)
        )
            .prop_map(
                |(hello_interval, dead_factor, unused, family_id, additional_receivers)| {
                    ScspBody::Hello(Hello {
                        hello_interval,
                        dead_factor,
                        unused,
                        family_id,
                        additional_receivers,
                    })
                }
            ),
    ]
}

fn extension() -> impl Strategy<Value = Extension> {
    prop_oneof![
        (any::<u32>(), octets(40))
            .prop_map(|(spi, data)| Extension::Authentication(Authentication { spi, data })),
        (0..=VENDOR_ID_MAX, octets(12))
            .prop_map(|(vendor_id, data)| Extension::VendorPrivate { vendor_id, data }),
        (3..=u16::MAX, octets(12)).prop_map(|(ty, value)| Extension::Unknown { ty, value }),
    ]
}

/// Extension lists as B.3 allows them: each type once, Vendor-Private once per Vendor ID.
fn extensions() -> impl Strategy<Value = Option<Vec<Extension>>> {
    prop::option::of(vec(extension(), 0..5).prop_map(|list| {
        let mut seen = BTreeSet::new();
        list.into_iter()
            .filter(|e| {
                let k = match e {
                    Extension::VendorPrivate { vendor_id, .. } => (2, *vendor_id),
                    other => (other.ty(), 0),
                };
                seen.insert(k)
            })
            .collect()
    }))
}

fn packet() -> impl Strategy<Value = ScspPacket> {
    (common(), body(), extensions()).prop_map(|(common, body, extensions)| ScspPacket {
        version: SCSP_VERSION,
        common,
        body,
        extensions,
    })
}

fn alg() -> impl Strategy<Value = AuthAlgorithm> {
    prop_oneof![
        Just(AuthAlgorithm::HmacMd5_128),
        Just(AuthAlgorithm::HmacSha256)
    ]
}

/// Decoding must not panic; what decodes must re-encode exactly.
fn decode_is_exact(b: &[u8]) {
    if let Ok(p) = ScspPacket::decode(b) {
        assert_eq!(p.to_vec().expect("a decoded packet encodes"), b);
        assert_eq!(p.wire_len(), b.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn packets_round_trip(p in packet()) {
        let b = p.to_vec().unwrap();
        prop_assert_eq!(b.len(), p.wire_len());
        let q = ScspPacket::decode(&b).unwrap();
        prop_assert_eq!(&q, &p);
        prop_assert_eq!(q.to_vec().unwrap(), b);
    }

    #[test]
    fn sdus_round_trip(p in packet()) {
        let mut sdu = vec![0xFF];
        p.encode_sdu(&mut sdu).unwrap();
        prop_assert_eq!(ScspPacket::decode_sdu(&sdu[1..]).unwrap(), p);
    }

    #[test]
    fn authenticated_packets_verify(
        p in packet(),
        spi in any::<u32>(),
        alg in alg(),
        key in octets(80),
        damage in any::<prop::sample::Index>(),
        bit in 0..8u8,
    ) {
        let b = p.to_vec_authenticated(spi, alg, &key).unwrap();
        prop_assert_eq!(verify_mac(&b, alg, &key), Ok(()));
        let q = ScspPacket::decode(&b).unwrap();
        prop_assert_eq!(q.auth_spi(), Some(spi));
        prop_assert_eq!(q.authentication().unwrap().data.len(), alg.mac_len());
        prop_assert_eq!(q.to_vec().unwrap(), b.clone());
        // The other extensions are kept, in order.
        let others = |l: &[Extension]| -> Vec<Extension> {
            l.iter().filter(|e| !matches!(e, Extension::Authentication(_))).cloned().collect()
        };
        prop_assert_eq!(others(q.extension_list()), others(p.extension_list()));
        // Any flipped bit outside Packet Size and Checksum (repaired as an attacker could) is
        // detected.
        let i = damage.index(b.len());
        if !(2..6).contains(&i) {
            let mut d = b.clone();
            d[i] ^= 1 << bit;
            fix_up(&mut d);
            prop_assert!(verify_mac(&d, alg, &key).is_err());
        }
    }

    #[test]
    fn arbitrary_octets(b in octets(300)) {
        decode_is_exact(&b);
        let _ = verify_mac(&b, AuthAlgorithm::HmacMd5_128, b"k");
        let _ = ScspPacket::decode_sdu(&b);
    }

    #[test]
    fn arbitrary_octets_with_consistent_fixed_part(
        version in prop_oneof![9 => Just(1u8), 1 => any::<u8>()],
        ty in 0..7u8,
        soe in any::<u16>(),
        rest in octets(300),
    ) {
        let mut b = vec![version, ty, 0, 0, 0, 0];
        b.extend_from_slice(&soe.to_be_bytes());
        b.extend_from_slice(&rest);
        fix_up(&mut b);
        decode_is_exact(&b);
        let _ = verify_mac(&b, AuthAlgorithm::HmacSha256, b"k");
    }

    #[test]
    fn damaged_packets(
        p in packet(),
        hits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut b = p.to_vec().unwrap();
        for (i, v) in hits {
            let i = i.index(b.len());
            b[i] = v;
        }
        if truncate {
            b.truncate(cut.index(b.len() + 1));
        }
        fix_up(&mut b);
        decode_is_exact(&b);
        let _ = verify_mac(&b, AuthAlgorithm::HmacSha256, b"key");
    }
}

#[test]
fn encoder_limits() {
    let base = ScspPacket::new(
        CommonPart::new(3, 1, ScspId::from_u32(1), ScspId::from_u32(2)),
        ScspBody::CsuReply(vec![]),
    );
    // IDs longer than 255 octets.
    let mut p = base.clone();
    p.common.sender_id = ScspId::new(vec![0; 256]);
    assert!(p.to_vec().is_err());
    // A packet longer than Packet Size can say.
    let mut p = base.clone();
    let big = CsaRecord::new(
        CsasRecord::new(CsaSeq::FIRST, CacheKey::from_u32(1), ScspId::from_u32(1)),
        vec![0; 60_000],
    );
    p.body = ScspBody::CsuRequest(vec![big.clone(), big]);
    let mut out = vec![9];
    assert!(p.encode(&mut out).is_err());
    assert_eq!(out, [9], "output left as it was");
    // A record longer than Record Length can say.
    let mut p = base.clone();
    p.body = ScspBody::CsuRequest(vec![CsaRecord::new(
        CsasRecord::new(CsaSeq::FIRST, CacheKey::from_u32(1), ScspId::from_u32(1)),
        vec![0; 65_524],
    )]);
    assert!(p.to_vec().is_err());
    // The N word's unused bits.
    let mut r = CsasRecord::new(CsaSeq::FIRST, CacheKey::from_u32(1), ScspId::from_u32(1));
    r.unused = 0x8000;
    let mut p = base.clone();
    p.body = ScspBody::Csus(vec![r]);
    assert!(p.to_vec().is_err());
    // Extension types the list variants own, and Vendor IDs beyond 24 bits.
    for bad in [
        Extension::Unknown {
            ty: 0,
            value: vec![],
        },
        Extension::Unknown {
            ty: 1,
            value: vec![0; 4],
        },
        Extension::Unknown {
            ty: 2,
            value: vec![0; 3],
        },
        Extension::VendorPrivate {
            vendor_id: 0x0100_0000,
            data: vec![],
        },
    ] {
        let mut p = base.clone();
        p.extensions = Some(vec![bad]);
        assert!(p.to_vec().is_err());
    }
    // Duplicates.
    let mut p = base.clone();
    let u = Extension::Unknown {
        ty: 9,
        value: vec![],
    };
    p.extensions = Some(vec![u.clone(), u]);
    assert!(p.to_vec().is_err());
    // Records packed up to an MTU with the size helpers.
    let mtu = 9180;
    let mut p = base.clone();
    let rec = CsaRecord::new(
        CsasRecord::new(CsaSeq::FIRST, CacheKey::from_u32(1), ScspId::from_u32(1)),
        vec![0; 44],
    );
    let mut recs = Vec::new();
    while p.wire_len() + rec.wire_len() * (recs.len() + 1) <= mtu {
        recs.push(rec.clone());
    }
    p.body = ScspBody::CsuRequest(recs);
    let b = p.to_vec().unwrap();
    assert!(b.len() <= mtu && b.len() + rec.wire_len() > mtu);
}
