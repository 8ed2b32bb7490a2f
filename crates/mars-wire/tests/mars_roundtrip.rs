//! Property tests for the MARS codec (RFC 2022): generated messages of every operation
//! round-trip exactly (`decode(encode(m)) == m`, `encode(decode(b)) == b`), and arbitrary or
//! mutated byte strings never panic the decoder and, when they decode, re-encode to the
//! same bytes.

use mars_wire::atm::{AtmAddr, AtmAddress};
use mars_wire::mars::{
    Flags, GroupListReply, GroupPair, Join, MarsBody, MarsMessage, MarsOp, Migrate, Multi, RedirF,
    RedirectMap, Request, SeqXy, Tlv, TlvList,
};
use mars_wire::pro::Protocol;
use mars_wire::proto_addr::ProtoAddr;
use mars_wire::seq::Csn;
use proptest::prelude::*;

/// A type & length octet (§5.1.2): null (with either x flag), NSAP (20) or E.164 (1–15).
fn type_len() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(0x00u8),
        Just(0x40u8),
        Just(0x14u8),
        (1u8..=15).prop_map(|l| 0x40 | l),
    ]
}

/// An ATM number or subaddress with the given type & length octet.
fn atm_of(tl: u8) -> BoxedStrategy<AtmAddr> {
    let len = usize::from(tl & 0x3F);
    if tl & 0x40 == 0 {
        proptest::collection::vec(any::<u8>(), len)
            .prop_map(move |o| AtmAddr::from_wire(tl, &o, "t", 0, 0).expect("valid NSAP"))
            .boxed()
    } else {
        proptest::collection::vec(b'0'..=b'9', len)
            .prop_map(move |o| AtmAddr::from_wire(tl, &o, "t", 0, 0).expect("valid E.164"))
            .boxed()
    }
}

fn atm_address_of(htl: u8, stl: u8) -> impl Strategy<Value = AtmAddress> {
    (atm_of(htl), atm_of(stl)).prop_map(|(number, sub)| AtmAddress { number, sub })
}

fn atm_address() -> BoxedStrategy<AtmAddress> {
    (type_len(), type_len())
        .prop_flat_map(|(h, s)| atm_address_of(h, s))
        .boxed()
}

fn proto_of(len: u8) -> impl Strategy<Value = ProtoAddr> {
    proptest::collection::vec(any::<u8>(), usize::from(len))
        .prop_map(|v| ProtoAddr::from_slice(&v).expect("at most 20 octets"))
}

fn proto() -> BoxedStrategy<ProtoAddr> {
    prop_oneof![Just(0u8), Just(4u8), Just(16u8), 0u8..=20]
        .prop_flat_map(proto_of)
        .boxed()
}

/// `(thtl, tstl, targets)` sharing the header pair; a null thtl only with no targets.
fn targets() -> BoxedStrategy<(u8, u8, Vec<AtmAddress>)> {
    (type_len(), type_len())
        .prop_flat_map(|(h, s)| {
            let max = if h & 0x3F == 0 { 0 } else { 5 };
            proptest::collection::vec(atm_address_of(h, s), 0..=max).prop_map(move |v| (h, s, v))
        })
        .boxed()
}

/// `(tpln, addresses)` of that length; tpln 0 only with none.
fn groups(per_item: usize) -> BoxedStrategy<(u8, Vec<ProtoAddr>)> {
    (0u8..=20)
        .prop_flat_map(move |len| {
            let max = if len == 0 { 0 } else { 4 * per_item };
            proptest::collection::vec(proto_of(len), 0..=max).prop_map(move |v| (len, v))
        })
        .boxed()
}

fn request() -> BoxedStrategy<Request> {
    (
        atm_address(),
        proto(),
        proto(),
        atm_address(),
        any::<[u8; 8]>(),
    )
        .prop_map(|(source, spa, tpa, target, pad)| Request {
            source,
            spa,
            tpa,
            target,
            pad,
        })
        .boxed()
}

fn join() -> BoxedStrategy<Join> {
    (
        atm_address(),
        proto(),
        groups(2),
        any::<u16>(),
        any::<u16>(),
        any::<u32>(),
    )
        .prop_map(|(source, spa, (tpln, addrs), flags, cmi, msn)| Join {
            source,
            spa,
            tpln,
            flags: Flags(flags),
            cmi,
            msn: Csn(msn),
            pairs: addrs
                .chunks_exact(2)
                .map(|p| GroupPair::new(p[0], p[1]))
                .collect(),
        })
        .boxed()
}

