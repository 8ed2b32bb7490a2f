//! Requests made while events are still unread, under virtual time. A request comes before
//! every event its user has not taken yet (`Endpoint::poll_event`), and means what it means
//! there — the races a raw-mode user (another thread, reading a queue) runs into, and that an
//! engine driven in one loop never sees:
//! - an SDU sent before the root read `PartyAdded` does not reach that leaf (G5);
//! - a handle the user releases, refuses or drops tells nothing more, even when the network
//!   had already queued its end, `Connected`, `PartyAdded` or SDUs (G7), and none of that is
//!   misuse;
//! - an id reused after such a kill gets only its new VC's events;
//! - ids the user has not been told of name nothing, and ids still in use in the user's view
//!   cannot be reused (G8).

use std::time::Duration;

use mars_proto::{Cause, PartyId, VcEvent, VcId, VcRequest};
use mars_wire::AtmAddress;

mod atm_udp_pipe;
use atm_udp_pipe::{quick, sdu, Faults, Net};

const NORMAL: Cause = Cause::NORMAL;
const MS: Duration = Duration::from_millis(5);

fn net(n: usize, seed: u64) -> Net {
    Net::new(n, quick(), Faults::default(), seed)
}

fn misuse(n: &mut Net, i: usize) -> u64 {
    n.ep(i).counters().engine_misuse
}

/// 0 calls 1, whose later events are held unread; 1 has read the incoming call but not
/// answered it. Returns the caller's VC and the callee's id for the call.
fn unanswered_call(n: &mut Net) -> (VcId, VcId) {
    let vc = VcId::local(1);
    let to = n.addr(1);
    n.hold(1);
    n.request(0, VcRequest::Connect { vc, to });
    n.settle(MS);
    let Some(VcEvent::IncomingCall { vc: inc, .. }) = n.take(1) else {
        panic!("not called");
    };
    (vc, inc)
}

/// Root 0 with leaf `leaf` added as `party` and accepted; returns the leaf's id.
fn add_leaf(n: &mut Net, vc: VcId, party: u32, leaf: usize) -> VcId {
    let to = n.addr(leaf);
    let party = PartyId(party);
    n.request(0, VcRequest::AddParty { vc, party, to });
    n.settle(MS);
    let Some(VcEvent::IncomingCall { vc: lvc, .. }) = n.next_event(leaf) else {
        panic!("leaf {leaf} not called");
    };
    n.request(leaf, VcRequest::Accept { vc: lvc });
    n.settle(MS);
    lvc
}

#[test]
fn sdu_before_party_added_is_read_skips_that_leaf() {
    let mut n = net(3, 1);
    let vc = VcId::local(1);
    n.request(0, VcRequest::OpenMultipoint { vc });
    let l1 = add_leaf(&mut n, vc, 1, 1);
    assert_eq!(
        n.take_events(0),
        [VcEvent::PartyAdded {
            vc,
            party: PartyId(1)
        }]
    );
    n.hold(0);
    let l2 = add_leaf(&mut n, vc, 2, 2);
    // PartyAdded for party 2 has arrived but the root has not read it.
    assert_eq!(n.ep(0).pending_events(), 1);
    n.request(0, VcRequest::Send { vc, sdu: sdu(1) });
    assert_eq!(
        n.take(0),
        Some(VcEvent::PartyAdded {
            vc,
            party: PartyId(2)
        })
    );
    n.request(0, VcRequest::Send { vc, sdu: sdu(2) });
    n.settle(MS);
    assert_eq!(
        n.take_events(1),
        [1, 2].map(|i| VcEvent::Received {
            vc: l1,
            sdu: sdu(i)
        })
    );
    assert_eq!(
        n.take_events(2),
        [VcEvent::Received {
            vc: l2,
            sdu: sdu(2)
        }],
        "SDU 1 was sent before the root read PartyAdded (G5)"
    );
    assert_eq!(misuse(&mut n, 0), 0);
}

#[test]
fn simultaneous_release_tells_neither_end() {
    let mut n = net(2, 2);
    let vc = VcId::local(1);
    let inc = n.call(0, 1, vc);
    n.hold(1);
    n.request(0, VcRequest::Release { vc, cause: NORMAL });
    n.settle(MS);
    assert_eq!(n.ep(1).pending_events(), 1, "Released arrived, unread");
    n.request(
        1,
        VcRequest::Release {
            vc: inc,
            cause: NORMAL,
        },
    );
    n.settle(MS);
    assert_eq!(n.take_all(1), [], "its own release killed the handle (G7)");
    assert_eq!(n.take_events(0), []);
    assert_eq!((misuse(&mut n, 0), misuse(&mut n, 1)), (0, 0));
    assert_eq!((n.ep(0).leg_count(), n.ep(1).leg_count()), (0, 0));
}

