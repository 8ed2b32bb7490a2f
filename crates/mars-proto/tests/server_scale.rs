//! Scale: many members, memberships and ranges through the engine, with heap use measured by a
//! counting global allocator (this binary holds one test at a time so that nothing else
//! allocates meanwhile).
//!
//! - `scale_small` (default `cargo test`): 2,000 members, 20,000 memberships, 1,000 ranges.
//! - `scale_full` (`#[ignore]`; run with
//!   `cargo test -p mars-proto --release --test server_scale -- --ignored --nocapture`):
//!   100,000 registered members — two clusters of 50,000, IPv4 and IPv6, because a CMI is 16
//!   bits and one cluster holds at most 65,535 endpoints (RFC 2022 §5.2.3) — 1,000,000
//!   (member, group) memberships and 10,000 overlapping block joins.
//!
//! Both assert the costs the membership model promises (`db.rs`): at most 64 heap octets per
//! single-group membership, and per block join a cost independent of the addresses it covers
//! (a per-address structure would need 2^28 entries for one promiscuous router, §8.2).

#[path = "server_support/harness.rs"]
mod harness;

use std::alloc::System;
use std::time::Instant as Clock;

use harness::{g4, g6, nsap, Harness};
use mars_wire::mars::MarsBody;
use mars_wire::{ProtoAddr, Protocol};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Live heap octets gained since `r` began (`stats_alloc` already folds reallocations into
/// `bytes_allocated`/`bytes_deallocated`; `bytes_reallocated` would count them twice).
fn net(r: &Region<'_, System>) -> i64 {
    let s = r.change();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

/// Group `k` of member `i` among `groups` groups: distinct for k < groups (613 is prime).
fn group_of(i: u32, k: u32, groups: u32) -> u32 {
    (i * 7 + k * 613) % groups
}

struct Params {
    per_cluster: u32,
    per_member: u32,
    groups: u32,
    ranges_per_cluster: u32,
}

fn scale(p: &Params) {
    let clusters = [Protocol::IPV4, Protocol::IPV6];
    let grp = |c: usize, v: u32| if c == 0 { g4(v) } else { g6(v) };
    let mut h = Harness::with_protocols(clusters.to_vec());
    h.capture = false;
    let t = Clock::now();
    let region = Region::new(GLOBAL);
    for (c, &pro) in clusters.iter().enumerate() {
        for i in 0..p.per_cluster {
            h.register(node(c, i, p), pro);
        }
    }
    let members_bytes = net(&region);
    let t_reg = t.elapsed();
    let region = Region::new(GLOBAL);
    let t = Clock::now();
    for (c, &pro) in clusters.iter().enumerate() {
        for i in 0..p.per_cluster {
            for k in 0..p.per_member {
                let g = grp(c, group_of(i, k, p.groups));
                h.join(node(c, i, p), pro, g, g, false);
            }
        }
    }
    let memberships = u64::from(p.per_cluster) * 2 * u64::from(p.per_member);
    let memberships_bytes = net(&region);
    let t_join = t.elapsed();
    // Overlapping block joins of random width (up to the whole space) by the first members.
    let mut rng = ChaCha8Rng::seed_from_u64(2022);
    let mut blocks: Vec<Vec<(u32, u32)>> = vec![Vec::new(), Vec::new()];
    let region = Region::new(GLOBAL);
    let t = Clock::now();
    for (c, &pro) in clusters.iter().enumerate() {
        for i in 0..p.ranges_per_cluster {
            let lo: u32 = rng.gen_range(0..1 << 27);
            let hi = lo + rng.gen_range(1..1 << 27);
            h.join(node(c, i, p), pro, grp(c, lo), grp(c, hi), false);
            blocks[c].push((lo, hi));
        }
    }
    let ranges = u64::from(p.ranges_per_cluster) * 2;
    let ranges_bytes = net(&region);
    let t_ranges = t.elapsed();

    // The database holds what was sent.
    let entries: usize =
        h.s.clusters()
            .iter()
            .map(|c| c.db.membership_entries())
            .sum();
    let members: usize = h.s.clusters().iter().map(|c| c.db.member_count()).sum();
    assert_eq!(members, 2 * p.per_cluster as usize);
    assert_eq!(entries as u64, memberships + ranges);

    // Resolution answers the model for sample groups (singles plus covering blocks).
    h.capture = true;
    let t = Clock::now();
    for (c, &pro) in clusters.iter().enumerate() {
        for s in 0..8 {
            let gv = (s * 977 + 13) % p.groups;
            let mut want = std::collections::BTreeSet::new();
            for i in 0..p.per_cluster {
                if (0..p.per_member).any(|k| group_of(i, k, p.groups) == gv) {
                    want.insert(i);
                }
            }
            for (i, &(lo, hi)) in blocks[c].iter().enumerate() {
                if lo <= gv && gv <= hi {
                    want.insert(i as u32);
                }
            }
            h.request(node(c, 0, p), pro, grp(c, gv));
            let mut got = 0usize;
            for (_, m) in h.take() {
                match m.body {
                    MarsBody::Multi(mm) => got += mm.targets.len(),
                    MarsBody::Nak(_) => {}
                    other => panic!("unexpected {other:?}"),
                }
            }
            assert_eq!(got, want.len(), "cluster {c} group {gv}");
        }
    }
    let t_req = t.elapsed();

    // A promiscuous router costs one block whatever the space it covers (§8.2).
    let region = Region::new(GLOBAL);
    h.capture = false;
    let router = node(0, p.per_cluster - 1, p);
    h.join(
        router,
        Protocol::IPV4,
        g4(0),
        ProtoAddr::v4_u32(0xEFFF_FFFF),
        false,
    );
    let router_bytes = net(&region);

    let per_membership = memberships_bytes as f64 / memberships as f64;
    let per_range = ranges_bytes as f64 / ranges as f64;
    let per_member = members_bytes as f64 / members as f64;
    println!(
        "scale: {members} members ({per_member:.0} B each, {t_reg:?}), {memberships} memberships \
         ({per_membership:.1} B each, {t_join:?}), {ranges} ranges ({per_range:.1} B each, \
         {t_ranges:?}); total {:.1} B per membership incl. members; 16 REQUESTs in {t_req:?}; \
         class D join +{router_bytes} B",
        (members_bytes + memberships_bytes) as f64 / memberships as f64
    );
    assert!(
        per_membership <= 64.0,
        "{per_membership:.1} heap octets per membership (target <= 64)"
    );
    assert!(
        per_range <= 512.0,
        "{per_range:.1} heap octets per block join"
    );
    assert!(
        router_bytes < 4096,
        "a class D block join took {router_bytes} octets: not proportional to ranges"
    );
}

/// Node number of member `i` of cluster `c` (distinct ATM addresses across both clusters).
fn node(c: usize, i: u32, p: &Params) -> u32 {
    1 + i + c as u32 * p.per_cluster
}

#[test]
fn scale_small() {
    scale(&Params {
        per_cluster: 1_000,
        per_member: 10,
        groups: 1_000,
        ranges_per_cluster: 500,
    });
    let _ = nsap(0);
}

#[test]
#[ignore = "release-mode scale run: cargo test -p mars-proto --release --test server_scale -- --ignored"]
fn scale_full() {
    scale(&Params {
        per_cluster: 50_000,
        per_member: 10,
        groups: 5_000,
        ranges_per_cluster: 5_000,
    });
}
