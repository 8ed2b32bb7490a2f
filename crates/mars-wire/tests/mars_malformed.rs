//! Malformed MARS messages (RFC 2022 §4.3, §5.1.2, §5.2.1, §10): each case asserts
//! the exact `DecodeError` — kind, RFC field name and octet offset from the MSB of `mar$afn`.
//!
//! The base vectors are copies of golden vectors (same bytes, same layout
//! comments); each case mutates one field. Structure is checked before the checksum, so a
//! structural fault is reported as such even though the mutation also breaks the checksum.

mod util;

use mars_wire::error::{DecodeError, DecodeErrorKind as K};
use mars_wire::mars::MarsMessage;
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

fn err(b: &[u8]) -> DecodeError {
    match MarsMessage::decode(b) {
        Ok(m) => panic!("decoded a malformed message: {m:?}"),
        Err(e) => e,
    }
}

fn e(kind: K, field: &'static str, offset: usize) -> DecodeError {
    DecodeError::new(kind, field, offset)
}

/// Decodes, and re-encodes to the same bytes.
fn ok(b: &[u8]) -> MarsMessage {
    let m = MarsMessage::decode(b).unwrap_or_else(|e| panic!("decode: {e}"));
    assert_eq!(m.to_vec().unwrap(), b, "exact re-encoding");
    m
}

// ---------------------------------------------------------------------------------------
// Base vectors (copied from mars_golden.rs and mars_golden_join.rs).

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

// ---------------------------------------------------------------------------------------
// Truncation at every field boundary.

