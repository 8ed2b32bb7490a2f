//! Cluster members and MCSs joining and leaving the control VCs: registration and
//! deregistration (RFC 2022 §5.2.3, §6.1.2, §6.2.3), and leaves that drop off
//! ClusterControlVC or ServerControlVC.
//!
//! An endpoint counts as registered — its JOINs, LEAVEs, MSERVs and REQUESTs are accepted —
//! once its leaf is on the control VC, which is also when its registration is answered
//! (decision in `docs/mars-server.md`: the returned registration carries the CSN, and only a
//! leaf already on ClusterControlVC is sure to see every message numbered after it).

use mars_wire::mars::{Flags, GroupPair, Join, MarsBody};
use mars_wire::{AtmAddress, ProtoAddr};

use super::control_vc::{ControlVc, Leaf};
use super::{MarsServer, ServerEvent};
use crate::mars::db::{Cmi, Origin};
use crate::mars::update::UpdateKind;
use crate::vc::{Cause, PartyId, VcId, VcRequest};

/// Which control VC a party belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Which {
    /// ClusterControlVC: cluster members.
    Cluster,
    /// ServerControlVC: MCSs.
    Server,
}

impl MarsServer {
    /// The CMI of `addr` if it registered with this server and its registration completed.
    pub(super) fn local_member(&self, ci: usize, addr: &AtmAddress) -> Option<Cmi> {
        let c = &self.clusters[ci];
        let cmi = c.db.member_by_addr(addr)?;
        let local = c.db.member(cmi)?.origin == Origin::Local;
        (local && c.ccvc.leaf(cmi) == Some(Leaf::Added)).then_some(cmi)
    }

    /// The id of `addr` if it registered with this server as an MCS and its registration
    /// completed.
    pub(super) fn local_mcs(&self, ci: usize, addr: &AtmAddress) -> Option<Cmi> {
        let c = &self.clusters[ci];
        let id = c.db.mcs_by_addr(addr)?;
        let local = c.db.mcs(id)?.origin == Origin::Local;
        (local && c.scvc.leaf(id) == Some(Leaf::Added)).then_some(id)
    }

    /// A registration MARS_JOIN (§6.1.2: add the node to ClusterControlVC, allocate a CMI,
    /// return the MARS_JOIN privately with it) or MARS_MSERV (§6.2.3: ServerControlVC, and
    /// `mar$cmi` 0). The reply waits for the leaf (see the module docs).
    pub(super) fn register(&mut self, ci: usize, which: Which, vc: VcId, j: Join) {
        let mcs = which == Which::Server;
        let c = &mut self.clusters[ci];
        let known = if mcs {
            c.db.mcs_by_addr(&j.source)
                .map(|id| (id, c.db.mcs(id).map(|m| m.origin)))
        } else {
            c.db.member_by_addr(&j.source)
                .map(|id| (id, c.db.member(id).map(|m| m.origin)))
        };
        if let Some((id, origin)) = known {
            if origin == Some(Origin::Local) {
                // §6.1.2: "If the node is already a registered member of the cluster ... its
                // existing CMI is simply copied into the MARS_JOIN, and the MARS_JOIN
                // retransmitted back to the node."
                let leaf = self.control(ci, which).leaf(id);
                match leaf {
                    Some(Leaf::Added) => self.reply_registration(ci, id, vc, j, mcs),
                    _ => self.clusters[ci]
                        .pending
                        .entry(id)
                        .or_default()
                        .push((vc, j)),
                }
                return;
            }
            // Registered with a peer (e.g. one that failed, RFC 2443 §2): it now registers
            // here and is given an id from this server's range.
            if mcs {
                c.db.deregister_mcs(id);
            } else {
                c.db.deregister(id);
            }
        }
        let res = if mcs {
            c.db.register_mcs(j.source, Origin::Local)
        } else {
            c.db.register(j.source, Origin::Local)
        };
        let id = match res {
            Ok((id, _)) => id,
            Err(_) => return self.discard(vc, super::Discard::CmisExhausted),
        };
        let to = j.source;
        self.clusters[ci]
            .pending
            .entry(id)
            .or_default()
            .push((vc, j));
        self.add_leaf(ci, which, id, to);
    }

    /// Open the control VC if needed and add `to` as a leaf.
    fn add_leaf(&mut self, ci: usize, which: Which, id: Cmi, to: AtmAddress) {
        let vc = match self.control(ci, which).vc {
            Some(vc) => vc,
            None => {
                let vc = self.alloc_vc();
                self.control(ci, which).vc = Some(vc);
                self.request(VcRequest::OpenMultipoint { vc });
                vc
            }
        };
        if let Some(party) = self.control(ci, which).new_party(id) {
            self.request(VcRequest::AddParty { vc, party, to });
        }
    }

