//! Golden vectors for SCSP packets (RFC 2334 Appendix B) carrying RFC 2443 CSA records.
//!
//! Every vector is written by hand from the RFC figures, one line per figure row or field
//! group, with the field names in the comments. Checksums (B.1) were computed separately
//! (RFC 1071, odd length padded with 0x00) and are written literally. Each test decodes the
//! vector, checks every field, and checks that re-encoding gives exactly the same octets.
//!
//! Addresses used throughout:
//! - NSAPA A `47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00` (a MARS client)
//! - NSAPA B `47.0005.80FFE1000000F21A3A3D.002048000001.00` (a MARS server)
//! - NSAPA C `39.840F.80112233000000000001.00A03E000002.00` (an MCS)
//! - NSAPA D `47.0005.80FFE1000000F21A3A3D.0020481A3A3D.01` (a subaddress)
//! - E.164 `14085551212` (11 IA5 digits, T/L 0x4b)
//! - Server IDs 10.0.0.x as 4-octet SCSP IDs (RFC 2443 §4.1).

mod util;

use mars_wire::dmars::{CsaFlags, CsaState, GroupRange, MarsCsa};
use mars_wire::scsp::*;
use mars_wire::{AtmAddr, AtmAddress, CsaSeq, ProtoAddr, Protocol};
use util::hex;

const NSAP_A: &str = "47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00";
const NSAP_B: &str = "47.0005.80FFE1000000F21A3A3D.002048000001.00";
const NSAP_C: &str = "39.840F.80112233000000000001.00A03E000002.00";
const NSAP_D: &str = "47.0005.80FFE1000000F21A3A3D.0020481A3A3D.01";

fn id(v: u32) -> ScspId {
    ScspId::from_u32(v)
}

fn key(v: u32) -> CacheKey {
    CacheKey::from_u32(v)
}

fn seq(v: u32) -> CsaSeq {
    CsaSeq::from_raw(v).expect("not the reserved value")
}

fn atm(s: &str) -> AtmAddr {
    s.parse().expect("valid ATM address")
}

fn v4(s: &str) -> ProtoAddr {
    s.parse().expect("valid IPv4 address")
}

/// Decode, check the size helpers and exact re-encoding (plain and as an SDU).
fn decode_exact(bytes: &[u8]) -> ScspPacket {
    let p = ScspPacket::decode(bytes).unwrap_or_else(|e| panic!("decode failed: {e}"));
    assert_eq!(p.to_vec().expect("encodes"), bytes, "re-encoding differs");
    assert_eq!(p.wire_len(), bytes.len());
    let mut sdu = Vec::new();
    p.encode_sdu(&mut sdu).expect("encodes");
    assert_eq!(&sdu[..8], &[0xAA, 0xAA, 0x03, 0x00, 0x00, 0x5E, 0x00, 0x05]);
    assert_eq!(&sdu[8..], bytes);
    assert_eq!(ScspPacket::decode_sdu(&sdu).expect("decodes"), p);
    p
}

/// The MARS common part used by most vectors (RFC 2443 §4.1: Protocol ID 3, IDs of 4 octets).
fn mars_common(p: &ScspPacket, sender: u32, receiver: Option<u32>, flags: u16) {
    assert_eq!(p.version, 1);
    assert_eq!(p.common.protocol_id, 3);
    assert_eq!(p.common.server_group_id, 1);
    assert_eq!(p.common.unused, 0);
    assert_eq!(p.common.flags, flags);
    assert_eq!(p.common.sender_id, id(sender));
    assert_eq!(p.common.receiver_id, receiver.map(id).unwrap_or_default());
}

/// A stand-alone CSAS record as in RFC 2443 §4.2 (4-octet key and originator ID).
fn csas(hop: u16, null: bool, s: u32, k: u32, oid: u32) -> CsasRecord {
    CsasRecord {
        hop_count: hop,
        null,
        unused: 0,
        seq: seq(s),
        cache_key: key(k),
        originator_id: id(oid),
    }
}

fn ca(p: &ScspPacket) -> &Ca {
    match &p.body {
        ScspBody::Ca(ca) => ca,
        other => panic!("not a CA: {other:?}"),
    }
}

fn hello(p: &ScspPacket) -> &Hello {
    match &p.body {
        ScspBody::Hello(h) => h,
        other => panic!("not a Hello: {other:?}"),
    }
}

