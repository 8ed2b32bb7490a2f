//! The CSA Request List and CSU Solicit messages (RFC 2334 §2.2.2.1, §2.2.3, §2.2.4, B.2.4).
//!
//! The CRL lists the entries a DCS holds more up to date than this LS. At most one CSUS is
//! outstanding per DCS; when CSUSReXmtInterval passes before every solicited CSA came, a new
//! CSUS carries the unanswered summaries plus more from the CRL; once every solicited record
//! came, the next CSUS carries only new ones; when the CRL is empty in Update Cache, the CAFSM
//! reaches Aligned. CSU Replies announcing a newer instance (§2.3 rule 2b) feed the same list
//! in any state.
//!
//! The CRL is bounded by [`super::ScspConfig::max_cache_entries`]. A CSUS retransmitted
//! [`super::DcsParams::rexmt_limit`] times without a single answer is an abnormal event
//! (decision: §2.2.3 sets no limit; without one a DCS that never answers would hold the CAFSM
//! in Update Cache for ever while its Hellos keep the HFSM up).

use std::collections::BTreeMap;

use bytes::Bytes;
use mars_wire::scsp::{CsasRecord, MessageType, ScspBody, ScspPacket};
use mars_wire::CsaSeq;

use super::alignment::CaState;
use super::cache::{Cache, EntryId, Newness};
use super::client::ClientProtocol;
use super::events::{Abnormal, Discard};
use super::retransmit::Outgoing;
use super::{DcsTimer, ScspEngine};

/// The CSA Request List of one DCS.
#[derive(Debug, Default)]
pub(crate) struct Crl {
    /// Wanted, not yet solicited: entry → the sequence number the DCS announced.
    pending: BTreeMap<EntryId, CsaSeq>,
    /// Solicited by the CSUS in flight, not yet answered.
    outstanding: BTreeMap<EntryId, CsaSeq>,
    /// Consecutive CSUS retransmissions without an answer.
    pub rexmits: u32,
}

impl Crl {
    /// Entries listed, outstanding included.
    pub fn len(&self) -> usize {
        self.pending.len() + self.outstanding.len()
    }

    /// Entries in the CSUS in flight.
    pub fn outstanding_len(&self) -> usize {
        self.outstanding.len()
    }

    /// Empty the list.
    pub fn clear(&mut self) {
        *self = Crl::default();
    }

    /// Want `id` at `seq` or newer. Returns false if the list is full.
    pub fn want(&mut self, id: EntryId, seq: CsaSeq, max: usize) -> bool {
        if let Some(s) = self.outstanding.get_mut(&id) {
            *s = (*s).max(seq);
            return true;
        }
        if let Some(s) = self.pending.get_mut(&id) {
            *s = (*s).max(seq);
            return true;
        }
        if self.len() >= max {
            return false;
        }
        self.pending.insert(id, seq);
        true
    }

    /// A CSA (or null record) for `id` came from the DCS. Returns whether it answered the CSUS
    /// in flight, and whether it was on the list at all.
    pub fn answered(&mut self, id: &EntryId) -> (bool, bool) {
        if self.outstanding.remove(id).is_some() {
            self.rexmits = 0;
            return (true, true);
        }
        (false, self.pending.remove(id).is_some())
    }

    /// The records of the next CSUS: every unanswered one, then new ones while they fit in
    /// `budget` octets. Pending entries the cache has caught up with meanwhile are dropped.
    fn next_csus(&mut self, budget: usize, cache: &Cache) -> Vec<CsasRecord> {
        let mut out: Vec<CsasRecord> = Vec::new();
        let mut used = 0;
        for (id, seq) in &self.outstanding {
            used += id.csas_len();
            out.push(id.csas(*seq));
        }
        while let Some(entry) = self.pending.first_entry() {
            let (id, seq) = (entry.key(), *entry.get());
            if cache.summary_newness(id, seq) != Newness::Newer {
                entry.remove();
                continue;
            }
            let len = id.csas_len();
            if used + len > budget || out.len() == usize::from(u16::MAX) {
                break;
            }
            used += len;
            out.push(id.csas(seq));
            let (id, seq) = entry.remove_entry();
            self.outstanding.insert(id, seq);
        }
        out
    }
}

impl<P: ClientProtocol> ScspEngine<P> {
    /// Put `id` on the CRL of DCS `i`.
    pub(crate) fn want(&mut self, i: usize, id: EntryId, seq: CsaSeq) {
        let max = self.cfg.max_cache_entries;
        if !self.dcs[i].crl.want(id, seq, max) {
            self.discard(
                Some(i),
                Discard::NoRoom,
                Some("CSA Request List full".into()),
            );
        }
    }

    /// Send the next CSUS to DCS `i` unless one is outstanding; in Update Cache with nothing
    /// left to solicit, move to Aligned.
    pub(crate) fn solicit(&mut self, i: usize) {
        if self.dcs[i].crl.outstanding_len() > 0 || !self.dcs[i].ca.state.allows_csu() {
            return;
        }
        self.send_csus(i);
        if self.dcs[i].crl.outstanding_len() == 0 {
            self.disarm(i, DcsTimer::CsusRexmt);
            // §2.2.3: "When the LS has a completely updated cache then the LS transitions CAFSM
            // associated with the DCS to the Aligned State."
            self.enter_aligned(i);
        }
    }

