//! SDU throughput and latency of the ATM emulation over UDP against a plain UDP socket pair
//! doing the same sends, in the same run, on loopback.
//!
//! `cargo bench -p marsd --bench atm_udp` (add `-- --quick` for a short run).
//!
//! * Throughput: the sender keeps at most `WINDOW` SDUs in flight (so loopback socket buffers
//!   never overflow and both sides measure delivery, not loss) and the rate is SDUs delivered
//!   per second.
//! * Latency: one SDU at a time, one-way, send call to delivery (same clock).
//! * Fan-out: one SDU to 1,000 leaves (1,000 datagrams); throughput counts leaf deliveries,
//!   latency is send to the last leaf's delivery.

use std::net::{SocketAddr, UdpSocket as StdUdp};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use mars_proto::{PartyId, VcEvent, VcId, VcRequest};
use marsd::atm_udp::{EndpointSpec, RawEndpoint};
use tokio::net::UdpSocket;

const WINDOW: u64 = 64;
const STALL: Duration = Duration::from_secs(2);
/// No delivery progress for this long: what is in flight was lost (counted, not waited for).
const LOSS_AFTER: Duration = Duration::from_millis(50);
/// Socket buffers for the plain baseline: the same the emulation asks for.
const SOCKET_BUFFER: usize = 4 << 20;

/// Waits (spinning or yielding) until `done()`, or until `progress()` stops moving for
/// [`LOSS_AFTER`]; returns whether `done()` became true.
macro_rules! wait_for {
    ($done:expr, $progress:expr, $pause:expr) => {{
        let mut last = $progress;
        let mut since = Instant::now();
        loop {
            if $done {
                break true;
            }
            let now = $progress;
            if now != last {
                last = now;
                since = Instant::now();
            } else if since.elapsed() > LOSS_AFTER {
                break false;
            }
            $pause;
        }
    }};
}

struct Row {
    name: String,
    emu_rate: f64,
    plain_rate: f64,
    emu_lat: (Duration, Duration),
    plain_lat: (Duration, Duration),
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p) as usize]
}

fn p50_p99(v: Vec<Duration>) -> (Duration, Duration) {
    (pct(v.clone(), 0.50), pct(v, 0.99))
}

fn payload(size: usize, k: u64) -> Bytes {
    let mut v = vec![0u8; size.max(8)];
    v[..8].copy_from_slice(&k.to_be_bytes());
    v.truncate(size.max(8));
    Bytes::from(v)
}

fn spec(ip: &str) -> EndpointSpec {
    EndpointSpec::new(format!("{ip}:0").parse().unwrap())
}

async fn connected_pair() -> (RawEndpoint, RawEndpoint, VcId, VcId) {
    let mut a = RawEndpoint::bind(spec("127.0.0.1")).await.unwrap();
    let mut b = RawEndpoint::bind(spec("127.0.0.2")).await.unwrap();
    let vc = VcId::local(1);
    a.request(VcRequest::Connect {
        vc,
        to: b.address(),
    });
    let Some(VcEvent::IncomingCall { vc: inc, .. }) = b.next_event(STALL).await else {
        panic!("no call")
    };
    b.request(VcRequest::Accept { vc: inc });
    assert_eq!(a.next_event(STALL).await, Some(VcEvent::Connected { vc }));
    (a, b, vc, inc)
}

/// Emulation, point to point: (SDUs per second, latencies).
async fn emu_p2p(size: usize, n: u64, samples: usize) -> (f64, Vec<Duration>) {
    let (a, mut b, vc, _) = connected_pair().await;
    let delivered = Arc::new(AtomicU64::new(0));
    let stamps = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (d2, s2) = (delivered.clone(), stamps.clone());
    let t0 = Instant::now();
    let sink = tokio::spawn(async move {
        while let Some(ev) = b.next_event(STALL).await {
            if let VcEvent::Received { sdu, .. } = ev {
                let sent = u64::from_be_bytes(sdu[..8].try_into().unwrap());
                s2.lock()
                    .unwrap()
                    .push(t0.elapsed().saturating_sub(Duration::from_nanos(sent)));
                d2.fetch_add(1, Ordering::Release);
            }
        }
    });
    // Throughput.
    let start = Instant::now();
    let mut lost = 0;
    let got = || delivered.load(Ordering::Acquire);
    for k in 0..n {
        if !wait_for!(
            k - got() - lost < WINDOW,
            got(),
            tokio::task::yield_now().await
        ) {
            lost = k - got();
        }
        a.request(VcRequest::Send {
            vc,
            sdu: payload(size, t0.elapsed().as_nanos() as u64),
        });
    }
    wait_for!(got() + lost >= n, got(), tokio::task::yield_now().await);
    let rate = got() as f64 / start.elapsed().as_secs_f64();
    // Latency, one at a time.
    stamps.lock().unwrap().clear();
    for _ in 0..samples as u64 {
        let base = got();
        a.request(VcRequest::Send {
            vc,
            sdu: payload(size, t0.elapsed().as_nanos() as u64),
        });
        wait_for!(got() > base, got(), tokio::task::yield_now().await);
    }
    let lat = stamps.lock().unwrap().clone();
    a.kill();
    sink.abort();
    (rate, lat)
}