fn multi() -> BoxedStrategy<Multi> {
    (
        atm_address(),
        proto(),
        proto(),
        targets(),
        any::<u16>(),
        any::<u32>(),
    )
        .prop_map(
            |(source, spa, tpa, (thtl, tstl, targets), seqxy, msn)| Multi {
                source,
                spa,
                tpa,
                thtl,
                tstl,
                seqxy: SeqXy(seqxy),
                msn: Csn(msn),
                targets,
            },
        )
        .boxed()
}

fn migrate() -> BoxedStrategy<Migrate> {
    multi()
        .prop_flat_map(|m| {
            any::<u16>().prop_map(move |resv| Migrate {
                source: m.source,
                spa: m.spa,
                tpa: m.tpa,
                thtl: m.thtl,
                tstl: m.tstl,
                resv,
                msn: m.msn,
                targets: m.targets.clone(),
            })
        })
        .boxed()
}

fn grouplist_reply() -> BoxedStrategy<GroupListReply> {
    (
        atm_address(),
        proto(),
        any::<(u8, u8)>(),
        groups(1),
        any::<u16>(),
        any::<u32>(),
    )
        .prop_map(
            |(source, spa, (thtl, tstl), (tpln, groups), seqxy, msn)| GroupListReply {
                source,
                spa,
                thtl,
                tstl,
                tpln,
                seqxy: SeqXy(seqxy),
                msn: Csn(msn),
                groups,
            },
        )
        .boxed()
}

fn redirect_map() -> BoxedStrategy<RedirectMap> {
    (
        atm_address(),
        any::<u8>(),
        targets(),
        any::<u8>(),
        any::<u16>(),
        any::<u32>(),
    )
        .prop_map(
            |(source, spln, (thtl, tstl, targets), redirf, seqxy, msn)| RedirectMap {
                source,
                spln,
                thtl,
                tstl,
                redirf: RedirF(redirf),
                seqxy: SeqXy(seqxy),
                msn: Csn(msn),
                targets,
            },
        )
        .boxed()
}

fn body() -> BoxedStrategy<MarsBody> {
    prop_oneof![
        request().prop_map(MarsBody::Request),
        request().prop_map(MarsBody::Nak),
        multi().prop_map(MarsBody::Multi),
        migrate().prop_map(MarsBody::Migrate),
        grouplist_reply().prop_map(MarsBody::GroupListReply),
        redirect_map().prop_map(MarsBody::RedirectMap),
        (
            prop::sample::select(
                &[
                    MarsOp::Mserv,
                    MarsOp::Join,
                    MarsOp::Leave,
                    MarsOp::Unserv,
                    MarsOp::Sjoin,
                    MarsOp::Sleave,
                    MarsOp::GroupListRequest,
                ][..]
            ),
            join()
        )
            .prop_map(|(op, j)| MarsBody::join_layout(op, j).expect("JOIN layout op")),
    ]
    .boxed()
}

fn tlv() -> BoxedStrategy<Tlv> {
    (
        any::<u16>().prop_filter("Type.y 0 is the Null TLV", |t| t & 0x3FFF != 0),
        proptest::collection::vec(any::<u8>(), 0..12),
    )
        .prop_map(|(ty, value)| Tlv::new(ty, value))
        .boxed()
}

fn message() -> BoxedStrategy<MarsMessage> {
    (
        any::<u16>(),
        any::<[u8; 5]>(),
        0u32..=0xFF_FFFF,
        any::<bool>(),
        0u8..4,
        body(),
        proptest::option::of(proptest::collection::vec(tlv(), 0..4)),
    )
        .prop_map(
            |(ty, snap, hdrrsv, checksum, extoff_rsv, body, tlvs)| MarsMessage {
                pro: Protocol { ty, snap },
                hdrrsv,
                checksum,
                extoff_rsv,
                body,
                tlvs: tlvs.map(|tlvs| TlvList { tlvs }),
            },
        )
        .boxed()
}