fn csa_records(p: &ScspPacket) -> &[CsaRecord] {
    match &p.body {
        ScspBody::CsuRequest(v) => v,
        other => panic!("not a CSU Request: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// CA (RFC 2334 B.2.1)
// ---------------------------------------------------------------------------------------------

/// B.2.1: the first CA of the Master/Slave negotiation: M and I set, no CSAS records.
const CA_MI_EMPTY: &str = "
    01 01 0020 26d2 0000   # B.1: Version 1, Type Code 1 (CA), Packet Size 32, Checksum, Start Of Extensions 0
    00000001               # B.2.1: CA Sequence Number 1
    0003 0001              # B.2.0.1: Protocol ID 3 (MARS), Server Group ID 1
    0000 c000              # unused, Flags: M (0x8000) and I (0x4000)
    04 04 0000             # Sender ID Len 4, Recvr ID Len 4, Number of Records 0
    0a000001               # Sender ID 10.0.0.1
    0a000002               # Receiver ID 10.0.0.2
";

/// B.2.1: a CA with only O set carrying three stand-alone CSAS records (B.2.0.2), including
/// the first usable and the purge sequence numbers.
const CA_O_THREE: &str = "
    01 01 005c 12ea 0000   # B.1: Version 1, Type Code 1, Packet Size 92, Checksum, Start Of Extensions 0
    5f3e2a10               # CA Sequence Number 0x5f3e2a10 (time-of-day style, B.2.1)
    0003 0001              # Protocol ID 3, Server Group ID 1
    0000 2000              # unused, Flags: O (0x2000)
    04 04 0003             # Sender ID Len 4, Recvr ID Len 4, Number of Records 3
    0a000002 0a000001      # Sender ID 10.0.0.2, Receiver ID 10.0.0.1
    0001 0014              # CSAS 1 (B.2.0.2): Hop Count 1, Record Length 20 = 12 + 4 + 4
    04 04 0000             #   Cache Key Len 4, Orig ID Len 4, N 0, unused 0
    80000001               #   CSA Sequence Number -2^31+1 (first use)
    00000001 0a000001      #   Cache Key 1, Originator ID 10.0.0.1
    0001 0014 04 04 0000   # CSAS 2: Hop Count 1, Record Length 20, lengths 4/4, N 0
    00000005               #   CSA Sequence Number 5
    00000002 0a000003      #   Cache Key 2, Originator ID 10.0.0.3
    0001 0014 04 04 0000   # CSAS 3: Hop Count 1, Record Length 20, lengths 4/4, N 0
    7fffffff               #   CSA Sequence Number 2^31-1 (the purge value)
    00000003 0a000001      #   Cache Key 3, Originator ID 10.0.0.1
";

/// B.2.1 and App. B "unused ... ignored upon receipt": M and O set, plus unused flag bits and
/// a non-zero unused common-part field, both kept for exact re-encoding.
const CA_MO_UNUSED_BITS: &str = "
    01 01 0034 2664 0000   # B.1: Version 1, Type Code 1, Packet Size 52, Checksum, Start Of Extensions 0
    00000002               # CA Sequence Number 2
    0003 0001              # Protocol ID 3, Server Group ID 1
    1234 a005              # unused 0x1234, Flags: M (0x8000), O (0x2000), unused bits 0x0005
    04 04 0001             # Sender ID Len 4, Recvr ID Len 4, Number of Records 1
    0a000001 0a000002      # Sender ID, Receiver ID
    0001 0014 04 04 0000   # CSAS: Hop Count 1, Record Length 20, lengths 4/4, N 0
    ffffffff               #   CSA Sequence Number -1
    00000004 0a000002      #   Cache Key 4, Originator ID 10.0.0.2
";

/// B.2.1 for another client protocol (ATMARP, Protocol ID 1) with other ID lengths: no flags
/// (the slave's last CA), a 2-octet Cache Key, a 6-octet Originator ID, and CSAS unused bits.
const CA_GENERIC_LENGTHS: &str = "
    01 01 0034 4d95 0000   # B.1: Version 1, Type Code 1, Packet Size 52, Checksum, Start Of Extensions 0
    00000003               # CA Sequence Number 3
    0001 0007              # Protocol ID 1 (ATMARP), Server Group ID 7
    0000 0000              # unused, Flags: none
    04 04 0001             # Sender ID Len 4, Recvr ID Len 4, Number of Records 1
    c0a80001 c0a80002      # Sender ID 192.168.0.1, Receiver ID 192.168.0.2
    0001 0014              # CSAS: Hop Count 1, Record Length 20 = 12 + 2 + 6
    02 06 0abc             #   Cache Key Len 2, Orig ID Len 6, N 0 + unused 0x0abc
    00000009               #   CSA Sequence Number 9
    beef                   #   Cache Key
    02005e000001           #   Originator ID (6 octets)
";

#[test]
fn ca_m_i_without_records() {
    let b = hex(CA_MI_EMPTY);
    let p = decode_exact(&b);
    assert_eq!(p.message_type(), MessageType::Ca);
    mars_common(&p, 0x0a00_0001, Some(0x0a00_0002), 0xC000);
    assert!(p.common.flag(CA_FLAG_M) && p.common.flag(CA_FLAG_I) && !p.common.flag(CA_FLAG_O));
    assert_eq!(
        ca(&p),
        &Ca {
            sequence: 1,
            records: vec![]
        }
    );
    assert_eq!(p.extensions, None);
    // Built from fields, it is the same packet.
    let mut common = CommonPart::new(3, 1, id(0x0a00_0001), id(0x0a00_0002));
    common.set_flag(CA_FLAG_M | CA_FLAG_I, true);
    let built = ScspPacket::new(
        common,
        ScspBody::Ca(Ca {
            sequence: 1,
            records: vec![],
        }),
    );
    assert_eq!(built.to_vec().unwrap(), b);
}

#[test]
fn ca_o_with_three_records() {
    let b = hex(CA_O_THREE);
    let p = decode_exact(&b);
    mars_common(&p, 0x0a00_0002, Some(0x0a00_0001), 0x2000);
    assert!(!p.common.flag(CA_FLAG_M) && !p.common.flag(CA_FLAG_I) && p.common.flag(CA_FLAG_O));
    let ca = ca(&p);
    assert_eq!(ca.sequence, 0x5f3e_2a10);
    assert_eq!(
        ca.records,
        vec![
            csas(1, false, 0x8000_0001, 1, 0x0a00_0001),
            csas(1, false, 5, 2, 0x0a00_0003),
            csas(1, false, 0x7fff_ffff, 3, 0x0a00_0001),
        ]
    );
    assert_eq!(ca.records[0].seq, CsaSeq::FIRST);
    assert_eq!(ca.records[2].seq, CsaSeq::PURGE);
    assert!(ca.records.iter().all(|r| r.wire_len() == 20));
}

#[test]
fn ca_m_o_keeps_unused_bits() {
    let b = hex(CA_MO_UNUSED_BITS);
    let p = decode_exact(&b);
    assert_eq!(p.common.unused, 0x1234);
    assert_eq!(p.common.flags, 0xA005);
    assert!(p.common.flag(CA_FLAG_M) && !p.common.flag(CA_FLAG_I) && p.common.flag(CA_FLAG_O));
    let ca = ca(&p);
    assert_eq!(ca.sequence, 2);
    assert_eq!(
        ca.records,
        vec![csas(1, false, 0xffff_ffff, 4, 0x0a00_0002)]
    );
    assert_eq!(ca.records[0].seq.get(), -1);
}

#[test]
fn ca_generic_lengths() {
    let b = hex(CA_GENERIC_LENGTHS);
    let p = decode_exact(&b);
    assert_eq!(p.common.protocol_id, PROTOCOL_ATMARP);
    assert_eq!(p.common.server_group_id, 7);
    assert_eq!(p.common.flags, 0);
    assert_eq!(p.common.sender_id, id(0xc0a8_0001));
    assert_eq!(p.common.receiver_id, id(0xc0a8_0002));
    let ca = ca(&p);
    assert_eq!(ca.sequence, 3);
    assert_eq!(
        ca.records,
        vec![CsasRecord {
            hop_count: 1,
            null: false,
            unused: 0x0abc,
            seq: seq(9),
            cache_key: CacheKey::new(vec![0xbe, 0xef]),
            originator_id: ScspId::new(vec![0x02, 0x00, 0x5e, 0x00, 0x00, 0x01]),
        }]
    );
}

// ---------------------------------------------------------------------------------------------
// CSU Request (RFC 2334 B.2.2) with RFC 2443 CSA records (B.2.2.1, RFC 2443 §3)
// ---------------------------------------------------------------------------------------------

/// B.2.2 with two CSA records: a Client Join/Register registering a client (RFC 2443 §5.3,
/// register bit, NSAPA source) and a Client Join of one group (layer3grp, E.164 source, null
/// source protocol address). Odd Packet Size: the checksum pads with one 0x00.
const CSU_REQUEST_JOINS: &str = "
    01 02 0097 58b3 0000   # B.1: Version 1, Type Code 2 (CSU Request), Packet Size 151, Checksum, SoE 0
    0003 0001              # B.2.0.1: Protocol ID 3, Server Group ID 1
    0000 0000              # unused, Flags (none for CSU Request)
    04 04 0002             # Sender ID Len 4, Recvr ID Len 4, Number of Records 2
    0a000001 0a000002      # Sender ID 10.0.0.1, Receiver ID 10.0.0.2
    # CSA record 1 (B.2.2.1) = CSAS (B.2.0.2) + MARS Specific Part (RFC 2443 §3)
    0003 0040              # Hop Count 3, Record Length 64 = 12 + 4 + 4 + 44
    04 04 0000             # Cache Key Len 4, Orig ID Len 4, N 0, unused 0
    80000001               # CSA Sequence Number -2^31+1
    00000101 0a000001      # Cache Key 0x101, Originator ID 10.0.0.1
    000f 0800              # Hardware Type 15, Protocol Type 0x0800 (IPv4)
    00000000               # SNAP octets 1-4
    00 00 00 03            # SNAP octet 5, Unused, Version 0, State 3 (Client Join/Register)
    2000 0007              # Flags: register; Cluster Member ID 7
    04 00 14 00            # Src Addr Len 4, Group Addr Len 0, ATM Addr T/L NSAPA/20, ATM SubAddr T/L null
    0a000005               # Source Protocol Address 10.0.0.5
    47 0005 80ffe1000000f21a3a3d 0020481a3a3d 00   # Source ATM Address: NSAPA A
    # CSA record 2
    0003 003b              # Hop Count 3, Record Length 59 = 20 + 39
    04 04 0000             # Cache Key Len 4, Orig ID Len 4, N 0
    80000001               # CSA Sequence Number -2^31+1
    00000102 0a000001      # Cache Key 0x102, Originator ID 10.0.0.1
    000f 0800 00000000     # Hardware Type 15, Protocol Type IPv4, SNAP 1-4
    00 00 00 03            # SNAP 5, Unused, Version 0, State 3
    8002 0007              # Flags: layer3grp, sequence 2; Cluster Member ID 7
    00 04 4b 00            # Src Addr Len 0 (null), Group Addr Len 4, ATM Addr T/L E.164/11, SubAddr null
    3134303835353531323132 # Source ATM Address: E.164 14085551212 (IA5)
    e0010101               # Minimum Multicast Group Address 224.1.1.1
    e0010101               # Maximum Multicast Group Address 224.1.1.1
";

/// B.2.2 with three CSA records: a MARS Server Redirect Entry (RFC 2443 §5.1), an MCS
/// Serve of a group range with a subaddress (§5.2), and an MCS Unserve/Deregister (§5.5).
const CSU_REQUEST_SERVER_MCS: &str = "
    01 02 00f4 239d 0000   # B.1: Version 1, Type Code 2, Packet Size 244, Checksum, SoE 0
    0003 0001 0000 0000    # Protocol ID 3, Server Group ID 1, unused, Flags
    04 04 0003             # Sender ID Len 4, Recvr ID Len 4, Number of Records 3
    0a000001 0a000002      # Sender ID, Receiver ID
    # CSA record 1: Redirect Entry
    0003 003c              # Hop Count 3, Record Length 60 = 20 + 40
    04 04 0000 00000010    # lengths 4/4, N 0, CSA Sequence Number 16
    00000000 0a000001      # Cache Key 0, Originator ID 10.0.0.1
    000f 0800 00000000     # Hardware Type 15, Protocol Type IPv4, SNAP 1-4
    00 00 00 01            # SNAP 5, Unused, Version 0, State 1 (MARS Server Redirect Entry)
    0000 0000              # Flags 0, Cluster Member ID 0 (unused, §5.1)
    00 00 14 00            # Src Addr Len 0, Group Addr Len 0, ATM Addr T/L NSAPA/20, SubAddr null
    47 0005 80ffe1000000f21a3a3d 002048000001 00   # Source ATM Address: NSAPA B
    # CSA record 2: MCS Serve of 224.2.0.0-224.2.255.255
    0003 005c              # Hop Count 3, Record Length 92 = 20 + 72
    04 04 0000 80000003    # lengths 4/4, N 0, CSA Sequence Number -2^31+3
    00000201 0a000001      # Cache Key 0x201, Originator ID 10.0.0.1
    000f 0800 00000000     # Hardware Type, Protocol Type, SNAP 1-4
    00 00 00 02            # SNAP 5, Unused, Version 0, State 2 (MCS Serve/Register)
    0005 0010              # Flags: sequence 5; Cluster Member ID 16
    04 04 14 14            # Src Addr Len 4, Group Addr Len 4, ATM Addr T/L NSAPA, SubAddr T/L NSAPA
    0a000014               # Source Protocol Address 10.0.0.20
    39 840f 80112233000000000001 00a03e000002 00   # Source ATM Address: NSAPA C
    47 0005 80ffe1000000f21a3a3d 0020481a3a3d 01   # Source ATM SubAddress: NSAPA D
    e0020000 e002ffff      # Minimum 224.2.0.0, Maximum 224.2.255.255
    # CSA record 3: MCS Unserve/Deregister
    0003 0040              # Hop Count 3, Record Length 64 = 20 + 44
    04 04 0000 80000004    # lengths 4/4, N 0, CSA Sequence Number -2^31+4
    00000202 0a000001      # Cache Key 0x202, Originator ID 10.0.0.1
    000f 0800 00000000     # Hardware Type, Protocol Type, SNAP 1-4
    00 00 00 05            # SNAP 5, Unused, Version 0, State 5 (MCS Unserve/Deregister)
    2000 0010              # Flags: register; Cluster Member ID 16
    04 00 14 00            # Src Addr Len 4, Group Addr Len 0, NSAPA, SubAddr null
    0a000014               # Source Protocol Address 10.0.0.20
    39 840f 80112233000000000001 00a03e000002 00   # Source ATM Address: NSAPA C
";

/// B.2.2 answering a CSUS (B.2.0.2 N bit): a Client Leave of a range with a subaddress
/// (RFC 2443 §5.4), and a null record (N set, Hop Count 1, no protocol specific part) for an
/// entry that no longer exists.
const CSU_REQUEST_LEAVE_AND_NULL: &str = "
    01 02 008c 154c 0000   # B.1: Version 1, Type Code 2, Packet Size 140, Checksum, SoE 0
    0003 0001 0000 0000    # Protocol ID 3, Server Group ID 1, unused, Flags
    04 04 0002             # Sender ID Len 4, Recvr ID Len 4, Number of Records 2
    0a000003 0a000001      # Sender ID 10.0.0.3, Receiver ID 10.0.0.1
    # CSA record 1: Client Leave/Deregister of 224.0.0.0-239.255.255.255
    0002 005c              # Hop Count 2, Record Length 92 = 20 + 72
    04 04 0000 0000002a    # lengths 4/4, N 0, CSA Sequence Number 42
    00000103 0a000003      # Cache Key 0x103, Originator ID 10.0.0.3
    000f 0800 00000000     # Hardware Type, Protocol Type, SNAP 1-4
    00 00 00 04            # SNAP 5, Unused, Version 0, State 4 (Client Leave/Deregister)
    0003 0007              # Flags: sequence 3; Cluster Member ID 7
    04 04 14 14            # Src Addr Len 4, Group Addr Len 4, NSAPA, SubAddr NSAPA
    0a000005               # Source Protocol Address 10.0.0.5
    47 0005 80ffe1000000f21a3a3d 0020481a3a3d 00   # Source ATM Address: NSAPA A
    47 0005 80ffe1000000f21a3a3d 0020481a3a3d 01   # Source ATM SubAddress: NSAPA D
    e0000000 efffffff      # Minimum 224.0.0.0, Maximum 239.255.255.255
    # CSA record 2: null record copied from a CSUS
    0001 0014              # Hop Count 1, Record Length 20 (no protocol specific part)
    04 04 8000             # lengths 4/4, N set
    00000007               # CSA Sequence Number 7
    00000104 0a000003      # Cache Key 0x104, Originator ID 10.0.0.3
";

fn nsap_a() -> AtmAddress {
    AtmAddress::new(atm(NSAP_A))
}

#[test]
fn csu_request_joins() {
    let b = hex(CSU_REQUEST_JOINS);
    let p = decode_exact(&b);
    assert_eq!(p.message_type(), MessageType::CsuRequest);
    mars_common(&p, 0x0a00_0001, Some(0x0a00_0002), 0);
    let recs = csa_records(&p);
    assert_eq!(recs.len(), 2);
    let mut s0 = csas(3, false, 0x8000_0001, 0x101, 0x0a00_0001);
    assert_eq!(recs[0].summary, s0);
    assert_eq!(recs[0].wire_len(), 64);
    assert_eq!(recs[0].protocol_specific.len(), 44);
    s0.cache_key = key(0x102);
    assert_eq!(recs[1].summary, s0);
    assert_eq!(recs[1].wire_len(), 59);

    let m0 = MarsCsa::decode_record(&recs[0]).unwrap();
    assert_eq!(
        m0,
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::ClientJoin,
            flags: CsaFlags {
                layer3grp: false,
                register: true,
                sequence: 0
            },
            cmi: 7,
            spa: v4("10.0.0.5"),
            source: nsap_a(),
            group: None,
        }
    );
    let m1 = MarsCsa::decode_record(&recs[1]).unwrap();
    assert_eq!(
        m1,
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::ClientJoin,
            flags: CsaFlags {
                layer3grp: true,
                register: false,
                sequence: 2
            },
            cmi: 7,
            spa: ProtoAddr::NULL,
            source: AtmAddress::new(atm("14085551212")),
            group: Some(GroupRange::single(v4("224.1.1.1"))),
        }
    );
    // The same packet built from its parts.
    let built = ScspPacket::new(
        CommonPart::new(3, 1, id(0x0a00_0001), id(0x0a00_0002)),
        ScspBody::CsuRequest(vec![
            m0.to_record(csas(3, false, 0x8000_0001, 0x101, 0x0a00_0001))
                .unwrap(),
            m1.to_record(csas(3, false, 0x8000_0001, 0x102, 0x0a00_0001))
                .unwrap(),
        ]),
    );
    assert_eq!(built.to_vec().unwrap(), b);
}

#[test]
fn csu_request_server_and_mcs() {
    let b = hex(CSU_REQUEST_SERVER_MCS);
    let p = decode_exact(&b);
    mars_common(&p, 0x0a00_0001, Some(0x0a00_0002), 0);
    let recs = csa_records(&p);
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[0].summary, csas(3, false, 0x10, 0, 0x0a00_0001));
    assert_eq!(
        recs[1].summary,
        csas(3, false, 0x8000_0003, 0x201, 0x0a00_0001)
    );
    assert_eq!(
        recs[2].summary,
        csas(3, false, 0x8000_0004, 0x202, 0x0a00_0001)
    );
    let m: Vec<MarsCsa> = recs
        .iter()
        .map(|r| MarsCsa::decode_record(r).unwrap())
        .collect();
    assert_eq!(
        m[0],
        MarsCsa::redirect_entry(Protocol::IPV4, AtmAddress::new(atm(NSAP_B)))
    );
    assert_eq!(
        m[1],
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::McsServe,
            flags: CsaFlags {
                layer3grp: false,
                register: false,
                sequence: 5
            },
            cmi: 16,
            spa: v4("10.0.0.20"),
            source: AtmAddress {
                number: atm(NSAP_C),
                sub: atm(NSAP_D)
            },
            group: Some(GroupRange {
                min: v4("224.2.0.0"),
                max: v4("224.2.255.255")
            }),
        }
    );
    assert_eq!(
        m[2],
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::McsUnserve,
            flags: CsaFlags {
                layer3grp: false,
                register: true,
                sequence: 0
            },
            cmi: 16,
            spa: v4("10.0.0.20"),
            source: AtmAddress::new(atm(NSAP_C)),
            group: None,
        }
    );
}

