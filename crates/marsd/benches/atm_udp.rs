//! SDU throughput and latency of the ATM emulation over UDP against a plain UDP socket pair
//! doing the same sends, in the same run, on loopback.
//!
//! `cargo bench -p marsd --bench atm_udp` (add `-- --quick` for a short run, `-- --fan-out`
//! for the fan-out case alone).
//!
//! Both sides run the same little protocol, and nobody spins:
//! * Throughput: the sender keeps at most `WINDOW` SDUs unacknowledged; the receiver sends an
//!   acknowledgement (an 8-octet SDU / datagram back) every `ACK_EVERY` SDUs. The rate is SDUs
//!   delivered per second. Socket buffers are the same size on both sides.
//! * Latency: one SDU at a time, each acknowledged at once; one-way latency is measured from
//!   the send call to the delivery (same clock, same process).
//! * Fan-out: one 64-octet SDU to 1,000 leaves (1,000 datagrams), paced by the last leaf's
//!   delivery; the rate counts leaf deliveries, the latency is send to the last delivery.
//!
//! The emulation runs in engine mode, as `marsd` runs MARS engines: the sending and
//! receiving logic are `AtmUser` engines inside their endpoints' tasks. The "raw mode" rows
//! drive the same endpoints from separate tasks through the request/event channels, as a test
//! or the contract suite does (two more task hops per SDU).

use std::net::{SocketAddr, UdpSocket as StdUdp};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use std::collections::VecDeque;

use mars_proto::{AtmUser, Instant as MInstant, PartyId, VcEvent, VcId, VcRequest};
use mars_wire::AtmAddress;
use marsd::atm_udp::{EndpointSpec, EngineEndpoint, RawEndpoint};
use tokio::net::UdpSocket;
use tokio::sync::Notify;

const WINDOW: u64 = 256;
const ACK_EVERY: u64 = 32;
const STALL: Duration = Duration::from_secs(2);
const SOCKET_BUFFER: usize = 4 << 20;
const ACK_NOW: u8 = 1;

struct Row {
    name: String,
    emu_rate: f64,
    plain_rate: f64,
    emu_lat: Vec<Duration>,
    plain_lat: Vec<Duration>,
}

fn pct(v: &[Duration], p: f64) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v.get(((v.len() as f64 - 1.0) * p) as usize)
        .copied()
        .unwrap_or_default()
}

/// `size` octets: the send time (ns since `t0`), then a flag octet, then zeros.
fn payload(size: usize, t0: Instant, flag: u8) -> Bytes {
    let mut v = vec![0u8; size.max(9)];
    v[..8].copy_from_slice(&(t0.elapsed().as_nanos() as u64).to_be_bytes());
    v[8] = flag;
    Bytes::from(v)
}

fn latency(sdu: &[u8], t0: Instant) -> Duration {
    let sent = u64::from_be_bytes(sdu[..8].try_into().unwrap());
    t0.elapsed().saturating_sub(Duration::from_nanos(sent))
}

fn spec(ip: &str) -> EndpointSpec {
    EndpointSpec::new(format!("{ip}:0").parse().unwrap())
}

fn big_buffers<S: std::os::fd::AsFd>(s: &S) {
    let _ = rustix::net::sockopt::set_socket_recv_buffer_size(s, SOCKET_BUFFER);
    let _ = rustix::net::sockopt::set_socket_send_buffer_size(s, SOCKET_BUFFER);
}

