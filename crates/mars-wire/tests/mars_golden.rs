//! Golden vectors for every MARS operation (RFC 2022 §4.3, §5.1.2, §5.1.6, §5.2.1, §5.3,
//! §5.4.3, §6.2.2, §6.2.4, §10).
//!
//! Each vector was written by hand from the RFC field lists, one line per field with the
//! octet offset from the MSB of `mar$afn` (after LLC/SNAP) in the comment. The checksums
//! were computed independently of the encoder (RFC 1071 over the message with `mar$chksum`
//! zeroed) and are checked again here by `rfc1071`, a separate ten-line implementation.
//!
//! For each vector the test asserts: the decoded message equals a message built field by
//! field from the RFC layout (so every field is checked); that built message encodes to the
//! vector; the decoded message re-encodes to the vector; the checksum verifies; and the
//! LLC/SNAP-framed form round-trips.

use mars_wire::atm::{AtmAddr, AtmAddress};
use mars_wire::mars::{
    Flags, GroupListReply, GroupPair, Join, MarsBody, MarsMessage, MarsOp, Migrate, Multi, RedirF,
    RedirectMap, Request, SeqXy, Tlv, TlvList, TlvVerdict,
};
use mars_wire::pro::Protocol;
use mars_wire::proto_addr::ProtoAddr;
use mars_wire::seq::Csn;

// ---------------------------------------------------------------------------------------
// Helpers, independent of the code under test.

/// Hex with `#` comments and whitespace removed.
fn h(s: &str) -> Vec<u8> {
    let digits: String = s
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    hex::decode(digits).expect("test vector is valid hex")
}

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
const MARS1: &str = "47.0005.80FFE1000000F21A3A3D.00204800A1A1.01";
const MARS2: &str = "39.840F.80FFE1000000F21A3A3D.0020481B0001.00";
const MCS: &str = "47.0005.80FFE1000000F21A3A3D.0020481C0C5C.00";
const SUB: &str = "47.0005.80FFE1000000F21A3A3D.00204800BBBB.02";

// ---------------------------------------------------------------------------------------
// MARS_REQUEST (1) and MARS_NAK (6), §5.1.2.

/// §5.1.2 MARS_REQUEST, IPv4: client C1 (NSAP, null subaddress) resolves 224.1.2.3.
const REQUEST_V4: &str = "
    000f                                         # 0  mar$afn
    0800                                         # 2  mar$pro.type (IPv4)
    0000000000                                   # 4  mar$pro.snap
    000000                                       # 9  mar$hdrrsv
    d7d4                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    00                                           # 16 mar$op.version
    01                                           # 17 mar$op.type MARS_REQUEST
    14                                           # 18 mar$shtl NSAP, 20
    00                                           # 19 mar$sstl null
    04                                           # 20 mar$spln
    00                                           # 21 mar$thtl null
    00                                           # 22 mar$tstl null
    04                                           # 23 mar$tpln
    0000000000000000                             # 24 mar$pad
    47000580ffe1000000f21a3a3d0020481a3a3d00     # 32 mar$sha C1
    0a000001                                     # 52 mar$spa 10.0.0.1
    e0010203                                     # 56 mar$tpa 224.1.2.3
";

fn request_v4() -> Request {
    Request::new(addr(C1, "null"), ip("10.0.0.1"), ip("224.1.2.3"))
}

#[test]
fn request_ipv4() {
    let m = check(
        REQUEST_V4,
        &msg(Protocol::IPV4, true, MarsBody::Request(request_v4())),
    );
    assert_eq!(m.op(), MarsOp::Request);
    assert_eq!(m.body.msn(), None);
}

/// §5.1.2 MARS_REQUEST, IPv6, E.164 source with an NSAP subaddress, mar$pad not zero (kept),
/// checksum 0 ("Messages arriving with mar$chksum of 0 are always considered valid", §4.3.3).
const REQUEST_E164_V6: &str = "
    000f                                         # 0  mar$afn
    86dd                                         # 2  mar$pro.type (IPv6)
    0000000000                                   # 4  mar$pro.snap
    000000                                       # 9  mar$hdrrsv
    0000                                         # 12 mar$chksum (none)
    0000                                         # 14 mar$extoff
    0001                                         # 16 mar$op 0/1 MARS_REQUEST
    4b                                           # 18 mar$shtl E.164, 11
    14                                           # 19 mar$sstl NSAP, 20
    10                                           # 20 mar$spln 16
    00                                           # 21 mar$thtl
    00                                           # 22 mar$tstl
    10                                           # 23 mar$tpln 16
    0102030405060708                             # 24 mar$pad (ignored, kept)
    3134303835353531323132                       # 32 mar$sha 14085551212
    47000580ffe1000000f21a3a3d00204800bbbb02     # 43 mar$ssa SUB
    20010db8000000000000000000000001             # 63 mar$spa 2001:db8::1
    ff0e0000000000000000000000000101             # 79 mar$tpa ff0e::101
