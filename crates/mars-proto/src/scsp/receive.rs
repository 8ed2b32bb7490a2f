//! The receive path: from an AAL5 SDU on a DCS's VC to the FSM that takes it.
//!
//! 1. The VC names the DCS; the LLC/SNAP header must be SCSP's (PID 0x0005).
//! 2. The packet is decoded and, per the DCS's authentication mode, checked (B.3.1.4). A packet
//!    that fails authentication is discarded, counted and reported and changes nothing; a
//!    malformed one is an abnormal event (§2.1).
//! 3. Another Protocol ID or Server Group ID: not this instance; discarded.
//! 4. IDs of the wrong length for the client protocol, or a CSA record the client protocol
//!    rejects, make the packet malformed; every record is checked before any is applied, so
//!    a bad packet changes no cache.
//! 5. Hellos go to the HFSM. Anything else is ignored until the HFSM is Bidirectional (§2.1),
//!    must come from the saved DCSID, and must be addressed to the LSID (§2.2.3, §2.3; a CSU
//!    Request may also use the all-0xFF Receiver ID).

use mars_wire::scsp::{sdu_payload, CsaRecord, CsasRecord, ScspBody, ScspId, ScspPacket};

use super::auth::admit;
use super::client::ClientProtocol;
use super::events::{Abnormal, Discard};
use super::hello::HelloState;
use super::ScspEngine;
use crate::vc::VcId;

/// Whether `id` is the all-0xFF Receiver ID of §2.3.
fn is_all_ones(id: &ScspId) -> bool {
    !id.is_empty() && id.as_bytes().iter().all(|&b| b == 0xFF)
}

impl<P: ClientProtocol> ScspEngine<P> {
    pub(crate) fn on_received(&mut self, vc: VcId, sdu: &[u8]) {
        let Some((i, _leaf)) = self.dcs_of_vc(vc) else {
            self.discard(None, Discard::UnknownVc, Some(format!("SDU on {vc}")));
            return;
        };
        if self.dcs[i].hello.state == HelloState::Down {
            self.discard(Some(i), Discard::UnknownVc, Some("DCS is down".into()));
            return;
        }
        let Ok(payload) = sdu_payload(sdu) else {
            self.discard(Some(i), Discard::NotScsp, None);
            return;
        };
        let now = self.now;
        let d = &mut self.dcs[i];
        let pkt = match admit(payload, d.cfg.auth.mode, &mut d.keys, now) {
            Ok(p) => p,
            Err((Discard::Malformed, detail)) => return self.malformed(i, detail),
            Err((reason, detail)) => return self.discard(Some(i), reason, Some(detail)),
        };
        if pkt.common.protocol_id != self.client.protocol_id()
            || pkt.common.server_group_id != self.client.server_group_id()
        {
            let detail = format!(
                "PID {} SGID {}",
                pkt.common.protocol_id, pkt.common.server_group_id
            );
            return self.discard(Some(i), Discard::WrongGroup, Some(detail));
        }
        if let Err(why) = self.check_shape(&pkt) {
            return self.malformed(i, why);
        }
        self.dcs[i].counters.received.bump(pkt.message_type());
        if let ScspBody::Hello(h) = &pkt.body {
            return self.on_hello(i, &pkt, h);
        }
        if self.dcs[i].hello.state != HelloState::Bidirectional {
            // §2.1: "Until the HFSM is in the Bidirectional Connection State, if any properly
            // formed SCSP messages other than Hello messages are received then those messages
            // MUST be ignored".
            return self.discard(Some(i), Discard::NotBidirectional, None);
        }
        if self.dcs[i].hello.id.as_ref() != Some(&pkt.common.sender_id) {
            let detail = format!("Sender ID {}", pkt.common.sender_id);
            return self.discard(Some(i), Discard::WrongSender, Some(detail));
        }
        let receiver = &pkt.common.receiver_id;
        let to_us = *receiver == self.cfg.local_id;
        let broadcast = matches!(pkt.body, ScspBody::CsuRequest(_)) && is_all_ones(receiver);
        if !to_us && !broadcast {
            // §2.2.3 (CA, CSUS) and §2.3 (CSU): "must be discarded and ignored".
            let detail = format!("Receiver ID {receiver}");
            return self.discard(Some(i), Discard::WrongReceiver, Some(detail));
        }
        match &pkt.body {
            ScspBody::Ca(ca) => self.on_ca(i, &pkt, ca),
            ScspBody::Csus(recs) => self.on_csus(i, recs),
            ScspBody::CsuRequest(recs) => self.on_csu_request(i, recs),
            ScspBody::CsuReply(recs) => self.on_csu_reply(i, recs),
            ScspBody::Hello(_) => {}
        }
    }

    /// A malformed message: discarded, and an abnormal event (§2.1).
    fn malformed(&mut self, i: usize, detail: String) {
        self.discard(Some(i), Discard::Malformed, Some(detail));
        self.abnormal(i, Abnormal::Malformed);
    }

    /// The client protocol's rules for IDs, keys and CSA parts.
    fn check_shape(&self, pkt: &ScspPacket) -> Result<(), String> {
        let id_len = self.client.id_len().map(usize::from);
        let key_len = self.client.cache_key_len().map(usize::from);
        let bad_id = |what: &str, id: &ScspId| -> Result<(), String> {
            match id_len {
                Some(n) if id.len() != n => Err(format!("{what} is {} octets, not {n}", id.len())),
                _ => Ok(()),
            }
        };
        bad_id("Sender ID", &pkt.common.sender_id)?;
        let hello = matches!(pkt.body, ScspBody::Hello(_));
        // B.2.5: a Hello that has heard nobody has Recvr ID Len 0.
        if !(hello && pkt.common.receiver_id.is_empty()) {
            bad_id("Receiver ID", &pkt.common.receiver_id)?;
        }
        let csas = |r: &CsasRecord| -> Result<(), String> {
            bad_id("Originator ID", &r.originator_id)?;
            match key_len {
                Some(n) if r.cache_key.len() != n => Err(format!(
                    "Cache Key is {} octets, not {n}",
                    r.cache_key.len()
                )),
                _ => Ok(()),
            }
        };
        match &pkt.body {
            ScspBody::Hello(h) => h
                .additional_receivers
                .iter()
                .try_for_each(|r| bad_id("Additional Receiver ID", r)),
            ScspBody::Ca(ca) => ca.records.iter().try_for_each(csas),
            ScspBody::CsuReply(v) | ScspBody::Csus(v) => v.iter().try_for_each(csas),
            ScspBody::CsuRequest(v) => v.iter().try_for_each(|r: &CsaRecord| {
                csas(&r.summary)?;
                if r.summary.null {
                    return Ok(());
                }
                self.client
                    .validate(
                        &r.summary.cache_key,
                        &r.summary.originator_id,
                        &r.protocol_specific,
                    )
                    .map_err(|e| format!("CSA {}: {e}", r.summary.cache_key))
            }),
        }
    }
}
