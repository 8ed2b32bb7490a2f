//! The inter-MCS HELLO (RFC 2149 §5.3): golden vectors written by hand from the figure, every
//! malformed form the decoder must reject (with field and offset), and a round trip.

mod util;

use std::net::Ipv4Addr;
use util::hex as h;

use mars_wire::atm::AtmAddr;
use mars_wire::mcs_hello::{HelloState, McsHello};
use mars_wire::DecodeErrorKind;
use proptest::prelude::*;

const A: &str = "47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00";
const B: &str = "47.0005.80FFE1000000F21A3A3D.0020481A3A3E.00";

/// §5.4: the active MCS's HELLO — Recvr Len 0, State Elected, no Receiver ATM address.
const ACTIVE: &str = "
    14          # 0  Sender Len 20
    00          # 1  Recvr Len 0
    15          # 2  State 1 (Elected) | Type 5
    00          # 3  unused
    000a        # 4  HelloInterval 10
    0003        # 6  DeadFactor 3
    e0010203    # 8  IP Multicast address 224.1.2.3
    47000580ffe1000000f21a3a3d0020481a3a3d00   # 12 Sender ATM address
";

/// §5.5.1: an inactive MCS's answer to the candidate — both addresses set, State No-Op.
const ANSWER: &str = "
    14 14 05 00 # Sender Len 20, Recvr Len 20, State 0 (No-Op) | Type 5
    0003 0004   # HelloInterval 3, DeadFactor 4
    e0000105    # 224.0.1.5
    47000580ffe1000000f21a3a3d0020481a3a3e00   # 12 Sender (B)
    47000580ffe1000000f21a3a3d0020481a3a3d00   # 32 Receiver (A)
";

/// The same answer with E.164 numbers (plan by length: ≤ 15 octets of IA5 digits).
const ANSWER_E164: &str = "
    0b 04 05 00 0001 0002 e0000001
    3134303835353531323132   # 14085551212
    31323334                 # 1234
";

fn atm(s: &str) -> AtmAddr {
    s.parse().unwrap()
}

fn active() -> McsHello {
    McsHello {
        state: HelloState::Elected,
        hello_interval: 10,
        dead_factor: 3,
        group: Ipv4Addr::new(224, 1, 2, 3),
        sender: atm(A),
        receiver: AtmAddr::NULL,
    }
}

#[test]
fn golden_active_hello() {
    let v = h(ACTIVE);
    assert_eq!(McsHello::decode(&v), Ok(active()));
    let mut out = Vec::new();
    active().encode(&mut out).unwrap();
    assert_eq!(out, v);
    assert_eq!(active().wire_len(), 32);
}

#[test]
fn golden_answer_hello() {
    let v = h(ANSWER);
    let m = McsHello {
        state: HelloState::NoOp,
        hello_interval: 3,
        dead_factor: 4,
        group: Ipv4Addr::new(224, 0, 1, 5),
        sender: atm(B),
        receiver: atm(A),
    };
    assert_eq!(McsHello::decode(&v), Ok(m));
    let mut out = Vec::new();
    m.encode(&mut out).unwrap();
    assert_eq!(out, v);
}

#[test]
fn golden_e164_answer() {
    let v = h(ANSWER_E164);
    let m = McsHello::decode(&v).unwrap();
    assert_eq!(m.sender, atm("14085551212"));
    assert_eq!(m.receiver, atm("1234"));
    assert_eq!((m.hello_interval, m.dead_factor), (1, 2));
    let mut out = Vec::new();
    m.encode(&mut out).unwrap();
    assert_eq!(out, v);
}

#[test]
fn golden_sdu_framing() {
    let sdu = active().encode_sdu().unwrap();
    // LLC AA-AA-03, locally administered OUI 02-44-4D, PID 0x2149.
    assert_eq!(sdu[..8], h("aaaa03 02444d 2149")[..]);
    assert_eq!(sdu[8..], h(ACTIVE)[..]);
    assert_eq!(McsHello::decode_sdu(&sdu), Ok(active()));
    // Other framings (a MARS control PID) are not a HELLO.
    let mut other = sdu.clone();
    other[3..8].copy_from_slice(&h("00005e0003"));
    let e = McsHello::decode_sdu(&other).unwrap_err();
    assert_eq!((e.field, e.offset), ("LLC/SNAP header", 0));
    // Errors inside are reported from the start of the SDU.
    let e = McsHello::decode_sdu(&sdu[..18]).unwrap_err();
    assert_eq!((e.field, e.offset), ("IP Multicast address", 16));
}

