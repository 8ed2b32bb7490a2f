//! MARS_REQUEST → MARS_MULTI per second from a load generator to one `marsd` server over
//! the UDP ATM emulation, against a plain UDP echo server with the same batching, in the
//! same run on loopback.
//!
//! `cargo bench -p marsd --bench daemon_request` (`-- --quick` for short runs, `-- --window N`
//! for one window size).
//!
//! - The server is a real `marsd` process (one plain MARS server) pinned to CPU 0 with
//!   `taskset`; its group has 16 members, registered from another `marsd` process holding 16
//!   client roles, so every MARS_MULTI lists 16 ATM addresses.
//! - The load generator runs in this process, pinned to CPU 1: a real `MarsClient` that
//!   registers, then keeps `window` MARS_REQUESTs outstanding on a VC of its own and sends the
//!   next one for each MARS_MULTI (`daemon_support::engines::LoadGen`).
//! - The baseline is a plain UDP echo server (this program re-executed with `--echo`), also
//!   pinned to CPU 0: a blocking `recv_from`/`send_to` loop answering each datagram with one
//!   of the MARS_MULTI datagram's size. Its load generator (CPU 1) keeps the same `window` of
//!   request-sized datagrams outstanding.
//!
//! Each row reports both rates, their ratio, and each server's CPU use over the measurement
//! (from `/proc`): a server at 100 % is the bottleneck, so the ratio compares servers and
//! not generators.

mod daemon_support;

use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use daemon_support::engines::{LoadGen, LoadStats};
use daemon_support::{
    cpu_time, have_taskset, pin_self, table, thousands, wait_for, workdir, Marsd, EMULATION,
};
use mars_proto::mars::client::ClientConfig;
use marsd::atm_udp::{EndpointSpec, EngineEndpoint};

const GROUP: &str = "224.7.7.7";
const MEMBERS: usize = 16;

/// The socket buffers marsd's endpoints ask for (4 MiB), for the plain sockets too.
fn big_buffers(s: &UdpSocket) {
    let _ = rustix::net::sockopt::set_socket_recv_buffer_size(s, 4 << 20);
    let _ = rustix::net::sockopt::set_socket_send_buffer_size(s, 4 << 20);
}

/// The echo server: answer every datagram with `reply_len` octets, forever.
fn echo(bind: &str, reply_len: usize) {
    let s = UdpSocket::bind(bind).unwrap();
    big_buffers(&s);
    let mut buf = vec![0u8; 65_536];
    while let Ok((_, from)) = s.recv_from(&mut buf) {
        let _ = s.send_to(&buf[..reply_len], from);
    }
}

/// One measurement: requests per second, and the CPU share of the server and of this
/// process (the generator) over it.
#[derive(Debug, Clone, Copy)]
struct Sample {
    rate: f64,
    server_cpu: f64,
    gen_cpu: f64,
}

/// Measure `count()` (replies so far) for `span`, with `pid` as the server.
fn sample(span: Duration, pid: u32, mut count: impl FnMut(Duration) -> u64) -> Sample {
    let me = std::process::id();
    let (n0, c0, g0, t0) = (
        count(Duration::ZERO),
        cpu_time(pid),
        cpu_time(me),
        Instant::now(),
    );
    let n = count(span);
    let secs = t0.elapsed().as_secs_f64();
    Sample {
        rate: (n - n0) as f64 / secs,
        server_cpu: (cpu_time(pid) - c0).as_secs_f64() / secs,
        gen_cpu: (cpu_time(me) - g0).as_secs_f64() / secs,
    }
}

