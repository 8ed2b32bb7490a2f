//! `UdpNet`, the blocking whole-network wrapper the contract suite drives: arbitrary ATM
//! addresses (NSAPA and E.164) mapped to loopback sockets, calls, data, a crash.

use std::time::Duration;

use bytes::Bytes;
use mars_proto::{Cause, PartyId, VcEvent, VcId, VcRequest};
use mars_wire::AtmAddress;
use marsd::atm_udp::{EndpointConfig, UdpNet};

const WAIT: Duration = Duration::from_secs(5);

#[test]
fn contract_style_session() {
    let cfg = EndpointConfig {
        keepalive_interval: Duration::from_millis(50),
        ..EndpointConfig::fast()
    };
    let mut net = UdpNet::new(cfg.clone()).unwrap();
    let a_addr: AtmAddress = "47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00"
        .parse()
        .unwrap();
    let b_addr: AtmAddress = "4930001".parse().unwrap();
    let c_addr: AtmAddress = "39.0005.80FFE1000000F21A3A3D.0020481A3A3E.01"
        .parse()
        .unwrap();
    let (a, b, c) = (
        net.add_endpoint(a_addr),
        net.add_endpoint(b_addr),
        net.add_endpoint(c_addr),
    );

    let vc = VcId::local(1);
    net.request(a, VcRequest::Connect { vc, to: b_addr });
    let Some(VcEvent::IncomingCall {
        vc: inc,
        from,
        multipoint: false,
    }) = net.next_event(b, WAIT)
    else {
        panic!("no call at b")
    };
    assert_eq!(from, a_addr);
    net.request(b, VcRequest::Accept { vc: inc });
    assert_eq!(net.next_event(a, WAIT), Some(VcEvent::Connected { vc }));
    let sdu = Bytes::from_static(b"\xAA\xAA\x03\x00\x00\x5E\x00\x03hello");
    net.request(
        a,
        VcRequest::Send {
            vc,
            sdu: sdu.clone(),
        },
    );
    assert_eq!(
        net.next_event(b, WAIT),
        Some(VcEvent::Received { vc: inc, sdu })
    );

    // c is a leaf of a multipoint VC rooted at a; then c crashes.
    let mp = VcId::local(2);
    net.request(a, VcRequest::OpenMultipoint { vc: mp });
    net.request(
        a,
        VcRequest::AddParty {
            vc: mp,
            party: PartyId(7),
            to: c_addr,
        },
    );
    let Some(VcEvent::IncomingCall {
        vc: leaf,
        multipoint: true,
        ..
    }) = net.next_event(c, WAIT)
    else {
        panic!("no party at c")
    };
    net.request(c, VcRequest::Accept { vc: leaf });
    assert_eq!(
        net.next_event(a, WAIT),
        Some(VcEvent::PartyAdded {
            vc: mp,
            party: PartyId(7)
        })
    );
    net.kill(c);
    let bound = cfg.dead_after() + cfg.keepalive_interval + Duration::from_millis(100);
    assert_eq!(
        net.next_event(a, bound),
        Some(VcEvent::PartyDropped {
            vc: mp,
            party: PartyId(7),
            cause: Cause::DESTINATION_OUT_OF_ORDER
        })
    );
    // The p2p call with b is unaffected.
    net.settle(Duration::from_millis(200));
    assert_eq!(net.next_event(b, Duration::from_millis(10)), None);
    assert_eq!(net.counters(a).peers_lost, 1);
    assert_eq!(net.counters(b).dropped(), 0);
}
