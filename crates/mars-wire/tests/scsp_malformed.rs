//! Malformed SCSP packets (RFC 2334 Appendix B): each is rejected with the exact
//! `DecodeError` (kind, RFC field name, offset from the first octet of the SCSP packet).
//!
//! The packets are the golden vectors of `scsp_golden.rs`, altered one field at a time. After
//! an alteration, `fix_up` rewrites Packet Size and the Checksum (with this file's own RFC 1071
//! code) where the test is about a later check.

mod util;

use mars_wire::scsp::ScspPacket;
use mars_wire::{DecodeError, DecodeErrorKind};
use util::{fix_up, hex, ip_checksum, with_octet, with_u16, with_u32};
use DecodeErrorKind::*;

fn e(kind: DecodeErrorKind, field: &'static str, offset: usize) -> Result<ScspPacket, DecodeError> {
    Err(DecodeError::new(kind, field, offset))
}

fn decode(b: &[u8]) -> Result<ScspPacket, DecodeError> {
    ScspPacket::decode(b)
}

/// A vector as a list of (RFC field name, hex) so that a test knows where each field is.
type Fields = &'static [(&'static str, &'static str)];

/// `CSU_REQUEST_JOINS` of `scsp_golden.rs`, field by field (RFC 2334 B.1, B.2.0.1, B.2.2,
/// B.2.0.2, B.2.2.1; the MARS Specific Parts are opaque at this layer).
const CSU_REQUEST: Fields = &[
    ("Version", "01"),
    ("Type Code", "02"),
    ("Packet Size", "0097"),
    ("Checksum", "58b3"),
    ("Start Of Extensions", "0000"),
    ("Protocol ID", "0003"),
    ("Server Group ID", "0001"),
    ("unused", "0000"),
    ("Flags", "0000"),
    ("Sender ID Len", "04"),
    ("Recvr ID Len", "04"),
    ("Number of Records", "0002"),
    ("Sender ID", "0a000001"),
    ("Receiver ID", "0a000002"),
    ("Hop Count", "0003"),
    ("Record Length", "0040"),
    ("Cache Key Len", "04"),
    ("Orig ID Len", "04"),
    ("N", "0000"),
    ("CSA Sequence Number", "80000001"),
    ("Cache Key", "00000101"),
    ("Originator ID", "0a000001"),
    (
        "Client/Server Protocol Specific Part",
        "000f0800 00000000 00000003 20000007 04001400 0a000005
         47000580ffe1000000f21a3a3d0020481a3a3d00",
    ),
    ("Hop Count", "0003"),
    ("Record Length", "003b"),
    ("Cache Key Len", "04"),
    ("Orig ID Len", "04"),
    ("N", "0000"),
    ("CSA Sequence Number", "80000001"),
    ("Cache Key", "00000102"),
    ("Originator ID", "0a000001"),
    (
        "Client/Server Protocol Specific Part",
        "000f0800 00000000 00000003 80020007 00044b00
         3134303835353531323132 e0010101 e0010101",
    ),
];

/// `HELLO_HEARD_FOUR` of `scsp_golden.rs`, field by field (B.1, B.2.5, B.2.0.1).
const HELLO: Fields = &[
    ("Version", "01"),
    ("Type Code", "05"),
    ("Packet Size", "0031"),
    ("Checksum", "cc94"),
    ("Start Of Extensions", "0000"),
    ("HelloInterval", "0003"),
    ("DeadFactor", "0003"),
    ("unused", "0000"),
    ("Family ID", "0007"),
    ("Protocol ID", "0003"),
    ("Server Group ID", "0001"),
    ("unused", "0000"),
    ("Flags", "0000"),
    ("Sender ID Len", "04"),
    ("Recvr ID Len", "04"),
    ("Number of Records", "0003"),
    ("Sender ID", "0a000001"),
    ("Receiver ID", "0a000002"),
    ("Rec ID Len", "04"),
    ("Receiver ID", "0a000003"),
    ("Rec ID Len", "02"),
    ("Receiver ID", "0a04"),
    ("Rec ID Len", "04"),
    ("Receiver ID", "0a000005"),
];

