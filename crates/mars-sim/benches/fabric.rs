//! Fabric throughput: SDUs through one point-to-point VC, and one SDU fanned out to a
//! multipoint VC's leaves. `cargo bench -p mars-sim`.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mars_proto::{PartyId, VcEvent, VcId, VcRequest};
use mars_sim::{test_address, EndpointId, Fabric};

const VC: VcId = VcId::local(1);

/// A fabric with a call from endpoint 1 to endpoint 2; returns them.
fn call() -> (Fabric, EndpointId, EndpointId) {
    let mut f = Fabric::new(1);
    let a = f.add_endpoint(test_address(1));
    let b = f.add_endpoint(test_address(2));
    f.request(
        a,
        VcRequest::Connect {
            vc: VC,
            to: test_address(2),
        },
    );
    f.run_until_idle();
    let Some(VcEvent::IncomingCall { vc, .. }) = f.poll_event(b) else {
        unreachable!()
    };
    f.request(b, VcRequest::Accept { vc });
    f.run_until_idle();
    f.poll_event(a);
    (f, a, b)
}

/// A multipoint VC from endpoint 0 to `leaves` leaves; returns the fabric and the root.
fn tree(leaves: u32) -> (Fabric, EndpointId) {
    let mut f = Fabric::new(2);
    let root = f.add_endpoint(test_address(0));
    let eps: Vec<_> = (1..=leaves)
        .map(|i| f.add_endpoint(test_address(u64::from(i))))
        .collect();
    f.request(root, VcRequest::OpenMultipoint { vc: VC });
    for i in 1..=leaves {
        let to = test_address(u64::from(i));
        f.request(
            root,
            VcRequest::AddParty {
                vc: VC,
                party: PartyId(i),
                to,
            },
        );
    }
    f.run_until_idle();
    for &leaf in &eps {
        let Some(VcEvent::IncomingCall { vc, .. }) = f.poll_event(leaf) else {
            unreachable!()
        };
        f.request(leaf, VcRequest::Accept { vc });
    }
    f.run_until_idle();
    (f, root)
}

fn point_to_point(c: &mut Criterion) {
    const SDUS: u64 = 10_000;
    let sdu = Bytes::from(vec![0u8; 100]);
    let mut g = c.benchmark_group("p2p");
    g.throughput(Throughput::Elements(SDUS));
    g.bench_function("10k SDUs sent, carried and polled", |bench| {
        bench.iter_batched(
            call,
            |(mut f, a, b)| {
                for _ in 0..SDUS {
                    f.request(
                        a,
                        VcRequest::Send {
                            vc: VC,
                            sdu: sdu.clone(),
                        },
                    );
                }
                f.run_until_idle();
                while let Some(ev) = f.poll_event(b) {
                    black_box(ev);
                }
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

fn fan_out(c: &mut Criterion) {
    const LEAVES: u32 = 1_000;
    let sdu = Bytes::from(vec![0u8; 100]);
    let mut g = c.benchmark_group("p2mp");
    g.throughput(Throughput::Elements(u64::from(LEAVES)));
    g.bench_function("1 SDU to 1k leaves", |bench| {
        bench.iter_batched(
            || tree(LEAVES),
            |(mut f, root)| {
                f.request(
                    root,
                    VcRequest::Send {
                        vc: VC,
                        sdu: sdu.clone(),
                    },
                );
                f.run_until_idle();
                black_box(f.totals().sdus_delivered)
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

criterion_group!(benches, point_to_point, fan_out);
criterion_main!(benches);
