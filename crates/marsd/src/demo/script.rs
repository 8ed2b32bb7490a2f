//! The story the demo tells, step by step; each fact printed is one the demo observed
//! through the processes' control sockets (or their own datagram streams), within a
//! deadline.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::mpsc;

use super::ctl::{self, Deadline, Received};
use super::narrator::{list, secs, short, Narrator};
use super::plan::{Kind, Plan, GROUP, MCS_GROUP};
use super::procs::Child;

mod recovery;

/// Deadline of the servers' first alignment.
const ALIGN_WITHIN: Duration = Duration::from_secs(20);
/// Deadline of one registration, join or delivery.
const FACT_WITHIN: Duration = Duration::from_secs(10);
/// Deadline of failover and flush after the kill.
const FAILOVER_WITHIN: Duration = Duration::from_secs(20);

/// How server `at` (index) names the origin of a member of server `home`: `local`, or
/// `peer 0x0000000N` with N the home server's SCSP ID.
fn origin(at: usize, home: usize) -> String {
    if at == home {
        "local".into()
    } else {
        format!("peer {:#010x}", home + 1)
    }
}

/// The running demo: its plan, its children and what it has seen.
#[derive(Debug)]
pub struct Demo {
    pub(super) plan: Plan,
    exe: PathBuf,
    n: Narrator,
    children: Vec<Option<Child>>,
    atm: Vec<String>,
    tx: mpsc::UnboundedSender<Received>,
    rx: mpsc::UnboundedReceiver<Received>,
    /// Datagram texts received, by receiver (duplicates are failures).
    got: BTreeMap<String, BTreeSet<String>>,
    sent: u32,
}

