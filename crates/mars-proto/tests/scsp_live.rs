//! DCSs added, removed and re-addressed while the engine runs (`scsp::live`): a DCS added to a
//! running engine aligns; a removed one has its VC released, gets no more Hellos, and leaves
//! the cache as it was; an address added again gets its index back; indices, counters and
//! events stay consistent; calls and SDUs of a removed DCS are counted and dropped.

mod scsp_support;

use std::time::Duration;

use bytes::Bytes;
use mars_proto::scsp::{
    CaState, ConfigError, DcsConfig, Discard, HelloState, ScspConfig, ScspEngine, ScspError,
    ScspEvent, MAX_DCS_SLOTS,
};
use mars_proto::{AtmUser, Cause, Instant, VcEvent, VcId, VcRequest};
use scsp_support::clients::Toy;
use scsp_support::net::Net;
use scsp_support::{addr, config, fast_params, key, live, sid};

fn dcs(n: u32) -> DcsConfig {
    let mut d = DcsConfig::new(addr(u64::from(n)));
    d.params = fast_params();
    d
}

fn aligned_with(net: &Net<Toy>, node: usize, i: usize) -> bool {
    net.nodes[node].engine.dcs_status(i).is_some_and(|s| {
        s.ca == CaState::Aligned && s.hello == HelloState::Bidirectional && s.retransmit_queue == 0
    })
}

fn all_aligned(net: &Net<Toy>) -> bool {
    net.nodes.iter().filter(|n| n.up).all(|n| {
        n.engine.dcs_indices().all(|i| {
            let s = n.engine.dcs_status(i).unwrap();
            s.ca == CaState::Aligned && s.hello == HelloState::Bidirectional
        })
    })
}

fn run_until(net: &mut Net<Toy>, cond: impl FnMut(&Net<Toy>) -> bool) -> bool {
    net.run_until(Duration::from_millis(50), Duration::from_secs(20), cond)
}

/// A server group grows: C starts naming A, and A, already aligned with B, adds C live. C
/// aligns with A and learns everything A has (B's records included); what C originates
/// reaches B through A.
#[test]
fn a_dcs_added_to_a_running_engine_aligns() {
    let mut net = Net::new(1, Duration::from_millis(1), 0.0);
    let a = net.add(config(1, &[2]), Toy::default());
    let b = net.add(config(2, &[1]), Toy::default());
    for k in 0..20 {
        net.with(a, |e, now| e.originate(now, key(k), "a").unwrap());
        net.with(b, |e, now| e.originate(now, key(100 + k), "b").unwrap());
    }
    assert!(run_until(&mut net, all_aligned));
    assert!(run_until(&mut net, |n| live(&n.nodes[b].engine).len() == 40));

    let c = net.add(config(3, &[1]), Toy::default());
    net.run_for(Duration::from_secs(2));
    assert_eq!(live(&net.nodes[c].engine).len(), 0, "C is not A's DCS yet");
    // A has the lower address: it calls C at once.
    let i = net.with(a, |e, now| e.add_dcs(now, dcs(3))).unwrap();
    assert_eq!(i, 1, "the next index");
    assert_eq!(net.nodes[a].engine.dcs_count(), 2);
    assert!(net.nodes[a].events.contains(&ScspEvent::DcsAdded {
        dcs: 1,
        address: addr(3)
    }));
    assert!(run_until(&mut net, |n| aligned_with(n, a, 1) && aligned_with(n, c, 0)));
    assert!(net.nodes[a]
        .events
        .iter()
        .any(|e| *e == ScspEvent::AlignmentComplete { dcs: 1 }));
    assert!(run_until(&mut net, |n| live(&n.nodes[c].engine)
        == live(&n.nodes[a].engine)));
    net.with(c, |e, now| e.originate(now, key(300), "c").unwrap());
    assert!(run_until(&mut net, |n| live(&n.nodes[b].engine).len() == 41));
    assert!(aligned_with(&net, a, 0), "A–B was not disturbed");
}

