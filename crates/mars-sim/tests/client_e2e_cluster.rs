//! End-to-end at scale: one MARS, 50 clients, four groups, in VC-mesh mode and in MCS mode.
//! Every datagram sent to a group is delivered exactly once to every member at the time of
//! sending and to nobody else, while members join and leave mid-stream and one member
//! crashes (senders then revalidate, RFC 2022 §5.1.5.1). Many seeds.

mod client_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use client_support::{group, Cluster, Spec};
use mars_proto::Instant;
use mars_wire::ProtoAddr;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const CLIENTS: usize = 50;
const SENDERS: usize = 6;
/// Membership must hold this long around a send for delivery to be required.
const SETTLE: Duration = Duration::from_millis(1500);

/// Membership intervals of (client, group): [start, end).
type Intervals = BTreeMap<(usize, ProtoAddr), Vec<(Instant, Option<Instant>)>>;

fn back(t: Instant, d: Duration) -> Instant {
    Instant::from_nanos(t.as_nanos().saturating_sub(d.as_nanos() as u64))
}

fn member_during(iv: &Intervals, c: usize, g: ProtoAddr, from: Instant, to: Instant) -> bool {
    iv.get(&(c, g)).is_some_and(|v| {
        v.iter()
            .any(|&(s, e)| s <= from && e.is_none_or(|e| e >= to))
    })
}

fn member_some_time(iv: &Intervals, c: usize, g: ProtoAddr, from: Instant, to: Instant) -> bool {
    iv.get(&(c, g)).is_some_and(|v| {
        v.iter()
            .any(|&(s, e)| s <= to && e.is_none_or(|e| e >= from))
    })
}

fn run(seed: u64, mcs: bool) {
    let groups: Vec<ProtoAddr> = (1..=4).map(group).collect();
    let mut c = Cluster::new(Spec {
        seed,
        clients: CLIENTS,
        mcs_groups: if mcs {
            vec![groups.clone()]
        } else {
            Vec::new()
        },
        ..Spec::default()
    });
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    c.run(Duration::from_secs(2));
    assert!(c.all_registered(), "seed {seed}: not all registered");
    let mut iv: Intervals = BTreeMap::new();
    let mut joined: BTreeSet<(usize, ProtoAddr)> = BTreeSet::new();
    for i in 0..CLIENTS {
        for &g in &groups {
            if rng.gen_bool(0.4) {
                c.join(i, g);
                iv.entry((i, g)).or_default().push((c.now(), None));
                joined.insert((i, g));
            }
        }
    }
    c.run(Duration::from_secs(2));
    let crashed = CLIENTS - 1;
    let mut crash_at = None;
    let mut sent: Vec<(usize, u32, ProtoAddr, Instant)> = Vec::new();
    let mut seq = 0u32;
    for round in 0..150u32 {
        for s in 0..SENDERS {
            let g = groups[(s + round as usize / 50) % groups.len()];
            seq += 1;
            sent.push((s, seq, g, c.now()));
            c.send(s, g, seq);
        }
        if round % 10 == 5 {
            // Churn: a few members leave, a few others join.
            for _ in 0..3 {
                let i = rng.gen_range(SENDERS..CLIENTS - 1);
                let g = groups[rng.gen_range(0..groups.len())];
                if joined.remove(&(i, g)) {
                    c.leave(i, g);
                    if let Some(last) = iv.get_mut(&(i, g)).and_then(|v| v.last_mut()) {
                        last.1 = Some(c.now());
                    }
                } else {
                    c.join(i, g);
                    joined.insert((i, g));
                    iv.entry((i, g)).or_default().push((c.now(), None));
                }
            }
        }
        if round == 80 {
            c.sim.crash(c.clients[crashed]);
            crash_at = Some(c.now());
        }
        c.run(Duration::from_millis(100));
    }
    c.run(Duration::from_secs(3));
    let crash_at = crash_at.expect("crashed");

    let mut got: BTreeMap<(usize, u32, u32), usize> = BTreeMap::new();
    for (&i, v) in &c.seen {
        for &(_, from, sq, _) in v {
            *got.entry((i, from, sq)).or_default() += 1;
        }
    }
    assert!(
        got.len() > sent.len() * 10,
        "seed {seed}: {} deliveries for {} datagrams",
        got.len(),
        sent.len()
    );
    let mut missing = Vec::new();
    for &(s, sq, g, t) in &sent {
        for i in 0..CLIENTS {
            let n = got.get(&(i, s as u32, sq)).copied().unwrap_or(0);
            assert!(
                n <= 1,
                "seed {seed} mcs {mcs}: client {i} got {s}/{sq} {n} times"
            );
            if i == s {
                assert_eq!(
                    n, 0,
                    "seed {seed}: a sender never receives its own datagram"
                );
                continue;
            }
            let alive = i != crashed || t + SETTLE < crash_at;
            let stable = member_during(&iv, i, g, back(t, SETTLE), t + SETTLE);
            if stable && alive && n == 0 {
                missing.push((i, s, sq, g, t));
            }
            if n == 1 {
                assert!(
                    member_some_time(&iv, i, g, back(t, SETTLE), t + SETTLE),
                    "seed {seed} mcs {mcs}: client {i} is not a member of {g} but got {s}/{sq}"
                );
            }
        }
    }
    assert!(
        missing.is_empty(),
        "seed {seed} mcs {mcs}: {} deliveries missing, first {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    // The senders of groups the crashed client was in saw it drop and revalidated.
    let revalidations: u64 = (0..SENDERS)
        .map(|s| c.client_ref(s).stats().other.revalidations)
        .sum();
    let crashed_member = groups.iter().any(|g| joined.contains(&(crashed, *g)));
    if crashed_member && !mcs {
        assert!(
            revalidations > 0,
            "seed {seed}: senders revalidated after the crash"
        );
    }
}

#[test]
fn vc_mesh_exactly_once_with_churn_and_a_crash() {
    for seed in 1..=4 {
        run(seed, false);
    }
}

#[test]
fn mcs_exactly_once_with_churn_and_a_crash() {
    for seed in 1..=4 {
        run(seed, true);
    }
}
