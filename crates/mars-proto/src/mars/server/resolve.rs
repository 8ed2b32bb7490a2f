//! Answers: MARS_REQUEST → MARS_MULTI or MARS_NAK (§5.1.1, §5.1.2, §6.1.1, §6.2.1),
//! MARS_GROUPLIST_REQUEST → MARS_GROUPLIST_REPLY (§5.3, §8.5), and MARS_REDIRECT_MAP (§5.4.3,
//! §6.1.3), each split into as few parts as the MTU allows.

use mars_wire::llc::LLC_SNAP_LEN;
use mars_wire::mars::{GroupListReply, Join, MarsBody, Multi, RedirF, RedirectMap, Request, SeqXy};
use mars_wire::{AtmAddress, Csn, ProtoAddr};

use super::membership::valid_range;
use super::{Discard, MarsServer};
use crate::vc::VcId;

/// Octets of a MARS_MULTI / GROUPLIST_REPLY / REDIRECT_MAP before its address fields: the
/// fixed header (to `mar$op`, 18) plus 6 length octets plus `tnum`, `seqxy`, `msn` (§5.1.2).
const TARGET_MSG_FIXED: usize = 32;

impl MarsServer {
    /// Octets available for one MARS message in an SDU.
    fn mtu(&self) -> usize {
        self.cfg.max_sdu.saturating_sub(LLC_SNAP_LEN)
    }

    /// MARS_REQUEST (§6.1.1, §6.2.1, Appendix F).
    pub(super) fn on_request(&mut self, ci: usize, vc: VcId, req: Request) {
        let db = &self.clusters[ci].db;
        let g = req.tpa;
        let in_server_map = db
            .mcs_by_addr(&req.source)
            .is_some_and(|id| db.servers_of(&g).contains(&id));
        // §6.2.1: "If the requestor is a member of the server map for the requested group
        // then the MARS returns the contents of the host map ... Otherwise, if the source is
        // a valid cluster member, the MARS returns the contents of the server map" (or the
        // host map when there is none, §6.1.1). Appendix F answers any registered MCS with
        // the host map. §6.1.1: "if a MARS_REQUEST arrives whose source ATM address does not
        // match that of any registered Cluster member the message MUST be dropped and
        // ignored."
        let (targets, to_mcs) = if in_server_map {
            (db.host_map(&g), true)
        } else if self.local_member(ci, &req.source).is_some() {
            let servers = db.server_map(&g);
            if servers.is_empty() {
                (db.host_map(&g), false)
            } else {
                (servers, false)
            }
        } else if self.local_mcs(ci, &req.source).is_some() {
            (db.host_map(&g), true)
        } else {
            return self.discard(vc, Discard::NotRegistered);
        };
        if targets.is_empty() {
            // §5.1.2: "MARS_NAK is the MARS_REQUEST returned with operation type value of 6.
            // All other fields are left unchanged from the MARS_REQUEST".
            return self.send_private(ci, vc, MarsBody::Nak(req), to_mcs);
        }
        // §5.1.1: "A MARS MUST minimise the number of MARS_MULTIs transmitted by placing as
        // many group members' addresses in a single MARS_MULTI as possible. The limit on the
        // length of an individual MARS_MULTI message MUST be the MTU of the underlying VC."
        let fixed = TARGET_MSG_FIXED + req.source.wire_len() + req.spa.len() + g.len();
        let parts = split_targets(targets, self.mtu().saturating_sub(fixed));
        let k = parts.len();
        // Every part carries the same MSN: nothing is sent on ClusterControlVC between them,
        // because the engine handles one input at a time (§6.1.4's serialisation).
        for (i, part) in parts.into_iter().enumerate() {
            let m = Multi::new(req.source, req.spa, g, part, seqxy(i, k), Csn(0));
            self.send_private(ci, vc, MarsBody::Multi(m), to_mcs);
        }
    }

    /// MARS_GROUPLIST_REQUEST (§5.3, §8.5).
    pub(super) fn on_grouplist(&mut self, ci: usize, vc: VcId, j: Join) {
        let member = self.local_member(ci, &j.source).is_some();
        let mcs = self.local_mcs(ci, &j.source).is_some();
        if !member && !mcs {
            return self.discard(vc, Discard::NotRegistered);
        }
        // §5.3: "The first <min,max> pair will be used by the MARS to identify the range of
        // groups in which the querying cluster member is interested. Any additional <min,max>
        // pairs will be ignored. A request with mar$pnum = 0 will be ignored."
        let Some(p) = j.pairs.first() else {
            return self.discard(vc, Discard::BadPairs);
        };
        if !valid_range(self.clusters[ci].pro, p) {
            return self.discard(vc, Discard::BadPairs);
        }
        let groups = self.clusters[ci].db.layer3_groups(&(p.min, p.max));
        let per = p.min.len().max(1);
        let fixed = TARGET_MSG_FIXED + j.source.wire_len() + j.spa.len();
        let cap = (self.mtu().saturating_sub(fixed) / per).max(1);
        let chunks: Vec<Vec<ProtoAddr>> = if groups.is_empty() {
            vec![Vec::new()]
        } else {
            groups.chunks(cap).map(<[ProtoAddr]>::to_vec).collect()
        };
        let k = chunks.len();
        for (i, part) in chunks.into_iter().enumerate() {
            let mut r = GroupListReply::new(j.source, j.spa, part, seqxy(i, k), Csn(0));
            // With no groups to return, mar$tpln still says what a group address would be.
            r.tpln = p.min.len() as u8;
            // §6.2.5: the SSN goes to what the MARS "believes is destined for an MCS".
            self.send_private(ci, vc, MarsBody::GroupListReply(r), !member);
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
        let msgs: Vec<MarsBody> = parts
            .into_iter()
            .enumerate()
            .map(|(i, part)| {
                let m = RedirectMap::new(self.cfg.address, redirf, part, seqxy(i, k), Csn(0));
                MarsBody::RedirectMap(m)
            })
            .collect();
        // §6.2: "A MARS MUST also send its regular MARS_REDIRECT_MAP transmissions on both
        // ServerControlVC and ClusterControlVC." Each part is one transmission on each VC and
        // moves its sequence number, so a lost part shows as a jump (§5.4.3).
        for m in &msgs {
            self.send_ccvc(ci, m.clone());
        }
        for m in msgs {
            self.send_scvc(ci, m);
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
    let kind = |a: &AtmAddress| (a.number.type_len(), a.sub.type_len());
    // The common case, one part: every target of one kind, together within the MTU.
    let one_kind = targets.windows(2).all(|w| kind(&w[0]) == kind(&w[1]));
    let size: usize = targets.iter().map(|t| t.wire_len().max(1)).sum();
    if one_kind && size <= room && targets.len() <= usize::from(u16::MAX) {
        return vec![targets];
    }
    targets.sort_by_key(kind);
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
