//! Building, signing and packing what the LS sends (RFC 2334 App. B, B.3.1.4).
//!
//! Every message goes to one DCS on its point-to-point VC, LLC/SNAP encapsulated (PID 0x0005),
//! with the Authentication Extension when the DCS's mode asks for it. CA, CSUS, CSU Request and
//! CSU Reply messages are packed with as many records as fit the DCS's `max_sdu` (and the
//! 65535 records Number of Records can count). Acknowledgements and flooded records collect
//! while an input is processed and go out when it is done ([`ScspEngine::flush`]), so one CSU
//! Request of many records is answered by as few CSU Replies as fit, and floods are batched.

use bytes::Bytes;
use mars_wire::scsp::{
    CommonPart, CsaRecord, MessageType, ScspBody, ScspPacket, COMMON_FIXED_LEN, EXT_HEADER_LEN,
    FIXED_LEN, PACKET_MAX,
};

use super::client::ClientProtocol;
use super::config::{AuthMode, SecurityAssociation};
use super::events::Discard;
use super::{DcsTimer, ScspEngine};
use crate::vc::VcRequest;

/// Octets of the LLC/SNAP header.
const LLC_SNAP_LEN: usize = mars_wire::llc::LLC_SNAP_LEN;

impl<P: ClientProtocol> ScspEngine<P> {
    /// The Mandatory Common Part of a message to DCS `i`: our PID/SGID, Sender ID the LSID,
    /// Receiver ID the DCSID (empty until it is known).
    pub(crate) fn common_part(&self, i: usize) -> CommonPart {
        let d = &self.dcs[i];
        let receiver = d
            .hello
            .id
            .clone()
            .or_else(|| d.cfg.id.clone())
            .unwrap_or_default();
        CommonPart::new(
            self.client.protocol_id(),
            self.client.server_group_id(),
            self.cfg.local_id.clone(),
            receiver,
        )
    }

    /// The association to sign packets to DCS `i` with; `Err` when authentication is
    /// mandatory and there is none.
    fn signer(&self, i: usize) -> Result<Option<&SecurityAssociation>, ()> {
        let d = &self.dcs[i];
        let sa = d.keys.signer(d.cfg.auth.send_spi, self.now);
        match d.cfg.auth.mode {
            AuthMode::Off => Ok(None),
            AuthMode::Optional => Ok(sa),
            AuthMode::Mandatory => sa.map(Some).ok_or(()),
        }
    }

    /// Octets of a message of type `t` to DCS `i` before its records (LLC/SNAP header
    /// included), plus the extensions part when signing.
    fn overhead(&self, i: usize, t: MessageType) -> usize {
        let c = self.common_part(i);
        // Until the DCS's ID is known, assume the longest it can be.
        let receiver = if c.receiver_id.is_empty() {
            self.client
                .id_len()
                .map_or(mars_wire::scsp::ID_MAX, usize::from)
        } else {
            c.receiver_id.len()
        };
        let head = LLC_SNAP_LEN + FIXED_LEN + COMMON_FIXED_LEN + c.sender_id.len() + receiver;
        let ca = if t == MessageType::Ca { 4 } else { 0 };
        let auth = match self.signer(i) {
            Ok(Some(sa)) => sa.algorithm.extension_len() + EXT_HEADER_LEN,
            _ => 0,
        };
        head + ca + auth
    }

    /// Octets available for records in a message of type `t` to DCS `i`.
    pub(crate) fn budget(&self, i: usize, t: MessageType) -> usize {
        let o = self.overhead(i, t);
        let sdu = self.dcs[i].cfg.max_sdu.min(PACKET_MAX + LLC_SNAP_LEN);
        sdu.saturating_sub(o)
    }

    /// Encode `pkt` for DCS `i` (signed when required) and send it on the DCS's VC. Returns
    /// whether it was sent.
    pub(crate) fn transmit(&mut self, i: usize, pkt: &ScspPacket) -> bool {
        let Some(vc) = self.dcs[i].link.up_vc() else {
            return false;
        };
        let mut out = Vec::with_capacity(LLC_SNAP_LEN + pkt.wire_len() + 64);
        let res = match self.signer(i) {
            Err(()) => {
                self.discard(
                    Some(i),
                    Discard::AuthCannotSign,
                    Some(format!("{} not sent", pkt.message_type())),
                );
                return false;
            }
            Ok(None) => pkt.encode_sdu(&mut out),
            Ok(Some(sa)) => pkt.encode_sdu_authenticated(sa.spi, sa.algorithm, &sa.key, &mut out),
        };
        if let Err(e) = res {
            // Packets are built to fit; should one not encode, it is reported, not sent.
            self.discard(Some(i), Discard::TooLarge, Some(e.to_string()));
            return false;
        }
        let sdu = Bytes::from(out);
        let c = &mut self.dcs[i].counters;
        c.sent.bump(pkt.message_type());
        c.octets_sent += sdu.len() as u64;
        self.requests.push_back(VcRequest::Send { vc, sdu });
        true
    }

