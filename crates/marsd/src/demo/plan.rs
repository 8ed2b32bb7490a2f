//! The demo's Logical IP Subnet: who runs where, and the configuration file of each process.
//!
//! Three servers A, B and C form one server group (RFC 2443), on 127.0.0.1, .2 and .3, with
//! disjoint CMI ranges and HMAC-SHA-256 between every pair. Four clients and one MCS each run
//! in a process of their own, each with its own server first in its MARS table:
//!
//! | process | address | home server | MARS table |
//! |---|---|---|---|
//! | `c1` | 127.0.0.1 | A | A, B, C |
//! | `c2`, `c3` | 127.0.0.2 | B | B, C, A |
//! | `c4` | 127.0.0.3 | C | C, A, B |
//! | `m1` (MCS for 224.9.9.9) | 127.0.0.1 | A | A, B, C |
//!
//! Every timer is short (see [`EMULATION`] and the server files) so that a failure is detected, flushed and repaired
//! in seconds instead of the RFCs' minutes. The files are ordinary `marsd` configurations:
//! the demo writes them into its directory, where they can be read and reused.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::path::{Path, PathBuf};

use crate::atm_udp::embed_ipv4;

/// The group every client joins.
pub const GROUP: &str = "224.1.0.1";
/// The group the MCS serves.
pub const MCS_GROUP: &str = "224.9.9.9";

/// The emulation timers of every process, as TOML.
pub const EMULATION: &str = r#"
[emulation]
retransmit_interval = "50ms"   # signalling retransmission
keepalive_interval = "100ms"   # a silent peer is dead after 3 x 100 ms
dead_factor = 3
"#;

/// The redirect interval of the servers (seconds): a silent server is flushed after twice
/// this plus [`FLUSH_GRACE_S`] (RFC 2443 §2).
pub const REDIRECT_INTERVAL_S: u64 = 1;
/// The flush grace (seconds).
pub const FLUSH_GRACE_S: u64 = 1;

/// What a process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A MARS server of the group.
    Server,
    /// A cluster member.
    Client,
    /// A Multicast Server.
    Mcs,
}

/// One process of the demo.
#[derive(Debug, Clone)]
pub struct Proc {
    /// Its name in the narration and its role name (`A`, `c1`, `m1`).
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// Its UDP socket address (port 0 for clients: chosen when bound).
    pub bind: SocketAddrV4,
    /// The index of its server in [`Plan::procs`] (itself for a server).
    pub home: usize,
    /// Its configuration file.
    pub config: PathBuf,
    /// Its control socket.
    pub socket: PathBuf,
    /// Its log file (standard error).
    pub log: PathBuf,
}

impl Proc {
    /// The ATM address of a server (the embedding of its bind address).
    pub fn atm(&self) -> String {
        embed_ipv4(self.bind).to_string()
    }

    /// How the narration names it: "server A", "client c1", "MCS m1".
    pub fn title(&self) -> String {
        match self.kind {
            Kind::Server => format!("server {}", self.name),
            Kind::Client => format!("client {}", self.name),
            Kind::Mcs => format!("MCS {}", self.name),
        }
    }
}

/// The whole LIS.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The directory holding configurations, sockets and logs.
    pub dir: PathBuf,
    /// Servers A, B, C (indices 0–2), then c1–c4, then m1.
    pub procs: Vec<Proc>,
}

/// A UDP port free on 127.0.0.1, .2 and .3 at once (checked by binding; a small race with
/// other programs remains until the servers bind it).
fn free_port() -> Result<u16, String> {
    for _ in 0..50 {
        let probe = UdpSocket::bind((Ipv4Addr::new(127, 0, 0, 1), 0))
            .map_err(|e| format!("cannot bind a UDP socket on 127.0.0.1: {e}"))?;
        let port = probe.local_addr().map_err(|e| e.to_string())?.port();
        let others: Result<Vec<_>, _> = [2, 3]
            .iter()
            .map(|&h| UdpSocket::bind((Ipv4Addr::new(127, 0, 0, h), port)))
            .collect();
        match others {
            Ok(_) => return Ok(port),
            Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {
                return Err(format!(
                    "127.0.0.2 and 127.0.0.3 are not usable here ({e}); the demo needs the \
                     whole 127.0.0.0/8 loopback network (Linux has it)"
                ))
            }
            Err(_) => continue,
        }
    }
    Err("no UDP port free on 127.0.0.1-3".into())
}

