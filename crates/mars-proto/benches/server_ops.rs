//! Per-message processing cost of the MARS server engine with 1,000,000 (member, group)
//! memberships loaded (100,000 members in two clusters, IPv4 and IPv6, ten single-group joins
//! each over 5,000 groups per cluster, about 100 members per group):
//!
//! - `join`: a MARS_JOIN of a group the member is not in (decode, database update, the copy
//!   encoded for ClusterControlVC);
//! - `leave`: the MARS_LEAVE undoing it;
//! - `request_multi`: a MARS_REQUEST answered by a MARS_MULTI of about 100 NSAP addresses.
//!
//! Input SDUs are encoded before timing; draining the engine's output is timed.
//! Run: `cargo bench -p mars-proto --bench server_ops`.

#[path = "../tests/server_support/harness.rs"]
mod harness;

use std::time::{Duration, Instant as Clock};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use harness::{g4, nsap, Harness};
use mars_proto::{AtmUser, VcEvent, VcId};
use mars_wire::mars::{Flags, GroupPair, Join, MarsBody, MarsMessage, Request};
use mars_wire::{ProtoAddr, Protocol};

const PER_CLUSTER: u32 = 50_000;
const PER_MEMBER: u32 = 10;
const GROUPS: u32 = 5_000;

fn loaded() -> Harness {
    let mut h = Harness::with_protocols(vec![Protocol::IPV4, Protocol::IPV6]);
    h.capture = false;
    for (c, pro) in [Protocol::IPV4, Protocol::IPV6].into_iter().enumerate() {
        let grp = |v: u32| if c == 0 { g4(v) } else { harness::g6(v) };
        for i in 0..PER_CLUSTER {
            let n = 1 + i + c as u32 * PER_CLUSTER;
            h.register(n, pro);
            for k in 0..PER_MEMBER {
                let g = grp((i * 7 + k * 613) % GROUPS);
                h.join(n, pro, g, g, false);
            }
        }
    }
    let entries: usize =
        h.s.clusters()
            .iter()
            .map(|c| c.db.membership_entries())
            .sum();
    assert_eq!(entries, 1_000_000);
    h
}

fn sdu(body: MarsBody) -> Bytes {
    Bytes::from(
        MarsMessage::new(Protocol::IPV4, body)
            .encode_sdu()
            .expect("encodes"),
    )
}

/// JOIN (or LEAVE) by IPv4 member `i` of a group outside the loaded ones.
fn join_sdu(i: u32, leave: bool) -> (VcId, Bytes) {
    let n = 1 + i % PER_CLUSTER;
    let g = g4(GROUPS + i / PER_CLUSTER);
    let j = Join::new(
        nsap(n),
        ProtoAddr::NULL,
        Flags(0).with_layer3grp(true),
        vec![GroupPair::single(g)],
    );
    let body = if leave {
        MarsBody::Leave(j)
    } else {
        MarsBody::Join(j)
    };
    (VcId::incoming(u64::from(n)), sdu(body))
}

fn feed(h: &mut Harness, vc: VcId, sdu: Bytes) {
    h.s.handle_vc_event(h.now, VcEvent::Received { vc, sdu });
    while h.s.poll_request().is_some() {}
    while h.s.poll_event().is_some() {}
}

/// Time `n` messages `make(i)` fed in order, after `prepare(i)` messages untimed.
fn timed(h: &mut Harness, base: u64, iters: u64, make: impl Fn(u32) -> (VcId, Bytes)) -> Duration {
    let msgs: Vec<(VcId, Bytes)> = (0..iters).map(|i| make((base + i) as u32)).collect();
    let t = Clock::now();
    for (vc, sdu) in msgs {
        feed(h, vc, sdu);
    }
    t.elapsed()
}

fn bench(c: &mut Criterion) {
    let mut h = loaded();
    let mut g = c.benchmark_group("server_1M_memberships");
    g.sample_size(30).measurement_time(Duration::from_secs(4));
    let mut next = 0u64;
    g.bench_function("join", |b| {
        b.iter_custom(|iters| {
            let base = next;
            next += iters;
            let d = timed(&mut h, base, iters, |i| join_sdu(i, false));
            // Undo, untimed, so the database stays at 1M memberships.
            for i in base..base + iters {
                let (vc, s) = join_sdu(i as u32, true);
                feed(&mut h, vc, s);
            }
            d
        })
    });
    g.bench_function("leave", |b| {
        b.iter_custom(|iters| {
            let base = next;
            next += iters;
            for i in base..base + iters {
                let (vc, s) = join_sdu(i as u32, false);
                feed(&mut h, vc, s);
            }
            timed(&mut h, base, iters, |i| join_sdu(i, true))
        })
    });
    g.bench_function("request_multi", |b| {
        b.iter_custom(|iters| {
            timed(&mut h, 0, iters, |i| {
                let n = 1 + i % PER_CLUSTER;
                let r = Request::new(nsap(n), ProtoAddr::NULL, g4(i % GROUPS));
                (VcId::incoming(u64::from(n)), sdu(MarsBody::Request(r)))
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
