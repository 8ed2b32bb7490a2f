//! Golden vectors for the CSA Record "MARS Specific Part" (RFC 2443 §3), two or more per
//! State (§5.1–§5.5), written by hand from the figures. The §3 figure splits the 40-bit SNAP
//! over two rows: octets 4–7 on the second row, octet 8 first on the third; the vectors keep
//! that layout. Order after the fixed 20 octets: Source Protocol Address, Source ATM Address,
//! Source ATM SubAddress, Minimum, Maximum; no padding.

mod util;

use mars_wire::dmars::*;
use mars_wire::{AtmAddr, AtmAddress, ProtoAddr, Protocol};
use util::hex;

fn atm(s: &str) -> AtmAddr {
    s.parse().expect("valid ATM address")
}

fn pa(s: &str) -> ProtoAddr {
    s.parse().expect("valid protocol address")
}

const NSAP_A: &str = "47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00";
const NSAP_B: &str = "47.0005.80FFE1000000F21A3A3D.002048000001.00";
const NSAP_C: &str = "39.840F.80112233000000000001.00A03E000002.00";
const NSAP_D: &str = "47.0005.80FFE1000000F21A3A3D.0020481A3A3D.01";

fn flags(layer3grp: bool, register: bool, sequence: u8) -> CsaFlags {
    CsaFlags {
        layer3grp,
        register,
        sequence,
    }
}

/// Decode, compare with `want`, and check exact re-encoding and the size helper.
fn check(vector: &str, want: MarsCsa) {
    let b = hex(vector);
    let got = MarsCsa::decode(&b).unwrap_or_else(|e| panic!("decode failed: {e}"));
    assert_eq!(got, want);
    assert_eq!(got.to_vec().unwrap(), b, "re-encoding differs");
    assert_eq!(want.to_vec().unwrap(), b, "encoding from fields differs");
    assert_eq!(got.wire_len(), b.len());
}

// ----- State 1: MARS Server Redirect Entry (§5.1) ------------------------------------------

/// §5.1: IPv4, NSAPA server address, no subaddress; Flags, CMI, lengths all zero.
const REDIRECT_NSAP: &str = "
    000f 0800              # Hardware Type 15 (ATM Forum AFN), Protocol Type 0x0800
    00000000               # SNAP octets 1-4
    00 00 00 01            # SNAP octet 5, Unused, Version 0, State 1
    0000 0000              # Flags 0, Cluster Member ID 0
    00 00 14 00            # Src Addr Len 0, Group Addr Len 0, ATM Addr T/L NSAPA/20, ATM SubAddr T/L 0
    47 0005 80ffe1000000f21a3a3d 002048000001 00   # Source ATM Address: NSAPA B
";

/// §5.1 with the SNAP long form (Protocol Type 0x80), a non-zero Unused octet (kept), an
/// E.164 number and an NSAPA subaddress.
const REDIRECT_SNAP_E164_SUB: &str = "
    000f 0080              # Hardware Type 15, Protocol Type 0x0080 (SNAP follows)
    aabbccdd               # SNAP octets 1-4
    ee 5a 00 01            # SNAP octet 5, Unused 0x5a, Version 0, State 1
    0000 0000              # Flags 0, Cluster Member ID 0
    00 00 4a 14            # Src Addr Len 0, Group Addr Len 0, ATM Addr T/L E.164/10, SubAddr T/L NSAPA/20
    34393330313233343536   # Source ATM Address: E.164 4930123456 (IA5)
    47 0005 80ffe1000000f21a3a3d 0020481a3a3d 01   # Source ATM SubAddress: NSAPA D
";

#[test]
fn state1_redirect_nsap() {
    check(
        REDIRECT_NSAP,
        MarsCsa::redirect_entry(Protocol::IPV4, AtmAddress::new(atm(NSAP_B))),
    );
}

