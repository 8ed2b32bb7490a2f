//! What SIGHUP may change without dropping state, and what needs a restart.
//!
//! Applied in place: the server's `backups`; the `[[server.peers]]` of a server running with
//! peers — peers added, removed and re-addressed, a peer whose other settings changed
//! restarted with them, each peer's `auth`, `send_spi` and `keys` changed in place (key
//! rollover, B.3.1.3); new or changed `[[underlay.entries]]`; the `groups` of clients (joined
//! and left) and of MCSs (served and unserved). Everything else — `[server.scsp]`, timers,
//! binds, roles, the control socket, metrics — is fixed for the life of the process: the
//! engines take it at start. A reload that changes such a key is refused as a whole, naming
//! the key and its line, and the running configuration stays in force.
//!
//! # Peers
//! Peers are matched by `address` between the running file and the new one, not by position:
//! - an address only in the new file is **added** (the SCSP engine calls it, or waits for its
//!   call, and aligns with it);
//! - an address only in the running file is **removed** (its VC released; it leaves
//!   MARS_REDIRECT_MAP; its clients' records stay until the RFC 2443 flush rule or newer
//!   records remove them — see `mars_proto::dmars`);
//! - a new address at the position of a removed one is reported as **re-addressed** (applied
//!   as a removal and an addition);
//! - a peer at the same address whose settings other than `auth`, `send_spi` and `keys`
//!   changed (`id`, its timers, `max_sdu`) is **restarted** with them: removed and added again
//!   at once (same DCS index; it realigns);
//! - only `auth`, `send_spi` or `keys` changed: re-keyed in place, nothing dropped.
//!
//! Whether the server is a server-group member (SCSP) is fixed at start by whether its file
//! lists peers: peers cannot be added to a server that started without any (it runs no SCSP
//! engine) — nor, by the same rule, to one whose running file lists none any more. Removing
//! every peer of a server that has them is applied (it runs on alone).

use std::path::Path;

use mars_proto::scsp::{AuthMode, DcsConfig, SecurityAssociation};
use mars_wire::{AtmAddress, ProtoAddr};

use super::build;
use super::check::{Problem, Seg};
use super::spans::Locator;
use super::{member_name, Config, ConfigErrors, PeerConfig, ServerRole};
use crate::atm_udp::StaticEntry;

/// New keying of one peer.
#[derive(Debug, Clone)]
pub struct PeerKeys {
    /// Its position in the new file (`server.peers[index]`), for logs.
    pub index: usize,
    /// Its address: the peer (DCS) the keying applies to.
    pub address: AtmAddress,
    /// The authentication mode.
    pub mode: AuthMode,
    /// Every association it should have (installed or replaced).
    pub install: Vec<SecurityAssociation>,
    /// SPIs to remove.
    pub remove: Vec<u32>,
    /// The SPI to sign with.
    pub send_spi: Option<u32>,
}

/// One change of the server's peers, applied live in this order: removals, re-addressing,
/// restarts, additions, then keying.
#[derive(Debug, Clone)]
pub enum PeerChange {
    /// A peer no longer in the file.
    Remove {
        /// Its address.
        address: AtmAddress,
    },
    /// `server.peers[index]` has a new address (the old one is no longer in the file).
    Readdress {
        /// Its position in the new file.
        index: usize,
        /// The old address.
        from: AtmAddress,
        /// The peer at its new address.
        dcs: DcsConfig,
    },
    /// `server.peers[index]`'s settings other than keying changed: it restarts with them.
    Restart {
        /// Its position in the new file.
        index: usize,
        /// The peer with its new settings.
        dcs: DcsConfig,
    },
    /// A new peer, `server.peers[index]`.
    Add {
        /// Its position in the new file.
        index: usize,
        /// The peer.
        dcs: DcsConfig,
    },
    /// New keying of a peer that stays.
    Keys(PeerKeys),
}

impl PeerChange {
    /// One line for the log.
    pub fn summary(&self) -> String {
        match self {
            PeerChange::Remove { address } => format!("server.peers: {address} removed"),
            PeerChange::Readdress { index, from, dcs } => {
                format!(
                    "server.peers[{index}]: re-addressed {from} -> {}",
                    dcs.address
                )
            }
            PeerChange::Restart { index, dcs } => format!(
                "server.peers[{index}] ({}): settings changed, peer restarted",
                dcs.address
            ),
            PeerChange::Add { index, dcs } => {
                format!("server.peers[{index}] ({}): added", dcs.address)
            }
            PeerChange::Keys(p) => format!(
                "server.peers[{}] ({}): auth {:?}, {} keys, {} removed",
                p.index,
                p.address,
                p.mode,
                p.install.len(),
                p.remove.len()
            ),
        }
    }
}

