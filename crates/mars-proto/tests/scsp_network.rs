//! Several SCSP engines on a small deterministic network: alignment, flooding, loss,
//! partitions, restarts (RFC 2334 §2).

mod scsp_support;

use std::time::Duration;

use mars_proto::scsp::{CaState, HelloState};
use scsp_support::clients::Toy;
use scsp_support::net::Net;
use scsp_support::{config, key, live};

fn all_aligned(net: &Net<Toy>) -> bool {
    net.nodes.iter().filter(|n| n.up).all(|n| {
        (0..n.engine.dcs_count()).all(|i| {
            let s = n.engine.dcs_status(i).unwrap();
            s.ca == CaState::Aligned && s.hello == HelloState::Bidirectional
        })
    })
}

fn same_caches(net: &Net<Toy>) -> bool {
    let first = live(&net.nodes[0].engine);
    net.nodes.iter().all(|n| live(&n.engine) == first)
}

fn converged(net: &Net<Toy>) -> bool {
    let first = live(&net.nodes[0].engine);
    net.nodes.iter().all(|n| live(&n.engine) == first)
        && net.nodes.iter().all(|n| {
            (0..n.engine.dcs_count()).all(|i| n.engine.dcs_status(i).unwrap().retransmit_queue == 0)
        })
}

#[test]
fn two_servers_align_and_flood() {
    let mut net = Net::new(1, Duration::from_millis(1), 0.0);
    let a = net.add(config(1, &[2]), Toy::default());
    let b = net.add(config(2, &[1]), Toy::default());
    for k in 0..50 {
        net.with(a, |e, now| {
            e.originate(now, key(k), format!("a{k}")).unwrap()
        });
    }
    assert!(net.run_until(
        Duration::from_millis(100),
        Duration::from_secs(10),
        all_aligned
    ));
    assert!(net.run_until(
        Duration::from_millis(100),
        Duration::from_secs(10),
        converged
    ));
    assert_eq!(live(&net.nodes[b].engine).len(), 50);
    for k in 0..10 {
        net.with(b, |e, now| e.originate(now, key(1000 + k), "b").unwrap());
    }
    assert!(net.run_until(
        Duration::from_millis(100),
        Duration::from_secs(10),
        converged
    ));
    assert_eq!(live(&net.nodes[a].engine).len(), 60);
}

/// Neighbour lists of `n` servers (numbered 1..=n) in a topology.
fn topology(kind: &str, n: u32) -> Vec<Vec<u32>> {
    (1..=n)
        .map(|i| match kind {
            "line" => [i.wrapping_sub(1), i + 1]
                .into_iter()
                .filter(|&j| j >= 1 && j <= n)
                .collect(),
            "ring" => {
                let prev = if i == 1 { n } else { i - 1 };
                let next = if i == n { 1 } else { i + 1 };
                let mut v = vec![prev, next];
                v.sort();
                v.dedup();
                v.retain(|&j| j != i);
                v
            }
            "star" => {
                if i == 1 {
                    (2..=n).collect()
                } else {
                    vec![1]
                }
            }
            _ => (1..=n).filter(|&j| j != i).collect(),
        })
        .collect()
}

fn storm(kind: &str, n: u32, loss: f64, seed: u64) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut net = Net::new(seed, Duration::from_millis(2), loss);
    for (i, nb) in topology(kind, n).iter().enumerate() {
        net.add(config(i as u32 + 1, nb), Toy::default());
    }
    for _ in 0..300 {
        let who = rng.gen_range(0..n as usize);
        let k = rng.gen_range(0..40u32);
        let v: u32 = rng.gen();
        net.with(who, |e, now| {
            let _ = e.originate(now, key(k), format!("v{v}"));
        });
        net.run_for(Duration::from_millis(rng.gen_range(0..50)));
    }
    // After the storm, every cache must become identical (aligned or not: with heavy loss
    // some adjacency is nearly always re-aligning somewhere).
    let ok = net.run_until(
        Duration::from_millis(500),
        Duration::from_secs(600),
        same_caches,
    );
    if !ok {
        for (i, node) in net.nodes.iter().enumerate() {
            let st: Vec<String> = (0..node.engine.dcs_count())
                .map(|d| {
                    let s = node.engine.dcs_status(d).unwrap();
                    format!(
                        "{:?}/{:?} q{} crl{}",
                        s.hello, s.ca, s.retransmit_queue, s.crl
                    )
                })
                .collect();
            eprintln!("node {i}: live {} {:?}", live(&node.engine).len(), st);
            eprintln!("   {:?}", node.engine.counters().abnormal);
        }
    }
    assert!(ok, "{kind} n={n} loss={loss}: no convergence (seed {seed})");
}

#[test]
fn storms_converge_small() {
    for kind in ["line", "ring", "star", "mesh"] {
        for &loss in &[0.0, 0.1] {
            for seed in 0..3 {
                storm(kind, 5, loss, seed);
            }
        }
    }
}

#[test]
#[ignore = "long; run with --release --ignored"]
fn storms_converge_lossy() {
    for kind in ["line", "ring", "star", "mesh"] {
        for &n in &[2u32, 8, 16] {
            for &loss in &[0.3] {
                for seed in 0..2 {
                    storm(kind, n, loss, seed);
                }
            }
        }
    }
}

/// A partition between A and B heals: what A learned meanwhile reaches C, which is aligned
/// with B and does not realign — B floods what it solicited (the hop count decision of
/// `scsp::update`).
#[test]
fn partition_heals_through_a_line() {
    let mut net = Net::new(4, Duration::from_millis(1), 0.0);
    let a = net.add(config(1, &[2]), Toy::default());
    let b = net.add(config(2, &[1, 3]), Toy::default());
    let c = net.add(config(3, &[2]), Toy::default());
    assert!(net.run_until(
        Duration::from_millis(100),
        Duration::from_secs(10),
        all_aligned
    ));
    net.set_cut(a, b, true);
    net.with(a, |e, now| {
        e.originate(now, key(7), "during the partition").unwrap()
    });
    // A and B stall each other (no Hellos), the VC stays up.
    net.run_for(Duration::from_secs(5));
    assert!(live(&net.nodes[c].engine).is_empty());
    net.set_cut(a, b, false);
    assert!(
        net.run_until(
            Duration::from_millis(100),
            Duration::from_secs(30),
            converged
        ),
        "C never learned A's update"
    );
    assert_eq!(live(&net.nodes[c].engine).len(), 1);
    let _ = b;
}

/// The engine's state serialises for the daemon.
#[test]
fn snapshot_serialises() {
    let mut net = Net::new(1, Duration::from_millis(1), 0.0);
    let a = net.add(config(1, &[2]), Toy::default());
    net.add(config(2, &[1]), Toy::default());
    net.with(a, |e, now| e.originate(now, key(1), "x").unwrap());
    net.run_for(Duration::from_secs(3));
    let e = &net.nodes[a].engine;
    let v = serde_json::to_value(e.snapshot()).unwrap();
    assert_eq!(v["cache_entries"], 1);
    assert_eq!(v["dcs"][0]["hello"], "bidirectional");
    assert_eq!(v["dcs"][0]["ca"], "aligned");
    assert!(v["counters"]["sent"]["hello"].as_u64().unwrap() >= 3);
    let rows: Vec<_> = e.cache_rows(net.now).collect();
    let r = serde_json::to_value(&rows).unwrap();
    assert_eq!(r[0]["key"], "00000001");
    assert_eq!(r[0]["source"], "local");
    assert!(r[0]["age_ms"].as_u64().unwrap() >= 2_000);
}
