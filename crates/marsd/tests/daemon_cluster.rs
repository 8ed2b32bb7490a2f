//! A distributed MARS as separate `marsd` processes on loopback: three servers of one server
//! group on 127.0.0.1, .2 and .3, four clients each in a process of its own. Joins at one
//! server are visible through `marsctl --json` at the others; `kill -9` of a server while a
//! sender streams datagrams: its clients fail over, its peers flush it, the stream goes on
//! and nothing is lost; restarted, it re-aligns and learns everything back.
//!
//! Every process is started with `--lifeline` and held by a guard that kills it on drop, so
//! a failing (or killed) test leaves nothing running.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use marsd::control::client::Client;
use marsd::control::protocol::Request;
use serde_json::{json, Value};

const GROUP: &str = "224.5.0.1";

/// One `marsd` process; killed when dropped.
struct Proc {
    child: Child,
    _lifeline: Option<ChildStdin>,
    atm: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    fn start(config: &Path, log: &Path) -> Proc {
        let mut child = Command::new(env!("CARGO_BIN_EXE_marsd"))
            .arg("--config")
            .arg(config)
            .arg("--lifeline")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let lifeline = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready = marsd::runner::parse_ready_line(&line)
            .unwrap_or_else(|| panic!("no ready line: {line:?}"));
        Proc {
            child,
            _lifeline: lifeline,
            atm: ready["roles"][0]["atm"].as_str().unwrap().to_string(),
        }
    }

    /// SIGTERM, and a clean exit within 10 s.
    fn terminate(mut self) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                assert!(st.success(), "marsd exited with {st}");
                return;
            }
            assert!(Instant::now() < end, "marsd did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `marsctl --socket SOCK ARGS… --json`, parsed.
fn marsctl(sock: &Path, args: &[&str]) -> Result<Value, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_marsctl"))
        .arg("--socket")
        .arg(sock)
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

/// Poll `f` every 20 ms until it yields `Some`, for at most `within`.
fn wait_for<T>(within: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + within;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A UDP port free on 127.0.0.1, .2 and .3.
fn free_port() -> u16 {
    loop {
        let a = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = a.local_addr().unwrap().port();
        let others = [2, 3]
            .iter()
            .all(|&h| UdpSocket::bind((Ipv4Addr::new(127, 0, 0, h), port)).is_ok());
        if others {
            return port;
        }
    }
}

struct Lis {
    dir: PathBuf,
    port: u16,
    servers: Vec<Option<Proc>>,
    clients: Vec<Proc>,
}

impl Lis {
    fn server_atm(&self, i: usize) -> String {
        let at = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, i as u8 + 1), self.port);
        marsd::atm_udp::embed_ipv4(at).to_string()
    }

    fn sock(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.sock"))
    }

    fn server_toml(&self, i: usize) -> String {
        let name = ["a", "b", "c"][i];
        let mut t = format!(
            r#"
[daemon]
control_socket = "{sock}"
shutdown_grace = "1s"
[emulation]
retransmit_interval = "50ms"
keepalive_interval = "100ms"
[server]
name = "{name}"
bind = "127.0.0.{host}:{port}"
cmi_range = [{lo}, {hi}]
redirect_interval = "1s"
[server.scsp]
server_id = {id}
flush_grace = "1s"
startup_hold = "3s"
origination_hold = "1s"
connect_retry = "200ms"
callee_fallback = "1s"
hello_interval = "200ms"
ca_rexmt_interval = "200ms"
csus_rexmt_interval = "200ms"
csu_rexmt_interval = "200ms"
"#,
            sock = self.sock(name).display(),
            host = i + 1,
            port = self.port,
            lo = (1000 * i).max(1),
            hi = 1000 * i + 999,
            id = i + 1,
        );
        for j in (0..3).filter(|&j| j != i) {
            t += &format!(
                "[[server.peers]]\naddress = \"{}\"\nid = {}\n",
                self.server_atm(j),
                j + 1
            );
        }
        t
    }

    fn start_server(&mut self, i: usize) {
        let name = ["a", "b", "c"][i];
        let cfg = self.dir.join(format!("{name}.toml"));
        std::fs::write(&cfg, self.server_toml(i)).unwrap();
        let p = Proc::start(&cfg, &self.dir.join(format!("{name}.log")));
        assert_eq!(p.atm, self.server_atm(i));
        self.servers[i] = Some(p);
    }

    /// Client `hN` (N from 1) on 127.0.0.`host`, its MARS table starting at server `home`.
    fn start_client(&mut self, n: usize, home: usize) {
        let name = format!("h{n}");
        let mars: Vec<String> = (0..3)
            .map(|k| format!("\"{}\"", self.server_atm((home + k) % 3)))
            .collect();
        let cfg = self.dir.join(format!("{name}.toml"));
        std::fs::write(
            &cfg,
            format!(
                "[daemon]\ncontrol_socket = \"{}\"\nshutdown_grace = \"1s\"\n[emulation]\n\
                 retransmit_interval = \"50ms\"\nkeepalive_interval = \"100ms\"\n[[client]]\n\
                 name = \"{name}\"\nbind = \"127.0.0.{}:0\"\nmars = [{}]\n[client.timers]\nscale = 20\n",
                self.sock(&name).display(),
                home + 1,
                mars.join(", ")
            ),
        )
        .unwrap();
        let p = Proc::start(&cfg, &self.dir.join(format!("{name}.log")));
        self.clients.push(p);
    }
}