#[test]
fn csu_request_leave_and_null_record() {
    let b = hex(CSU_REQUEST_LEAVE_AND_NULL);
    let p = decode_exact(&b);
    mars_common(&p, 0x0a00_0003, Some(0x0a00_0001), 0);
    let recs = csa_records(&p);
    assert_eq!(recs[0].summary, csas(2, false, 42, 0x103, 0x0a00_0003));
    assert_eq!(
        MarsCsa::decode_record(&recs[0]).unwrap(),
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::ClientLeave,
            flags: CsaFlags {
                layer3grp: false,
                register: false,
                sequence: 3
            },
            cmi: 7,
            spa: v4("10.0.0.5"),
            source: AtmAddress {
                number: atm(NSAP_A),
                sub: atm(NSAP_D)
            },
            group: Some(GroupRange {
                min: v4("224.0.0.0"),
                max: v4("239.255.255.255")
            }),
        }
    );
    assert_eq!(
        recs[1],
        CsaRecord::new(csas(1, true, 7, 0x104, 0x0a00_0003), vec![])
    );
    assert!(recs[1].summary.null);
    assert_eq!(recs[1].wire_len(), 20);
}

// ---------------------------------------------------------------------------------------------
// CSU Reply (RFC 2334 B.2.3) and CSUS (B.2.4)
// ---------------------------------------------------------------------------------------------

