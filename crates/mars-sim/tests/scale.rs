//! Scale: 10,000 endpoints; one multipoint VC with 10,000 leaves; 1,000,000 SDUs.
//!
//! These run in the normal test suite. Wall-clock numbers are measured from outside (see
//! `crates/mars-sim/README.md`); the tests themselves use virtual time only.

use std::time::Duration;

use bytes::Bytes;
use mars_proto::{Cause, PartyId, VcEvent, VcId, VcRequest};
use mars_sim::{test_address, EndpointId, Fabric, LinkConfig};

const N: u32 = 10_000;

fn incoming(f: &mut Fabric, ep: EndpointId) -> VcId {
    match f.poll_event(ep) {
        Some(VcEvent::IncomingCall { vc, .. }) => vc,
        other => panic!("{ep}: expected IncomingCall, got {other:?}"),
    }
}

#[test]
fn ten_thousand_endpoints_in_a_ring() {
    let mut f = Fabric::new(1);
    let eps: Vec<EndpointId> = (0..N)
        .map(|i| f.add_endpoint(test_address(u64::from(i))))
        .collect();
    let vc = VcId::local(1);
    for i in 0..N {
        let to = test_address(u64::from((i + 1) % N));
        f.request(eps[i as usize], VcRequest::Connect { vc, to });
    }
    f.run_until_idle();
    let theirs: Vec<VcId> = eps.iter().map(|&ep| incoming(&mut f, ep)).collect();
    for (&ep, &v) in eps.iter().zip(&theirs) {
        f.request(ep, VcRequest::Accept { vc: v });
    }
    f.run_until_idle();
    for &ep in &eps {
        assert_eq!(f.poll_event(ep), Some(VcEvent::Connected { vc }));
        f.request(
            ep,
            VcRequest::Send {
                vc,
                sdu: Bytes::from_static(b"hello, neighbour"),
            },
        );
    }
    f.run_until_idle();
    for (&ep, &v) in eps.iter().zip(&theirs) {
        assert!(matches!(f.poll_event(ep), Some(VcEvent::Received { vc, .. }) if vc == v));
    }
    assert_eq!(f.live_legs(), N as usize);
    for &ep in &eps {
        f.request(
            ep,
            VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            },
        );
    }
    f.run_until_idle();
    assert_eq!(f.live_legs(), 0);
    assert_eq!(f.totals().sdus_delivered, u64::from(N));
}

#[test]
fn one_multipoint_vc_with_ten_thousand_leaves() {
    let mut f = Fabric::new(2);
    let root = f.add_endpoint(test_address(0));
    let leaves: Vec<EndpointId> = (1..=N)
        .map(|i| f.add_endpoint(test_address(u64::from(i))))
        .collect();
    let vc = VcId::local(1);
    f.request(root, VcRequest::OpenMultipoint { vc });
    for i in 1..=N {
        let to = test_address(u64::from(i));
        f.request(
            root,
            VcRequest::AddParty {
                vc,
                party: PartyId(i),
                to,
            },
        );
    }
    f.run_until_idle();
    for &leaf in &leaves {
        let v = incoming(&mut f, leaf);
        f.request(leaf, VcRequest::Accept { vc: v });
    }
    f.run_until_idle();
    let mut added = 0;
    while let Some(ev) = f.poll_event(root) {
        assert!(matches!(ev, VcEvent::PartyAdded { .. }));
        added += 1;
    }
    assert_eq!((added, f.parties(root, vc)), (N, N as usize));
    for i in 0..10u8 {
        f.request(
            root,
            VcRequest::Send {
                vc,
                sdu: Bytes::from(vec![i; 64]),
            },
        );
    }
    f.run_until_idle();
    assert_eq!(f.totals().sdus_delivered, 10 * u64::from(N));
    f.request(
        root,
        VcRequest::Release {
            vc,
            cause: Cause::NORMAL,
        },
    );
    f.run_until_idle();
    for &leaf in &leaves {
        for i in 0..10u8 {
            assert!(
                matches!(f.poll_event(leaf), Some(VcEvent::Received { sdu, .. }) if sdu[0] == i)
            );
        }
        assert!(matches!(f.poll_event(leaf), Some(VcEvent::Released { .. })));
    }
    assert_eq!(f.live_legs(), 0);
}

#[test]
fn a_million_sdus_in_order() {
    const VCS: u32 = 100;
    const PER_VC: u32 = 10_000;
    let mut f = Fabric::new(3);
    f.set_default_link(LinkConfig {
        latency: Duration::from_micros(500),
        jitter: Duration::from_micros(300),
        loss: 0.0,
        bandwidth: Some(622_080_000),
    });
    let a = f.add_endpoint(test_address(1));
    let b = f.add_endpoint(test_address(2));
    let mut theirs = Vec::new();
    for n in 0..VCS {
        f.request(
            a,
            VcRequest::Connect {
                vc: VcId::local(u64::from(n)),
                to: test_address(2),
            },
        );
    }
    f.run_until_idle();
    for _ in 0..VCS {
        let v = incoming(&mut f, b);
        f.request(b, VcRequest::Accept { vc: v });
        theirs.push(v);
    }
    f.run_until_idle();
    while f.poll_event(a).is_some() {}

    // Send in rounds, draining as we go so that memory stays proportional to what is in
    // flight; check per-VC order on the way.
    let payload = Bytes::from(vec![0x5Au8; 100]);
    let mut next_seq = std::collections::HashMap::new();
    let mut received = 0u64;
    for round in 0..PER_VC {
        for n in 0..VCS {
            let mut sdu = payload.to_vec();
            sdu[..4].copy_from_slice(&round.to_be_bytes());
            f.request(
                a,
                VcRequest::Send {
                    vc: VcId::local(u64::from(n)),
                    sdu: Bytes::from(sdu),
                },
            );
        }
        f.run_for(Duration::from_micros(200));
        while let Some(VcEvent::Received { vc, sdu }) = f.poll_event(b) {
            let seq = u32::from_be_bytes(sdu[..4].try_into().unwrap());
            let want = next_seq.entry(vc).or_insert(0u32);
            assert_eq!(seq, *want, "{vc}: out of order");
            *want += 1;
            received += 1;
        }
    }
    f.run_until_idle();
    while let Some(VcEvent::Received { .. }) = f.poll_event(b) {
        received += 1;
    }
    assert_eq!(received, u64::from(VCS * PER_VC));
    assert_eq!(f.totals().sdus_delivered, 1_000_000);
}