";

#[test]
fn request_e164_ipv6_no_checksum() {
    let mut r = Request::new(addr("14085551212", SUB), ip("2001:db8::1"), ip("ff0e::101"));
    r.pad = [1, 2, 3, 4, 5, 6, 7, 8];
    check(
        REQUEST_E164_V6,
        &msg(Protocol::IPV6, false, MarsBody::Request(r)),
    );
}

/// §5.1.2 MARS_NAK: REQUEST_V4 returned unchanged with mar$op.type 6.
const NAK_V4: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    d7cf                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0006                                         # 16 mar$op MARS_NAK
    14 00                                        # 18 mar$shtl, mar$sstl
    04 00 00 04                                  # 20 mar$spln, mar$thtl, mar$tstl, mar$tpln
    0000000000000000                             # 24 mar$pad
    47000580ffe1000000f21a3a3d0020481a3a3d00     # 32 mar$sha C1
    0a000001                                     # 52 mar$spa
    e0010203                                     # 56 mar$tpa
";

#[test]
fn nak_ipv4() {
    let m = check(
        NAK_V4,
        &msg(Protocol::IPV4, true, MarsBody::Nak(request_v4())),
    );
    assert_eq!(m.op(), MarsOp::Nak);
}

/// §5.1.2 MARS_NAK from a 7-digit E.164 client whose null subaddress has the (ignored) x flag
/// set: mar$sstl 0x40 is kept. Odd total length (47): the checksum pads one zero octet.
const NAK_E164_ODD: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    d417                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0006                                         # 16 mar$op MARS_NAK
    47                                           # 18 mar$shtl E.164, 7
    40                                           # 19 mar$sstl null, x = 1
    04 00 00 04                                  # 20 mar$spln, mar$thtl, mar$tstl, mar$tpln
    0000000000000000                             # 24 mar$pad
    34393839313233                               # 32 mar$sha 4989123
    0a000002                                     # 39 mar$spa 10.0.0.2
    e0000005                                     # 43 mar$tpa 224.0.0.5
";

#[test]
fn nak_e164_odd_length() {
    let null_x = AtmAddr::from_wire(0x40, &[], "mar$sstl", 19, 32).unwrap();
    let source = AtmAddress {
        number: atm("4989123"),
        sub: null_x,
    };
    let r = Request::new(source, ip("10.0.0.2"), ip("224.0.0.5"));
    let m = check(NAK_E164_ODD, &msg(Protocol::IPV4, true, MarsBody::Nak(r)));
    assert_eq!(h(NAK_E164_ODD).len() % 2, 1);
    assert!(m.body.source().sub.is_null());
}

// ---------------------------------------------------------------------------------------
// MARS_MULTI (2), §5.1.2.

/// §5.1.2 MARS_MULTI(1,1) answering REQUEST_V4 with two NSAP members, null subaddresses.
const MULTI_SINGLE: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    eb97                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0002                                         # 16 mar$op MARS_MULTI
    14 00                                        # 18 mar$shtl, mar$sstl
    04                                           # 20 mar$spln
    14                                           # 21 mar$thtl NSAP, 20
    00                                           # 22 mar$tstl null
    04                                           # 23 mar$tpln
    0002                                         # 24 mar$tnum
    8001                                         # 26 mar$seqxy x=1 y=1
    00000102                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481a3a3d00     # 32 mar$sha C1
    0a000001                                     # 52 mar$spa
    e0010203                                     # 56 mar$tpa
    47000580ffe1000000f21a3a3d0020481a3a4e00     # 60 mar$tha.1 C2
    47000580ffe1000000f21a3a3d0020481a3a5f00     # 80 mar$tha.2 C3
";