/// B.2.3: the acknowledgement of CSU_REQUEST_JOINS: one stand-alone CSAS per CSA record.
const CSU_REPLY_ACK_TWO: &str = "
    01 03 0044 c871 0000   # B.1: Version 1, Type Code 3 (CSU Reply), Packet Size 68, Checksum, SoE 0
    0003 0001 0000 0000    # Protocol ID 3, Server Group ID 1, unused, Flags
    04 04 0002             # Sender ID Len 4, Recvr ID Len 4, Number of Records 2
    0a000002 0a000001      # Sender ID 10.0.0.2, Receiver ID 10.0.0.1
    0001 0014 04 04 0000   # CSAS 1: Hop Count 1, Record Length 20, lengths 4/4, N 0
    80000001               #   CSA Sequence Number -2^31+1
    00000101 0a000001      #   Cache Key 0x101, Originator ID 10.0.0.1
    0001 0014 04 04 0000   # CSAS 2: Hop Count 1, Record Length 20, lengths 4/4, N 0
    80000001               #   CSA Sequence Number -2^31+1
    00000102 0a000001      #   Cache Key 0x102, Originator ID 10.0.0.1
";

/// B.2.3 acknowledging the null record of CSU_REQUEST_LEAVE_AND_NULL: the N bit is echoed.
const CSU_REPLY_NULL: &str = "
    01 03 0030 5798 0000   # B.1: Version 1, Type Code 3, Packet Size 48, Checksum, SoE 0
    0003 0001 0000 0000    # Protocol ID 3, Server Group ID 1, unused, Flags
    04 04 0001             # Sender ID Len 4, Recvr ID Len 4, Number of Records 1
    0a000001 0a000003      # Sender ID 10.0.0.1, Receiver ID 10.0.0.3
    0001 0014 04 04 8000   # CSAS: Hop Count 1, Record Length 20, lengths 4/4, N set
    00000007               #   CSA Sequence Number 7
    00000104 0a000003      #   Cache Key 0x104, Originator ID 10.0.0.3
