//! Golden vectors for MARS_JOIN and the operations sharing its layout (RFC 2022 §5.2.1):
//! MARS_JOIN, MARS_LEAVE, MARS_MSERV and MARS_UNSERV (§6.2.2, §6.2.3), MARS_SJOIN and
//! MARS_SLEAVE (§6.2.4) and MARS_GROUPLIST_REQUEST (§5.3), with a TLV list (§10).
//!
//! Written by hand from the RFC field lists like those in `mars_golden.rs` (offsets from the
//! MSB of `mar$afn` in the comments, checksums computed independently of the encoder), with
//! the same assertions.

mod util;

use mars_wire::atm::{AtmAddr, AtmAddress};
use mars_wire::mars::{
    validate_pairs, Flags, GroupPair, Join, MarsBody, MarsMessage, MarsOp, Tlv, TlvList, TlvVerdict,
};
use mars_wire::pro::Protocol;
use mars_wire::proto_addr::ProtoAddr;
use mars_wire::seq::Csn;
use util::hex as h;

// ---------------------------------------------------------------------------------------
// Helpers, independent of the code under test.

/// RFC 1071: one's complement sum of 16-bit words, an odd octet padded with zero.
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

fn atm(s: &str) -> AtmAddr {
    s.parse().expect("address text")
}

fn addr(number: &str, sub: &str) -> AtmAddress {
    AtmAddress {
        number: atm(number),
        sub: atm(sub),
    }
}

fn ip(s: &str) -> ProtoAddr {
    s.parse().expect("protocol address text")
}

fn pair(min: &str, max: &str) -> GroupPair {
    GroupPair::new(ip(min), ip(max))
}

/// A message with the default header fields of these vectors.
fn msg(pro: Protocol, checksum: bool, body: MarsBody) -> MarsMessage {
    MarsMessage {
        pro,
        hdrrsv: 0,
        checksum,
        extoff_rsv: 0,
        body,
        tlvs: None,
    }
}

/// The assertions every golden vector gets.
fn check(vector: &str, expected: &MarsMessage) -> MarsMessage {
    let bytes = h(vector);
    let decoded = MarsMessage::decode(&bytes).unwrap_or_else(|e| panic!("decode: {e}"));
    assert_eq!(&decoded, expected, "decoded fields");
    assert_eq!(
        expected.to_vec().unwrap(),
        bytes,
        "built message encodes to the vector"
    );
    assert_eq!(decoded.to_vec().unwrap(), bytes, "exact re-encoding");
    let found = u16::from_be_bytes([bytes[12], bytes[13]]);
    if expected.checksum {
        let mut zeroed = bytes.clone();
        zeroed[12] = 0;
        zeroed[13] = 0;
        assert_eq!(
            found,
            !rfc1071(&zeroed),
            "mar$chksum is the RFC 1071 checksum"
        );
        assert_eq!(rfc1071(&bytes), 0xFFFF, "checksum verifies");
    } else {
        assert_eq!(found, 0, "no checksum");
    }
    // The LLC/SNAP-framed form (§4.2).
    let sdu = decoded.encode_sdu().unwrap();
    assert_eq!(sdu[..8], [0xAA, 0xAA, 0x03, 0x00, 0x00, 0x5E, 0x00, 0x03]);
    assert_eq!(sdu[8..], bytes[..]);
    assert_eq!(MarsMessage::decode_sdu(&sdu).unwrap(), decoded);
    decoded
}

// Addresses used below (NSAPAs in ICD format, E.164 numbers as IA5 digits).
const C1: &str = "47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00";
const C2: &str = "47.0005.80FFE1000000F21A3A3D.0020481A3A4E.00";
const C3: &str = "47.0005.80FFE1000000F21A3A3D.0020481A3A5F.00";
const MCS: &str = "47.0005.80FFE1000000F21A3A3D.0020481C0C5C.00";
const SUB: &str = "47.0005.80FFE1000000F21A3A3D.00204800BBBB.02";

/// Decode each vector, check `mar$op` on the wire (version 0, the §11 type), and check that
/// each of `ops` has at least two vectors.
fn two_vectors_per_op(vectors: &[&str], ops: &[MarsOp]) {
    let mut count = [0usize; 14];
    for v in vectors {
        let b = h(v);
        let m = MarsMessage::decode(&b).unwrap();
        assert_eq!(b[16], 0);
        assert_eq!(b[17], m.op() as u8);
        count[usize::from(b[17])] += 1;
    }
    for &op in ops {
        let n = count[op as usize];
        assert!(n >= 2, "{op} has {n} vectors");
    }
}

