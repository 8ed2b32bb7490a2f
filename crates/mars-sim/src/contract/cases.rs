//! The contract cases: one per operation and per ordering guarantee of [`mars_proto::vc`]
//! (numbered G1–G8 as there).
//!
//! Each case builds its own endpoints on the network it is given, so it can run on a fresh
//! network or after others.

use mars_proto::{Cause, PartyId, VcEvent, VcId, VcRequest};

use super::probe::{sdu, sdu_number, Probe};
use super::{Bounds, ContractNet};

const A: VcId = VcId::local(1);
const CALL_REJECTED: Cause = Cause::CALL_REJECTED;
const NORMAL: Cause = Cause::NORMAL;

/// Point-to-point call set up and used: `IncomingCall` names the caller and carries a
/// network-chosen id, `Accept` gives the caller `Connected`, SDUs flow both ways.
pub fn connect_accept<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (a, c) = (p.node(1), p.node(2));
    let cvc = p.call(a, A, c);
    p.send(a, A, 1);
    p.expect_sdu(c, cvc, 1);
    p.send(c, cvc, 2);
    p.expect_sdu(a, A, 2);
    p.quiet(a, "the call is up and idle");
    p.quiet(c, "the call is up and idle");
}

/// A refused call is `Released` at the caller with the callee's cause; the callee hears
/// nothing more (G1, G7).
pub fn connect_refuse<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (a, c) = (p.node(1), p.node(2));
    p.req(a, VcRequest::Connect { vc: A, to: c.addr });
    let cvc = p.expect_incoming(c, a, false);
    p.req(
        c,
        VcRequest::Refuse {
            vc: cvc,
            cause: CALL_REJECTED,
        },
    );
    p.expect_eq(
        a,
        VcEvent::Released {
            vc: A,
            cause: CALL_REJECTED,
        },
    );
    p.quiet(c, "a refused call is dead at once for the callee (G7)");
    p.quiet(a, "Released is the last event (G4)");
}

/// A call to an address nobody has is released with cause #1 (G1).
pub fn connect_unknown_address<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let a = p.node(1);
    let nobody = crate::test_address(999_999);
    p.req(a, VcRequest::Connect { vc: A, to: nobody });
    p.expect_eq(
        a,
        VcEvent::Released {
            vc: A,
            cause: Cause::UNALLOCATED_NUMBER,
        },
    );
    p.quiet(a, "Released is the last event (G4)");
}

/// A call to an endpoint that died is answered by exactly one `Released` (any cause) within
/// the death bound (G1).
pub fn connect_to_dead_endpoint<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (a, c) = (p.node(1), p.node(2));
    p.net.kill(c.ep);
    p.net.settle(b.quiet);
    p.req(a, VcRequest::Connect { vc: A, to: c.addr });
    match p.expect_within(a, b.death + b.event, "Released") {
        VcEvent::Released { vc, .. } => assert_eq!(vc, A),
        other => panic!("expected Released, got {other:?}"),
    }
    p.quiet(a, "Released is the last event (G4)");
}

/// Until the callee answers, the caller hears nothing about the call; then exactly one
/// `Connected` (G1).
pub fn caller_hears_nothing_before_answer<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (a, c) = (p.node(1), p.node(2));
    p.req(a, VcRequest::Connect { vc: A, to: c.addr });
    let cvc = p.expect_incoming(c, a, false);
    p.quiet(a, "the call is not answered yet (G1)");
    p.req(c, VcRequest::Accept { vc: cvc });
    p.expect_eq(a, VcEvent::Connected { vc: A });
    p.quiet(a, "exactly one answer (G1)");
}

/// The callee may send right after its own `Accept`; the caller sees `Connected` before that
/// SDU (G1, G2).
pub fn callee_may_send_after_accept<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (a, c) = (p.node(1), p.node(2));
    p.req(a, VcRequest::Connect { vc: A, to: c.addr });
    let cvc = p.expect_incoming(c, a, false);
    p.req(c, VcRequest::Accept { vc: cvc });
    p.send(c, cvc, 7);
    p.expect_eq(a, VcEvent::Connected { vc: A });
    p.expect_sdu(a, A, 7);
}

