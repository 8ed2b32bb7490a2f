//! What SIGHUP may change without dropping state, and what needs a restart.
//!
//! Applied in place: the server's `backups`; each peer's `auth`, `send_spi` and `keys`
//! (key rollover, B.3.1.3); new or changed `[[underlay.entries]]`; the `groups` of clients
//! (joined and left) and of MCSs (served and unserved). Everything else — adding, removing or
//! re-addressing peers, timers, binds, roles, the control socket, metrics — is fixed for the
//! life of the process: the engines take it at start (the SCSP engine's DCS set among them).
//! A reload that changes such a key is refused as a whole, naming the key and its line, and
//! the running configuration stays in force.

use std::path::Path;

use mars_proto::scsp::{AuthMode, SecurityAssociation};
use mars_wire::{AtmAddress, ProtoAddr};

use super::build;
use super::check::{Problem, Seg};
use super::spans::Locator;
use super::{member_name, Config, ConfigErrors};
use crate::atm_udp::StaticEntry;

/// New keying of one peer.
#[derive(Debug, Clone)]
pub struct PeerKeys {
    /// Index of the peer (its DCS index).
    pub index: usize,
    /// Its address, for logs.
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
    /// Peers whose keying changed.
    pub peers: Vec<PeerKeys>,
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
            v.push(format!(
                "server.peers[{}] ({}): auth {:?}, {} keys, {} removed",
                p.index,
                p.address,
                p.mode,
                p.install.len(),
                p.remove.len()
            ));
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
            for (op, np) in o2.peers.iter_mut().zip(&n.peers) {
                op.auth = np.auth;
                op.send_spi = np.send_spi;
                op.keys = np.keys.clone();
            }
            if o2.peers.len() != n.peers.len() {
                // Point at the first added peer, or at the list when peers were removed.
                let mut at = vec![key("server"), key("peers")];
                if n.peers.len() > o.peers.len() {
                    at.push(Seg::Index(o.peers.len()));
                }
                problems.push(restart(at, "the set of peers (the SCSP engine's DCSs)"));
            } else if o2 != *n {
                let at = first_diff(vec![key("server")], &o2, n);
                problems.push(restart(at, "this key"));
            }
            if o.backups != n.backups {
                plan.backups = Some(n.backups.clone());
            }
            for (i, (op, np)) in o.peers.iter().zip(&n.peers).enumerate() {
                if op.auth == np.auth && op.send_spi == np.send_spi && op.keys == np.keys {
                    continue;
                }
                plan.peers.push(PeerKeys {
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
                });
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