/// Emulation, point to point: (SDUs per second, one-way latencies).
async fn emu_p2p(size: usize, n: u64, samples: usize) -> (f64, Vec<Duration>) {
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

    let t0 = Instant::now();
    let lat = Arc::new(Mutex::new(Vec::new()));
    let l2 = lat.clone();
    let sink = tokio::spawn(async move {
        let mut got = 0u64;
        while let Some(ev) = b.next_event(STALL).await {
            if let VcEvent::Received { sdu, .. } = ev {
                got += 1;
                if sdu[8] == ACK_NOW {
                    l2.lock().unwrap().push(latency(&sdu, t0));
                }
                if got.is_multiple_of(ACK_EVERY) || sdu[8] == ACK_NOW {
                    let ack = Bytes::copy_from_slice(&got.to_be_bytes());
                    b.request(VcRequest::Send { vc: inc, sdu: ack });
                }
            }
        }
    });
    let acked = |ev: Option<VcEvent>| match ev {
        Some(VcEvent::Received { sdu, .. }) => {
            Some(u64::from_be_bytes(sdu[..8].try_into().unwrap()))
        }
        _ => None,
    };
    let start = Instant::now();
    let (mut sent, mut done) = (0u64, 0u64);
    while done < n {
        while sent < n && sent - done < WINDOW {
            a.request(VcRequest::Send {
                vc,
                sdu: payload(size, t0, 0),
            });
            sent += 1;
        }
        match acked(a.next_event(STALL).await) {
            Some(k) => done = done.max(k),
            None => break, // Stalled: report what arrived.
        }
    }
    let rate = done as f64 / start.elapsed().as_secs_f64();
    for _ in 0..samples {
        a.request(VcRequest::Send {
            vc,
            sdu: payload(size, t0, ACK_NOW),
        });
        if acked(a.next_event(STALL).await).is_none() {
            break;
        }
    }
    a.kill();
    sink.abort();
    let lat = lat.lock().unwrap().clone();
    (rate, lat)
}

/// Plain UDP, point to point: blocking sockets on two threads, the same acknowledgements.
fn plain_p2p(size: usize, n: u64, samples: usize) -> (f64, Vec<Duration>) {
    let tx = StdUdp::bind("127.0.0.1:0").unwrap();
    let rx = StdUdp::bind("127.0.0.2:0").unwrap();
    big_buffers(&tx);
    big_buffers(&rx);
    let (to, back) = (rx.local_addr().unwrap(), tx.local_addr().unwrap());
    tx.set_read_timeout(Some(STALL)).unwrap();
    rx.set_read_timeout(Some(STALL)).unwrap();
    let t0 = Instant::now();
    let sink = std::thread::spawn(move || {
        let mut buf = vec![0u8; 65_536];
        let mut lat = Vec::new();
        let mut got = 0u64;
        while let Ok((len, _)) = rx.recv_from(&mut buf) {
            if len == 0 {
                break; // End marker.
            }
            got += 1;
            if buf[8] == ACK_NOW {
                lat.push(latency(&buf, t0));
            }
            if got.is_multiple_of(ACK_EVERY) || buf[8] == ACK_NOW {
                rx.send_to(&got.to_be_bytes(), back).unwrap();
            }
        }
        lat
    });
    let mut ack = [0u8; 64];
    let start = Instant::now();
    let (mut sent, mut done) = (0u64, 0u64);
    while done < n {
        while sent < n && sent - done < WINDOW {
            tx.send_to(&payload(size, t0, 0), to).unwrap();
            sent += 1;
        }
        match tx.recv_from(&mut ack) {
            Ok(_) => done = done.max(u64::from_be_bytes(ack[..8].try_into().unwrap())),
            Err(_) => break,
        }
    }
    let rate = done as f64 / start.elapsed().as_secs_f64();
    for _ in 0..samples {
        tx.send_to(&payload(size, t0, ACK_NOW), to).unwrap();
        if tx.recv_from(&mut ack).is_err() {
            break;
        }
    }
    tx.send_to(&[], to).unwrap();
    (rate, sink.join().unwrap())
}

/// Engine mode (as `marsd` runs engines): the receiving engine counts, timestamps and
/// acknowledges inside its endpoint's task.
#[derive(Debug)]
struct SinkEngine {
    t0: Instant,
    got: u64,
    lat: Arc<Mutex<Vec<Duration>>>,
    out: VecDeque<VcRequest>,
}

impl AtmUser for SinkEngine {
    fn handle_vc_event(&mut self, _: MInstant, ev: VcEvent) {
        match ev {
            VcEvent::IncomingCall { vc, .. } => self.out.push_back(VcRequest::Accept { vc }),
            VcEvent::Received { vc, sdu } => {
                self.got += 1;
                if sdu[8] == ACK_NOW {
                    self.lat.lock().unwrap().push(latency(&sdu, self.t0));
                }
                if self.got.is_multiple_of(ACK_EVERY) || sdu[8] == ACK_NOW {
                    let ack = Bytes::copy_from_slice(&self.got.to_be_bytes());
                    self.out.push_back(VcRequest::Send { vc, sdu: ack });
                }
            }
            _ => {}
        }
    }
    fn handle_timeout(&mut self, _: MInstant) {}
    fn poll_request(&mut self) -> Option<VcRequest> {
        self.out.pop_front()
    }
    fn poll_timeout(&self) -> Option<MInstant> {
        None
    }
}

