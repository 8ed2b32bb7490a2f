//! RFC 2443 under membership churn: members join and leave at random for a long stretch of
//! virtual time; the SCSP caches stay bounded (tombstones are collected) and, once the churn
//! stops, every server holds exactly the same cache and the same database.

mod dmars_support;

use std::collections::BTreeMap;
use std::time::Duration;

use dmars_support::{group, Lis, LisSpec};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

type CacheView = BTreeMap<(Vec<u8>, Vec<u8>), (i32, Vec<u8>)>;

/// Every record but the servers' redirect entries (key 0), which each server refreshes every
/// interval and so may differ by one update in flight at any instant.
fn cache_view(lis: &Lis, s: usize) -> CacheView {
    lis.server(s)
        .scsp()
        .cache()
        .iter()
        .filter(|(id, _)| id.key.to_u32() != Some(0))
        .map(|(id, e)| {
            (
                (id.key.as_bytes().to_vec(), id.origin.as_bytes().to_vec()),
                (e.seq.get(), e.part.to_vec()),
            )
        })
        .collect()
}

/// Run `clients` members over 3 servers for `minutes` of virtual time, one random join or
/// leave every `every`; returns the largest cache seen and the final one.
fn churn(seed: u64, clients: usize, minutes: u64, every: Duration, groups: u8) -> (usize, usize) {
    let mut lis = Lis::new(LisSpec {
        seed,
        servers: 3,
        clients,
        ..LisSpec::default()
    });
    lis.run(Duration::from_secs(10));
    let deadline = lis.now() + Duration::from_secs(300);
    while !lis.all_registered() && lis.now() < deadline {
        lis.run(Duration::from_secs(1));
    }
    assert!(lis.all_registered(), "seed {seed}: registered");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut joined = vec![Vec::<u8>::new(); clients];
    let end = lis.now() + Duration::from_secs(60 * minutes);
    let mut largest = 0;
    let mut step = 0u64;
    while lis.now() < end {
        let i = rng.gen_range(0..clients);
        let g: u8 = rng.gen_range(1..=groups);
        if joined[i].contains(&g) {
            lis.leave(i, group(g));
            joined[i].retain(|&x| x != g);
        } else {
            lis.join(i, group(g));
            joined[i].push(g);
        }
        lis.sim.run_for(every).expect("sim runs");
        step += 1;
        if step.is_multiple_of(200) {
            lis.collect();
            largest = largest.max(
                (0..3)
                    .map(|s| lis.server(s).scsp().cache().len())
                    .max()
                    .unwrap_or(0),
            );
        }
    }
    // Quiesce past the tombstone hold, then compare.
    lis.run(Duration::from_secs(60));
    let c0 = cache_view(&lis, 0);
    for s in 1..3 {
        let cs = cache_view(&lis, s);
        let diff: Vec<_> = c0
            .iter()
            .filter(|(k, v)| cs.get(*k) != Some(*v))
            .take(3)
            .collect();
        assert_eq!(
            cs.len(),
            c0.len(),
            "seed {seed}: cache sizes differ at server {s}; e.g. {diff:?}"
        );
        assert!(
            diff.is_empty(),
            "seed {seed}: caches differ at server {s}: {diff:?}"
        );
        assert_eq!(
            lis.db_view(s),
            lis.db_view(0),
            "seed {seed}: databases differ at server {s}"
        );
    }
    // The databases are exactly the model.
    for (i, gs) in joined.iter().enumerate() {
        let want: std::collections::BTreeSet<_> = gs.iter().map(|&g| group(g)).collect();
        let addr = mars_sim::test_address(i as u64 + 1);
        assert_eq!(
            lis.db_view(0).get(&addr),
            Some(&want),
            "seed {seed}: client {i}"
        );
    }
    (largest, c0.len())
}

/// Bounded: the final cache holds each server's redirect entry, each client's registration,
/// its live memberships, and at most one dormant tombstone per key each client ever used at
/// once (own tombstones are kept for key reuse; peers' are collected after the hold).
#[test]
fn churn_keeps_caches_bounded_and_identical() {
    for seed in 1..=2 {
        let clients = 120;
        let groups = 6;
        let (largest, fin) = churn(seed, clients, 4, Duration::from_millis(100), groups);
        let bound = 3 + clients * (1 + 2 * groups as usize);
        assert!(fin <= bound, "seed {seed}: {fin} entries > {bound}");
        assert!(
            largest <= bound,
            "seed {seed}: peak {largest} entries > {bound}"
        );
    }
}

/// The full size: 10,000 members churning for an hour of virtual time.
/// `cargo test --release -p mars-sim --test dmars_churn -- --ignored --nocapture`
#[test]
#[ignore]
fn churn_ten_thousand_members_for_an_hour() {
    let started = std::time::Instant::now();
    let (largest, fin) = churn(7, 10_000, 60, Duration::from_millis(50), 20);
    println!(
        "10,000 members, 1 h virtual, 72,000 joins/leaves: peak cache {largest}, final {fin} entries, wall {:?}",
        started.elapsed()
    );
    assert!(fin <= 3 + 10_000 * 41);
}