impl Demo {
    /// A demo of `plan`, starting processes from `exe`.
    pub fn new(plan: Plan, exe: PathBuf, n: Narrator) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let count = plan.procs.len();
        let atm = plan.procs.iter().map(|p| p.atm()).collect();
        Demo {
            plan,
            exe,
            n,
            children: (0..count).map(|_| None).collect(),
            atm,
            tx,
            rx,
            got: BTreeMap::new(),
            sent: 0,
        }
    }

    /// The step being told.
    pub fn step(&self) -> u32 {
        self.n.current()
    }

    fn index(&self, name: &str) -> usize {
        self.plan
            .procs
            .iter()
            .position(|p| p.name == name)
            .unwrap_or(0)
    }

    fn sock(&self, name: &str) -> &Path {
        &self.plan.get(name).socket
    }

    fn atm_of(&self, name: &str) -> &str {
        &self.atm[self.index(name)]
    }

    /// The name of the process with ATM address `atm`, else the address.
    fn who(&self, atm: &str) -> String {
        self.atm
            .iter()
            .position(|a| a == atm)
            .map(|i| self.plan.procs[i].name.clone())
            .unwrap_or_else(|| atm.to_string())
    }

    async fn start(&mut self, name: &str) -> Result<u32, String> {
        let i = self.index(name);
        let p = &self.plan.procs[i];
        let child = Child::start(&self.exe, &p.title(), &p.config, &p.log).await?;
        let pid = child.pid();
        self.atm[i] = child.atm();
        self.children[i] = Some(child);
        Ok(pid)
    }

    /// Tell the whole story.
    pub async fn tell(&mut self) -> Result<(), String> {
        let d = self.plan.dir.display().to_string();
        self.n.say(&format!(
            "dmars demo: one Logical IP Subnet on this machine: 3 MARS servers in one server \
             group (RFC 2443), 4 clients and 1 MCS, each its own marsd process. Files: {d}"
        ));
        self.servers().await?;
        self.members().await?;
        self.joins().await?;
        self.data().await?;
        self.failure().await?;
        self.data_again().await?;
        self.restart().await?;
        self.n.say("");
        self.n.say(&format!(
            "Every step observed, in {}.",
            secs(self.n.elapsed())
        ));
        Ok(())
    }

    // ----- 1. servers --------------------------------------------------------------------

    async fn servers(&mut self) -> Result<(), String> {
        self.n.step("Three MARS servers form one server group");
        self.n.explain(
            "   Each server knows the other two as SCSP peers (RFC 2334) and allocates CMIs from \
             its own range.",
        );
        for name in ["A", "B", "C"] {
            let pid = self.start(name).await?;
            let i = self.index(name);
            let first = (1000 * i).max(1);
            self.n.fact(&format!(
                "started server {name}: pid {pid}, UDP {}, ATM {}, CMIs {first}-{}",
                self.plan.procs[i].bind,
                self.atm[i],
                1000 * i + 999
            ));
        }
        let dl = Deadline::new(ALIGN_WITHIN, "the servers' SCSP alignment");
        loop {
            let mut all = true;
            for s in ["A", "B", "C"] {
                all &= ctl::aligned(self.sock(s)).await.is_some_and(|(ok, _)| ok);
            }
            if all {
                break;
            }
            dl.tick().await?;
        }
        self.n.fact(&format!(
            "A, B and C aligned pairwise after {}: Hello bidirectional, cache alignment done, \
             every SCSP message signed with HMAC-SHA-256",
            short(dl.elapsed())
        ));
        Ok(())
    }

    // ----- 2. members --------------------------------------------------------------------

    async fn members(&mut self) -> Result<(), String> {
        self.n.step("Clients and the MCS register");
        self.n.explain(
            "   Each has its own server first in its MARS table: c1 and m1 use A, c2 and c3 use \
             B, c4 uses C.",
        );
        let members: Vec<String> = self.plan.members().iter().map(|p| p.name.clone()).collect();
        for name in &members {
            self.start(name).await?;
            let p = self.plan.get(name);
            if p.kind == Kind::Client {
                ctl::subscribe(name.clone(), p.socket.clone(), self.tx.clone());
            }
        }
        for name in &members {
            let p = self.plan.get(name).clone();
            let home = self.atm[p.home].clone();
            let dl = Deadline::new(FACT_WITHIN, format!("{} registering", p.title()));
            let reg = loop {
                match ctl::registration(&p.socket).await {
                    Some(r) if r.registered && r.mars == home => break r,
                    _ => dl.tick().await?,
                }
            };
            let server = &self.plan.procs[p.home].name;
            match p.kind {
                Kind::Mcs => {
                    loop {
                        if let Some((g, true)) = ctl::joined(&p.socket).await {
                            if !g.is_empty() {
                                break;
                            }
                        }
                        dl.tick().await?;
                    }
                    self.n.fact(&format!(
                        "MCS {name} registered with server {server} (MARS_MSERV) and serves \
                         {MCS_GROUP}"
                    ));
                }
                _ => self.n.fact(&format!(
                    "client {name} registered with server {server}, CMI {} (pid {})",
                    reg.cmi,
                    self.children[self.index(name)]
                        .as_ref()
                        .map_or(0, Child::pid)
                )),
            }
        }
        // Each server: its own members local, the others learned from their home server.
        let dl = Deadline::new(FACT_WITHIN, "every server listing every client and the MCS");
        loop {
            let mut all = true;
            for (si, s) in ["A", "B", "C"].into_iter().enumerate() {
                let want: BTreeSet<(String, String)> = self
                    .plan
                    .members()
                    .iter()
                    .map(|m| (self.atm_of(&m.name).to_string(), origin(si, m.home)))
                    .collect();
                let have: BTreeSet<(String, String)> = ctl::endpoints(self.sock(s))
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(a, _, o)| (a, o))
                    .collect();
                all &= want == have;
            }
            if all {
                break;
            }
            dl.tick().await?;
        }
        self.n.fact(
            "A, B and C each list all 4 clients and the MCS: their own as local, the others \
             learned from their servers through SCSP",
        );
        Ok(())
    }

    // ----- 3. joins ----------------------------------------------------------------------

    /// `who` joins `group` (as `marsctl join` does); returns the time until every server
    /// listed it, per server.
    async fn join(&mut self, who: &str, group: &str) -> Result<(), String> {
        let p = self.plan.get(who).clone();
        let home = self.plan.procs[p.home].name.clone();
        let addr = self.atm_of(who).to_string();
        let t = Instant::now();
        ctl::request(&p.socket, json!({"cmd": "join", "group": group})).await?;
        let mut seen: BTreeMap<String, Duration> = BTreeMap::new();
        let dl = Deadline::new(
            FACT_WITHIN,
            format!("{who}'s join of {group} at every server"),
        );
        loop {
            for s in ["A", "B", "C"] {
                if seen.contains_key(s) {
                    continue;
                }
                if ctl::members(self.sock(s), group)
                    .await
                    .is_some_and(|m| m.contains(&addr))
                {
                    seen.insert(s.to_string(), t.elapsed());
                }
            }
            let confirmed = ctl::joined(&p.socket)
                .await
                .is_some_and(|(g, _)| g.iter().any(|x| x == group));
            if seen.len() == 3 && confirmed {
                break;
            }
            dl.tick().await?;
        }
        let others: Vec<String> = seen
            .iter()
            .filter(|(s, _)| **s != home)
            .map(|(s, d)| format!("{s} after {}", short(*d)))
            .collect();
        self.n.fact(&format!(
            "{who} joins {group} at {home}: seen at {}",
            list(&others)
        ));
        Ok(())
    }

    async fn joins(&mut self) -> Result<(), String> {
        self.n.step("Joins propagate across the server group");
        self.n.explain(
            "   A MARS_JOIN goes to the client's server, which confirms it on its \
             ClusterControlVC and floods an RFC 2443 record to its peers; they announce it on \
             theirs.",
        );
        for c in ["c1", "c2", "c3", "c4"] {
            self.join(c, GROUP).await?;
        }
        for c in ["c2", "c4"] {
            self.join(c, MCS_GROUP).await?;
        }
        Ok(())
    }

    // ----- 4. data -----------------------------------------------------------------------

    /// Send one datagram from `from` to `group` and wait until exactly `to` have it.
    /// Returns its number.
    async fn datagram(&mut self, from: &str, group: &str, to: &[&str]) -> Result<u32, String> {
        self.sent += 1;
        let n = self.sent;
        let text = format!("datagram {n} from {from}");
        ctl::request(
            self.sock(from),
            json!({"cmd": "send", "group": group, "text": text}),
        )
        .await?;
        let want: BTreeSet<String> = to.iter().map(|s| s.to_string()).collect();
        let dl = Deadline::new(
            FACT_WITHIN,
            format!(
                "{text} to {group} reaching {}",
                list(&want.iter().cloned().collect::<Vec<_>>())
            ),
        );
        loop {
            let have: BTreeSet<String> = self
                .got
                .iter()
                .filter(|(_, t)| t.contains(&text))
                .map(|(r, _)| r.clone())
                .collect();
            if let Some(extra) = have.difference(&want).next() {
                return Err(format!("{text} to {group} also reached {extra}"));
            }
            if have == want {
                return Ok(n);
            }
            match tokio::time::timeout_at(dl.end(), self.rx.recv()).await {
                Ok(Some(r)) => {
                    if !self
                        .got
                        .entry(r.by.clone())
                        .or_default()
                        .insert(r.text.clone())
                    {
                        return Err(format!("{} was delivered twice to {}", r.text, r.by));
                    }
                }
                Ok(None) => return Err("datagram streams ended".into()),
                Err(_) => {
                    let missing: Vec<String> = want.difference(&have).cloned().collect();
                    return Err(format!("{} (missing at {})", dl.missed(), list(&missing)));
                }
            }
        }
    }

    async fn mcs_forwarded(&self) -> u64 {
        ctl::show(self.sock("m1"), "stats")
            .await
            .ok()
            .and_then(|s| s["mcs"]["other"]["forwarded"].as_u64())
            .unwrap_or(0)
    }

    /// A datagram to the MCS's group: the MARS answers with the MCS, which forwards it.
    async fn via_mcs(&mut self, from: &str) -> Result<(), String> {
        let r = ctl::request(
            self.sock(from),
            json!({"cmd": "resolve", "group": MCS_GROUP}),
        )
        .await?;
        let targets: Vec<String> = r["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(|a| self.who(a)))
            .collect();
        let mars = self.who(r["mars"].as_str().unwrap_or(""));
        if targets != ["m1"] {
            return Err(format!(
                "{mars} answered {from}'s MARS_REQUEST for {MCS_GROUP} with {} instead of MCS m1",
                list(&targets)
            ));
        }
        let before = self.mcs_forwarded().await;
        let n = self.datagram(from, MCS_GROUP, &["c2", "c4"]).await?;
        let forwarded = self.mcs_forwarded().await - before;
        self.n.fact(&format!(
            "datagram {n} from {from} to {MCS_GROUP} delivered to c2 and c4 via MCS m1: server \
             {mars} resolves the group to m1 alone, m1 forwarded {forwarded}"
        ));
        Ok(())
    }

    async fn data(&mut self) -> Result<(), String> {
        self.n.step("Multicast data");
        self.n.explain(
            "   c1 resolves 224.1.0.1 with its MARS (MARS_REQUEST/MARS_MULTI) and opens a \
             point-to-multipoint VC to the members; datagrams carry its CMI (RFC 2022 §5.5).",
        );
        for _ in 0..3 {
            let n = self.datagram("c1", GROUP, &["c2", "c3", "c4"]).await?;
            self.n.fact(&format!(
                "datagram {n} from c1 to {GROUP} delivered to c2, c3 and c4"
            ));
        }
        self.via_mcs("c1").await
    }

    // ----- the end -----------------------------------------------------------------------

    /// Processes that exited on their own (for a failure message).
    pub fn casualties(&mut self) -> String {
        let mut dead = Vec::new();
        for (i, c) in self.children.iter_mut().enumerate() {
            if let Some(st) = c.as_mut().and_then(Child::exited) {
                dead.push(format!("{} {st}", self.plan.procs[i].title()));
            }
        }
        if dead.is_empty() {
            String::new()
        } else {
            format!(" ({})", dead.join("; "))
        }
    }

    /// How to look around (unless quiet), and what happens next (`keep`: the directory stays
    /// afterwards).
    pub fn guide(&self, exiting: bool, keep: bool) {
        let d = self.plan.dir.display();
        if exiting {
            self.n.say("Stopping every process (--exit-when-done).");
            return;
        }
        // marsctl lives next to marsd (target/debug/ under cargo); shown relative to here.
        let path = self.exe.with_file_name("marsctl");
        let built = path.exists();
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| path.clone());
        let ctl = shown.display();
        self.n.explain("");
        self.n
            .explain("The LIS stays up. In another terminal, point marsctl at any process:");
        if !built {
            self.n.explain(&format!(
                "  ({ctl} is not built yet: cargo build -p marsd --bin marsctl)"
            ));
        }
        for (sock, cmd, what) in [
            (
                "A",
                "show peers",
                "server A's SCSP peers: Hello and cache alignment states",
            ),
            (
                "B",
                "show clients",
                "who is registered where (local, or learned from a peer)",
            ),
            (
                "C",
                "show cache",
                "the RFC 2443 records of the server group",
            ),
            ("c1", "join 224.1.0.7", "then `show groups` at A, B or C"),
            ("c2", "recv", "and in another terminal:"),
            ("c1", "send 224.1.0.1 hello", "c2 prints it"),
            (
                "A",
                "show topology --dot | dot -Tsvg > lis.svg",
                "a picture",
            ),
        ] {
            self.n.explain(&format!(
                "  {ctl} --socket {d}/{sock}.sock {cmd:<22} # {what}"
            ));
        }
        self.n.explain(&format!(
            "Sockets {d}/NAME.sock, configurations NAME.toml, logs NAME.log for NAME in A B C \
             c1 c2 c3 c4 m1."
        ));
        self.n.say(if keep {
            "Ctrl-C stops every process (clients deregister first); the directory stays."
        } else {
            "Ctrl-C stops every process (clients deregister first) and removes the directory."
        });
    }

    /// Stop every child: clients and the MCS first (they deregister), then the servers.
    pub async fn shutdown(&mut self) {
        let mut members = Vec::new();
        let mut servers = Vec::new();
        for (i, c) in self.children.iter_mut().enumerate() {
            if let Some(c) = c.take() {
                if self.plan.procs[i].kind == Kind::Server {
                    servers.push(c);
                } else {
                    members.push(c);
                }
            }
        }
        for group in [members, servers] {
            let mut stops = tokio::task::JoinSet::new();
            for c in group {
                stops.spawn(c.stop());
            }
            while stops.join_next().await.is_some() {}
        }
        // Sockets of processes that died without removing theirs.
        for p in &self.plan.procs {
            let _ = std::fs::remove_file(&p.socket);
        }
    }
}