    pub(super) fn control(&mut self, ci: usize, which: Which) -> &mut ControlVc {
        match which {
            Which::Cluster => &mut self.clusters[ci].ccvc,
            Which::Server => &mut self.clusters[ci].scvc,
        }
    }

    /// Return a registration privately with its CMI (§6.1.2; an MCS gets `mar$cmi` 0,
    /// §6.2.3), `copy` set (§5.2.1) and `punched` reset (§5.2.2: a valid copy has it 0).
    fn reply_registration(&mut self, ci: usize, id: Cmi, vc: VcId, mut j: Join, mcs: bool) {
        j.flags = j.flags.with_copy(true).with_punched(false);
        j.cmi = if mcs { 0 } else { id };
        let body = if mcs {
            MarsBody::Mserv(j)
        } else {
            MarsBody::Join(j)
        };
        self.send_private(ci, vc, body, mcs);
    }

    pub(super) fn control_of(&self, vc: VcId) -> Option<(usize, Which)> {
        self.clusters.iter().enumerate().find_map(|(ci, c)| {
            if c.ccvc.is(vc) {
                Some((ci, Which::Cluster))
            } else if c.scvc.is(vc) {
                Some((ci, Which::Server))
            } else {
                None
            }
        })
    }

    pub(super) fn on_party_added(&mut self, vc: VcId, party: PartyId) {
        let Some((ci, which)) = self.control_of(vc) else {
            return;
        };
        let Some(id) = self.control(ci, which).added(party) else {
            return;
        };
        let mcs = which == Which::Server;
        let replies = self.clusters[ci].pending.remove(&id).unwrap_or_default();
        let first = replies.first().map(|(_, j)| j.clone());
        for (pvc, j) in replies {
            self.reply_registration(ci, id, pvc, j, mcs);
        }
        self.stats.registrations += 1;
        let pro = self.clusters[ci].pro;
        let addr = self.endpoint_addr(ci, id, mcs).unwrap_or_default();
        self.events.push_back(if mcs {
            ServerEvent::McsRegistered { pro, id, addr }
        } else {
            ServerEvent::Registered { pro, cmi: id, addr }
        });
        let kind = if mcs {
            UpdateKind::McsRegister
        } else {
            UpdateKind::Register
        };
        let j = first.unwrap_or_else(|| registration(addr));
        self.events.push_back(ServerEvent::Local(super::update_from(
            kind, pro, id, &j, None,
        )));
    }

    pub(super) fn on_party_dropped(&mut self, vc: VcId, party: PartyId, cause: Cause) {
        let Some((ci, which)) = self.control_of(vc) else {
            return;
        };
        let Some((id, leaf)) = self.control(ci, which).remove_party(party) else {
            return;
        };
        self.leaf_gone(ci, which == Which::Server, id, leaf, cause);
    }

    /// The leaf of `id` is gone from its control VC (dropped, refused, or the VC released).
    /// §6.1.2: a member's "ATM address MUST be removed from all groups for which it may have
    /// joined, and the CMI released"; likewise an MCS leaves every server map (§6.2.3).
    pub(super) fn leaf_gone(&mut self, ci: usize, mcs: bool, id: Cmi, leaf: Leaf, cause: Cause) {
        let completed = leaf == Leaf::Added;
        if mcs {
            self.remove_mcs(ci, id, completed, Some(cause));
        } else {
            self.remove_member(ci, id, completed, Some(cause));
        }
    }

    fn endpoint_addr(&self, ci: usize, id: Cmi, mcs: bool) -> Option<AtmAddress> {
        let db = &self.clusters[ci].db;
        if mcs {
            db.mcs(id).map(|m| m.addr)
        } else {
            db.member(id).map(|m| m.addr)
        }
    }

    /// A deregistration MARS_LEAVE (§6.1.2: removed from all groups, dropped from
    /// ClusterControlVC, CMI released; "it too is retransmitted privately") or MARS_UNSERV
    /// (§6.2.3). The reply is sent whether or not the endpoint was registered, so that a
    /// retransmission after the first was processed is acknowledged too.
    pub(super) fn deregister(&mut self, ci: usize, which: Which, vc: VcId, mut j: Join) {
        let mcs = which == Which::Server;
        let c = &self.clusters[ci];
        let found = if mcs {
            c.db.mcs_by_addr(&j.source)
                .filter(|&id| c.db.mcs(id).is_some_and(|m| m.origin == Origin::Local))
        } else {
            c.db.member_by_addr(&j.source)
                .filter(|&id| c.db.member(id).is_some_and(|m| m.origin == Origin::Local))
        };
        if let Some(id) = found {
            let completed = self.control(ci, which).leaf(id) == Some(Leaf::Added);
            if mcs {
                self.remove_mcs(ci, id, completed, None);
            } else {
                self.remove_member(ci, id, completed, None);
            }
        }
        j.flags = j.flags.with_copy(true).with_punched(false);
        if mcs {
            j.cmi = 0;
        }
        let body = if mcs {
            MarsBody::Unserv(j)
        } else {
            MarsBody::Leave(j)
        };
        self.send_private(ci, vc, body, mcs);
    }