/// The callee side: B has the higher address, adds A while A already names it; A's next call
/// (its retry) is accepted and they align.
#[test]
fn a_dcs_added_on_the_callee_side_aligns() {
    let mut net = Net::new(2, Duration::from_millis(1), 0.0);
    let a = net.add(config(1, &[2]), Toy::default());
    let b = net.add(config(2, &[]), Toy::default());
    net.with(a, |e, now| e.originate(now, key(1), "a").unwrap());
    net.run_for(Duration::from_secs(2));
    assert!(
        net.nodes[b]
            .engine
            .counters()
            .discarded(Discard::UnknownCaller)
            > 0
    );
    assert_eq!(net.with(b, |e, now| e.add_dcs(now, dcs(1))), Ok(0));
    assert!(run_until(&mut net, all_aligned));
    assert!(run_until(&mut net, |n| live(&n.nodes[b].engine).len() == 1));
}

/// Removing an aligned DCS: its VC is released (the other end sees the release), the HFSM
/// goes Down with `DcsDown`, then `DcsRemoved`; no more Hellos go to it; the cache keeps what
/// it learned from it; its index reports nothing. The removed peer still calls (it has the
/// lower address): refused and counted. Adding the address again gives the same index back,
/// aligns again, and the summed counters never went backwards.
#[test]
fn remove_releases_stops_hellos_keeps_cache_and_readd_gets_the_index_back() {
    let mut net = Net::new(3, Duration::from_millis(1), 0.0);
    // B (address 1) is the lower address: it calls A (address 2).
    let b = net.add(config(1, &[2]), Toy::default());
    let a = net.add(config(2, &[1]), Toy::default());
    for k in 0..10 {
        net.with(b, |e, now| e.originate(now, key(k), "b").unwrap());
    }
    assert!(run_until(&mut net, all_aligned));
    assert!(run_until(&mut net, |n| live(&n.nodes[a].engine).len() == 10));
    net.run_for(Duration::from_secs(10));
    let learned = live(&net.nodes[a].engine);
    let hellos_to_b = net.nodes[a]
        .engine
        .dcs_status(0)
        .unwrap()
        .counters
        .sent
        .hello;
    let sum_before = net.nodes[a].engine.counters();
    net.nodes[a].events.clear();

    let st = net
        .with(a, |e, now| e.remove_dcs(now, addr(1)))
        .expect("removed");
    assert_eq!((st.index, st.address), (0, addr(1)));
    assert_eq!(
        (st.hello, st.ca),
        (HelloState::Bidirectional, CaState::Aligned),
        "the state just before"
    );
    let evs = &net.nodes[a].events;
    let down = evs
        .iter()
        .position(|e| *e == ScspEvent::DcsDown { dcs: 0 })
        .expect("DcsDown");
    let removed = evs
        .iter()
        .position(|e| {
            *e == ScspEvent::DcsRemoved {
                dcs: 0,
                address: addr(1),
            }
        })
        .expect("DcsRemoved");
    assert!(down < removed, "{evs:?}");
    assert!(evs.contains(&ScspEvent::HelloState {
        dcs: 0,
        from: HelloState::Bidirectional,
        to: HelloState::Down
    }));
    let e = &net.nodes[a].engine;
    assert_eq!(e.dcs_count(), 0);
    assert_eq!(e.dcs_indices().count(), 0);
    assert!(e.dcs_status(0).is_none());
    assert!(e.snapshot().dcs.is_empty());
    assert_eq!(e.dcs_index(&addr(1)), None);
    assert_eq!(live(e), learned, "the cache keeps what B sent");
    assert_eq!(
        net.with(a, |e, now| e.add_security_association(now, 0, sa(1))),
        Err(ScspError::NoSuchDcs(0))
    );
    net.run_for(Duration::from_millis(10));
    // B saw its VC released: its HFSM left Bidirectional.
    assert_ne!(
        net.nodes[b].engine.dcs_status(0).unwrap().hello,
        HelloState::Bidirectional
    );

    // Ten seconds on: B keeps calling (every connect_retry) and is refused; A sends nothing.
    net.run_for(Duration::from_secs(10));
    let e = &net.nodes[a].engine;
    let c = e.counters();
    assert!(c.discarded(Discard::RemovedDcs) >= 10, "{:?}", c.discards);
    assert_eq!(c.discarded(Discard::UnknownCaller), 0);
    assert_eq!(
        c.sent.hello, sum_before.sent.hello,
        "no Hello went out after the removal ({hellos_to_b} before)"
    );
    assert_ne!(
        net.nodes[b].engine.dcs_status(0).unwrap().hello,
        HelloState::Bidirectional
    );
    assert_eq!(live(&net.nodes[a].engine), learned);

    // Added again: the same index, a fresh DCS, alignment again.
    net.nodes[a].events.clear();
    assert_eq!(net.with(a, |e, now| e.add_dcs(now, dcs(1))), Ok(0));
    assert!(net.nodes[a].events.contains(&ScspEvent::DcsAdded {
        dcs: 0,
        address: addr(1)
    }));
    assert!(run_until(&mut net, all_aligned));
    let e = &net.nodes[a].engine;
    let st = e.dcs_status(0).unwrap();
    assert!(
        st.counters.sent.hello < hellos_to_b,
        "per-DCS counters start over"
    );
    let sum = e.counters();
    assert!(sum.sent.hello > sum_before.sent.hello, "sums never go back");
    assert!(sum.received.total() > sum_before.received.total());
    assert_eq!(
        sum.discarded(Discard::RemovedDcs),
        c.discarded(Discard::RemovedDcs)
    );
    net.with(b, |e, now| e.originate(now, key(50), "b again").unwrap());
    assert!(run_until(&mut net, |n| live(&n.nodes[a].engine).len() == 11));
}

