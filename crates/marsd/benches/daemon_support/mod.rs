//! Shared by the daemon benchmarks (`daemon_request`, `daemon_join`, `daemon_cache`): real
//! `marsd` processes on loopback (optionally pinned to one core with `taskset`), their
//! control sockets, `/proc` readings, in-process MARS clients with a tap, and tables.
#![allow(dead_code)]

pub mod engines;

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use marsd::control::client::Client;
use marsd::control::protocol::Request;
use serde_json::{json, Value};

/// A fresh directory for one benchmark's files.
pub fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("marsd-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Whether `taskset` can pin processes here.
pub fn have_taskset() -> bool {
    Command::new("taskset")
        .args(["-c", "0", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

/// The number of online CPUs.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Pin the calling process (every thread it starts from now on) to `cpu`.
pub fn pin_self(cpu: usize) -> bool {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).is_ok()
}

/// A `marsd --config FILE --lifeline` process, killed when dropped.
pub struct Marsd {
    child: Child,
    _lifeline: Option<ChildStdin>,
    /// The `ready` line.
    pub ready: Value,
    /// Its control socket.
    pub socket: PathBuf,
}

impl Drop for Marsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Marsd {
    /// Write `toml` to `dir/name.toml` and start marsd on it (on `cpu` if given and
    /// `taskset` works), logs in `dir/name.log`.
    pub fn start(dir: &Path, name: &str, toml: &str, cpu: Option<usize>) -> Marsd {
        let cfg = dir.join(format!("{name}.toml"));
        std::fs::write(&cfg, toml).unwrap();
        let exe = env!("CARGO_BIN_EXE_marsd");
        let mut cmd = match cpu.filter(|_| have_taskset()) {
            Some(c) => {
                let mut t = Command::new("taskset");
                t.args(["-c", &c.to_string(), exe]);
                t
            }
            None => Command::new(exe),
        };
        let mut child = cmd
            .arg("--config")
            .arg(&cfg)
            .arg("--lifeline")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.join(format!("{name}.log"))).unwrap())
            .spawn()
            .unwrap();
        let lifeline = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready = marsd::runner::parse_ready_line(&line)
            .unwrap_or_else(|| panic!("{name}: no ready line: {line:?}"));
        let socket = PathBuf::from(ready["control_socket"].as_str().unwrap());
        Marsd {
            child,
            _lifeline: lifeline,
            ready,
            socket,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The ATM address of role `i`.
    pub fn atm(&self, i: usize) -> String {
        self.ready["roles"][i]["atm"].as_str().unwrap().to_string()
    }

    /// `show what` (every role).
    pub fn show(&self, what: &str) -> Value {
        let req: Request = serde_json::from_value(json!({"cmd": "show", "what": what})).unwrap();
        Client::connect(&self.socket)
            .and_then(|mut c| c.request(&req))
            .unwrap_or(Value::Null)
    }

    /// CPU time used so far (user + system).
    pub fn cpu_time(&self) -> Duration {
        cpu_time(self.pid())
    }

    /// Resident set size now and at its peak (bytes).
    pub fn rss(&self) -> (u64, u64) {
        rss(self.pid())
    }
}

/// CPU time (user + system) of process `pid`, from `/proc/PID/stat` (clock ticks of 10 ms).
pub fn cpu_time(pid: u32) -> Duration {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = s.rsplit(')').next().unwrap_or("");
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// VmRSS and VmHWM of process `pid` in bytes.
pub fn rss(pid: u32) -> (u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |k: &str| {
        s.lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (kb("VmRSS:"), kb("VmHWM:"))
}

/// A UDP port free on 127.0.0.1, .2 and .3.
pub fn free_port() -> u16 {
    loop {
        let a = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = a.local_addr().unwrap().port();
        if [2, 3]
            .iter()
            .all(|&h| UdpSocket::bind((Ipv4Addr::new(127, 0, 0, h), port)).is_ok())
        {
            return port;
        }
    }
}

/// The ATM address embedding `127.0.0.host:port`.
pub fn atm_of(host: u8, port: u16) -> String {
    marsd::atm_udp::embed_ipv4(SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, host), port)).to_string()
}

/// Poll `f` every `every` until it yields `Some`, for at most `within` (panics after).
pub fn wait_for<T>(
    within: Duration,
    every: Duration,
    what: &str,
    mut f: impl FnMut() -> Option<T>,
) -> T {
    let end = Instant::now() + within;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(every);
    }
}

/// The `p` quantile (0–1) of `v`.
pub fn pct(v: &[Duration], p: f64) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v.get(((v.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or_default()
}

/// Print a Markdown table.
pub fn table(head: &[&str], rows: &[Vec<String>]) {
    println!("| {} |", head.join(" | "));
    println!(
        "|{}",
        head.iter()
            .enumerate()
            .map(|(i, _)| if i == 0 { "---|" } else { "---:|" })
            .collect::<String>()
    );
    for r in rows {
        println!("| {} |", r.join(" | "));
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration in µs or ms, two significant decimals.
pub fn dur(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.0} µs", d.as_secs_f64() * 1e6)
    } else if d < Duration::from_secs(1) {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// The emulation section every benchmark process uses (LAN defaults, big enough queues).
pub const EMULATION: &str =
    "[emulation]\nretransmit_interval = \"100ms\"\nkeepalive_interval = \"1s\"\n";
