//! Answers: MARS_REQUEST → MARS_MULTI or MARS_NAK (§5.1.1, §5.1.2, §6.1.1, §6.2.1),
//! MARS_GROUPLIST_REQUEST → MARS_GROUPLIST_REPLY (§5.3, §8.5), and MARS_REDIRECT_MAP (§5.4.3,
//! §6.1.3), each split into as few parts as the MTU allows.

use mars_wire::llc::LLC_SNAP_LEN;
use mars_wire::mars::{GroupListReply, MarsBody, MarsMessage, Multi, RedirF, RedirectMap, SeqXy};
use mars_wire::{AtmAddress, Csn, ProtoAddr};

use super::membership::valid_range;
use super::{Discard, MarsServer};
use crate::mars::db::Origin;
use crate::vc::VcId;

/// Octets of a MARS_MULTI / GROUPLIST_REPLY / REDIRECT_MAP before its address fields: the
/// fixed header (to `mar$op`, 18) plus 6 length octets plus `tnum`, `seqxy`, `msn` (§5.1.2).
const TARGET_MSG_FIXED: usize = 32;

impl MarsServer {
    /// Octets available for one MARS message in an SDU.
    fn mtu(&self) -> usize {
        self.cfg.max_sdu.saturating_sub(LLC_SNAP_LEN)
    }

    pub(super) fn on_request(&mut self, ci: usize, vc: VcId, msg: MarsMessage) {
        let MarsBody::Request(req) = &msg.body else {
            return;
        };
        let db = &self.clusters[ci].db;
        let g = req.tpa;
        let mcs = db.mcs_by_addr(&req.source);
        let member = db.member_by_addr(&req.source);
        // §6.2.1: an MCS of the group's server map gets the host map; a cluster member gets
        // the server map if there is one, else the host map; anyone else is ignored. §6.1.1:
        // "if a MARS_REQUEST arrives whose source ATM address does not match that of any
        // registered Cluster member the message MUST be dropped and ignored."
        let in_server_map = mcs.is_some_and(|id| {
            db.mcs(id)
                .is_some_and(|m| m.groups.binary_search(&g).is_ok())
        });
        let local = |o: Origin| o == Origin::Local;
        let (targets, to_mcs) = if in_server_map {
            (db.host_map(&g), true)
        } else if member.is_some_and(|c| db.member(c).is_some_and(|m| local(m.origin))) {
            let servers = db.server_map(&g);
            if servers.is_empty() {
                (db.host_map(&g), false)
            } else {
                (servers, false)
            }
        } else if mcs.is_some_and(|id| db.mcs(id).is_some_and(|m| local(m.origin))) {
            // A registered MCS asking about a group it does not serve (Appendix F answers any
            // member of the server list with the host map).
            (db.host_map(&g), true)
        } else {
            return self.discard(vc, Discard::NotRegistered);
        };
        if targets.is_empty() || g.is_null() {
            // §5.1.2: "MARS_NAK is the MARS_REQUEST returned with operation type value of 6.
            // All other fields are left unchanged".
            let nak = MarsMessage {
                body: MarsBody::Nak(req.clone()),
                tlvs: None,
                ..msg.clone()
            };
            return self.send_private(ci, vc, nak, to_mcs);
        }
        let fixed = TARGET_MSG_FIXED + req.source.wire_len() + req.spa.len() + g.len();
        let parts = split_targets(targets, self.mtu().saturating_sub(fixed));
        let k = parts.len();
        let c = &self.clusters[ci];
        // All parts carry the same MSN (§5.1.1); nothing else is sent between them because
        // the engine handles one input at a time (§6.1.4's serialisation).
        let msn = if to_mcs { c.ssn } else { c.csn };
        for (i, part) in parts.into_iter().enumerate() {
            let seq = seqxy(i, k);
            let m = Multi::new(req.source, req.spa, g, part, seq, msn);
            let out = MarsMessage {
                body: MarsBody::Multi(m),
                tlvs: None,
                ..msg.clone()
            };
            self.send_private(ci, vc, out, to_mcs);
        }
    }

    pub(super) fn on_grouplist(&mut self, ci: usize, vc: VcId, msg: MarsMessage) {
        let MarsBody::GroupListRequest(j) = &msg.body else {
            return;
        };
        let db = &self.clusters[ci].db;
        let registered =
            db.member_by_addr(&j.source).is_some() || db.mcs_by_addr(&j.source).is_some();
        if !registered {
            return self.discard(vc, Discard::NotRegistered);
        }
        // §5.3: "The first <min,max> pair will be used ... Any additional <min,max> pairs
        // will be ignored. A request with mar$pnum = 0 will be ignored."
        let Some(p) = j.pairs.first() else {
            return self.discard(vc, Discard::BadPairs);
        };
        if !valid_range(self.clusters[ci].pro, p) {
            return self.discard(vc, Discard::BadPairs);
        }
        let groups = db.layer3_groups(&(p.min, p.max));
        let per = p.min.len().max(1);
        let fixed = TARGET_MSG_FIXED + j.source.wire_len() + j.spa.len();
        let cap = (self.mtu().saturating_sub(fixed) / per).max(1);
        let chunks: Vec<Vec<ProtoAddr>> = if groups.is_empty() {
            vec![Vec::new()]
        } else {
            groups.chunks(cap).map(<[ProtoAddr]>::to_vec).collect()
        };
        let k = chunks.len();
        let msn = self.clusters[ci].csn;
        for (i, part) in chunks.into_iter().enumerate() {
            let mut r = GroupListReply::new(j.source, j.spa, part, seqxy(i, k), msn);
            // With no groups to return, mar$tpln still says what a group address would be.
            r.tpln = p.min.len() as u8;
            let out = MarsMessage {
                body: MarsBody::GroupListReply(r),
                tlvs: None,
                ..msg.clone()
            };
            self.send_private(ci, vc, out, false);
        }
    }