/// The sending engine: connects, keeps `WINDOW` SDUs unacknowledged until `n` are
/// acknowledged, then sends `samples` SDUs one at a time; reports through `result`.
#[derive(Debug)]
struct BlastEngine {
    t0: Instant,
    to: AtmAddress,
    size: usize,
    n: u64,
    samples: usize,
    started: bool,
    sent: u64,
    done: u64,
    start: Option<Instant>,
    timed: usize,
    out: VecDeque<VcRequest>,
    result: Arc<(Mutex<Option<f64>>, Notify)>,
}

const BLAST_VC: VcId = VcId::local(1);

impl BlastEngine {
    fn fill(&mut self) {
        while self.sent < self.n && self.sent - self.done < WINDOW {
            let sdu = payload(self.size, self.t0, 0);
            self.out.push_back(VcRequest::Send { vc: BLAST_VC, sdu });
            self.sent += 1;
        }
    }
}

impl AtmUser for BlastEngine {
    fn handle_vc_event(&mut self, _: MInstant, ev: VcEvent) {
        match ev {
            VcEvent::Connected { .. } => {
                self.start = Some(Instant::now());
                self.fill();
            }
            VcEvent::Received { sdu, .. } => {
                let k = u64::from_be_bytes(sdu[..8].try_into().unwrap());
                if self.done < self.n {
                    self.done = self.done.max(k);
                    if self.done >= self.n {
                        let rate = self.n as f64 / self.start.unwrap().elapsed().as_secs_f64();
                        *self.result.0.lock().unwrap() = Some(rate);
                    } else {
                        self.fill();
                        return;
                    }
                } else {
                    self.timed += 1;
                }
                if self.timed < self.samples {
                    let sdu = payload(self.size, self.t0, ACK_NOW);
                    self.out.push_back(VcRequest::Send { vc: BLAST_VC, sdu });
                } else {
                    self.result.1.notify_one();
                }
            }
            other => panic!("blaster saw {other:?}"),
        }
    }
    fn handle_timeout(&mut self, _: MInstant) {
        if !self.started {
            self.started = true;
            self.out.push_back(VcRequest::Connect {
                vc: BLAST_VC,
                to: self.to,
            });
        }
    }
    fn poll_request(&mut self) -> Option<VcRequest> {
        self.out.pop_front()
    }
    fn poll_timeout(&self) -> Option<MInstant> {
        (!self.started).then_some(MInstant::ZERO)
    }
}

/// Emulation in engine mode, point to point.
async fn engine_p2p(size: usize, n: u64, samples: usize) -> (f64, Vec<Duration>) {
    let t0 = Instant::now();
    let lat = Arc::new(Mutex::new(Vec::new()));
    let l2 = lat.clone();
    let sink = EngineEndpoint::spawn(spec("127.0.0.2"), move |_| SinkEngine {
        t0,
        got: 0,
        lat: l2,
        out: VecDeque::new(),
    })
    .await
    .unwrap();
    let result = Arc::new((Mutex::new(None), Notify::new()));
    let to = sink.address();
    let r2 = result.clone();
    let blast = EngineEndpoint::spawn(spec("127.0.0.1"), move |_| BlastEngine {
        t0,
        to,
        size,
        n,
        samples,
        started: false,
        sent: 0,
        done: 0,
        start: None,
        timed: 0,
        out: VecDeque::new(),
        result: r2,
    })
    .await
    .unwrap();
    let finished = tokio::time::timeout(STALL * 30, result.1.notified()).await;
    assert!(finished.is_ok(), "engine benchmark stalled");
    let rate = result.0.lock().unwrap().unwrap_or(0.0);
    let _ = blast.stop().await;
    let _ = sink.stop().await;
    let lat = lat.lock().unwrap().clone();
    (rate, lat)
}