/// Group changes of one client or MCS role.
#[derive(Debug, Clone)]
pub struct GroupChanges {
    /// The role.
    pub role: String,
    /// Groups (blocks) to join or serve.
    pub join: Vec<(ProtoAddr, ProtoAddr)>,
    /// Groups (blocks) to leave or unserve.
    pub leave: Vec<(ProtoAddr, ProtoAddr)>,
}

/// What a reload changes.
#[derive(Debug, Clone, Default)]
pub struct ReloadPlan {
    /// The server's new backup list.
    pub backups: Option<Vec<AtmAddress>>,
    /// Peers added, removed, re-addressed, restarted or re-keyed, in the order to apply.
    pub peers: Vec<PeerChange>,
    /// Underlay entries added or changed.
    pub underlay: Vec<StaticEntry>,
    /// Group changes per role.
    pub groups: Vec<GroupChanges>,
}

impl ReloadPlan {
    /// One line per change, for the log.
    pub fn summary(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(b) = &self.backups {
            v.push(format!("server.backups: {} entries", b.len()));
        }
        for p in &self.peers {
            v.push(p.summary());
        }
        for e in &self.underlay {
            v.push(format!("underlay: {} -> {}", e.atm, e.udp));
        }
        for g in &self.groups {
            v.push(format!(
                "{}: {} groups added, {} removed",
                g.role,
                g.join.len(),
                g.leave.len()
            ));
        }
        v
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.backups.is_none()
            && self.peers.is_empty()
            && self.underlay.is_empty()
            && self.groups.is_empty()
    }
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

fn restart(path: Vec<Seg>, what: &str) -> Problem {
    Problem {
        path,
        message: format!("{what} cannot change while marsd runs: restart it (reload refused)"),
    }
}

/// The path (below `at`) of the first value that differs between `a` and `b`.
fn first_diff<T: serde::Serialize>(at: Vec<Seg>, a: &T, b: &T) -> Vec<Seg> {
    fn walk(at: &mut Vec<Seg>, a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value;
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (k, va) in x {
                    let vb = y.get(k).unwrap_or(&Value::Null);
                    if va != vb {
                        at.push(Seg::Key(k.clone()));
                        walk(at, va, vb);
                        return true;
                    }
                }
                match y.keys().find(|k| !x.contains_key(*k)) {
                    Some(k) => {
                        at.push(Seg::Key(k.clone()));
                        true
                    }
                    None => false,
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                    if va != vb {
                        at.push(Seg::Index(i));
                        walk(at, va, vb);
                        return true;
                    }
                }
                false
            }
            _ => a != b,
        }
    }
    let mut at = at;
    if let (Ok(a), Ok(b)) = (serde_json::to_value(a), serde_json::to_value(b)) {
        walk(&mut at, &a, &b);
    }
    at
}

/// What changes in the peers of a server running with peers (`old`) for the file `new`.
fn peer_changes(old: &ServerRole, new: &ServerRole, base: Option<&Path>) -> Vec<PeerChange> {
    let gone: Vec<&PeerConfig> = old
        .peers
        .iter()
        .filter(|op| !new.peers.iter().any(|np| np.address == op.address))
        .collect();
    let mut paired: Vec<AtmAddress> = Vec::new();
    let (mut readdress, mut restart, mut add, mut keys) = (vec![], vec![], vec![], vec![]);
    for (i, np) in new.peers.iter().enumerate() {
        let Some(op) = old.peers.iter().find(|op| op.address == np.address) else {
            let dcs = build::dcs_config(new, np, base);
            // A removed address at the same position: the peer was re-addressed.
            match old
                .peers
                .get(i)
                .filter(|op| gone.iter().any(|g| g.address == op.address))
            {
                Some(op) => {
                    paired.push(op.address);
                    readdress.push(PeerChange::Readdress {
                        index: i,
                        from: op.address,
                        dcs,
                    });
                }
                None => add.push(PeerChange::Add { index: i, dcs }),
            }
            continue;
        };
        let mut op2 = op.clone();
        op2.auth = np.auth;
        op2.send_spi = np.send_spi;
        op2.keys = np.keys.clone();
        if op2 != *np {
            restart.push(PeerChange::Restart {
                index: i,
                dcs: build::dcs_config(new, np, base),
            });
        } else if op.auth != np.auth || op.send_spi != np.send_spi || op.keys != np.keys {
            keys.push(PeerChange::Keys(PeerKeys {
                index: i,
                address: np.address,
                mode: build::auth_mode(np),
                install: build::security_associations(np, base),
                remove: op
                    .keys
                    .iter()
                    .filter(|k| !np.keys.iter().any(|n| n.spi == k.spi))
                    .map(|k| k.spi)
                    .collect(),
                send_spi: np.send_spi,
            }));
        }
    }
    let mut v: Vec<PeerChange> = gone
        .iter()
        .filter(|g| !paired.contains(&g.address))
        .map(|g| PeerChange::Remove { address: g.address })
        .collect();
    v.extend(readdress);
    v.extend(restart);
    v.extend(add);
    v.extend(keys);
    v
}