    /// Send what collected: CSU Replies with the pending acknowledgements, then CSU Requests
    /// with the unsent records of each retransmit queue whose CAFSM allows CSUs; re-arm the
    /// retransmission timers.
    pub(crate) fn flush(&mut self) {
        for i in 0..self.dcs.len() {
            if !self.dcs[i].acks.is_empty() {
                self.send_acks(i);
            }
            if self.dcs[i].ca.state.allows_csu() && self.dcs[i].rexmt.unsent_len() > 0 {
                self.send_unsent(i);
            }
            match self.dcs[i].rexmt.next_due() {
                Some(t) if self.dcs[i].ca.state.allows_csu() => self.arm(i, DcsTimer::CsuRexmt, t),
                _ => self.disarm(i, DcsTimer::CsuRexmt),
            }
        }
    }

    /// CSU Replies acknowledging every pending CSAS record, packed (§2.3: "a CSU Reply may
    /// contain acknowledgments for CSA Records from multiple CSU Requests").
    fn send_acks(&mut self, i: usize) {
        let budget = self.budget(i, MessageType::CsuReply);
        let acks = std::mem::take(&mut self.dcs[i].acks);
        self.dcs[i].counters.acks_sent += acks.len() as u64;
        let mut batch = Vec::new();
        let mut used = 0;
        for a in acks {
            let len = a.wire_len();
            if !batch.is_empty() && (used + len > budget || batch.len() == usize::from(u16::MAX)) {
                let pkt = ScspPacket::new(self.common_part(i), ScspBody::CsuReply(batch));
                self.transmit(i, &pkt);
                batch = Vec::new();
                used = 0;
            }
            used += len;
            batch.push(a);
        }
        if !batch.is_empty() {
            let pkt = ScspPacket::new(self.common_part(i), ScspBody::CsuReply(batch));
            self.transmit(i, &pkt);
        }
    }

    /// CSU Requests with the unsent records of DCS `i`'s retransmit queue, packed; each record
    /// is then due for retransmission after CSUReXmtInterval (§2.3).
    fn send_unsent(&mut self, i: usize) {
        let budget = self.budget(i, MessageType::CsuRequest);
        let due = self.now + self.dcs[i].cfg.params.csu_rexmt_interval;
        let mut batch: Vec<CsaRecord> = Vec::new();
        let mut used = 0;
        while let Some(id) = self.dcs[i].rexmt.pop_unsent() {
            let Some(rec) = self.dcs[i].rexmt.get(&id) else {
                continue;
            };
            let len = rec.wire_len(&id);
            if len > budget {
                self.dcs[i].rexmt.remove(&id);
                self.discard(
                    Some(i),
                    Discard::TooLarge,
                    Some(format!("CSA {} not sent", id.key)),
                );
                continue;
            }
            if used + len > budget || batch.len() == usize::from(u16::MAX) {
                self.dcs[i].rexmt.push_front_unsent(id);
                self.send_csu_request(i, std::mem::take(&mut batch));
                used = 0;
                continue;
            }
            used += len;
            batch.push(rec.csa(&id));
            self.dcs[i].rexmt.mark_sent(&id, due);
        }
        if !batch.is_empty() {
            self.send_csu_request(i, batch);
        }
    }

    fn send_csu_request(&mut self, i: usize, records: Vec<CsaRecord>) {
        self.dcs[i].counters.csa_sent += records.len() as u64;
        let pkt = ScspPacket::new(self.common_part(i), ScspBody::CsuRequest(records));
        self.transmit(i, &pkt);
    }

    /// CSUReXmtInterval passed for some records: re-send those not yet acknowledged, unless
    /// one has been re-sent the configured number of times: then "an 'abnormal event' has
    /// occurred at which point ... the HFSM associated with the DCS is transitioned to the
    /// Waiting State" (§2.3).
    pub(crate) fn on_csu_timer(&mut self, i: usize) {
        if !self.dcs[i].ca.state.allows_csu() {
            return;
        }
        let due = self.dcs[i].rexmt.take_due(self.now);
        let limit = self.dcs[i].cfg.params.rexmt_limit;
        if due.iter().any(|&(_, n)| n >= limit) {
            self.abnormal(i, super::events::Abnormal::RetransmitLimit);
            return;
        }
        self.dcs[i].counters.csa_retransmissions += due.len() as u64;
        for (id, _) in due {
            self.dcs[i].rexmt.retransmit(&id);
        }
    }
}