/// (name, start, length) of each field.
fn layout(fields: Fields) -> (Vec<u8>, Vec<(&'static str, usize, usize)>) {
    let mut bytes = Vec::new();
    let mut table = Vec::new();
    for (name, h) in fields {
        let b = hex(h);
        table.push((*name, bytes.len(), b.len()));
        bytes.extend_from_slice(&b);
    }
    (bytes, table)
}

/// What decoding the first `len` octets must report when Packet Size and Checksum are made to
/// match the prefix: the field the prefix ends in (or before) is truncated — unless the
/// records that Number of Records announces cannot fit at `min_record` octets each, which the
/// decoder checks before allocating for them.
fn expected_for_prefix(
    table: &[(&'static str, usize, usize)],
    len: usize,
    min_record: usize,
) -> DecodeError {
    let count_at = table.iter().find(|f| f.0 == "Number of Records").unwrap().1;
    let records_at = table
        .iter()
        .position(|f| f.0 == "Receiver ID")
        .map(|i| table[i].1 + table[i].2)
        .unwrap();
    let count = table
        .iter()
        .filter(|f| f.0 == "Hop Count" || f.0 == "Rec ID Len")
        .count();
    if len >= records_at && len - records_at < count * min_record {
        return DecodeError::new(BadLength { value: count }, "Number of Records", count_at);
    }
    let &(name, start, flen) = table.iter().find(|f| f.1 + f.2 > len).unwrap();
    DecodeError::new(
        Truncated {
            needed: flen,
            available: len - start,
        },
        name,
        start,
    )
}

fn truncation_at_every_prefix(fields: Fields, min_record: usize) {
    let (full, table) = layout(fields);
    assert!(decode(&full).is_ok(), "the untruncated vector decodes");
    for len in 0..full.len() {
        // As received: Packet Size does not match (or is itself cut).
        let raw = &full[..len];
        let want = match len {
            0 => DecodeError::new(
                Truncated {
                    needed: 1,
                    available: 0,
                },
                "Version",
                0,
            ),
            1 => DecodeError::new(
                Truncated {
                    needed: 1,
                    available: 0,
                },
                "Type Code",
                1,
            ),
            2 | 3 => DecodeError::new(
                Truncated {
                    needed: 2,
                    available: len - 2,
                },
                "Packet Size",
                2,
            ),
            _ => DecodeError::new(BadLength { value: full.len() }, "Packet Size", 2),
        };
        assert_eq!(decode(raw), Err(want), "raw prefix of {len}");
        // With Packet Size and Checksum made consistent: the cut field is reported.
        if len >= 4 {
            let mut fixed = raw.to_vec();
            fix_up(&mut fixed);
            assert_eq!(
                decode(&fixed),
                Err(expected_for_prefix(&table, len, min_record)),
                "fixed-up prefix of {len}"
            );
        }
    }
}

#[test]
fn csu_request_truncated_at_every_prefix() {
    truncation_at_every_prefix(CSU_REQUEST, 12);
}

#[test]
fn hello_truncated_at_every_prefix() {
    truncation_at_every_prefix(HELLO, 1);
}

fn csu_request() -> Vec<u8> {
    layout(CSU_REQUEST).0
}

fn hello() -> Vec<u8> {
    layout(HELLO).0
}

/// `CSU_REPLY_ACK_TWO` of `scsp_golden.rs` (B.2.3): records at 28 and 48.
fn csu_reply() -> Vec<u8> {
    hex(
        "01 03 0044 c871 0000  0003 0001 0000 0000  04 04 0002  0a000002 0a000001
         0001 0014 04 04 0000 80000001 00000101 0a000001
         0001 0014 04 04 0000 80000001 00000102 0a000001",
    )
}

/// `CSUS_VENDOR_PRIVATE` of `scsp_golden.rs` (B.2.4, B.3.2): extensions at 48, End at 60.
fn csus_vendor() -> Vec<u8> {
    hex(
        "01 04 0040 b87a 0030  0003 0001 0000 0000  04 04 0001  0a000002 0a000001
         0001 0014 04 04 0000 ffffffff 00000105 0a000004
         0002 0008 00a03e 646d617273
         0000 0000",
    )
}

/// `CA_O_THREE` of `scsp_golden.rs` (B.2.1): records at 32, 52 and 72.
fn ca() -> Vec<u8> {
    hex(
        "01 01 005c 12ea 0000  5f3e2a10  0003 0001 0000 2000  04 04 0003  0a000002 0a000001
         0001 0014 04 04 0000 80000001 00000001 0a000001
         0001 0014 04 04 0000 00000005 00000002 0a000003
         0001 0014 04 04 0000 7fffffff 00000003 0a000001",
    )
}

#[test]
fn the_base_vectors_decode() {
    for v in [csu_request(), hello(), csu_reply(), csus_vendor(), ca()] {
        assert!(decode(&v).is_ok());
    }
}

// ----- B.1 Fixed Part ------------------------------------------------------------------------

#[test]
fn packet_size_larger_than_buffer() {
    let mut b = csu_reply();
    b[2..4].copy_from_slice(&69u16.to_be_bytes());
    assert_eq!(decode(&b), e(BadLength { value: 69 }, "Packet Size", 2));
    b[2..4].copy_from_slice(&0xFFFFu16.to_be_bytes());
    assert_eq!(decode(&b), e(BadLength { value: 0xFFFF }, "Packet Size", 2));
}

#[test]
fn packet_size_smaller_than_buffer() {
    let mut b = csu_reply();
    b[2..4].copy_from_slice(&67u16.to_be_bytes());
    assert_eq!(decode(&b), e(BadLength { value: 67 }, "Packet Size", 2));
    b[2..4].copy_from_slice(&0u16.to_be_bytes());
    assert_eq!(decode(&b), e(BadLength { value: 0 }, "Packet Size", 2));
    // A buffer with octets after the packet (e.g. padding) is not accepted either.
    let mut c = csu_reply();
    c.push(0);
    assert_eq!(decode(&c), e(BadLength { value: 68 }, "Packet Size", 2));
}

#[test]
fn bad_checksum() {
    let b = csu_reply();
    let mut q = b.clone();
    q[4..6].copy_from_slice(&0xc872u16.to_be_bytes());
    assert_eq!(
        decode(&q),
        e(
            BadChecksum {
                found: 0xc872,
                computed: 0xc871
            },
            "Checksum",
            4
        )
    );
    // A damaged octet anywhere is caught by the checksum.
    let mut q = b.clone();
    q[40] ^= 0x10;
    let computed = ip_checksum(&q);
    assert_eq!(
        decode(&q),
        e(
            BadChecksum {
                found: 0xc871,
                computed
            },
            "Checksum",
            4
        )
    );
    // Odd length (the Hello is 49 octets): B.1 pads with a 0x00 octet *after* the last one.
    // A checksum computed with the last octet as the low half of a word is refused.
    let h = hello();
    let mut low = h[..48].to_vec();
    low.extend_from_slice(&[0x00, h[48]]);
    let wrong = ip_checksum(&low);
    assert_ne!(wrong, 0xcc94);
    let q = [&h[..4], &wrong.to_be_bytes()[..], &h[6..]].concat();
    assert_eq!(
        decode(&q),
        e(
            BadChecksum {
                found: wrong,
                computed: 0xcc94
            },
            "Checksum",
            4
        )
    );
}

#[test]
fn unsupported_version() {
    for v in [0u8, 2, 0xFF] {
        let q = with_octet(&csu_reply(), 0, v);
        assert_eq!(
            decode(&q),
            e(
                UnsupportedVersion {
                    value: u64::from(v)
                },
                "Version",
                0
            )
        );
        // Checked first: even with a wrong Packet Size and Checksum.
        let mut r = csu_reply();
        r[0] = v;
        r[2] = 0xFF;
        assert_eq!(
            decode(&r),
            e(
                UnsupportedVersion {
                    value: u64::from(v)
                },
                "Version",
                0
            )
        );
    }
}

#[test]
fn unknown_type_code() {
    for t in [0u8, 6, 0x80, 0xFF] {
        let q = with_octet(&csu_reply(), 1, t);
        assert_eq!(
            decode(&q),
            e(
                UnknownType {
                    value: u64::from(t)
                },
                "Type Code",
                1
            )
        );
    }
    // Only reported for an intact packet: a bad checksum comes first.
    let mut q = csu_reply();
    q[1] = 9;
    assert!(matches!(decode(&q).unwrap_err().kind, BadChecksum { .. }));
}

#[test]
fn trailing_octets_after_mandatory_part() {
    let mut q = csu_reply();
    q.extend_from_slice(&[0, 0]);
    fix_up(&mut q);
    assert_eq!(decode(&q), e(TrailingBytes { extra: 2 }, "Packet Size", 68));
    // Number of Records one less than carried leaves a record over.
    let q = with_u16(&csu_reply(), 18, 1);
    assert_eq!(
        decode(&q),
        e(TrailingBytes { extra: 20 }, "Packet Size", 48)
    );
}

// ----- B.2.0.1 common part, B.2.0.2 records --------------------------------------------------

#[test]
fn standalone_csas_record_length_wrong() {
    // CSU Reply record 1: Record Length at 30.
    for rl in [0u16, 19, 21, 40, 0xFFFF] {
        let q = with_u16(&csu_reply(), 30, rl);
        assert_eq!(
            decode(&q),
            e(
                BadLength {
                    value: usize::from(rl)
                },
                "Record Length",
                30
            ),
            "{rl}"
        );
    }
    // CA record 2: Record Length at 54.
    let q = with_u16(&ca(), 54, 0x15);
    assert_eq!(
        decode(&q),
        e(BadLength { value: 0x15 }, "Record Length", 54)
    );
    // CSUS record: Record Length at 30.
    let q = with_u16(&csus_vendor(), 30, 0x18);
    assert_eq!(
        decode(&q),
        e(BadLength { value: 0x18 }, "Record Length", 30)
    );
}

#[test]
fn csa_record_length_shorter_than_its_header() {
    // CSU Request record 1 at 28: Record Length at 30 must be at least 12 + 4 + 4.
    for rl in [0u16, 12, 19] {
        let q = with_u16(&csu_request(), 30, rl);
        assert_eq!(
            decode(&q),
            e(
                BadLength {
                    value: usize::from(rl)
                },
                "Record Length",
                30
            )
        );
    }
    // Exactly the header: an empty protocol specific part, then record 2 is misread.
    let q = with_u16(&csu_request(), 30, 20);
    assert!(decode(&q).is_err());
    // Record Length past the end of the packet.
    let q = with_u16(&csu_request(), 30, 0x1000);
    assert_eq!(
        decode(&q),
        e(
            Truncated {
                needed: 0x1000 - 20,
                available: 151 - 48
            },
            "Client/Server Protocol Specific Part",
            48
        )
    );
}

#[test]
fn cache_key_or_originator_length_inconsistent() {
    // A stand-alone CSAS whose Cache Key Len disagrees with its Record Length.
    let q = with_octet(&csu_reply(), 32, 5);
    assert_eq!(decode(&q), e(BadLength { value: 20 }, "Record Length", 30));
    let q = with_octet(&csu_reply(), 33, 0);
    assert_eq!(decode(&q), e(BadLength { value: 20 }, "Record Length", 30));
}

#[test]
fn number_of_records_exceeding_the_data() {
    // CSU Reply: 40 octets of records; 4 records need at least 48.
    let q = with_u16(&csu_reply(), 18, 4);
    assert_eq!(
        decode(&q),
        e(BadLength { value: 4 }, "Number of Records", 18)
    );
    let q = with_u16(&csu_reply(), 18, 0xFFFF);
    assert_eq!(
        decode(&q),
        e(BadLength { value: 0xFFFF }, "Number of Records", 18)
    );
    // 3 records of at least 12 octets could fit in 40, so the third is found missing.
    let q = with_u16(&csu_reply(), 18, 3);
    assert_eq!(
        decode(&q),
        e(
            Truncated {
                needed: 2,
                available: 0
            },
            "Hop Count",
            68
        )
    );
    // CA (Number of Records at 22) and CSU Request (at 18).
    let q = with_u16(&ca(), 22, 6);
    assert_eq!(
        decode(&q),
        e(BadLength { value: 6 }, "Number of Records", 22)
    );
    let q = with_u16(&csu_request(), 18, 11);
    assert_eq!(
        decode(&q),
        e(BadLength { value: 11 }, "Number of Records", 18)
    );
    // Hello (at 26): 13 octets of Additional Receiver ID Records, 1 octet at least each.
    let q = with_u16(&hello(), 26, 14);
    assert_eq!(
        decode(&q),
        e(BadLength { value: 14 }, "Number of Records", 26)
    );
    let q = with_u16(&hello(), 26, 4);
    assert_eq!(
        decode(&q),
        e(
            Truncated {
                needed: 1,
                available: 0
            },
            "Rec ID Len",
            49
        )
    );
}

#[test]
fn id_lengths_past_the_end() {
    let q = with_octet(&csu_reply(), 16, 0xFF);
    assert_eq!(
        decode(&q),
        e(
            Truncated {
                needed: 255,
                available: 48
            },
            "Sender ID",
            20
        )
    );
    let q = with_octet(&csu_reply(), 17, 0xFF);
    assert_eq!(
        decode(&q),
        e(
            Truncated {
                needed: 255,
                available: 44
            },
            "Receiver ID",
            24
        )
    );
    let q = with_octet(&hello(), 36, 0xFF);
    assert_eq!(
        decode(&q),
        e(
            Truncated {
                needed: 255,
                available: 12
            },
            "Receiver ID",
            37
        )
    );
}

#[test]
fn reserved_csa_sequence_number() {
    let q = with_u32(&csu_reply(), 36, 0x8000_0000);
    assert_eq!(
        decode(&q),
        e(BadValue { value: 0x8000_0000 }, "CSA Sequence Number", 36)
    );
    let q = with_u32(&ca(), 80, 0x8000_0000);
    assert_eq!(
        decode(&q),
        e(BadValue { value: 0x8000_0000 }, "CSA Sequence Number", 80)
    );
    let q = with_u32(&csu_request(), 36, 0x8000_0000);
    assert_eq!(
        decode(&q),
        e(BadValue { value: 0x8000_0000 }, "CSA Sequence Number", 36)
    );
}

// ----- B.3 Extensions ------------------------------------------------------------------------

#[test]
fn extension_list_without_end() {
    let mut q = csus_vendor();
    q.truncate(60);
    fix_up(&mut q);
    assert_eq!(decode(&q), e(Unterminated, "End Of Extensions", 60));
    // Start Of Extensions set, nothing after the mandatory part.
    let mut q = csus_vendor();
    q.truncate(48);
    fix_up(&mut q);
    assert_eq!(decode(&q), e(Unterminated, "End Of Extensions", 48));
    // Cut inside End.
    let mut q = csus_vendor();
    q.truncate(62);
    fix_up(&mut q);
    assert_eq!(
        decode(&q),
        e(
            Truncated {
                needed: 2,
                available: 0
            },
            "Extension Length",
            62
        )
    );
}

#[test]
fn end_with_a_length() {
    let q = with_u16(&csus_vendor(), 62, 1);
    assert_eq!(
        decode(&q),
        e(BadLength { value: 1 }, "Extension Length", 62)
    );
}

#[test]
fn octets_after_end() {
    let mut q = csus_vendor();
    q.extend_from_slice(&[0xAB]);
    fix_up(&mut q);
    assert_eq!(decode(&q), e(TrailingBytes { extra: 1 }, "Packet Size", 64));
}

#[test]
fn duplicate_extension() {
    // Two extensions of the same unknown type.
    let mut q = csus_vendor();
    q.truncate(60);
    q.extend_from_slice(&hex("8001 0000  8001 0001 ff  0000 0000"));
    fix_up(&mut q);
    assert_eq!(
        decode(&q),
        e(Duplicate { value: 0x8001 }, "Extension Type", 64)
    );
    // Two Authentication Extensions.
    let mut q = csus_vendor();
    q.truncate(48);
    q.extend_from_slice(&hex("0001 0004 00000001  0001 0004 00000002  0000 0000"));
    fix_up(&mut q);
    assert_eq!(decode(&q), e(Duplicate { value: 1 }, "Extension Type", 56));
    // Vendor-Private twice with the same Vendor ID (B.3.2).
    let mut q = csus_vendor();
    q.truncate(60);
    q.extend_from_slice(&hex("0002 0003 00a03e  0000 0000"));
    fix_up(&mut q);
    assert_eq!(
        decode(&q),
        e(Duplicate { value: 0x00a03e }, "Vendor ID", 64)
    );
    // ... but with another Vendor ID it is fine.
    let mut q = csus_vendor();
    q.truncate(60);
    q.extend_from_slice(&hex("0002 0003 00a03f  0000 0000"));
    fix_up(&mut q);
    assert!(decode(&q).is_ok());
}

#[test]
fn extension_length_past_the_end() {
    let q = with_u16(&csus_vendor(), 50, 0x40);
    assert_eq!(
        decode(&q),
        e(
            Truncated {
                needed: 0x40,
                available: 12
            },
            "Extension Value",
            52
        )
    );
    let q = with_u16(&csus_vendor(), 50, 0xFFFF);
    assert_eq!(
        decode(&q),
        e(
            Truncated {
                needed: 0xFFFF,
                available: 12
            },
            "Extension Value",
            52
        )
    );
}

#[test]
fn vendor_private_too_short() {
    let mut q = csus_vendor();
    q.truncate(48);
    q.extend_from_slice(&hex("0002 0002 00a0  0000 0000"));
    fix_up(&mut q);
    assert_eq!(
        decode(&q),
        e(BadLength { value: 2 }, "Extension Length", 50)
    );
}

#[test]
fn start_of_extensions_pointing_elsewhere() {
    for soe in [1u16, 8, 44, 47, 49, 52, 60, 64, 0xFFFF] {
        let q = with_u16(&csus_vendor(), 6, soe);
        assert_eq!(
            decode(&q),
            e(
                BadLength {
                    value: usize::from(soe)
                },
                "Start Of Extensions",
                6
            ),
            "{soe}"
        );
    }
    // Zero although extensions follow: the extensions are octets the packet cannot hold.
    let q = with_u16(&csus_vendor(), 6, 0);
    assert_eq!(
        decode(&q),
        e(TrailingBytes { extra: 16 }, "Packet Size", 48)
    );
    // Set although the packet has no extensions.
    let q = with_u16(&csu_reply(), 6, 68);
    assert_eq!(decode(&q), e(Unterminated, "End Of Extensions", 68));
}

// ----- LLC/SNAP ------------------------------------------------------------------------------

#[test]
fn sdu_header() {
    let mut sdu = hex("aaaa03 00005e 0005");
    sdu.extend_from_slice(&csu_reply());
    assert!(ScspPacket::decode_sdu(&sdu).is_ok());
    let mut bad = sdu.clone();
    bad[7] = 0x03; // MARS/NHRP PID
    assert_eq!(
        ScspPacket::decode_sdu(&bad),
        e(
            BadValue {
                value: 0xaaaa_0300_005e_0003
            },
            "LLC/SNAP header",
            0
        )
    );
    assert_eq!(
        ScspPacket::decode_sdu(&sdu[..5]),
        e(
            Truncated {
                needed: 8,
                available: 5
            },
            "LLC/SNAP header",
            0
        )
    );
    // Offsets inside the packet count from its first octet, not from the SDU's.
    let mut q = sdu.clone();
    q[8] = 2;
    assert_eq!(
        ScspPacket::decode_sdu(&q),
        e(UnsupportedVersion { value: 2 }, "Version", 0)
    );
}