#[test]
fn state1_redirect_snap_e164_subaddress() {
    let mut want = MarsCsa::redirect_entry(
        Protocol {
            ty: 0x0080,
            snap: [0xaa, 0xbb, 0xcc, 0xdd, 0xee],
        },
        AtmAddress {
            number: atm("4930123456"),
            sub: atm(NSAP_D),
        },
    );
    want.unused = 0x5a;
    check(REDIRECT_SNAP_E164_SUB, want);
}

// ----- State 2: MCS Serve/Register (§5.2) --------------------------------------------------

/// §5.2 registration of an MCS: register set, Group Addr Len 0.
const MCS_REGISTER: &str = "
    000f 0800 00000000     # Hardware Type 15, Protocol Type IPv4, SNAP 1-4
    00 00 00 02            # SNAP 5, Unused, Version 0, State 2
    2001 0010              # Flags: register, sequence 1; Cluster Member ID 16
    04 00 14 00            # Src Addr Len 4, Group Addr Len 0, ATM Addr T/L NSAPA, SubAddr null
    0a000014               # Source Protocol Address 10.0.0.20
    39 840f 80112233000000000001 00a03e000002 00   # Source ATM Address: NSAPA C
";

/// §5.2 an MCS serving 224.2.0.0–224.2.255.255, with a subaddress.
const MCS_SERVE_RANGE: &str = "
    000f 0800 00000000     # Hardware Type, Protocol Type, SNAP 1-4
    00 00 00 02            # SNAP 5, Unused, Version 0, State 2
    0005 0010              # Flags: sequence 5; Cluster Member ID 16
    04 04 14 14            # Src Addr Len 4, Group Addr Len 4, NSAPA, SubAddr NSAPA
    0a000014               # Source Protocol Address 10.0.0.20
    39 840f 80112233000000000001 00a03e000002 00   # Source ATM Address: NSAPA C
    47 0005 80ffe1000000f21a3a3d 0020481a3a3d 01   # Source ATM SubAddress: NSAPA D
    e0020000               # Minimum Multicast Group Address 224.2.0.0
    e002ffff               # Maximum Multicast Group Address 224.2.255.255
";

#[test]
fn state2_mcs_register() {
    check(
        MCS_REGISTER,
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::McsServe,
            flags: flags(false, true, 1),
            cmi: 16,
            spa: pa("10.0.0.20"),
            source: AtmAddress::new(atm(NSAP_C)),
            group: None,
        },
    );
}

#[test]
fn state2_mcs_serve_range() {
    check(
        MCS_SERVE_RANGE,
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::McsServe,
            flags: flags(false, false, 5),
            cmi: 16,
            spa: pa("10.0.0.20"),
            source: AtmAddress {
                number: atm(NSAP_C),
                sub: atm(NSAP_D),
            },
            group: Some(GroupRange {
                min: pa("224.2.0.0"),
                max: pa("224.2.255.255"),
            }),
        },
    );
}

// ----- State 3: MARS Client Join/Register (§5.3) -------------------------------------------

/// §5.3 registration of a client: register set, Group Addr Len 0, NSAPA source.
const CLIENT_REGISTER: &str = "
    000f 0800 00000000     # Hardware Type, Protocol Type IPv4, SNAP 1-4
    00 00 00 03            # SNAP 5, Unused, Version 0, State 3
    2000 0007              # Flags: register; Cluster Member ID 7
    04 00 14 00            # Src Addr Len 4, Group Addr Len 0, NSAPA, SubAddr null
    0a000005               # Source Protocol Address 10.0.0.5
    47 0005 80ffe1000000f21a3a3d 0020481a3a3d 00   # Source ATM Address: NSAPA A
";

/// §5.3 join of one group with layer3grp (Minimum = Maximum, IPv4), E.164 source, null
/// source protocol address. Odd length (39 octets).
const CLIENT_JOIN_LAYER3GRP: &str = "
    000f 0800 00000000     # Hardware Type, Protocol Type IPv4, SNAP 1-4
    00 00 00 03            # SNAP 5, Unused, Version 0, State 3
    8002 0007              # Flags: layer3grp, sequence 2; Cluster Member ID 7
    00 04 4b 00            # Src Addr Len 0, Group Addr Len 4, ATM Addr T/L E.164/11, SubAddr null
    3134303835353531323132 # Source ATM Address: E.164 14085551212
    e0010101 e0010101      # Minimum 224.1.1.1, Maximum 224.1.1.1