#[test]
fn every_truncation_is_rejected_with_its_field() {
    for v in [h(ACTIVE), h(ANSWER), h(ANSWER_E164)] {
        for n in 0..v.len() {
            let e = McsHello::decode(&v[..n]).unwrap_err();
            assert!(
                matches!(e.kind, DecodeErrorKind::Truncated { .. }),
                "prefix {n}: {e}"
            );
            let want = match n {
                0 => "Sender Len",
                1 => "Recvr Len",
                2 => "State/Type",
                3 => "unused",
                4 | 5 => "HelloInterval",
                6 | 7 => "DeadFactor",
                8..=11 => "IP Multicast address",
                n if n < 12 + usize::from(v[0]) => "Sender ATM address",
                _ => "Receiver ATM address",
            };
            assert_eq!(e.field, want, "prefix {n}");
            let off = match want {
                "HelloInterval" => 4,
                "DeadFactor" => 6,
                "IP Multicast address" => 8,
                "Sender ATM address" => 12,
                "Receiver ATM address" => 12 + usize::from(v[0]),
                _ => n,
            };
            assert_eq!(e.offset, off, "prefix {n}");
        }
    }
}

#[test]
fn malformed_fields() {
    let base = h(ANSWER);
    let bad = |i: usize, b: u8| {
        let mut v = base.clone();
        v[i] = b;
        McsHello::decode(&v).unwrap_err()
    };
    // Type must be 5 (§5.3 "The Hello message type code is 5").
    let e = bad(2, 0x04);
    assert_eq!(e.kind, DecodeErrorKind::UnknownType { value: 4 });
    assert_eq!((e.field, e.offset), ("Type", 2));
    // State: only No-Op 0 and Elected 1.
    let e = bad(2, 0x25);
    assert_eq!(e.kind, DecodeErrorKind::BadValue { value: 2 });
    assert_eq!((e.field, e.offset), ("State", 2));
    // unused must be zero.
    let e = bad(3, 0x80);
    assert_eq!(e.kind, DecodeErrorKind::ReservedNonZero { value: 0x80 });
    assert_eq!((e.field, e.offset), ("unused", 3));
    // Sender Len: never 0; 16..19 and > 20 are neither plan.
    for (len, kind) in [
        (0, DecodeErrorKind::BadLength { value: 0 }),
        (16, DecodeErrorKind::BadLength { value: 16 }),
        (21, DecodeErrorKind::BadLength { value: 21 }),
    ] {
        let e = bad(0, len);
        assert_eq!(e.kind, kind, "Sender Len {len}");
        assert_eq!((e.field, e.offset), ("Sender Len", 0));
    }
    let e = bad(1, 19);
    assert_eq!(e.kind, DecodeErrorKind::BadLength { value: 19 });
    assert_eq!((e.field, e.offset), ("Recvr Len", 1));
    // A length that takes the receiver's octets leaves too few for it.
    let e = bad(1, 15);
    assert_eq!(e.kind, DecodeErrorKind::BadValue { value: 0x47 });
    assert_eq!(e.offset, 32);
    // Trailing octets.
    let mut v = base.clone();
    v.push(0);
    let e = McsHello::decode(&v).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::TrailingBytes { extra: 1 });
    assert_eq!(e.offset, 52);
    // A Recvr Len of 0 with the receiver's octets still present is trailing data.
    let e = bad(1, 0);
    assert_eq!(e.kind, DecodeErrorKind::TrailingBytes { extra: 20 });
    // E.164 digits are IA5 digits.
    let mut v = h(ANSWER_E164);
    v[13] = b'x';
    let e = McsHello::decode(&v).unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::BadValue {
            value: u64::from(b'x')
        }
    );
    assert_eq!(e.offset, 13);
}

#[test]
fn null_sender_does_not_encode() {
    let mut m = active();
    m.sender = AtmAddr::NULL;
    assert!(m.encode_sdu().is_err());
}

fn any_addr() -> impl Strategy<Value = AtmAddr> {
    prop_oneof![
        any::<[u8; 20]>().prop_map(AtmAddr::nsap),
        "[0-9]{1,15}".prop_map(|d| d.parse().unwrap()),
    ]
}

proptest! {
    #[test]
    fn round_trip(
        elected: bool,
        hi: u16,
        df: u16,
        g: [u8; 4],
        s in any_addr(),
        r in prop_oneof![Just(AtmAddr::NULL), any_addr()],
    ) {
        let m = McsHello {
            state: if elected { HelloState::Elected } else { HelloState::NoOp },
            hello_interval: hi,
            dead_factor: df,
            group: Ipv4Addr::from(g),
            sender: s,
            receiver: r,
        };
        let sdu = m.encode_sdu().unwrap();
        prop_assert_eq!(McsHello::decode_sdu(&sdu), Ok(m));
    }

    #[test]
    fn any_input_decodes_or_fails_and_reencodes(v in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(m) = McsHello::decode(&v) {
            let mut out = Vec::new();
            m.encode(&mut out).unwrap();
            prop_assert_eq!(out, v);
        }
    }
}
