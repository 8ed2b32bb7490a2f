//! SCSP (RFC 2334) on the deterministic fabric: after random update storms, in line, ring,
//! star and full-mesh server groups of 2 to 16 servers, with 0%, 10% and 30% SDU loss, every
//! server's cache becomes identical; floods stop ("newer only", §2.3).
//!
//! `SCSP_SEEDS=n` runs n seeds per case (default 2); a failure names its seed.

mod scsp_support;

use std::time::Duration;

use mars_sim::LinkConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scsp_support::{key, Group};

fn seeds() -> u64 {
    std::env::var("SCSP_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
}

fn link(loss: f64) -> LinkConfig {
    LinkConfig {
        latency: Duration::from_millis(2),
        jitter: Duration::from_millis(1),
        loss,
        bandwidth: None,
    }
}

/// A storm of `updates` random originations over `n` servers in `kind`, then convergence.
fn storm(kind: &str, n: u32, loss: f64, seed: u64, updates: u32) -> Result<(), String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5C5F);
    let mut g = Group::new(seed, kind, n, link(loss));
    // Let the group form first, then storm while it is still settling under loss.
    g.run_for(Duration::from_secs(2));
    for _ in 0..updates {
        let who = rng.gen_range(0..n as usize);
        let k = rng.gen_range(0..25u32);
        let v: u32 = rng.gen();
        g.with(who, |e, now| {
            e.originate(now, key(k), format!("{who}:{v}"))
                .expect("valid");
        });
        g.run_for(Duration::from_millis(rng.gen_range(0..60)));
    }
    if g.run_until(
        Duration::from_millis(250),
        Duration::from_secs(900),
        Group::same_caches,
    ) {
        Ok(())
    } else {
        Err(format!(
            "{kind} n={n} loss={loss}: caches differ after the storm (seed {seed})\n{}",
            g.dump()
        ))
    }
}

fn matrix(kinds: &[&str], sizes: &[u32], losses: &[f64], seeds: u64) {
    let mut failures = Vec::new();
    for kind in kinds {
        for &n in sizes {
            for &loss in losses {
                for seed in 0..seeds {
                    if let Err(e) = storm(kind, n, loss, seed, 20 * n) {
                        eprintln!("{e}");
                        failures.push(format!("{kind} n={n} loss={loss} seed={seed}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "failing cases: {failures:?}");
}

#[test]
fn lossless_groups_converge() {
    matrix(
        &["line", "ring", "star", "mesh"],
        &[2, 4, 8, 16],
        &[0.0],
        seeds(),
    );
}

#[test]
fn lossy_groups_converge() {
    matrix(
        &["line", "ring", "star", "mesh"],
        &[4, 8, 16],
        &[0.1, 0.3],
        seeds(),
    );
}

/// A flood goes over each link at most once in each direction: one update in a lossless
/// group of 16 costs at most 2 × edges CSA records, and nothing is sent once it is done.
#[test]
fn floods_stop() {
    for kind in ["line", "ring", "star", "mesh"] {
        let n = 16;
        let mut g = Group::new(1, kind, n, link(0.0));
        assert!(
            g.run_until(
                Duration::from_millis(100),
                Duration::from_secs(30),
                Group::quiet
            ),
            "{kind}: no alignment\n{}",
            g.dump()
        );
        let edges: u64 = scsp_support::topology(kind, n)
            .iter()
            .map(|v| v.len() as u64)
            .sum::<u64>();
        let before: u64 = (0..n as usize)
            .map(|k| g.engine(k).counters().csa_sent)
            .sum();
        g.with(0, |e, now| e.originate(now, key(1), "x").map(|_| ()))
            .expect("originate");
        assert!(
            g.run_until(Duration::from_millis(50), Duration::from_secs(10), |g| {
                g.same_caches() && g.quiet()
            }),
            "{kind}: the update did not spread\n{}",
            g.dump()
        );
        let sent: u64 = (0..n as usize)
            .map(|k| g.engine(k).counters().csa_sent)
            .sum::<u64>()
            - before;
        assert!(
            sent <= edges,
            "{kind}: {sent} CSA records for one update over {edges} directed links"
        );
        g.run_for(Duration::from_secs(10));
        let later: u64 = (0..n as usize)
            .map(|k| g.engine(k).counters().csa_sent)
            .sum();
        assert_eq!(
            later,
            before + sent,
            "{kind}: CSAs still flowing after the flood"
        );
    }
}

/// Many seeds, every size from 2 to 16 (run with `--release --ignored`).
#[test]
#[ignore = "long: cargo test --release -p mars-sim --test scsp_convergence -- --ignored"]
fn exhaustive() {
    let sizes: Vec<u32> = (2..=16).collect();
    matrix(
        &["line", "ring", "star", "mesh"],
        &sizes,
        &[0.0, 0.1, 0.3],
        seeds().max(5),
    );
}
