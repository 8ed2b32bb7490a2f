//! A new `marsd` server aligning a 1,000,000-membership cache over the UDP ATM emulation
//! (seconds, and the ratio to the same bytes through plain UDP), and the resident memory of
//! the server once it holds them.
//!
//! `cargo bench -p marsd --bench daemon_cache` (`-- --quick` for 100,000 memberships;
//! `-- --clients K --groups G` for K clients of G groups each).
//!
//! How the memberships are loaded: this process runs the server that already holds them — a
//! `DistributedServer` engine (the same code `marsd` runs, configured from the same TOML) on
//! its own emulated endpoint — whose SCSP cache is filled directly with the RFC 2443 records
//! its clients would have produced: for each of 10,000 clients (CMIs 1–10,000, each at its own
//! ATM address) a registration record and one join record per group, 100 groups each out of
//! 1,000 (1,010,001 cache entries with the redirect entry; 1,000,000 memberships). Then a
//! fresh `marsd` server process with that server as its only peer starts, aligns its cache
//! (RFC 2334 CA/CSUS/CSU over one VC), and rebuilds every client and membership from the
//! records (RFC 2443 §5) as any server of the group would. The time is from its `ready` line
//! until its log reports the Cache Alignment FSM's `alignment-complete` (nothing polls it
//! meanwhile); the cache count and the MARS database are checked after. The bytes are the
//! SDU octets its VC carried both ways. The baseline sends that many octets, in datagrams of
//! the same average size, through a plain UDP socket pair (window of 256 datagrams,
//! acknowledged every 32, 4 MiB buffers like marsd's).
//!
//! Memory: the `marsd` process's VmRSS and VmHWM (`/proc`), against an idle `marsd` server.

mod daemon_support;

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

use bytes::Bytes;
use daemon_support::{atm_of, free_port, table, thousands, wait_for, workdir, Marsd, EMULATION};
use mars_proto::dmars::DistributedServer;
use mars_wire::dmars::{CsaFlags, CsaState, GroupRange, MarsCsa};
use mars_wire::scsp::CacheKey;
use mars_wire::{AtmAddress, ProtoAddr, Protocol};
use marsd::atm_udp::{embed_ipv4, EndpointSpec, EngineEndpoint};
use marsd::config::{build, Config};

const GROUPS: u32 = 1000;

fn arg(args: &[String], name: &str) -> Option<u32> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?.parse().ok()
}

/// The RFC 2443 records of `clients` clients with `groups` groups each.
fn records(clients: u32, groups: u32) -> impl Iterator<Item = (CacheKey, Bytes)> {
    (1..=clients).flat_map(move |cmi| {
        let host = Ipv4Addr::new(10, (cmi >> 16) as u8, (cmi >> 8) as u8, cmi as u8);
        let source = AtmAddress::new(embed_ipv4(SocketAddrV4::new(host, 2443)));
        let base = MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::ClientJoin,
            flags: CsaFlags {
                layer3grp: false,
                register: true,
                sequence: 0,
            },
            cmi: cmi as u16,
            spa: ProtoAddr::from(host),
            source,
            group: None,
        };
        (0..=groups).map(move |slot| {
            let mut c = base;
            if slot > 0 {
                let g = (cmi + (slot - 1) * (GROUPS / groups.max(1)).max(1)) % GROUPS;
                let group = ProtoAddr::from(Ipv4Addr::new(226, 0, (g >> 8) as u8, g as u8));
                c.flags = CsaFlags {
                    layer3grp: true,
                    register: false,
                    sequence: 0,
                };
                c.group = Some(GroupRange::single(group));
            }
            let key = CacheKey::from_u32(cmi << 16 | slot);
            (key, Bytes::from(c.to_vec().expect("record encodes")))
        })
    })
}

fn server_toml(
    dir: &std::path::Path,
    name: &str,
    bind: &str,
    id: u32,
    cmi: &str,
    peer: &str,
) -> String {
    format!(
        "[daemon]\ncontrol_socket = \"{}/{name}.sock\"\n{EMULATION}[server]\nname = \"{name}\"\n\
         bind = \"{bind}\"\ncmi_range = {cmi}\n[server.scsp]\nserver_id = {id}\n\
         hello_interval = \"200ms\"\nconnect_retry = \"200ms\"\ncallee_fallback = \"1s\"\n\
         origination_hold = \"off\"\nstartup_hold = \"10m\"\n\
         [[server.peers]]\naddress = \"{peer}\"\nid = {}\n",
        dir.display(),
        3 - id
    )
}

