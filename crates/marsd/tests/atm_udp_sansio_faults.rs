//! The sans-IO endpoint under virtual time with faults: loss, duplication, reordering,
//! silent and restarted peers, random churn. No sockets, no sleeps.

use std::sync::Arc;

use marsd::atm_udp::{Endpoint, Underlay};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;

use mars_proto::{Cause, PartyId, VcEvent, VcId, VcRequest};

mod atm_udp_pipe;
use atm_udp_pipe::{quick, sdu, Faults, Net};

#[test]
fn calls_complete_despite_loss_by_retransmission() {
    let faults = Faults {
        loss: 0.2,
        ..Faults::default()
    };
    let mut n = Net::new(2, quick(), faults, 7);
    let to = n.addr(1);
    for k in 0..50 {
        n.request(
            0,
            VcRequest::Connect {
                vc: VcId::local(k),
                to,
            },
        );
    }
    n.settle(Duration::from_millis(200));
    let incoming: Vec<VcId> = n
        .take_events(1)
        .iter()
        .filter(|e| matches!(e, VcEvent::IncomingCall { .. }))
        .map(|e| e.vc())
        .collect();
    for inc in &incoming {
        n.request(1, VcRequest::Accept { vc: *inc });
    }
    n.settle(Duration::from_millis(500));
    let at_caller = n.take_events(0);
    let connected = at_caller
        .iter()
        .filter(|e| matches!(e, VcEvent::Connected { .. }))
        .count();
    let released = at_caller.len() - connected;
    // Each call ends in exactly one Connected or Released (guarantee 1). At 20% loss each way
    // a call fails only when 8 consecutive SETUP/CALL PROCEEDING round trips fail.
    assert_eq!(connected + released, 50);
    let (c0, c1) = (n.ep(0).counters().clone(), n.ep(1).counters().clone());
    assert!(
        connected >= 45,
        "{connected} connected: {at_caller:?} {c0:?} {c1:?}"
    );
    assert!(n.ep(0).counters().retransmissions > 0);
    assert_eq!(
        incoming.len(),
        50,
        "every SETUP eventually arrived, each acted on once"
    );
}

#[test]
fn duplicated_setup_is_acted_on_once() {
    let faults = Faults {
        duplicate: 1.0,
        jitter_us: 3_000,
        ..Faults::default()
    };
    let mut n = Net::new(2, quick(), faults, 8);
    let to = n.addr(1);
    for k in 0..20 {
        n.request(
            0,
            VcRequest::Connect {
                vc: VcId::local(k),
                to,
            },
        );
    }
    n.settle(Duration::from_millis(20));
    let calls = n.take_events(1);
    assert_eq!(calls.len(), 20);
    for e in &calls {
        // Refuse half: a late duplicate SETUP then meets a tombstone and is answered again.
        let vc = e.vc();
        if vc.0 % 2 == 0 {
            n.request(
                1,
                VcRequest::Refuse {
                    vc,
                    cause: Cause::USER_BUSY,
                },
            );
        } else {
            n.request(1, VcRequest::Accept { vc });
        }
    }
    n.settle(Duration::from_millis(300));
    assert_eq!(
        n.take_events(1),
        [],
        "no second IncomingCall for a duplicated SETUP"
    );
    assert_eq!(n.take_events(0).len(), 20, "one answer per call");
    assert!(n.ep(1).counters().duplicates_answered > 0);
}

