//! The receiver's side of RFC 2443 §5: what peers' CSA records say about their clients,
//! rebuilt per client and applied to the MARS database, whatever order the records arrive in.
//!
//! Each peer's records for one client (see `advertise` for what a key identifies) are kept
//! here by (originator, key). A client counts as registered while one of its records is a
//! registration in its join/serve state; its membership is then the union of its records in
//! the join state (single groups with their `layer3grp`, and blocks), and an MCS's served
//! groups are its records in the serve state. After every batch of records the affected
//! clients are *reconciled*: the server is told the client's whole state and propagates only
//! the difference (RFC 2443 §5.3: "Each MARS Server MUST perform the necessary redistribution
//! and hole punching algorithms before propagating this request to the CCVC and SCVC").

use crate::hash::Map;
use std::collections::BTreeSet;

use mars_wire::dmars::{CsaState, MarsCsa};
use mars_wire::mars::Flags;
use mars_wire::{AtmAddress, ProtoAddr, Protocol};

use crate::mars::db::Cmi;
use crate::mars::range::RangeSet;
use crate::mars::server::MarsServer;
use crate::time::Instant;

/// A client of a peer: (originator, protocol, CMI, is an MCS).
pub type ClientId = (u32, (u16, [u8; 5]), Cmi, bool);

/// One peer's client as this server knows it.
#[derive(Debug)]
struct Client {
    pro: Protocol,
    records: Map<u32, MarsCsa>,
    /// Whether the server database holds it (registration applied).
    applied: bool,
    /// Since when its registration record says it deregistered.
    gone_since: Option<Instant>,
}

/// What reconciling a client did, for the caller's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Nothing changed in the database.
    Nothing,
    /// The client is (still) registered; its state was applied.
    Registered,
    /// The client was removed.
    Removed,
    /// The database refused it (e.g. its CMI is held here by another endpoint).
    Refused(String),
}

/// Peers' clients.
#[derive(Debug, Default)]
pub struct Learner {
    clients: Map<ClientId, Client>,
    by_key: Map<(u32, u32), ClientId>,
    dirty: BTreeSet<ClientId>,
}

fn client_id(origin: u32, c: &MarsCsa) -> ClientId {
    (origin, c.pro.key(), c.cmi, c.state.is_mcs())
}

impl Learner {
    /// A peer's record entered the cache (or replaced an older instance).
    pub fn learn(&mut self, origin: u32, key: u32, c: MarsCsa) {
        self.forget(origin, key);
        let id = client_id(origin, &c);
        let cl = self.clients.entry(id).or_insert_with(|| Client {
            pro: c.pro,
            records: Map::default(),
            applied: false,
            gone_since: None,
        });
        cl.records.insert(key, c);
        self.by_key.insert((origin, key), id);
        self.dirty.insert(id);
    }

    /// A peer's record left the cache (purged, flushed or collected).
    pub fn forget(&mut self, origin: u32, key: u32) {
        if let Some(id) = self.by_key.remove(&(origin, key)) {
            if let Some(cl) = self.clients.get_mut(&id) {
                cl.records.remove(&key);
            }
            self.dirty.insert(id);
        }
    }

    /// Forget every client of `origin` (the flush of RFC 2443 §2; the server forgets them on
    /// its side).
    pub fn forget_origin(&mut self, origin: u32) -> usize {
        let ids: Vec<ClientId> = self
            .clients
            .keys()
            .filter(|id| id.0 == origin)
            .copied()
            .collect();
        for id in &ids {
            self.clients.remove(id);
            self.dirty.remove(id);
        }
        self.by_key.retain(|(o, _), _| *o != origin);
        ids.len()
    }

    /// Every originator with clients known here.
    pub fn origins(&self) -> BTreeSet<u32> {
        self.clients.keys().map(|id| id.0).collect()
    }

