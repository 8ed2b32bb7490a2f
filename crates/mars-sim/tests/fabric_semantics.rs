//! What the fabric does beyond the contract: exact timing, link properties, faults, labels
//! and counters.

use std::time::Duration;

use bytes::Bytes;
use mars_proto::{Cause, Instant, PartyId, VcEvent, VcId, VcRequest};
use mars_sim::{test_address, EndpointId, Fabric, FabricConfig, LinkConfig};

const V1: VcId = VcId::local(1);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn at_ms(n: u64) -> Instant {
    Instant::ZERO + ms(n)
}

fn sdu(i: u32) -> Bytes {
    Bytes::from(i.to_be_bytes().to_vec())
}

fn number(b: &[u8]) -> u32 {
    u32::from_be_bytes(b.try_into().expect("a 4-octet test SDU"))
}

/// A fabric with endpoints 1..=n at [`test_address`].
fn fabric(n: u64) -> (Fabric, Vec<EndpointId>) {
    let mut f = Fabric::new(11);
    let eps = (1..=n).map(|i| f.add_endpoint(test_address(i))).collect();
    (f, eps)
}

/// Set up a call from `a` to `b` and return `b`'s id for it.
fn call(f: &mut Fabric, a: EndpointId, vc: VcId, b: EndpointId) -> VcId {
    let to = f.address(b).unwrap();
    f.request(a, VcRequest::Connect { vc, to });
    f.run_until_idle();
    let Some(VcEvent::IncomingCall { vc: bvc, .. }) = f.poll_event(b) else {
        panic!("no incoming call")
    };
    f.request(b, VcRequest::Accept { vc: bvc });
    f.run_until_idle();
    assert_eq!(f.poll_event(a), Some(VcEvent::Connected { vc }));
    bvc
}

#[test]
fn signalling_takes_one_link_latency_each_way() {
    let (mut f, eps) = fabric(2);
    let (a, b) = (eps[0], eps[1]);
    f.set_link(a, b, LinkConfig::with_latency(ms(5)));
    f.set_link(b, a, LinkConfig::with_latency(ms(7)));
    f.request(
        a,
        VcRequest::Connect {
            vc: V1,
            to: test_address(2),
        },
    );
    f.run_until_idle();
    let (t, ev) = f.poll_timed_event(b).unwrap();
    assert_eq!(t, at_ms(5));
    let VcEvent::IncomingCall {
        vc,
        from,
        multipoint,
    } = ev
    else {
        panic!("{ev:?}")
    };
    assert_eq!((from, multipoint), (test_address(1), false));
    f.request(b, VcRequest::Accept { vc });
    f.run_until_idle();
    assert_eq!(
        f.poll_timed_event(a),
        Some((at_ms(12), VcEvent::Connected { vc: V1 }))
    );
    f.request(
        a,
        VcRequest::Release {
            vc: V1,
            cause: Cause::NORMAL,
        },
    );
    f.run_until_idle();
    let released = VcEvent::Released {
        vc,
        cause: Cause::NORMAL,
    };
    assert_eq!(f.poll_timed_event(b), Some((at_ms(17), released)));
    assert_eq!(f.live_legs(), 0);
    assert_eq!((f.vcs_open(a), f.vcs_open(b)), (0, 0));
}

#[test]
fn network_refusals_name_the_reason() {
    let (mut f, eps) = fabric(3);
    let (a, dead, far) = (eps[0], eps[1], eps[2]);
    f.crash(dead);
    f.partition(&[&[far]]);
    let t0 = f.now();
    f.request(
        a,
        VcRequest::Connect {
            vc: VcId::local(1),
            to: test_address(99),
        },
    );
    f.request(
        a,
        VcRequest::Connect {
            vc: VcId::local(2),
            to: test_address(2),
        },
    );
    f.request(
        a,
        VcRequest::Connect {
            vc: VcId::local(3),
            to: test_address(3),
        },
    );
    f.run_until_idle();
    let got: Vec<_> = std::iter::from_fn(|| f.poll_timed_event(a)).collect();
    let refused = |n, cause| {
        (
            t0 + ms(1),
            VcEvent::Released {
                vc: VcId::local(n),
                cause,
            },
        )
    };
    assert_eq!(
        got,
        [
            refused(1, Cause::UNALLOCATED_NUMBER),
            refused(2, Cause::DESTINATION_OUT_OF_ORDER),
            refused(3, Cause::NO_ROUTE),
        ]
    );
    assert_eq!(f.pending_events(far), 0);
    assert_eq!(f.live_legs(), 0);
}

