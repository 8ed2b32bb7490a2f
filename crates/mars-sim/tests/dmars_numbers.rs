//! The numbers of RFC 2443 on the fabric (reported in BENCHMARKS.md; not pass/fail tests):
//! JOIN propagation to every server's ClusterControlVC in 8-server groups, messages per JOIN,
//! failover time, and memory per membership on each server.
//!
//! `cargo test --release -p mars-sim --test dmars_numbers -- --ignored --nocapture --test-threads 1`

mod dmars_support;

use std::alloc::System;
use std::time::Duration;

use dmars_support::{group, Lis, LisSpec, Topology};
use mars_proto::mars::client::{MemberState, RegState};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn scsp_csu_messages(lis: &Lis) -> u64 {
    (0..lis.servers.len())
        .map(|s| {
            let c = lis.server(s).scsp().counters();
            c.sent.csu_request + c.sent.csu_reply
        })
        .sum()
}

fn ccvc_joins(lis: &Lis, s: usize) -> u64 {
    lis.server(s).server().stats().mars_stat_tx_join_msgs
}

#[test]
#[ignore]
fn join_propagation_in_eight_server_groups() {
    println!("| topology | servers | last CCVC JOIN after | in link latencies | SCSP CSU Request+Reply | MARS messages (JOIN + CCVC copies) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for topology in [Topology::Line, Topology::Ring, Topology::Mesh] {
        let mut lis = Lis::new(LisSpec {
            servers: 8,
            clients: 8,
            topology,
            ..LisSpec::default()
        });
        // Steady state, then just after a redirect refresh (every 2 s) so that nothing else
        // floods during the measurement.
        lis.run(Duration::from_millis(10_300));
        let before_csu = scsp_csu_messages(&lis);
        let before: Vec<u64> = (0..8).map(|s| ccvc_joins(&lis, s)).collect();
        let t0 = lis.now();
        lis.join(0, group(1));
        let mut seen = [None; 8];
        while seen.iter().any(Option::is_none) && lis.now() - t0 < Duration::from_secs(1) {
            let next = lis.now() + Duration::from_micros(100);
            lis.sim.run_until(next).unwrap();
            for (s, t) in seen.iter_mut().enumerate() {
                if t.is_none() && ccvc_joins(&lis, s) > before[s] {
                    *t = Some(lis.now() - t0);
                }
            }
        }
        let last = seen
            .iter()
            .map(|t| t.expect("every server propagated"))
            .max()
            .unwrap();
        lis.run(Duration::from_millis(200));
        let csu = scsp_csu_messages(&lis) - before_csu;
        // The client's MARS_JOIN plus one copy on each server's ClusterControlVC.
        let mars = 1 + (0..8).map(|s| ccvc_joins(&lis, s) - before[s]).sum::<u64>();
        println!(
            "| {topology:?} | 8 | {:.1} ms | {:.1} | {csu} | {mars} |",
            last.as_secs_f64() * 1e3,
            last.as_secs_f64() / 0.001
        );
    }
}

#[test]
#[ignore]
fn failover_time_in_redirect_intervals() {
    println!("| seed | clients of the dead server | last re-joined after | redirect intervals |");
    println!("|---:|---:|---:|---:|");
    for seed in 1..=5 {
        let interval = Duration::from_secs(2);
        let mut lis = Lis::new(LisSpec {
            seed,
            servers: 3,
            clients: 30,
            redirect_interval: interval,
            ..LisSpec::default()
        });
        lis.run(Duration::from_secs(8));
        for i in 0..30 {
            lis.join(i, group(1 + (i % 4) as u8));
        }
        lis.run(Duration::from_secs(3));
        let t0 = lis.now();
        lis.sim.crash(lis.servers[0]);
        let orphans: Vec<usize> = (0..30).filter(|&i| lis.home[i] == 0).collect();
        let mut done = None;
        while done.is_none() && lis.now() - t0 < Duration::from_secs(60) {
            lis.run(Duration::from_millis(50));
            let all = orphans.iter().all(|&i| {
                let st = lis.client_ref(i).state();
                st.state == RegState::Registered
                    && st.mars != lis.mars[0]
                    && st
                        .memberships
                        .iter()
                        .all(|m| m.state == MemberState::Joined)
                    && (1..3).all(|s| {
                        lis.host_map(s, group(1 + (i % 4) as u8))
                            .contains(&mars_sim::test_address(i as u64 + 1))
                    })
            });
            if all {
                done = Some(lis.now() - t0);
            }
        }
        let d = done.expect("every client failed over");
        println!(
            "| {seed} | {} | {:.2} s | {:.2} |",
            orphans.len(),
            d.as_secs_f64(),
            d.as_secs_f64() / interval.as_secs_f64()
        );
    }
}

#[test]
#[ignore]
fn memory_per_membership_on_each_server() {
    let measure = |clients: usize, groups: u8| -> Vec<usize> {
        let mut lis = Lis::new(LisSpec {
            servers: 3,
            clients,
            ..LisSpec::default()
        });
        lis.run(Duration::from_secs(8));
        for i in 0..clients {
            for g in 1..=groups {
                lis.join(i, group(g));
            }
        }
        lis.run(Duration::from_secs(20));
        (0..3)
            .map(|s| {
                let engine = lis.sim.crash(lis.servers[s]).expect("server engine");
                let reg = Region::new(GLOBAL);
                drop(engine);
                reg.change().bytes_deallocated
            })
            .collect()
    };
    let (clients, groups) = (300, 20);
    let base = measure(clients, 0);
    let full = measure(clients, groups);
    let n = clients * groups as usize;
    println!("| server | heap with {clients} members, no groups | with {n} memberships | per membership |");
    println!("|---:|---:|---:|---:|");
    for s in 0..3 {
        println!(
            "| {s} | {} B | {} B | {:.0} B |",
            base[s],
            full[s],
            (full[s] as f64 - base[s] as f64) / n as f64
        );
    }
}
