//! Raw mode on loopback sockets: a request made while events are waiting unread comes before
//! them, as in engine mode. Each test first waits until the network has queued the event the
//! user has not read, so the race the contract suite only sometimes hits happens every time.

use std::time::{Duration, Instant as StdInstant};

use bytes::Bytes;
use mars_proto::{Cause, PartyId, VcEvent, VcId, VcRequest};
use marsd::atm_udp::{EndpointConfig, EndpointSpec, RawEndpoint};

const WAIT: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(300);

async fn endpoint(ip: &str) -> RawEndpoint {
    let spec = EndpointSpec {
        config: EndpointConfig::fast(),
        ..EndpointSpec::new(format!("{ip}:0").parse().unwrap())
    };
    RawEndpoint::bind(spec).await.unwrap()
}

async fn expect(ep: &mut RawEndpoint, what: &str) -> VcEvent {
    ep.next_event(WAIT)
        .await
        .unwrap_or_else(|| panic!("timed out waiting for {what}"))
}

/// Wait, without reading anything, until `n` events wait at `ep`.
async fn until_pending(ep: &RawEndpoint, n: usize) {
    let start = StdInstant::now();
    while ep.pending_events() < n {
        assert!(start.elapsed() < WAIT, "{n} events never arrived");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn incoming(ep: &mut RawEndpoint) -> VcId {
    match expect(ep, "IncomingCall").await {
        VcEvent::IncomingCall { vc, .. } => vc,
        other => panic!("expected IncomingCall, got {other:?}"),
    }
}

fn sdu(i: u8) -> Bytes {
    Bytes::from(vec![0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00, i])
}

#[tokio::test]
async fn release_with_released_unread_tells_nothing() {
    let mut a = endpoint("127.0.0.1").await;
    let mut b = endpoint("127.0.0.2").await;
    let vc = VcId::local(1);
    a.request(VcRequest::Connect {
        vc,
        to: b.address(),
    });
    let inc = incoming(&mut b).await;
    b.request(VcRequest::Accept { vc: inc });
    assert_eq!(expect(&mut a, "Connected").await, VcEvent::Connected { vc });
    let cause = Cause::NORMAL;
    a.request(VcRequest::Release { vc, cause });
    until_pending(&b, 1).await;
    b.request(VcRequest::Release { vc: inc, cause });
    assert_eq!(
        b.next_event(QUIET).await,
        None,
        "own release: no event (G7)"
    );
    assert_eq!(a.next_event(QUIET).await, None);
    assert_eq!(a.counters().engine_misuse + b.counters().engine_misuse, 0);
}

#[tokio::test]
async fn sdu_sent_with_party_added_unread_skips_that_leaf() {
    let mut root = endpoint("127.0.0.1").await;
    let mut l1 = endpoint("127.0.0.3").await;
    let mut l2 = endpoint("127.0.0.4").await;
    let vc = VcId::local(1);
    root.request(VcRequest::OpenMultipoint { vc });
    let mut ids = Vec::new();
    for (party, leaf) in [(PartyId(1), &mut l1), (PartyId(2), &mut l2)] {
        root.request(VcRequest::AddParty {
            vc,
            party,
            to: leaf.address(),
        });
        let lvc = incoming(leaf).await;
        leaf.request(VcRequest::Accept { vc: lvc });
        ids.push(lvc);
        if party == PartyId(1) {
            let ev = expect(&mut root, "PartyAdded").await;
            assert_eq!(ev, VcEvent::PartyAdded { vc, party });
        }
    }
    until_pending(&root, 1).await;
    root.request(VcRequest::Send { vc, sdu: sdu(1) });
    let ev = expect(&mut root, "PartyAdded").await;
    assert_eq!(
        ev,
        VcEvent::PartyAdded {
            vc,
            party: PartyId(2)
        }
    );
    root.request(VcRequest::Send { vc, sdu: sdu(2) });
    for i in [1, 2] {
        let ev = expect(&mut l1, "SDU").await;
        assert_eq!(
            ev,
            VcEvent::Received {
                vc: ids[0],
                sdu: sdu(i)
            }
        );
    }
    let ev = expect(&mut l2, "SDU").await;
    assert_eq!(
        ev,
        VcEvent::Received {
            vc: ids[1],
            sdu: sdu(2)
        },
        "SDU 1 was sent before the root read PartyAdded (G5)"
    );
    assert_eq!(l2.next_event(QUIET).await, None);
    assert_eq!(root.counters().engine_misuse, 0);
}
