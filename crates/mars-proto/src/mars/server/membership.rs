//! Registration, JOIN/LEAVE with hole punching, and MSERV/UNSERV (RFC 2022 §5.2.3, §6.1.2,
//! §6.2.2–§6.2.4, Appendix A, Appendix F).

use mars_wire::mars::{Flags, GroupPair, Join, MarsBody, MarsMessage, MarsOp, Migrate};
use mars_wire::{AtmAddress, ProtoAddr, Protocol};

use super::control_vc::Leaf;
use super::{Discard, MarsServer, ServerEvent};
use crate::mars::db::{Cmi, Origin};
use crate::mars::range::{Range, RangeSet};
use crate::mars::update::{Update, UpdateKind};
use crate::vc::{Cause, PartyId, VcId, VcRequest};

/// Which control VC a party belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Cluster,
    Server,
}

impl MarsServer {
    // ----- JOIN / LEAVE -----------------------------------------------------------------

    pub(super) fn on_join_leave(&mut self, ci: usize, vc: VcId, msg: MarsMessage) {
        let leave = matches!(msg.body, MarsBody::Leave(_));
        let Some(j) = msg.body.as_join().cloned() else {
            return;
        };
        if leave {
            self.stats.mars_stat_rx_leave_msgs += 1;
        } else {
            self.stats.mars_stat_rx_join_msgs += 1;
        }
        // §6.1.2: "MARS_JOIN or MARS_LEAVE messages MUST arrive at the MARS with
        // mar$flags.copy set to 0, otherwise the message is silently ignored."
        if j.flags.copy() {
            return self.discard(vc, Discard::CopySet);
        }
        if j.flags.register() {
            return if leave {
                self.deregister_member(ci, vc, msg, &j)
            } else {
                self.register_member(ci, vc, msg, &j)
            };
        }
        // §6.1.2: "Non-registration MARS_JOIN and MARS_LEAVE messages are ignored if they
        // arrive from a node that is not registered as a cluster member."
        let Some(cmi) = self.local_member(ci, &j.source) else {
            return self.discard(vc, Discard::NotRegistered);
        };
        // §6.1.2: "If a MARS_JOIN/LEAVE is received that contains more than one <min,max>
        // pair, the MARS MUST silently drop the message." A pair with min > max, or of a
        // length the protocol does not use, is dropped the same way.
        let Some(r) = self.one_pair(ci, &j) else {
            return self.discard(vc, Discard::BadPairs);
        };
        if !leave && r.0 != r.1 {
            self.stats.mars_stat_rx_blk_join_msgs += 1;
        }
        let db = &mut self.clusters[ci].db;
        let changed = if leave {
            db.leave(cmi, r)
        } else {
            db.join(cmi, r, j.flags.layer3grp())
        };
        self.propagate_membership(ci, Some(vc), &msg, leave, r, &changed);
        if !changed.is_empty() {
            let pro = self.clusters[ci].pro;
            self.events.push_back(ServerEvent::Membership {
                pro,
                cmi,
                joined: !leave,
                changed: changed.ranges().to_vec(),
            });
            let kind = if leave {
                UpdateKind::Leave
            } else {
                UpdateKind::Join
            };
            self.events
                .push_back(ServerEvent::Local(update_from(kind, pro, cmi, &j, Some(r))));
        }
    }

    /// The only `<min,max>` pair of `j`, if it is well formed for cluster `ci`.
    fn one_pair(&self, ci: usize, j: &Join) -> Option<Range> {
        let [p] = j.pairs.as_slice() else {
            return None;
        };
        valid_range(self.clusters[ci].pro, p).then_some((p.min, p.max))
    }

    /// The CMI of `addr` if it registered with this server.
    fn local_member(&self, ci: usize, addr: &AtmAddress) -> Option<Cmi> {
        let db = &self.clusters[ci].db;
        let cmi = db.member_by_addr(addr)?;
        (db.member(cmi)?.origin == Origin::Local).then_some(cmi)
    }

    /// The id of `addr` if it registered with this server as an MCS.
    fn local_mcs(&self, ci: usize, addr: &AtmAddress) -> Option<Cmi> {
        let db = &self.clusters[ci].db;
        let id = db.mcs_by_addr(addr)?;
        (db.mcs(id)?.origin == Origin::Local).then_some(id)
    }