#[test]
fn release_before_connected_is_read_withdraws_it_and_the_sdus() {
    let mut n = net(2, 3);
    let vc = VcId::local(4);
    let to = n.addr(1);
    n.hold(0);
    n.request(0, VcRequest::Connect { vc, to });
    n.settle(MS);
    let Some(VcEvent::IncomingCall { vc: inc, .. }) = n.next_event(1) else {
        panic!("not called");
    };
    n.request(1, VcRequest::Accept { vc: inc });
    n.request(
        1,
        VcRequest::Send {
            vc: inc,
            sdu: sdu(1),
        },
    );
    n.settle(MS);
    assert_eq!(n.ep(0).pending_events(), 2, "Connected and the SDU, unread");
    // Not read Connected yet: sending is misuse, releasing is not.
    n.request(0, VcRequest::Send { vc, sdu: sdu(2) });
    assert_eq!(misuse(&mut n, 0), 1, "a caller sends only after Connected");
    n.request(0, VcRequest::Release { vc, cause: NORMAL });
    assert_eq!(n.take_all(0), [], "nothing follows its own release (G7)");
    n.settle(MS);
    assert_eq!(
        n.take_events(1),
        [VcEvent::Released {
            vc: inc,
            cause: NORMAL
        }]
    );
    // The id is free again, and its new VC gets its own events only.
    n.request(0, VcRequest::Connect { vc, to });
    n.settle(MS);
    let Some(VcEvent::IncomingCall { vc: inc2, .. }) = n.next_event(1) else {
        panic!("not called again");
    };
    n.request(1, VcRequest::Accept { vc: inc2 });
    n.settle(MS);
    assert_eq!(n.take(0), Some(VcEvent::Connected { vc }));
    n.request(
        1,
        VcRequest::Send {
            vc: inc2,
            sdu: sdu(3),
        },
    );
    n.settle(MS);
    assert_eq!(n.take_all(0), [VcEvent::Received { vc, sdu: sdu(3) }]);
    assert_eq!(misuse(&mut n, 0), 1);
}

#[test]
fn refuse_after_the_caller_gave_up_is_silent() {
    let mut n = net(2, 4);
    let (vc, inc) = unanswered_call(&mut n);
    n.request(0, VcRequest::Release { vc, cause: NORMAL });
    n.settle(MS);
    assert_eq!(n.ep(1).pending_events(), 1, "Released arrived, unread");
    n.request(
        1,
        VcRequest::Refuse {
            vc: inc,
            cause: Cause::CALL_REJECTED,
        },
    );
    assert_eq!(n.take_all(1), [], "a refused call is dead at once (G7)");
    assert_eq!(misuse(&mut n, 1), 0, "the user could not know");
    n.settle(MS);
    assert_eq!(n.take_events(0), []);
}

#[test]
fn accept_or_send_on_a_call_ended_unread_is_ignored_not_misuse() {
    let mut n = net(2, 5);
    let (vc, inc) = unanswered_call(&mut n);
    n.request(0, VcRequest::Release { vc, cause: NORMAL });
    n.settle(MS);
    n.request(1, VcRequest::Accept { vc: inc });
    n.request(
        1,
        VcRequest::Send {
            vc: inc,
            sdu: sdu(1),
        },
    );
    n.settle(MS);
    assert_eq!(misuse(&mut n, 1), 0);
    assert_eq!(
        n.take_all(1),
        [VcEvent::Released {
            vc: inc,
            cause: NORMAL
        }]
    );
    assert_eq!(
        n.take_events(0),
        [],
        "the caller released: it hears nothing"
    );
    // Now the handle is dead in the user's view too.
    n.request(1, VcRequest::Accept { vc: inc });
    assert_eq!(misuse(&mut n, 1), 1);
}

#[test]
fn unannounced_incoming_id_names_nothing() {
    let mut n = net(2, 6);
    let vc = VcId::local(1);
    let to = n.addr(1);
    n.hold(1);
    n.request(0, VcRequest::Connect { vc, to });
    n.settle(MS);
    assert_eq!(n.ep(1).pending_events(), 1);
    // The id the network will choose is guessable, but the user has not been told it.
    n.request(
        1,
        VcRequest::Accept {
            vc: VcId::incoming(1),
        },
    );
    assert_eq!(misuse(&mut n, 1), 1);
    let Some(VcEvent::IncomingCall { vc: inc, .. }) = n.take(1) else {
        panic!("not called");
    };
    assert_eq!(inc, VcId::incoming(1));
    n.request(1, VcRequest::Accept { vc: inc });
    n.settle(MS);
    assert_eq!(n.take_events(0), [VcEvent::Connected { vc }]);
    assert_eq!(misuse(&mut n, 1), 1);
}