/// SDUs of one VC arrive in the order sent, each at most once — all of them on a lossless
/// network (G3).
pub fn sdus_in_order_without_duplicates<N: ContractNet>(net: &mut N, b: &Bounds) {
    const COUNT: u32 = 300;
    let mut p = Probe::new(net, b);
    let (a, c) = (p.node(1), p.node(2));
    let cvc = p.call(a, A, c);
    for i in 0..COUNT {
        p.send(a, A, i);
        p.send(c, cvc, COUNT + i);
    }
    for (at, vc, first) in [(c, cvc, 0), (a, A, COUNT)] {
        let mut next = first;
        while next < first + COUNT {
            let Some(ev) = p.net.next_event(at.ep, b.event) else {
                assert!(!b.lossless, "{:?}: SDUs {next}.. never arrived", at.ep);
                break;
            };
            let VcEvent::Received { vc: v, sdu } = ev else {
                panic!("{:?}: expected only SDUs, got {ev:?}", at.ep);
            };
            assert_eq!(v, vc);
            let n = sdu_number(&sdu).expect("a test SDU, unaltered");
            assert!(
                n >= next,
                "SDU {n} after {next} — reordered or duplicated (G3)"
            );
            assert!(
                !b.lossless || n == next,
                "SDU {next} lost on a lossless network"
            );
            next = n + 1;
        }
    }
    p.quiet(a, "no duplicates (G3)");
    p.quiet(c, "no duplicates (G3)");
}

/// The caller releases: the callee sees `Released` with the cause; the caller hears
/// nothing (G4, G7).
pub fn release_by_caller<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (a, c) = (p.node(1), p.node(2));
    let cvc = p.call(a, A, c);
    p.req(
        a,
        VcRequest::Release {
            vc: A,
            cause: NORMAL,
        },
    );
    p.expect_eq(
        c,
        VcEvent::Released {
            vc: cvc,
            cause: NORMAL,
        },
    );
    p.quiet(a, "the releasing end hears nothing (G7)");
    p.quiet(c, "Released is the last event (G4)");
}

/// The callee releases: the caller sees `Released` with the cause (G4, G7).
pub fn release_by_callee<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (a, c) = (p.node(1), p.node(2));
    let cvc = p.call(a, A, c);
    p.req(
        c,
        VcRequest::Release {
            vc: cvc,
            cause: NORMAL,
        },
    );
    p.expect_eq(
        a,
        VcEvent::Released {
            vc: A,
            cause: NORMAL,
        },
    );
    p.quiet(c, "the releasing end hears nothing (G7)");
    p.quiet(a, "Released is the last event (G4)");
}

/// The caller gives up before an answer: the callee sees nothing, or `IncomingCall` then
/// `Released`; the caller hears nothing (G2, G4, G7).
pub fn release_before_answer<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (a, c) = (p.node(1), p.node(2));
    p.req(a, VcRequest::Connect { vc: A, to: c.addr });
    p.req(
        a,
        VcRequest::Release {
            vc: A,
            cause: NORMAL,
        },
    );
    match p.net.next_event(c.ep, b.event) {
        None => {}
        Some(VcEvent::IncomingCall { vc, .. }) => match p.expect(c, "Released") {
            VcEvent::Released { vc: v, .. } => assert_eq!(v, vc),
            other => panic!("expected Released after IncomingCall, got {other:?}"),
        },
        Some(other) => panic!("IncomingCall must come first (G2), got {other:?}"),
    }
    p.quiet(c, "Released is the last event (G4)");
    p.quiet(a, "the releasing end hears nothing (G7)");
}

/// Both ends release at once: neither hears anything (G7).
pub fn simultaneous_release<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (a, c) = (p.node(1), p.node(2));
    let cvc = p.call(a, A, c);
    p.req(
        a,
        VcRequest::Release {
            vc: A,
            cause: NORMAL,
        },
    );
    p.req(
        c,
        VcRequest::Release {
            vc: cvc,
            cause: NORMAL,
        },
    );
    p.quiet(a, "its own release kills the handle at once (G7)");
    p.quiet(c, "its own release kills the handle at once (G7)");
}