#[test]
fn jitter_and_loss_never_reorder_or_duplicate() {
    let (mut f, eps) = fabric(2);
    let (a, b) = (eps[0], eps[1]);
    let bvc = call(&mut f, a, V1, b);
    f.set_link(
        a,
        b,
        LinkConfig {
            latency: ms(2),
            jitter: ms(50),
            loss: 0.3,
            bandwidth: None,
        },
    );
    for i in 0..5_000 {
        f.request(
            a,
            VcRequest::Send {
                vc: V1,
                sdu: sdu(i),
            },
        );
        f.run_for(Duration::from_micros(100));
    }
    f.run_until_idle();
    let mut last: Option<(Instant, u32)> = None;
    let mut delivered = 0;
    while let Some((t, ev)) = f.poll_timed_event(b) {
        let VcEvent::Received { vc, sdu } = ev else {
            panic!("{ev:?}")
        };
        assert_eq!(vc, bvc);
        let n = number(&sdu);
        if let Some((lt, ln)) = last {
            assert!(n > ln, "SDU {n} after {ln}");
            assert!(t >= lt, "arrival times go back");
        }
        last = Some((t, n));
        delivered += 1;
    }
    let c = f.counters(b);
    assert_eq!(c.sdus_received, delivered);
    assert_eq!(c.sdus_received + c.sdus_lost, 5_000);
    assert!(
        (3_200..3_800).contains(&delivered),
        "about 70% delivered: {delivered}"
    );
    let t = f.totals();
    assert_eq!(
        (t.sdus_sent, t.sdus_delivered, t.sdus_lost),
        (5_000, delivered, 5_000 - delivered)
    );
}

#[test]
fn bandwidth_serialises_sdus_on_a_vc() {
    let (mut f, eps) = fabric(2);
    let (a, b) = (eps[0], eps[1]);
    let bvc = call(&mut f, a, V1, b);
    // 1250 octets at 10 Mbit/s is 1 ms on the wire.
    f.set_link(
        a,
        b,
        LinkConfig {
            bandwidth: Some(10_000_000),
            ..LinkConfig::with_latency(ms(3))
        },
    );
    let t0 = f.now();
    for _ in 0..4 {
        f.request(
            a,
            VcRequest::Send {
                vc: V1,
                sdu: Bytes::from(vec![0u8; 1250]),
            },
        );
    }
    f.run_until_idle();
    let times: Vec<Duration> = std::iter::from_fn(|| f.poll_timed_event(b))
        .map(|(t, ev)| {
            assert!(matches!(ev, VcEvent::Received { vc, .. } if vc == bvc));
            t - t0
        })
        .collect();
    assert_eq!(times, [ms(4), ms(5), ms(6), ms(7)]);
}

#[test]
fn a_release_arrives_after_the_data_sent_before_it() {
    let (mut f, eps) = fabric(2);
    let (a, b) = (eps[0], eps[1]);
    let bvc = call(&mut f, a, V1, b);
    f.set_link(
        a,
        b,
        LinkConfig {
            jitter: ms(30),
            ..LinkConfig::default()
        },
    );
    for i in 0..20 {
        f.request(
            a,
            VcRequest::Send {
                vc: V1,
                sdu: sdu(i),
            },
        );
    }
    f.request(
        a,
        VcRequest::Release {
            vc: V1,
            cause: Cause::NORMAL,
        },
    );
    f.run_until_idle();
    let evs: Vec<_> = std::iter::from_fn(|| f.poll_event(b)).collect();
    assert_eq!(evs.len(), 21);
    assert_eq!(
        evs[20],
        VcEvent::Released {
            vc: bvc,
            cause: Cause::NORMAL
        }
    );
}

#[test]
fn short_partitions_lose_sdus_long_ones_release_calls() {
    let config = FabricConfig {
        partition_detection: ms(500),
        ..FabricConfig::default()
    };
    let mut f = Fabric::with_config(config);
    let a = f.add_endpoint(test_address(1));
    let b = f.add_endpoint(test_address(2));
    let bvc = call(&mut f, a, V1, b);

    // 300 ms outage: SDUs lost meanwhile, the call survives.
    f.isolate(b);
    assert!(!f.reachable(a, b));
    f.request(
        a,
        VcRequest::Send {
            vc: V1,
            sdu: sdu(1),
        },
    );
    f.run_for(ms(300));
    f.heal();
    f.request(
        a,
        VcRequest::Send {
            vc: V1,
            sdu: sdu(2),
        },
    );
    f.run_until_idle();
    assert_eq!(
        f.poll_event(b),
        Some(VcEvent::Received {
            vc: bvc,
            sdu: sdu(2)
        })
    );
    assert_eq!(f.poll_event(b), None);
    assert_eq!(f.counters(b).sdus_lost, 1);

    // A lasting one: both ends released with #27 once detection runs.
    f.partition(&[&[a], &[b]]);
    let t0 = f.now();
    f.run_until_idle();
    let lost = Cause::DESTINATION_OUT_OF_ORDER;
    assert_eq!(
        f.poll_timed_event(a),
        Some((
            t0 + ms(500),
            VcEvent::Released {
                vc: V1,
                cause: lost
            }
        ))
    );
    assert_eq!(
        f.poll_timed_event(b),
        Some((
            t0 + ms(500),
            VcEvent::Released {
                vc: bvc,
                cause: lost
            }
        ))
    );
    assert_eq!(f.live_legs(), 0);
}

