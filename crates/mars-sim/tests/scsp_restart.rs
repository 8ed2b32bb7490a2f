//! A server crashes and comes back with an empty cache while the others hold 100,000
//! entries: it re-aligns (RFC 2334 §2.2), and its own entries from before the crash are
//! superseded as B.2.0.2 says — those it originates again are renumbered past the old ones
//! (existing number plus the configured constant), those it no longer has are purged.

mod scsp_support;

use std::time::Duration;

use mars_sim::LinkConfig;
use mars_wire::CsaSeq;
use scsp_support::{config, key, sid, topology, Group};

const OWN: u32 = 1_000;
const OTHERS: u32 = 49_500;

fn entries() -> (u32, u32) {
    // `SCSP_RESTART_SMALL=1` for a quick run.
    if std::env::var_os("SCSP_RESTART_SMALL").is_some() {
        (100, 1_000)
    } else {
        (OWN, OTHERS)
    }
}

#[test]
fn restart_among_100k_entries() {
    let (own, others) = entries();
    let link = LinkConfig {
        latency: Duration::from_millis(1),
        jitter: Duration::ZERO,
        loss: 0.0,
        bandwidth: None,
    };
    let mut g = Group::new(3, "mesh", 3, link);
    for k in 0..own {
        g.with(0, |e, now| {
            e.originate(now, key(k), format!("old {k}")).map(|_| ())
        })
        .expect("originate");
    }
    for s in 1..3 {
        for k in 0..others {
            g.with(s, |e, now| {
                e.originate(now, key(k), format!("{s}:{k}")).map(|_| ())
            })
            .expect("originate");
        }
    }
    let total = (own + 2 * others) as usize;
    assert!(
        g.run_until(Duration::from_millis(200), Duration::from_secs(600), |g| {
            g.engine(0).cache().len() == total && g.quiet() && g.same_caches()
        }),
        "the group did not align\n{}",
        g.dump()
    );
    let at_2 = g.live(1);
    let before: Vec<CsaSeq> = (0..own)
        .map(|k| {
            at_2.get(&(key(k), sid(1)))
                .map(|(s, _)| *s)
                .expect("server 1's entry")
        })
        .collect();

    // Server 1 crashes; the others notice (VC released by the network, cause #27).
    g.crash(0);
    g.run_for(Duration::from_secs(5));
    // It comes back empty and at once re-originates the first half of its entries (its
    // clients registering again); the second half it no longer has.
    let cfg = config(1, &topology("mesh", 3)[0]);
    g.restart(0, cfg);
    for k in 0..own / 2 {
        g.with(0, |e, now| {
            e.originate(now, key(k), format!("new {k}")).map(|_| ())
        })
        .expect("originate");
    }
    let expect = (own / 2 + 2 * others) as usize;
    assert!(
        g.run_until(Duration::from_millis(200), Duration::from_secs(600), |g| {
            g.engine(1).cache().len() == expect && g.quiet() && g.same_caches()
        }),
        "no convergence after the restart\n{}",
        g.dump()
    );
    for s in 0..3 {
        let live = g.live(s);
        assert_eq!(live.len(), expect, "server {}", s + 1);
        for k in 0..own {
            let got = live.get(&(key(k), sid(1)));
            if k < own / 2 {
                let (seq, part) = got.expect("re-originated entry");
                assert_eq!(
                    part,
                    format!("new {k}").as_bytes(),
                    "server {} key {k}",
                    s + 1
                );
                assert!(
                    *seq > before[k as usize],
                    "key {k}: {seq} does not supersede {}",
                    before[k as usize]
                );
            } else {
                assert!(got.is_none(), "server {}: stale key {k} survived", s + 1);
            }
        }
    }
}
