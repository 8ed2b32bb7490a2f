//! RFC 2443 on the fabric: a server group kept consistent by SCSP.

mod dmars_support;

use std::collections::BTreeSet;
use std::time::Duration;

use dmars_support::{group, Lis, LisSpec, Topology};

/// RFC 2443 §1: "any MARS Server within the LIS MUST be able to provide layer 3 multicast
/// information about any multicast group within the LIS". 3 to 8 servers in mesh, ring, line
/// and star graphs, clients spread over them: a join at any server is in every server's
/// database (what MARS_REQUEST answers) and reaches every member through its own server's
/// ClusterControlVC (data from a client of another server arrives).
#[test]
fn joins_at_any_server_are_seen_at_every_server() {
    for servers in 3..=8 {
        for topology in [
            Topology::Mesh,
            Topology::Ring,
            Topology::Line,
            Topology::Star,
        ] {
            let clients = 2 * servers;
            let mut lis = Lis::new(LisSpec {
                seed: servers as u64,
                topology,
                servers,
                clients,
                ..LisSpec::default()
            });
            lis.run(Duration::from_secs(6));
            let case = format!("{servers} servers, {topology:?}");
            assert!(lis.all_registered(), "{case}: every client registered");
            let g = group(1);
            // Members registered at three different servers; the sender at the last server.
            let joined = [1, 2, 3];
            for &i in &joined {
                lis.join(i, g);
            }
            lis.run(Duration::from_secs(3));
            let want = lis.members(&joined);
            for s in 0..servers {
                assert_eq!(lis.host_map(s, g), want, "{case}: server {s}");
            }
            let sender = clients - 1;
            for seq in 1..=5 {
                lis.send(sender, g, seq);
                lis.run(Duration::from_millis(200));
            }
            lis.run(Duration::from_secs(1));
            for &i in &joined {
                assert_eq!(
                    lis.seen_from(i, g, sender as u32),
                    vec![1, 2, 3, 4, 5],
                    "{case}: member {i}"
                );
            }
            assert!(
                lis.seen_from(0, g, sender as u32).is_empty(),
                "{case}: a non-member got data"
            );
        }
    }
}

/// RFC 2443 §2: a dead server's peers flush what it advertised after two missed redirect
/// updates; its clients step to the next server of the redirect map, register there (a CMI
/// from that server's range) and re-join; data flows again; every live server's database is
/// then exactly the live clients' memberships.
#[test]
fn a_dead_servers_clients_fail_over_and_nothing_is_lost_or_stale() {
    for seed in 1..=3 {
        let mut lis = Lis::new(LisSpec {
            seed,
            servers: 3,
            clients: 9,
            ..LisSpec::default()
        });
        lis.run(Duration::from_secs(6));
        assert!(lis.all_registered(), "seed {seed}");
        let g = group(7);
        let members = [0, 1, 2, 3, 4, 5];
        for &i in &members {
            lis.join(i, g);
        }
        lis.run(Duration::from_secs(3));
        // Server 0 dies; clients 0, 3 and 6 were its own.
        let dead = lis.servers[0];
        let killed_at = lis.now();
        lis.sim.crash(dead);
        let interval = Duration::from_secs(2);
        let mut flushed_at = [None; 3];
        for _ in 0..200 {
            lis.run(Duration::from_millis(50));
            for (s, at) in flushed_at.iter_mut().enumerate().skip(1) {
                let f = lis.server_events.get(&s).is_some_and(|v| {
                    v.iter().any(|e| {
                        matches!(e, mars_proto::dmars::DmarsEvent::Flushed { peer: 1, .. })
                    })
                });
                if f && at.is_none() {
                    *at = Some(lis.now());
                }
            }
            if flushed_at.iter().skip(1).all(Option::is_some) {
                break;
            }
        }
        // The dead server's last redirect update went out at the last multiple of the
        // interval before the crash; the flush comes two intervals (plus the configured grace
        // of a quarter interval) after it — and not before.
        let last_update = mars_proto::Instant::from_nanos(
            killed_at.as_nanos() / interval.as_nanos() as u64 * interval.as_nanos() as u64,
        );
        for (s, at) in flushed_at.iter().enumerate().skip(1) {
            let at =
                at.unwrap_or_else(|| panic!("seed {seed}: server {s} never flushed the dead one"));
            let after = at - last_update;
            assert!(
                after >= interval * 2,
                "seed {seed}: server {s} flushed early, {after:?}"
            );
            assert!(
                after <= interval * 2 + interval / 4 + Duration::from_millis(100),
                "seed {seed}: server {s} flushed late, {after:?}"
            );
        }
        lis.run(Duration::from_secs(10));
        assert!(
            lis.all_registered(),
            "seed {seed}: everyone registered again"
        );
        for i in [0, 3, 6] {
            let st = lis.client_ref(i).state();
            assert_ne!(st.mars, lis.mars[0], "seed {seed}: client {i} moved");
            let home = lis.mars.iter().position(|a| *a == st.mars).unwrap();
            let (lo, hi) = dmars_support::cmi_range(home, 3);
            assert!(
                (lo..=hi).contains(&st.cmi),
                "seed {seed}: client {i}'s CMI {} from its new server's range",
                st.cmi
            );
        }
        // Data from every live client reaches every member again.
        for seq in 1..=3 {
            lis.send(8, g, seq);
            lis.run(Duration::from_millis(300));
        }
        lis.run(Duration::from_secs(1));
        for &i in &members {
            let got = lis.seen_from(i, g, 8);
            assert!(
                got.ends_with(&[1, 2, 3]),
                "seed {seed}: member {i} got {got:?}"
            );
        }
        // Nothing lost, nothing stale: each live server's database is exactly the live
        // clients and their groups, each address once.
        let mut want = std::collections::BTreeMap::new();
        for i in 0..9 {
            let gs: BTreeSet<_> = if members.contains(&i) {
                [g].into()
            } else {
                BTreeSet::new()
            };
            want.insert(mars_sim::test_address(i as u64 + 1), gs);
        }
        for s in 1..3 {
            assert_eq!(lis.db_view(s), want, "seed {seed}: server {s}");
        }
    }
}