// ---------------------------------------------------------------------------------------
// MARS_JOIN (4) and MARS_LEAVE (5), §5.2.1, §5.2.3.

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

fn join_single() -> Join {
    Join::new(
        addr(C1, "null"),
        ip("10.0.0.1"),
        Flags::default().with_layer3grp(true).with_sequence(1),
        vec![GroupPair::single(ip("224.1.2.3"))],
    )
}

#[test]
fn join_single_group() {
    let m = check(
        JOIN_SINGLE,
        &msg(Protocol::IPV4, true, MarsBody::Join(join_single())),
    );
    let j = m.body.as_join().unwrap();
    assert!(j.flags.layer3grp() && !j.flags.copy() && !j.flags.register());
    assert_eq!(j.flags.sequence(), 1);
    assert_eq!(validate_pairs(&j.pairs), Ok(()));
}

/// §5.2.3 registration MARS_JOIN as returned by the MARS: copy and register set, sequence 7,
/// CMI 5 assigned, mar$msn = CSN 0x10, null source protocol address, no pairs, mar$tpln 4.
const JOIN_REGISTERED: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    67bb                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0004                                         # 16 mar$op MARS_JOIN
    14 00                                        # 18 mar$shtl, mar$sstl
    00                                           # 20 mar$spln (null spa)
    04                                           # 21 mar$tpln (no pairs, kept)
    0000                                         # 22 mar$pnum
    6007                                         # 24 mar$flags copy, register, sequence 7
    0005                                         # 26 mar$cmi
    00000010                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481a3a3d00     # 32 mar$sha C1
";

#[test]
fn join_registration_returned() {
    let j = Join {
        source: addr(C1, "null"),
        spa: ProtoAddr::NULL,
        tpln: 4,
        flags: Flags(Flags::COPY | Flags::REGISTER | 7),
        cmi: 5,
        msn: Csn(0x10),
        pairs: vec![],
    };
    let m = check(
        JOIN_REGISTERED,
        &msg(Protocol::IPV4, true, MarsBody::Join(j)),
    );
    assert_eq!(m.body.msn(), Some(Csn(0x10)));
}

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

#[test]
fn join_hole_punched_with_tlvs() {
    let j = Join {
        source: addr("4989123", "null"),
        spa: ip("10.0.0.3"),
        tpln: 4,
        flags: Flags(0x5022),
        cmi: 3,
        msn: Csn(0x0102_0304),
        pairs: vec![
            pair("224.0.0.0", "224.0.0.255"),
            pair("224.0.2.0", "224.255.255.255"),
            pair("225.0.0.0", "239.255.255.255"),
        ],
    };
    let mut expected = msg(Protocol::IPV4, true, MarsBody::Join(j));
    expected.tlvs = Some(TlvList {
        tlvs: vec![Tlv::new(0x3801, vec![1, 2, 3, 4, 5])],
    });
    let m = check(JOIN_PUNCHED_TLV, &expected);
    let j = m.body.as_join().unwrap();
    assert!(j.flags.copy() && j.flags.punched() && !j.flags.layer3grp());
    assert_eq!(validate_pairs(&j.pairs), Ok(()));
    let tlvs = m.tlvs.as_ref().unwrap();
    assert_eq!((tlvs.tlvs[0].x(), tlvs.tlvs[0].y()), (0, 0x3801));
    assert_eq!(tlvs.verdict(|_| false), TlvVerdict::Accept);
}

/// §5.2.1 MARS_LEAVE of the IPv6 group ff0e::101 from C2 with an NSAP subaddress.
const LEAVE_V6: &str = "
    000f 86dd 0000000000 000000                  # 0  mar$afn, mar$pro IPv6, mar$hdrrsv
    289e                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0005                                         # 16 mar$op MARS_LEAVE
    14 14                                        # 18 mar$shtl, mar$sstl NSAP
    10                                           # 20 mar$spln 16
    10                                           # 21 mar$tpln 16
    0001                                         # 22 mar$pnum
    8002                                         # 24 mar$flags layer3grp, sequence 2
    0000                                         # 26 mar$cmi
    00000000                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481a3a4e00     # 32 mar$sha C2
    47000580ffe1000000f21a3a3d00204800bbbb02     # 52 mar$ssa SUB
    fe800000000000000000000000000002             # 72 mar$spa fe80::2
    ff0e0000000000000000000000000101             # 88 mar$min.1 ff0e::101
    ff0e0000000000000000000000000101             # 104 mar$max.1 ff0e::101