    /// Send the consequences of a JOIN/LEAVE of `r` that changed `changed` (§6.1.2 and, when
    /// MCSs serve groups in `r`, §6.2.4). `base` is the message as received (or rebuilt from
    /// a peer's CSA); `private` is the VC to answer on, if the sender is our client.
    ///
    /// The hole-punched set is `changed` (the addresses whose membership actually changed:
    /// for a JOIN the range minus what the node was already a member of, for a LEAVE what it
    /// is no longer a member of), minus the MCS-served groups for ClusterControlVC.
    pub(super) fn propagate_membership(
        &mut self,
        ci: usize,
        private: Option<VcId>,
        base: &MarsMessage,
        leave: bool,
        r: Range,
        changed: &RangeSet,
    ) {
        let Some(j) = base.body.as_join() else {
            return;
        };
        let mut flags = j.flags.with_copy(true).with_punched(false);
        if r.0 != r.1 {
            // §6.1.2: layer3grp "MUST be treated as reset" for a block.
            flags = flags.with_layer3grp(false);
        }
        let op = if leave { MarsOp::Leave } else { MarsOp::Join };
        let original = rebuild(base, op, flags, j, None);
        if changed.is_empty() {
            // A duplicate (or a leave of nothing): answer privately, propagate nothing.
            if let Some(vc) = private {
                self.send_private(ci, vc, original, false);
            }
            return;
        }
        let whole = RangeSet::from_range(r);
        let served = self.clusters[ci].db.served_in(&r);
        if self.locally_served(ci, &served) {
            // §6.2.4: a MARS_SJOIN/SLEAVE copy, hole-punched by the node's existing
            // membership, goes to the MCSs.
            let sop = if leave { MarsOp::Sleave } else { MarsOp::Sjoin };
            let sflags = flags.with_punched(*changed != whole);
            let copy = rebuild(base, sop, sflags, j, Some(changed));
            self.send_scvc(ci, copy);
        }
        let mut cc = changed.clone();
        cc.subtract(&served);
        if cc == whole {
            // No hole punched: the original goes out on ClusterControlVC, which also
            // confirms it to its sender (§5.2.2).
            self.send_ccvc(ci, original);
        } else {
            if let Some(vc) = private {
                self.send_private(ci, vc, original, false);
            }
            if !cc.is_empty() {
                let copy = rebuild(base, op, flags.with_punched(true), j, Some(&cc));
                self.send_ccvc(ci, copy);
            }
        }
    }

    /// Whether one of `served` has a server map with an MCS registered here (RFC 2443 §5.3:
    /// only those servers propagate MARS_SJOIN/SLEAVE on their ServerControlVC).
    fn locally_served(&self, ci: usize, served: &RangeSet) -> bool {
        let db = &self.clusters[ci].db;
        served.ranges().iter().any(|(g, _)| {
            db.mcss()
                .any(|(_, m)| m.origin == Origin::Local && m.groups.binary_search(g).is_ok())
        })
    }

    // ----- registration -----------------------------------------------------------------

    fn register_member(&mut self, ci: usize, vc: VcId, msg: MarsMessage, j: &Join) {
        let c = &mut self.clusters[ci];
        if let Some(cmi) = c.db.member_by_addr(&j.source) {
            let local = c.db.member(cmi).is_some_and(|m| m.origin == Origin::Local);
            if local {
                // §6.1.2: "If the node is already a registered member ... its existing CMI is
                // simply copied into the MARS_JOIN, and the MARS_JOIN retransmitted back."
                match c.ccvc.leaf(cmi) {
                    Some(Leaf::Added) => self.reply_registration(ci, cmi, vc, msg, false),
                    _ => c.pending.entry(cmi).or_default().push((vc, msg)),
                }
                return;
            }
            // The address was registered with a peer (e.g. a server that has failed, RFC
            // 2443 §2): it now registers here and gets a CMI from our range.
            c.db.deregister(cmi);
        }
        let cmi = match c.db.register(j.source, Origin::Local) {
            Ok((cmi, _)) => cmi,
            Err(_) => return self.discard(vc, Discard::CmisExhausted),
        };
        self.clusters[ci]
            .pending
            .entry(cmi)
            .or_default()
            .push((vc, msg));
        self.add_leaf(ci, Which::Cluster, cmi, j.source);
    }