/// Nothing follows `Released`, not even SDUs the peer sent just before releasing (G3, G4).
pub fn nothing_after_released<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (a, c) = (p.node(1), p.node(2));
    let cvc = p.call(a, A, c);
    for i in 0..50 {
        p.send(a, A, i);
    }
    p.req(
        a,
        VcRequest::Release {
            vc: A,
            cause: NORMAL,
        },
    );
    let mut next = 0;
    loop {
        match p.expect(c, "SDUs then Released") {
            VcEvent::Received { vc, sdu } => {
                assert_eq!(vc, cvc);
                let n = sdu_number(&sdu).expect("a test SDU");
                assert!(n >= next, "reordered or duplicated (G3)");
                next = n + 1;
            }
            VcEvent::Released { vc, cause } => {
                assert_eq!((vc, cause), (cvc, NORMAL));
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    p.quiet(c, "Released is the last event (G4)");
}

/// A local id may be reused once its VC is gone, and the new VC gets nothing of the old
/// one's.
pub fn ids_reused_after_release<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (a, c, d) = (p.node(1), p.node(2), p.node(3));
    let cvc = p.call(a, A, c);
    p.send(c, cvc, 1);
    p.expect_sdu(a, A, 1);
    p.req(
        a,
        VcRequest::Release {
            vc: A,
            cause: NORMAL,
        },
    );
    p.expect_eq(
        c,
        VcEvent::Released {
            vc: cvc,
            cause: NORMAL,
        },
    );
    let dvc = p.call(a, A, d);
    p.send(d, dvc, 2);
    p.expect_sdu(a, A, 2);
    p.quiet(a, "nothing of the old VC reaches the new one");
    p.quiet(c, "the old VC is gone");
}

/// Multipoint: each leaf sees a multipoint `IncomingCall` from the root, each add is answered
/// by one `PartyAdded`, and every leaf receives the root's SDUs in order (G3, G5).
pub fn multipoint_add_parties<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let root = p.node(1);
    let leaves = [p.node(2), p.node(3), p.node(4)];
    p.req(root, VcRequest::OpenMultipoint { vc: A });
    for (i, &leaf) in leaves.iter().enumerate() {
        p.add_party(root, A, PartyId(i as u32 + 1), leaf);
    }
    let mut ids = Vec::new();
    for &leaf in &leaves {
        let vc = p.expect_incoming(leaf, root, true);
        p.req(leaf, VcRequest::Accept { vc });
        ids.push(vc);
    }
    let mut added: Vec<u32> = (0..leaves.len())
        .map(|_| match p.expect(root, "PartyAdded") {
            VcEvent::PartyAdded { vc, party } if vc == A => party.0,
            other => panic!("expected PartyAdded, got {other:?}"),
        })
        .collect();
    added.sort_unstable();
    assert_eq!(added, [1, 2, 3], "one PartyAdded per party (G5)");
    for i in 0..10 {
        p.send(root, A, i);
    }
    for (&leaf, &vc) in leaves.iter().zip(&ids) {
        for i in 0..10 {
            p.expect_sdu(leaf, vc, i);
        }
        p.quiet(leaf, "no duplicates (G3)");
    }
    p.quiet(root, "the root receives nothing on its own VC");
}

/// A leaf that refuses becomes `PartyDropped` with its cause at the root (G5, G7).
pub fn multipoint_party_refused<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (root, leaf) = (p.node(1), p.node(2));
    p.req(root, VcRequest::OpenMultipoint { vc: A });
    p.add_party(root, A, PartyId(1), leaf);
    let lvc = p.expect_incoming(leaf, root, true);
    p.req(
        leaf,
        VcRequest::Refuse {
            vc: lvc,
            cause: CALL_REJECTED,
        },
    );
    p.expect_eq(
        root,
        VcEvent::PartyDropped {
            vc: A,
            party: PartyId(1),
            cause: CALL_REJECTED,
        },
    );
    p.quiet(leaf, "a refused call is dead at once for the callee (G7)");
    p.quiet(root, "one answer per add (G5)");
}

/// Adding an address nobody has gives `PartyDropped` with cause #1 (G5).
pub fn multipoint_party_unknown_address<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let root = p.node(1);
    p.req(root, VcRequest::OpenMultipoint { vc: A });
    p.req(
        root,
        VcRequest::AddParty {
            vc: A,
            party: PartyId(9),
            to: crate::test_address(999_999),
        },
    );
    p.expect_eq(
        root,
        VcEvent::PartyDropped {
            vc: A,
            party: PartyId(9),
            cause: Cause::UNALLOCATED_NUMBER,
        },
    );
    p.quiet(root, "one answer per add (G5)");
}

/// An SDU the root sends before `PartyAdded` does not reach that leaf; one sent after it does
/// (G5).
pub fn multipoint_no_sdu_before_party_added<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (root, old, new) = (p.node(1), p.node(2), p.node(3));
    let ids = p.tree(root, A, &[old]);
    p.add_party(root, A, PartyId(2), new);
    let nvc = p.expect_incoming(new, root, true);
    p.req(new, VcRequest::Accept { vc: nvc });
    // The root has not seen PartyAdded for party 2 yet.
    p.send(root, A, 1);
    p.expect_eq(
        root,
        VcEvent::PartyAdded {
            vc: A,
            party: PartyId(2),
        },
    );
    p.send(root, A, 2);
    p.expect_sdu(old, ids[0], 1);
    p.expect_sdu(old, ids[0], 2);
    p.expect_sdu(new, nvc, 2);
    p.quiet(new, "SDU 1 was sent before PartyAdded (G5)");
}