/// Plain UDP load: `window` datagrams of `len` outstanding against `to` for `warm + span`,
/// then drained; the sample over `span`.
fn plain_load(
    s: &UdpSocket,
    to: SocketAddr,
    len: usize,
    window: u64,
    warm: Duration,
    span: Duration,
    pid: u32,
) -> Sample {
    let req = vec![0x5Au8; len];
    let mut buf = vec![0u8; 65_536];
    let mut n = 0u64;
    let mut run = |s: &UdpSocket, d: Duration, n: &mut u64| {
        let end = Instant::now() + d;
        while Instant::now() < end {
            // A reply, or (timed out: a lost datagram) room in the window: send one more.
            if s.recv_from(&mut buf).is_ok() {
                *n += 1;
            }
            s.send_to(&req, to).unwrap();
        }
    };
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    for _ in 0..window {
        s.send_to(&req, to).unwrap();
    }
    run(s, warm, &mut n);
    let out = sample(span, pid, |d| {
        run(s, d, &mut n);
        n
    });
    // Drain what is still in flight.
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    while s.recv_from(&mut buf).is_ok() {}
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn server_toml(port: u16, dir: &std::path::Path) -> String {
    format!(
        "[daemon]\ncontrol_socket = \"{}/server.sock\"\n{EMULATION}[server]\nbind = \"127.0.0.1:{port}\"\n",
        dir.display()
    )
}

fn members_toml(mars: &str, dir: &std::path::Path) -> String {
    let mut t = format!(
        "[daemon]\ncontrol_socket = \"{}/members.sock\"\n{EMULATION}",
        dir.display()
    );
    for i in 0..MEMBERS {
        t += &format!(
            "[[client]]\nname = \"m{i}\"\nbind = \"127.0.0.3:0\"\nmars = [\"{mars}\"]\ngroups = [\"{GROUP}\"]\n"
        );
    }
    t
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--echo") {
        echo(&args[i + 1], args[i + 2].parse().unwrap());
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let (warm, span, rounds) = if quick {
        (Duration::from_millis(200), Duration::from_millis(500), 3)
    } else {
        (Duration::from_millis(300), Duration::from_secs(1), 9)
    };
    let pinned = have_taskset() && daemon_support::cpus() >= 2 && pin_self(1);
    let dir = workdir("request");
    let port = daemon_support::free_port();
    let server = Marsd::start(
        &dir,
        "server",
        &server_toml(port, &dir),
        pinned.then_some(0),
    );
    let mars = server.atm(0);
    let _members = Marsd::start(&dir, "members", &members_toml(&mars, &dir), None);
    wait_for(
        Duration::from_secs(20),
        Duration::from_millis(50),
        "16 members",
        || {
            let g = server.show("groups");
            let n = g["roles"][0]["clusters"][0]["groups"][0]["members"]
                .as_array()
                .map_or(0, Vec::len);
            (n == MEMBERS).then_some(())
        },
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The load generator: registers, connects, then waits to be resumed.
    let stats = Arc::new(LoadStats::default());
    let ep = rt.block_on(async {
        let st = stats.clone();
        let m = mars.parse().unwrap();
        EngineEndpoint::spawn(
            EndpointSpec::new("127.0.0.2:0".parse().unwrap()),
            move |atm| {
                let cfg = ClientConfig::new(atm, vec![m]);
                LoadGen::new(cfg, GROUP.parse().unwrap(), 1, st)
            },
        )
        .await
        .unwrap()
    });
    rt.block_on(async {
        let end = Instant::now() + Duration::from_secs(20);
        while stats.replies.load(Ordering::Relaxed) == 0 {
            assert!(Instant::now() < end, "the load generator got no MARS_MULTI");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    let (req_len, reply_len) = (
        stats.request_len.load(Ordering::Relaxed) as usize + 16,
        stats.reply_len.load(Ordering::Relaxed) as usize + 16,
    );
    // The echo server, answering with datagrams of the MARS_MULTI's size.
    let echo_port = daemon_support::free_port();
    let bind = format!("127.0.0.1:{echo_port}");
    let exe = std::env::current_exe().unwrap();
    let mut cmd = if pinned {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    let mut echo_child = cmd
        .args(["--echo", &bind, &reply_len.to_string()])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let to: SocketAddr = bind.parse().unwrap();
    let plain = UdpSocket::bind("127.0.0.2:0").unwrap();
    big_buffers(&plain);
    plain
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    wait_for(
        Duration::from_secs(5),
        Duration::from_millis(20),
        "the echo server",
        || {
            plain.send_to(&[0u8; 8], to).ok()?;
            plain.recv_from(&mut [0u8; 65_536]).ok().map(|_| ())
        },
    );

    let windows: Vec<u64> = match args.iter().position(|a| a == "--window") {
        Some(i) => vec![args[i + 1].parse().unwrap()],
        None => vec![1, 32, 256, 1024],
    };
    let mut rows = Vec::new();
    for window in windows {
        let (mut m, mut e, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            // marsd, then the echo server, alternately, so that both see the same machine.
            let s = rt.block_on(async {
                ep.with(move |g, _| g.resume(window)).await;
                tokio::time::sleep(warm).await;
                let n = |d: Duration| {
                    let st = stats.clone();
                    async move {
                        tokio::time::sleep(d).await;
                        st.replies.load(Ordering::Relaxed)
                    }
                };
                let me = std::process::id();
                let (n0, c0, g0, t0) = (
                    n(Duration::ZERO).await,
                    server.cpu_time(),
                    cpu_time(me),
                    Instant::now(),
                );
                let n1 = n(span).await;
                let secs = t0.elapsed().as_secs_f64();
                let out = Sample {
                    rate: (n1 - n0) as f64 / secs,
                    server_cpu: (server.cpu_time() - c0).as_secs_f64() / secs,
                    gen_cpu: (cpu_time(me) - g0).as_secs_f64() / secs,
                };
                ep.with(|g, _| g.pause()).await;
                // Let the outstanding requests be answered.
                let end = Instant::now() + Duration::from_millis(500);
                while stats.requests.load(Ordering::Relaxed) > stats.replies.load(Ordering::Relaxed)
                    && Instant::now() < end
                {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                out
            });
            let p = plain_load(&plain, to, req_len, window, warm, span, echo_child.id());
            ratio.push(s.rate / p.rate);
            m.push(s);
            e.push(p);
        }
        let med = |v: &[Sample], f: fn(&Sample) -> f64| median(v.iter().map(f).collect());
        rows.push(vec![
            window.to_string(),
            thousands(med(&m, |s| s.rate) as u64),
            format!(
                "{:.0} % / {:.0} %",
                med(&m, |s| s.server_cpu) * 100.0,
                med(&m, |s| s.gen_cpu) * 100.0
            ),
            thousands(med(&e, |s| s.rate) as u64),
            format!(
                "{:.0} % / {:.0} %",
                med(&e, |s| s.server_cpu) * 100.0,
                med(&e, |s| s.gen_cpu) * 100.0
            ),
            format!("{:.2}", median(ratio.clone())),
            format!(
                "{:.2}–{:.2}",
                ratio.iter().copied().fold(f64::MAX, f64::min),
                ratio.iter().copied().fold(0.0, f64::max)
            ),
        ]);
    }
    let _ = echo_child.kill();
    let _ = echo_child.wait();
    drop(ep);
    println!(
        "\nMARS_REQUEST → MARS_MULTI ({MEMBERS} targets; datagrams {req_len} / {reply_len} \
         octets) against one marsd server{}; baseline: plain UDP echo, same datagram sizes and \
         window. Medians of {rounds} alternating rounds of {:.1} s each.\n",
        if pinned {
            ", server pinned to CPU 0, generators to CPU 1"
        } else {
            " (not pinned)"
        },
        span.as_secs_f64()
    );
    table(
        &[
            "window",
            "marsd req/s",
            "CPU: marsd / generator",
            "echo req/s",
            "CPU: echo / generator",
            "ratio (median)",
            "ratio (range)",
        ],
        &rows,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