";

#[test]
fn leave_ipv6_group() {
    let j = Join::new(
        addr(C2, SUB),
        ip("fe80::2"),
        Flags(0x8002),
        vec![GroupPair::single(ip("ff0e::101"))],
    );
    assert_eq!(j.tpln, 16);
    check(LEAVE_V6, &msg(Protocol::IPV6, true, MarsBody::Leave(j)));
}

/// §5.2.3 deregistration MARS_LEAVE (register set) from a 10-digit E.164 member, null
/// protocol addresses, checksum not computed.
const LEAVE_DEREGISTER: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    0000                                         # 12 mar$chksum (none)
    0000                                         # 14 mar$extoff
    0005                                         # 16 mar$op MARS_LEAVE
    4a 00                                        # 18 mar$shtl E.164 10, mar$sstl null
    00                                           # 20 mar$spln
    00                                           # 21 mar$tpln
    0000                                         # 22 mar$pnum
    2009                                         # 24 mar$flags register, sequence 9
    0000                                         # 26 mar$cmi
    00000000                                     # 28 mar$msn
    36313235353530313030                         # 32 mar$sha 6125550100
";

#[test]
fn leave_deregistration() {
    let j = Join::new(
        addr("6125550100", "null"),
        ProtoAddr::NULL,
        Flags::default().with_register(true).with_sequence(9),
        vec![],
    );
    check(
        LEAVE_DEREGISTER,
        &msg(Protocol::IPV4, false, MarsBody::Leave(j)),
    );
}

// ---------------------------------------------------------------------------------------
// MARS_MSERV (3) and MARS_UNSERV (7), §6.2.2, §6.2.3.

/// §6.2.3 MCS registration: MARS_MSERV with register set and no pairs.
const MSERV_REGISTER: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    78fd                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0003                                         # 16 mar$op MARS_MSERV
    14 00                                        # 18 mar$shtl, mar$sstl
    04                                           # 20 mar$spln
    04                                           # 21 mar$tpln
    0000                                         # 22 mar$pnum
    2000                                         # 24 mar$flags register
    0000                                         # 26 mar$cmi (zero for MSERV, §6.2.3)
    00000000                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481c0c5c00     # 32 mar$sha MCS
    0a000009                                     # 52 mar$spa 10.0.0.9
";

#[test]
fn mserv_registration() {
    let mut j = Join::new(
        addr(MCS, "null"),
        ip("10.0.0.9"),
        Flags(Flags::REGISTER),
        vec![],
    );
    j.tpln = 4;
    check(
        MSERV_REGISTER,
        &msg(Protocol::IPV4, true, MarsBody::Mserv(j)),
    );
}

/// §6.2.2 MARS_MSERV for group <224.1.2.3, 224.1.2.3>, sequence 3.
const MSERV_GROUP: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    d4ef                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0003                                         # 16 mar$op MARS_MSERV
    14 00 04 04                                  # 18 mar$shtl, mar$sstl, mar$spln, mar$tpln
    0001                                         # 22 mar$pnum
    0003                                         # 24 mar$flags sequence 3
    0000                                         # 26 mar$cmi
    00000000                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481c0c5c00     # 32 mar$sha MCS
    0a000009                                     # 52 mar$spa
    e0010203 e0010203                            # 56 mar$min.1, mar$max.1
";

fn mcs_group(flags: u16) -> Join {
    Join::new(
        addr(MCS, "null"),
        ip("10.0.0.9"),
        Flags(flags),
        vec![GroupPair::single(ip("224.1.2.3"))],
    )
}

#[test]
fn mserv_group() {
    check(
        MSERV_GROUP,
        &msg(Protocol::IPV4, true, MarsBody::Mserv(mcs_group(3))),
    );
}

