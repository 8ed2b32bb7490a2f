//! MARS_JOIN and MARS_LEAVE: validation, the database update, and propagation with hole
//! punching (RFC 2022 §6.1.2, §6.2.4, Appendix A, Appendix F).

use mars_wire::mars::{GroupPair, Join, MarsBody, MarsOp};
use mars_wire::Protocol;

use super::registration::Which;
use super::report::op_name;
use super::{Discard, MarsServer, ServerEvent};
use crate::mars::db::Cmi;
use crate::mars::range::{Range, RangeSet};
use crate::mars::update::{Update, UpdateKind};
use crate::vc::VcId;

impl MarsServer {
    pub(super) fn on_join_leave(&mut self, ci: usize, vc: VcId, leave: bool, j: Join) {
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
        // §6.1.2: "If a MARS_JOIN/LEAVE is received that contains more than one <min,max>
        // pair, the MARS MUST silently drop the message." (Registrations included: Appendix F
        // applies the test before looking at the register flag.)
        if j.pairs.len() > 1 {
            return self.discard(vc, Discard::BadPairs);
        }
        if j.flags.register() {
            return if leave {
                self.deregister(ci, Which::Cluster, vc, j)
            } else {
                self.register(ci, Which::Cluster, vc, j)
            };
        }
        // §6.1.2: "Non-registration MARS_JOIN and MARS_LEAVE messages are ignored if they
        // arrive from a node that is not registered as a cluster member."
        let Some(cmi) = self.local_member(ci, &j.source) else {
            return self.discard(vc, Discard::NotRegistered);
        };
        // mar$pnum 0, min > max (§5.2.1: "max(N) >= min(N)"), or a length the protocol does
        // not use: nothing sensible to apply, dropped like a message with several pairs.
        let Some(r) = self.one_pair(ci, &j) else {
            return self.discard(vc, Discard::BadPairs);
        };
        if !leave && r.0 != r.1 {
            self.stats.mars_stat_rx_blk_join_msgs += 1;
        }
        let db = &mut self.clusters[ci].db;
        let change = if leave {
            db.leave(cmi, r)
        } else {
            db.join(cmi, r, j.flags.layer3grp())
        };
        self.propagate_membership(ci, Some(vc), leave, &j, r, &change.changed);
        let pro = self.clusters[ci].pro;
        let op = if leave { MarsOp::Leave } else { MarsOp::Join };
        if change.changed.is_empty() {
            if leave {
                self.stats.redundant_leaves += 1;
            } else {
                self.stats.redundant_joins += 1;
            }
            self.events.push_back(ServerEvent::Redundant {
                pro,
                cmi,
                op: op_name(op),
                range: r,
            });
        } else {
            self.events.push_back(ServerEvent::Membership {
                pro,
                cmi,
                joined: !leave,
                changed: change.changed.ranges().to_vec(),
            });
        }
        if change.stored {
            let kind = if leave {
                UpdateKind::Leave
            } else {
                UpdateKind::Join
            };
            let u = update_from(kind, pro, cmi, &j, Some(r));
            self.events.push_back(ServerEvent::Local(u));
        }
    }

    /// The only `<min,max>` pair of `j`, if it is well formed for cluster `ci`.
    pub(super) fn one_pair(&self, ci: usize, j: &Join) -> Option<Range> {
        let [p] = j.pairs.as_slice() else {
            return None;
        };
        valid_range(self.clusters[ci].pro, p).then_some((p.min, p.max))
    }