";

/// B.2.4: a CSUS soliciting two entries (a Redirect Entry and an MCS entry).
const CSUS_TWO: &str = "
    01 04 0044 4862 0000   # B.1: Version 1, Type Code 4 (CSUS), Packet Size 68, Checksum, SoE 0
    0003 0001 0000 0000    # Protocol ID 3, Server Group ID 1, unused, Flags
    04 04 0002             # Sender ID Len 4, Recvr ID Len 4, Number of Records 2
    0a000002 0a000001      # Sender ID 10.0.0.2, Receiver ID 10.0.0.1
    0001 0014 04 04 0000   # CSAS 1: Hop Count 1, Record Length 20, lengths 4/4, N 0
    00000010               #   CSA Sequence Number 16
    00000000 0a000001      #   Cache Key 0, Originator ID 10.0.0.1
    0001 0014 04 04 0000   # CSAS 2
    80000003               #   CSA Sequence Number -2^31+3
    00000201 0a000001      #   Cache Key 0x201, Originator ID 10.0.0.1
";

/// B.2.4 with a Vendor-Private extension (B.3.2) and End Of Extensions (B.3.0).
const CSUS_VENDOR_PRIVATE: &str = "
    01 04 0040 b87a 0030   # B.1: Version 1, Type Code 4, Packet Size 64, Checksum, Start Of Extensions 48
    0003 0001 0000 0000    # Protocol ID 3, Server Group ID 1, unused, Flags
    04 04 0001             # Sender ID Len 4, Recvr ID Len 4, Number of Records 1
    0a000002 0a000001      # Sender ID, Receiver ID
    0001 0014 04 04 0000   # CSAS: Hop Count 1, Record Length 20, lengths 4/4, N 0
    ffffffff               #   CSA Sequence Number -1
    00000105 0a000004      #   Cache Key 0x105, Originator ID 10.0.0.4
    0002 0008              # B.3.2: Type 2 (Vendor-Private), Length 8
    00a03e 646d617273      #   Vendor ID 00-A0-3E, Data \"dmars\"
    0000 0000              # B.3.0: End Of Extensions