/// §6.2.2 MARS_UNSERV for group <224.1.2.3, 224.1.2.3>, sequence 4.
const UNSERV_GROUP: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    d4ea                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0007                                         # 16 mar$op MARS_UNSERV
    14 00 04 04                                  # 18 mar$shtl, mar$sstl, mar$spln, mar$tpln
    0001                                         # 22 mar$pnum
    0004                                         # 24 mar$flags sequence 4
    0000                                         # 26 mar$cmi
    00000000                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481c0c5c00     # 32 mar$sha MCS
    0a000009                                     # 52 mar$spa
    e0010203 e0010203                            # 56 mar$min.1, mar$max.1
";

#[test]
fn unserv_group() {
    check(
        UNSERV_GROUP,
        &msg(Protocol::IPV4, true, MarsBody::Unserv(mcs_group(4))),
    );
}

/// §6.2.3 MCS deregistration MARS_UNSERV (register set) for a long-form protocol
/// (mar$pro.type 0x80 with a SNAP extension, §4.3.2), 16-octet addresses, no pairs.
const UNSERV_DEREGISTER_LONG: &str = "
    000f                                         # 0  mar$afn
    0080                                         # 2  mar$pro.type (long form)
    00005e0099                                   # 4  mar$pro.snap
    000000                                       # 9  mar$hdrrsv
    59b3                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0007                                         # 16 mar$op MARS_UNSERV
    14 00                                        # 18 mar$shtl, mar$sstl
    10                                           # 20 mar$spln 16
    10                                           # 21 mar$tpln 16
    0000                                         # 22 mar$pnum
    2000                                         # 24 mar$flags register
    0000                                         # 26 mar$cmi
    00000000                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481c0c5c00     # 32 mar$sha MCS
    20010db8000000000000000000000009             # 52 mar$spa
";

#[test]
fn unserv_deregistration_long_form() {
    let mut j = Join::new(
        addr(MCS, "null"),
        ip("2001:db8::9"),
        Flags(Flags::REGISTER),
        vec![],
    );
    j.tpln = 16;
    let pro = Protocol {
        ty: 0x0080,
        snap: [0x00, 0x00, 0x5e, 0x00, 0x99],
    };
    let m = check(UNSERV_DEREGISTER_LONG, &msg(pro, true, MarsBody::Unserv(j)));
    assert!(m.pro.is_long());
}

// ---------------------------------------------------------------------------------------
// MARS_SJOIN (8) and MARS_SLEAVE (9), §6.2.4 (codes from §6.2 and §11, not "18/19").

/// §6.2.4 MARS_SJOIN on ServerControlVC: C1 joined 224.1.2.3; layer3grp copied, copy set,
/// CMI 2, mar$msn = SSN 7.
const SJOIN_SINGLE: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    35bd                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0008                                         # 16 mar$op MARS_SJOIN = 8
    14 00 04 04                                  # 18 mar$shtl, mar$sstl, mar$spln, mar$tpln
    0001                                         # 22 mar$pnum
    c001                                         # 24 mar$flags layer3grp, copy, sequence 1
    0002                                         # 26 mar$cmi
    00000007                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481a3a3d00     # 32 mar$sha C1
    0a000001                                     # 52 mar$spa
    e0010203 e0010203                            # 56 mar$min.1, mar$max.1
";

#[test]
fn sjoin_single() {
    let mut j = join_single();
    j.flags = Flags(0xC001);
    j.cmi = 2;
    j.msn = Csn(7);
    let m = check(SJOIN_SINGLE, &msg(Protocol::IPV4, true, MarsBody::Sjoin(j)));
    assert_eq!(m.op() as u8, 8);
}

/// §6.2.4 MARS_SJOIN for a block join, hole-punched into two pairs around 224.1.2.3, from
/// C2 with an NSAP subaddress.
const SJOIN_BLOCK: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    5410                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0008                                         # 16 mar$op MARS_SJOIN
    14 14 04 04                                  # 18 mar$shtl, mar$sstl, mar$spln, mar$tpln
    0002                                         # 22 mar$pnum
    4000                                         # 24 mar$flags copy
    0004                                         # 26 mar$cmi
    00000008                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481a3a4e00     # 32 mar$sha C2
    47000580ffe1000000f21a3a3d00204800bbbb02     # 52 mar$ssa SUB
    0a000002                                     # 72 mar$spa
    e0000000 e0010202                            # 76 mar$min.1, mar$max.1
    e0010204 efffffff                            # 84 mar$min.2, mar$max.2