impl Plan {
    /// The plan for a demo in `dir`, with the servers on one free port.
    pub fn new(dir: &Path) -> Result<Plan, String> {
        let port = free_port()?;
        let mut procs = Vec::new();
        let mut add = |name: &str, kind: Kind, host: u8, port: u16, home: usize| {
            procs.push(Proc {
                name: name.to_string(),
                kind,
                bind: SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, host), port),
                home,
                config: dir.join(format!("{name}.toml")),
                socket: dir.join(format!("{name}.sock")),
                log: dir.join(format!("{name}.log")),
            });
        };
        add("A", Kind::Server, 1, port, 0);
        add("B", Kind::Server, 2, port, 1);
        add("C", Kind::Server, 3, port, 2);
        add("c1", Kind::Client, 1, 0, 0);
        add("c2", Kind::Client, 2, 0, 1);
        add("c3", Kind::Client, 2, 0, 1);
        add("c4", Kind::Client, 3, 0, 2);
        add("m1", Kind::Mcs, 1, 0, 0);
        Ok(Plan {
            dir: dir.to_path_buf(),
            procs,
        })
    }

    /// The servers.
    pub fn servers(&self) -> &[Proc] {
        &self.procs[..3]
    }

    /// The clients and the MCS.
    pub fn members(&self) -> &[Proc] {
        &self.procs[3..]
    }

    /// The process named `name`.
    pub fn get(&self, name: &str) -> &Proc {
        self.procs
            .iter()
            .find(|p| p.name == name)
            .unwrap_or(&self.procs[0])
    }

    /// Write every configuration file.
    pub fn write(&self) -> Result<(), String> {
        for (i, p) in self.procs.iter().enumerate() {
            let text = match p.kind {
                Kind::Server => self.server_toml(i),
                Kind::Client | Kind::Mcs => self.member_toml(p),
            };
            std::fs::write(&p.config, text)
                .map_err(|e| format!("cannot write {}: {e}", p.config.display()))?;
        }
        Ok(())
    }

    /// The server's MARS table order: itself, then the next servers up (the order RFC 2443
    /// redirect maps rotate to, docs/dmars.md).
    fn table(&self, home: usize) -> Vec<String> {
        (0..3).map(|k| self.procs[(home + k) % 3].atm()).collect()
    }

    fn server_toml(&self, i: usize) -> String {
        let p = &self.procs[i];
        let first = 1000 * i as u32;
        let mut t = format!(
            "# dmars demo: server {name} of the server group (RFC 2443). Written by `marsd demo`.\n\
             [daemon]\ncontrol_socket = \"{sock}\"\nshutdown_grace = \"1s\"\n{EMULATION}\n\
             [server]\nname = \"{name}\"\nbind = \"{bind}\"\nprotocol_address = \"{ip}\"\n\
             cmi_range = [{lo}, {hi}]        # disjoint from the other servers' (RFC 2443 §2)\n\
             redirect_interval = \"{REDIRECT_INTERVAL_S}s\"  # the same on every server\n\n\
             [server.scsp]\nserver_id = {id}\nflush_grace = \"{FLUSH_GRACE_S}s\"\n\
             startup_hold = \"3s\"\norigination_hold = \"1s\"\ntombstone_hold = \"1m\"\n\
             connect_retry = \"200ms\"\ncallee_fallback = \"1s\"\nhello_interval = \"200ms\"\n\
             ca_rexmt_interval = \"200ms\"\ncsus_rexmt_interval = \"200ms\"\n\
             csu_rexmt_interval = \"200ms\"\n",
            name = p.name,
            sock = p.socket.display(),
            bind = p.bind,
            ip = p.bind.ip(),
            lo = first.max(1),
            hi = first + 999,
            id = i + 1,
        );
        for (j, q) in self.servers().iter().enumerate() {
            if j == i {
                continue;
            }
            // One key per pair, the same at both ends (RFC 2334 B.3.1.3).
            let (a, b) = (i.min(j) + 1, i.max(j) + 1);
            let _ = write!(
                t,
                "\n[[server.peers]]\naddress = \"{}\"   # server {}\nid = {}\n\
                 [[server.peers.keys]]\nspi = {spi}\nalgorithm = \"hmac-sha-256\"\n\
                 key = \"{key}\"\n",
                q.atm(),
                q.name,
                j + 1,
                spi = 256 + 16 * a + b,
                key = format!("6d617273642d64656d6f2d{a:02x}{b:02x}").repeat(2),
            );
        }
        t
    }

    fn member_toml(&self, p: &Proc) -> String {
        let (section, what) = match p.kind {
            Kind::Mcs => ("mcs", format!("a Multicast Server for {MCS_GROUP}")),
            _ => ("client", "a cluster member".to_string()),
        };
        let groups = match p.kind {
            Kind::Mcs => format!("groups = [\"{MCS_GROUP}\"]\n"),
            _ => String::new(),
        };
        let mars = self
            .table(p.home)
            .iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "# dmars demo: {title}, {what}. Written by `marsd demo`.\n\
             [daemon]\ncontrol_socket = \"{sock}\"\nshutdown_grace = \"1s\"\n{EMULATION}\n\
             [[{section}]]\nname = \"{name}\"\nbind = \"{bind}\"\n\
             mars = [{mars}]   # own server first\nprotocol_address = \"{ip}\"\n{groups}\
             [{section}.timers]\nscale = 20   # every RFC 2022 timer divided by 20\n",
            title = p.title(),
            sock = p.socket.display(),
            name = p.name,
            bind = p.bind,
            ip = p.bind.ip(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn every_file_is_a_valid_configuration() {
        let dir = std::env::temp_dir().join(format!("marsd-demo-plan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plan = Plan::new(&dir).unwrap();
        plan.write().unwrap();
        for p in &plan.procs {
            let cfg = Config::load(&p.config).unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert_eq!(cfg.role_names(), vec![p.name.clone()]);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
