//! Hostile and malformed datagrams, sent by a raw `std::net::UdpSocket`, are counted and
//! dropped; the endpoint keeps serving its real peers and creates no state beyond its bounds.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use bytes::Bytes;
use mars_proto::{Cause, VcEvent, VcId, VcRequest};
use mars_wire::emu::{data_header, CallRef, CallSetup, Datagram};
use mars_wire::AtmAddress;
use marsd::atm_udp::{embed_ipv4, Counters, EndpointConfig, EndpointSpec, RawEndpoint};

const WAIT: Duration = Duration::from_secs(5);

/// Which counter a case must move.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Malformed,
    Unknown,
    Protocol,
    WrongCalled,
    Stranger,
}

fn counter(c: &Counters, e: Expect) -> u64 {
    match e {
        Expect::Malformed => c.drop_malformed,
        Expect::Unknown => c.drop_unknown_call,
        Expect::Protocol => c.drop_protocol_error,
        Expect::WrongCalled => c.drop_wrong_called_address,
        Expect::Stranger => c.keepalive_from_stranger,
    }
}

fn enc(d: Datagram<'_>) -> Vec<u8> {
    d.to_vec()
}

fn setup(cref: CallRef, calling: AtmAddress, called: AtmAddress) -> Vec<u8> {
    enc(Datagram::Setup(CallSetup {
        cref,
        calling,
        called,
    }))
}