";

#[test]
fn csu_reply_acknowledges_two() {
    let p = decode_exact(&hex(CSU_REPLY_ACK_TWO));
    assert_eq!(p.message_type(), MessageType::CsuReply);
    mars_common(&p, 0x0a00_0002, Some(0x0a00_0001), 0);
    assert_eq!(
        p.body,
        ScspBody::CsuReply(vec![
            csas(1, false, 0x8000_0001, 0x101, 0x0a00_0001),
            csas(1, false, 0x8000_0001, 0x102, 0x0a00_0001),
        ])
    );
}

#[test]
fn csu_reply_with_n_bit() {
    let p = decode_exact(&hex(CSU_REPLY_NULL));
    mars_common(&p, 0x0a00_0001, Some(0x0a00_0003), 0);
    assert_eq!(
        p.body,
        ScspBody::CsuReply(vec![csas(1, true, 7, 0x104, 0x0a00_0003)])
    );
}

#[test]
fn csus_solicits_two() {
    let p = decode_exact(&hex(CSUS_TWO));
    assert_eq!(p.message_type(), MessageType::Csus);
    mars_common(&p, 0x0a00_0002, Some(0x0a00_0001), 0);
    assert_eq!(
        p.body,
        ScspBody::Csus(vec![
            csas(1, false, 0x10, 0, 0x0a00_0001),
            csas(1, false, 0x8000_0003, 0x201, 0x0a00_0001),
        ])
    );
}