#[test]
fn multi_single_part() {
    let body = Multi::new(
        addr(C1, "null"),
        ip("10.0.0.1"),
        ip("224.1.2.3"),
        vec![addr(C2, "null"), addr(C3, "null")],
        SeqXy::SINGLE,
        Csn(0x102),
    );
    assert_eq!((body.thtl, body.tstl), (0x14, 0x00));
    check(
        MULTI_SINGLE,
        &msg(Protocol::IPV4, true, MarsBody::Multi(body)),
    );
}

/// §5.1.1/§5.1.2 multi-part MARS_MULTI, part (0,1): two E.164 members with NSAP subaddresses.
const MULTI_PART1: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    ce6c                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0002                                         # 16 mar$op MARS_MULTI
    14 00                                        # 18 mar$shtl, mar$sstl
    04                                           # 20 mar$spln
    4b                                           # 21 mar$thtl E.164, 11
    14                                           # 22 mar$tstl NSAP, 20
    04                                           # 23 mar$tpln
    0002                                         # 24 mar$tnum
    0001                                         # 26 mar$seqxy x=0 y=1
    0000abcd                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481a3a3d00     # 32 mar$sha C1
    0a000001                                     # 52 mar$spa
    e0010203                                     # 56 mar$tpa
    3134303835353531323132                       # 60 mar$tha.1 14085551212
    47000580ffe1000000f21a3a3d00204800bbbb02     # 71 mar$tsa.1 SUB
    3134303835353531333133                       # 91 mar$tha.2 14085551313
    47000580ffe1000000f21a3a3d00204800bbbb02     # 102 mar$tsa.2 SUB
";

/// Part (1,2), the last: same mar$msn, one member; odd length (91).
const MULTI_PART2: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    cf32                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0002                                         # 16 mar$op MARS_MULTI
    14 00                                        # 18 mar$shtl, mar$sstl
    04 4b 14 04                                  # 20 mar$spln, mar$thtl, mar$tstl, mar$tpln
    0001                                         # 24 mar$tnum
    8002                                         # 26 mar$seqxy x=1 y=2
    0000abcd                                     # 28 mar$msn (unchanged)
    47000580ffe1000000f21a3a3d0020481a3a3d00     # 32 mar$sha C1
    0a000001                                     # 52 mar$spa
    e0010203                                     # 56 mar$tpa
    3134303835353531343134                       # 60 mar$tha.1 14085551414
    47000580ffe1000000f21a3a3d00204800bbbb02     # 71 mar$tsa.1 SUB
";

#[test]
fn multi_two_parts() {
    let part = |targets, seqxy| {
        Multi::new(
            addr(C1, "null"),
            ip("10.0.0.1"),
            ip("224.1.2.3"),
            targets,
            seqxy,
            Csn(0xabcd),
        )
    };
    let p1 = part(
        vec![addr("14085551212", SUB), addr("14085551313", SUB)],
        SeqXy::new(false, 1).unwrap(),
    );
    let p2 = part(vec![addr("14085551414", SUB)], SeqXy::new(true, 2).unwrap());
    let m1 = check(MULTI_PART1, &msg(Protocol::IPV4, true, MarsBody::Multi(p1)));
    let m2 = check(MULTI_PART2, &msg(Protocol::IPV4, true, MarsBody::Multi(p2)));
    let (MarsBody::Multi(a), MarsBody::Multi(b)) = (&m1.body, &m2.body) else {
        panic!("not MULTIs");
    };
    assert!(!a.seqxy.last() && a.seqxy.y() == 1);
    assert!(b.seqxy.last() && b.seqxy.y() == 2);
    assert_eq!(a.msn, b.msn);
}

/// §5.1.2 MARS_MULTI with no members (N = 0) for an IPv6 group: mar$thtl 0x14 is kept.
const MULTI_EMPTY_V6: &str = "
    000f 86dd 0000000000 000000                  # 0  mar$afn, mar$pro IPv6, mar$hdrrsv
    ba41                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    0002                                         # 16 mar$op MARS_MULTI
    14 00                                        # 18 mar$shtl, mar$sstl
    10                                           # 20 mar$spln 16
    14                                           # 21 mar$thtl (no targets, kept)
    00                                           # 22 mar$tstl
    10                                           # 23 mar$tpln 16
    0000                                         # 24 mar$tnum
    8001                                         # 26 mar$seqxy
    00000007                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d0020481a3a3d00     # 32 mar$sha C1
    fe800000000000000000000000000001             # 52 mar$spa fe80::1
    ff0e0000000000000000000000000101             # 68 mar$tpa ff0e::101
