//! MCS support: MARS_MSERV and MARS_UNSERV for a group, and what they make the MARS send on
//! ServerControlVC and ClusterControlVC — the MSERV/UNSERV copy, MARS_MIGRATE, or the
//! MARS_JOIN/LEAVE that fools cluster members (RFC 2022 §6.2.2, §5.1.6, Appendix F).

use mars_wire::mars::{Join, MarsBody, MarsOp, Migrate};
use mars_wire::{Csn, ProtoAddr};

use super::membership::{body, update_from, with_pairs};
use super::registration::Which;
use super::{Discard, MarsServer, ServerEvent};
use crate::mars::update::UpdateKind;
use crate::vc::VcId;

impl MarsServer {
    pub(super) fn on_mserv_unserv(&mut self, ci: usize, vc: VcId, unserv: bool, j: Join) {
        if unserv {
            self.stats.mars_stat_rx_unserv_msgs += 1;
        } else {
            self.stats.mars_stat_rx_mserv_msgs += 1;
        }
        // Decision: the §6.1.2 rule for MARS_JOIN/LEAVE ("MUST arrive at the MARS with
        // mar$flags.copy set to 0, otherwise the message is silently ignored") is applied to
        // the messages "identical to the MARS_JOIN message" (§6.2.2) too.
        if j.flags.copy() {
            return self.discard(vc, Discard::CopySet);
        }
        if j.pairs.len() > 1 {
            return self.discard(vc, Discard::BadPairs);
        }
        if j.flags.register() {
            return if unserv {
                self.deregister(ci, Which::Server, vc, j)
            } else {
                self.register(ci, Which::Server, vc, j)
            };
        }
        // §6.2.2: "the message MUST be dropped and ignored if the source has not already
        // registered with the MARS as a multicast server".
        let Some(id) = self.local_mcs(ci, &j.source) else {
            return self.discard(vc, Discard::NotRegistered);
        };
        // §6.2.2: "An MCS uses a MARS_MSERV with a <min,max> pair of <X,X> to specify the
        // multicast group X"; a block names no group and is dropped.
        let Some(r) = self.one_pair(ci, &j).filter(|r| r.0 == r.1) else {
            return self.discard(vc, Discard::BadPairs);
        };
        let g = r.0;
        let done = if unserv {
            self.clusters[ci].db.unserve(id, &g)
        } else {
            self.clusters[ci].db.serve(id, g).0
        };
        if !done {
            // §6.2.2: "The MARS retransmits redundant MARS_MSERV and MARS_UNSERV messages
            // directly back to the MCS generating them. MARS_MIGRATE messages are never
            // repeated in response to redundant MARS_MSERVs." Appendix F: layer3grp 0, copy 1.
            self.stats.redundant_mserv_unserv += 1;
            let flags = j
                .flags
                .with_copy(true)
                .with_layer3grp(false)
                .with_punched(false);
            let op = if unserv {
                MarsOp::Unserv
            } else {
                MarsOp::Mserv
            };
            return self.send_private(ci, vc, body(op, with_pairs(&j, flags, None)), true);
        }
        self.propagate_service(ci, &j, unserv, g);
        let kind = if unserv {
            UpdateKind::Unserve
        } else {
            UpdateKind::Serve
        };
        let pro = self.clusters[ci].pro;
        let u = update_from(kind, pro, id, &j, Some(r));
        self.events.push_back(ServerEvent::Local(u));
    }

    /// After the server map of `g` changed by `j` (an MSERV or UNSERV from an MCS): the
    /// copy on ServerControlVC ("After processing, they are retransmitted on ServerControlVC
    /// to allow other MCSs to note the new node", which also confirms it to its sender), then
    /// on ClusterControlVC a MARS_MIGRATE (first MCS for a group with members), a MARS_JOIN
    /// (another MCS), or a MARS_LEAVE (an MCS stops), each with "mar$flags.layer3grp ...
    /// zero, mar$flags.copy ... one, and mar$flags.register ... zero" (§6.2.2).
    pub(super) fn propagate_service(&mut self, ci: usize, j: &Join, unserv: bool, g: ProtoAddr) {
        let flags = j
            .flags
            .with_copy(true)
            .with_layer3grp(false)
            .with_register(false)
            .with_punched(false);
        let mut copy = with_pairs(j, flags, None);
        copy.cmi = 0; // §6.2.3: "MUST be set to zero by both MCS and MARS".
        let sop = if unserv {
            MarsOp::Unserv
        } else {
            MarsOp::Mserv
        };
        self.send_scvc(ci, body(sop, copy.clone()));
        if unserv {
            // "The operation code is then changed to MARS_LEAVE and the MARS sends a copy of
            // the message on ClusterControlVC."
            return self.send_ccvc(ci, MarsBody::Leave(copy));
        }
        let db = &self.clusters[ci].db;
        if db.servers_of(&g).len() > 1 {
            // "If a MARS_MSERV is not the first MCS to register for a particular group the
            // MARS simply changes its operation code to MARS_JOIN".
            return self.send_ccvc(ci, MarsBody::Join(copy));
        }
        if db.members_of(&g).is_empty() {
            // The first MCS of a group without members: no VC mesh to migrate.
            return;
        }
        // "If a MARS_MSERV represents the first MCS to register for a particular group, and
        // there exists a non null host map serving that particular group, the MARS issues a
        // MARS_MIGRATE ... The MARS's own identity is placed in the source protocol and
        // hardware address fields ... The ATM address of the MCS is placed as the first and
        // only target ATM address."
        let m = Migrate::new(
            self.cfg.address,
            self.cfg.protocol_address,
            g,
            vec![j.source],
            Csn(0),
        );
        self.stats_migrated(ci, g);
        self.send_ccvc(ci, MarsBody::Migrate(m));
    }

    fn stats_migrated(&mut self, ci: usize, group: ProtoAddr) {
        let pro = self.clusters[ci].pro;
        self.events.push_back(ServerEvent::Migrated { pro, group });
    }
}