#[test]
fn csus_with_vendor_private_extension() {
    let p = decode_exact(&hex(CSUS_VENDOR_PRIVATE));
    mars_common(&p, 0x0a00_0002, Some(0x0a00_0001), 0);
    assert_eq!(
        p.body,
        ScspBody::Csus(vec![csas(1, false, 0xffff_ffff, 0x105, 0x0a00_0004)])
    );
    assert_eq!(
        p.extensions,
        Some(vec![Extension::VendorPrivate {
            vendor_id: 0x00a03e,
            data: b"dmars".to_vec()
        }])
    );
    assert_eq!(p.auth_spi(), None);
}

// ---------------------------------------------------------------------------------------------
// Hello (RFC 2334 B.2.5)
// ---------------------------------------------------------------------------------------------

/// B.2.5 "If the LS has not heard from any DCS": Recvr ID Len 0, no Receiver ID, Number of
/// Records 0.
const HELLO_HEARD_NOBODY: &str = "
    01 05 0020 f0cf 0000   # B.1: Version 1, Type Code 5 (Hello), Packet Size 32, Checksum, SoE 0
    0003 0003              # B.2.5: HelloInterval 3, DeadFactor 3
    0000 0000              # unused, Family ID 0
    0003 0001 0000 0000    # B.2.0.1: Protocol ID 3, Server Group ID 1, unused, Flags
    04 00 0000             # Sender ID Len 4, Recvr ID Len 0, Number of Records 0
    0a000001               # Sender ID 10.0.0.1 (no Receiver ID)
";

/// B.2.5 "If the LS has heard from exactly one DCS".
const HELLO_HEARD_ONE: &str = "
    01 05 0024 e6bd 0000   # B.1: Version 1, Type Code 5, Packet Size 36, Checksum, SoE 0
    000a 0004              # HelloInterval 10, DeadFactor 4
    0000 0000              # unused, Family ID 0
    0003 0001 0000 0000    # Protocol ID 3, Server Group ID 1, unused, Flags
    04 04 0000             # Sender ID Len 4, Recvr ID Len 4, Number of Records 0
    0a000001 0a000002      # Sender ID 10.0.0.1, Receiver ID 10.0.0.2
";

/// B.2.5 "heard from two or more DCSs": the first in the common part, three Additional
/// Receiver ID Records (one of a different length), no padding. Odd Packet Size.
const HELLO_HEARD_FOUR: &str = "
    01 05 0031 cc94 0000   # B.1: Version 1, Type Code 5, Packet Size 49, Checksum, SoE 0
    0003 0003              # HelloInterval 3, DeadFactor 3
    0000 0007              # unused, Family ID 7
    0003 0001 0000 0000    # Protocol ID 3, Server Group ID 1, unused, Flags
    04 04 0003             # Sender ID Len 4, Recvr ID Len 4, Number of Records 3 (additional only)
    0a000001 0a000002      # Sender ID 10.0.0.1, Receiver ID 10.0.0.2 (first DCS heard)
    04 0a000003            # Additional Receiver ID Record: Rec ID Len 4, 10.0.0.3
    02 0a04                # Additional Receiver ID Record: Rec ID Len 2, 0a04
    04 0a000005            # Additional Receiver ID Record: Rec ID Len 4, 10.0.0.5
";

