//! Malformed RFC 2443 MARS Specific Parts: every rule RFC 2443 states about the fields is a
//! decode error naming the field and its offset from the first octet of the part; the encoder
//! refuses the same things.

mod util;

use mars_wire::dmars::*;
use mars_wire::{DecodeError, DecodeErrorKind, EncodeError, ProtoAddr};
use util::hex;
use DecodeErrorKind::*;

fn e(kind: DecodeErrorKind, field: &'static str, offset: usize) -> Result<MarsCsa, DecodeError> {
    Err(DecodeError::new(kind, field, offset))
}

/// CLIENT_LEAVE_RANGE of `dmars_golden.rs` (state 4), field by field: every field present.
const LEAVE: &[(&str, &str)] = &[
    ("Hardware Type", "000f"),
    ("Protocol Type", "0800"),
    ("SNAP", "0000000000"),
    ("Unused", "00"),
    ("Version", "00"),
    ("State", "04"),
    ("Flags", "0003"),
    ("Cluster Member ID", "0007"),
    ("Src Addr Len", "04"),
    ("Group Addr Len", "04"),
    ("ATM Addr T/L", "14"),
    ("ATM SubAddr T/L", "14"),
    ("Source Protocol Address", "0a000005"),
    (
        "Source ATM Address",
        "47000580ffe1000000f21a3a3d0020481a3a3d00",
    ),
    (
        "Source ATM SubAddress",
        "47000580ffe1000000f21a3a3d0020481a3a3d01",
    ),
    ("Minimum Multicast Group Address", "e0000000"),
    ("Maximum Multicast Group Address", "efffffff"),
];

fn leave() -> Vec<u8> {
    LEAVE.iter().flat_map(|(_, h)| hex(h)).collect()
}

