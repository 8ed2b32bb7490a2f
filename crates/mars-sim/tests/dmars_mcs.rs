//! RFC 2443 §5.2, §5.5 with RFC 2022 §6.2: an MCS registered at one server of the group
//! serves a group whose members are registered at the others.

mod dmars_support;

use std::time::Duration;

use dmars_support::{group, Lis, LisSpec};
use mars_sim::test_address;

#[test]
fn serve_migrate_forward_and_unserve_across_servers() {
    for seed in 1..=3 {
        let g = group(5);
        let mut lis = Lis::new(LisSpec {
            seed,
            servers: 3,
            clients: 9,
            // One MCS, registered with server 0, serving nothing yet.
            mcs_groups: vec![vec![]],
            ..LisSpec::default()
        });
        lis.run(Duration::from_secs(6));
        assert!(lis.mcs(0).is_registered(), "seed {seed}");
        // Members at every server; a VC mesh first.
        let members = [1, 2, 4, 5];
        for &i in &members {
            lis.join(i, g);
        }
        lis.run(Duration::from_secs(2));
        lis.send(0, g, 1);
        lis.run(Duration::from_secs(1));
        for &i in &members {
            assert_eq!(
                lis.seen_from(i, g, 0),
                vec![1],
                "seed {seed}: mesh delivery to {i}"
            );
        }
        // The MCS starts serving g: every server learns the server map (RFC 2443 §5.2) and
        // issues MARS_MIGRATE on its own ClusterControlVC.
        lis.serve(0, g);
        lis.run(Duration::from_secs(2));
        let mcs_addr = test_address(dmars_support::MCS_BASE);
        for s in 0..3 {
            assert_eq!(
                lis.server_map(s, g),
                vec![mcs_addr],
                "seed {seed}: server {s}'s server map"
            );
            assert!(
                lis.server(s).server().stats().mars_stat_tx_migrate_msgs >= 1,
                "seed {seed}: server {s} sent MARS_MIGRATE"
            );
        }
        // Data now goes through the MCS, exactly once to each member, never back to the sender.
        for seq in 2..=6 {
            lis.send(0, g, seq);
            lis.send(4, g, seq);
            lis.run(Duration::from_millis(300));
        }
        lis.run(Duration::from_secs(1));
        for &i in &members {
            for (&(from, seq), &n) in &lis.copies(i, g) {
                assert_eq!(n, 1, "seed {seed}: member {i} got ({from},{seq}) {n} times");
            }
            assert!(
                lis.seen_from(i, g, 0).ends_with(&[2, 3, 4, 5, 6]),
                "seed {seed}: member {i}: {:?}",
                lis.seen_from(i, g, 0)
            );
        }
        assert!(
            lis.seen_from(4, g, 4).is_empty(),
            "seed {seed}: the MCS reflected a member's own datagram"
        );
        assert!(
            lis.mcs(0).stats().other.forwarded >= 1,
            "seed {seed}: the MCS forwarded"
        );
        // A member joins at server 2 now. RFC 2443 §5.3: "Only the MARS Servers which contain
        // the registered MCS Clients for the target group ranges should propagate this
        // information to their SCVCs": server 0 sends MARS_SJOIN, servers 1 and 2 do not.
        lis.join(8, g);
        lis.run(Duration::from_secs(2));
        assert_eq!(
            lis.server(0).server().stats().mars_stat_tx_sjoin_msgs,
            1,
            "seed {seed}"
        );
        for s in 1..3 {
            assert_eq!(
                lis.server(s).server().stats().mars_stat_tx_sjoin_msgs,
                0,
                "seed {seed}: server {s}"
            );
        }
        lis.send(0, g, 7);
        lis.run(Duration::from_secs(1));
        assert_eq!(
            lis.seen_from(8, g, 0),
            vec![7],
            "seed {seed}: the late member gets data through the MCS"
        );
        // The MCS stops serving: every server drops the server map and "MUST send out a
        // MARS_LEAVE message on it's CCVC" (RFC 2443 §5.5); senders fall back to the mesh.
        let leaves: Vec<u64> = (0..3)
            .map(|s| lis.server(s).server().stats().mars_stat_tx_leave_msgs)
            .collect();
        lis.unserve(0, g);
        lis.run(Duration::from_secs(3));
        for (s, &before) in leaves.iter().enumerate() {
            assert!(lis.server_map(s, g).is_empty(), "seed {seed}: server {s}");
            assert!(
                lis.server(s).server().stats().mars_stat_tx_leave_msgs > before,
                "seed {seed}: server {s} sent MARS_LEAVE"
            );
        }
        for seq in 10..=12 {
            lis.send(0, g, seq);
            lis.run(Duration::from_millis(300));
        }
        lis.run(Duration::from_secs(2));
        for &i in &members {
            let got = lis.seen_from(i, g, 0);
            assert!(
                got.ends_with(&[10, 11, 12]) || got.ends_with(&[11, 12]),
                "seed {seed}: member {i} after unserve: {got:?}"
            );
        }
    }
}