/// The root drops a leaf: the leaf sees `Released`, the root nothing, and later SDUs reach
/// only the remaining leaves (G6, G7).
pub fn multipoint_drop_party<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (root, l1, l2) = (p.node(1), p.node(2), p.node(3));
    let ids = p.tree(root, A, &[l1, l2]);
    p.req(
        root,
        VcRequest::DropParty {
            vc: A,
            party: PartyId(1),
            cause: NORMAL,
        },
    );
    p.send(root, A, 1);
    p.expect_eq(
        l1,
        VcEvent::Released {
            vc: ids[0],
            cause: NORMAL,
        },
    );
    p.expect_sdu(l2, ids[1], 1);
    p.quiet(l1, "no SDU after the drop (G6)");
    p.quiet(root, "its own DropParty produces no event (G7)");
}

/// A leaf leaves: the root sees `PartyDropped` with the cause, and later SDUs no longer reach
/// that leaf (G6, G7).
pub fn multipoint_leaf_release<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (root, l1, l2) = (p.node(1), p.node(2), p.node(3));
    let ids = p.tree(root, A, &[l1, l2]);
    p.req(
        l1,
        VcRequest::Release {
            vc: ids[0],
            cause: NORMAL,
        },
    );
    p.expect_eq(
        root,
        VcEvent::PartyDropped {
            vc: A,
            party: PartyId(1),
            cause: NORMAL,
        },
    );
    p.send(root, A, 1);
    p.expect_sdu(l2, ids[1], 1);
    p.quiet(l1, "the leaf left (G6, G7)");
}

/// The root releases: every leaf sees `Released`; the root hears nothing (G4, G7).
pub fn multipoint_root_release<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let root = p.node(1);
    let leaves = [p.node(2), p.node(3)];
    let ids = p.tree(root, A, &leaves);
    p.req(
        root,
        VcRequest::Release {
            vc: A,
            cause: NORMAL,
        },
    );
    for (&leaf, &vc) in leaves.iter().zip(&ids) {
        p.expect_eq(leaf, VcEvent::Released { vc, cause: NORMAL });
        p.quiet(leaf, "Released is the last event (G4)");
    }
    p.quiet(root, "its own release produces no event (G7)");
}

/// Dropping the last leaf keeps the multipoint VC: the root can add a party again (the
/// contract's deviation from UNI 3.1).
pub fn multipoint_survives_last_leaf<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (root, l1, l2) = (p.node(1), p.node(2), p.node(3));
    let ids = p.tree(root, A, &[l1]);
    p.req(
        root,
        VcRequest::DropParty {
            vc: A,
            party: PartyId(1),
            cause: NORMAL,
        },
    );
    p.expect_eq(
        l1,
        VcEvent::Released {
            vc: ids[0],
            cause: NORMAL,
        },
    );
    p.send(root, A, 1); // to no leaf at all: fine, and not misuse
    p.add_party(root, A, PartyId(2), l2);
    let vc2 = p.accept_party(root, A, PartyId(2), l2);
    p.send(root, A, 2);
    p.expect_sdu(l2, vc2, 2);
    if let Some(m) = p.net.misuse(root.ep) {
        assert_eq!(m, 0, "nothing the root did was misuse");
    }
}

/// The callee dies: the caller sees `Released` with #27 within the death bound.
pub fn peer_death_releases_call<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (a, c) = (p.node(1), p.node(2));
    p.call(a, A, c);
    p.net.kill(c.ep);
    let ev = p.expect_within(a, b.death, "Released #27");
    assert_eq!(
        ev,
        VcEvent::Released {
            vc: A,
            cause: Cause::DESTINATION_OUT_OF_ORDER
        }
    );
    p.quiet(a, "Released is the last event (G4)");
}

/// A leaf dies: the root sees `PartyDropped` with #27 for it; the other leaf still gets SDUs.
pub fn leaf_death_drops_party<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (root, l1, l2) = (p.node(1), p.node(2), p.node(3));
    let ids = p.tree(root, A, &[l1, l2]);
    p.net.kill(l1.ep);
    let ev = p.expect_within(root, b.death, "PartyDropped #27");
    assert_eq!(
        ev,
        VcEvent::PartyDropped {
            vc: A,
            party: PartyId(1),
            cause: Cause::DESTINATION_OUT_OF_ORDER
        }
    );
    p.send(root, A, 1);
    p.expect_sdu(l2, ids[1], 1);
}