/// Re-addressing: B moves to a new address (same server ID). A replaces the DCS: the old index
/// is left as a tombstone, the new address gets the next index, and A aligns with B there.
#[test]
fn readdress_is_remove_and_add() {
    let mut net = Net::new(4, Duration::from_millis(1), 0.0);
    let a = net.add(config(1, &[2]), Toy::default());
    let b = net.add(config(2, &[1]), Toy::default());
    net.with(a, |e, now| e.originate(now, key(1), "a").unwrap());
    assert!(run_until(&mut net, all_aligned));
    net.crash(b);
    let mut moved = config(2, &[1]);
    moved.address = addr(7);
    let b2 = net.add(moved, Toy::default());
    let mut to = dcs(7);
    to.id = Some(sid(2));
    let i = net.with(a, |e, now| e.replace_dcs(now, 0, to)).unwrap();
    assert_eq!(i, 1);
    let e = &net.nodes[a].engine;
    assert!(e.dcs_status(0).is_none());
    assert_eq!(e.dcs_indices().collect::<Vec<_>>(), vec![1]);
    assert_eq!(e.dcs_index(&addr(7)), Some(1));
    assert_eq!(e.dcs_config(1).and_then(|c| c.id.clone()), Some(sid(2)));
    assert!(run_until(&mut net, |n| aligned_with(n, a, 1)));
    assert!(run_until(&mut net, |n| live(&n.nodes[b2].engine).len() == 1));
    // Replacing with the same address keeps the index (new settings, new alignment).
    let mut slower = dcs(7);
    slower.params.hello_interval = Duration::from_secs(2);
    assert_eq!(
        net.with(a, |e, now| e.replace_dcs(now, addr(7), slower)),
        Ok(1)
    );
    assert!(run_until(&mut net, |n| aligned_with(n, a, 1)));
}