    /// Build and send a CSUS from the CRL (nothing when there is nothing to solicit).
    fn send_csus(&mut self, i: usize) {
        let budget = self.budget(i, MessageType::Csus);
        let records = self.dcs[i].crl.next_csus(budget, &self.cache);
        if records.is_empty() {
            return;
        }
        self.dcs[i].counters.csus_records_sent += records.len() as u64;
        let pkt = ScspPacket::new(self.common_part(i), ScspBody::Csus(records));
        self.transmit(i, &pkt);
        // "Just before the first CSUS message is sent ... a timer is set to CSUSReXmtInterval"
        let at = self.now + self.dcs[i].cfg.params.csus_rexmt_interval;
        self.arm(i, DcsTimer::CsusRexmt, at);
    }

    /// CSUSReXmtInterval passed with solicited records still missing: a new CSUS "which
    /// contains all the CSAS records for which no appropriate CSA record has been received
    /// plus additional CSAS records not covered in the previous CSUS message".
    pub(crate) fn on_csus_timer(&mut self, i: usize) {
        let d = &self.dcs[i];
        if d.crl.outstanding_len() == 0 || !d.ca.state.allows_csu() {
            return;
        }
        if d.crl.rexmits >= d.cfg.params.rexmt_limit {
            self.abnormal(i, Abnormal::CsusUnanswered);
            return;
        }
        let d = &mut self.dcs[i];
        d.crl.rexmits += 1;
        d.counters.csus_retransmissions += 1;
        self.send_csus(i);
    }

    /// Records of a CSU Request from DCS `i` answered the CSUS in flight: when it is fully
    /// answered, stop its timer and go on.
    pub(crate) fn csus_progress(&mut self, i: usize) {
        if self.dcs[i].crl.outstanding_len() == 0 {
            self.disarm(i, DcsTimer::CsusRexmt);
            self.solicit(i);
        }
    }

    /// A CSUS from DCS `i` (§2.2.3, §2.2.4): answer every summary with the cached CSA record
    /// (Hop Count 1, B.2.0.2), or with a null record (N bit) when the entry is gone (§2.3).
    pub(crate) fn on_csus(&mut self, i: usize, records: &[CsasRecord]) {
        if !self.dcs[i].ca.state.allows_csu() {
            self.discard(Some(i), Discard::WrongState, Some("CSUS".into()));
            return;
        }
        // §2.2.2 note: "If either the timer expires or the LS receives a CSU Solicit (CSUS)
        // message ... from the DCS then the LS releases the copy of the CA message."
        self.release_kept_ca(i);
        let max = self.cfg.max_cache_entries;
        for r in records {
            let id = EntryId::of(r);
            let rec = match self.cache.get(&id) {
                Some(e) => Outgoing {
                    seq: e.seq,
                    part: e.part.clone(),
                    purge: e.purged,
                    null: false,
                    hop: 1,
                },
                // "the LS will respond by copying the CSAS Record from the CSUS message into a
                // CSU Request message and the LS will set the N bit"
                None => Outgoing {
                    seq: r.seq,
                    part: Bytes::new(),
                    purge: false,
                    null: true,
                    hop: 1,
                },
            };
            let q = &mut self.dcs[i].rexmt;
            if q.len() >= max && !q.contains(&id) {
                self.discard(
                    Some(i),
                    Discard::NoRoom,
                    Some("retransmit queue full".into()),
                );
                continue;
            }
            q.enqueue_solicited(&id, rec);
        }
        debug_assert!(self.dcs[i].ca.state != CaState::Down);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mars_wire::scsp::{CacheKey, ScspId};

    fn id(k: u32) -> EntryId {
        EntryId::new(CacheKey::from_u32(k), ScspId::from_u32(1))
    }

    #[test]
    fn one_csus_outstanding_then_the_rest() {
        let mut crl = Crl::default();
        for k in 0..10 {
            assert!(crl.want(id(k), CsaSeq::FIRST, 100));
        }
        let cache = Cache::default();
        // Each CSAS is 20 octets: room for 4.
        let first = crl.next_csus(80, &cache);
        assert_eq!(first.len(), 4);
        assert_eq!(crl.outstanding_len(), 4);
        assert_eq!(crl.answered(&id(0)), (true, true));
        assert_eq!(
            crl.answered(&id(9)),
            (false, true),
            "answered before solicited"
        );
        // A retransmission carries the 3 unanswered plus one more.
        let again = crl.next_csus(80, &cache);
        assert_eq!(again.len(), 4);
        assert_eq!(again[0].cache_key, CacheKey::from_u32(1));
        assert_eq!(crl.len(), 8);
    }

    #[test]
    fn bounded() {
        let mut crl = Crl::default();
        assert!(crl.want(id(1), CsaSeq::FIRST, 1));
        assert!(!crl.want(id(2), CsaSeq::FIRST, 1));
        assert!(
            crl.want(id(1), CsaSeq::LAST, 1),
            "raising a listed entry is fine"
        );
    }
}
