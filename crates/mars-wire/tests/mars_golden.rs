//! Golden vectors for the MARS operations that answer or redirect: MARS_REQUEST and
//! MARS_NAK (RFC 2022 §5.1.2), MARS_MULTI (§5.1.2), MARS_GROUPLIST_REPLY (§5.3),
//! MARS_REDIRECT_MAP (§5.4.3) and MARS_MIGRATE (§5.1.6). The operations with the MARS_JOIN
//! layout are in `mars_golden_join.rs`.
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

mod util;

use mars_wire::atm::{AtmAddr, AtmAddress};
use mars_wire::mars::{
    GroupListReply, MarsBody, MarsMessage, MarsOp, Migrate, Multi, RedirF, RedirectMap, Request,
    SeqXy, TlvList,
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
// MARS_GROUPLIST_REPLY (11), §5.3.

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

#[test]
fn every_op_has_two_vectors() {
    two_vectors_per_op(
        &[
            REQUEST_V4,
            REQUEST_E164_V6,
            NAK_V4,
            NAK_E164_ODD,
            MULTI_SINGLE,
            MULTI_PART1,
            MULTI_PART2,
            MULTI_EMPTY_V6,
            GROUPLIST_REPLY_V4,
            GROUPLIST_REPLY_V6,
            REDIRECT_MAP_HARD,
            REDIRECT_MAP_SOFT,
            MIGRATE_V4,
            MIGRATE_V6_E164,
        ],
        &[
            MarsOp::Request,
            MarsOp::Nak,
            MarsOp::Multi,
            MarsOp::GroupListReply,
            MarsOp::RedirectMap,
            MarsOp::Migrate,
        ],
    );
}

/// `marsctl decode --json` output for list replies: RFC field names without `mar$`.
#[test]
fn json_uses_rfc_field_names() {
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