/// If `b` decodes, it re-encodes to exactly `b`.
fn reencodes(b: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(m) = MarsMessage::decode(b) {
        prop_assert_eq!(m.to_vec().expect("a decoded message encodes"), b);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every generated message encodes, decodes to itself, and re-encodes to the same bytes.
    #[test]
    fn message_round_trip(m in message()) {
        let b = m.to_vec().expect("generated messages are consistent");
        let d = MarsMessage::decode(&b).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(&d, &m);
        prop_assert_eq!(d.to_vec().unwrap(), b.clone());
        // The TLV list, when present, starts at the 4-aligned end of the addresses (§10).
        let extoff = usize::from(u16::from_be_bytes([b[14], b[15]]));
        prop_assert_eq!(extoff & 3, usize::from(m.extoff_rsv));
        if let Some(t) = &m.tlvs {
            prop_assert_eq!(extoff & !3, b.len() - t.wire_len());
            prop_assert_eq!(extoff & !3 & 3, 0);
        }
        // mar$chksum is 0 exactly when no checksum was asked for (§4.3.3).
        prop_assert_eq!(b[12..14] == [0, 0], !m.checksum);
        // The SDU form too (§4.2).
        let sdu = m.encode_sdu().unwrap();
        prop_assert_eq!(&MarsMessage::decode_sdu(&sdu).unwrap(), &m);
        // The long messages (target and group lists) are encoded into a buffer of exactly
        // their size: no reallocation while encoding, no slack kept in the SDU.
        let listed = matches!(
            m.body,
            MarsBody::Multi(_) | MarsBody::Migrate(_) | MarsBody::GroupListReply(_) | MarsBody::RedirectMap(_)
        );
        if listed {
            prop_assert_eq!(sdu.capacity(), sdu.len());
        }
    }

    /// Arbitrary octets never panic the decoder; whatever decodes re-encodes identically.
    #[test]
    fn arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        reencodes(&b)?;
    }

    /// The same with a plausible fixed header, so that the body decoders see arbitrary input.
    #[test]
    fn arbitrary_bodies(
        op in 1u8..=13,
        extoff in prop_oneof![Just(0u16), any::<u16>()],
        head in any::<[u8; 10]>(),
        tail in proptest::collection::vec(any::<u8>(), 0..160),
    ) {
        let mut b = vec![0x00, 0x0F];
        b.extend_from_slice(&head);
        b.extend_from_slice(&[0, 0]); // no checksum, so that structure is what is tested
        b.extend_from_slice(&extoff.to_be_bytes());
        b.extend_from_slice(&[0, op]);
        b.extend_from_slice(&tail);
        reencodes(&b)?;
    }

    /// Valid messages with a few octets overwritten, cut short or extended never panic;
    /// whatever still decodes re-encodes identically.
    #[test]
    fn mutated_messages(
        m in message(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in proptest::option::of(any::<prop::sample::Index>()),
        extra in proptest::collection::vec(any::<u8>(), 0..3),
    ) {
        let mut b = m.to_vec().unwrap();
        b[12] = 0; // drop the checksum so that mutations reach the structure checks
        b[13] = 0;
        for (i, v) in edits {
            let at = i.index(b.len());
            b[at] = v;
        }
        if let Some(c) = cut {
            b.truncate(c.index(b.len()));
        }
        b.extend_from_slice(&extra);
        reencodes(&b)?;
    }
}

/// Built messages whose header pairs were derived by the constructors encode.
#[test]
fn constructors_derive_shared_fields() {
    let n: AtmAddress = "47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00"
        .parse()
        .unwrap();
    let e: AtmAddress = "14085551212".parse().unwrap();
    let ip = |s: &str| s.parse::<ProtoAddr>().unwrap();
    let bodies = [
        MarsBody::Multi(Multi::new(
            n,
            ip("10.0.0.1"),
            ip("224.1.2.3"),
            vec![e, e],
            SeqXy::SINGLE,
            Csn(1),
        )),
        MarsBody::Migrate(Migrate::new(
            n,
            ip("10.0.0.1"),
            ip("224.1.2.3"),
            vec![n],
            Csn(2),
        )),
        MarsBody::RedirectMap(RedirectMap::new(
            n,
            RedirF(0x80),
            vec![n, n],
            SeqXy::SINGLE,
            Csn(3),
        )),
        MarsBody::GroupListReply(GroupListReply::new(
            n,
            ip("10.0.0.1"),
            vec![ip("ff02::1")],
            SeqXy::SINGLE,
            Csn(4),
        )),
    ];
    for body in bodies {
        let m = MarsMessage::new(Protocol::IPV4, body);
        let b = m.to_vec().unwrap();
        assert_eq!(MarsMessage::decode(&b).unwrap(), m);
    }
}
