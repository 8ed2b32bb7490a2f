//! RFC 2149 §5, multiple MCSs for a group, end to end on the fabric with the real MARS
//! server: three MCSs in one mcslist, senders and members in MCS mode; the active one
//! crashes, the candidate crashes, an inactive one drops off. Virtual time, many seeds.

mod client_support;

use std::time::Duration;

use client_support::{group, Cluster, Spec, MCS_BASE};
use mars_proto::mars::mcs::{ElectionEvent, ElectionState, McsConfig, McsList};
use mars_sim::test_address;
use mars_wire::{AtmAddress, ProtoAddr};

const HI: u16 = 1;
const DF: u16 = 3;
/// HelloInterval*DeadFactor.
const DEAD: Duration = Duration::from_secs(HI as u64 * DF as u64);
/// The fabric notices a crash after 1 s (`FabricConfig::crash_detection`).
const DETECT: Duration = Duration::from_secs(1);

fn mcslist() -> Vec<AtmAddress> {
    (0..3).map(|i| test_address(MCS_BASE + i)).collect()
}

fn served() -> ProtoAddr {
    group(7)
}

fn with_list(_: usize, c: &mut McsConfig) {
    let mut l = McsList::new(mcslist(), vec![served()]);
    l.hello_interval = HI;
    l.dead_factor = DF;
    c.mcslists = vec![l];
}

/// A cluster with 3 MCSs of one list and 6 clients; client 0 sends, 1..6 are members.
fn cluster(seed: u64) -> Cluster {
    let g = served();
    let mut c = Cluster::new(Spec {
        seed,
        clients: 6,
        mcs_groups: vec![vec![g]; 3],
        mcs_cfg: with_list,
        ..Spec::default()
    });
    c.run(Duration::from_secs(3));
    for i in 1..6 {
        c.join(i, g);
    }
    c.run(Duration::from_secs(2));
    c
}

fn state(c: &Cluster, i: usize) -> ElectionState {
    c.mcs(i).elections()[0].state
}

fn server_map(c: &Cluster) -> Vec<AtmAddress> {
    c.server(0).clusters()[0].db.server_map(&served())
}

/// Send `seqs` from client 0, 100 ms apart, then let them arrive.
fn send(c: &mut Cluster, seqs: std::ops::Range<u32>) {
    for s in seqs {
        c.send(0, served(), s);
        c.run(Duration::from_millis(100));
    }
    c.run(Duration::from_millis(500));
}

/// Every member received each of `seqs` exactly once.
fn exactly_once(c: &Cluster, seed: u64, seqs: std::ops::Range<u32>) {
    for i in 1..6 {
        let copies = c.copies(i, served());
        for s in seqs.clone() {
            assert_eq!(
                copies.get(&(0, s)).copied(),
                Some(1),
                "seed {seed} member {i} seq {s}: {copies:?}"
            );
        }
    }
}

/// Run until `f` holds, at most `limit`; returns the time it took.
fn run_until(c: &mut Cluster, limit: Duration, f: impl Fn(&Cluster) -> bool) -> Option<Duration> {
    let start = c.now();
    while c.now() - start <= limit {
        if f(c) {
            return Some(c.now() - start);
        }
        c.run(Duration::from_millis(10));
    }
    None
}

fn drain_events(c: &mut Cluster, i: usize) -> Vec<ElectionEvent> {
    let mut v = Vec::new();
    while let Some((_, e)) = c.mcs_mut(i).poll_election_event() {
        v.push(e);
    }
    v
}

#[test]
fn only_the_first_registers_and_data_flows_through_it() {
    for seed in 1..=6 {
        let mut c = cluster(seed);
        // §5.2: "If the MCS is not the first in mcslist, it does not register for supporting
        // the group with the MARS. If the MCS is first in the set, it does register".
        assert_eq!(server_map(&c), vec![mcslist()[0]], "seed {seed}");
        assert_eq!(state(&c, 0), ElectionState::Active);
        assert_eq!(state(&c, 1), ElectionState::Inactive);
        assert_eq!(state(&c, 2), ElectionState::Inactive);
        // Every MCS is registered with the MARS as an MCS; only the first serves.
        assert!((0..3).all(|i| c.mcs(i).is_registered()));
        // §5.4: HELLOs every HelloInterval on the HelloVC reach the inactive MCSs.
        let before = c.mcs(1).elections()[0].stats.hellos_received;
        c.run(Duration::from_secs(5));
        let after = c.mcs(1).elections()[0].stats.hellos_received;
        assert!(
            (4..=6).contains(&(after - before)),
            "seed {seed}: {before}→{after}"
        );
        assert_eq!(state(&c, 1), ElectionState::Inactive, "no false failure");
        send(&mut c, 1..6);
        exactly_once(&c, seed, 1..6);
        assert!(c.mcs(0).stats().other.forwarded >= 5);
        assert_eq!(c.mcs(1).stats().other.forwarded, 0);
    }
}