    fn register_mcs(&mut self, ci: usize, vc: VcId, msg: MarsMessage, j: &Join) {
        let c = &mut self.clusters[ci];
        if let Some(id) = c.db.mcs_by_addr(&j.source) {
            let local = c.db.mcs(id).is_some_and(|m| m.origin == Origin::Local);
            if local {
                match c.scvc.leaf(id) {
                    Some(Leaf::Added) => self.reply_registration(ci, id, vc, msg, true),
                    _ => c.pending.entry(id).or_default().push((vc, msg)),
                }
                return;
            }
            c.db.deregister_mcs(id);
        }
        let id = match c.db.register_mcs(j.source, Origin::Local) {
            Ok((id, _)) => id,
            Err(_) => return self.discard(vc, Discard::CmisExhausted),
        };
        self.clusters[ci]
            .pending
            .entry(id)
            .or_default()
            .push((vc, msg));
        self.add_leaf(ci, Which::Server, id, j.source);
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

    fn control(&mut self, ci: usize, which: Which) -> &mut super::ControlVc {
        match which {
            Which::Cluster => &mut self.clusters[ci].ccvc,
            Which::Server => &mut self.clusters[ci].scvc,
        }
    }

    /// Return a registration privately with its CMI (§6.1.2; an MCS gets `mar$cmi` 0,
    /// §6.2.3).
    fn reply_registration(&mut self, ci: usize, id: Cmi, vc: VcId, msg: MarsMessage, mcs: bool) {
        let mut reply = msg;
        if let Some(j) = join_mut(&mut reply.body) {
            j.flags = j.flags.with_copy(true);
            j.cmi = if mcs { 0 } else { id };
        }
        self.send_private(ci, vc, reply, mcs);
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
        let first = replies.first().and_then(|(_, m)| m.body.as_join().cloned());
        for (pvc, msg) in replies {
            self.reply_registration(ci, id, pvc, msg, mcs);
        }
        self.stats.registrations += 1;
        let pro = self.clusters[ci].pro;
        let addr = self.endpoint_addr(ci, id, mcs).unwrap_or_default();
        if !mcs {
            self.events
                .push_back(ServerEvent::Registered { pro, cmi: id, addr });
        }
        let kind = if mcs {
            UpdateKind::McsRegister
        } else {
            UpdateKind::Register
        };
        let j = first.unwrap_or_else(|| Join::new(addr, ProtoAddr::NULL, Flags(0), Vec::new()));
        self.events
            .push_back(ServerEvent::Local(update_from(kind, pro, id, &j, None)));
    }

    pub(super) fn on_party_dropped(&mut self, vc: VcId, party: PartyId, cause: Cause) {
        let Some((ci, which)) = self.control_of(vc) else {
            return;
        };
        let Some(id) = self.control(ci, which).remove_party(party) else {
            return;
        };
        // §6.1.2: a member that drops off ClusterControlVC is removed from all groups and its
        // CMI released; likewise an MCS from ServerControlVC.
        match which {
            Which::Cluster => self.remove_member(ci, id, Some(cause)),
            Which::Server => self.remove_mcs(ci, id, Some(cause)),
        }
    }

    fn control_of(&self, vc: VcId) -> Option<(usize, Which)> {
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

    fn endpoint_addr(&self, ci: usize, id: Cmi, mcs: bool) -> Option<AtmAddress> {
        let db = &self.clusters[ci].db;
        if mcs {
            db.mcs(id).map(|m| m.addr)
        } else {
            db.member(id).map(|m| m.addr)
        }
    }

    fn deregister_member(&mut self, ci: usize, vc: VcId, msg: MarsMessage, j: &Join) {
        if let Some(cmi) = self.local_member(ci, &j.source) {
            self.remove_member(ci, cmi, None);
        }
        // §6.1.2: a deregistration is retransmitted privately — also when it repeats one
        // already processed, so that the member stops retransmitting.
        let mut reply = msg;
        if let Some(j) = join_mut(&mut reply.body) {
            j.flags = j.flags.with_copy(true);
        }
        self.send_private(ci, vc, reply, false);
    }

    fn deregister_mcs(&mut self, ci: usize, vc: VcId, msg: MarsMessage, j: &Join) {
        if let Some(id) = self.local_mcs(ci, &j.source) {
            self.remove_mcs(ci, id, None);
        }
        let mut reply = msg;
        if let Some(j) = join_mut(&mut reply.body) {
            j.flags = j.flags.with_copy(true);
            j.cmi = 0;
        }
        self.send_private(ci, vc, reply, true);
    }

    /// Remove member `cmi` of cluster `ci` and all its memberships. `cause` is set when it
    /// vanished (its leaf dropped) rather than deregistered.
    pub(super) fn remove_member(&mut self, ci: usize, cmi: Cmi, cause: Option<Cause>) {
        let c = &mut self.clusters[ci];
        c.pending.remove(&cmi);
        if let Some(party) = c.ccvc.remove_cmi(cmi) {
            if let Some(vc) = c.ccvc.vc {
                self.request(VcRequest::DropParty {
                    vc,
                    party,
                    cause: Cause::NORMAL,
                });
            }
        }
        let Some((m, _)) = self.clusters[ci].db.deregister(cmi) else {
            return;
        };
        self.stats.deregistrations += 1;
        if cause.is_some() {
            self.stats.unexpected_removals += 1;
        }
        let pro = self.clusters[ci].pro;
        self.events.push_back(ServerEvent::Deregistered {
            pro,
            cmi,
            addr: m.addr,
            cause,
        });
        if m.origin == Origin::Local {
            let j = Join::new(
                m.addr,
                ProtoAddr::NULL,
                Flags(0).with_register(true),
                Vec::new(),
            );
            let mut u = update_from(UpdateKind::Deregister, pro, cmi, &j, None);
            u.proxy = cause.is_some();
            self.events.push_back(ServerEvent::Local(u));
        }
    }

    /// Remove MCS `id`: it leaves every server map. Decision (not specified by RFC 2022): each
    /// group it served is announced on ClusterControlVC with a MARS_LEAVE copy, exactly as if
    /// it had sent MARS_UNSERV for it, so that senders drop it at once rather than when its
    /// VCs fail (RFC 2443 §5.5 does the same for an unserve).
    pub(super) fn remove_mcs(&mut self, ci: usize, id: Cmi, cause: Option<Cause>) {
        let c = &mut self.clusters[ci];
        c.pending.remove(&id);
        if let Some(party) = c.scvc.remove_cmi(id) {
            if let Some(vc) = c.scvc.vc {
                self.request(VcRequest::DropParty {
                    vc,
                    party,
                    cause: Cause::NORMAL,
                });
            }
        }
        let Some(m) = self.clusters[ci].db.deregister_mcs(id) else {
            return;
        };
        self.stats.deregistrations += 1;
        let pro = self.clusters[ci].pro;
        for g in &m.groups {
            let leave = Join::new(
                m.addr,
                ProtoAddr::NULL,
                Flags(0).with_copy(true),
                vec![GroupPair::single(*g)],
            );
            self.send_ccvc(ci, MarsMessage::new(pro, MarsBody::Leave(leave)));
        }
        if m.origin == Origin::Local {
            let j = Join::new(
                m.addr,
                ProtoAddr::NULL,
                Flags(0).with_register(true),
                Vec::new(),
            );
            let mut u = update_from(UpdateKind::McsDeregister, pro, id, &j, None);
            u.proxy = cause.is_some();
            self.events.push_back(ServerEvent::Local(u));
        }
    }

    // ----- MSERV / UNSERV ---------------------------------------------------------------

    pub(super) fn on_mserv_unserv(&mut self, ci: usize, vc: VcId, msg: MarsMessage) {
        let unserv = matches!(msg.body, MarsBody::Unserv(_));
        let Some(j) = msg.body.as_join().cloned() else {
            return;
        };
        if unserv {
            self.stats.mars_stat_rx_unserv_msgs += 1;
        } else {
            self.stats.mars_stat_rx_mserv_msgs += 1;
        }
        if j.flags.copy() {
            return self.discard(vc, Discard::CopySet);
        }
        if j.flags.register() {
            return if unserv {
                self.deregister_mcs(ci, vc, msg, &j)
            } else {
                self.register_mcs(ci, vc, msg, &j)
            };
        }
        // §6.2.2: "the message MUST be dropped and ignored if the source has not already
        // registered with the MARS as a multicast server".
        let Some(id) = self.local_mcs(ci, &j.source) else {
            return self.discard(vc, Discard::NotRegistered);
        };
        // An MCS names one group per message: "<min,max> pair of <X,X>" (§6.2.2).
        let Some(r) = self.one_pair(ci, &j).filter(|r| r.0 == r.1) else {
            return self.discard(vc, Discard::BadPairs);
        };
        let done = if unserv {
            self.clusters[ci].db.unserve(id, &r.0)
        } else {
            self.clusters[ci].db.serve(id, r.0).0
        };
        if !done {
            // A redundant MSERV/UNSERV is returned directly to the MCS (§6.2.2).
            let flags = j.flags.with_copy(true).with_layer3grp(false);
            let reply = rebuild(&msg, msg.op(), flags, &j, None);
            return self.send_private(ci, vc, reply, true);
        }
        let kind = if unserv {
            UpdateKind::Unserve
        } else {
            UpdateKind::Serve
        };
        self.propagate_service(ci, &msg, unserv, r.0);
        let pro = self.clusters[ci].pro;
        self.events
            .push_back(ServerEvent::Local(update_from(kind, pro, id, &j, Some(r))));
    }

    /// After a server map changed for `g`: the MSERV/UNSERV on ServerControlVC, and on
    /// ClusterControlVC a MARS_MIGRATE (first MCS, members exist), a MARS_JOIN (another MCS),
    /// or a MARS_LEAVE (an MCS stops) (§6.2.2). `first` is judged after the change.
    pub(super) fn propagate_service(
        &mut self,
        ci: usize,
        base: &MarsMessage,
        unserv: bool,
        g: ProtoAddr,
    ) {
        let Some(j) = base.body.as_join() else {
            return;
        };
        let flags = j
            .flags
            .with_copy(true)
            .with_layer3grp(false)
            .with_register(false);
        let sop = if unserv {
            MarsOp::Unserv
        } else {
            MarsOp::Mserv
        };
        let s = rebuild(base, sop, flags, j, None);
        self.send_scvc(ci, s);
        let pro = self.clusters[ci].pro;
        let db = &self.clusters[ci].db;
        let servers = db.server_map(&g);
        if unserv {
            let leave = rebuild(base, MarsOp::Leave, flags, j, None);
            self.send_ccvc(ci, leave);
        } else if servers.len() == 1 {
            if !db.host_map(&g).is_empty() {
                // §6.2.2: "the MARS issues a MARS_MIGRATE ... The MARS's own identity is
                // placed in the source protocol and hardware address fields ... The ATM
                // address of the MCS is placed as the first and only target".
                let m = Migrate::new(
                    self.cfg.address,
                    self.cfg.protocol_address,
                    g,
                    vec![j.source],
                    mars_wire::Csn(0),
                );
                self.send_ccvc(ci, MarsMessage::new(pro, MarsBody::Migrate(m)));
                self.events
                    .push_back(ServerEvent::Migrated { pro, group: g });
            }
        } else {
            let join = rebuild(base, MarsOp::Join, flags, j, None);
            self.send_ccvc(ci, join);
        }
    }
}

/// `base` with operation `op`, `flags`, and (if given) the pairs of `pairs`.
fn rebuild(
    base: &MarsMessage,
    op: MarsOp,
    flags: Flags,
    j: &Join,
    pairs: Option<&RangeSet>,
) -> MarsMessage {
    let mut nj = j.clone();
    nj.flags = flags;
    if let Some(p) = pairs {
        nj.pairs = p
            .ranges()
            .iter()
            .map(|&(min, max)| GroupPair { min, max })
            .collect();
    }
    let body = MarsBody::join_layout(op, nj).unwrap_or_else(|| base.body.clone());
    MarsMessage {
        body,
        tlvs: None,
        ..base.clone()
    }
}

fn join_mut(body: &mut MarsBody) -> Option<&mut Join> {
    match body {
        MarsBody::Mserv(b)
        | MarsBody::Join(b)
        | MarsBody::Leave(b)
        | MarsBody::Unserv(b)
        | MarsBody::Sjoin(b)
        | MarsBody::Sleave(b)
        | MarsBody::GroupListRequest(b) => Some(b),
        _ => None,
    }
}

/// Whether `p` is a usable `<min,max>` pair for `pro`: min ≤ max (§5.2.1), non-null, and 4
/// octets for IPv4.
pub(super) fn valid_range(pro: Protocol, p: &GroupPair) -> bool {
    let len_ok = match pro.key().0 {
        mars_wire::pro::PRO_IPV4 => p.min.len() == 4,
        mars_wire::pro::PRO_IPV6 => p.min.len() == 16,
        _ => !p.min.is_null(),
    };
    len_ok && p.min.len() == p.max.len() && p.min <= p.max
}

/// An [`Update`] from a client's message.
fn update_from(
    kind: UpdateKind,
    pro: Protocol,
    cmi: Cmi,
    j: &Join,
    range: Option<Range>,
) -> Update {
    Update {
        kind,
        pro,
        cmi,
        source: j.source,
        spa: j.spa,
        flags: j.flags,
        range,
        proxy: false,
    }
}
