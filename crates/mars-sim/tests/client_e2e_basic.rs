//! End-to-end: MARS clients and the MARS server on the fabric — registration, JOIN, VC mesh
//! data delivery, LEAVE (RFC 2022 §5).

mod client_support;

use std::time::Duration;

use client_support::{group, Cluster, Spec};

#[test]
fn registration_join_and_mesh_delivery() {
    let mut c = Cluster::new(Spec {
        clients: 4,
        ..Spec::default()
    });
    c.run(Duration::from_secs(2));
    assert!(c.all_registered(), "{:?}", c.events);
    let g = group(1);
    for i in 1..4 {
        c.join(i, g);
    }
    c.run(Duration::from_secs(2));
    for seq in 0..10 {
        c.send(0, g, seq);
        c.run(Duration::from_millis(50));
    }
    c.run(Duration::from_secs(1));
    for i in 1..4 {
        assert_eq!(
            c.seen_from(i, g, 0),
            (0..10).collect::<Vec<_>>(),
            "client {i}: {:?}",
            c.events.get(&i)
        );
    }
    assert!(!c.seen.contains_key(&0), "the sender is not its own leaf");
}

#[test]
fn mcs_mode_forwards_and_members_drop_their_reflections() {
    let g = group(7);
    let mut c = Cluster::new(Spec {
        clients: 4,
        mcs_groups: vec![vec![g]],
        ..Spec::default()
    });
    c.run(Duration::from_secs(2));
    assert!(c.all_registered());
    assert!(c.mcs(0).is_registered(), "{:?}", c.mcs(0).state());
    for i in 0..4 {
        c.join(i, g);
    }
    c.run(Duration::from_secs(2));
    for seq in 0..10 {
        c.send(0, g, seq);
        c.send(1, g, 100 + seq);
        c.run(Duration::from_millis(50));
    }
    c.run(Duration::from_secs(1));
    for i in 0..4 {
        let from0 = c.seen_from(i, g, 0);
        let from1 = c.seen_from(i, g, 1);
        if i == 0 {
            assert!(
                from0.is_empty(),
                "own packets come back through the MCS and are dropped"
            );
        } else {
            assert_eq!(from0, (0..10).collect::<Vec<_>>(), "client {i}");
        }
        if i == 1 {
            assert!(from1.is_empty());
        } else {
            assert_eq!(from1, (100..110).collect::<Vec<_>>(), "client {i}");
        }
    }
    assert!(c.client_ref(0).stats().other.reflected >= 10);
    assert!(c.mcs(0).stats().other.forwarded >= 20);
    // Senders' VCs lead to the MCS only.
    let st = c.client_ref(0).state();
    let out = st
        .outgoing
        .iter()
        .find(|o| o.group == g)
        .expect("VC to the MCS");
    assert_eq!(out.leaves.len(), 1);
    assert_eq!(
        out.leaves[0].0,
        mars_sim::test_address(client_support::MCS_BASE)
    );
}

#[test]
fn leave_and_late_join_and_empty_group() {
    let g = group(2);
    let mut c = Cluster::new(Spec {
        clients: 3,
        ..Spec::default()
    });
    c.run(Duration::from_secs(2));
    // Nobody has joined: the group is empty, datagrams are dropped (§5.1.1).
    c.send(0, g, 0);
    c.run(Duration::from_millis(200));
    assert_eq!(
        c.count_events(0, |e| matches!(
            e,
            mars_proto::mars::client::ClientEvent::GroupEmpty(_)
        )),
        1
    );
    c.join(1, g);
    c.run(Duration::from_secs(2));
    for seq in 1..5 {
        c.send(0, g, seq);
        c.run(Duration::from_millis(100));
    }
    c.join(2, g);
    c.run(Duration::from_millis(500));
    for seq in 5..10 {
        c.send(0, g, seq);
        c.run(Duration::from_millis(100));
    }
    c.leave(1, g);
    c.run(Duration::from_millis(500));
    for seq in 10..15 {
        c.send(0, g, seq);
        c.run(Duration::from_millis(100));
    }
    c.run(Duration::from_secs(1));
    assert_eq!(c.seen_from(1, g, 0), (1..10).collect::<Vec<_>>());
    assert_eq!(c.seen_from(2, g, 0), (5..15).collect::<Vec<_>>());
}