/// Plain UDP: `count` datagrams of `size` octets from one socket to another, a window of 256
/// acknowledged every 32; the time taken.
fn plain_transfer(count: u64, size: usize) -> Duration {
    const WINDOW: u64 = 256;
    const ACK_EVERY: u64 = 32;
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let rx = UdpSocket::bind("127.0.0.2:0").unwrap();
    for s in [&tx, &rx] {
        let _ = rustix::net::sockopt::set_socket_recv_buffer_size(s, 4 << 20);
        let _ = rustix::net::sockopt::set_socket_send_buffer_size(s, 4 << 20);
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
    }
    let (to, back) = (rx.local_addr().unwrap(), tx.local_addr().unwrap());
    let sink = std::thread::spawn(move || {
        let mut buf = vec![0u8; 65_536];
        let mut got = 0u64;
        while let Ok((len, _)) = rx.recv_from(&mut buf) {
            if len == 0 {
                break;
            }
            got += 1;
            if got.is_multiple_of(ACK_EVERY) || got == count {
                rx.send_to(&got.to_be_bytes(), back).unwrap();
            }
        }
    });
    let data = vec![0xA5u8; size];
    let mut ack = [0u8; 8];
    let start = Instant::now();
    let (mut sent, mut done) = (0u64, 0u64);
    while done < count {
        while sent < count && sent - done < WINDOW {
            tx.send_to(&data, to).unwrap();
            sent += 1;
        }
        match tx.recv_from(&mut ack) {
            Ok(_) => done = done.max(u64::from_be_bytes(ack)),
            // A loss stalls the window: count what arrived as done and go on.
            Err(_) => done = sent,
        }
    }
    let t = start.elapsed();
    tx.send_to(&[], to).unwrap();
    let _ = sink.join();
    t
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let clients = arg(&args, "--clients").unwrap_or(if quick { 1000 } else { 10_000 });
    let groups = arg(&args, "--groups").unwrap_or(100);
    let memberships = u64::from(clients) * u64::from(groups);
    let dir = workdir("cache");
    let port = free_port();
    let (src_atm, new_atm) = (atm_of(1, port), atm_of(2, port));

    // An idle marsd server, for the baseline memory.
    let idle = Marsd::start(
        &dir,
        "idle",
        &format!(
            "[daemon]\ncontrol_socket = \"{}/idle.sock\"\n{EMULATION}[server]\nbind = \"127.0.0.3:0\"\n",
            dir.display()
        ),
        None,
    );
    let idle_rss = idle.rss().0;
    drop(idle);

    // The server holding the memberships, in this process.
    let text = server_toml(
        &dir,
        "src",
        &format!("127.0.0.1:{port}"),
        1,
        "[1, 59999]",
        &new_atm,
    );
    let cfg = Config::parse(&text, None).unwrap_or_else(|e| panic!("{e}"));
    let role = cfg.server.clone().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = Instant::now();
    let src = rt
        .block_on(EngineEndpoint::spawn(
            EndpointSpec::new(format!("127.0.0.1:{port}").parse().unwrap()),
            move |atm| {
                let dc = build::distributed_config(&role, atm, None);
                let mut d = DistributedServer::new(dc, mars_proto::Instant::ZERO).unwrap();
                let bad = d
                    .scsp_mut()
                    .originate_many(mars_proto::Instant::ZERO, records(clients, groups))
                    .into_iter()
                    .filter(Result::is_err)
                    .count();
                assert_eq!(bad, 0, "records refused");
                d
            },
        ))
        .unwrap();
    assert_eq!(src.address().to_string(), src_atm);
    let entries = rt
        .block_on(src.with(|d, _| d.scsp().cache().len()))
        .unwrap() as u64;
    eprintln!(
        "source: {} entries ({} memberships) originated in {:.1} s",
        thousands(entries),
        thousands(memberships),
        t.elapsed().as_secs_f64()
    );

    // The new server.
    let new = Marsd::start(
        &dir,
        "new",
        &server_toml(
            &dir,
            "new",
            &format!("127.0.0.2:{port}"),
            2,
            "[60000, 65535]",
            &src_atm,
        ),
        None,
    );
    let t0 = Instant::now();
    let (cpu_new0, cpu_src0) = (new.cpu_time(), daemon_support::cpu_time(std::process::id()));
    // The records, and the two servers' redirect entries.
    let want = u64::from(clients) * u64::from(groups + 1) + 2;
    // The moment the new server's Cache Alignment FSM completes comes from its log (an info
    // line per SCSP event): polling its control socket instead would cost it CPU (each
    // `show` takes a snapshot of the learned state), slowing what is measured.
    let mut log = std::fs::File::open(dir.join("new.log")).unwrap();
    let mut tail = Vec::new();
    let needle = b"\"alignment-complete\"";
    wait_for(
        Duration::from_secs(600),
        Duration::from_millis(20),
        "alignment",
        || {
            // Read only what was appended since; keep the unfinished last line.
            log.read_to_end(&mut tail).ok()?;
            let found = tail.windows(needle.len()).any(|w| w == needle);
            if let Some(nl) = tail.iter().rposition(|&b| b == b'\n') {
                tail.drain(..=nl);
            }
            found.then_some(())
        },
    );
    let align = t0.elapsed();
    let cpu_new = new.cpu_time() - cpu_new0;
    let cpu_src = daemon_support::cpu_time(std::process::id()) - cpu_src0;
    let s = new.show("stats");
    let cached = s["roles"][0]["dmars"]["cache_entries"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(cached, want, "entries cached when aligned");
    // Every client and membership rebuilt in the MARS database.
    let learned = wait_for(
        Duration::from_secs(300),
        Duration::from_millis(500),
        "learning",
        || {
            let v = new.show("servers");
            let c = &v["roles"][0]["clusters"][0];
            let members = c["members"].as_u64().unwrap_or(0);
            (members == u64::from(clients)).then_some(c["groups"].as_u64().unwrap_or(0))
        },
    );
    let learned_at = t0.elapsed();
    let (rss, hwm) = new.rss();
    let vcs = new.show("vcs");
    let (mut octets, mut sdus) = (0u64, 0u64);
    for v in vcs["roles"][0]["vcs"].as_array().into_iter().flatten() {
        for (o, s) in [("octets_tx", "sdus_tx"), ("octets_rx", "sdus_rx")] {
            octets += v[o].as_u64().unwrap_or(0);
            sdus += v[s].as_u64().unwrap_or(0);
        }
    }
    let avg = (octets / sdus.max(1)) as usize + 16;
    let plain = plain_transfer(sdus, avg);

    println!(
        "\nA new marsd server aligning from one peer over the UDP emulation: {} clients × {} \
         groups\n",
        thousands(u64::from(clients)),
        groups
    );
    table(
        &["measure", "value"],
        &[
            vec!["cache entries aligned".into(), thousands(want)],
            vec![
                "alignment (ready → its CAFSM aligned, every entry cached)".into(),
                format!("{:.2} s", align.as_secs_f64()),
            ],
            vec![
                "CPU during alignment: new server / source".into(),
                format!(
                    "{:.2} s / {:.2} s",
                    cpu_new.as_secs_f64(),
                    cpu_src.as_secs_f64()
                ),
            ],
            vec![
                "every client and group in the MARS database (checked after)".into(),
                format!(
                    "{:.2} s ({} groups)",
                    learned_at.as_secs_f64(),
                    thousands(learned)
                ),
            ],
            vec![
                "SCSP SDUs on the VC, both ways".into(),
                format!(
                    "{} ({:.1} MB, {} octets average)",
                    thousands(sdus),
                    octets as f64 / 1e6,
                    avg - 16
                ),
            ],
            vec![
                "the same through plain UDP".into(),
                format!("{:.2} s", plain.as_secs_f64()),
            ],
            vec![
                "ratio (alignment / plain UDP)".into(),
                format!("{:.1}", align.as_secs_f64() / plain.as_secs_f64()),
            ],
        ],
    );
    println!(
        "\nResident memory of that marsd server holding {} memberships\n",
        thousands(memberships)
    );
    let mb = |b: u64| format!("{:.1} MB", b as f64 / 1e6);
    table(
        &["measure", "value"],
        &[
            vec!["idle marsd server (VmRSS)".into(), mb(idle_rss)],
            vec!["holding the memberships (VmRSS)".into(), mb(rss)],
            vec!["peak (VmHWM)".into(), mb(hwm)],
            vec![
                "per membership above idle".into(),
                format!(
                    "{:.0} B",
                    (rss.saturating_sub(idle_rss)) as f64 / memberships as f64
                ),
            ],
        ],
    );
    drop(new);
    drop(src);
    let _ = std::fs::remove_dir_all(&dir);
}
