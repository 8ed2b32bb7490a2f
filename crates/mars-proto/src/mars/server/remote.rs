//! Changes learned from peer servers of the server group (RFC 2443 §5): the distributed layer
//! applies them here, and the server "performs the redistribution and hole punching" before
//! propagating them on its own ClusterControlVC and ServerControlVC (§5.3, §5.4). Nothing is
//! answered privately: the client is not ours.

use mars_wire::mars::{Flags, GroupPair, Join};
use mars_wire::{AtmAddress, ProtoAddr, Protocol};

use super::{MarsServer, ServerEvent};
use crate::mars::db::{Cmi, DbError, Origin};
use crate::mars::range::RangeSet;

/// Why a learned change could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// This server does not serve the protocol.
    #[error("protocol {0} is not served here")]
    UnsupportedProtocol(Protocol),
    /// The CMI is held by another endpoint here (RFC 2443 §2: CMI ranges must be disjoint).
    #[error("CMI {0} is already held by another endpoint")]
    CmiConflict(Cmi),
    /// No such client is known.
    #[error("no client with CMI {0}")]
    Unknown(Cmi),
}

impl MarsServer {
    fn remote_cluster(&self, pro: Protocol) -> Result<usize, RemoteError> {
        self.cluster_index(&pro)
            .ok_or(RemoteError::UnsupportedProtocol(pro))
    }

    /// A cluster member registered at peer `peer` with `cmi` (RFC 2443 §5.3, register set).
    /// An older entry for the same address — the client moved, e.g. after its server failed
    /// — is replaced, so that no MARS_MULTI lists one address twice.
    pub fn remote_register(
        &mut self,
        pro: Protocol,
        cmi: Cmi,
        source: AtmAddress,
        peer: u32,
    ) -> Result<bool, RemoteError> {
        let ci = self.remote_cluster(pro)?;
        let db = &self.clusters[ci].db;
        if let Some(old) = db.member_by_addr(&source).filter(|&c| c != cmi) {
            match db.member(old).map(|m| m.origin) {
                Some(Origin::Local) => self.remove_member(ci, old, true, None),
                _ => {
                    self.clusters[ci].db.deregister(old);
                }
            }
        }
        match self.clusters[ci]
            .db
            .register_as(cmi, source, Origin::Peer(peer))
        {
            Ok(new) => Ok(new),
            Err(DbError::CmiInUse(c)) => {
                self.events.push_back(ServerEvent::Conflict {
                    reason: format!(
                        "CMI {c} learned from peer {peer:#010x} is held here by another endpoint"
                    ),
                });
                Err(RemoteError::CmiConflict(c))
            }
            Err(DbError::CmisExhausted(..)) => Err(RemoteError::CmiConflict(cmi)),
        }
    }

    /// A peer's cluster member deregistered or was removed: every entry of it goes (RFC 2443
    /// §5.4: "all of the servers in the SG receiving this update MUST purge all cache entries
    /// for this client"). As for a local deregistration, nothing is sent on
    /// ClusterControlVC (RFC 2022 §6.1.2).
    pub fn remote_deregister(&mut self, pro: Protocol, cmi: Cmi) -> Result<bool, RemoteError> {
        let ci = self.remote_cluster(pro)?;
        let db = &mut self.clusters[ci].db;
        if db.member(cmi).is_some_and(|m| m.origin != Origin::Local) {
            return Ok(db.deregister(cmi).is_some());
        }
        Ok(false)
    }

    /// The membership a peer advertises for its member `cmi`: its single joins (with their
    /// `layer3grp` flags) and its blocks. The difference from what this server held is
    /// propagated as MARS_JOIN/MARS_LEAVE with hole punching (RFC 2443 §5.3, §5.4; RFC 2022
    /// §6.1.2, §6.2.4). `spa` and `flags` (the sequence bits) dress the messages.
    pub fn remote_membership(
        &mut self,
        pro: Protocol,
        cmi: Cmi,
        spa: ProtoAddr,
        flags: Flags,
        singles: &[(ProtoAddr, bool)],
        blocks: RangeSet,
    ) -> Result<(), RemoteError> {
        let ci = self.remote_cluster(pro)?;
        let Some(source) = self.clusters[ci].db.member(cmi).map(|m| m.addr) else {
            return Err(RemoteError::Unknown(cmi));
        };
        let (added, removed) = self.clusters[ci].db.set_membership(cmi, singles, blocks);
        for (leave, set) in [(true, removed), (false, added)] {
            for &r in set.ranges() {
                let single = r.0 == r.1;
                let l3 = single && singles.iter().any(|&(g, l3)| g == r.0 && l3);
                let f = flags
                    .with_register(false)
                    .with_copy(false)
                    .with_layer3grp(l3);
                let j = Join::new(source, spa, f, vec![GroupPair { min: r.0, max: r.1 }]);
                self.propagate_membership(ci, None, leave, &j, r, &RangeSet::from_range(r));
            }
            if !set.is_empty() {
                self.events.push_back(ServerEvent::Membership {
                    pro,
                    cmi,
                    joined: !leave,
                    changed: set.ranges().to_vec(),
                });
            }
        }
        Ok(())
    }