";

/// §5.3 for IPv6 (Protocol Type 0x86dd): 16-octet source and group addresses.
const CLIENT_JOIN_IPV6: &str = "
    000f 86dd 00000000     # Hardware Type, Protocol Type IPv6, SNAP 1-4
    00 00 00 03            # SNAP 5, Unused, Version 0, State 3
    0000 0021              # Flags 0; Cluster Member ID 33
    10 10 14 00            # Src Addr Len 16, Group Addr Len 16, NSAPA, SubAddr null
    20010db8000000000000000000000005   # Source Protocol Address 2001:db8::5
    47 0005 80ffe1000000f21a3a3d 0020481a3a3d 00   # Source ATM Address: NSAPA A
    ff0e0000000000000000000000010000   # Minimum ff0e::1:0
    ff0e000000000000000000000001ffff   # Maximum ff0e::1:ffff
";

#[test]
fn state3_client_register() {
    check(
        CLIENT_REGISTER,
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::ClientJoin,
            flags: flags(false, true, 0),
            cmi: 7,
            spa: pa("10.0.0.5"),
            source: AtmAddress::new(atm(NSAP_A)),
            group: None,
        },
    );
}

#[test]
fn state3_client_join_layer3grp_e164() {
    check(
        CLIENT_JOIN_LAYER3GRP,
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::ClientJoin,
            flags: flags(true, false, 2),
            cmi: 7,
            spa: ProtoAddr::NULL,
            source: AtmAddress::new(atm("14085551212")),
            group: Some(GroupRange::single(pa("224.1.1.1"))),
        },
    );
}

#[test]
fn state3_client_join_ipv6() {
    check(
        CLIENT_JOIN_IPV6,
        MarsCsa {
            pro: Protocol::IPV6,
            unused: 0,
            state: CsaState::ClientJoin,
            flags: flags(false, false, 0),
            cmi: 33,
            spa: pa("2001:db8::5"),
            source: AtmAddress::new(atm(NSAP_A)),
            group: Some(GroupRange {
                min: pa("ff0e::1:0"),
                max: pa("ff0e::1:ffff"),
            }),
        },
    );
}

// ----- State 4: MARS Client Leave/Deregister (§5.4) ----------------------------------------

/// §5.4 leave of 224.0.0.0–239.255.255.255, with a subaddress.
const CLIENT_LEAVE_RANGE: &str = "
    000f 0800 00000000     # Hardware Type, Protocol Type IPv4, SNAP 1-4
    00 00 00 04            # SNAP 5, Unused, Version 0, State 4
    0003 0007              # Flags: sequence 3; Cluster Member ID 7
    04 04 14 14            # Src Addr Len 4, Group Addr Len 4, NSAPA, SubAddr NSAPA
    0a000005               # Source Protocol Address 10.0.0.5
    47 0005 80ffe1000000f21a3a3d 0020481a3a3d 00   # Source ATM Address: NSAPA A
    47 0005 80ffe1000000f21a3a3d 0020481a3a3d 01   # Source ATM SubAddress: NSAPA D
    e0000000 efffffff      # Minimum 224.0.0.0, Maximum 239.255.255.255
";

/// §5.4 proxy deregistration (§2: a client unexpectedly removed from the CCVC): register set,
/// null source protocol address, E.164 source.
const CLIENT_PROXY_DEREGISTER: &str = "
    000f 0800 00000000     # Hardware Type, Protocol Type IPv4, SNAP 1-4
    00 00 00 04            # SNAP 5, Unused, Version 0, State 4
    2000 0009              # Flags: register; Cluster Member ID 9
    00 00 4a 00            # Src Addr Len 0, Group Addr Len 0, ATM Addr T/L E.164/10, SubAddr null
    34393330313233343536   # Source ATM Address: E.164 4930123456