";

#[test]
fn multi_empty_keeps_thtl() {
    let mut body = Multi::new(
        addr(C1, "null"),
        ip("fe80::1"),
        ip("ff0e::101"),
        vec![],
        SeqXy::SINGLE,
        Csn(7),
    );
    body.thtl = 0x14;
    check(
        MULTI_EMPTY_V6,
        &msg(Protocol::IPV6, true, MarsBody::Multi(body)),
    );
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
    assert_eq!(mars_wire::mars::validate_pairs(&j.pairs), Ok(()));
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
    assert_eq!(mars_wire::mars::validate_pairs(&j.pairs), Ok(()));
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
// MARS_GROUPLIST_REQUEST (10) and MARS_GROUPLIST_REPLY (11), §5.3, §8.5.

/// §8.5 MARS_GROUPLIST_REQUEST for the entire IPv4 Class D space from a router.
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
const GROUPLIST_REPLY_V4: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    4a03                                         # 12 mar$chksum
    0044                                         # 14 mar$extoff = 68
    000b                                         # 16 mar$op MARS_GROUPLIST_REPLY = 11
    14 00                                        # 18 mar$shtl, mar$sstl
    04                                           # 20 mar$spln
    00                                           # 21 mar$thtl (unused)
    00                                           # 22 mar$tstl (unused)
    04                                           # 23 mar$tpln
    0003                                         # 24 mar$tnum
    8001                                         # 26 mar$seqxy
    00000011                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d00204800a1a101     # 32 mar$sha MARS1
    0a0000fe                                     # 52 mar$spa
    e0000005                                     # 56 mar$mgrp.1 224.0.0.5
    e0010203                                     # 60 mar$mgrp.2 224.1.2.3
    e1010101                                     # 64 mar$mgrp.3 225.1.1.1
    00000000                                     # 68 Null TLV
";

#[test]
fn grouplist_reply_ipv4_null_tlv() {
    let r = GroupListReply::new(
        addr(MARS1, "null"),
        ip("10.0.0.254"),
        vec![ip("224.0.0.5"), ip("224.1.2.3"), ip("225.1.1.1")],
        SeqXy::SINGLE,
        Csn(0x11),
    );
    let mut expected = msg(Protocol::IPV4, true, MarsBody::GroupListReply(r));
    expected.tlvs = Some(TlvList::empty());
    check(GROUPLIST_REPLY_V4, &expected);
}

/// §5.3 MARS_GROUPLIST_REPLY part (0,1) with two IPv6 groups; the unused mar$thtl/mar$tstl
/// arrive non-zero and are kept as received.
const GROUPLIST_REPLY_V6: &str = "
    000f 86dd 0000000000 000000                  # 0  mar$afn, mar$pro IPv6, mar$hdrrsv
    be9b                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    000b                                         # 16 mar$op MARS_GROUPLIST_REPLY
    14 00                                        # 18 mar$shtl, mar$sstl
    10                                           # 20 mar$spln
    ff                                           # 21 mar$thtl (unused, kept)
    01                                           # 22 mar$tstl (unused, kept)
    10                                           # 23 mar$tpln
    0002                                         # 24 mar$tnum
    0001                                         # 26 mar$seqxy x=0 y=1
    00000012                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d00204800a1a101     # 32 mar$sha MARS1
    20010db80000000000000000000000fe             # 52 mar$spa
    ff050000000000000000000000000002             # 68 mar$mgrp.1 ff05::2
    ff0e0000000000000000000000000101             # 84 mar$mgrp.2 ff0e::101
";

#[test]
fn grouplist_reply_ipv6_part() {
    let mut r = GroupListReply::new(
        addr(MARS1, "null"),
        ip("2001:db8::fe"),
        vec![ip("ff05::2"), ip("ff0e::101")],
        SeqXy(0x0001),
        Csn(0x12),
    );
    r.thtl = 0xff;
    r.tstl = 0x01;
    check(
        GROUPLIST_REPLY_V6,
        &msg(Protocol::IPV6, true, MarsBody::GroupListReply(r)),
    );
}

// ---------------------------------------------------------------------------------------
// MARS_REDIRECT_MAP (12), §5.4.3.

/// §5.4.3 hard MARS_REDIRECT_MAP (mar$redirf bit 7) listing two MARSs with NSAP subaddresses.
const REDIRECT_MAP_HARD: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    a3b6                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    000c                                         # 16 mar$op MARS_REDIRECT_MAP = 12
    14 00                                        # 18 mar$shtl, mar$sstl
    00                                           # 20 mar$spln (reserved)
    14                                           # 21 mar$thtl NSAP
    14                                           # 22 mar$tstl NSAP
    80                                           # 23 mar$redirf hard
    0002                                         # 24 mar$tnum
    8001                                         # 26 mar$seqxy
    00000020                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d00204800a1a101     # 32 mar$sha MARS1
    47000580ffe1000000f21a3a3d00204800a1a101     # 52 mar$tha.1 MARS1
    47000580ffe1000000f21a3a3d00204800bbbb02     # 72 mar$tsa.1 SUB
    39840f80ffe1000000f21a3a3d0020481b000100     # 92 mar$tha.2 MARS2
    47000580ffe1000000f21a3a3d00204800bbbb02     # 112 mar$tsa.2 SUB
";

#[test]
fn redirect_map_hard() {
    let r = RedirectMap::new(
        addr(MARS1, "null"),
        RedirF(RedirF::HARD),
        vec![addr(MARS1, SUB), addr(MARS2, SUB)],
        SeqXy::SINGLE,
        Csn(0x20),
    );
    let m = check(
        REDIRECT_MAP_HARD,
        &msg(Protocol::IPV4, true, MarsBody::RedirectMap(r)),
    );
    let MarsBody::RedirectMap(r) = &m.body else {
        panic!("not a REDIRECT_MAP")
    };
    assert!(r.redirf.hard());
}

/// §5.4.3 soft MARS_REDIRECT_MAP with one E.164 MARS; the reserved mar$spln arrives as 4 and
/// is kept (it announces no mar$spa).
const REDIRECT_MAP_SOFT: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    2d7d                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    000c                                         # 16 mar$op MARS_REDIRECT_MAP
    4a 00                                        # 18 mar$shtl E.164 10, mar$sstl
    04                                           # 20 mar$spln (reserved, kept)
    4a                                           # 21 mar$thtl E.164 10
    00                                           # 22 mar$tstl
    00                                           # 23 mar$redirf soft
    0001                                         # 24 mar$tnum
    8001                                         # 26 mar$seqxy
    00000021                                     # 28 mar$msn
    36313235353530313030                         # 32 mar$sha 6125550100
    36313235353530313030                         # 42 mar$tha.1 6125550100
";

#[test]
fn redirect_map_soft() {
    let mut r = RedirectMap::new(
        addr("6125550100", "null"),
        RedirF(0),
        vec![addr("6125550100", "null")],
        SeqXy::SINGLE,
        Csn(0x21),
    );
    r.spln = 4;
    let m = check(
        REDIRECT_MAP_SOFT,
        &msg(Protocol::IPV4, true, MarsBody::RedirectMap(r)),
    );
    let MarsBody::RedirectMap(r) = &m.body else {
        panic!("not a REDIRECT_MAP")
    };
    assert!(!r.redirf.hard());
}

// ---------------------------------------------------------------------------------------
// MARS_MIGRATE (13), §5.1.6, §6.2.2.

/// §6.2.2 MARS_MIGRATE: the MARS moves 224.1.2.3 to its first MCS.
const MIGRATE_V4: &str = "
    000f 0800 0000000000 000000                  # 0  mar$afn, mar$pro, mar$hdrrsv
    4f3b                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    000d                                         # 16 mar$op MARS_MIGRATE = 13
    14 00                                        # 18 mar$shtl, mar$sstl
    04                                           # 20 mar$spln
    14                                           # 21 mar$thtl
    00                                           # 22 mar$tstl
    04                                           # 23 mar$tpln
    0001                                         # 24 mar$tnum
    0000                                         # 26 mar$resv
    00000030                                     # 28 mar$msn
    47000580ffe1000000f21a3a3d00204800a1a101     # 32 mar$sha MARS1
    0a0000fe                                     # 52 mar$spa
    e0010203                                     # 56 mar$tpa
    47000580ffe1000000f21a3a3d0020481c0c5c00     # 60 mar$tha.1 MCS
";

#[test]
fn migrate_ipv4() {
    let g = Migrate::new(
        addr(MARS1, "null"),
        ip("10.0.0.254"),
        ip("224.1.2.3"),
        vec![addr(MCS, "null")],
        Csn(0x30),
    );
    check(MIGRATE_V4, &msg(Protocol::IPV4, true, MarsBody::Migrate(g)));
}

/// §5.1.6 MARS_MIGRATE of IPv6 group ff05::2 to two 7-digit E.164 MCSs; mar$resv arrives as
/// 0xbeef and is kept; odd length (89).
const MIGRATE_V6_E164: &str = "
    000f 86dd 0000000000 000000                  # 0  mar$afn, mar$pro IPv6, mar$hdrrsv
    f8e4                                         # 12 mar$chksum
    0000                                         # 14 mar$extoff
    000d                                         # 16 mar$op MARS_MIGRATE
    4b 00                                        # 18 mar$shtl E.164 11, mar$sstl
    10                                           # 20 mar$spln
    47                                           # 21 mar$thtl E.164 7
    00                                           # 22 mar$tstl
    10                                           # 23 mar$tpln
    0002                                         # 24 mar$tnum
    beef                                         # 26 mar$resv (kept)
    00000031                                     # 28 mar$msn
    3134303835353531323132                       # 32 mar$sha 14085551212
    20010db80000000000000000000000fe             # 43 mar$spa
    ff050000000000000000000000000002             # 59 mar$tpa ff05::2
    34393839313233                               # 75 mar$tha.1 4989123
    34393839313234                               # 82 mar$tha.2 4989124
";

#[test]
fn migrate_ipv6_e164() {
    let mut g = Migrate::new(
        addr("14085551212", "null"),
        ip("2001:db8::fe"),
        ip("ff05::2"),
        vec![addr("4989123", "null"), addr("4989124", "null")],
        Csn(0x31),
    );
    g.resv = 0xbeef;
    check(
        MIGRATE_V6_E164,
        &msg(Protocol::IPV6, true, MarsBody::Migrate(g)),
    );
}

/// Every operation code has at least two vectors above, and the op field on the wire is the
/// §11 number (not the IANA ARP op code).
#[test]
fn every_op_has_two_vectors() {
    let all = [
        REQUEST_V4,
        REQUEST_E164_V6,
        NAK_V4,
        NAK_E164_ODD,
        MULTI_SINGLE,
        MULTI_PART1,
        MULTI_PART2,
        MULTI_EMPTY_V6,
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
        GROUPLIST_REPLY_V4,
        GROUPLIST_REPLY_V6,
        REDIRECT_MAP_HARD,
        REDIRECT_MAP_SOFT,
        MIGRATE_V4,
        MIGRATE_V6_E164,
    ];
    let mut count = [0usize; 14];
    for v in all {
        let b = h(v);
        let m = MarsMessage::decode(&b).unwrap();
        assert_eq!(b[16], 0);
        assert_eq!(b[17], m.op() as u8);
        count[usize::from(b[17])] += 1;
    }
    for op in MarsOp::ALL {
        assert!(
            count[op as usize] >= 2,
            "{op} has {} vectors",
            count[op as usize]
        );
    }
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

    let m = MarsMessage::decode(&h(MULTI_PART2)).unwrap();
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(v["op_name"], "MARS_MULTI");
    assert_eq!(v["tnum"], 1);
    assert_eq!(v["seqxy"], serde_json::json!({"x": true, "y": 2}));
    assert_eq!(v["tpa"], "224.1.2.3");
    assert_eq!(
        v["targets"],
        serde_json::json!([{"tha": "14085551414", "tsa": SUB}])
    );
    assert_eq!(v["tlvs"], serde_json::Value::Null);

    let v = serde_json::to_value(MarsMessage::decode(&h(REDIRECT_MAP_HARD)).unwrap()).unwrap();
    assert_eq!(v["redirf"], serde_json::json!({"raw": 128, "hard": true}));
    let v = serde_json::to_value(MarsMessage::decode(&h(GROUPLIST_REPLY_V6)).unwrap()).unwrap();
    assert_eq!(v["mgrp"], serde_json::json!(["ff05::2", "ff0e::101"]));
}
