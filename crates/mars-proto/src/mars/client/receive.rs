//! Incoming VCs and received SDUs: ClusterControlVC (ServerControlVC) from the MARS, the
//! point-to-point VC to it, and data VCs from senders (§5.2: "the endpoint MUST be capable of
//! terminating unidirectional VCs"); and the dispatch of every MARS control message.
//!
//! Trust: a VC is a control VC only if its calling party is the current MARS (or the target
//! of a soft redirect in progress); control messages are accepted only on control VCs and on
//! the point-to-point VC this endpoint opened to its MARS. Everything else a peer may send —
//! a reply for a request never made, a JOIN with `copy` = 0, a malformed message, data on a
//! control VC — is counted, reported and dropped (design principle 3).

use bytes::Bytes;
use mars_wire::llc::Payload;
use mars_wire::mars::{validate_pairs, Join, MarsBody, MarsMessage, MarsOp, TlvVerdict};
use mars_wire::AtmAddress;

use super::endpoint::{Endpoint, Role};
use super::reliable::CopyMatch;
use super::report::Discard;
use crate::vc::{Cause, VcId, VcRequest};

/// An incoming VC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct InVc {
    /// The calling party.
    pub from: AtmAddress,
    /// A control VC from a MARS (rather than data from a sender).
    pub control: bool,
    /// Whether it is a leaf end of a point-to-multipoint VC.
    pub multipoint: bool,
}

impl Endpoint {
    pub(crate) fn on_incoming_call(&mut self, vc: VcId, from: AtmAddress, multipoint: bool) {
        let soft = self.session.soft.as_ref().map(|s| s.target);
        let is_mars = from == self.session.current || Some(from) == soft;
        if is_mars && multipoint {
            // ClusterControlVC (ServerControlVC): "the endpoint is added as a leaf node of
            // ClusterControlVC" when it registers (§5.2.3).
            self.incoming.insert(
                vc,
                InVc {
                    from,
                    control: true,
                    multipoint,
                },
            );
            self.request(VcRequest::Accept { vc });
            if from == self.session.current {
                if let Some(old) = self.session.control_vc.replace(vc) {
                    self.incoming.remove(&old);
                    self.request(VcRequest::Release {
                        vc: old,
                        cause: Cause::NORMAL,
                    });
                }
            }
            return;
        }
        if self.session.table().contains(&from) || is_mars {
            // A MARS that is not ours (or calls point-to-point): not a sender of data.
            return self.request(VcRequest::Refuse {
                vc,
                cause: Cause::CALL_REJECTED,
            });
        }
        if self.incoming.len() >= self.cfg.max_in_vcs {
            return self.request(VcRequest::Refuse {
                vc,
                cause: Cause::RESOURCE_UNAVAILABLE,
            });
        }
        self.incoming.insert(
            vc,
            InVc {
                from,
                control: false,
                multipoint,
            },
        );
        self.request(VcRequest::Accept { vc });
    }

    /// A received SDU; data for the role-specific layer is returned.
    pub(crate) fn on_received(&mut self, vc: VcId, sdu: Bytes) -> Option<(VcId, Bytes)> {
        let from_mars_vc = self.session.is_mars_vc(vc);
        let from_soft_vc = self.session.is_soft_vc(vc);
        let kind = self.incoming.get(&vc).map(|v| (v.control, v.from));
        let control = from_mars_vc || from_soft_vc || kind.is_some_and(|k| k.0);
        if !control && kind.is_none() {
            // Nothing arrives on the root of our own VCs; a VC we no longer know.
            return None;
        }
        let is_control_msg = match Payload::parse(&sdu) {
            Ok(Payload::MarsControl(_)) => true,
            Ok(Payload::MarsDataType1(_) | Payload::MarsDataType2(_)) => false,
            Ok(_) => {
                self.discard(Some(vc), Discard::UnknownFraming);
                return None;
            }
            Err(e) => {
                self.discard(Some(vc), Discard::Malformed(e));
                return None;
            }
        };
        if control != is_control_msg {
            self.discard(Some(vc), Discard::WrongVcKind);
            return None;
        }
        if !control {
            self.counters.data_rx += 1;
            return Some((vc, sdu));
        }
        let msg = match MarsMessage::decode_sdu(&sdu) {
            Ok(m) => m,
            Err(e) => {
                self.discard(Some(vc), Discard::Malformed(e));
                return None;
            }
        };
        if from_soft_vc {
            if let Some(j) = msg.body.as_join() {
                let j = j.clone();
                self.soft_message(msg.op(), &j);
            }
            return None;
        }
        if !from_mars_vc && kind.map(|k| k.1) != Some(self.session.current) {
            self.discard(Some(vc), Discard::NotFromCurrentMars);
            return None;
        }
        self.on_control(vc, msg);
        None
    }