#[test]
fn partitions_drop_parties_towards_both_sides() {
    let (mut f, eps) = fabric(3);
    let (root, near, far) = (eps[0], eps[1], eps[2]);
    f.request(root, VcRequest::OpenMultipoint { vc: V1 });
    for (p, leaf) in [(1, near), (2, far)] {
        let to = f.address(leaf).unwrap();
        f.request(
            root,
            VcRequest::AddParty {
                vc: V1,
                party: PartyId(p),
                to,
            },
        );
    }
    f.run_until_idle();
    let mut leaf_vcs = Vec::new();
    for leaf in [near, far] {
        let Some(VcEvent::IncomingCall {
            vc,
            multipoint: true,
            ..
        }) = f.poll_event(leaf)
        else {
            panic!()
        };
        f.request(leaf, VcRequest::Accept { vc });
        leaf_vcs.push(vc);
    }
    f.run_until_idle();
    while f.poll_event(root).is_some() {}
    f.partition(&[&[root, near]]);
    f.run_until_idle();
    let lost = Cause::DESTINATION_OUT_OF_ORDER;
    assert_eq!(
        f.poll_event(root),
        Some(VcEvent::PartyDropped {
            vc: V1,
            party: PartyId(2),
            cause: lost
        })
    );
    assert_eq!(
        f.poll_event(far),
        Some(VcEvent::Released {
            vc: leaf_vcs[1],
            cause: lost
        })
    );
    assert_eq!(f.poll_event(near), None);
    assert_eq!(f.parties(root, V1), 1);
}

#[test]
fn crash_discards_queued_events_and_releases_peers_after_detection() {
    let (mut f, eps) = fabric(3);
    let (a, b, c) = (eps[0], eps[1], eps[2]);
    let bvc = call(&mut f, a, V1, b);
    // An event waiting at b, and a call on its way to b.
    f.request(
        a,
        VcRequest::Send {
            vc: V1,
            sdu: sdu(1),
        },
    );
    f.run_until_idle();
    f.request(
        c,
        VcRequest::Connect {
            vc: V1,
            to: test_address(2),
        },
    );
    assert_eq!(f.pending_events(b), 1);
    let t0 = f.now();
    f.crash(b);
    assert!(!f.is_alive(b));
    assert_eq!((f.pending_events(b), f.vcs_open(b)), (0, 0));
    f.run_until_idle();
    let lost = Cause::DESTINATION_OUT_OF_ORDER;
    let detected = t0 + Duration::from_secs(1);
    assert_eq!(
        f.poll_timed_event(a),
        Some((
            detected,
            VcEvent::Released {
                vc: V1,
                cause: lost
            }
        ))
    );
    assert_eq!(
        f.poll_timed_event(c),
        Some((
            detected,
            VcEvent::Released {
                vc: V1,
                cause: lost
            }
        ))
    );
    assert_eq!(f.live_legs(), 0);

    // Requests from the dead are misuse; a restart gives the address back, without VCs.
    f.request(
        b,
        VcRequest::Send {
            vc: bvc,
            sdu: sdu(2),
        },
    );
    assert_eq!(f.misuse(b).0, 1);
    f.restart(b);
    assert_eq!(f.pending_events(b), 0);
    let again = call(&mut f, a, VcId::local(2), b);
    assert!(again.is_incoming());
    assert_eq!(f.vcs_open(b), 1);
}

#[test]
fn a_root_crash_releases_every_leaf() {
    let (mut f, eps) = fabric(4);
    let root = eps[0];
    f.request(root, VcRequest::OpenMultipoint { vc: V1 });
    for (i, &leaf) in eps[1..].iter().enumerate() {
        let to = f.address(leaf).unwrap();
        f.request(
            root,
            VcRequest::AddParty {
                vc: V1,
                party: PartyId(i as u32),
                to,
            },
        );
    }
    f.run_until_idle();
    for &leaf in &eps[1..] {
        let Some(VcEvent::IncomingCall { vc, .. }) = f.poll_event(leaf) else {
            panic!()
        };
        f.request(leaf, VcRequest::Accept { vc });
    }
    f.run_for(ms(1)); // the CONNECTs are still travelling when the root dies
    f.crash(root);
    f.run_until_idle();
    for &leaf in &eps[1..] {
        let ev = f.poll_event(leaf);
        assert!(
            matches!(
                ev,
                Some(VcEvent::Released {
                    cause: Cause::DESTINATION_OUT_OF_ORDER,
                    ..
                })
            ),
            "{ev:?}"
        );
    }
    assert_eq!(f.live_legs(), 0);
}