/// Invalid additions and removals change nothing.
#[test]
fn invalid_changes_are_refused() {
    let mut net = Net::new(5, Duration::from_millis(1), 0.0);
    let a = net.add(config(1, &[2]), Toy::default());
    let _b = net.add(config(2, &[1]), Toy::default());
    assert!(run_until(&mut net, all_aligned));
    let bad = |net: &mut Net<Toy>, d: DcsConfig| net.with(a, |e, now| e.add_dcs(now, d));
    assert_eq!(
        bad(&mut net, dcs(2)),
        Err(ScspError::InvalidDcs(ConfigError::DuplicateDcs(0)))
    );
    assert_eq!(
        bad(&mut net, dcs(1)),
        Err(ScspError::InvalidDcs(ConfigError::DcsIsSelf(1)))
    );
    let mut p = dcs(3);
    p.params.dead_factor = 0;
    assert_eq!(
        bad(&mut net, p),
        Err(ScspError::InvalidDcs(ConfigError::Params(1)))
    );
    let mut i = dcs(3);
    i.id = Some(sid(1));
    assert_eq!(
        bad(&mut net, i),
        Err(ScspError::InvalidDcs(ConfigError::DcsId(1)))
    );
    let mut r = dcs(3);
    r.params.dead_factor = 0;
    assert_eq!(
        net.with(a, |e, now| e.replace_dcs(now, 0, r)),
        Err(ScspError::InvalidDcs(ConfigError::Params(1))),
    );
    assert_eq!(
        net.with(a, |e, now| e.remove_dcs(now, addr(9)))
            .unwrap_err(),
        ScspError::NoDcsAt(addr(9))
    );
    assert_eq!(
        net.with(a, |e, now| e.remove_dcs(now, 5)).unwrap_err(),
        ScspError::NoSuchDcs(5)
    );
    net.run_for(Duration::from_secs(1));
    assert!(all_aligned(&net), "nothing changed");
    assert_eq!(net.nodes[a].engine.dcs_count(), 1);
}

/// A purge of an own entry waits for every DCS's acknowledgement; a DCS removed meanwhile is no
/// longer waited for.
#[test]
fn a_removed_dcs_is_not_waited_for_by_purges() {
    let mut net = Net::new(6, Duration::from_millis(1), 0.0);
    let a = net.add(config(1, &[2]), Toy::default());
    let b = net.add(config(2, &[1]), Toy::default());
    net.with(a, |e, now| e.originate(now, key(1), "x").unwrap());
    assert!(run_until(&mut net, all_aligned));
    assert!(run_until(&mut net, |n| live(&n.nodes[b].engine).len() == 1));
    net.set_cut(a, b, true);
    net.with(a, |e, now| e.purge(now, &key(1)).unwrap());
    let own = &net.nodes[a].engine.snapshot().own;
    assert_eq!(own[0].purge_waiting, Some(1), "waits for B");
    net.with(a, |e, now| e.remove_dcs(now, 0)).unwrap();
    assert!(
        net.nodes[a].engine.snapshot().own.is_empty(),
        "the purge is over"
    );
}

// ----- one engine driven by hand ------------------------------------------------------------

fn sa(spi: u32) -> mars_proto::scsp::SecurityAssociation {
    mars_proto::scsp::SecurityAssociation {
        spi,
        algorithm: mars_wire::scsp::AuthAlgorithm::HmacSha256,
        key: vec![1; 16],
        lifetime: None,
    }
}

fn lone(dcs_addrs: &[u32]) -> ScspEngine<Toy> {
    let mut c: ScspConfig = config(1, dcs_addrs);
    c.origination_hold = None;
    ScspEngine::new(c, Toy::default(), Instant::ZERO).unwrap()
}

fn requests(e: &mut ScspEngine<Toy>) -> Vec<VcRequest> {
    std::iter::from_fn(|| e.poll_request()).collect()
}

fn events(e: &mut ScspEngine<Toy>) -> Vec<ScspEvent> {
    std::iter::from_fn(|| e.poll_event()).collect()
}