/// REDIRECT_NSAP of `dmars_golden.rs` (state 1).
fn redirect() -> Vec<u8> {
    hex("000f 0800 00000000 00 00 00 01 0000 0000 00 00 14 00
         47 0005 80ffe1000000f21a3a3d 002048000001 00")
}

/// MCS_SERVE_RANGE of `dmars_golden.rs` (state 2).
fn mcs_serve() -> Vec<u8> {
    hex(
        "000f 0800 00000000 00 00 00 02 0005 0010 04 04 14 14 0a000014
         39 840f 80112233000000000001 00a03e000002 00
         47 0005 80ffe1000000f21a3a3d 0020481a3a3d 01
         e0020000 e002ffff",
    )
}

/// CLIENT_REGISTER of `dmars_golden.rs` (state 3, register).
fn client_register() -> Vec<u8> {
    hex(
        "000f 0800 00000000 00 00 00 03 2000 0007 04 00 14 00 0a000005
         47 0005 80ffe1000000f21a3a3d 0020481a3a3d 00",
    )
}

/// CLIENT_JOIN_LAYER3GRP of `dmars_golden.rs` (state 3, layer3grp, E.164; 39 octets).
fn join_layer3grp() -> Vec<u8> {
    hex("000f 0800 00000000 00 00 00 03 8002 0007 00 04 4b 00
         3134303835353531323132 e0010101 e0010101")
}

/// MCS_DEREGISTER of `dmars_golden.rs` (state 5, register).
fn mcs_deregister() -> Vec<u8> {
    hex(
        "000f 0800 00000000 00 00 00 05 2000 0010 04 00 14 00 0a000014
         39 840f 80112233000000000001 00a03e000002 00",
    )
}

/// MCS_UNSERVE_RANGE of `dmars_golden.rs` (state 5).
fn mcs_unserve() -> Vec<u8> {
    hex(
        "000f 0800 00000000 00 00 00 05 0000 0010 04 04 14 00 0a000014
         39 840f 80112233000000000001 00a03e000002 00 e0020000 e002ffff",
    )
}

/// CLIENT_JOIN_IPV6 of `dmars_golden.rs` (state 3, IPv6).
fn join_ipv6() -> Vec<u8> {
    hex("000f 86dd 00000000 00 00 00 03 0000 0021 10 10 14 00
         20010db8000000000000000000000005
         47 0005 80ffe1000000f21a3a3d 0020481a3a3d 00
         ff0e0000000000000000000000010000 ff0e000000000000000000000001ffff")
}

fn set8(b: &[u8], at: usize, v: u8) -> Vec<u8> {
    let mut q = b.to_vec();
    q[at] = v;
    q
}

fn set16(b: &[u8], at: usize, v: u16) -> Vec<u8> {
    let mut q = b.to_vec();
    q[at..at + 2].copy_from_slice(&v.to_be_bytes());
    q
}

#[test]
fn base_vectors_decode() {
    for v in [
        leave(),
        redirect(),
        mcs_serve(),
        client_register(),
        join_layer3grp(),
        mcs_deregister(),
        mcs_unserve(),
        join_ipv6(),
    ] {
        let m = MarsCsa::decode(&v).unwrap();
        assert_eq!(m.to_vec().unwrap(), v);
    }
}

#[test]
fn truncated_at_every_prefix() {
    let full = leave();
    let mut fields = Vec::new();
    let mut at = 0;
    for (name, h) in LEAVE {
        let n = hex(h).len();
        fields.push((*name, at, n));
        at += n;
    }
    for len in 0..full.len() {
        let &(name, start, n) = fields.iter().find(|f| f.1 + f.2 > len).unwrap();
        assert_eq!(
            MarsCsa::decode(&full[..len]),
            e(
                Truncated {
                    needed: n,
                    available: len - start
                },
                name,
                start
            ),
            "prefix of {len}"
        );
    }
}

#[test]
fn trailing_octets() {
    let mut q = leave();
    q.push(0);
    assert_eq!(
        MarsCsa::decode(&q),
        e(TrailingBytes { extra: 1 }, "MARS Specific Part", 72)
    );
    let mut q = redirect();
    q.extend_from_slice(&[1, 2, 3]);
    assert_eq!(
        MarsCsa::decode(&q),
        e(TrailingBytes { extra: 3 }, "MARS Specific Part", 40)
    );
}

/// §3: Hardware Type is the ATM Forum address family, 15.
#[test]
fn hardware_type_not_atm() {
    for hw in [0u16, 0x000E, 0x0013, 0xFFFF] {
        assert_eq!(
            MarsCsa::decode(&set16(&leave(), 0, hw)),
            e(
                BadValue {
                    value: u64::from(hw)
                },
                "Hardware Type",
                0
            )
        );
    }
}

/// §3: "Version Number for this document MUST be set to 0x00" (1 is NHRP's, 0xF0-0xFE the
/// ATM Forum's, 0xFF experimental).
#[test]
fn version_not_zero() {
    for v in [1u8, 2, 0xF0, 0xFF] {
        assert_eq!(
            MarsCsa::decode(&set8(&leave(), 10, v)),
            e(
                UnsupportedVersion {
                    value: u64::from(v)
                },
                "Version",
                10
            )
        );
    }
}

/// §3: "All other State values should cause the CSA to be discarded."
#[test]
fn unknown_state() {
    for s in [0u8, 6, 7, 0x80, 0xFF] {
        assert_eq!(
            MarsCsa::decode(&set8(&leave(), 11, s)),
            e(
                UnknownType {
                    value: u64::from(s)
                },
                "State",
                11
            )
        );
    }
}

/// §3: "All remaining bits are reserved and MUST be zero" — bits 14 (RFC 2022's copy), 12
/// (punched) and 8–11.
#[test]
fn reserved_flag_bits() {
    for bit in [14, 12, 11, 10, 9, 8] {
        let mask = 1u16 << bit;
        for (base, flags) in [(client_register(), 0x2000u16), (leave(), 0x0003)] {
            assert_eq!(
                MarsCsa::decode(&set16(&base, 12, flags | mask)),
                e(
                    ReservedNonZero {
                        value: u64::from(mask)
                    },
                    "Flags",
                    12
                ),
                "bit {bit}"
            );
        }
    }
}

/// §5.1: "The Flags, Cluster Member ID, Src Addr Len, and Group Addr Len fields are unused
/// and set to zero."
#[test]
fn redirect_entry_unused_fields() {
    for flags in [0x0001u16, 0x00FF, 0x2000, 0x8000] {
        assert_eq!(
            MarsCsa::decode(&set16(&redirect(), 12, flags)),
            e(
                ReservedNonZero {
                    value: u64::from(flags)
                },
                "Flags",
                12
            )
        );
    }
    assert_eq!(
        MarsCsa::decode(&set16(&redirect(), 14, 1)),
        e(ReservedNonZero { value: 1 }, "Cluster Member ID", 14)
    );
    // With or without the address octets that the length would announce.
    let mut with_spa = set8(&redirect(), 16, 4);
    with_spa.splice(20..20, [10, 0, 0, 1]);
    for q in [set8(&redirect(), 16, 4), with_spa] {
        assert_eq!(
            MarsCsa::decode(&q),
            e(ReservedNonZero { value: 4 }, "Src Addr Len", 16)
        );
    }
    assert_eq!(
        MarsCsa::decode(&set8(&redirect(), 17, 4)),
        e(ReservedNonZero { value: 4 }, "Group Addr Len", 17)
    );
}

/// §5.2: "The mar$flags.layer3grp bit MUST be zero" for an MCS; §5.5 uses the §5.2 fields.
#[test]
fn mcs_with_layer3grp() {
    assert_eq!(
        MarsCsa::decode(&set16(&mcs_serve(), 12, 0x8005)),
        e(BadValue { value: 0x8005 }, "Flags", 12)
    );
    assert_eq!(
        MarsCsa::decode(&set16(&mcs_deregister(), 12, 0xA000)),
        e(BadValue { value: 0xA000 }, "Flags", 12)
    );
    assert_eq!(
        MarsCsa::decode(&set16(&mcs_unserve(), 12, 0x8000)),
        e(BadValue { value: 0x8000 }, "Flags", 12)
    );
}

/// §5.2, §5.3 (and §5.4, §5.5 by reference): "If the register bit in the flags field is set to
/// 1 in the request this field MUST be zero."
#[test]
fn register_with_group_address() {
    for (base, flags) in [
        (mcs_serve(), 0x2005u16),
        (join_layer3grp(), 0xA002),
        (leave(), 0x2003),
        (mcs_unserve(), 0x2000),
    ] {
        assert_eq!(
            MarsCsa::decode(&set16(&base, 12, flags)),
            e(BadValue { value: 4 }, "Group Addr Len", 17)
        );
    }
}

/// §5.3: "If the mar$flags.layer3grp is set to 1 than the Minimum and Maximum Multicast Group
/// Addresses MUST be equal for IPv4."
#[test]
fn layer3grp_range_for_ipv4() {
    let mut q = join_layer3grp();
    q[38] = 0x02; // Maximum 224.1.1.2 at offset 35
    assert_eq!(
        MarsCsa::decode(&q),
        e(
            BadValue { value: 0xe001_0102 },
            "Maximum Multicast Group Address",
            35
        )
    );
    assert_eq!(
        MarsCsa::decode(&set16(&leave(), 12, 0x8003)),
        e(
            BadValue { value: 0xefff_ffff },
            "Maximum Multicast Group Address",
            68
        )
    );
    // Decision: only for IPv4. An IPv6 range with layer3grp is accepted.
    let q = set16(&join_ipv6(), 12, 0x8000);
    let m = MarsCsa::decode(&q).unwrap();
    assert!(m.flags.layer3grp);
    assert_eq!(m.to_vec().unwrap(), q);
}

#[test]
fn address_fields() {
    // ATM Addr T/L bit 7 is reserved (RFC 2022 §5.1.2).
    assert_eq!(
        MarsCsa::decode(&set8(&leave(), 18, 0x94)),
        e(ReservedNonZero { value: 0x80 }, "ATM Addr T/L", 18)
    );
    // An NSAPA is 20 octets: 19 is refused (the octets are there, the next field moves).
    let mut q = set8(&leave(), 18, 0x13);
    q.remove(24);
    assert_eq!(
        MarsCsa::decode(&q),
        e(BadLength { value: 19 }, "ATM Addr T/L", 18)
    );
    // E.164: IA5 digits only; the error names the T/L field at the bad digit's offset.
    let mut q = join_layer3grp();
    q[23] = b'x';
    assert_eq!(
        MarsCsa::decode(&q),
        e(
            BadValue {
                value: u64::from(b'x')
            },
            "ATM Addr T/L",
            23
        )
    );
    // SubAddress T/L.
    assert_eq!(
        MarsCsa::decode(&set8(&leave(), 19, 0xD4)),
        e(ReservedNonZero { value: 0x80 }, "ATM SubAddr T/L", 19)
    );
    // Protocol addresses longer than 20 octets are not carried.
    assert_eq!(
        MarsCsa::decode(&set8(&leave(), 16, 21)),
        e(BadLength { value: 21 }, "Src Addr Len", 16)
    );
    assert_eq!(
        MarsCsa::decode(&set8(&leave(), 17, 21)),
        e(BadLength { value: 21 }, "Group Addr Len", 17)
    );
    // Group Addr Len past the end: Minimum takes what Maximum needed.
    assert_eq!(
        MarsCsa::decode(&set8(&leave(), 17, 8)),
        e(
            Truncated {
                needed: 8,
                available: 0
            },
            "Maximum Multicast Group Address",
            72
        )
    );
}

#[test]
fn errors_placed_in_the_packet() {
    // A part starting at offset 48 of its SCSP packet.
    let err = MarsCsa::decode(&set8(&leave(), 11, 9))
        .unwrap_err()
        .shifted(48);
    assert_eq!(err, DecodeError::new(UnknownType { value: 9 }, "State", 59));
}

fn invalid(m: &MarsCsa) -> &'static str {
    match m.to_vec() {
        Err(EncodeError::Invalid { field, .. }) | Err(EncodeError::Inconsistent { field, .. }) => {
            field
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn encoder_refuses_what_the_decoder_refuses() {
    let redirect = MarsCsa::decode(&redirect()).unwrap();
    let mut m = redirect;
    m.flags.sequence = 1;
    assert_eq!(invalid(&m), "Flags");
    let mut m = redirect;
    m.cmi = 3;
    assert_eq!(invalid(&m), "Cluster Member ID");
    let mut m = redirect;
    m.spa = ProtoAddr::v4_u32(0x0a00_0001);
    assert_eq!(invalid(&m), "Src Addr Len");
    let mut m = redirect;
    m.group = Some(GroupRange::single(ProtoAddr::v4_u32(0xe000_0001)));
    assert_eq!(invalid(&m), "Group Addr Len");

    let mcs = MarsCsa::decode(&mcs_serve()).unwrap();
    let mut m = mcs;
    m.flags.layer3grp = true;
    assert_eq!(invalid(&m), "Flags");
    let mut m = mcs;
    m.flags.register = true;
    assert_eq!(invalid(&m), "Group Addr Len");
    let mut m = mcs;
    m.group = Some(GroupRange {
        min: ProtoAddr::v4_u32(0xe000_0001),
        max: "ff02::1".parse().unwrap(),
    });
    assert_eq!(invalid(&m), "Group Addr Len");
    let mut m = mcs;
    m.group = Some(GroupRange::single(ProtoAddr::NULL));
    assert_eq!(invalid(&m), "Group Addr Len");

    let mut m = MarsCsa::decode(&leave()).unwrap();
    m.flags.layer3grp = true;
    assert_eq!(invalid(&m), "Maximum Multicast Group Address");
    let mut out = vec![7];
    assert!(m.encode(&mut out).is_err());
    assert_eq!(out, [7], "output left as it was");
}
