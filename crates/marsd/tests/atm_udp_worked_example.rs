//! The worked example of `docs/atm-emulation.md` §12, octet for octet, produced by two real
//! (sans-IO) endpoints: the specification describes what the code does.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use mars_proto::{Cause, Instant, VcEvent, VcId, VcRequest};
use marsd::atm_udp::{Endpoint, EndpointConfig, Transmit, Underlay};

fn hex(s: &str) -> Vec<u8> {
    let digits: String = s.split_whitespace().collect();
    hex::decode(digits).unwrap()
}

fn drain(ep: &mut Endpoint) -> Vec<Transmit> {
    ep.drain_transmits().collect()
}

#[test]
fn worked_example_octets() {
    let a_at: SocketAddr = "127.0.0.1:5000".parse().unwrap();
    let b_at: SocketAddr = "127.0.0.2:5001".parse().unwrap();
    let u = Arc::new(Underlay::new());
    let cfg = EndpointConfig::default();
    let mut a = Endpoint::new(
        cfg.clone(),
        u.address_for(a_at).unwrap(),
        u.clone(),
        0x8000_0000,
    );
    let mut b = Endpoint::new(cfg, u.address_for(b_at).unwrap(), u.clone(), 0x9ABC_DEF0);
    assert_eq!(
        a.address().to_string(),
        "35.0001.7F000001138800000000.000000000000.00"
    );
    assert_eq!(
        b.address().to_string(),
        "35.0001.7F000002138900000000.000000000000.00"
    );
    let t = Instant::ZERO;
    let mut wire: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
    // Carry every datagram `from` emitted to its destination, recording it.
    let mut deliver = |from: SocketAddr, out: Vec<Transmit>, a: &mut Endpoint, b: &mut Endpoint| {
        for tx in out {
            let bytes = tx.to_vec();
            wire.push((from, bytes.clone()));
            let to = if tx.to == a_at { &mut *a } else { &mut *b };
            to.handle_datagram(t, from, &bytes);
        }
    };

    let vc = VcId::local(1);
    a.handle_request(
        t,
        VcRequest::Connect {
            vc,
            to: b.address(),
        },
    );
    let out = drain(&mut a);
    deliver(a_at, out, &mut a, &mut b);
    let Some(VcEvent::IncomingCall { vc: inc, .. }) = b.poll_event() else {
        panic!()
    };
    let out = drain(&mut b);
    deliver(b_at, out, &mut a, &mut b);
    b.handle_request(t, VcRequest::Accept { vc: inc });
    let out = drain(&mut b);
    deliver(b_at, out, &mut a, &mut b);
    assert_eq!(a.poll_event(), Some(VcEvent::Connected { vc }));
    let out = drain(&mut a);
    deliver(a_at, out, &mut a, &mut b);
    let sdu_a = Bytes::from(hex("AA AA 03 00 00 5E 00 05 01 02 03 04"));
    a.handle_request(
        t,
        VcRequest::Send {
            vc,
            sdu: sdu_a.clone(),
        },
    );
    let out = drain(&mut a);
    deliver(a_at, out, &mut a, &mut b);
    assert_eq!(
        b.poll_event(),
        Some(VcEvent::Received {
            vc: inc,
            sdu: sdu_a
        })
    );
    let sdu_b = Bytes::from(hex("AA AA 03 00 00 5E 00 05 05 06"));
    b.handle_request(
        t,
        VcRequest::Send {
            vc: inc,
            sdu: sdu_b.clone(),
        },
    );
    let out = drain(&mut b);
    deliver(b_at, out, &mut a, &mut b);
    assert_eq!(a.poll_event(), Some(VcEvent::Received { vc, sdu: sdu_b }));
    a.handle_request(
        t,
        VcRequest::Release {
            vc,
            cause: Cause::NORMAL,
        },
    );
    let out = drain(&mut a);
    deliver(a_at, out, &mut a, &mut b);
    assert_eq!(
        b.poll_event(),
        Some(VcEvent::Released {
            vc: inc,
            cause: Cause::NORMAL
        })
    );
    let out = drain(&mut b);
    deliver(b_at, out, &mut a, &mut b);
    assert_eq!(a.leg_count() + b.leg_count(), 0);

    let expected = [
        (a_at, "41 45 01 F1  80 00 00 00"),
        (
            a_at,
            "41 45 01 05  00 00 00 01  14 00 14 00
             35 00 01 7F 00 00 01 13 88 00 00 00 00 00 00 00 00 00 00 00
             35 00 01 7F 00 00 02 13 89 00 00 00 00 00 00 00 00 00 00 00",
        ),
        (b_at, "41 45 01 F1  9A BC DE F0"),
        (b_at, "41 45 01 02  80 00 00 01"),
        (b_at, "41 45 01 07  80 00 00 01"),
        (a_at, "41 45 01 0F  00 00 00 01"),
        (
            a_at,
            "41 45 01 F0  00 00 00 01  00 00 00 00 00 00 00 01
             AA AA 03 00 00 5E 00 05 01 02 03 04",
        ),
        (
            b_at,
            "41 45 01 F0  80 00 00 01  00 00 00 00 00 00 00 01
             AA AA 03 00 00 5E 00 05 05 06",
        ),
        (a_at, "41 45 01 4D  00 00 00 01  10"),
        (b_at, "41 45 01 5A  80 00 00 01  10"),
    ];
    let expected: Vec<(SocketAddr, Vec<u8>)> =
        expected.iter().map(|(from, h)| (*from, hex(h))).collect();
    assert_eq!(wire, expected);
}