    /// The CMIs of registered clients learned from peers, with their originator.
    pub fn cmis(&self) -> impl Iterator<Item = (u32, Cmi)> + '_ {
        self.clients
            .iter()
            .filter(|(_, c)| registration(c).is_some())
            .map(|(id, _)| (id.0, id.2))
    }

    /// Apply every client touched since the last call to `server`.
    pub fn reconcile(&mut self, now: Instant, server: &mut MarsServer) -> Vec<(ClientId, Applied)> {
        let dirty = std::mem::take(&mut self.dirty);
        let mut out = Vec::new();
        for id in dirty {
            let Some(cl) = self.clients.get_mut(&id) else {
                continue;
            };
            cl.gone_since = if deregistered(cl) {
                cl.gone_since.or(Some(now))
            } else {
                None
            };
            let a = reconcile_one(id, cl, server);
            if cl.records.is_empty() && !cl.applied {
                self.clients.remove(&id);
            }
            if a != Applied::Nothing {
                out.push((id, a));
            }
        }
        out
    }

    /// The records of peers' clients that deregistered at least `hold` ago: they say only what
    /// no longer is and may leave the cache (every server drops them after the same hold, so
    /// the caches stay alike). The clients are forgotten here.
    pub fn collect(&mut self, now: Instant, hold: std::time::Duration) -> Vec<(u32, u32)> {
        let gone: Vec<ClientId> = self
            .clients
            .iter()
            .filter(|(_, c)| c.gone_since.is_some_and(|t| now - t >= hold))
            .map(|(id, _)| *id)
            .collect();
        let mut out = Vec::new();
        for id in gone {
            if let Some(c) = self.clients.remove(&id) {
                for k in c.records.keys() {
                    self.by_key.remove(&(id.0, *k));
                    out.push((id.0, *k));
                }
            }
        }
        out
    }

    /// Number of peers' clients known.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether no peer's client is known.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }
}

/// The record that registers the client, if it is registered: a registration in its
/// join/serve state (a deregistration record "purges all cache entries for this client").
fn registration(cl: &Client) -> Option<&MarsCsa> {
    let regs = || cl.records.values().filter(|c| c.flags.register);
    if regs().any(|c| matches!(c.state, CsaState::ClientLeave | CsaState::McsUnserve)) {
        return None;
    }
    regs().find(|c| matches!(c.state, CsaState::ClientJoin | CsaState::McsServe))
}

/// Whether the client's registration record says it deregistered.
fn deregistered(cl: &Client) -> bool {
    cl.records.values().any(|c| {
        c.flags.register && matches!(c.state, CsaState::ClientLeave | CsaState::McsUnserve)
    })
}

fn reconcile_one(id: ClientId, cl: &mut Client, server: &mut MarsServer) -> Applied {
    let (origin, _, cmi, mcs) = id;
    let pro = cl.pro;
    let Some(reg) = registration(cl).copied() else {
        if !cl.applied {
            return Applied::Nothing;
        }
        cl.applied = false;
        let _ = if mcs {
            server.remote_deregister_mcs(pro, cmi)
        } else {
            server.remote_deregister(pro, cmi)
        };
        return Applied::Removed;
    };
    let source: AtmAddress = reg.source;
    let registered = if mcs {
        server.remote_register_mcs(pro, cmi, source, origin)
    } else {
        server.remote_register(pro, cmi, source, origin)
    };
    if let Err(e) = registered {
        return Applied::Refused(e.to_string());
    }
    cl.applied = true;
    let active = cl.records.values().filter(|c| {
        !c.flags.register && matches!(c.state, CsaState::ClientJoin | CsaState::McsServe)
    });
    if mcs {
        let want: BTreeSet<ProtoAddr> = active.filter_map(|c| c.group.map(|g| g.min)).collect();
        let have: BTreeSet<ProtoAddr> = server
            .cluster(pro)
            .and_then(|c| c.db.mcs(cmi))
            .map(|m| m.groups.iter().copied().collect())
            .unwrap_or_default();
        for g in have.difference(&want) {
            let _ = server.remote_service(pro, cmi, *g, false);
        }
        for g in want.difference(&have) {
            let _ = server.remote_service(pro, cmi, *g, true);
        }
    } else {
        let mut single: std::collections::BTreeMap<ProtoAddr, bool> = Default::default();
        let mut blocks = RangeSet::new();
        for c in active {
            let Some(g) = c.group else { continue };
            if g.min == g.max {
                *single.entry(g.min).or_default() |= c.flags.layer3grp;
            } else {
                blocks.insert((g.min, g.max));
            }
        }
        let singles: Vec<(ProtoAddr, bool)> = single.into_iter().collect();
        let flags = Flags(0).with_sequence(reg.flags.sequence);
        let _ = server.remote_membership(pro, cmi, reg.spa, flags, &singles, blocks);
    }
    Applied::Registered
}
