//! MARS data-path encapsulations (RFC 2022 §5.5): golden vectors for Type #1 (the §5.5.3
//! IPv4 example and the long form) and Type #2 (short and long form), malformed inputs with
//! exact errors, and round-trip properties.

mod util;

use mars_wire::data::{DataPacket, Type1, Type2};
use mars_wire::error::{DecodeError, DecodeErrorKind as K, EncodeError};
use mars_wire::pro::Protocol;
use proptest::prelude::*;
use util::hex as h;

fn e(kind: K, field: &'static str, offset: usize) -> DecodeError {
    DecodeError::new(kind, field, offset)
}

/// An IPv4/UDP packet from 10.0.0.1 to 224.1.2.3 (28 octets), the payload below.
const IPV4_PACKET: &str = "
    4500001c 00010000 0111cdcb 0a000001 e0010203  # IPv4 header
    04d2162e 00080000                             # UDP header
";

/// §5.5.3 "A Type #1 example": an IPv4 packet, short form,
/// `[0xAA-AA-03][0x00-00-5E][0x00-01][pkt$cmi][0x800][IPv4 packet]`.
const TYPE1_IPV4: &str = "
    aaaa03                                        # 0  LLC
    00005e                                        # 3  OUI
    0001                                          # 6  PID Type #1
    0005                                          # 8  pkt$cmi 5
    0800                                          # 10 pkt$pro IPv4
    4500001c 00010000 0111cdcb 0a000001 e0010203  # 12 IPv4 header
    04d2162e 00080000                             # 32 UDP header
";

#[test]
fn type1_ipv4_example() {
    let sdu = h(TYPE1_IPV4);
    let payload = h(IPV4_PACKET);
    let p = DataPacket::decode_sdu(&sdu).unwrap();
    let want = Type1::new(5, Protocol::IPV4, &payload);
    assert_eq!(p, DataPacket::Type1(want));
    assert_eq!(p.payload(), &payload[..]);
    assert_eq!(p.encode_sdu().unwrap(), sdu);
    assert_eq!(DataPacket::Type1(want).encode_sdu().unwrap(), sdu);
    let DataPacket::Type1(t) = p else { panic!() };
    assert_eq!(t.header_len(), 4);
    assert!(t.is_reflection_of(5));
    assert!(!t.is_reflection_of(6));
}

/// §5.5.1 long form: `[pkt$cmi][0x00-80][mar$pro.snap][padding][Original Layer 3 packet]`,
/// 2 + 2 + 5 + 3 octets before the payload.
const TYPE1_LONG: &str = "
    aaaa03 00005e 0001                            # 0  LLC, OUI, PID Type #1
    0107                                          # 8  pkt$cmi 0x0107
    0080                                          # 10 pkt$pro: long form
    00005e0099                                    # 12 mar$pro.snap
    000000                                        # 17 padding
    deadbeef01                                    # 20 layer 3 packet
";

#[test]
fn type1_long_form() {
    let sdu = h(TYPE1_LONG);
    let pro = Protocol {
        ty: 0x0080,
        snap: [0x00, 0x00, 0x5e, 0x00, 0x99],
    };
    let payload = [0xde, 0xad, 0xbe, 0xef, 0x01];
    let p = DataPacket::decode_sdu(&sdu).unwrap();
    assert_eq!(p, DataPacket::Type1(Type1::new(0x0107, pro, &payload)));
    assert_eq!(p.pro(), pro);
    assert_eq!(p.encode_sdu().unwrap(), sdu);
    // Padding is kept as received, so the packet re-encodes exactly.
    let mut odd = sdu.clone();
    odd[17..20].copy_from_slice(&[1, 2, 3]);
    let p = DataPacket::decode_sdu(&odd).unwrap();
    let DataPacket::Type1(t) = p else { panic!() };
    assert_eq!(t.pad, [1, 2, 3]);
    assert_eq!(t.header_len(), 12);
    assert_eq!(p.encode_sdu().unwrap(), odd);
}

/// §5.5.2 short form: `[8 octet sourceID][mar$pro.type][Null pad][Original Layer 3 packet]`.
const TYPE2_SHORT: &str = "
    aaaa03 00005e 0004                            # 0  LLC, OUI, PID Type #2
    0102030405060708                              # 8  source ID
    86dd                                          # 16 mar$pro.type IPv6
    0000                                          # 18 Null pad
    60000000 00000000                             # 20 start of an IPv6 packet
";

#[test]
fn type2_short_form() {
    let sdu = h(TYPE2_SHORT);
    let payload = [0x60, 0, 0, 0, 0, 0, 0, 0];
    let p = DataPacket::decode_sdu(&sdu).unwrap();
    let want = Type2::new([1, 2, 3, 4, 5, 6, 7, 8], Protocol::IPV6, &payload);
    assert_eq!(p, DataPacket::Type2(want));
    assert_eq!(p.encode_sdu().unwrap(), sdu);
    assert_eq!(want.header_len(), 12);
    // A non-zero "Null pad" is kept as received.
    let mut odd = sdu.clone();
    odd[18..20].copy_from_slice(&[0xab, 0xcd]);
    let p = DataPacket::decode_sdu(&odd).unwrap();
    let DataPacket::Type2(t) = p else { panic!() };
    assert_eq!(t.pad, [0xab, 0xcd]);
    assert_eq!(p.encode_sdu().unwrap(), odd);
}