#[test]
fn drop_party_after_its_party_dropped_arrived_is_silent() {
    let mut n = net(2, 7);
    let vc = VcId::local(1);
    n.request(0, VcRequest::OpenMultipoint { vc });
    let l1 = add_leaf(&mut n, vc, 1, 1);
    n.take_events(0);
    n.hold(0);
    n.request(
        1,
        VcRequest::Release {
            vc: l1,
            cause: NORMAL,
        },
    );
    n.settle(MS);
    assert_eq!(n.ep(0).pending_events(), 1, "PartyDropped arrived, unread");
    // Party 1 is still in use in the root's view.
    let to = n.addr(1);
    let party = PartyId(1);
    n.request(0, VcRequest::AddParty { vc, party, to });
    assert_eq!(misuse(&mut n, 0), 1, "party id still in use");
    n.request(
        0,
        VcRequest::DropParty {
            vc,
            party,
            cause: NORMAL,
        },
    );
    assert_eq!(n.take_all(0), [], "its own DropParty tells nothing (G7)");
    assert_eq!(misuse(&mut n, 0), 1, "the drop was not misuse");
    // The party id is free now; the new party's events are not withdrawn.
    n.request(0, VcRequest::AddParty { vc, party, to });
    n.settle(MS);
    let Some(VcEvent::IncomingCall { vc: l1b, .. }) = n.next_event(1) else {
        panic!("not called again");
    };
    n.request(1, VcRequest::Accept { vc: l1b });
    n.settle(MS);
    assert_eq!(n.take_all(0), [VcEvent::PartyAdded { vc, party }]);
    n.request(0, VcRequest::Send { vc, sdu: sdu(1) });
    n.settle(MS);
    assert_eq!(
        n.take_events(1),
        [VcEvent::Received {
            vc: l1b,
            sdu: sdu(1)
        }]
    );
}

#[test]
fn root_release_withdraws_every_party_event() {
    let mut n = net(3, 8);
    let vc = VcId::local(1);
    n.request(0, VcRequest::OpenMultipoint { vc });
    let l1 = add_leaf(&mut n, vc, 1, 1);
    n.take_events(0);
    n.hold(0);
    let l2 = add_leaf(&mut n, vc, 2, 2);
    n.request(
        1,
        VcRequest::Release {
            vc: l1,
            cause: NORMAL,
        },
    );
    n.settle(MS);
    assert_eq!(
        n.ep(0).pending_events(),
        2,
        "PartyAdded(2), PartyDropped(1)"
    );
    n.request(0, VcRequest::Release { vc, cause: NORMAL });
    assert_eq!(n.take_all(0), []);
    n.settle(MS);
    assert_eq!(
        n.take_events(2),
        [VcEvent::Released {
            vc: l2,
            cause: NORMAL
        }]
    );
    assert_eq!(n.take_events(1), []);
    assert_eq!(misuse(&mut n, 0), 0);
    // The id can open a new multipoint VC at once.
    n.request(0, VcRequest::OpenMultipoint { vc });
    assert_eq!(misuse(&mut n, 0), 0);
}

#[test]
fn id_of_a_call_released_unread_is_still_in_use() {
    let mut n = net(2, 9);
    let vc = VcId::local(1);
    n.hold(0);
    let nobody: AtmAddress = "14085551212".parse().unwrap();
    n.request(0, VcRequest::Connect { vc, to: nobody });
    assert_eq!(n.ep(0).pending_events(), 1, "Released #1, unread");
    let to = n.addr(1);
    n.request(0, VcRequest::Connect { vc, to });
    n.request(0, VcRequest::OpenMultipoint { vc });
    assert_eq!(
        misuse(&mut n, 0),
        2,
        "the id is in use until Released is read"
    );
    n.request(0, VcRequest::Send { vc, sdu: sdu(1) });
    assert_eq!(
        misuse(&mut n, 0),
        2,
        "a send the user could not know was stale"
    );
    assert_eq!(
        n.take_all(0),
        [VcEvent::Released {
            vc,
            cause: Cause::UNALLOCATED_NUMBER
        }]
    );
    n.request(0, VcRequest::Connect { vc, to });
    n.settle(MS);
    assert!(matches!(
        n.next_event(1),
        Some(VcEvent::IncomingCall { .. })
    ));
    assert_eq!(misuse(&mut n, 0), 2);
}