/// A leaf engine for the fan-out: accepts and counts.
#[derive(Debug)]
struct LeafEngine {
    t0: Instant,
    rounds: Arc<Rounds>,
    out: VecDeque<VcRequest>,
}

impl AtmUser for LeafEngine {
    fn handle_vc_event(&mut self, _: MInstant, ev: VcEvent) {
        match ev {
            VcEvent::IncomingCall { vc, .. } => self.out.push_back(VcRequest::Accept { vc }),
            VcEvent::Received { .. } => self.rounds.deliver(self.t0),
            _ => {}
        }
    }
    fn handle_timeout(&mut self, _: MInstant) {}
    fn poll_request(&mut self) -> Option<VcRequest> {
        self.out.pop_front()
    }
    fn poll_timeout(&self) -> Option<MInstant> {
        None
    }
}

/// Counts deliveries and wakes the sender when a whole round has arrived.
#[derive(Debug)]
struct Rounds {
    delivered: AtomicU64,
    target: AtomicU64,
    last: AtomicU64,
    done: Notify,
}

impl Rounds {
    fn new() -> Arc<Self> {
        Arc::new(Rounds {
            delivered: AtomicU64::new(0),
            target: AtomicU64::new(u64::MAX),
            last: AtomicU64::new(0),
            done: Notify::new(),
        })
    }
    fn deliver(&self, t0: Instant) {
        self.last
            .store(t0.elapsed().as_nanos() as u64, Ordering::Release);
        let d = self.delivered.fetch_add(1, Ordering::AcqRel) + 1;
        if d >= self.target.load(Ordering::Acquire) {
            self.done.notify_one();
        }
    }
    /// Wait until `target` deliveries in all; false on a stall.
    async fn wait(&self, target: u64) -> bool {
        self.target.store(target, Ordering::Release);
        while self.delivered.load(Ordering::Acquire) < target {
            if tokio::time::timeout(STALL, self.done.notified())
                .await
                .is_err()
            {
                return false;
            }
        }
        true
    }
}

/// Sends `n` rounds (then `samples` timed rounds) with `send`, keeping at most 16 rounds in
/// flight: (deliveries per second, send-to-last-delivery latencies).
async fn fan_rounds<F: FnMut() -> Fut, Fut: std::future::Future<Output = ()>>(
    rounds: &Rounds,
    leaves: u64,
    n: u64,
    samples: usize,
    t0: Instant,
    mut send: F,
) -> (f64, Vec<Duration>) {
    let start = Instant::now();
    for k in 0..n {
        if k >= 16 && !rounds.wait((k - 16 + 1) * leaves).await {
            break;
        }
        send().await;
    }
    rounds.wait(n * leaves).await;
    let rate = rounds.delivered.load(Ordering::Acquire) as f64 / start.elapsed().as_secs_f64();
    let mut lat = Vec::new();
    for k in 0..samples as u64 {
        let sent = t0.elapsed();
        send().await;
        if !rounds.wait((n + k + 1) * leaves).await {
            break;
        }
        let last = Duration::from_nanos(rounds.last.load(Ordering::Acquire));
        lat.push(last.saturating_sub(sent));
    }
    (rate, lat)
}

/// Emulation: one root and `leaves` leaf endpoints.
async fn emu_fanout(leaves: usize, n: u64, samples: usize) -> (f64, Vec<Duration>) {
    let mut root = RawEndpoint::bind(spec("127.0.0.1")).await.unwrap();
    let vc = VcId::local(1);
    root.request(VcRequest::OpenMultipoint { vc });
    let rounds = Rounds::new();
    let t0 = Instant::now();
    let mut leaf_eps = Vec::new();
    for i in 0..leaves {
        let r = rounds.clone();
        let at = spec(&format!("127.0.1.{}", 1 + i % 250));
        let make = move |_| LeafEngine {
            t0,
            rounds: r,
            out: VecDeque::new(),
        };
        let leaf = EngineEndpoint::spawn(at, make).await.unwrap();
        root.request(VcRequest::AddParty {
            vc,
            party: PartyId(i as u32),
            to: leaf.address(),
        });
        leaf_eps.push(leaf);
    }
    for _ in 0..leaves {
        let ev = root.next_event(STALL * 5).await;
        assert!(matches!(ev, Some(VcEvent::PartyAdded { .. })), "{ev:?}");
    }
    let sdu = payload(64, t0, 0);
    let out = fan_rounds(&rounds, leaves as u64, n, samples, t0, || {
        root.request(VcRequest::Send {
            vc,
            sdu: sdu.clone(),
        });
        async {}
    })
    .await;
    root.kill();
    for leaf in leaf_eps {
        let _ = leaf.stop().await;
    }
    out
}