    /// Send the consequences of a JOIN/LEAVE `j` of `r` that changed the membership of
    /// `changed` (§6.1.2 and, when MCSs serve groups in `r`, §6.2.4). `private` is the VC to
    /// answer on when the sender is a client of this server (`None` when the change was
    /// learned from a peer server).
    ///
    /// `changed` is the hole-punched set of §6.1.2: `r` minus what the node was already (is
    /// still) a member of. ClusterControlVC also loses the MCS-served groups (§6.2.4), the
    /// holes of Appendix A.
    pub(super) fn propagate_membership(
        &mut self,
        ci: usize,
        private: Option<VcId>,
        leave: bool,
        j: &Join,
        r: Range,
        changed: &RangeSet,
    ) {
        let mut flags = j.flags.with_copy(true).with_punched(false);
        if r.0 != r.1 {
            // §6.1.2: layer3grp "MUST be treated as reset for MARS_JOINs specifying a single
            // <min,max> pair covering more than a single group".
            flags = flags.with_layer3grp(false);
        }
        let op = if leave { MarsOp::Leave } else { MarsOp::Join };
        let original = with_pairs(j, flags, None);
        if changed.is_empty() {
            // "If the joining (leaving) node was already (is still) considered a member of
            // the specified group, the message is retransmitted privately" (§6.1.2).
            if let Some(vc) = private {
                self.send_private(ci, vc, body(op, original), false);
            }
            return;
        }
        let whole = RangeSet::from_range(r);
        let served = self.clusters[ci].db.served_in(&r);
        if !served.is_empty() && self.locally_served(ci, &served) {
            // §6.2.4: a MARS_SJOIN/SLEAVE copy, "hole punched" by the node's previous single
            // group joins only, goes to the MCSs. Its punched flag says whether holes were
            // punched, as on ClusterControlVC.
            let sop = if leave { MarsOp::Sleave } else { MarsOp::Sjoin };
            let copy = with_pairs(j, flags.with_punched(*changed != whole), Some(changed));
            self.send_scvc(ci, body(sop, copy));
        }
        let mut cc = changed.clone();
        cc.subtract(&served);
        if cc == whole {
            // "If no 'holes' were punched in the specified block, the original
            // MARS_JOIN/LEAVE is retransmitted out on ClusterControlVC" — which also
            // confirms it to its sender (§5.2.2).
            self.send_ccvc(ci, body(op, original));
            return;
        }
        // "The original MARS_JOIN/LEAVE is transmitted back to the source cluster member
        // unchanged, using the VC it arrived on. The mar$flags.punched field MUST be reset to
        // 0 in this message."
        if let Some(vc) = private {
            self.send_private(ci, vc, body(op, original), false);
        }
        // "If the hole-punched set contains 1 or more <min,max> pair, the copy ... is
        // transmitted on ClusterControlVC, carrying the new <min,max> list. The
        // mar$flags.punched field MUST be set to 1 in this message."
        if !cc.is_empty() {
            let copy = with_pairs(j, flags.with_punched(true), Some(&cc));
            self.send_ccvc(ci, body(op, copy));
        }
    }

    /// Whether one of `served` has a server map with an MCS registered here (RFC 2443 §5.3:
    /// only the servers of an MCS propagate MARS_SJOIN/SLEAVE on their ServerControlVC).
    fn locally_served(&self, ci: usize, served: &RangeSet) -> bool {
        let db = &self.clusters[ci].db;
        served.ranges().iter().any(|(g, _)| {
            db.servers_of(g).iter().any(|&id| {
                db.mcs(id)
                    .is_some_and(|m| m.origin == crate::mars::db::Origin::Local)
            })
        })
    }
}

/// `j` with `flags` and, if given, the pairs of `pairs` (the hole-punched set).
pub(super) fn with_pairs(
    j: &Join,
    flags: mars_wire::mars::Flags,
    pairs: Option<&RangeSet>,
) -> Join {
    let mut nj = j.clone();
    nj.flags = flags;
    if let Some(p) = pairs {
        nj.pairs = p
            .ranges()
            .iter()
            .map(|&(min, max)| GroupPair { min, max })
            .collect();
    }
    nj
}

/// The body of JOIN-layout operation `op` (`op` is always one of the seven).
pub(super) fn body(op: MarsOp, j: Join) -> MarsBody {
    match op {
        MarsOp::Leave => MarsBody::Leave(j),
        MarsOp::Mserv => MarsBody::Mserv(j),
        MarsOp::Unserv => MarsBody::Unserv(j),
        MarsOp::Sjoin => MarsBody::Sjoin(j),
        MarsOp::Sleave => MarsBody::Sleave(j),
        MarsOp::GroupListRequest => MarsBody::GroupListRequest(j),
        _ => MarsBody::Join(j),
    }
}

/// Whether `p` is a usable `<min,max>` pair for `pro`: min ≤ max (§5.2.1), and 4 octets for
/// IPv4 (§5.1.2: "mar$tpln MUST be set to 4"), 16 for IPv6 (§9), non-null otherwise (§6:
/// "the MARS treats protocol addresses as arbitrary byte strings").
pub(super) fn valid_range(pro: Protocol, p: &GroupPair) -> bool {
    let len_ok = match pro.key().0 {
        mars_wire::pro::PRO_IPV4 => p.min.len() == 4,
        mars_wire::pro::PRO_IPV6 => p.min.len() == 16,
        _ => !p.min.is_null(),
    };
    len_ok && p.min.len() == p.max.len() && p.min <= p.max
}

/// An [`Update`] from a client's message.
pub(super) fn update_from(
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