/// Plain UDP, point to point, blocking sockets on two threads.
fn plain_p2p(size: usize, n: u64, samples: usize) -> (f64, Vec<Duration>) {
    let tx = StdUdp::bind("127.0.0.1:0").unwrap();
    let rx = StdUdp::bind("127.0.0.2:0").unwrap();
    for s in [&tx, &rx] {
        let _ = rustix::net::sockopt::set_socket_recv_buffer_size(s, SOCKET_BUFFER);
        let _ = rustix::net::sockopt::set_socket_send_buffer_size(s, SOCKET_BUFFER);
    }
    let to = rx.local_addr().unwrap();
    rx.set_read_timeout(Some(STALL)).unwrap();
    let delivered = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let d2 = delivered.clone();
    let lat = Arc::new(std::sync::Mutex::new(Vec::new()));
    let l2 = lat.clone();
    let sink = std::thread::spawn(move || {
        let mut buf = vec![0u8; 65_536];
        while let Ok((len, _)) = rx.recv_from(&mut buf) {
            if len == 0 {
                break; // The end marker.
            }
            let sent = u64::from_be_bytes(buf[..8].try_into().unwrap());
            l2.lock()
                .unwrap()
                .push(t0.elapsed().saturating_sub(Duration::from_nanos(sent)));
            d2.fetch_add(1, Ordering::Release);
        }
    });
    let got = || delivered.load(Ordering::Acquire);
    let start = Instant::now();
    let mut lost = 0;
    for k in 0..n {
        if !wait_for!(k - got() - lost < WINDOW, got(), std::hint::spin_loop()) {
            lost = k - got();
        }
        tx.send_to(&payload(size, t0.elapsed().as_nanos() as u64), to)
            .unwrap();
    }
    wait_for!(got() + lost >= n, got(), std::hint::spin_loop());
    let rate = got() as f64 / start.elapsed().as_secs_f64();
    lat.lock().unwrap().clear();
    for _ in 0..samples as u64 {
        let base = got();
        tx.send_to(&payload(size, t0.elapsed().as_nanos() as u64), to)
            .unwrap();
        wait_for!(got() > base, got(), std::hint::spin_loop());
    }
    tx.send_to(&[], to).unwrap();
    sink.join().unwrap();
    let lat = lat.lock().unwrap().clone();
    (rate, lat)
}

/// Emulation, one root and `leaves` leaf endpoints: (leaf deliveries per second, latencies
/// from send to the last leaf).
async fn emu_fanout(leaves: usize, n: u64, samples: usize) -> (f64, Vec<Duration>) {
    let mut root = RawEndpoint::bind(spec("127.0.0.1")).await.unwrap();
    let vc = VcId::local(1);
    root.request(VcRequest::OpenMultipoint { vc });
    let delivered = Arc::new(AtomicU64::new(0));
    let last_seen = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..leaves {
        let mut leaf = RawEndpoint::bind(spec(&format!("127.0.1.{}", 1 + i % 250)))
            .await
            .unwrap();
        root.request(VcRequest::AddParty {
            vc,
            party: PartyId(i as u32),
            to: leaf.address(),
        });
        let (d, l) = (delivered.clone(), last_seen.clone());
        tasks.push(tokio::spawn(async move {
            while let Some(ev) = leaf.next_event(STALL * 5).await {
                match ev {
                    VcEvent::IncomingCall { vc, .. } => leaf.request(VcRequest::Accept { vc }),
                    VcEvent::Received { .. } => {
                        l.store(t0.elapsed().as_nanos() as u64, Ordering::Release);
                        d.fetch_add(1, Ordering::Release);
                    }
                    _ => {}
                }
            }
        }));
    }
    for _ in 0..leaves {
        assert!(matches!(
            root.next_event(STALL * 5).await,
            Some(VcEvent::PartyAdded { .. })
        ));
    }
    let per = leaves as u64;
    let got = || delivered.load(Ordering::Acquire);
    let start = Instant::now();
    let mut lost = 0;
    for k in 0..n {
        if !wait_for!(
            k * per - got() - lost < 16 * per,
            got(),
            tokio::task::yield_now().await
        ) {
            lost = k * per - got();
        }
        root.request(VcRequest::Send {
            vc,
            sdu: payload(64, k),
        });
    }
    wait_for!(
        got() + lost >= n * per,
        got(),
        tokio::task::yield_now().await
    );
    let rate = got() as f64 / start.elapsed().as_secs_f64();
    let mut lat = Vec::new();
    for _ in 0..samples {
        let base = got();
        let sent = t0.elapsed();
        root.request(VcRequest::Send {
            vc,
            sdu: payload(64, 0),
        });
        if wait_for!(got() >= base + per, got(), tokio::task::yield_now().await) {
            lat.push(Duration::from_nanos(last_seen.load(Ordering::Acquire)).saturating_sub(sent));
        }
    }
    root.kill();
    for t in tasks {
        t.abort();
    }
    (rate, lat)
}