#[test]
fn crash_of_the_active_elects_the_second_and_data_flows_again() {
    for seed in 1..=8 {
        let mut c = cluster(seed);
        send(&mut c, 1..4);
        exactly_once(&c, seed, 1..4);
        drain_events(&mut c, 1);
        let dead = c.mcss[0];
        c.sim.crash(dead);
        // §5.2/§5.5.1: failure is detected (the HelloVC closes, at the latest
        // HelloInterval*DeadFactor), the next MCS is the candidate and is elected within its
        // HelloInterval*DeadFactor period.
        let took = run_until(&mut c, DETECT + DEAD + DEAD, |c| {
            state(c, 1) == ElectionState::Active
        })
        .unwrap_or_else(|| panic!("seed {seed}: not elected: {:?}", c.mcs(1).elections()));
        assert!(took <= DETECT + DEAD + DEAD, "seed {seed}: {took:?}");
        let ev = drain_events(&mut c, 1);
        assert!(
            matches!(ev.first(), Some(ElectionEvent::ActiveFailed { mcs, .. }) if *mcs == mcslist()[0]),
            "seed {seed}: {ev:?}"
        );
        assert!(
            ev.contains(&ElectionEvent::Active { elected: true }),
            "{ev:?}"
        );
        // The third follows the new active.
        run_until(&mut c, Duration::from_secs(2), |c| {
            state(c, 2) == ElectionState::Inactive
        })
        .expect("the third follows");
        assert_eq!(c.mcs(2).elections()[0].leader, mcslist()[1]);
        // §5.5.1: "It then registers to support the group with the MARS".
        run_until(&mut c, Duration::from_secs(3), |c| {
            server_map(c) == vec![mcslist()[1]]
        })
        .unwrap_or_else(|| panic!("seed {seed}: {:?}", server_map(&c)));
        c.run(Duration::from_secs(2));
        send(&mut c, 100..110);
        exactly_once(&c, seed, 100..110);
        assert!(c.mcs(1).stats().other.forwarded >= 10);
        // The new active keeps the third one alive with its HELLOs.
        c.run(Duration::from_secs(10));
        assert_eq!(state(&c, 2), ElectionState::Inactive, "seed {seed}");
        assert_eq!(state(&c, 1), ElectionState::Active, "seed {seed}");
    }
}

#[test]
fn crash_of_the_candidate_during_the_election_elects_the_third() {
    for seed in 1..=8 {
        let mut c = cluster(seed);
        let (a, b) = (c.mcss[0], c.mcss[1]);
        c.sim.crash(a);
        c.sim.crash(b);
        // The third sees the active's HelloVC close, votes for the second (the candidate),
        // hears no Elected HELLO within HelloInterval*DeadFactor and becomes the candidate
        // itself; with no inactive MCS remaining it is elected at once.
        let took = run_until(&mut c, DETECT + DEAD + DEAD, |c| {
            state(c, 2) == ElectionState::Active
        })
        .unwrap_or_else(|| panic!("seed {seed}: {:?}", c.mcs(2).elections()));
        assert!(
            took >= DETECT + DEAD - Duration::from_millis(50),
            "{took:?}"
        );
        let ev = drain_events(&mut c, 2);
        let m = mcslist();
        assert!(
            ev.contains(&ElectionEvent::Candidate { mcs: m[1] })
                && ev.contains(&ElectionEvent::CandidateFailed { mcs: m[1] })
                && ev.contains(&ElectionEvent::Candidate { mcs: m[2] }),
            "seed {seed}: {ev:?}"
        );
        run_until(&mut c, Duration::from_secs(3), |c| {
            server_map(c) == vec![m[2]]
        })
        .unwrap_or_else(|| panic!("seed {seed}: {:?}", server_map(&c)));
        c.run(Duration::from_secs(2));
        send(&mut c, 200..210);
        exactly_once(&c, seed, 200..210);
    }
}

#[test]
fn an_inactive_that_drops_off_is_re_added_three_times_then_dead() {
    for seed in 1..=4 {
        let mut c = cluster(seed);
        drain_events(&mut c, 0);
        let gone = c.mcss[2];
        c.sim.crash(gone);
        // §5.5.2: "the active MCS MUST attempt to add that MCS back to the VC for three
        // attempts, spaced HelloInterval*DeadFactor seconds apart. If even the third attempt
        // fails, the inactive MCS is considered dead."
        c.run(DETECT + DEAD + Duration::from_millis(500));
        let s = &c.mcs(0).elections()[0];
        assert_eq!(
            s.stats.readds, 2,
            "seed {seed}: first at once, second after {DEAD:?}"
        );
        assert!(s.dead.is_empty());
        c.run(DEAD);
        let s = &c.mcs(0).elections()[0];
        assert_eq!(s.stats.readds, 3, "seed {seed}");
        assert_eq!(s.dead, vec![mcslist()[2]], "seed {seed}");
        c.run(DEAD * 3);
        assert_eq!(c.mcs(0).elections()[0].stats.readds, 3, "no fourth attempt");
        let ev = drain_events(&mut c, 0);
        assert_eq!(ev, vec![ElectionEvent::InactiveDead { mcs: mcslist()[2] }]);
        // The rest goes on: the second is still inactive and the data flows.
        assert_eq!(state(&c, 1), ElectionState::Inactive);
        send(&mut c, 1..4);
        exactly_once(&c, seed, 1..4);
    }
}