";

#[test]
fn sjoin_block() {
    let j = Join {
        source: addr(C2, SUB),
        spa: ip("10.0.0.2"),
        tpln: 4,
        flags: Flags(Flags::COPY),
        cmi: 4,
        msn: Csn(8),
        pairs: vec![
            pair("224.0.0.0", "224.1.2.2"),
            pair("224.1.2.4", "239.255.255.255"),
        ],
    };
    check(SJOIN_BLOCK, &msg(Protocol::IPV4, true, MarsBody::Sjoin(j)));
}

/// §6.2.4 MARS_SLEAVE of IPv6 group ff0e::101 from an 11-digit E.164 member; odd length.
const SLEAVE_V6: &str = "
    000f 86dd 0000000000 000000                  # 0  mar$afn, mar$pro IPv6, mar$hdrrsv
    86e4                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0009                                         # 16 mar$op MARS_SLEAVE = 9
    4b 00 10 10                                  # 18 mar$shtl, mar$sstl, mar$spln, mar$tpln
    0001                                         # 22 mar$pnum
    c002                                         # 24 mar$flags layer3grp, copy, sequence 2
    0006                                         # 26 mar$cmi
    00000009                                     # 28 mar$msn
    3134303835353531323132                       # 32 mar$sha 14085551212
    fe800000000000000000000000000006             # 43 mar$spa fe80::6
    ff0e0000000000000000000000000101             # 59 mar$min.1
    ff0e0000000000000000000000000101             # 75 mar$max.1
";

#[test]
fn sleave_ipv6() {
    let j = Join {
        source: addr("14085551212", "null"),
        spa: ip("fe80::6"),
        tpln: 16,
        flags: Flags(0xC002),
        cmi: 6,
        msn: Csn(9),
        pairs: vec![GroupPair::single(ip("ff0e::101"))],
    };
    check(SLEAVE_V6, &msg(Protocol::IPV6, true, MarsBody::Sleave(j)));
}

/// §6.2.4 MARS_SLEAVE whose hole-punched set is empty (pnum 0 "including zero", §5.2.1),
/// copy and punched set, mar$tpln 4 kept.
const SLEAVE_EMPTY: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    69c6                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0009                                         # 16 mar$op MARS_SLEAVE
    14 00 04 04                                  # 18 mar$shtl, mar$sstl, mar$spln, mar$tpln
    0000                                         # 22 mar$pnum
    5000                                         # 24 mar$flags copy, punched
    0001                                         # 26 mar$cmi
    0000000a                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481a3a3d00     # 32 mar$sha C1
    0a000001                                     # 52 mar$spa
";

#[test]
fn sleave_empty() {
    let j = Join {
        source: addr(C1, "null"),
        spa: ip("10.0.0.1"),
        tpln: 4,
        flags: Flags(0x5000),
        cmi: 1,
        msn: Csn(10),
        pairs: vec![],
    };
    check(
        SLEAVE_EMPTY,
        &msg(Protocol::IPV4, true, MarsBody::Sleave(j)),
    );
}
// ---------------------------------------------------------------------------------------
// MARS_GROUPLIST_REQUEST (10), §5.3, §8.5.

const GROUPLIST_REQUEST_V4: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    c6d1                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    000a                                         # 16 mar$op MARS_GROUPLIST_REQUEST = 10
    14 00 04 04                                  # 18 mar$shtl, mar$sstl, mar$spln, mar$tpln
    0001                                         # 22 mar$pnum
    0000                                         # 24 mar$flags
    0000                                         # 26 mar$cmi
    00000000                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481a3a5f00     # 32 mar$sha C3
    0a0000fe                                     # 52 mar$spa 10.0.0.254
    e0000000                                     # 56 mar$min.1 224.0.0.0
    efffffff                                     # 60 mar$max.1 239.255.255.255
";

#[test]
fn grouplist_request_ipv4() {
    let j = Join::new(
        addr(C3, "null"),
        ip("10.0.0.254"),
        Flags::default(),
        vec![pair("224.0.0.0", "239.255.255.255")],
    );
    check(
        GROUPLIST_REQUEST_V4,
        &msg(Protocol::IPV4, true, MarsBody::GroupListRequest(j)),
    );
}