";

#[test]
fn state4_client_leave_range() {
    check(
        CLIENT_LEAVE_RANGE,
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::ClientLeave,
            flags: flags(false, false, 3),
            cmi: 7,
            spa: pa("10.0.0.5"),
            source: AtmAddress {
                number: atm(NSAP_A),
                sub: atm(NSAP_D),
            },
            group: Some(GroupRange {
                min: pa("224.0.0.0"),
                max: pa("239.255.255.255"),
            }),
        },
    );
}

#[test]
fn state4_client_proxy_deregister() {
    check(
        CLIENT_PROXY_DEREGISTER,
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::ClientLeave,
            flags: flags(false, true, 0),
            cmi: 9,
            spa: ProtoAddr::NULL,
            source: AtmAddress::new(atm("4930123456")),
            group: None,
        },
    );
}

// ----- State 5: MCS Unserve/Deregister (§5.5) ----------------------------------------------

/// §5.5 deregistration of an MCS: register set, Group Addr Len 0.
const MCS_DEREGISTER: &str = "
    000f 0800 00000000     # Hardware Type, Protocol Type IPv4, SNAP 1-4
    00 00 00 05            # SNAP 5, Unused, Version 0, State 5
    2000 0010              # Flags: register; Cluster Member ID 16
    04 00 14 00            # Src Addr Len 4, Group Addr Len 0, NSAPA, SubAddr null
    0a000014               # Source Protocol Address 10.0.0.20
    39 840f 80112233000000000001 00a03e000002 00   # Source ATM Address: NSAPA C
";

/// §5.5 an MCS no longer serving 224.2.0.0–224.2.255.255.
const MCS_UNSERVE_RANGE: &str = "
    000f 0800 00000000     # Hardware Type, Protocol Type IPv4, SNAP 1-4
    00 00 00 05            # SNAP 5, Unused, Version 0, State 5
    0000 0010              # Flags 0; Cluster Member ID 16
    04 04 14 00            # Src Addr Len 4, Group Addr Len 4, NSAPA, SubAddr null
    0a000014               # Source Protocol Address 10.0.0.20
    39 840f 80112233000000000001 00a03e000002 00   # Source ATM Address: NSAPA C
    e0020000 e002ffff      # Minimum 224.2.0.0, Maximum 224.2.255.255
";

#[test]
fn state5_mcs_deregister() {
    check(
        MCS_DEREGISTER,
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::McsUnserve,
            flags: flags(false, true, 0),
            cmi: 16,
            spa: pa("10.0.0.20"),
            source: AtmAddress::new(atm(NSAP_C)),
            group: None,
        },
    );
}

#[test]
fn state5_mcs_unserve_range() {
    check(
        MCS_UNSERVE_RANGE,
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::McsUnserve,
            flags: flags(false, false, 0),
            cmi: 16,
            spa: pa("10.0.0.20"),
            source: AtmAddress::new(atm(NSAP_C)),
            group: Some(GroupRange {
                min: pa("224.2.0.0"),
                max: pa("224.2.255.255"),
            }),
        },
    );
}

#[test]
fn constants_of_rfc2443_section4() {
    assert_eq!(PROTOCOL_ID, 3);
    assert_eq!(PROTOCOL_ID, mars_wire::scsp::PROTOCOL_MARS);
    assert_eq!((SERVER_ID_LEN, CACHE_KEY_LEN, ORIGINATOR_ID_LEN), (4, 4, 4));
    assert_eq!(HARDWARE_TYPE_ATM, 15);
    assert_eq!(FLAG_RESERVED, 0x5F00);
    for code in 1..=5u8 {
        assert_eq!(CsaState::from_code(code).map(CsaState::code), Some(code));
    }
    assert_eq!(CsaState::from_code(0), None);
    assert_eq!(CsaState::from_code(6), None);
}
