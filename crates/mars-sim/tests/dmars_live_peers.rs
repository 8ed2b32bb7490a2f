//! RFC 2443 server groups reconfigured while they run (`DistributedServer::add_peer`,
//! `remove_peer`): a group grows from two servers to three and shrinks back, and a mesh loses
//! one edge without losing a server.

mod dmars_support;

use std::collections::BTreeSet;
use std::time::Duration;

use dmars_support::{group, server_config, Lis, LisSpec, SERVER_BASE};
use mars_proto::dmars::{DistributedServer, DmarsEvent};
use mars_proto::mars::client::{ClientConfig, MarsClient, TimerConfig};
use mars_proto::scsp::{CaState, DcsConfig, Discard, HelloState};
use mars_sim::test_address;
use mars_wire::AtmAddress;

/// Whether every DCS of server `s` is aligned.
fn aligned(lis: &Lis, s: usize) -> bool {
    let e = lis.server(s).scsp();
    e.dcs_count() > 0
        && e.dcs_indices().all(|i| {
            let d = e.dcs_status(i).unwrap();
            d.hello == HelloState::Bidirectional && d.ca == CaState::Aligned
        })
}

fn run_until(lis: &mut Lis, limit: Duration, mut cond: impl FnMut(&Lis) -> bool) -> bool {
    let end = lis.now() + limit;
    while lis.now() < end {
        if cond(lis) {
            return true;
        }
        lis.run(Duration::from_millis(50));
    }
    cond(lis)
}

/// The redirect map of server `s`, as a set.
fn redirect_set(lis: &Lis, s: usize) -> BTreeSet<AtmAddress> {
    lis.server(s)
        .server()
        .redirect_targets()
        .into_iter()
        .collect()
}

/// Server `s`'s DCS configuration for a peer at `to` (the test group's timers).
fn dcs_to(lis: &Lis, s: usize, to: AtmAddress) -> DcsConfig {
    let mut d = lis.configs[s].scsp.dcs[0].clone();
    d.address = to;
    d.id = None;
    d
}

fn events_of(lis: &Lis, s: usize) -> &[DmarsEvent] {
    lis.server_events.get(&s).map_or(&[], Vec::as_slice)
}