/// Plain UDP fan-out: one socket, one `send_to` per leaf, tokio receivers.
async fn plain_fanout(leaves: usize, n: u64, samples: usize) -> (f64, Vec<Duration>) {
    let delivered = Arc::new(AtomicU64::new(0));
    let last_seen = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut dests: Vec<SocketAddr> = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..leaves {
        let s = UdpSocket::bind(format!("127.0.2.{}:0", 1 + i % 250))
            .await
            .unwrap();
        let _ = rustix::net::sockopt::set_socket_recv_buffer_size(&s, SOCKET_BUFFER);
        dests.push(s.local_addr().unwrap());
        let (d, l) = (delivered.clone(), last_seen.clone());
        tasks.push(tokio::spawn(async move {
            let mut buf = [0u8; 2048];
            while s.recv_from(&mut buf).await.is_ok() {
                l.store(t0.elapsed().as_nanos() as u64, Ordering::Release);
                d.fetch_add(1, Ordering::Release);
            }
        }));
    }
    let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let _ = rustix::net::sockopt::set_socket_send_buffer_size(&tx, SOCKET_BUFFER);
    let per = leaves as u64;
    let got = || delivered.load(Ordering::Acquire);
    let start = Instant::now();
    let mut lost = 0;
    for k in 0..n {
        if !wait_for!(
            k * per - got() - lost < 16 * per,
            got(),
            tokio::task::yield_now().await
        ) {
            lost = k * per - got();
        }
        let p = payload(64, k);
        for d in &dests {
            tx.send_to(&p, d).await.unwrap();
        }
    }
    wait_for!(
        got() + lost >= n * per,
        got(),
        tokio::task::yield_now().await
    );
    let rate = got() as f64 / start.elapsed().as_secs_f64();
    let mut lat = Vec::new();
    for _ in 0..samples {
        let base = got();
        let sent = t0.elapsed();
        let p = payload(64, 0);
        for d in &dests {
            tx.send_to(&p, d).await.unwrap();
        }
        if wait_for!(got() >= base + per, got(), tokio::task::yield_now().await) {
            lat.push(Duration::from_nanos(last_seen.load(Ordering::Acquire)).saturating_sub(sent));
        }
    }
    for t in tasks {
        t.abort();
    }
    (rate, lat)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (n, samples, fan_n) = if quick {
        (20_000, 500, 50)
    } else {
        (200_000, 5_000, 300)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for size in [64usize, 1500] {
        eprintln!("p2p {size} B: plain");
        let (plain_rate, plain_lat) = plain_p2p(size, n, samples);
        eprintln!("p2p {size} B: emulation");
        let (emu_rate, emu_lat) = rt.block_on(emu_p2p(size, n, samples));
        rows.push(Row {
            name: format!("p2p {size} B"),
            emu_rate,
            plain_rate,
            emu_lat: p50_p99(emu_lat),
            plain_lat: p50_p99(plain_lat),
        });
    }
    eprintln!("fan-out: plain");
    let (plain_rate, plain_lat) = rt.block_on(plain_fanout(1_000, fan_n, samples / 10));
    eprintln!("fan-out: emulation");
    let (emu_rate, emu_lat) = rt.block_on(emu_fanout(1_000, fan_n, samples / 10));
    rows.push(Row {
        name: "fan-out 1000 leaves, 64 B".into(),
        emu_rate,
        plain_rate,
        emu_lat: p50_p99(emu_lat),
        plain_lat: p50_p99(plain_lat),
    });

    println!(
        "\n{:<27} {:>14} {:>14} {:>7} {:>21} {:>21}",
        "case", "emu SDU/s", "plain SDU/s", "ratio", "emu p50 / p99", "plain p50 / p99"
    );
    for r in rows {
        println!(
            "{:<27} {:>14.0} {:>14.0} {:>7.2} {:>21} {:>21}",
            r.name,
            r.emu_rate,
            r.plain_rate,
            r.emu_rate / r.plain_rate,
            format!("{:.1?} / {:.1?}", r.emu_lat.0, r.emu_lat.1),
            format!("{:.1?} / {:.1?}", r.plain_lat.0, r.plain_lat.1),
        );
    }
    println!("(throughput with at most {WINDOW} SDUs in flight; fan-out counts leaf deliveries)");
}