/// B.3: a Hello with an extension of unknown type and two Vendor-Private extensions with
/// different Vendor IDs (allowed by B.3.2), in an order that must be kept.
const HELLO_EXTENSIONS: &str = "
    01 05 0040 1b13 0024   # B.1: Version 1, Type Code 5, Packet Size 64, Checksum, Start Of Extensions 36
    0003 0003 0000 0000    # HelloInterval 3, DeadFactor 3, unused, Family ID 0
    0003 0001 0000 0000    # Protocol ID 3, Server Group ID 1, unused, Flags
    04 04 0000             # Sender ID Len 4, Recvr ID Len 4, Number of Records 0
    0a000001 0a000002      # Sender ID, Receiver ID
    8001 0003 abcdef       # B.3: Type 0x8001 (unknown, kept), Length 3, Value
    0002 0004 00a03e 01    # B.3.2: Vendor-Private, Length 4, Vendor ID 00-A0-3E, Data 01
    0002 0005 00005e 0203  # B.3.2: Vendor-Private, Length 5, Vendor ID 00-00-5E, Data 02 03
    0000 0000              # B.3.0: End Of Extensions
";

#[test]
fn hello_heard_nobody() {
    let b = hex(HELLO_HEARD_NOBODY);
    let p = decode_exact(&b);
    assert_eq!(p.message_type(), MessageType::Hello);
    mars_common(&p, 0x0a00_0001, None, 0);
    assert!(p.common.receiver_id.is_empty());
    let h = hello(&p);
    assert_eq!(
        (h.hello_interval, h.dead_factor, h.unused, h.family_id),
        (3, 3, 0, 0)
    );
    assert!(h.additional_receivers.is_empty());
    assert_eq!(p.hello_receivers().count(), 0);
    let built = ScspPacket::hello(
        CommonPart::new(3, 1, id(0x0a00_0001), id(0x99)),
        3,
        3,
        0,
        &[],
    );
    assert_eq!(built.to_vec().unwrap(), b);
}

#[test]
fn hello_heard_one() {
    let b = hex(HELLO_HEARD_ONE);
    let p = decode_exact(&b);
    mars_common(&p, 0x0a00_0001, Some(0x0a00_0002), 0);
    let h = hello(&p);
    assert_eq!((h.hello_interval, h.dead_factor, h.family_id), (10, 4, 0));
    assert_eq!(
        p.hello_receivers().cloned().collect::<Vec<_>>(),
        vec![id(0x0a00_0002)]
    );
    let built = ScspPacket::hello(
        CommonPart::new(3, 1, id(0x0a00_0001), ScspId::default()),
        10,
        4,
        0,
        &[id(0x0a00_0002)],
    );
    assert_eq!(built.to_vec().unwrap(), b);
}

#[test]
fn hello_heard_four() {
    let b = hex(HELLO_HEARD_FOUR);
    let p = decode_exact(&b);
    mars_common(&p, 0x0a00_0001, Some(0x0a00_0002), 0);
    let h = hello(&p);
    assert_eq!(h.family_id, 7);
    assert_eq!(
        h.additional_receivers,
        vec![
            id(0x0a00_0003),
            ScspId::new(vec![0x0a, 0x04]),
            id(0x0a00_0005)
        ]
    );
    let heard: Vec<ScspId> = p.hello_receivers().cloned().collect();
    assert_eq!(heard.len(), 4);
    let built = ScspPacket::hello(
        CommonPart::new(3, 1, id(0x0a00_0001), ScspId::default()),
        3,
        3,
        7,
        &heard,
    );
    assert_eq!(built.to_vec().unwrap(), b);
}

#[test]
fn hello_keeps_extension_order() {
    let p = decode_exact(&hex(HELLO_EXTENSIONS));
    assert_eq!(
        p.extensions,
        Some(vec![
            Extension::Unknown {
                ty: 0x8001,
                value: vec![0xab, 0xcd, 0xef]
            },
            Extension::VendorPrivate {
                vendor_id: 0x00a03e,
                data: vec![0x01]
            },
            Extension::VendorPrivate {
                vendor_id: 0x00005e,
                data: vec![0x02, 0x03]
            },
        ])
    );
    assert_eq!(p.extension_list().len(), 3);
}

/// A packet whose extensions part is End Of Extensions alone is accepted and kept.
#[test]
fn end_only_extensions_part() {
    const HELLO_END_ONLY: &str = "
        01 05 0028 e695 0024   # B.1: Version 1, Type Code 5, Packet Size 40, Checksum, Start Of Extensions 36
        000a 0004 0000 0000    # HelloInterval 10, DeadFactor 4, unused, Family ID 0
        0003 0001 0000 0000    # Protocol ID 3, Server Group ID 1, unused, Flags
        04 04 0000             # Sender ID Len 4, Recvr ID Len 4, Number of Records 0
        0a000001 0a000002      # Sender ID, Receiver ID
        0000 0000              # B.3.0: End Of Extensions
    ";
    let p = decode_exact(&hex(HELLO_END_ONLY));
    assert_eq!(p.extensions, Some(vec![]));
    assert!(p.extension_list().is_empty());
}