/// Two servers run with clients; a third starts naming both, and both add it live: it aligns
/// with them and learns their clients, its own client is learned by both, every redirect map
/// lists three servers. Then both remove it and it is stopped: it leaves their redirect maps
/// at once, its client's records stay until the flush rule removes them (two redirect
/// intervals plus grace), the client fails over to the next server, and every database ends
/// up exactly the live clients' memberships.
#[test]
fn a_server_group_grows_from_two_to_three_and_shrinks_live() {
    for seed in 1..=2 {
        let spec = LisSpec {
            seed,
            servers: 2,
            clients: 4,
            ..LisSpec::default()
        };
        let interval = spec.redirect_interval;
        let mut lis = Lis::new(spec);
        lis.run(Duration::from_secs(6));
        assert!(lis.all_registered(), "seed {seed}");
        assert!(aligned(&lis, 0) && aligned(&lis, 1), "seed {seed}");
        let g = group(3);
        for i in [0, 1] {
            lis.join(i, g);
        }
        lis.run(Duration::from_secs(2));

        // ----- grow: server C (index 2) -----
        let c_addr = test_address(SERVER_BASE + 2);
        let mars3 = vec![lis.mars[0], lis.mars[1], c_addr];
        let spec3 = LisSpec {
            seed,
            servers: 3,
            ..LisSpec::default()
        };
        let mut cfg = server_config(&spec3, 2, &mars3);
        // A range disjoint from the two running servers' (RFC 2443 §2).
        cfg.server.cmi_range = (65_001, 65_500);
        let now = lis.now();
        let c = lis
            .sim
            .add_engine(c_addr, DistributedServer::new(cfg, now).unwrap());
        lis.servers.push(c);
        lis.mars.push(c_addr);
        for s in 0..2 {
            let d = dcs_to(&lis, s, c_addr);
            let ep = lis.servers[s];
            let i = lis
                .sim
                .with_engine::<DistributedServer, _>(ep, |e, now| e.add_peer(now, d))
                .unwrap()
                .unwrap();
            assert_eq!(i, 1, "seed {seed}: server {s}'s next DCS index");
        }
        assert!(
            run_until(&mut lis, Duration::from_secs(10), |l| (0..3)
                .all(|s| aligned(l, s))),
            "seed {seed}: the three servers align"
        );
        let all3: BTreeSet<AtmAddress> = mars3.iter().copied().collect();
        assert!(
            run_until(&mut lis, interval * 2, |l| (0..3)
                .all(|s| redirect_set(l, s) == all3)),
            "seed {seed}: every redirect map lists three servers"
        );
        assert_eq!(
            lis.host_map(2, g),
            lis.members(&[0, 1]),
            "seed {seed}: C learned"
        );
        assert!(lis.server(2).is_ready());
        // A client of C.
        let d_idx = lis.clients.len();
        let d_addr = test_address(d_idx as u64 + 1);
        let mut cc = ClientConfig::new(d_addr, vec![c_addr, lis.mars[0], lis.mars[1]]);
        cc.timers = TimerConfig::scaled_down(10);
        cc.seed = seed * 1000 + 77;
        let now = lis.now();
        let d_ep = lis.sim.add_engine(d_addr, MarsClient::new(cc, now));
        lis.clients.push(d_ep);
        lis.home.push(2);
        assert!(run_until(&mut lis, Duration::from_secs(5), |l| l.all_registered()));
        let cmi = lis.client_ref(d_idx).state().cmi;
        assert!((65_001..=65_500).contains(&cmi), "seed {seed}: CMI {cmi}");
        lis.join(d_idx, g);
        let want = lis.members(&[0, 1, d_idx]);
        assert!(
            run_until(&mut lis, Duration::from_secs(5), |l| (0..3)
                .all(|s| l.host_map(s, g) == want)),
            "seed {seed}: D's join is in every database"
        );
        lis.send(1, g, 1);
        lis.run(Duration::from_secs(1));
        assert_eq!(lis.seen_from(d_idx, g, 1), vec![1], "seed {seed}");

        // ----- shrink: A and B remove C, then C stops -----
        for s in 0..2 {
            let ep = lis.servers[s];
            let st = lis
                .sim
                .with_engine::<DistributedServer, _>(ep, |e, now| e.remove_peer(now, c_addr))
                .unwrap()
                .unwrap();
            assert_eq!(st.address, c_addr);
            assert_eq!(st.index, 1);
        }
        let removed_at = lis.now();
        lis.run(Duration::from_millis(20));
        let two: BTreeSet<AtmAddress> = lis.mars[..2].iter().copied().collect();
        for s in 0..2 {
            assert_eq!(redirect_set(&lis, s), two, "seed {seed}: C unlisted at {s}");
            assert_eq!(
                lis.host_map(s, g),
                want,
                "seed {seed}: C's client kept at {s}"
            );
            assert!(events_of(&lis, s)
                .iter()
                .any(|e| matches!(e, DmarsEvent::PeerRemoved { peer: Some(3), .. })));
            let e = lis.server(s).scsp();
            assert_eq!(e.dcs_count(), 1);
            assert!(e.dcs_status(1).is_none());
            assert!(aligned(&lis, s), "seed {seed}: A–B undisturbed");
        }
        lis.sim.crash(c);
        // The flush: two intervals (plus a quarter of grace) after C's last redirect update.
        let flushed = run_until(&mut lis, interval * 4, |l| {
            (0..2).all(|s| {
                events_of(l, s)
                    .iter()
                    .any(|e| matches!(e, DmarsEvent::Flushed { peer: 3, .. }))
            })
        });
        assert!(flushed, "seed {seed}: C flushed");
        assert!(
            lis.now() - removed_at <= interval * 2 + interval / 4 + Duration::from_millis(200),
            "seed {seed}: flushed late"
        );
        // D moved to A (next in its list), got a CMI there, joined again.
        assert!(run_until(&mut lis, Duration::from_secs(15), |l| {
            l.all_registered() && (0..2).all(|s| l.host_map(s, g) == want)
        }));
        let st = lis.client_ref(d_idx).state();
        assert_eq!(st.mars, lis.mars[0], "seed {seed}");
        let (lo, hi) = dmars_support::cmi_range(0, 2);
        assert!((lo..=hi).contains(&st.cmi), "seed {seed}");
        for s in 0..2 {
            let view = lis.db_view(s);
            assert_eq!(view.len(), 5, "seed {seed}: server {s}: {view:?}");
            assert_eq!(redirect_set(&lis, s), two);
        }
        lis.send(0, g, 2);
        lis.run(Duration::from_secs(1));
        assert_eq!(lis.seen_from(d_idx, g, 0).last(), Some(&2), "seed {seed}");
    }
}