/// §5.3 MARS_GROUPLIST_REQUEST for all IPv6 multicast, E.164 source.
const GROUPLIST_REQUEST_V6: &str = "
    000f 86dd 0000000000 000000                  # 0  mar$afn, mar$pro IPv6, mar$hdrrsv
    f342                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    000a                                         # 16 mar$op MARS_GROUPLIST_REQUEST
    4a 00 10 10                                  # 18 mar$shtl, mar$sstl, mar$spln, mar$tpln
    0001                                         # 22 mar$pnum
    0000                                         # 24 mar$flags
    0000                                         # 26 mar$cmi
    00000000                                     # 28 mar$msn
    36313235353530313030                         # 32 mar$sha 6125550100
    20010db80000000000000000000000fe             # 42 mar$spa 2001:db8::fe
    ff000000000000000000000000000000             # 58 mar$min.1 ff00::
    ffffffffffffffffffffffffffffffff             # 74 mar$max.1
";

#[test]
fn grouplist_request_ipv6() {
    let j = Join::new(
        addr("6125550100", "null"),
        ip("2001:db8::fe"),
        Flags::default(),
        vec![pair("ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")],
    );
    check(
        GROUPLIST_REQUEST_V6,
        &msg(Protocol::IPV6, true, MarsBody::GroupListRequest(j)),
    );
}

/// §5.3 MARS_GROUPLIST_REPLY (1,1) listing three IPv4 groups, with a TLV list holding only
/// the Null TLV (§10.4 "It MAY be the only TLV present") at the aligned end, 68.
#[test]
fn every_op_has_two_vectors() {
    two_vectors_per_op(
        &[
            JOIN_SINGLE,
            JOIN_REGISTERED,
            JOIN_PUNCHED_TLV,
            LEAVE_V6,
            LEAVE_DEREGISTER,
            MSERV_REGISTER,
            MSERV_GROUP,
            UNSERV_GROUP,
            UNSERV_DEREGISTER_LONG,
            SJOIN_SINGLE,
            SJOIN_BLOCK,
            SLEAVE_V6,
            SLEAVE_EMPTY,
            GROUPLIST_REQUEST_V4,
            GROUPLIST_REQUEST_V6,
        ],
        &[
            MarsOp::Mserv,
            MarsOp::Join,
            MarsOp::Leave,
            MarsOp::Unserv,
            MarsOp::Sjoin,
            MarsOp::Sleave,
            MarsOp::GroupListRequest,
        ],
    );
}

/// `marsctl decode --json` output: RFC field names without `mar$`, wire values.
#[test]
fn json_uses_rfc_field_names() {
    let m = MarsMessage::decode(&h(JOIN_PUNCHED_TLV)).unwrap();
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(v["afn"], 15);
    assert_eq!(v["pro_type"], 0x0800);
    assert_eq!(v["pro_snap"], "0000000000");
    assert_eq!(
        v["chksum"],
        u16::from_be_bytes([h(JOIN_PUNCHED_TLV)[12], h(JOIN_PUNCHED_TLV)[13]])
    );
    assert_eq!(v["extoff"], 68);
    assert_eq!(v["op"], 4);
    assert_eq!(v["op_name"], "MARS_JOIN");
    assert_eq!(v["shtl"], 0x47);
    assert_eq!(v["sstl"], 0);
    assert_eq!(v["spln"], 4);
    assert_eq!(v["tpln"], 4);
    assert_eq!(v["pnum"], 3);
    assert_eq!(v["flags"]["copy"], true);
    assert_eq!(v["flags"]["punched"], true);
    assert_eq!(v["flags"]["sequence"], 0x22);
    assert_eq!(v["cmi"], 3);
    assert_eq!(v["msn"], 0x0102_0304);
    assert_eq!(v["sha"], "4989123");
    assert_eq!(v["ssa"], "null");
    assert_eq!(v["spa"], "10.0.0.3");
    assert_eq!(
        v["groups"],
        serde_json::json!([
            ["224.0.0.0", "224.0.0.255"],
            ["224.0.2.0", "224.255.255.255"],
            ["225.0.0.0", "239.255.255.255"]
        ])
    );
    assert_eq!(
        v["tlvs"],
        serde_json::json!([{"type": 0x3801, "x": 0, "y": 0x3801, "length": 5, "value": "0102030405"}])
    );
}
