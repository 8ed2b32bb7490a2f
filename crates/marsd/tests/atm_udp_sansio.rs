//! The sans-IO endpoint under virtual time, fault-free: calls, refusals, releases from
//! either end, multipoint add/ack/reject/drop and leaf release. No sockets, no sleeps.

use std::time::Duration;

use mars_proto::{Cause, PartyId, VcEvent, VcId, VcRequest};
use mars_wire::AtmAddress;

mod atm_udp_pipe;
use atm_udp_pipe::{quick, sdu, Faults, Net};

#[test]
fn setup_connect_data_release_by_caller() {
    let mut n = Net::new(2, quick(), Faults::default(), 1);
    let vc = VcId::local(7);
    let inc = n.call(0, 1, vc);
    assert!(inc.is_incoming());
    n.request(0, VcRequest::Send { vc, sdu: sdu(1) });
    n.request(
        1,
        VcRequest::Send {
            vc: inc,
            sdu: sdu(2),
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(
        n.take_events(1),
        [VcEvent::Received {
            vc: inc,
            sdu: sdu(1)
        }]
    );
    assert_eq!(n.take_events(0), [VcEvent::Received { vc, sdu: sdu(2) }]);
    n.request(
        0,
        VcRequest::Release {
            vc,
            cause: Cause::NORMAL,
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(
        n.take_events(1),
        [VcEvent::Released {
            vc: inc,
            cause: Cause::NORMAL
        }]
    );
    assert_eq!(
        n.take_events(0),
        [],
        "a local release produces no event (guarantee 7)"
    );
    assert_eq!(n.ep(0).leg_count(), 0);
    assert_eq!(n.ep(1).leg_count(), 0);
    // Keepalives stop once no legs remain.
    n.settle(Duration::from_secs(1));
    assert_eq!(
        n.ep(0).poll_timeout().is_some(),
        n.ep(0).tombstone_count() > 0
    );
}

#[test]
fn release_by_callee() {
    let mut n = Net::new(2, quick(), Faults::default(), 2);
    let vc = VcId::local(1);
    let inc = n.call(0, 1, vc);
    n.request(
        1,
        VcRequest::Release {
            vc: inc,
            cause: Cause(31),
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(
        n.take_events(0),
        [VcEvent::Released {
            vc,
            cause: Cause(31)
        }]
    );
    assert_eq!(n.take_events(1), []);
    // The dead handle is ignored and counted (guarantee 8).
    n.request(
        1,
        VcRequest::Send {
            vc: inc,
            sdu: sdu(1),
        },
    );
    assert_eq!(n.ep(1).counters().engine_misuse, 1);
}

#[test]
fn refuse_and_unknown_address() {
    let mut n = Net::new(2, quick(), Faults::default(), 3);
    let vc = VcId::local(1);
    let to = n.addr(1);
    n.request(0, VcRequest::Connect { vc, to });
    n.settle(Duration::from_millis(5));
    let Some(VcEvent::IncomingCall { vc: inc, .. }) = n.next_event(1) else {
        panic!()
    };
    n.request(
        1,
        VcRequest::Refuse {
            vc: inc,
            cause: Cause::CALL_REJECTED,
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(
        n.take_events(0),
        [VcEvent::Released {
            vc,
            cause: Cause::CALL_REJECTED
        }]
    );
    assert_eq!(n.take_events(1), []);

    let nobody: AtmAddress = "14085551212".parse().unwrap();
    n.request(0, VcRequest::Connect { vc, to: nobody });
    assert_eq!(
        n.take_events(0),
        [VcEvent::Released {
            vc,
            cause: Cause::UNALLOCATED_NUMBER
        }]
    );
}

#[test]
fn unanswered_setup_fails_with_cause_18() {
    let cfg = quick();
    let mut n = Net::new(2, cfg.clone(), Faults::default(), 4);
    n.eps[1] = None; // Nobody listens there.
    let vc = VcId::local(3);
    let to = n.addr(1);
    n.request(0, VcRequest::Connect { vc, to });
    let start = n.now;
    n.settle(cfg.request_lifetime() + Duration::from_millis(1));
    assert_eq!(
        n.take_events(0),
        [VcEvent::Released {
            vc,
            cause: Cause::NO_USER_RESPONDING
        }]
    );
    assert!(n.now - start >= cfg.request_lifetime());
    assert_eq!(
        n.ep(0).counters().retransmissions,
        u64::from(cfg.max_transmissions - 1)
    );
}

#[test]
fn multipoint_add_ack_reject_drop_and_leaf_release() {
    let mut n = Net::new(4, quick(), Faults::default(), 5);
    let vc = VcId::local(9);
    n.request(0, VcRequest::OpenMultipoint { vc });
    for (leaf, p) in [(1, 1), (2, 2), (3, 3)] {
        let to = n.addr(leaf);
        n.request(
            0,
            VcRequest::AddParty {
                vc,
                party: PartyId(p),
                to,
            },
        );
    }
    n.settle(Duration::from_millis(5));
    let mut leaf_vc = [VcId(0); 4];
    for (leaf, slot) in leaf_vc.iter_mut().enumerate().skip(1) {
        let Some(VcEvent::IncomingCall {
            vc: inc,
            from,
            multipoint: true,
        }) = n.next_event(leaf)
        else {
            panic!("leaf {leaf} not called");
        };
        assert_eq!(from, n.addr(0));
        *slot = inc;
    }
    n.request(1, VcRequest::Accept { vc: leaf_vc[1] });
    n.request(
        2,
        VcRequest::Refuse {
            vc: leaf_vc[2],
            cause: Cause::CALL_REJECTED,
        },
    );
    // Before its PartyAdded, leaf 3 must not receive this SDU (guarantee 5).
    n.request(0, VcRequest::Send { vc, sdu: sdu(0) });
    n.settle(Duration::from_millis(5));
    n.request(3, VcRequest::Accept { vc: leaf_vc[3] });
    n.settle(Duration::from_millis(5));
    let root = n.take_events(0);
    assert!(root.contains(&VcEvent::PartyAdded {
        vc,
        party: PartyId(1)
    }));
    assert!(root.contains(&VcEvent::PartyDropped {
        vc,
        party: PartyId(2),
        cause: Cause::CALL_REJECTED
    }));
    assert!(root.contains(&VcEvent::PartyAdded {
        vc,
        party: PartyId(3)
    }));
    n.request(0, VcRequest::Send { vc, sdu: sdu(1) });
    n.settle(Duration::from_millis(5));
    // sdu(0) left the root before leaf 1's ADD PARTY ACK arrived: not delivered (guarantee 5).
    assert_eq!(
        n.take_events(1),
        [VcEvent::Received {
            vc: leaf_vc[1],
            sdu: sdu(1)
        }]
    );
    assert_eq!(
        n.take_events(3),
        [VcEvent::Received {
            vc: leaf_vc[3],
            sdu: sdu(1)
        }]
    );

    // The root drops leaf 1; leaf 3 leaves by itself.
    n.request(
        0,
        VcRequest::DropParty {
            vc,
            party: PartyId(1),
            cause: Cause::NORMAL,
        },
    );
    n.request(
        3,
        VcRequest::Release {
            vc: leaf_vc[3],
            cause: Cause(31),
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(
        n.take_events(1),
        [VcEvent::Released {
            vc: leaf_vc[1],
            cause: Cause::NORMAL
        }]
    );
    assert_eq!(
        n.take_events(0),
        [VcEvent::PartyDropped {
            vc,
            party: PartyId(3),
            cause: Cause(31)
        }]
    );
    // No leaves left: the root keeps the VC (contract deviation from UNI 3.1) until released.
    n.request(0, VcRequest::Send { vc, sdu: sdu(2) });
    assert_eq!(n.ep(0).counters().engine_misuse, 0);
    n.request(
        0,
        VcRequest::Release {
            vc,
            cause: Cause::NORMAL,
        },
    );
    n.settle(Duration::from_millis(50));
    for i in 0..4 {
        assert_eq!(n.ep(i).leg_count(), 0, "endpoint {i}");
        assert_eq!(n.take_events(i), []);
    }
}

#[test]
fn root_release_reaches_every_leaf() {
    let mut n = Net::new(3, quick(), Faults::default(), 6);
    let vc = VcId::local(1);
    n.request(0, VcRequest::OpenMultipoint { vc });
    for leaf in 1..=2 {
        let to = n.addr(leaf);
        n.request(
            0,
            VcRequest::AddParty {
                vc,
                party: PartyId(leaf as u32),
                to,
            },
        );
    }
    n.settle(Duration::from_millis(5));
    for leaf in 1..=2 {
        let Some(VcEvent::IncomingCall { vc: inc, .. }) = n.next_event(leaf) else {
            panic!()
        };
        n.request(leaf, VcRequest::Accept { vc: inc });
    }
    n.settle(Duration::from_millis(5));
    assert_eq!(n.take_events(0).len(), 2);
    n.request(
        0,
        VcRequest::Release {
            vc,
            cause: Cause::NORMAL,
        },
    );
    n.settle(Duration::from_millis(5));
    for leaf in 1..=2 {
        assert!(matches!(
            n.take_events(leaf)[..],
            [VcEvent::Released {
                cause: Cause::NORMAL,
                ..
            }]
        ));
    }
    assert_eq!(n.take_events(0), []);
}