/// §5.5.2 long form: `[8 octet sourceID][mar$pro.type][mar$pro.snap][Null pad][Layer 3
/// packet]` with a 1-octet pad ("rather than the 3 octets used in Type #1"), and an empty
/// layer 3 packet.
const TYPE2_LONG: &str = "
    aaaa03 00005e 0004                            # 0  LLC, OUI, PID Type #2
    f0f1f2f3f4f5f6f7                              # 8  source ID
    0080                                          # 16 mar$pro.type: long form
    0000f80001                                    # 18 mar$pro.snap
    00                                            # 23 Null pad
";

#[test]
fn type2_long_form() {
    let sdu = h(TYPE2_LONG);
    let pro = Protocol {
        ty: 0x0080,
        snap: [0x00, 0x00, 0xf8, 0x00, 0x01],
    };
    let id = [0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7];
    let p = DataPacket::decode_sdu(&sdu).unwrap();
    assert_eq!(p, DataPacket::Type2(Type2::new(id, pro, &[])));
    assert_eq!(p.encode_sdu().unwrap(), sdu);
    let mut odd = sdu.clone();
    odd[23] = 0x77;
    let p = DataPacket::decode_sdu(&odd).unwrap();
    let DataPacket::Type2(t) = p else { panic!() };
    assert_eq!(t.pad, [0x77, 0]);
    assert_eq!(t.header_len(), 16);
    assert_eq!(p.encode_sdu().unwrap(), odd);
}

#[test]
fn malformed_type1() {
    let cases: [(&[u8], DecodeError); 5] = [
        (
            &[],
            e(
                K::Truncated {
                    needed: 2,
                    available: 0,
                },
                "pkt$cmi",
                0,
            ),
        ),
        (
            &[0, 5, 8],
            e(
                K::Truncated {
                    needed: 2,
                    available: 1,
                },
                "pkt$pro",
                2,
            ),
        ),
        (
            &[0, 5, 0, 0x80, 0, 0, 0x5e],
            e(
                K::Truncated {
                    needed: 5,
                    available: 3,
                },
                "mar$pro.snap",
                4,
            ),
        ),
        (
            &[0, 5, 0, 0x80, 0, 0, 0x5e, 0, 0x99, 0],
            e(
                K::Truncated {
                    needed: 3,
                    available: 1,
                },
                "padding",
                9,
            ),
        ),
        (
            &[0, 5, 0, 0x80, 0, 0, 0x5e, 0, 0x99],
            e(
                K::Truncated {
                    needed: 3,
                    available: 0,
                },
                "padding",
                9,
            ),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(Type1::decode(input), Err(want), "{input:02x?}");
    }
    // The short form with an empty payload is a valid (if useless) packet.
    assert_eq!(
        Type1::decode(&[0, 5, 8, 0]).unwrap(),
        Type1::new(5, Protocol::IPV4, &[])
    );
}

#[test]
fn malformed_type2() {
    let id = [1u8, 2, 3, 4, 5, 6, 7, 8];
    let cat = |tail: &[u8]| [&id[..], tail].concat();
    let cases = [
        (
            id[..5].to_vec(),
            e(
                K::Truncated {
                    needed: 8,
                    available: 5,
                },
                "source ID",
                0,
            ),
        ),
        (
            cat(&[0x86]),
            e(
                K::Truncated {
                    needed: 2,
                    available: 1,
                },
                "mar$pro.type",
                8,
            ),
        ),
        (
            cat(&[0x86, 0xdd, 0]),
            e(
                K::Truncated {
                    needed: 2,
                    available: 1,
                },
                "padding",
                10,
            ),
        ),
        (
            cat(&[0, 0x80, 0, 0, 0xf8, 0]),
            e(
                K::Truncated {
                    needed: 5,
                    available: 4,
                },
                "mar$pro.snap",
                10,
            ),
        ),
        (
            cat(&[0, 0x80, 0, 0, 0xf8, 0, 1]),
            e(
                K::Truncated {
                    needed: 1,
                    available: 0,
                },
                "padding",
                15,
            ),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(Type2::decode(&input), Err(want), "{input:02x?}");
    }
}

#[test]
fn malformed_sdus() {
    let sdu = h(TYPE1_IPV4);
    let cases: [(usize, &[u8], DecodeError); 4] = [
        (0, &[0xfe], e(K::BadValue { value: 0xfeaa03 }, "LLC", 0)),
        (
            3,
            &[0x00, 0x00, 0x00],
            e(K::BadValue { value: 0 }, "OUI", 3),
        ),
        (6, &[0x00, 0x03], e(K::BadValue { value: 3 }, "PID", 6)),
        (6, &[0x00, 0x05], e(K::BadValue { value: 5 }, "PID", 6)),
    ];
    for (at, octets, want) in cases {
        let mut b = sdu.clone();
        b[at..at + octets.len()].copy_from_slice(octets);
        assert_eq!(DataPacket::decode_sdu(&b), Err(want));
    }
    // Offsets count from the first octet of the SDU.
    assert_eq!(
        DataPacket::decode_sdu(&sdu[..9]),
        Err(e(
            K::Truncated {
                needed: 2,
                available: 1
            },
            "pkt$cmi",
            8
        ))
    );
    assert_eq!(
        DataPacket::decode_sdu(&sdu[..7]),
        Err(e(
            K::Truncated {
                needed: 2,
                available: 1
            },
            "PID",
            6
        ))
    );
}

#[test]
fn encoder_refusals() {
    let mut out = Vec::new();
    let mut t = Type1::new(1, Protocol::IPV4, &[]);
    t.pro.snap = [0, 0, 0, 0, 1];
    assert!(matches!(
        t.encode(&mut out),
        Err(EncodeError::Invalid {
            field: "mar$pro.snap",
            ..
        })
    ));
    let mut t = Type1::new(1, Protocol::IPV4, &[]);
    t.pad = [0, 1, 0];
    assert!(matches!(
        t.encode(&mut out),
        Err(EncodeError::Invalid {
            field: "padding",
            ..
        })
    ));
    let long = Protocol {
        ty: 0x80,
        snap: [1; 5],
    };
    let mut t = Type2::new([0; 8], long, &[]);
    t.pad = [0, 1];
    assert!(matches!(
        t.encode(&mut out),
        Err(EncodeError::Invalid {
            field: "padding",
            ..
        })
    ));
    assert!(out.is_empty());
}

#[test]
fn json() {
    let sdu = h(TYPE1_IPV4);
    let v = serde_json::to_value(DataPacket::decode_sdu(&sdu).unwrap()).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"encap": 1, "cmi": 5, "pro_type": 0x800, "payload_len": 28})
    );
    let sdu = h(TYPE2_LONG);
    let v = serde_json::to_value(DataPacket::decode_sdu(&sdu).unwrap()).unwrap();
    assert_eq!(v["source_id"], "f0f1f2f3f4f5f6f7");
    assert_eq!(v["pro_snap"], "0000f80001");
    assert_eq!(v["pad"], "00");
}