    /// An MCS registered at peer `peer` under `id` (RFC 2443 §5.2, register set).
    pub fn remote_register_mcs(
        &mut self,
        pro: Protocol,
        id: Cmi,
        source: AtmAddress,
        peer: u32,
    ) -> Result<bool, RemoteError> {
        let ci = self.remote_cluster(pro)?;
        let db = &self.clusters[ci].db;
        if let Some(old) = db.mcs_by_addr(&source).filter(|&c| c != id) {
            if db.mcs(old).is_some_and(|m| m.origin != Origin::Local) {
                self.remove_mcs(ci, old, true, None);
            }
        }
        self.clusters[ci]
            .db
            .register_mcs_as(id, source, Origin::Peer(peer))
            .map_err(|_| RemoteError::CmiConflict(id))
    }

    /// A peer's MCS deregistered or vanished: it leaves every server map, and each group it
    /// served is announced with MARS_LEAVE on ClusterControlVC (RFC 2443 §5.5: "each MARS
    /// Server in the SG MUST send out a MARS_LEAVE message on it's CCVC").
    pub fn remote_deregister_mcs(&mut self, pro: Protocol, id: Cmi) -> Result<bool, RemoteError> {
        let ci = self.remote_cluster(pro)?;
        if self.clusters[ci]
            .db
            .mcs(id)
            .is_some_and(|m| m.origin != Origin::Local)
        {
            self.remove_mcs(ci, id, true, None);
            return Ok(true);
        }
        Ok(false)
    }

    /// A peer's MCS serves (or stops serving) group `g` (RFC 2443 §5.2, §5.5): the server map
    /// changes, and ClusterControlVC gets the MARS_MIGRATE, MARS_JOIN or MARS_LEAVE of RFC
    /// 2022 §6.2.2.
    pub fn remote_service(
        &mut self,
        pro: Protocol,
        id: Cmi,
        g: ProtoAddr,
        serve: bool,
    ) -> Result<bool, RemoteError> {
        let ci = self.remote_cluster(pro)?;
        let Some(addr) = self.clusters[ci].db.mcs(id).map(|m| m.addr) else {
            return Err(RemoteError::Unknown(id));
        };
        let changed = if serve {
            self.clusters[ci].db.serve(id, g).0
        } else {
            self.clusters[ci].db.unserve(id, &g)
        };
        if changed {
            let mut j = Join::new(addr, ProtoAddr::NULL, Flags(0), vec![GroupPair::single(g)]);
            j.tpln = g.len() as u8;
            self.propagate_service(ci, &j, !serve, g);
        }
        Ok(changed)
    }

    /// Forget every member and MCS learned from peer `peer` without announcing anything: the
    /// flush of RFC 2443 §2 ("all membership information learned from this server to be
    /// flushed"). Its clients are failing over and will re-join through another server; a
    /// MARS_LEAVE now would only make senders drop leaves that are about to come back.
    /// Returns how many endpoints were forgotten.
    pub fn flush_peer(&mut self, peer: u32) -> usize {
        let mut n = 0;
        for c in &mut self.clusters {
            let members: Vec<Cmi> =
                c.db.members()
                    .filter(|(_, m)| m.origin == Origin::Peer(peer))
                    .map(|(cmi, _)| cmi)
                    .collect();
            let mcss: Vec<Cmi> =
                c.db.mcss()
                    .filter(|(_, m)| m.origin == Origin::Peer(peer))
                    .map(|(id, _)| id)
                    .collect();
            n += members.len() + mcss.len();
            for cmi in members {
                c.db.deregister(cmi);
            }
            for id in mcss {
                c.db.deregister_mcs(id);
            }
        }
        n
    }
}
