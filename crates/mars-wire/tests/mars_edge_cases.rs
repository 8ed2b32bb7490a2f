//! MARS messages at the edges of RFC 2022: odd but valid messages that are accepted, kept
//! and re-encoded exactly (§4.3.2, §4.3.3, §5.2.1, §10.1); the checksum that computes to
//! zero (§4.3.3); Appendix D verdicts for Type.x = 0..3 from messages on the wire; and what
//! the encoder refuses to build.

mod util;

use mars_wire::error::EncodeError;
use mars_wire::mars::{
    validate_pairs, GroupPair, MarsMessage, PairError, Tlv, TlvList, TlvVerdict,
};
use util::hex as h;

/// RFC 1071 one's complement sum (independent of the crate).
fn rfc1071(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for (i, b) in data.iter().enumerate() {
        sum += if i % 2 == 0 {
            u32::from(*b) << 8
        } else {
            u32::from(*b)
        };
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    sum as u16
}

/// `v` with the octets at `at` replaced.
fn with(v: &str, at: usize, octets: &[u8]) -> Vec<u8> {
    let mut b = h(v);
    b[at..at + octets.len()].copy_from_slice(octets);
    b
}

/// `b` with a freshly computed (independent) checksum.
fn rechecksum(mut b: Vec<u8>) -> Vec<u8> {
    b[12] = 0;
    b[13] = 0;
    let c = !rfc1071(&b);
    b[12..14].copy_from_slice(&c.to_be_bytes());
    b
}

/// Decodes, and re-encodes to the same bytes.
fn ok(b: &[u8]) -> MarsMessage {
    let m = MarsMessage::decode(b).unwrap_or_else(|e| panic!("decode: {e}"));
    assert_eq!(m.to_vec().unwrap(), b, "exact re-encoding");
    m
}

// ---------------------------------------------------------------------------------------
// Base vectors (copied from mars_golden_join.rs).

/// §5.2.1.1 MARS_JOIN for the single group <224.1.2.3, 224.1.2.3> from a cluster member:
/// layer3grp set, sequence 1, mar$cmi and mar$msn zero.
const JOIN_SINGLE: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    75ca                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0004                                         # 16 mar$op MARS_JOIN
    14 00                                        # 18 mar$shtl, mar$sstl
    04                                           # 20 mar$spln
    04                                           # 21 mar$tpln
    0001                                         # 22 mar$pnum
    8001                                         # 24 mar$flags layer3grp, sequence 1
    0000                                         # 26 mar$cmi
    00000000                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481a3a3d00     # 32 mar$sha C1
    0a000001                                     # 52 mar$spa 10.0.0.1
    e0010203                                     # 56 mar$min.1 224.1.2.3
    e0010203                                     # 60 mar$max.1 224.1.2.3
";

/// §6.2.4 hole-punched MARS_JOIN copy on ClusterControlVC (copy + punched, layer3grp reset)
/// from a router with a 7-digit E.164 address, three <min,max> pairs, and a TLV list (§10):
/// the addresses end at 67, one zero octet aligns the list at 68 = mar$extoff; an unknown
/// TLV with Type.x = 0 (type 0x3801, experimental) of 5 valid octets padded to 8 is kept;
/// the Null TLV ends the list.
const JOIN_PUNCHED_TLV: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    4166                                         # 12 mar$chksum
    0044                                         # 14 mar$extoff = 68
    0004                                         # 16 mar$op MARS_JOIN
    47 00                                        # 18 mar$shtl E.164 7, mar$sstl null
    04                                           # 20 mar$spln
    04                                           # 21 mar$tpln
    0003                                         # 22 mar$pnum
    5022                                         # 24 mar$flags copy, punched, sequence 0x22
    0003                                         # 26 mar$cmi
    01020304                                     # 28 mar$msn
    34393839313233                               # 32 mar$sha 4989123
    0a000003                                     # 39 mar$spa 10.0.0.3
    e0000000                                     # 43 mar$min.1 224.0.0.0
    e00000ff                                     # 47 mar$max.1 224.0.0.255
    e0000200                                     # 51 mar$min.2 224.0.2.0
    e0ffffff                                     # 55 mar$max.2 224.255.255.255
    e1000000                                     # 59 mar$min.3 225.0.0.0
    efffffff                                     # 63 mar$max.3 239.255.255.255
    00                                           # 67 zero octet up to the 32-bit boundary
    3801                                         # 68 TLV Type x=0 y=0x3801
    0005                                         # 70 TLV Length 5
    0102030405                                   # 72 TLV Value
    000000                                       # 77 TLV padding
    0000 0000                                    # 80 Null TLV
";
// ---------------------------------------------------------------------------------------
// Odd but valid: accepted, kept, re-encoded exactly.

#[test]
fn accepted_edge_cases() {
    // §4.3.3: a zero checksum is always valid, whatever the content.
    let m = ok(&with(JOIN_SINGLE, 12, &[0, 0, 0, 0, 0, 9]));
    assert!(!m.checksum);
    // §10.1: the two low bits of mar$extoff are masked off on receive, and kept.
    let m = ok(&rechecksum(with(JOIN_PUNCHED_TLV, 14, &[0, 0x47])));
    assert_eq!(m.extoff_rsv, 3);
    assert!(m.tlvs.is_some());
    let m = ok(&rechecksum(with(JOIN_SINGLE, 14, &[0, 0x02])));
    assert_eq!((m.extoff_rsv, m.tlvs), (2, None));
    // §5.2.1: reserved mar$flags bits are kept for the engine to judge.
    let m = ok(&rechecksum(with(JOIN_SINGLE, 24, &[0x8F, 0x01])));
    assert_eq!(m.body.as_join().unwrap().flags.reserved(), 0xF);
    // §4.3.2: short-form SNAP octets "ignored on receive" are kept; so is mar$hdrrsv.
    let m = ok(&rechecksum(with(JOIN_SINGLE, 4, &[1, 2, 3, 4, 5, 6, 7, 8])));
    assert_eq!(m.pro.snap, [1, 2, 3, 4, 5]);
    assert_eq!(m.hdrrsv, 0x060708);
    assert_eq!(m.pro.key(), (0x0800, [0; 5]));
    // A null source ATM address is structurally valid (the engine ignores such messages).
    let mut b = h(JOIN_SINGLE);
    b[18] = 0;
    b.drain(32..52);
    let m = ok(&rechecksum(b));
    assert!(m.body.source().number.is_null());
    // §5.2.1: the decoder does not apply the <min,max> ordering rule; validate_pairs does.
    let m = ok(&rechecksum(with(JOIN_SINGLE, 56, &[0xE0, 1, 2, 4])));
    let pairs = &m.body.as_join().unwrap().pairs;
    assert_eq!(validate_pairs(pairs), Err(PairError::Inverted { pair: 1 }));
    let m = ok(&rechecksum(with(JOIN_PUNCHED_TLV, 55, &[0xE1, 0, 0, 0])));
    let pairs = &m.body.as_join().unwrap().pairs;
    assert_eq!(
        validate_pairs(pairs),
        Err(PairError::NotAscending { pair: 3 })
    );
}

/// A message whose one's complement sum is 0xFFFF has computed checksum 0x0000, which would
/// read as "no checksum": it is sent as 0xFFFF (the other zero) and accepted as such.
#[test]
fn checksum_that_computes_to_zero_is_sent_as_ffff() {
    let mut b = h(JOIN_SINGLE);
    b[12] = 0;
    b[13] = 0;
    // Choose mar$hdrrsv's low 16 bits (offset 10) so that the message sums to 0xFFFF.
    let s = rfc1071(&b);
    b[10..12].copy_from_slice(&(0xFFFF - s).to_be_bytes());
    assert_eq!(rfc1071(&b), 0xFFFF);
    // With mar$chksum 0 it is a message without checksum.
    assert!(!ok(&b).checksum);
    // With 0xFFFF it carries a checksum that verifies, and re-encodes to 0xFFFF.
    b[12] = 0xFF;
    b[13] = 0xFF;
    let m = ok(&b);
    assert!(m.checksum);
    let mut built = m.clone();
    built.checksum = true;
    assert_eq!(built.to_vec().unwrap()[12..14], [0xFF, 0xFF]);
}

// ---------------------------------------------------------------------------------------
// Appendix D verdicts, from messages on the wire.

#[test]
fn appendix_d_verdicts_for_x_0_to_3() {
    let verdict = |x: u8| {
        let b = rechecksum(with(JOIN_PUNCHED_TLV, 68, &[(x << 6) | 0x38, 0x01]));
        let m = ok(&b);
        let tlvs = m.tlvs.unwrap();
        assert_eq!(tlvs.tlvs[0].x(), x);
        assert_eq!(tlvs.tlvs[0].y(), 0x3801);
        tlvs.verdict(|_| false)
    };
    assert_eq!(verdict(0), TlvVerdict::Accept);
    assert_eq!(verdict(1), TlvVerdict::DropSilently { tlv_type: 0x7801 });
    assert_eq!(verdict(2), TlvVerdict::DropAndReport { tlv_type: 0xB801 });
    assert_eq!(verdict(3), TlvVerdict::Accept, "x = 3 is treated as x = 0");
    // A recognised type is the caller's, whatever x says.
    let b = rechecksum(with(JOIN_PUNCHED_TLV, 68, &[0xB8, 0x01]));
    let tlvs = ok(&b).tlvs.unwrap();
    assert_eq!(tlvs.verdict(|y| y == 0x3801), TlvVerdict::Accept);
    // In list order: an x = 0 TLV is skipped, the x = 1 after it stops processing.
    let list = TlvList {
        tlvs: vec![
            Tlv::new(0x0001, vec![]),
            Tlv::new(0x4002, vec![9]),
            Tlv::new(0x8003, vec![]),
        ],
    };
    assert_eq!(
        list.verdict(|_| false),
        TlvVerdict::DropSilently { tlv_type: 0x4002 }
    );
}

// ---------------------------------------------------------------------------------------
// What the encoder refuses.

#[test]
fn encoder_refusals() {
    use mars_wire::atm::AtmAddress;
    use mars_wire::mars::{GroupListReply, Join, MarsBody, Multi, SeqXy};
    use mars_wire::pro::Protocol;
    use mars_wire::seq::Csn;

    let a = |s: &str| s.parse::<AtmAddress>().unwrap();
    let nsap = a("47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00");
    let e164 = a("14085551212");
    let ip = |s: &str| s.parse().unwrap();
    let multi = |targets| {
        Multi::new(
            nsap,
            ip("10.0.0.1"),
            ip("224.1.2.3"),
            targets,
            SeqXy::SINGLE,
            Csn(1),
        )
    };
    let enc = |body| MarsMessage::new(Protocol::IPV4, body).to_vec();
    let inconsistent = |field| {
        move |r: Result<Vec<u8>, EncodeError>| {
            assert!(
                matches!(r, Err(EncodeError::Inconsistent { field: f, .. }) if f == field),
                "{r:?}"
            )
        }
    };

    // §5.1.1: one type & length for all targets of a part.
    inconsistent("mar$thtl")(enc(MarsBody::Multi(multi(vec![nsap, e164]))));
    let with_sub = a(
        "47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00/47.0005.80FFE1000000F21A3A3D.0020481A3A3D.01",
    );
    inconsistent("mar$tstl")(enc(MarsBody::Multi(multi(vec![nsap, with_sub]))));
    let mut m = multi(vec![nsap]);
    m.thtl = 0x4b;
    inconsistent("mar$thtl")(enc(MarsBody::Multi(m)));
    let mut m = multi(vec![AtmAddress::NULL]);
    m.thtl = 0;
    assert!(matches!(
        enc(MarsBody::Multi(m)),
        Err(EncodeError::Invalid {
            field: "mar$thtl",
            ..
        })
    ));
    let mut m = multi(vec![]);
    m.thtl = 0x80;
    assert!(matches!(
        enc(MarsBody::Multi(m)),
        Err(EncodeError::Invalid {
            field: "mar$thtl",
            ..
        })
    ));
    let m = multi(vec![nsap; 65536]);
    assert_eq!(
        enc(MarsBody::Multi(m)),
        Err(EncodeError::TooLarge {
            field: "mar$tnum",
            value: 65536,
            max: 65535
        })
    );

    // §5.2.1: one mar$tpln for all pairs.
    let pair = |x: &str, y: &str| GroupPair::new(ip(x), ip(y));
    let mut j = Join::new(
        nsap,
        ip("10.0.0.1"),
        Default::default(),
        vec![pair("224.0.0.1", "224.0.0.1")],
    );
    j.pairs.push(pair("ff02::1", "ff02::1"));
    inconsistent("mar$tpln")(enc(MarsBody::Join(j.clone())));
    j.pairs.truncate(1);
    j.tpln = 21;
    assert!(matches!(
        enc(MarsBody::Join(j.clone())),
        Err(EncodeError::TooLarge {
            field: "mar$tpln",
            ..
        })
    ));
    j.tpln = 0;
    j.pairs = vec![GroupPair::default()];
    assert!(matches!(
        enc(MarsBody::Join(j)),
        Err(EncodeError::Invalid {
            field: "mar$tpln",
            ..
        })
    ));
    let g = GroupListReply::new(
        nsap,
        ip("10.0.0.1"),
        vec![ip("224.0.0.1"), ip("ff02::1")],
        SeqXy::SINGLE,
        Csn(0),
    );
    inconsistent("mar$tpln")(enc(MarsBody::GroupListReply(g)));

    // §10: TLVs and mar$extoff.
    let join = Join::new(nsap, ip("10.0.0.1"), Default::default(), vec![]);
    let mut msg = MarsMessage::new(Protocol::IPV4, MarsBody::Join(join));
    msg.tlvs = Some(TlvList {
        tlvs: vec![Tlv::new(0x4000, vec![])],
    });
    assert!(matches!(
        msg.to_vec(),
        Err(EncodeError::Invalid {
            field: "TLV Type",
            ..
        })
    ));
    msg.tlvs = Some(TlvList {
        tlvs: vec![Tlv::new(1, vec![0; 65536])],
    });
    assert!(matches!(
        msg.to_vec(),
        Err(EncodeError::TooLarge {
            field: "TLV Length",
            ..
        })
    ));
    msg.tlvs = None;
    msg.extoff_rsv = 4;
    assert!(matches!(
        msg.to_vec(),
        Err(EncodeError::Invalid {
            field: "mar$extoff",
            ..
        })
    ));
    msg.extoff_rsv = 0;
    msg.hdrrsv = 0x0100_0000;
    assert!(matches!(
        msg.to_vec(),
        Err(EncodeError::TooLarge {
            field: "mar$hdrrsv",
            ..
        })
    ));

    // On error the output buffer is left as it was.
    let mut out = vec![1, 2, 3];
    assert!(msg.encode(&mut out).is_err());
    assert_eq!(out, [1, 2, 3]);
}