    /// The servers MARS_REDIRECT_MAP lists: this MARS then its backups (§6.1.3: "If the MARS
    /// has no knowledge of other backup MARSs ... it MUST include its own address as the only
    /// entry"), unless the distributed layer supplied the list.
    pub fn redirect_targets(&self) -> Vec<AtmAddress> {
        let mut v = match &self.redirect_servers {
            Some(s) if !s.is_empty() => s.clone(),
            _ => vec![self.cfg.address],
        };
        for b in &self.cfg.backups {
            if !v.contains(b) {
                v.push(*b);
            }
        }
        v
    }

    /// Send MARS_REDIRECT_MAP on cluster `ci`'s ClusterControlVC and ServerControlVC.
    pub(super) fn send_redirect_map(&mut self, ci: usize) {
        let targets = self.redirect_targets();
        let fixed = TARGET_MSG_FIXED + self.cfg.address.wire_len();
        let parts = split_targets(targets, self.mtu().saturating_sub(fixed));
        let k = parts.len();
        let redirf = RedirF(if self.cfg.redirect_hard {
            RedirF::HARD
        } else {
            0
        });
        let pro = self.clusters[ci].pro;
        let build = |i: usize, part: Vec<AtmAddress>| {
            let m = RedirectMap::new(self.cfg.address, redirf, part, seqxy(i, k), Csn(0));
            MarsMessage::new(pro, MarsBody::RedirectMap(m))
        };
        let msgs: Vec<MarsMessage> = parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| build(i, p))
            .collect();
        if self.clusters[ci].ccvc.vc.is_some() {
            for m in &msgs {
                self.send_ccvc(ci, m.clone());
            }
        }
        if self.clusters[ci].scvc.vc.is_some() {
            for m in msgs {
                self.send_scvc(ci, m);
            }
        }
    }
}

/// `mar$seqxy` of part `i` (0-based) of `k`: y counts from 1, x marks the last (§5.1.1).
fn seqxy(i: usize, k: usize) -> SeqXy {
    let y = u16::try_from(i + 1)
        .unwrap_or(SeqXy::Y_MAX)
        .min(SeqXy::Y_MAX);
    SeqXy::new(i + 1 == k, y).unwrap_or(SeqXy::SINGLE)
}

/// Split `targets` into parts of at most `room` octets of addresses each, every part holding
/// addresses of one type and length (§5.1.1: "each MARS_MULTI message may only return ATM
/// addresses of the same type and length ... grouped according to type"). Always at least
/// one part.
pub(super) fn split_targets(mut targets: Vec<AtmAddress>, room: usize) -> Vec<Vec<AtmAddress>> {
    targets.sort_by_key(|a| (a.number.type_len(), a.sub.type_len()));
    let mut parts: Vec<Vec<AtmAddress>> = Vec::new();
    let mut used = 0;
    for t in targets {
        let size = t.wire_len().max(1);
        let same_kind = parts.last().and_then(|p| p.first()).is_some_and(|f| {
            f.number.type_len() == t.number.type_len() && f.sub.type_len() == t.sub.type_len()
        });
        let full = used + size > room;
        let cap_ok = parts
            .last()
            .is_some_and(|p| p.len() < usize::from(u16::MAX));
        if !(same_kind && !full && cap_ok) {
            parts.push(Vec::new());
            used = 0;
        }
        if let Some(p) = parts.last_mut() {
            p.push(t);
        }
        used += size;
    }
    if parts.is_empty() {
        parts.push(Vec::new());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use mars_wire::AtmAddr;

    fn nsap(n: u8) -> AtmAddress {
        let mut o = [0u8; 20];
        o[0] = 0x47;
        o[19] = n;
        AtmAddress::new(AtmAddr::nsap(o))
    }

    #[test]
    fn split_by_room_and_kind() {
        let e: AtmAddress = "1234".parse().unwrap();
        let v = vec![nsap(1), e, nsap(2), nsap(3)];
        let parts = split_targets(v, 40);
        // NSAPs (20 octets) two to a part, then the E.164 number alone (its own type).
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], vec![nsap(1), nsap(2)]);
        assert_eq!(parts[1], vec![nsap(3)]);
        assert_eq!(parts[2], vec![e]);
        assert_eq!(
            split_targets(Vec::new(), 40),
            vec![Vec::<AtmAddress>::new()]
        );
    }

    #[test]
    fn seqxy_numbering() {
        assert_eq!(seqxy(0, 1), SeqXy::SINGLE);
        assert_eq!(seqxy(0, 3).y(), 1);
        assert!(!seqxy(1, 3).last());
        assert!(seqxy(2, 3).last());
    }
}