    /// A MARS control message from the current MARS.
    fn on_control(&mut self, vc: VcId, msg: MarsMessage) {
        // §9: "Every cluster member must interpret messages from the MARS in the context of
        // the protocol type that the MARS message refers to."
        if msg.pro.key() != self.cfg.protocol.key() {
            return self.discard(Some(vc), Discard::OtherProtocol(msg.pro));
        }
        // §10.3 / Appendix D: no TLV is known to this implementation.
        if let Some(tlvs) = &msg.tlvs {
            match tlvs.verdict(|_| false) {
                TlvVerdict::Accept => {}
                TlvVerdict::DropSilently { tlv_type } => {
                    return self.discard(
                        Some(vc),
                        Discard::Tlv {
                            tlv_type,
                            reported: false,
                        },
                    )
                }
                TlvVerdict::DropAndReport { tlv_type } => {
                    return self.discard(
                        Some(vc),
                        Discard::Tlv {
                            tlv_type,
                            reported: true,
                        },
                    )
                }
            }
        }
        let op = msg.op();
        match msg.body {
            MarsBody::Join(j)
            | MarsBody::Leave(j)
            | MarsBody::Mserv(j)
            | MarsBody::Unserv(j)
            | MarsBody::Sjoin(j)
            | MarsBody::Sleave(j) => self.on_join_layout(vc, op, j),
            MarsBody::Multi(m) => self.on_multi(vc, m),
            MarsBody::Nak(r) => self.on_nak(vc, r),
            MarsBody::RedirectMap(m) => self.on_redirect_part(vc, m),
            MarsBody::Migrate(m) => {
                self.counters.rx_migrate += 1;
                self.track_msn(m.msn, Some(m.tpa));
                if self.role == Role::Client {
                    self.migrate(m.tpa, m.targets);
                }
            }
            MarsBody::GroupListReply(r) if self.role == Role::Client => {
                self.on_grouplist_part(vc, r)
            }
            other => self.discard(Some(vc), Discard::UnexpectedOp(other.op() as u8)),
        }
    }

    /// MARS_JOIN and the messages sharing its layout.
    fn on_join_layout(&mut self, vc: VcId, op: MarsOp, j: Join) {
        let (ours, update) = match self.role {
            Role::Client => (
                matches!(op, MarsOp::Join | MarsOp::Leave),
                matches!(op, MarsOp::Join | MarsOp::Leave),
            ),
            Role::Mcs => (
                matches!(op, MarsOp::Mserv | MarsOp::Unserv),
                matches!(op, MarsOp::Sjoin | MarsOp::Sleave),
            ),
        };
        if update {
            match op {
                MarsOp::Join | MarsOp::Sjoin => self.counters.rx_join += 1,
                _ => self.counters.rx_leave += 1,
            }
        }
        if ours {
            if self.role == Role::Client
                && op == MarsOp::Join
                && j.flags.register()
                && j.flags.copy()
                && j.source == self.cfg.address
                && j.cmi == 0
                && self.session.reg_id.is_some()
            {
                // §5.2.3: "When the registration MARS_JOIN is returned it contains a non-zero
                // value in mar$cmi". Not a usable copy: keep retransmitting.
                return self.discard(Some(vc), Discard::ZeroCmi);
            }
            let own = self.cfg.address;
            match self.reliable.classify(op, &j, &own) {
                CopyMatch::Copy(o) => {
                    let registration = o.join.flags.register();
                    if !registration {
                        self.track_msn(j.msn, None);
                    }
                    return self.on_own_copy(o, &j);
                }
                CopyMatch::NotACopy => return self.discard(Some(vc), Discard::NotACopy),
                CopyMatch::Unmatched => {
                    self.track_msn(j.msn, None);
                    return self.discard(Some(vc), Discard::UnmatchedCopy);
                }
                CopyMatch::Other => {}
            }
        }
        // §5.2.1: "mar$flags.copy ... MUST be set to 1 when the message is being sent from a
        // MARS".
        if !j.flags.copy() {
            return self.discard(Some(vc), Discard::NotACopy);
        }
        self.track_msn(j.msn, None);
        if !update || j.flags.register() {
            // Registrations, and other MCSs' MSERV/UNSERV (RFC 2149 §4.1.4): only the
            // sequence number counts.
            return;
        }
        // §5.2: members "MUST be able to process multiple <min,max> pairs".
        if validate_pairs(&j.pairs).is_err() {
            return self.discard(Some(vc), Discard::BadPairs);
        }
        let join = matches!(op, MarsOp::Join | MarsOp::Sjoin);
        self.apply_update(join, j.source, &j.pairs);
    }
}