/// The VC is released with cause #16, every timer of the DCS stops, late SDUs on its VC are
/// counted and dropped, and a late call from it is refused (#21).
#[test]
fn removal_releases_the_vc_and_stops_every_timer() {
    let mut e = lone(&[2]);
    let t0 = Instant::ZERO;
    let vc = match requests(&mut e).as_slice() {
        [VcRequest::Connect { vc, to }] if *to == addr(2) => *vc,
        r => panic!("{r:?}"),
    };
    e.handle_vc_event(t0, VcEvent::Connected { vc });
    assert!(
        requests(&mut e)
            .iter()
            .any(|r| matches!(r, VcRequest::Send { vc: v, .. } if *v == vc)),
        "a Hello"
    );
    // A leaf VC from the DCS too.
    let leaf = VcId::incoming(9);
    e.handle_vc_event(
        t0,
        VcEvent::IncomingCall {
            vc: leaf,
            from: addr(2),
            multipoint: true,
        },
    );
    assert_eq!(requests(&mut e), vec![VcRequest::Accept { vc: leaf }]);
    assert!(e.poll_timeout().is_some(), "Hello timer");
    assert!(e.owns_vc(vc) && e.owns_vc(leaf));
    events(&mut e);

    let t1 = t0 + Duration::from_millis(100);
    let st = e.remove_dcs(t1, 0).unwrap();
    assert_eq!(st.vc, Some(vc));
    let mut rel = requests(&mut e);
    rel.sort_by_key(|r| r.vc());
    let mut want = vec![
        VcRequest::Release {
            vc,
            cause: Cause::NORMAL,
        },
        VcRequest::Release {
            vc: leaf,
            cause: Cause::NORMAL,
        },
    ];
    want.sort_by_key(|r| r.vc());
    assert_eq!(rel, want);
    assert_eq!(e.poll_timeout(), None, "no timer of the DCS is left");
    assert!(!e.owns_vc(vc) && !e.owns_vc(leaf));
    assert_eq!(
        events(&mut e),
        vec![
            ScspEvent::HelloState {
                dcs: 0,
                from: HelloState::Waiting,
                to: HelloState::Down
            },
            ScspEvent::DcsRemoved {
                dcs: 0,
                address: addr(2)
            }
        ],
        "no DcsDown: it was never up"
    );
    // Much later: nothing at all.
    let t2 = t1 + Duration::from_secs(3600);
    e.handle_timeout(t2);
    assert!(requests(&mut e).is_empty());
    // A late SDU on its VC: counted and dropped, blamed on no DCS.
    let mut sdu = Vec::new();
    mars_wire::scsp::ScspPacket::hello(
        mars_wire::scsp::CommonPart::new(3, 1, sid(2), sid(1)),
        1,
        3,
        0,
        &[sid(1)],
    )
    .encode_sdu(&mut sdu)
    .unwrap();
    e.handle_vc_event(
        t2,
        VcEvent::Received {
            vc,
            sdu: Bytes::from(sdu),
        },
    );
    assert_eq!(e.counters().discarded(Discard::UnknownVc), 1);
    assert!(requests(&mut e).is_empty());
    // A late call from it: refused.
    let call = VcId::incoming(10);
    assert!(e.owns_incoming_call(&addr(2)));
    e.handle_vc_event(
        t2,
        VcEvent::IncomingCall {
            vc: call,
            from: addr(2),
            multipoint: false,
        },
    );
    assert_eq!(
        requests(&mut e),
        vec![VcRequest::Refuse {
            vc: call,
            cause: Cause::CALL_REJECTED
        }]
    );
    assert_eq!(e.counters().discarded(Discard::RemovedDcs), 1);
    assert!(matches!(
        events(&mut e).as_slice(),
        [
            ..,
            ScspEvent::Discarded {
                dcs: None,
                reason: Discard::RemovedDcs,
                ..
            }
        ]
    ));
    assert!(!e.owns_incoming_call(&addr(3)));
}

/// Indices are bounded: each distinct address takes one slot for the engine's life (an address
/// added again reuses its own), up to `MAX_DCS_SLOTS`.
#[test]
fn indices_are_bounded() {
    let mut e = lone(&[]);
    let t = Instant::ZERO;
    for round in 0..3 {
        for n in 0..10u32 {
            assert_eq!(e.add_dcs(t, dcs(100 + n)), Ok(n as usize), "round {round}");
        }
        for n in 0..10usize {
            e.remove_dcs(t, n).unwrap();
        }
        requests(&mut e);
        events(&mut e);
    }
    for n in 10..MAX_DCS_SLOTS as u32 {
        let i = e.add_dcs(t, dcs(100 + n)).unwrap();
        e.remove_dcs(t, i).unwrap();
        requests(&mut e);
        events(&mut e);
    }
    assert_eq!(
        e.add_dcs(t, dcs(100_000)),
        Err(ScspError::TooManyDcs(MAX_DCS_SLOTS))
    );
    assert_eq!(e.add_dcs(t, dcs(105)), Ok(5), "a known address still fits");
    assert_eq!(e.dcs_count(), 1);
}
