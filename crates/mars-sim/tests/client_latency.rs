//! Simulated time from a MARS_JOIN at a new member to the first datagram it receives from a
//! sender already sending to the group (one datagram per millisecond), in VC-mesh and MCS
//! mode, for two link latencies and ten seeds. Prints the numbers (run with
//! `cargo test -p mars-sim --test client_latency -- --nocapture`) and checks them against
//! what the protocol needs: JOIN to the MARS, its copy on ClusterControlVC (MARS_SJOIN on
//! ServerControlVC) to the sender (the MCS), the add-party signalling, then one datagram.

mod client_support;

use std::time::Duration;

use client_support::{group, Cluster, Spec};
use mars_sim::LinkConfig;

fn measure(seed: u64, mcs: bool, latency: Duration) -> Duration {
    let g = group(1);
    let mut c = Cluster::new(Spec {
        seed,
        clients: 3,
        mcs_groups: if mcs { vec![vec![g]] } else { Vec::new() },
        link: LinkConfig::with_latency(latency),
        ..Spec::default()
    });
    c.run(Duration::from_secs(2));
    c.join(1, g);
    c.run(Duration::from_secs(1));
    let mut seq = 0;
    // The sender is sending; client 1 already receives.
    for _ in 0..200 {
        seq += 1;
        c.send(0, g, seq);
        c.sim.run_for(Duration::from_millis(1)).unwrap();
        c.collect();
    }
    assert!(!c.seen_from(1, g, 0).is_empty());
    c.join(2, g);
    let t0 = c.now();
    for _ in 0..2000 {
        seq += 1;
        c.send(0, g, seq);
        c.sim.run_for(Duration::from_millis(1)).unwrap();
        c.collect();
        if let Some(&(_, _, _, t)) = c.seen.get(&2).and_then(|v| v.first()) {
            return t - t0;
        }
    }
    panic!("seed {seed}: no datagram within 2 s");
}

#[test]
fn join_to_first_datagram() {
    for mcs in [false, true] {
        for lat in [Duration::from_millis(1), Duration::from_millis(5)] {
            let v: Vec<Duration> = (1..=10).map(|s| measure(s, mcs, lat)).collect();
            let min = v.iter().min().unwrap();
            let max = v.iter().max().unwrap();
            let avg = v.iter().sum::<Duration>() / v.len() as u32;
            println!(
                "join→first datagram, {} mode, link latency {lat:?}: min {min:?} avg {avg:?} max {max:?}",
                if mcs { "MCS" } else { "VC mesh" }
            );
            // JOIN to the MARS and its copy back out (2 hops), add party (2 signalling hops),
            // the datagram (1 hop, 2 via the MCS), plus the 1 ms sending period.
            let hops = if mcs { 6 } else { 5 };
            assert!(
                *max <= lat * (hops + 2) + Duration::from_millis(2),
                "{max:?}"
            );
        }
    }
}