/// A protocol identification in either form, with the octets the form does not carry zero.
fn pro() -> impl Strategy<Value = Protocol> {
    prop_oneof![
        any::<u16>()
            .prop_filter("short form", |t| *t != 0x80)
            .prop_map(Protocol::short),
        any::<[u8; 5]>().prop_map(|snap| Protocol { ty: 0x80, snap }),
    ]
}

proptest! {
    #[test]
    fn type1_round_trip(
        cmi in any::<u16>(),
        pro in pro(),
        pad in any::<[u8; 3]>(),
        payload in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut t = Type1::new(cmi, pro, &payload);
        if pro.is_long() {
            t.pad = pad;
        }
        let p = DataPacket::Type1(t);
        let sdu = p.encode_sdu().unwrap();
        prop_assert_eq!(DataPacket::decode_sdu(&sdu).unwrap(), p);
    }

    #[test]
    fn type2_round_trip(
        id in any::<[u8; 8]>(),
        pro in pro(),
        pad in any::<[u8; 2]>(),
        payload in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut t = Type2::new(id, pro, &payload);
        t.pad = if pro.is_long() { [pad[0], 0] } else { pad };
        let p = DataPacket::Type2(t);
        let sdu = p.encode_sdu().unwrap();
        prop_assert_eq!(DataPacket::decode_sdu(&sdu).unwrap(), p);
    }

    /// Arbitrary octets after either header never panic; whatever decodes re-encodes.
    #[test]
    fn arbitrary_bytes(pid in prop_oneof![Just(1u8), Just(4u8), any::<u8>()],
                       body in proptest::collection::vec(any::<u8>(), 0..40)) {
        let sdu = [&[0xaa, 0xaa, 0x03, 0x00, 0x00, 0x5e, 0x00, pid][..], &body].concat();
        if let Ok(p) = DataPacket::decode_sdu(&sdu) {
            prop_assert_eq!(p.encode_sdu().unwrap(), sdu.clone());
        }
        for b in [&body[..], &sdu[..]] {
            if let Ok(t) = Type1::decode(b) {
                let mut v = Vec::new();
                t.encode(&mut v).unwrap();
                prop_assert_eq!(&v[..], b);
            }
            if let Ok(t) = Type2::decode(b) {
                let mut v = Vec::new();
                t.encode(&mut v).unwrap();
                prop_assert_eq!(&v[..], b);
            }
        }
    }
}
