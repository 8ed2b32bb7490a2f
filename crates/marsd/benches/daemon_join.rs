//! From a MARS_JOIN to its copy on every server's ClusterControlVC, across three `marsd`
//! servers of one server group (RFC 2443) on loopback: p50/p99.
//!
//! `cargo bench -p marsd --bench daemon_join` (`-- --quick` for 200 joins per scenario instead
//! of 1,000).
//!
//! Three `marsd` server processes (full mesh, 127.0.0.1/.2/.3). In this process: a joiner
//! registered with server A, and one observer registered with each server — real
//! `MarsClient`s on emulated endpoints, the observers reporting the arrival time of every
//! MARS_JOIN copy on their ClusterControlVC (`daemon_support::engines::Tap`). Each round the
//! joiner joins a fresh group; the latency to a server is from the `join` call to the arrival
//! of the copy at that server's observer: A's copy follows the JOIN directly; B's and C's
//! follow A's CSU Request (SCSP) to them. One join at a time, in two scenarios: each group
//! left again before the next join (the joiner holds one group), and groups accumulating
//! (the joiner ends up holding 1,000).

mod daemon_support;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use daemon_support::engines::{Seen, Tap};
use daemon_support::{atm_of, dur, free_port, pct, table, wait_for, workdir, Marsd, EMULATION};
use mars_proto::mars::client::ClientConfig;
use mars_wire::{AtmAddress, ProtoAddr};
use marsd::atm_udp::{EndpointSpec, EngineEndpoint};
use tokio::sync::mpsc;

fn server_toml(dir: &std::path::Path, i: usize, port: u16) -> String {
    let name = ["a", "b", "c"][i];
    let mut t = format!(
        "[daemon]\ncontrol_socket = \"{}/{name}.sock\"\n{EMULATION}[server]\nname = \"{name}\"\n\
         bind = \"127.0.0.{}:{port}\"\ncmi_range = [{}, {}]\n[server.scsp]\nserver_id = {}\n\
         hello_interval = \"200ms\"\nconnect_retry = \"200ms\"\ncallee_fallback = \"1s\"\n\
         origination_hold = \"off\"\n",
        dir.display(),
        i + 1,
        1000 * i + 1,
        1000 * i + 999,
        i + 1
    );
    for j in (0..3).filter(|&j| j != i) {
        t += &format!(
            "[[server.peers]]\naddress = \"{}\"\nid = {}\n",
            atm_of(j as u8 + 1, port),
            j + 1
        );
    }
    t
}

/// Wait for the copies of the JOIN (or LEAVE) of `g` by `me` at the three taps; when each
/// arrived.
fn copies(
    rt: &tokio::runtime::Runtime,
    rx: &mut mpsc::UnboundedReceiver<Seen>,
    g: ProtoAddr,
    me: AtmAddress,
    leave: bool,
) -> BTreeMap<usize, Instant> {
    let mut at = BTreeMap::new();
    rt.block_on(async {
        while at.len() < 3 {
            let s = tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .expect("a copy within 5 s")
                .expect("taps alive");
            if s.group == g && s.source == me && s.tap < 3 && s.leave == leave {
                at.entry(s.tap).or_insert(s.at);
            }
        }
    });
    at
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds: u32 = if quick { 200 } else { 1000 };
    let dir = workdir("join");
    let port = free_port();
    let servers: Vec<Marsd> = (0..3)
        .map(|i| Marsd::start(&dir, ["a", "b", "c"][i], &server_toml(&dir, i, port), None))
        .collect();
    for s in &servers {
        wait_for(
            Duration::from_secs(30),
            Duration::from_millis(50),
            "alignment",
            || {
                let p = s.show("peers");
                let dcs = p["roles"][0]["dcs"].as_array().cloned().unwrap_or_default();
                (dcs.len() == 2 && dcs.iter().all(|d| d["ca"] == "aligned")).then_some(())
            },
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel::<Seen>();
    let start = |host: u8, server: usize, index: usize| {
        let mars: AtmAddress = servers[server].atm(0).parse().unwrap();
        let tx = tx.clone();
        rt.block_on(EngineEndpoint::spawn(
            EndpointSpec::new(format!("127.0.0.{host}:0").parse().unwrap()),
            move |atm| Tap::new(ClientConfig::new(atm, vec![mars]), index, tx),
        ))
        .unwrap()
    };
    let joiner = start(1, 0, 99);
    let taps: Vec<_> = (0..3).map(|i| start(i as u8 + 1, i, i)).collect();
    for ep in taps.iter().chain([&joiner]) {
        rt.block_on(async {
            let end = Instant::now() + Duration::from_secs(20);
            while !ep
                .with(|t, _| t.client.is_registered())
                .await
                .unwrap_or(false)
            {
                assert!(Instant::now() < end, "registration");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    }
    let me = joiner.address();
    // One scenario: `rounds` joins of fresh groups; with `leave`, each group is left (and the
    // LEAVE seen everywhere) before the next join, so the joiner holds one group at a time.
    let mut scenario = |leave: bool, base: u32| {
        let mut lat: BTreeMap<usize, Vec<Duration>> = BTreeMap::new();
        let mut every = Vec::new();
        let t_all = Instant::now();
        for i in base..base + rounds {
            let g = ProtoAddr::from(Ipv4Addr::new(225, (i >> 16) as u8, (i >> 8) as u8, i as u8));
            let t0 = rt
                .block_on(joiner.with(move |j, now| {
                    let t = Instant::now();
                    j.client.join(now, g).expect("join");
                    t
                }))
                .unwrap();
            let at = copies(&rt, &mut rx, g, me, false);
            for (&k, &t) in &at {
                lat.entry(k)
                    .or_default()
                    .push(t.saturating_duration_since(t0));
            }
            every.push(at.values().max().unwrap().saturating_duration_since(t0));
            if leave {
                rt.block_on(joiner.with(move |j, now| j.client.leave(now, g).expect("leave")))
                    .unwrap();
                copies(&rt, &mut rx, g, me, true);
            }
        }
        (lat, every, t_all.elapsed())
    };
    let row = |name: &str, v: &[Duration]| {
        vec![
            name.to_string(),
            dur(pct(v, 0.5)),
            dur(pct(v, 0.99)),
            dur(pct(v, 1.0)),
        ]
    };
    for (leave, title, base) in [
        (
            true,
            "each group left before the next join: the joiner holds one group",
            0,
        ),
        (
            false,
            "groups accumulating: the joiner holds up to",
            1 << 16,
        ),
    ] {
        let (lat, every, wall) = scenario(leave, base);
        println!(
            "\nMARS_JOIN at server A to the copy on each server's ClusterControlVC, 3 marsd \
             servers (full mesh), {rounds} joins one at a time, {title}{} ({:.1} s)\n",
            if leave {
                String::new()
            } else {
                format!(" {rounds} groups")
            },
            wall.as_secs_f64()
        );
        table(
            &["copy on", "p50", "p99", "max"],
            &[
                row("A's ClusterControlVC (the joiner's server)", &lat[&0]),
                row("B's (via SCSP from A)", &lat[&1]),
                row("C's (via SCSP from A)", &lat[&2]),
                row("every server's (the last of the three)", &every),
            ],
        );
    }
    drop(taps);
    drop(joiner);
    drop(servers);
    let _ = std::fs::remove_dir_all(&dir);
}