/// Parse `text` and compare it with the running `old`: the plan, and the new configuration
/// to keep as the running one; or every reason to refuse.
pub fn plan(
    old: &Config,
    text: &str,
    base: Option<&Path>,
) -> Result<(Config, ReloadPlan), ConfigErrors> {
    let new = Config::parse(text, base)?;
    let mut problems = Vec::new();
    let mut plan = ReloadPlan::default();

    if old.daemon != new.daemon {
        let at = first_diff(vec![key("daemon")], &old.daemon, &new.daemon);
        problems.push(restart(at, "this key"));
    }
    if old.metrics != new.metrics {
        let at = first_diff(vec![key("metrics")], &old.metrics, &new.metrics);
        problems.push(restart(at, "this key"));
    }
    if old.emulation != new.emulation {
        let at = first_diff(vec![key("emulation")], &old.emulation, &new.emulation);
        problems.push(restart(at, "this key"));
    }
    if old.underlay.embedding != new.underlay.embedding {
        problems.push(restart(
            vec![key("underlay"), key("embedding")],
            "underlay.embedding",
        ));
    }
    for (i, e) in old.underlay.entries.iter().enumerate() {
        if !new.underlay.entries.iter().any(|n| n.atm == e.atm) {
            problems.push(Problem {
                path: vec![key("underlay"), key("entries")],
                message: format!(
                    "entry {i} ({}) was removed: entries can be added or changed while marsd \
                     runs, not removed (reload refused)",
                    e.atm
                ),
            });
        }
    }
    plan.underlay = new
        .underlay
        .entries
        .iter()
        .filter(|e| !old.underlay.entries.contains(e))
        .cloned()
        .collect();

    match (&old.server, &new.server) {
        (None, None) => {}
        (Some(o), Some(n)) => {
            let mut o2 = o.clone();
            o2.backups = n.backups.clone();
            o2.peers = n.peers.clone();
            if o2 != *n {
                let at = first_diff(vec![key("server")], &o2, n);
                problems.push(restart(at, "this key"));
            }
            if o.backups != n.backups {
                plan.backups = Some(n.backups.clone());
            }
            if o.peers.is_empty() && !n.peers.is_empty() {
                problems.push(Problem {
                    path: vec![key("server"), key("peers"), Seg::Index(0)],
                    message: "peers cannot be added to a server running without any (it runs \
                              no SCSP engine): restart marsd (reload refused)"
                        .into(),
                });
            } else {
                plan.peers = peer_changes(o, n, base);
            }
        }
        _ => problems.push(restart(vec![key("server")], "the server role")),
    }

    for (kind, olds, news) in [
        ("client", &old.client, &new.client),
        ("mcs", &old.mcs, &new.mcs),
    ] {
        if olds.len() != news.len() {
            problems.push(restart(
                vec![key(kind)],
                &format!("the number of [[{kind}]] roles"),
            ));
            continue;
        }
        for (i, (o, n)) in olds.iter().zip(news).enumerate() {
            let mut o2 = o.clone();
            o2.groups = n.groups.clone();
            if o2 != *n {
                let at = first_diff(vec![key(kind), Seg::Index(i)], &o2, n);
                problems.push(restart(at, "this key"));
                continue;
            }
            let (og, ng) = (build::groups(o), build::groups(n));
            let join: Vec<_> = ng.iter().filter(|g| !og.contains(g)).copied().collect();
            let leave: Vec<_> = og.iter().filter(|g| !ng.contains(g)).copied().collect();
            if !join.is_empty() || !leave.is_empty() {
                plan.groups.push(GroupChanges {
                    role: member_name(n, kind, i),
                    join,
                    leave,
                });
            }
        }
    }

    if problems.is_empty() {
        Ok((new, plan))
    } else {
        let loc = Locator::new(text);
        Err(ConfigErrors(
            problems.into_iter().map(|p| loc.locate(p)).collect(),
        ))
    }
}
