//! End-to-end under faults: a Cluster Sequence Number jump (RFC 2022 §5.1.4.2, §5.1.5.2),
//! failover from a dead MARS to its backup (§5.4, §7.4), and 30% SDU loss (§5.2.2, §5.1.1).
//!
//! Note on the jump test: a reply on the private VC carries the *current* CSN, which is the
//! number the next ClusterControlVC message will carry (§6.1.4), so after such a reply the
//! loss of one ClusterControlVC message shows as `Seq.diff == 1` and cannot be detected by
//! the §5.1.4.2 rule. The test loses two.

mod client_support;

use std::time::Duration;

use client_support::{group, Cluster, Spec};
use mars_proto::mars::client::{ClientEvent, MemberState, RegState};
use mars_sim::LinkConfig;

#[test]
fn csn_jump_is_detected_and_the_sender_revalidates() {
    for seed in 1..=3 {
        let g = group(1);
        let mut c = Cluster::new(Spec {
            seed,
            clients: 4,
            ..Spec::default()
        });
        c.run(Duration::from_secs(2));
        c.join(1, g);
        c.run(Duration::from_millis(500));
        c.send(0, g, 1);
        c.run(Duration::from_millis(500));
        assert_eq!(c.seen_from(1, g, 0), vec![1]);
        // ClusterControlVC traffic to the sender is lost while client 2 joins.
        let (server, sender) = (c.servers[0], c.clients[0]);
        c.sim.fabric_mut().set_link(
            server,
            sender,
            LinkConfig {
                loss: 1.0,
                ..LinkConfig::default()
            },
        );
        c.join(2, g);
        c.join(3, g);
        c.run(Duration::from_millis(300));
        c.sim.fabric_mut().clear_link(server, sender);
        // The next message on ClusterControlVC shows the jump.
        c.join(1, group(9));
        c.run(Duration::from_millis(300));
        assert_eq!(
            c.count_events(0, |e| matches!(e, ClientEvent::SequenceJump { .. })),
            1,
            "seed {seed}: {:?}",
            c.events.get(&0)
        );
        // Revalidation happens at the first datagram after 1–10 s (scaled: 0.1–1 s).
        for seq in 2..30 {
            c.send(0, g, seq);
            c.run(Duration::from_millis(100));
        }
        c.run(Duration::from_millis(500));
        assert!(c.client_ref(0).stats().other.revalidations >= 1);
        for late in [2, 3] {
            let got = c.seen_from(late, g, 0);
            assert!(got.ends_with(&[27, 28, 29]), "seed {seed}: {got:?}");
        }
        assert_eq!(c.seen_from(1, g, 0), (1..30).collect::<Vec<_>>());
    }
}

#[test]
fn failover_to_the_backup_mars_rejoins_everything() {
    for seed in 1..=3 {
        let mesh = group(1);
        let served = group(2);
        let mut c = Cluster::new(Spec {
            seed,
            servers: 2,
            clients: 8,
            mcs_groups: vec![vec![served]],
            ..Spec::default()
        });
        c.run(Duration::from_secs(2));
        assert!(c.all_registered());
        for i in 1..8 {
            c.join(i, mesh);
            c.join(i, served);
        }
        c.run(Duration::from_secs(2));
        c.send(0, mesh, 1);
        c.send(0, served, 1);
        c.run(Duration::from_secs(1));
        for i in 1..8 {
            assert_eq!(c.seen_from(i, mesh, 0), vec![1], "seed {seed} client {i}");
            assert_eq!(c.seen_from(i, served, 0), vec![1], "seed {seed} client {i}");
        }
        let primary = c.servers[0];
        c.sim.crash(primary);
        // Detection (VC release after 1 s), 0.1–1 s wait, a failed retry of the primary, the
        // backup, re-joins 0.1–1 s apart, revalidation.
        c.run(Duration::from_secs(8));
        let backup = c.mars[1];
        for i in 0..8 {
            let st = c.client_ref(i).state();
            assert_eq!(st.state, RegState::Registered, "seed {seed} client {i}");
            assert_eq!(st.mars, backup, "seed {seed} client {i}");
            assert!(
                st.memberships
                    .iter()
                    .all(|m| m.state == MemberState::Joined),
                "seed {seed} client {i}: {:?}",
                st.memberships
            );
        }
        let mcs = c.mcs(0).state();
        assert_eq!((mcs.state, mcs.mars), (RegState::Registered, backup));
        let db = &c.server(1).clusters()[0].db;
        assert_eq!(
            db.member_count(),
            8,
            "seed {seed}: every client registered with the backup"
        );
        assert_eq!(db.host_map(&mesh).len(), 7);
        assert_eq!(db.server_map(&served).len(), 1);
        for seq in 2..12 {
            c.send(0, mesh, seq);
            c.send(0, served, seq);
            c.run(Duration::from_millis(200));
        }
        c.run(Duration::from_secs(1));
        for i in 1..8 {
            let m = c.seen_from(i, mesh, 0);
            let s = c.seen_from(i, served, 0);
            assert!(
                m.ends_with(&[9, 10, 11]),
                "seed {seed} client {i} mesh {m:?}"
            );
            assert!(
                s.ends_with(&[9, 10, 11]),
                "seed {seed} client {i} mcs {s:?}"
            );
        }
        assert!(c.count_events(3, |e| matches!(e, ClientEvent::MarsChanged { .. })) >= 1);
    }
}

#[test]
fn thirty_percent_loss_still_registers_joins_and_resolves() {
    for seed in 1..=3 {
        let g = group(4);
        let mut c = Cluster::new(Spec {
            seed,
            clients: 10,
            link: LinkConfig {
                loss: 0.3,
                ..LinkConfig::default()
            },
            ..Spec::default()
        });
        c.run(Duration::from_secs(20));
        assert!(c.all_registered(), "seed {seed}");
        for i in 1..10 {
            c.join(i, g);
        }
        c.run(Duration::from_secs(20));
        for i in 1..10 {
            let st = c.client_ref(i).state();
            assert!(
                st.memberships
                    .iter()
                    .all(|m| m.state == MemberState::Joined),
                "seed {seed} client {i}: {st:?}"
            );
        }
        for seq in 0..50 {
            c.send(0, g, seq);
            c.run(Duration::from_millis(200));
        }
        let st = c.client_ref(0).state();
        let out = st.outgoing.iter().find(|o| o.group == g).expect("a VC");
        assert_eq!(
            out.leaves.len(),
            9,
            "seed {seed}: every member is a leaf: {out:?}"
        );
        let delivered: usize = (1..10).map(|i| c.seen_from(i, g, 0).len()).sum();
        assert!(delivered > 9 * 50 / 2, "seed {seed}: {delivered}");
        assert!(c.client_ref(0).stats().mars_client_stat_tx_req_msgs >= 1);
    }
}
