//! Round-trip and robustness properties of the ATM emulation datagrams (`mars_wire::emu`).

use mars_wire::emu::{data_header, peek_type, CallRef, CallSetup, Datagram, MAGIC, VERSION};
use mars_wire::{AtmAddr, AtmAddress};
use proptest::prelude::*;

fn arb_addr() -> impl Strategy<Value = AtmAddress> {
    let number = prop_oneof![
        any::<[u8; 20]>().prop_map(AtmAddr::nsap),
        "[0-9]{1,15}".prop_map(|d| AtmAddr::e164(&d).unwrap()),
    ];
    let sub = prop_oneof![
        Just(AtmAddr::NULL),
        any::<[u8; 20]>().prop_map(AtmAddr::nsap)
    ];
    (number, sub).prop_map(|(number, sub)| AtmAddress { number, sub })
}

fn arb_cref() -> impl Strategy<Value = CallRef> {
    (1..=CallRef::MAX_VALUE, any::<bool>()).prop_map(|(value, to_originator)| CallRef {
        value,
        to_originator,
    })
}

/// The fields any datagram kind may need; `kind` picks which one to build.
#[derive(Debug, Clone)]
struct Parts {
    kind: u8,
    cref: CallRef,
    cause: u8,
    instance: u32,
    seq: u64,
    sdu: Vec<u8>,
    calling: AtmAddress,
    called: AtmAddress,
}

fn arb_parts() -> impl Strategy<Value = Parts> {
    (
        0u8..14,
        arb_cref(),
        any::<u8>(),
        any::<u32>(),
        1..=u64::MAX,
        proptest::collection::vec(any::<u8>(), 0..64),
        arb_addr(),
        arb_addr(),
    )
        .prop_map(
            |(kind, cref, cause, instance, seq, sdu, calling, called)| Parts {
                kind,
                cref,
                cause,
                instance,
                seq,
                sdu,
                calling,
                called,
            },
        )
}

fn build(p: &Parts) -> Datagram<'_> {
    let c = p.cref;
    let s = CallSetup {
        cref: c,
        calling: p.calling,
        called: p.called,
    };
    match p.kind {
        0 => Datagram::Setup(s),
        1 => Datagram::Connect(c),
        2 => Datagram::ConnectAck(c),
        3 => Datagram::Release(c, p.cause),
        4 => Datagram::ReleaseComplete(c, p.cause),
        5 => Datagram::AddParty(s),
        6 => Datagram::AddPartyAck(c),
        7 => Datagram::AddPartyReject(c, p.cause),
        8 => Datagram::DropParty(c, p.cause),
        9 => Datagram::DropPartyAck(c),
        12 => Datagram::CallProceeding(c),
        13 => Datagram::PartyAlerting(c),
        10 => Datagram::Keepalive {
            instance: p.instance,
        },
        _ => Datagram::Data {
            cref: c,
            seq: p.seq,
            sdu: &p.sdu,
        },
    }
}

proptest! {
    /// Every datagram we build decodes to itself, and its length is what `encoded_len` says.
    #[test]
    fn built_datagrams_round_trip(p in arb_parts()) {
        let d = build(&p);
        let v = d.to_vec();
        prop_assert_eq!(v.len(), d.encoded_len());
        prop_assert_eq!(peek_type(&v), Some(d.type_code()));
        prop_assert_eq!(Datagram::decode(&v).unwrap(), d);
    }

    /// Arbitrary bytes never panic the decoder; whatever decodes re-encodes to the same bytes.
    #[test]
    fn arbitrary_bytes_never_panic(mut v in proptest::collection::vec(any::<u8>(), 0..80), ty in any::<u8>()) {
        // Give half the cases a valid common header so the decoder gets past it.
        if v.len() >= 4 && ty & 1 == 0 {
            v[..2].copy_from_slice(&MAGIC);
            v[2] = VERSION;
        }
        if let Ok(d) = Datagram::decode(&v) {
            prop_assert_eq!(d.to_vec(), v);
        }
    }

    /// Every strict prefix of a valid non-DATA datagram is rejected as truncated, not accepted.
    #[test]
    fn prefixes_are_rejected(p in arb_parts()) {
        prop_assume!(p.kind != 11);
        let v = build(&p).to_vec();
        for n in 0..v.len() {
            prop_assert!(Datagram::decode(&v[..n]).is_err());
        }
    }
}

#[test]
fn data_header_is_the_prefix_of_data() {
    let c = CallRef::from_originator(0x1234);
    let d = Datagram::Data {
        cref: c,
        seq: 0x0102_0304_0506_0708,
        sdu: &[0xAA, 0xAA, 0x03],
    };
    let mut v = data_header(c, 0x0102_0304_0506_0708).to_vec();
    v.extend_from_slice(&[0xAA, 0xAA, 0x03]);
    assert_eq!(v, d.to_vec());
}

#[test]
fn zero_sequence_and_null_numbers_are_rejected() {
    let mut v = data_header(CallRef::from_originator(1), 1).to_vec();
    v[15] = 0;
    let e = Datagram::decode(&v).unwrap_err();
    assert_eq!((e.field, e.offset), ("sequence number", 8));

    // SETUP with a null calling number.
    let v = [0x41, 0x45, 1, 0x05, 0, 0, 0, 1, 0x00, 0, 0x41, 0, b'1'];
    let e = Datagram::decode(&v).unwrap_err();
    assert_eq!((e.field, e.offset), ("calling number type & length", 8));
}
