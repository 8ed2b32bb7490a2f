//! CSA sequence numbers driven across the end of their space (RFC 2334 B.2.0.2): at 2^31−2 an
//! entry is purged with 2^31−1 and, once every DCS acknowledged, restarts at −2^31+1. With
//! loss and concurrent updates elsewhere, every cache still ends identical, holding the last
//! content each server originated.

mod scsp_support;

use std::collections::BTreeMap;
use std::time::Duration;

use mars_sim::LinkConfig;
use mars_wire::CsaSeq;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scsp_support::{config, key, sid, topology, Group};

fn wrap(kind: &str, n: u32, loss: f64, seed: u64) {
    let mut cfgs: Vec<_> = topology(kind, n)
        .iter()
        .enumerate()
        .map(|(i, nb)| config(i as u32 + 1, nb))
        .collect();
    // Server 1 "restarted" with a constant that starts its entries 10 short of the end.
    cfgs[0].restarted = true;
    cfgs[0].restart_seq_offset = (i32::MAX - 11) as u32;
    let link = LinkConfig {
        latency: Duration::from_millis(2),
        jitter: Duration::from_millis(1),
        loss,
        bandwidth: None,
    };
    let mut g = Group::with_configs(seed, cfgs, link);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut last: BTreeMap<(u32, u32), String> = BTreeMap::new();
    g.run_for(Duration::from_secs(2));
    for round in 0..40 {
        for k in 0..4 {
            let v = format!("r{round}k{k}");
            g.with(0, |e, now| e.originate(now, key(k), v.clone()).map(|_| ()))
                .expect("originate");
            last.insert((1, k), v);
        }
        let who = rng.gen_range(1..n);
        let k = rng.gen_range(0..4);
        let v = format!("{who}:{round}");
        g.with(who as usize, |e, now| {
            e.originate(now, key(k), v.clone()).map(|_| ())
        })
        .expect("originate");
        last.insert((who + 1, k), v);
        g.run_for(Duration::from_millis(rng.gen_range(0..150)));
    }
    let ok = g.run_until(Duration::from_millis(250), Duration::from_secs(900), |g| {
        g.same_caches() && g.quiet()
    });
    assert!(
        ok,
        "{kind} n={n} loss={loss}: no convergence (seed {seed})\n{}",
        g.dump()
    );
    let live = g.live(0);
    for ((s, k), v) in &last {
        let (seq, part) = live
            .get(&(key(*k), sid(*s)))
            .unwrap_or_else(|| panic!("seed {seed}: entry {k} of server {s} missing"));
        assert_eq!(part, v.as_bytes(), "seed {seed}: entry {k} of server {s}");
        if *s == 1 {
            // 40 changes from 2^31−12: through the purge and back from −2^31+1.
            assert!(
                *seq < CsaSeq::new(0).expect("0"),
                "seed {seed}: {seq} did not wrap"
            );
        }
    }
}

#[test]
fn wrap_lossless_ring() {
    wrap("ring", 4, 0.0, 1);
}

#[test]
fn wrap_with_loss() {
    for seed in 0..3 {
        wrap("ring", 5, 0.1, seed);
        wrap("mesh", 4, 0.3, seed);
        wrap("line", 4, 0.1, seed);
    }
}