/// The root dies: every leaf sees `Released` with #27 within the death bound.
pub fn root_death_releases_leaves<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let root = p.node(1);
    let leaves = [p.node(2), p.node(3)];
    let ids = p.tree(root, A, &leaves);
    p.net.kill(root.ep);
    for (&leaf, &vc) in leaves.iter().zip(&ids) {
        let ev = p.expect_within(leaf, b.death, "Released #27");
        assert_eq!(
            ev,
            VcEvent::Released {
                vc,
                cause: Cause::DESTINATION_OUT_OF_ORDER
            }
        );
    }
}

/// Requests naming unknown or dead handles, or breaking the contract, are ignored — no
/// events, no effect on working VCs — and counted where the network exposes a count (G8).
pub fn misuse_is_ignored<N: ContractNet>(net: &mut N, b: &Bounds) {
    let mut p = Probe::new(net, b);
    let (a, c, d) = (p.node(1), p.node(2), p.node(3));
    let unknown = VcId::local(77);
    let (mut bad_a, mut bad_c) = (0, 0);
    // A request the network must ignore, counted per endpoint.
    macro_rules! bad {
        (a, $req:expr) => {{
            bad_a += 1;
            p.req(a, $req);
        }};
        (c, $req:expr) => {{
            bad_c += 1;
            p.req(c, $req);
        }};
        (d, $req:expr) => {
            p.req(d, $req)
        };
    }

    // Unknown handles.
    bad!(
        a,
        VcRequest::Accept {
            vc: VcId::incoming(999)
        }
    );
    bad!(
        a,
        VcRequest::Refuse {
            vc: VcId::incoming(999),
            cause: NORMAL
        }
    );
    bad!(
        a,
        VcRequest::Release {
            vc: unknown,
            cause: NORMAL
        }
    );
    bad!(
        a,
        VcRequest::Send {
            vc: unknown,
            sdu: sdu(0)
        }
    );
    bad!(
        a,
        VcRequest::DropParty {
            vc: unknown,
            party: PartyId(1),
            cause: NORMAL
        }
    );
    bad!(
        a,
        VcRequest::AddParty {
            vc: unknown,
            party: PartyId(1),
            to: c.addr
        }
    );
    // An id the network chooses, used for an outgoing call.
    bad!(
        a,
        VcRequest::Connect {
            vc: VcId::incoming(5),
            to: c.addr
        }
    );

    // Sending before Connected: the SDU must not arrive.
    p.req(a, VcRequest::Connect { vc: A, to: c.addr });
    bad!(a, VcRequest::Send { vc: A, sdu: sdu(1) });
    let cvc = p.expect_incoming(c, a, false);
    p.req(c, VcRequest::Accept { vc: cvc });
    bad!(c, VcRequest::Accept { vc: cvc }); // twice
    p.expect_eq(a, VcEvent::Connected { vc: A });
    // An id already in use; AddParty on a point-to-point VC.
    bad!(a, VcRequest::Connect { vc: A, to: d.addr });
    bad!(
        a,
        VcRequest::AddParty {
            vc: A,
            party: PartyId(1),
            to: d.addr
        }
    );

    // A leaf may not send on a multipoint VC.
    let mvc = VcId::local(2);
    let lids = p.tree(c, mvc, &[d]);
    bad!(
        d,
        VcRequest::Send {
            vc: lids[0],
            sdu: sdu(2)
        }
    );

    // Released handles are dead.
    p.req(
        a,
        VcRequest::Release {
            vc: A,
            cause: NORMAL,
        },
    );
    p.expect_eq(
        c,
        VcEvent::Released {
            vc: cvc,
            cause: NORMAL,
        },
    );
    bad!(a, VcRequest::Send { vc: A, sdu: sdu(3) });
    bad!(
        c,
        VcRequest::Release {
            vc: cvc,
            cause: NORMAL
        }
    );

    p.quiet(a, "misuse produces no events");
    p.quiet(c, "misuse produces no events (and no early SDU)");
    p.quiet(d, "misuse produces no events");

    // Everything still works.
    p.send(c, mvc, 4);
    p.expect_sdu(d, lids[0], 4);
    let dvc = p.call(a, VcId::local(3), d);
    p.send(d, dvc, 5);
    p.expect_sdu(a, VcId::local(3), 5);
    if let Some(m) = p.net.misuse(a.ep) {
        assert_eq!(m, bad_a, "every misuse at the caller is counted");
    }
    if let Some(m) = p.net.misuse(c.ep) {
        assert_eq!(m, bad_c, "every misuse at the callee is counted");
    }
    if let Some(m) = p.net.misuse(d.ep) {
        assert_eq!(m, 1, "the leaf's send is counted");
    }
}