    /// Drop the leaf of `id` from control VC `which`, if it has one.
    fn drop_leaf(&mut self, ci: usize, which: Which, id: Cmi) {
        let ctl = self.control(ci, which);
        if let (Some(party), Some(vc)) = (ctl.remove_cmi(id), ctl.vc) {
            self.request(VcRequest::DropParty {
                vc,
                party,
                cause: Cause::NORMAL,
            });
        }
    }

    /// Remove member `cmi` of cluster `ci` and all its memberships. `completed`: its
    /// registration had been answered; `cause`: it vanished rather than deregistered.
    ///
    /// Nothing is sent on ClusterControlVC (RFC 2022 §6.1.2 asks for none): senders learn
    /// from their own VCs, whose leaf for this member drops (§5.1.5.1).
    pub(super) fn remove_member(
        &mut self,
        ci: usize,
        cmi: Cmi,
        completed: bool,
        cause: Option<Cause>,
    ) {
        self.clusters[ci].pending.remove(&cmi);
        self.drop_leaf(ci, Which::Cluster, cmi);
        let Some((m, _)) = self.clusters[ci].db.deregister(cmi) else {
            return;
        };
        let pro = self.clusters[ci].pro;
        if !completed {
            return self.registration_failed(ci, cmi, m.addr, false, cause);
        }
        self.stats.deregistrations += 1;
        if cause.is_some() {
            self.stats.unexpected_removals += 1;
        }
        self.events.push_back(ServerEvent::Deregistered {
            pro,
            cmi,
            addr: m.addr,
            cause,
        });
        if m.origin == Origin::Local {
            let mut u = super::update_from(
                UpdateKind::Deregister,
                pro,
                cmi,
                &registration(m.addr),
                None,
            );
            u.proxy = cause.is_some();
            self.events.push_back(ServerEvent::Local(u));
        }
    }

    fn registration_failed(
        &mut self,
        ci: usize,
        cmi: Cmi,
        addr: AtmAddress,
        mcs: bool,
        cause: Option<Cause>,
    ) {
        self.stats.registration_failures += 1;
        let pro = self.clusters[ci].pro;
        self.events.push_back(ServerEvent::RegistrationFailed {
            pro,
            cmi,
            addr,
            mcs,
            cause,
        });
    }

    /// Remove MCS `id`: it leaves every server map (§6.2.3). Decision (RFC 2022 is silent):
    /// each group it served is announced exactly as if it had sent MARS_UNSERV for it — the
    /// UNSERV on ServerControlVC, a MARS_LEAVE on ClusterControlVC — so that senders drop it
    /// at once rather than when their VCs to it fail.
    pub(super) fn remove_mcs(&mut self, ci: usize, id: Cmi, completed: bool, cause: Option<Cause>) {
        self.clusters[ci].pending.remove(&id);
        self.drop_leaf(ci, Which::Server, id);
        let Some(m) = self.clusters[ci].db.deregister_mcs(id) else {
            return;
        };
        if !completed {
            return self.registration_failed(ci, id, m.addr, true, cause);
        }
        self.stats.deregistrations += 1;
        if cause.is_some() {
            self.stats.unexpected_removals += 1;
        }
        for g in &m.groups {
            let mut j = registration(m.addr);
            j.flags = Flags(0);
            j.pairs = vec![GroupPair::single(*g)];
            j.tpln = g.len() as u8;
            self.propagate_service(ci, &j, true, *g);
        }
        let pro = self.clusters[ci].pro;
        self.events.push_back(ServerEvent::McsDeregistered {
            pro,
            id,
            addr: m.addr,
            groups: m.groups.clone(),
            cause,
        });
        if m.origin == Origin::Local {
            let mut u = super::update_from(
                UpdateKind::McsDeregister,
                pro,
                id,
                &registration(m.addr),
                None,
            );
            u.proxy = cause.is_some();
            self.events.push_back(ServerEvent::Local(u));
        }
    }
}

/// A registration-shaped message from `addr` (no groups, null protocol address).
fn registration(addr: AtmAddress) -> Join {
    Join::new(
        addr,
        ProtoAddr::NULL,
        Flags(0).with_register(true),
        Vec::new(),
    )
}