/// RFC 2443 §5.5: "If a registered MCS Client is unexpectedly removed from the SCVC the MARS
/// Server owning the SCVC MUST act as a proxy and send a MCS Unserve/Deregister request to the
/// SG": when the MCS dies, every server forgets it and its groups revert to the mesh.
#[test]
fn a_crashed_mcs_is_proxy_deregistered_everywhere() {
    let g = group(5);
    let mut lis = Lis::new(LisSpec {
        servers: 3,
        clients: 6,
        mcs_groups: vec![vec![g]],
        ..LisSpec::default()
    });
    lis.run(Duration::from_secs(6));
    for i in [1, 2, 4] {
        lis.join(i, g);
    }
    lis.run(Duration::from_secs(2));
    for s in 0..3 {
        assert_eq!(lis.server_map(s, g).len(), 1, "server {s}");
    }
    lis.sim.crash(lis.mcss[0]);
    lis.run(Duration::from_secs(4));
    for s in 0..3 {
        assert!(
            lis.server_map(s, g).is_empty(),
            "server {s} still lists the dead MCS"
        );
        assert!(
            lis.server(s).server().clusters()[0]
                .db
                .mcss()
                .next()
                .is_none(),
            "server {s}"
        );
    }
    // Data flows again, over the mesh.
    for seq in 1..=3 {
        lis.send(0, g, seq);
        lis.run(Duration::from_millis(300));
    }
    lis.run(Duration::from_secs(2));
    for i in [1, 2, 4] {
        let got = lis.seen_from(i, g, 0);
        assert!(got.ends_with(&[3]), "member {i}: {got:?}");
    }
}

/// Hole punching across servers (RFC 2443 §5.3 with RFC 2022 §6.2.4, Appendix A): a router
/// registered at one server joins a block holding a group an MCS at another server serves.
/// Every server's ClusterControlVC copy leaves the served group out; the MCS's server gives the
/// MCS the block (MARS_SJOIN), so the router gets the served group's traffic through the MCS,
/// once.
#[test]
fn block_join_is_hole_punched_at_every_server() {
    let served = group(5);
    let mesh = group(6);
    let mut lis = Lis::new(LisSpec {
        servers: 3,
        clients: 6,
        mcs_groups: vec![vec![served]],
        ..LisSpec::default()
    });
    lis.run(Duration::from_secs(6));
    // Client 2 (at server 2) is a promiscuous router for 224.1.0.0/24.
    lis.join_block(2, group(0), group(255));
    lis.join(4, served);
    lis.join(1, mesh);
    lis.run(Duration::from_secs(3));
    for s in 0..3 {
        let db = &lis.server(s).server().clusters()[0].db;
        let router = db
            .member_by_addr(&test_address(3))
            .expect("router known everywhere");
        assert!(
            db.is_member(router, &served) && db.is_member(router, &mesh),
            "server {s}"
        );
    }
    for seq in 1..=3 {
        lis.send(0, served, seq);
        lis.send(0, mesh, seq);
        lis.run(Duration::from_millis(300));
    }
    lis.run(Duration::from_secs(1));
    for g in [served, mesh] {
        for (&k, &n) in &lis.copies(2, g) {
            assert_eq!(n, 1, "router got {k:?} in {g} {n} times");
        }
        assert_eq!(lis.seen_from(2, g, 0), vec![1, 2, 3], "router in {g}");
    }
    assert_eq!(lis.seen_from(4, served, 0), vec![1, 2, 3]);
    assert_eq!(lis.seen_from(1, mesh, 0), vec![1, 2, 3]);
}