/// Plain UDP fan-out: one socket, one `send_to` per leaf, tokio receivers.
async fn plain_fanout(leaves: usize, n: u64, samples: usize) -> (f64, Vec<Duration>) {
    let rounds = Rounds::new();
    let t0 = Instant::now();
    let mut dests: Vec<SocketAddr> = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..leaves {
        let s = UdpSocket::bind(format!("127.0.2.{}:0", 1 + i % 250))
            .await
            .unwrap();
        big_buffers(&s);
        dests.push(s.local_addr().unwrap());
        let r = rounds.clone();
        tasks.push(tokio::spawn(async move {
            let mut buf = [0u8; 2048];
            while s.recv_from(&mut buf).await.is_ok() {
                r.deliver(t0);
            }
        }));
    }
    let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    big_buffers(&tx);
    let sdu = payload(64, t0, 0);
    let (tx, dests) = (&tx, &dests);
    let out = fan_rounds(&rounds, leaves as u64, n, samples, t0, || {
        let sdu = sdu.clone();
        async move {
            for d in dests {
                tx.send_to(&sdu, d).await.unwrap();
            }
        }
    })
    .await;
    for t in tasks {
        t.abort();
    }
    out
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let fanout_only = std::env::args().any(|a| a == "--fan-out");
    // Multiples of ACK_EVERY, so that the last SDU is acknowledged.
    let (n, samples, fan_n) = if quick {
        (51_200, 1_000, 100)
    } else {
        (512_000, 10_000, 1_000)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for size in [64usize, 1500].into_iter().filter(|_| !fanout_only) {
        let (plain_rate, plain_lat) = plain_p2p(size, n, samples);
        let (emu_rate, emu_lat) = rt.block_on(engine_p2p(size, n, samples));
        let name = format!("p2p, {size} B SDU");
        rows.push(Row {
            name,
            emu_rate,
            plain_rate,
            emu_lat,
            plain_lat: plain_lat.clone(),
        });
        let (emu_rate, emu_lat) = rt.block_on(emu_p2p(size, n, samples));
        let name = format!("p2p, {size} B, raw mode");
        rows.push(Row {
            name,
            emu_rate,
            plain_rate,
            emu_lat,
            plain_lat,
        });
    }
    let (plain_rate, plain_lat) = rt.block_on(plain_fanout(1_000, fan_n, samples / 10));
    // Leaves are engines; the root is driven in raw mode (one request per SDU).
    let (emu_rate, emu_lat) = rt.block_on(emu_fanout(1_000, fan_n, samples / 10));
    rows.push(Row {
        name: "fan-out 1000 leaves, 64 B".into(),
        emu_rate,
        plain_rate,
        emu_lat,
        plain_lat,
    });

    println!(
        "\n{:<26} {:>12} {:>12} {:>6} {:>22} {:>22}",
        "case", "emu SDU/s", "plain SDU/s", "ratio", "emu p50 / p99", "plain p50 / p99"
    );
    for r in rows {
        let lat = |v: &[Duration]| format!("{:.1?} / {:.1?}", pct(v, 0.5), pct(v, 0.99));
        println!(
            "{:<26} {:>12.0} {:>12.0} {:>6.2} {:>22} {:>22}",
            r.name,
            r.emu_rate,
            r.plain_rate,
            r.emu_rate / r.plain_rate,
            lat(&r.emu_lat),
            lat(&r.plain_lat),
        );
    }
    println!(
        "(window {WINDOW} SDUs, acknowledged every {ACK_EVERY}; fan-out rates count leaf deliveries)"
    );
}