fn dcs_aligned(v: &Value) -> bool {
    let dcs = v["roles"][0]["dcs"].as_array().cloned().unwrap_or_default();
    dcs.len() == 2
        && dcs
            .iter()
            .all(|d| d["hello"] == "bidirectional" && d["ca"] == "aligned")
}

/// (address, origin) of every member a server lists.
fn members(v: &Value) -> BTreeMap<String, String> {
    v["roles"][0]["clusters"][0]["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["address"].as_str().unwrap().to_string(),
                m["origin"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn group_members(v: &Value, group: &str) -> BTreeSet<String> {
    v["roles"][0]["clusters"][0]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["group"] == group)
        .flat_map(|g| g["members"].as_array().cloned().unwrap_or_default())
        .map(|m| m["address"].as_str().unwrap().to_string())
        .collect()
}

fn peer_ids(v: &Value) -> Vec<u64> {
    v["roles"][0]["peers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_u64())
        .collect()
}

fn cache_size(sock: &Path) -> Option<u64> {
    marsctl(sock, &["show", "stats"]).ok()?["roles"][0]["dmars"]["cache_entries"].as_u64()
}

/// Stream the datagrams client `name` receives into `tx` as (name, text).
fn receive(sock: PathBuf, name: String, tx: mpsc::Sender<(String, String)>) {
    std::thread::spawn(move || {
        let Ok(mut c) = Client::connect(&sock) else {
            return;
        };
        let req = Request::Recv {
            count: None,
            role: None,
        };
        let _ = c.stream(&req, |d| {
            tx.send((name.clone(), d["text"].as_str().unwrap_or("").to_string()))
                .is_ok()
        });
    });
}

fn send(sock: &Path, text: &str) -> Result<Value, String> {
    let req: Request =
        serde_json::from_value(json!({"cmd": "send", "group": GROUP, "text": text})).unwrap();
    Client::connect(sock)?.request(&req)
}

#[test]
fn three_servers_fail_over_flush_and_realign() {
    let t0 = Instant::now();
    let dir = std::env::temp_dir().join(format!("marsd-cluster-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut lis = Lis {
        dir: dir.clone(),
        port: free_port(),
        servers: vec![None, None, None],
        clients: Vec::new(),
    };
    let within = Duration::from_secs(15);

    // Three servers: every pair aligned.
    for i in 0..3 {
        lis.start_server(i);
    }
    for s in ["a", "b", "c"] {
        wait_for(within, &format!("{s} aligned"), || {
            marsctl(&lis.sock(s), &["show", "peers"])
                .ok()
                .filter(dcs_aligned)
        });
    }

    // Four clients in their own processes: h1 at a, h2 and h3 at b, h4 at c.
    for (n, home) in [(1, 0), (2, 1), (3, 1), (4, 2)] {
        lis.start_client(n, home);
    }
    let atm: Vec<String> = lis.clients.iter().map(|c| c.atm.clone()).collect();
    let names = ["h1", "h2", "h3", "h4"];

    // Each joins at its own server; every join is visible at the other two.
    for (k, name) in names.iter().enumerate() {
        wait_for(within, &format!("{name} joined"), || {
            marsctl(&lis.sock(name), &["join", GROUP]).ok()
        });
        for s in ["a", "b", "c"] {
            wait_for(within, &format!("{name}'s join seen at {s}"), || {
                let v = marsctl(&lis.sock(s), &["show", "groups"]).ok()?;
                group_members(&v, GROUP).contains(&atm[k]).then_some(())
            });
        }
    }
    // Origins: at a, h2 and h3 are b's clients, h4 is c's.
    let at_a = members(&marsctl(&lis.sock("a"), &["show", "clients"]).unwrap());
    assert_eq!(at_a[&atm[0]], "local");
    assert_eq!(at_a[&atm[1]], "peer 0x00000002");
    assert_eq!(at_a[&atm[2]], "peer 0x00000002");
    assert_eq!(at_a[&atm[3]], "peer 0x00000003");

    // Receivers h2, h3, h4; probes from h1 until each has one (data flows, streams are on).
    let (tx, rx) = mpsc::channel();
    for name in &names[1..] {
        receive(lis.sock(name), name.to_string(), tx.clone());
    }
    let mut probed = BTreeSet::new();
    wait_for(within, "a probe at h2, h3 and h4", || {
        let _ = send(&lis.sock("h1"), "probe");
        while let Ok((who, _)) = rx.recv_timeout(Duration::from_millis(50)) {
            probed.insert(who);
        }
        (probed.len() == 3).then_some(())
    });
    while rx.try_recv().is_ok() {}

    // h1 streams numbered datagrams every 20 ms through the failure.
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (sock, stop) = (lis.sock("h1"), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                send(&sock, &format!("seq {n}")).unwrap();
                std::thread::sleep(Duration::from_millis(20));
            }
            n
        })
    };
    std::thread::sleep(Duration::from_millis(200));

    // kill -9 b.
    drop(lis.servers[1].take());
    let killed = Instant::now();
    let c_atm = lis.server_atm(2);
    for name in ["h2", "h3"] {
        wait_for(within, &format!("{name} failing over to c"), || {
            let v = marsctl(&lis.sock(name), &["show", "clients"]).ok()?;
            let r = &v["roles"][0];
            (r["registration"] == "registered" && r["mars"] == c_atm.as_str()).then_some(())
        });
        wait_for(within, &format!("{name} re-joined"), || {
            let v = marsctl(&lis.sock(name), &["show", "groups"]).ok()?;
            (v["roles"][0]["memberships"][0]["state"] == "Joined").then_some(())
        });
    }
    let failover = killed.elapsed();
    for s in ["a", "c"] {
        wait_for(within, &format!("{s} flushing b"), || {
            let v = marsctl(&lis.sock(s), &["show", "servers"]).ok()?;
            (!peer_ids(&v).contains(&2)).then_some(())
        });
    }
    let flushed = killed.elapsed();
    // Flushed after 2 × redirect interval + grace without b's redirect entry, not before.
    assert!(
        flushed >= Duration::from_secs(2),
        "flushed after {flushed:?}"
    );
    wait_for(within, "a learning h2 and h3 from c", || {
        let m = members(&marsctl(&lis.sock("a"), &["show", "clients"]).ok()?);
        (m.get(&atm[1]).map(String::as_str) == Some("peer 0x00000003")
            && m.get(&atm[2]).map(String::as_str) == Some("peer 0x00000003"))
        .then_some(())
    });
    for s in ["a", "c"] {
        let v = marsctl(&lis.sock(s), &["show", "groups"]).unwrap();
        assert_eq!(group_members(&v, GROUP).len(), 4, "{s}: {v}");
    }

    // The stream went on: stop it; every datagram reaches every receiver exactly once.
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let sent = sender.join().unwrap();
    let mut got: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    wait_for(within, "every datagram at every receiver", || {
        while let Ok((who, text)) = rx.recv_timeout(Duration::from_millis(20)) {
            if let Some(n) = text.strip_prefix("seq ") {
                got.entry(who).or_default().push(n.parse().unwrap());
            }
        }
        got.values()
            .all(|v| v.len() >= sent as usize)
            .then_some(())
            .filter(|_| got.len() == 3)
    });
    let all: Vec<u32> = (1..=sent).collect();
    for (who, v) in &got {
        assert_eq!(v, &all, "{who} received another sequence than 1..={sent}");
    }

    // h3, now c's client, sends: h1, h2 and h4 receive.
    receive(lis.sock("h1"), "h1".to_string(), tx.clone());
    let mut from_h3 = BTreeSet::new();
    wait_for(within, "h3's datagram at h1, h2 and h4", || {
        let _ = send(&lis.sock("h3"), "from h3");
        while let Ok((who, text)) = rx.recv_timeout(Duration::from_millis(50)) {
            if text == "from h3" {
                from_h3.insert(who);
            }
        }
        (from_h3.len() == 3).then_some(())
    });
    assert!(!from_h3.contains("h3"));

    // b restarts with the same configuration: it re-aligns and learns everything back.
    lis.start_server(1);
    wait_for(within, "b re-aligned, caches equal", || {
        let aligned = ["a", "b", "c"].iter().all(|s| {
            marsctl(&lis.sock(s), &["show", "peers"])
                .ok()
                .is_some_and(|v| dcs_aligned(&v))
        });
        let sizes: Vec<u64> = ["a", "b", "c"]
            .iter()
            .filter_map(|s| cache_size(&lis.sock(s)))
            .collect();
        (aligned && sizes.len() == 3 && sizes.iter().all(|&n| n == sizes[0])).then_some(())
    });
    let at_b = members(&marsctl(&lis.sock("b"), &["show", "clients"]).unwrap());
    assert_eq!(at_b.len(), 4, "{at_b:?}");
    assert_eq!(at_b[&atm[0]], "peer 0x00000001");
    for k in 1..4 {
        assert_eq!(at_b[&atm[k]], "peer 0x00000003");
    }
    let v = marsctl(&lis.sock("b"), &["show", "groups"]).unwrap();
    assert_eq!(group_members(&v, GROUP).len(), 4, "{v}");
    for s in ["a", "c"] {
        wait_for(within, &format!("{s} knowing b again"), || {
            let v = marsctl(&lis.sock(s), &["show", "servers"]).ok()?;
            peer_ids(&v).contains(&2).then_some(())
        });
    }
    // A new join at a reaches the restarted b.
    marsctl(&lis.sock("h1"), &["join", "224.5.0.2"]).unwrap();
    wait_for(within, "h1's new join seen at b", || {
        let v = marsctl(&lis.sock("b"), &["show", "groups"]).ok()?;
        group_members(&v, "224.5.0.2")
            .contains(&atm[0])
            .then_some(())
    });

    // Clean shutdown: clients first (they deregister), then the servers.
    for c in lis.clients.drain(..) {
        c.terminate();
    }
    for s in lis.servers.iter_mut().filter_map(Option::take) {
        s.terminate();
    }
    eprintln!(
        "failover {:.1} s, flush {:.1} s, {sent} datagrams through the failure, whole test {:.1} s",
        failover.as_secs_f64(),
        flushed.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