#[test]
fn labels_are_unique_start_at_vci_32_and_are_reused() {
    let (mut f, eps) = fabric(3);
    let (a, b, c) = (eps[0], eps[1], eps[2]);
    let bvc = call(&mut f, a, V1, b);
    let cvc = call(&mut f, a, VcId::local(2), c);
    let labels = [
        f.label(a, V1).unwrap(),
        f.label(b, bvc).unwrap(),
        f.label(a, VcId::local(2)).unwrap(),
        f.label(c, cvc).unwrap(),
    ];
    let mut vcis: Vec<u16> = labels.iter().map(|l| l.vci).collect();
    vcis.sort_unstable();
    assert_eq!(vcis, [32, 33, 34, 35]);
    assert!(labels.iter().all(|l| l.vpi == 0));
    f.request(
        a,
        VcRequest::Release {
            vc: V1,
            cause: Cause::NORMAL,
        },
    );
    f.run_until_idle();
    assert_eq!(f.label(a, V1), None);
    assert!(matches!(f.poll_event(b), Some(VcEvent::Released { .. })));
    let dvc = call(&mut f, c, VcId::local(9), b);
    let reused = [
        f.label(c, VcId::local(9)).unwrap().vci,
        f.label(b, dvc).unwrap().vci,
    ];
    assert!(
        reused
            .iter()
            .all(|v| [labels[0].vci, labels[1].vci].contains(v)),
        "{reused:?}"
    );
}

#[test]
fn loopback_calls_work() {
    let (mut f, eps) = fabric(1);
    let a = eps[0];
    let avc = call(&mut f, a, V1, a);
    f.request(
        a,
        VcRequest::Send {
            vc: V1,
            sdu: sdu(5),
        },
    );
    f.run_until_idle();
    assert_eq!(
        f.poll_event(a),
        Some(VcEvent::Received {
            vc: avc,
            sdu: sdu(5)
        })
    );
    assert_eq!(f.vcs_open(a), 2);
}

#[test]
fn misuse_is_counted_per_endpoint_and_fabric_wide() {
    let (mut f, eps) = fabric(2);
    let (a, b) = (eps[0], eps[1]);
    let bvc = call(&mut f, a, V1, b);
    let too_big = Bytes::from(vec![0u8; mars_proto::vc::DEFAULT_MAX_SDU + 1]);
    f.request(
        a,
        VcRequest::Send {
            vc: V1,
            sdu: too_big,
        },
    );
    f.request(b, VcRequest::OpenMultipoint { vc: bvc });
    f.request(EndpointId(42), VcRequest::OpenMultipoint { vc: V1 });
    f.run_until_idle();
    assert_eq!((f.misuse(a).0, f.misuse(b).0), (1, 1));
    assert_eq!(f.totals().misuse, 3);
    assert_eq!(f.pending_events(b), 0);
}

#[test]
fn counters_follow_the_traffic() {
    let (mut f, eps) = fabric(3);
    let (root, l1, l2) = (eps[0], eps[1], eps[2]);
    f.request(root, VcRequest::OpenMultipoint { vc: V1 });
    for (p, leaf) in [(1, l1), (2, l2)] {
        let to = f.address(leaf).unwrap();
        f.request(
            root,
            VcRequest::AddParty {
                vc: V1,
                party: PartyId(p),
                to,
            },
        );
    }
    f.run_until_idle();
    for leaf in [l1, l2] {
        let Some(VcEvent::IncomingCall { vc, .. }) = f.poll_event(leaf) else {
            panic!()
        };
        f.request(leaf, VcRequest::Accept { vc });
    }
    f.run_until_idle();
    for i in 0..3 {
        f.request(
            root,
            VcRequest::Send {
                vc: V1,
                sdu: sdu(i),
            },
        );
    }
    f.run_until_idle();
    let t = f.totals();
    assert_eq!((t.sdus_sent, t.sdu_copies, t.sdus_delivered), (3, 6, 6));
    assert_eq!(f.counters(root).sdus_sent, 3);
    assert_eq!(f.counters(l1).sdus_received, 3);
    assert_eq!(f.counters(root).events, 2); // two PartyAdded
    assert_eq!(
        (f.vcs_open(root), f.parties(root, V1), f.vcs_open(l1)),
        (1, 2, 1)
    );
}