/// A mesh of three loses one edge: A removes C (C stays in the group through B). C leaves A's
/// redirect map only until its next redirect entry arrives through B; C's clients are never
/// flushed at A; C's later calls to A (its fallback) are refused by A's SCSP engine and
/// counted, not taken for client calls.
#[test]
fn a_mesh_loses_an_edge_not_a_server() {
    let spec = LisSpec {
        seed: 5,
        servers: 3,
        clients: 6,
        ..LisSpec::default()
    };
    let interval = spec.redirect_interval;
    let mut lis = Lis::new(spec);
    lis.run(Duration::from_secs(6));
    assert!(lis.all_registered());
    let g = group(4);
    for i in [2, 5] {
        lis.join(i, g); // clients of C
    }
    // Half way between two redirect updates (every server sends one at each multiple of the
    // interval).
    lis.run(interval * 5 / 4);
    let want = lis.members(&[2, 5]);
    assert_eq!(lis.host_map(0, g), want);
    let c_addr = lis.mars[2];
    let a = lis.servers[0];
    lis.sim
        .with_engine::<DistributedServer, _>(a, |e, now| e.remove_peer(now, c_addr))
        .unwrap()
        .unwrap();
    lis.run(Duration::from_millis(20));
    assert!(!redirect_set(&lis, 0).contains(&c_addr), "unlisted");
    assert!(
        run_until(&mut lis, interval * 2, |l| redirect_set(l, 0)
            .contains(&c_addr)),
        "listed again: its redirect entry came through B"
    );
    assert!(events_of(&lis, 0)
        .iter()
        .any(|e| matches!(e, DmarsEvent::PeerAlive { peer: 3, .. })));
    // C's fallback call comes after 30 s without a VC to A.
    lis.run(Duration::from_secs(35));
    assert!(!events_of(&lis, 0)
        .iter()
        .any(|e| matches!(e, DmarsEvent::Flushed { .. })));
    assert_eq!(lis.host_map(0, g), want, "C's clients stay");
    let a_scsp = lis.server(0).scsp();
    assert!(a_scsp.counters().discarded(Discard::RemovedDcs) >= 1);
    assert_eq!(a_scsp.dcs_count(), 1);
    assert!(aligned(&lis, 0) && aligned(&lis, 1));
    // Data from A's client reaches C's members.
    lis.send(0, g, 1);
    lis.run(Duration::from_secs(1));
    for i in [2, 5] {
        assert_eq!(lis.seen_from(i, g, 0), vec![1]);
    }
    // Added back: A and C align again directly.
    let d = dcs_to(&lis, 0, c_addr);
    let i = lis
        .sim
        .with_engine::<DistributedServer, _>(a, |e, now| e.add_peer(now, d))
        .unwrap()
        .unwrap();
    assert_eq!(i, 1, "C's index back");
    assert!(run_until(&mut lis, Duration::from_secs(10), |l| aligned(
        l, 0
    )
        && aligned(l, 2)
        && l.server(2).scsp().dcs_count() == 2));
}