/// One region of a vector, for the truncation loops.
#[derive(Debug, Clone, Copy)]
enum Seg {
    /// A field of `len` octets at `at`: a prefix ending inside it is `Truncated`.
    Field(&'static str, usize, usize),
    /// A counted list from `at` to `end`: a prefix ending inside it leaves the count claiming
    /// more than the buffer holds, `BadLength { value: count }` on the count field.
    List {
        at: usize,
        end: usize,
        count_field: &'static str,
        count_at: usize,
        count: usize,
    },
    /// A TLV boundary: a prefix ending here has no Null TLV, `Unterminated`.
    ListEnd(usize),
}

use Seg::{Field, List, ListEnd};

/// The fixed header (§4.3), common to every operation.
const HEADER: [Seg; 10] = [
    Field("mar$afn", 0, 2),
    Field("mar$pro.type", 2, 2),
    Field("mar$pro.snap", 4, 5),
    Field("mar$hdrrsv", 9, 3),
    Field("mar$chksum", 12, 2),
    Field("mar$extoff", 14, 2),
    Field("mar$op.version", 16, 1),
    Field("mar$op.type", 17, 1),
    Field("mar$shtl", 18, 1),
    Field("mar$sstl", 19, 1),
];

/// Decode every proper prefix of `vector` and check the error against `segs`; returns the
/// number of prefixes checked.
fn truncations(vector: &str, segs: &[Seg]) -> usize {
    let b = h(vector);
    ok(&b);
    for n in 0..b.len() {
        let want = HEADER
            .iter()
            .chain(segs)
            .find_map(|s| match *s {
                Field(f, at, len) if at <= n && n < at + len => Some(e(
                    K::Truncated {
                        needed: len,
                        available: n - at,
                    },
                    f,
                    at,
                )),
                List {
                    at,
                    end,
                    count_field,
                    count_at,
                    count,
                } if at <= n && n < end => {
                    Some(e(K::BadLength { value: count }, count_field, count_at))
                }
                ListEnd(at) if n == at => Some(e(K::Unterminated, "Null TLV", at)),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no expectation for a prefix of {n} octets"));
        assert_eq!(err(&b[..n]), want, "prefix of {n} octets");
    }
    b.len()
}

#[test]
fn truncated_join_at_every_octet() {
    let n = truncations(
        JOIN_SINGLE,
        &[
            Field("mar$spln", 20, 1),
            Field("mar$tpln", 21, 1),
            Field("mar$pnum", 22, 2),
            Field("mar$flags", 24, 2),
            Field("mar$cmi", 26, 2),
            Field("mar$msn", 28, 4),
            Field("mar$sha", 32, 20),
            Field("mar$spa", 52, 4),
            List {
                at: 56,
                end: 64,
                count_field: "mar$pnum",
                count_at: 22,
                count: 1,
            },
        ],
    );
    assert_eq!(n, 64);
}

#[test]
fn truncated_join_with_tlvs_at_every_octet() {
    let n = truncations(
        JOIN_PUNCHED_TLV,
        &[
            Field("mar$spln", 20, 1),
            Field("mar$tpln", 21, 1),
            Field("mar$pnum", 22, 2),
            Field("mar$flags", 24, 2),
            Field("mar$cmi", 26, 2),
            Field("mar$msn", 28, 4),
            Field("mar$sha", 32, 7),
            Field("mar$spa", 39, 4),
            List {
                at: 43,
                end: 67,
                count_field: "mar$pnum",
                count_at: 22,
                count: 3,
            },
            Field("TLV alignment", 67, 1),
            ListEnd(68),
            Field("TLV Type", 68, 2),
            Field("TLV Length", 70, 2),
            Field("TLV Value", 72, 5),
            Field("TLV padding", 77, 3),
            ListEnd(80),
            Field("TLV Type", 80, 2),
            Field("TLV Length", 82, 2),
        ],
    );
    assert_eq!(n, 84);
}

#[test]
fn truncated_multi_at_every_octet() {
    let n = truncations(
        MULTI_PART1,
        &[
            Field("mar$spln", 20, 1),
            Field("mar$thtl", 21, 1),
            Field("mar$tstl", 22, 1),
            Field("mar$tpln", 23, 1),
            Field("mar$tnum", 24, 2),
            Field("mar$seqxy", 26, 2),
            Field("mar$msn", 28, 4),
            Field("mar$sha", 32, 20),
            Field("mar$spa", 52, 4),
            Field("mar$tpa", 56, 4),
            List {
                at: 60,
                end: 122,
                count_field: "mar$tnum",
                count_at: 24,
                count: 2,
            },
        ],
    );
    assert_eq!(n, 122);
}

#[test]
fn truncated_request_at_every_octet() {
    // NAK_E164_ODD: 7-digit E.164 source, so every address field is short and odd-aligned.
    let n = truncations(
        NAK_E164_ODD,
        &[
            Field("mar$spln", 20, 1),
            Field("mar$thtl", 21, 1),
            Field("mar$tstl", 22, 1),
            Field("mar$tpln", 23, 1),
            Field("mar$pad", 24, 8),
            Field("mar$sha", 32, 7),
            Field("mar$spa", 39, 4),
            Field("mar$tpa", 43, 4),
        ],
    );
    assert_eq!(n, 47);
}

// ---------------------------------------------------------------------------------------
// One mutated field per case.

/// The checksum `b` carries and the one it should carry (independent computation).
fn checksums(b: &[u8]) -> (u16, u16) {
    let mut z = b.to_vec();
    z[12] = 0;
    z[13] = 0;
    (u16::from_be_bytes([b[12], b[13]]), !rfc1071(&z))
}

fn cases() -> Vec<(&'static str, Vec<u8>, DecodeError)> {
    let join = h(JOIN_SINGLE);
    let (_, join_ck) = checksums(&join);
    let cmi_changed = with(JOIN_SINGLE, 26, &[0, 1]);
    let (found, computed) = checksums(&cmi_changed);
    let append = |v: &str, extra: &[u8]| {
        let mut b = h(v);
        b.extend_from_slice(extra);
        b
    };
    // The Null TLV announcing 4 octets, which follow.
    let mut null_with_len = append(JOIN_PUNCHED_TLV, &[0; 4]);
    null_with_len[83] = 4;
    // JOIN_PUNCHED_TLV cut after its alignment octet, with mar$extoff 0.
    let mut pad_no_tlvs = h(JOIN_PUNCHED_TLV);
    pad_no_tlvs.truncate(68);
    pad_no_tlvs[14..16].copy_from_slice(&[0, 0]);
    vec![
        // §4.3.1 mar$afn
        (
            "empty input",
            vec![],
            e(
                K::Truncated {
                    needed: 2,
                    available: 0,
                },
                "mar$afn",
                0,
            ),
        ),
        (
            "afn of ATMARP",
            with(JOIN_SINGLE, 0, &[0, 0x13]),
            e(K::BadValue { value: 0x13 }, "mar$afn", 0),
        ),
        (
            "afn 0",
            with(JOIN_SINGLE, 0, &[0, 0]),
            e(K::BadValue { value: 0 }, "mar$afn", 0),
        ),
        // §4.3.5 mar$op
        (
            "op.version 1 (NHRP)",
            with(JOIN_SINGLE, 16, &[1]),
            e(K::UnsupportedVersion { value: 1 }, "mar$op.version", 16),
        ),
        (
            "op.version 0xFF",
            with(JOIN_SINGLE, 16, &[0xFF]),
            e(K::UnsupportedVersion { value: 0xFF }, "mar$op.version", 16),
        ),
        (
            "op.type 0",
            with(JOIN_SINGLE, 17, &[0]),
            e(K::UnknownType { value: 0 }, "mar$op.type", 17),
        ),
        (
            "op.type 14",
            with(JOIN_SINGLE, 17, &[14]),
            e(K::UnknownType { value: 14 }, "mar$op.type", 17),
        ),
        (
            "op.type 18 (the §6.2.4 typo)",
            with(JOIN_SINGLE, 17, &[18]),
            e(K::UnknownType { value: 18 }, "mar$op.type", 17),
        ),
        // §5.1.2 type & length octets
        (
            "shtl reserved bit",
            with(JOIN_SINGLE, 18, &[0x94]),
            e(K::ReservedNonZero { value: 0x80 }, "mar$shtl", 18),
        ),
        (
            "sstl reserved bit, null",
            with(JOIN_SINGLE, 19, &[0x80]),
            e(K::ReservedNonZero { value: 0x80 }, "mar$sstl", 19),
        ),
        (
            "thtl reserved bit",
            with(MULTI_SINGLE, 21, &[0x94]),
            e(K::ReservedNonZero { value: 0x80 }, "mar$thtl", 21),
        ),
        (
            "tstl reserved bit",
            with(MULTI_SINGLE, 22, &[0xC0]),
            e(K::ReservedNonZero { value: 0x80 }, "mar$tstl", 22),
        ),
        (
            "shtl NSAP of 19",
            with(JOIN_SINGLE, 18, &[0x13]),
            e(K::BadLength { value: 19 }, "mar$shtl", 18),
        ),
        (
            "sstl NSAP of 1",
            with(JOIN_SINGLE, 19, &[0x01]),
            e(K::BadLength { value: 1 }, "mar$sstl", 19),
        ),
        (
            "thtl NSAP of 21",
            with(MULTI_SINGLE, 21, &[0x15]),
            e(K::BadLength { value: 21 }, "mar$thtl", 21),
        ),
        (
            "shtl E.164 of 16 digits",
            with(LEAVE_DEREGISTER, 18, &[0x50]),
            e(K::BadLength { value: 16 }, "mar$shtl", 18),
        ),
        // E.164 digits
        (
            "sha non-digit",
            with(NAK_E164_ODD, 35, b"x"),
            e(K::BadValue { value: 0x78 }, "mar$sha", 35),
        ),
        (
            "sha NUL octet",
            with(LEAVE_DEREGISTER, 32, &[0]),
            e(K::BadValue { value: 0 }, "mar$sha", 32),
        ),
        (
            "tha.2 non-digit",
            with(MULTI_PART1, 101, b"#"),
            e(K::BadValue { value: 0x23 }, "mar$tha", 101),
        ),
        // Counts larger than the data
        (
            "MULTI tnum 3 of 2",
            with(MULTI_SINGLE, 24, &[0, 3]),
            e(K::BadLength { value: 3 }, "mar$tnum", 24),
        ),
        (
            "MULTI tnum 65535",
            with(MULTI_SINGLE, 24, &[0xFF, 0xFF]),
            e(K::BadLength { value: 65535 }, "mar$tnum", 24),
        ),
        (
            "JOIN pnum 2 of 1",
            with(JOIN_SINGLE, 22, &[0, 2]),
            e(K::BadLength { value: 2 }, "mar$pnum", 22),
        ),
        (
            "GROUPLIST_REPLY tnum 5 of 3",
            with(GROUPLIST_REPLY_V4, 24, &[0, 5]),
            e(K::BadLength { value: 5 }, "mar$tnum", 24),
        ),
        (
            "REDIRECT_MAP tnum 2 of 1",
            with(REDIRECT_MAP_SOFT, 24, &[0, 2]),
            e(K::BadLength { value: 2 }, "mar$tnum", 24),
        ),
        // Lists of null entries
        (
            "MULTI targets with null thtl",
            with(MULTI_SINGLE, 21, &[0]),
            e(K::BadLength { value: 0 }, "mar$thtl", 21),
        ),
        (
            "REDIRECT_MAP targets with null thtl",
            with(REDIRECT_MAP_SOFT, 21, &[0x40]),
            e(K::BadLength { value: 0 }, "mar$thtl", 21),
        ),
        (
            "JOIN pairs with tpln 0",
            with(JOIN_SINGLE, 21, &[0]),
            e(K::BadLength { value: 0 }, "mar$tpln", 21),
        ),
        (
            "GROUPLIST_REPLY groups with tpln 0",
            with(GROUPLIST_REPLY_V4, 23, &[0]),
            e(K::BadLength { value: 0 }, "mar$tpln", 23),
        ),
        // Protocol address lengths
        (
            "spln 21",
            with(JOIN_SINGLE, 20, &[21]),
            e(K::BadLength { value: 21 }, "mar$spln", 20),
        ),
        (
            "tpln 255",
            with(MULTI_SINGLE, 23, &[0xFF]),
            e(K::BadLength { value: 255 }, "mar$tpln", 23),
        ),
        // Length fields larger than the buffer
        (
            "spln 20 of 4",
            with(JOIN_SINGLE, 20, &[20]),
            e(
                K::Truncated {
                    needed: 20,
                    available: 12,
                },
                "mar$spa",
                52,
            ),
        ),
        (
            "shtl 15 digits of 10",
            with(LEAVE_DEREGISTER, 18, &[0x4F]),
            e(
                K::Truncated {
                    needed: 15,
                    available: 10,
                },
                "mar$sha",
                32,
            ),
        ),
        (
            "tpln 8 of 4",
            with(NAK_E164_ODD, 23, &[8]),
            e(
                K::Truncated {
                    needed: 8,
                    available: 4,
                },
                "mar$tpa",
                43,
            ),
        ),
        (
            "tstl NSAP with no subaddress octets",
            with(NAK_E164_ODD, 22, &[0x14]),
            e(
                K::Truncated {
                    needed: 20,
                    available: 0,
                },
                "mar$tsa",
                47,
            ),
        ),
        // §4.3.3 checksum
        (
            "checksum with cmi changed",
            cmi_changed,
            e(K::BadChecksum { found, computed }, "mar$chksum", 12),
        ),
        (
            "checksum field changed",
            with(JOIN_SINGLE, 12, &[0x12, 0x34]),
            e(
                K::BadChecksum {
                    found: 0x1234,
                    computed: join_ck,
                },
                "mar$chksum",
                12,
            ),
        ),
        (
            "checksum 0xFFFF for a non-zero sum",
            with(JOIN_SINGLE, 12, &[0xFF, 0xFF]),
            e(
                K::BadChecksum {
                    found: 0xFFFF,
                    computed: join_ck,
                },
                "mar$chksum",
                12,
            ),
        ),
        // §10.1 mar$extoff
        (
            "extoff before end of addresses",
            with(JOIN_PUNCHED_TLV, 14, &[0, 0x40]),
            e(K::BadValue { value: 0x40 }, "mar$extoff", 14),
        ),
        (
            "extoff past the first boundary",
            with(JOIN_PUNCHED_TLV, 14, &[0, 0x48]),
            e(K::BadValue { value: 0x48 }, "mar$extoff", 14),
        ),
        (
            "extoff into the fixed header",
            with(JOIN_PUNCHED_TLV, 14, &[0, 0x10]),
            e(K::BadValue { value: 0x10 }, "mar$extoff", 14),
        ),
        (
            "extoff with nothing after the addresses",
            with(JOIN_SINGLE, 14, &[0, 0x40]),
            e(K::Unterminated, "Null TLV", 64),
        ),
        (
            "extoff beyond the message",
            with(JOIN_SINGLE, 14, &[0x10, 0x00]),
            e(K::BadValue { value: 0x1000 }, "mar$extoff", 14),
        ),
        // §10.2 TLVs
        (
            "alignment octet not zero",
            with(JOIN_PUNCHED_TLV, 67, &[1]),
            e(K::ReservedNonZero { value: 1 }, "TLV alignment", 67),
        ),
        (
            "TLV padding not zero",
            with(JOIN_PUNCHED_TLV, 78, &[5]),
            e(K::ReservedNonZero { value: 5 }, "TLV padding", 78),
        ),
        (
            "no Null TLV",
            with(JOIN_PUNCHED_TLV, 80, &[0, 1, 0, 0]),
            e(K::Unterminated, "Null TLV", 84),
        ),
        (
            "Null TLV with a length",
            null_with_len,
            e(K::BadLength { value: 4 }, "TLV Length", 82),
        ),
        (
            "Null TLV type with x = 1",
            with(JOIN_PUNCHED_TLV, 80, &[0x40, 0]),
            e(K::BadValue { value: 0x4000 }, "TLV Type", 80),
        ),
        (
            "TLV length beyond the buffer",
            with(JOIN_PUNCHED_TLV, 70, &[1, 0]),
            e(
                K::Truncated {
                    needed: 256,
                    available: 12,
                },
                "TLV Value",
                72,
            ),
        ),
        // Trailing octets
        (
            "octets after the Null TLV",
            append(JOIN_PUNCHED_TLV, &[0; 4]),
            e(K::TrailingBytes { extra: 4 }, "Null TLV", 84),
        ),
        (
            "octet after the last address",
            append(JOIN_SINGLE, &[0]),
            e(K::TrailingBytes { extra: 1 }, "end of message", 64),
        ),
        (
            "padding after the addresses without extoff",
            pad_no_tlvs,
            e(K::TrailingBytes { extra: 1 }, "end of message", 67),
        ),
    ]
}

#[test]
fn malformed_fields() {
    let cases = cases();
    for (name, input, want) in &cases {
        assert_eq!(&err(input), want, "{name}");
    }
    assert_eq!(cases.len(), 51);
}

/// `decode_sdu` checks the LLC/SNAP header of §4.2 and reports SDU offsets.
#[test]
fn malformed_sdus() {
    let mut sdu = vec![0xAA, 0xAA, 0x03, 0x00, 0x00, 0x5E, 0x00, 0x03];
    sdu.extend_from_slice(&h(JOIN_SINGLE));
    assert!(MarsMessage::decode_sdu(&sdu).is_ok());
    let cases: [(usize, &[u8], DecodeError); 5] = [
        (
            0,
            &[0xFE, 0xFE],
            e(K::BadValue { value: 0xFEFE03 }, "LLC", 0),
        ),
        (
            3,
            &[0x00, 0x00, 0x00],
            e(K::BadValue { value: 0 }, "OUI", 3),
        ),
        (6, &[0x00, 0x05], e(K::BadValue { value: 5 }, "PID", 6)),
        (
            8,
            &[0x00, 0x13],
            e(K::BadValue { value: 0x13 }, "mar$afn", 8),
        ),
        (
            24,
            &[0x01],
            e(K::UnsupportedVersion { value: 1 }, "mar$op.version", 24),
        ),
    ];
    for (at, octets, want) in cases {
        let mut b = sdu.clone();
        b[at..at + octets.len()].copy_from_slice(octets);
        assert_eq!(MarsMessage::decode_sdu(&b), Err(want));
    }
    assert_eq!(
        MarsMessage::decode_sdu(&sdu[..5]),
        Err(e(
            K::Truncated {
                needed: 3,
                available: 2
            },
            "OUI",
            3
        ))
    );
    assert_eq!(
        MarsMessage::decode_sdu(&sdu[..20]),
        Err(e(
            K::Truncated {
                needed: 2,
                available: 0
            },
            "mar$chksum",
            20
        ))
    );
}