#[test]
fn data_is_never_duplicated_or_reordered() {
    let faults = Faults {
        duplicate: 0.3,
        loss: 0.05,
        jitter_us: 2_000,
    };
    let mut n = Net::new(2, quick(), Faults::default(), 9);
    let vc = VcId::local(1);
    let inc = n.call(0, 1, vc);
    n.faults = faults;
    for k in 0..2_000u32 {
        n.request(0, VcRequest::Send { vc, sdu: sdu(k) });
        if k % 50 == 0 {
            n.settle(Duration::from_micros(300));
        }
    }
    n.settle(Duration::from_millis(20));
    let got: Vec<u32> = n
        .take_events(1)
        .into_iter()
        .map(|e| match e {
            VcEvent::Received { vc, sdu } if vc == inc => {
                u32::from_be_bytes(sdu[8..12].try_into().unwrap())
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert!(got.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    assert!(got.len() > 50, "some arrive ({})", got.len());
    assert!(n.ep(1).counters().drop_late_or_duplicate > 0);

    // Duplication without reordering or loss: every SDU exactly once.
    n.faults = Faults {
        duplicate: 0.5,
        ..Faults::default()
    };
    for k in 0..1_000u32 {
        n.request(0, VcRequest::Send { vc, sdu: sdu(k) });
    }
    n.settle(Duration::from_millis(20));
    let got = n.take_events(1);
    assert_eq!(got.len(), 1_000, "{got:?}");
    for (k, e) in got.into_iter().enumerate() {
        assert_eq!(
            e,
            VcEvent::Received {
                vc: inc,
                sdu: sdu(k as u32)
            }
        );
    }
}

#[test]
fn silent_peer_is_declared_dead_within_the_bound() {
    let cfg = quick();
    let mut n = Net::new(3, cfg.clone(), Faults::default(), 10);
    let (p2p, mp) = (VcId::local(1), VcId::local(2));
    n.call(0, 1, p2p);
    n.request(0, VcRequest::OpenMultipoint { vc: mp });
    let to = n.addr(1);
    n.request(
        0,
        VcRequest::AddParty {
            vc: mp,
            party: PartyId(5),
            to,
        },
    );
    n.settle(Duration::from_millis(5));
    let Some(VcEvent::IncomingCall { vc: leaf, .. }) = n.next_event(1) else {
        panic!()
    };
    n.request(1, VcRequest::Accept { vc: leaf });
    // Endpoint 2 calls endpoint 0 too, and stays alive throughout.
    let other = n.call(2, 0, VcId::local(1));
    n.settle(Duration::from_millis(5));
    n.take_events(0);
    // Run a while: keepalives keep everyone alive.
    n.settle(Duration::from_secs(2));
    assert_eq!(n.take_events(0), []);
    // Kill endpoint 1.
    n.eps[1] = None;
    let killed = n.now;
    let bound = cfg.dead_after() + cfg.keepalive_interval;
    let mut lost = Vec::new();
    while lost.len() < 2 && n.now - killed <= bound + Duration::from_millis(1) {
        n.settle(Duration::from_millis(1));
        lost.extend(n.take_events(0).into_iter().map(|e| (e, n.now - killed)));
    }
    let events: Vec<_> = lost.iter().map(|(e, _)| e.clone()).collect();
    assert!(events.contains(&VcEvent::Released {
        vc: p2p,
        cause: Cause::DESTINATION_OUT_OF_ORDER
    }));
    assert!(events.contains(&VcEvent::PartyDropped {
        vc: mp,
        party: PartyId(5),
        cause: Cause::DESTINATION_OUT_OF_ORDER
    }));
    for (_, after) in &lost {
        assert!(*after <= bound, "declared dead after {after:?} > {bound:?}");
        assert!(
            *after >= cfg.dead_after() - cfg.keepalive_interval,
            "too early: {after:?}"
        );
    }
    // The healthy call from endpoint 2 is untouched.
    n.settle(Duration::from_secs(1));
    assert_eq!(n.take_events(0), []);
    n.request(
        0,
        VcRequest::Send {
            vc: other,
            sdu: sdu(1),
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(n.take_events(2).len(), 1);
}

#[test]
fn restarted_peer_is_detected_by_its_instance() {
    let cfg = quick();
    let mut n = Net::new(2, cfg.clone(), Faults::default(), 11);
    let vc = VcId::local(1);
    n.call(0, 1, vc);
    n.settle(Duration::from_millis(300));
    // Endpoint 1 restarts with a new instance number and calls endpoint 0 again.
    let me = n.addr(1);
    let underlay = Arc::new(Underlay::new());
    n.eps[1] = Some(Endpoint::new(cfg, me, underlay, 99));
    let vc2 = VcId::local(1);
    let inc = n.call(1, 0, vc2);
    let evs = n.take_events(0);
    assert_eq!(
        evs,
        [VcEvent::Released {
            vc,
            cause: Cause::DESTINATION_OUT_OF_ORDER
        }]
    );
    n.settle(Duration::from_millis(500));
    assert_eq!(n.take_events(0), [], "the new call survives");
    n.request(
        0,
        VcRequest::Send {
            vc: inc,
            sdu: sdu(3),
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(
        n.take_events(1),
        [VcEvent::Received {
            vc: vc2,
            sdu: sdu(3)
        }]
    );
}

#[test]
fn randomised_churn_keeps_the_contract() {
    // Calls opened and released at random from both ends under loss, duplication and
    // reordering. Per VC at each endpoint: the first event is Connected/Released (caller) or
    // IncomingCall (callee) (guarantees 1, 2); Released is the last (guarantee 4).
    let faults = Faults {
        loss: 0.1,
        duplicate: 0.1,
        jitter_us: 1_000,
    };
    let mut n = Net::new(3, quick(), faults, 12);
    let mut rng = StdRng::seed_from_u64(99);
    let mut open: Vec<(usize, VcId)> = Vec::new();
    let mut log: Vec<Vec<VcEvent>> = vec![Vec::new(); 3];
    let mut next = 0u64;
    for round in 0..400 {
        let a = rng.gen_range(0..3);
        match rng.gen_range(0..3) {
            0 if round < 300 => {
                let b = rng.gen_range(0..3);
                let vc = VcId::local(next);
                next += 1;
                let to = n.addr(b);
                n.request(a, VcRequest::Connect { vc, to });
                open.push((a, vc));
            }
            1 if !open.is_empty() => {
                let (i, vc) = open.swap_remove(rng.gen_range(0..open.len()));
                n.request(
                    i,
                    VcRequest::Release {
                        vc,
                        cause: Cause::NORMAL,
                    },
                );
            }
            _ => {}
        }
        n.settle(Duration::from_millis(2));
        for (i, l) in log.iter_mut().enumerate() {
            for e in n.take_events(i) {
                if let VcEvent::IncomingCall { vc, .. } = e {
                    if rng.gen_bool(0.8) {
                        n.request(i, VcRequest::Accept { vc });
                        open.push((i, vc));
                    } else {
                        n.request(
                            i,
                            VcRequest::Refuse {
                                vc,
                                cause: Cause::USER_BUSY,
                            },
                        );
                    }
                }
                l.push(e);
            }
        }
    }
    n.settle(Duration::from_secs(2));
    for (i, l) in log.iter_mut().enumerate() {
        l.extend(n.take_events(i));
        let mut by_vc: std::collections::BTreeMap<VcId, Vec<&VcEvent>> = Default::default();
        for e in l.iter() {
            by_vc.entry(e.vc()).or_default().push(e);
        }
        for (vc, evs) in by_vc {
            let first_ok = if vc.is_incoming() {
                matches!(evs[0], VcEvent::IncomingCall { .. })
            } else {
                matches!(evs[0], VcEvent::Connected { .. } | VcEvent::Released { .. })
            };
            assert!(first_ok, "endpoint {i} {vc}: {evs:?}");
            let releases = evs
                .iter()
                .filter(|e| matches!(e, VcEvent::Released { .. }))
                .count();
            assert!(releases <= 1, "endpoint {i} {vc}: {evs:?}");
            if releases == 1 {
                assert!(
                    matches!(evs.last(), Some(VcEvent::Released { .. })),
                    "{evs:?}"
                );
            }
        }
    }
}