/// Start-up (the CMI range check) lasts until every peer is aligned: removing the only peer
/// not aligned ends it at once, and a peer added later does not start it again.
#[test]
fn removing_the_last_unaligned_peer_ends_start_up() {
    let spec = LisSpec {
        servers: 2,
        ..LisSpec::default()
    };
    let mars = vec![test_address(SERVER_BASE), test_address(SERVER_BASE + 1)];
    let mut cfg = server_config(&spec, 0, &mars);
    cfg.startup_hold = Duration::from_secs(600);
    let t0 = mars_proto::Instant::ZERO;
    let mut s = DistributedServer::new(cfg, t0).unwrap();
    assert!(!s.is_ready(), "waiting for its peer");
    let st = s.remove_peer(t0, mars[1]).unwrap();
    assert_eq!(st.hello, HelloState::Down, "its call was never answered");
    assert!(s.is_ready());
    let evs: Vec<DmarsEvent> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(evs.contains(&DmarsEvent::Ready), "{evs:?}");
    assert!(evs
        .iter()
        .any(|e| matches!(e, DmarsEvent::PeerRemoved { .. })));
    let mut d = DcsConfig::new(mars[1]);
    d.params = server_config(&spec, 0, &mars).scsp.dcs[0].params.clone();
    assert_eq!(s.add_peer(t0, d), Ok(0));
    assert!(s.is_ready());
    assert_eq!(s.scsp().dcs_count(), 1);
}

/// `replace_peer`: a peer restarted with new settings at the same address stays in
/// MARS_REDIRECT_MAP and realigns; a peer moved to a new address (the server restarted there,
/// same SCSP ID) is unlisted at its old address at once and listed at its new one when its
/// redirect entry arrives.
#[test]
fn a_peer_restarted_or_readdressed() {
    let spec = LisSpec {
        seed: 9,
        servers: 2,
        clients: 2,
        ..LisSpec::default()
    };
    let interval = spec.redirect_interval;
    let mut lis = Lis::new(spec);
    lis.run(Duration::from_secs(6) + interval / 4);
    assert!(aligned(&lis, 0) && aligned(&lis, 1));
    let (a, b_old) = (lis.servers[0], lis.mars[1]);
    let mut slower = dcs_to(&lis, 0, b_old);
    slower.params.hello_interval = Duration::from_secs(1);
    let i = lis
        .sim
        .with_engine::<DistributedServer, _>(a, |e, now| e.replace_peer(now, b_old, slower))
        .unwrap()
        .unwrap();
    assert_eq!(i, 0);
    assert!(redirect_set(&lis, 0).contains(&b_old), "still listed");
    assert!(run_until(&mut lis, Duration::from_secs(5), |l| aligned(
        l, 0
    )));
    assert_eq!(
        lis.server(0)
            .scsp()
            .dcs_config(0)
            .unwrap()
            .params
            .hello_interval,
        Duration::from_secs(1)
    );

    // B moves: it stops, and starts again at a new address with its ID and CMI range.
    lis.sim.crash(lis.servers[1]);
    let b_new = test_address(SERVER_BASE + 7);
    let mut cfg = lis.configs[1].clone();
    cfg.server.address = b_new;
    cfg.scsp.address = b_new;
    cfg.scsp.restarted = true;
    let now = lis.now();
    let b2 = lis
        .sim
        .add_engine(b_new, DistributedServer::new(cfg, now).unwrap());
    lis.servers[1] = b2;
    let to = dcs_to(&lis, 0, b_new);
    let j = lis
        .sim
        .with_engine::<DistributedServer, _>(a, |e, now| e.replace_peer(now, b_old, to))
        .unwrap()
        .unwrap();
    assert_eq!(j, 1, "a new address, a new index");
    assert!(
        !redirect_set(&lis, 0).contains(&b_old),
        "old address unlisted"
    );
    assert!(run_until(&mut lis, interval * 2, |l| aligned(l, 0)
        && redirect_set(l, 0).contains(&b_new)));
    assert!(!redirect_set(&lis, 0).contains(&b_old));
    assert!(lis.server(0).scsp().dcs_status(0).is_none());
}