/// Wait until the endpoint's counters satisfy `f` (they are published once per loop turn).
async fn counters_until(ep: &RawEndpoint, f: impl Fn(&Counters) -> bool) -> Counters {
    let start = std::time::Instant::now();
    loop {
        let c = ep.counters();
        if f(&c) || start.elapsed() > WAIT {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_datagrams_are_counted_dropped_and_harmless() {
    let cfg = EndpointConfig {
        max_pending_per_peer: 64,
        max_pending: 128,
        ..EndpointConfig::fast()
    };
    let mk = |ip: &str| EndpointSpec {
        config: cfg.clone(),
        ..EndpointSpec::new(format!("{ip}:0").parse().unwrap())
    };
    let mut a = RawEndpoint::bind(mk("127.0.0.1")).await.unwrap();
    let mut b = RawEndpoint::bind(mk("127.0.0.2")).await.unwrap();
    // A real call from a to b.
    let vc = VcId::local(1);
    a.request(VcRequest::Connect {
        vc,
        to: b.address(),
    });
    let Some(VcEvent::IncomingCall { vc: inc, .. }) = b.next_event(WAIT).await else {
        panic!()
    };
    b.request(VcRequest::Accept { vc: inc });
    assert_eq!(a.next_event(WAIT).await, Some(VcEvent::Connected { vc }));

    let evil = UdpSocket::bind("127.0.0.66:0").unwrap();
    let target = b.local_addr();
    let (me, other) = (b.address(), a.address());
    let wrong: AtmAddress = "123456".parse().unwrap();
    let big_garbage = vec![0x41u8; 65_507];
    let mut setup_trailing = setup(CallRef::from_originator(7), other, me);
    setup_trailing.push(0);
    let mut setup_cref0 = setup(CallRef::from_originator(7), other, me);
    setup_cref0[4..8].copy_from_slice(&[0, 0, 0, 0]);
    let mut setup_null_calling = setup(CallRef::from_originator(7), other, me);
    setup_null_calling[8] = 0;
    let setup_bad_digit = {
        let mut v = setup(CallRef::from_originator(8), "12".parse().unwrap(), me);
        v[12] = b'x';
        v
    };
    let mut data_seq0 = data_header(CallRef::from_originator(3), 1).to_vec();
    data_seq0[15] = 0;

    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("empty datagram", vec![], Expect::Malformed),
        ("one octet", vec![0x41], Expect::Malformed),
        (
            "truncated common header",
            vec![0x41, 0x45, 1],
            Expect::Malformed,
        ),
        (
            "wrong magic",
            vec![0x45, 0x41, 1, 0x05, 0, 0, 0, 1],
            Expect::Malformed,
        ),
        (
            "unsupported version",
            vec![0x41, 0x45, 9, 0xF1, 0, 0, 0, 1],
            Expect::Malformed,
        ),
        (
            "unknown type",
            vec![0x41, 0x45, 1, 0x99, 0, 0, 0, 1],
            Expect::Malformed,
        ),
        (
            "SETUP truncated",
            setup(CallRef::from_originator(7), other, me)[..20].to_vec(),
            Expect::Malformed,
        ),
        (
            "SETUP with trailing octet",
            setup_trailing,
            Expect::Malformed,
        ),
        ("SETUP call reference 0", setup_cref0, Expect::Malformed),
        (
            "SETUP null calling number",
            setup_null_calling,
            Expect::Malformed,
        ),
        ("SETUP bad E.164 digit", setup_bad_digit, Expect::Malformed),
        (
            "SETUP with the reply flag",
            setup(CallRef::to_originator(7), other, me),
            Expect::Protocol,
        ),
        (
            "SETUP for another address",
            setup(CallRef::from_originator(9), other, wrong),
            Expect::WrongCalled,
        ),
        (
            "CONNECT, unknown call",
            enc(Datagram::Connect(CallRef::to_originator(4242))),
            Expect::Unknown,
        ),
        (
            "CONNECT with the wrong flag",
            enc(Datagram::Connect(CallRef::from_originator(4242))),
            Expect::Protocol,
        ),
        (
            "ADD PARTY ACK with the wrong flag",
            enc(Datagram::AddPartyAck(CallRef::from_originator(5))),
            Expect::Protocol,
        ),
        (
            "RELEASE COMPLETE, unknown call",
            enc(Datagram::ReleaseComplete(CallRef::from_originator(77), 16)),
            Expect::Unknown,
        ),
        (
            "RELEASE, unknown call",
            enc(Datagram::Release(CallRef::from_originator(78), 16)),
            Expect::Unknown,
        ),
        (
            "DROP PARTY, unknown call",
            enc(Datagram::DropParty(CallRef::from_originator(79), 16)),
            Expect::Unknown,
        ),
        (
            "DATA, unknown call",
            enc(Datagram::Data {
                cref: CallRef::from_originator(1),
                seq: 5,
                sdu: b"x",
            }),
            Expect::Unknown,
        ),
        ("DATA sequence number 0", data_seq0, Expect::Malformed),
        (
            "KEEPALIVE from a stranger",
            enc(Datagram::Keepalive { instance: 1 }),
            Expect::Stranger,
        ),
        ("65,507 octets of garbage", big_garbage, Expect::Malformed),
        (
            "DATA header only, flag 1, unknown",
            data_header(CallRef::to_originator(99), 1).to_vec(),
            Expect::Unknown,
        ),
    ];
    assert!(cases.len() >= 20);
    for (name, bytes, expect) in &cases {
        let before = counter(&b.counters(), *expect);
        evil.send_to(bytes, target).unwrap();
        let after = counters_until(&b, |c| counter(c, *expect) > before).await;
        assert!(
            counter(&after, *expect) > before,
            "case {name:?}: {expect:?} not counted"
        );
    }

    // Wrong peer: b numbers its calls consecutively, so the evil socket learns the call
    // reference of b's next call (to a) from a call b makes to it first, then names that call.
    let SocketAddr::V4(evil_at) = evil.local_addr().unwrap() else {
        unreachable!()
    };
    let evil_atm = AtmAddress::new(embed_ipv4(evil_at));
    b.request(VcRequest::Connect {
        vc: VcId::local(10),
        to: evil_atm,
    });
    evil.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = [0u8; 256];
    let seen = loop {
        let (n, _) = evil.recv_from(&mut buf).unwrap();
        if let Ok(Datagram::Setup(s)) = Datagram::decode(&buf[..n]) {
            break s.cref.value;
        }
    };
    let refuse = enc(Datagram::ReleaseComplete(CallRef::to_originator(seen), 21));
    evil.send_to(&refuse, target).unwrap();
    assert_eq!(
        b.next_event(WAIT).await,
        Some(VcEvent::Released {
            vc: VcId::local(10),
            cause: Cause::CALL_REJECTED
        })
    );
    let vc2 = VcId::local(2);
    b.request(VcRequest::Connect {
        vc: vc2,
        to: a.address(),
    });
    let Some(VcEvent::IncomingCall { vc: at_a, .. }) = a.next_event(WAIT).await else {
        panic!()
    };
    a.request(VcRequest::Accept { vc: at_a });
    assert_eq!(
        b.next_event(WAIT).await,
        Some(VcEvent::Connected { vc: vc2 })
    );
    let before = b.counters().drop_wrong_peer;
    let victim = CallRef::to_originator(seen + 1);
    evil.send_to(&enc(Datagram::Release(victim, 16)), target)
        .unwrap();
    let data = enc(Datagram::Data {
        cref: victim,
        seq: 1 << 40,
        sdu: b"spoof",
    });
    evil.send_to(&data, target).unwrap();
    let c = counters_until(&b, |c| c.drop_wrong_peer >= before + 2).await;
    assert_eq!(
        c.drop_wrong_peer,
        before + 2,
        "both named a's call from the wrong source"
    );
    assert_eq!(
        b.next_event(Duration::from_millis(50)).await,
        None,
        "nothing released"
    );
    a.request(VcRequest::Send {
        vc: at_a,
        sdu: Bytes::from_static(b"seq 1 still fine"),
    });
    assert_eq!(
        b.next_event(WAIT).await,
        Some(VcEvent::Received {
            vc: vc2,
            sdu: Bytes::from_static(b"seq 1 still fine")
        })
    );

    // A SETUP flood: state only up to the per-peer bound, the rest answered with #47.
    let flood = 5_000u32;
    for v in 1..=flood {
        let d = setup(CallRef::from_originator(100_000 + v), wrong, me);
        evil.send_to(&d, target).unwrap();
        if v % 500 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let limit = u64::from(cfg.max_pending_per_peer as u32);
    let c = counters_until(&b, |c| c.drop_setup_limit + limit >= u64::from(flood)).await;
    let mut flood_calls = 0;
    while let Some(ev) = b.next_event(Duration::from_millis(100)).await {
        assert!(matches!(ev, VcEvent::IncomingCall { .. }), "{ev:?}");
        flood_calls += 1;
    }
    assert_eq!(
        flood_calls, cfg.max_pending_per_peer,
        "state only up to the bound"
    );
    // Some may be lost in the socket buffer; none may create state beyond the bound.
    assert!(c.drop_setup_limit <= u64::from(flood) - limit);

    // Still serving: data on the original call, and a fresh call from a.
    a.request(VcRequest::Send {
        vc,
        sdu: Bytes::from_static(b"still there?"),
    });
    assert_eq!(
        b.next_event(WAIT).await,
        Some(VcEvent::Received {
            vc: inc,
            sdu: Bytes::from_static(b"still there?")
        })
    );
    let vc3 = VcId::local(3);
    a.request(VcRequest::Connect {
        vc: vc3,
        to: b.address(),
    });
    let Some(VcEvent::IncomingCall { vc: inc3, .. }) = b.next_event(WAIT).await else {
        panic!()
    };
    b.request(VcRequest::Refuse {
        vc: inc3,
        cause: Cause::USER_BUSY,
    });
    assert_eq!(
        a.next_event(WAIT).await,
        Some(VcEvent::Released {
            vc: vc3,
            cause: Cause::USER_BUSY
        })
    );
    let c = b.counters();
    println!("counters after the hostile run: {c:#?}");
    assert_eq!(a.counters().dropped(), 0, "the honest peer saw nothing odd");
}
