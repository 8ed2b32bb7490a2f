//! The Cache State Update protocol (RFC 2334 §2.3, B.2.2, B.2.3).
//!
//! A CSU Request carries any number of CSA records, and every one of them is acknowledged (the
//! old HARP implementation acknowledged only the first): with its own CSAS record when it is
//! stored or already held, with the cached CSAS record when the cache holds a newer instance
//! ("it MUST do so by sending a CSU Reply message containing the CSAS Record portion of the CSA
//! Record stored in the cache"), and not at all when it cannot be processed for lack of room.
//! A record more up to date than the cache (§2.4) is stored and flooded to every other DCS
//! whose HFSM is Bidirectional — "except the one from which the CSA Record arrived".
//!
//! The "newer only" rule is what stops floods: a record reaching a server a second time (round
//! a ring, across a mesh) is not newer there and goes no further. The Hop Count is the safety
//! net: decremented at each server, a record reaching 0 is stored but not passed on, and one
//! arriving with 0 is discarded.
//!
//! # Hop count of solicited records (decision)
//! B.2.0.2: a CSA record sent in answer to a CSUS "SHOULD" carry Hop Count 1 — so, decremented,
//! it would go no further. But a record learned by alignment may be news to the other DCSs of
//! this LS (a partition healing between A and B must reach C, which is aligned with B and will
//! not realign). So this LS answers CSUS with Hop Count 1 as the RFC says, and floods a record
//! it *solicited* with its own configured hop count, as if it had become aware of a change.
//!
//! # Changes while a DCS aligns (decision)
//! A record is queued to every DCS whose HFSM is Bidirectional, but sent only once that DCS's
//! CAFSM is in Update Cache or Aligned (§2.3). A change made while the cache is being
//! summarised to a DCS would otherwise be lost to it when the summary cursor has passed it.

use mars_wire::scsp::{CsaRecord, CsasRecord};

use super::alignment::CaState;
use super::cache::{CacheEntry, EntryId, Newness, Source};
use super::client::ClientProtocol;
use super::events::{Discard, ScspEvent, WithdrawCause};
use super::hello::HelloState;
use super::retransmit::{Outgoing, ReplyOutcome};
use super::ScspEngine;

/// The Hop Count a flooded record goes out with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hop {
    /// Each DCS's configured hop count (records this LS originates or solicited).
    Configured,
    /// This value (the received Hop Count less one).
    Fixed(u16),
}

/// A stand-alone CSAS record acknowledging `r`.
pub(crate) fn ack_of(r: &CsasRecord) -> CsasRecord {
    let mut a = r.clone();
    a.hop_count = 1;
    a.unused = 0;
    a
}

impl<P: ClientProtocol> ScspEngine<P> {
    /// A CSU Request from DCS `i` (HFSM Bidirectional, sender and receiver checked, every
    /// record well formed).
    pub(crate) fn on_csu_request(&mut self, i: usize, records: &[CsaRecord]) {
        if !self.dcs[i].ca.state.allows_csu() {
            // §2.3: "An LS may send/receive a CSU to/from a DCS only when the corresponding
            // CAFSM is in either the Aligned State or the Update Cache State."
            return self.discard(Some(i), Discard::WrongState, Some("CSU Request".into()));
        }
        self.dcs[i].counters.csa_received += records.len() as u64;
        let mut csus_answered = false;
        for r in records {
            let s = &r.summary;
            if s.hop_count == 0 {
                self.discard(
                    Some(i),
                    Discard::HopCountZero,
                    Some(format!("CSA {}", s.cache_key)),
                );
                continue;
            }
            let id = EntryId::of(s);
            let (answered, solicited) = self.dcs[i].crl.answered(&id);
            csus_answered |= answered;
            if s.null {
                // A null record (N bit): the DCS no longer has what we solicited. "The DCS
                // which solicited the CSA record which no longer exists will still respond
                // with a CSU Reply."
                self.dcs[i].acks.push(ack_of(s));
                continue;
            }
            let purge = s.seq == mars_wire::CsaSeq::PURGE;
            // Implicit acknowledgement (§2.3).
            if let Some(rec) = self.dcs[i].rexmt.implicit_ack(&id, s.seq, purge) {
                self.acked(i, &id, &rec);
            }
            if id.origin == self.cfg.local_id {
                self.own_record_received(i, &id, r, solicited);
                continue;
            }
            match self.cache.csa_newness(&id, s.seq, purge) {
                Newness::Newer => {
                    if self.store(i, &id, r, solicited) {
                        self.dcs[i].counters.csa_newer += 1;
                        self.dcs[i].acks.push(ack_of(s));
                    }
                }
                Newness::Same => {
                    self.dcs[i].counters.csa_same += 1;
                    self.dcs[i].acks.push(ack_of(s));
                }
                Newness::Older => {
                    self.dcs[i].counters.csa_older += 1;
                    let cached = self.cache.get(&id).map(|e| id.csas(e.seq));
                    if let Some(c) = cached {
                        self.dcs[i].acks.push(c);
                    }
                }
            }
        }
        if csus_answered {
            self.csus_progress(i);
        }
    }

    /// Store a more up-to-date record from DCS `i` and flood it. Returns false when there is
    /// no room (the record is then not acknowledged, §2.3).
    pub(crate) fn store(&mut self, i: usize, id: &EntryId, r: &CsaRecord, solicited: bool) -> bool {
        let s = &r.summary;
        if self.cache.get(id).is_none() && self.cache.slots() >= self.cfg.max_cache_entries {
            self.discard(Some(i), Discard::NoRoom, Some("cache full".into()));
            return false;
        }
        let purge = s.seq == mars_wire::CsaSeq::PURGE;
        let entry = CacheEntry {
            seq: s.seq,
            part: bytes::Bytes::copy_from_slice(&r.protocol_specific),
            purged: purge,
            updated_at: self.now,
            source: Source::Dcs(i),
        };
        let part = entry.part.clone();
        let prev = self.cache.insert(id.clone(), entry);
        // The DCS has this instance: what is queued to it for the entry is superseded — an
        // older instance, or a purge when the DCS sends the restarted entry (it has been
        // through the purge, or never held the purged instance).
        let superseded =
            self.dcs[i]
                .rexmt
                .get(id)
                .is_some_and(|q| if q.purge { !purge } else { q.seq < s.seq });
        if superseded {
            self.dcs[i].rexmt.remove(id);
        }
        let prev_live = prev.filter(|p| !p.purged);
        if purge {
            if let Some(p) = prev_live {
                self.event(ScspEvent::Withdrawn {
                    key: id.key.clone(),
                    origin: id.origin.clone(),
                    seq: p.seq,
                    cause: WithdrawCause::Purged,
                });
            }
        } else {
            self.event(ScspEvent::Learned {
                key: id.key.clone(),
                origin: id.origin.clone(),
                seq: s.seq,
                part,
                previous: prev_live.map(|p| p.seq),
                from: i,
            });
        }
        let hop = if solicited {
            Hop::Configured
        } else {
            Hop::Fixed(s.hop_count - 1)
        };
        self.flood(id, Some(i), hop);
        true
    }

    /// Queue the cached instance of `id` to every DCS whose HFSM is Bidirectional, except
    /// `except` (§2.3).
    pub(crate) fn flood(&mut self, id: &EntryId, except: Option<usize>, hop: Hop) {
        if hop == Hop::Fixed(0) {
            return;
        }
        let Some(e) = self.cache.get(id) else {
            return;
        };
        let (seq, part, purge) = (e.seq, e.part.clone(), e.purged);
        let max = self.cfg.max_cache_entries;
        for j in 0..self.dcs.len() {
            if Some(j) == except || self.dcs[j].hello.state != HelloState::Bidirectional {
                continue;
            }
            debug_assert!(self.dcs[j].ca.state != CaState::Down);
            let hop = match hop {
                Hop::Configured => self.dcs[j].cfg.params.hop_count,
                Hop::Fixed(h) => h,
            };
            let q = &mut self.dcs[j].rexmt;
            if q.len() >= max && !q.contains(id) {
                self.discard(
                    Some(j),
                    Discard::NoRoom,
                    Some("retransmit queue full".into()),
                );
                continue;
            }
            let rec = Outgoing {
                seq,
                part: part.clone(),
                purge,
                null: false,
                hop,
            };
            if q.enqueue(id, rec) {
                self.dcs[j].counters.flooded += 1;
            }
        }
    }

    /// A CSU Reply from DCS `i`: match each CSAS record against the retransmit queue (§2.3).
    pub(crate) fn on_csu_reply(&mut self, i: usize, records: &[CsasRecord]) {
        if !self.dcs[i].ca.state.allows_csu() {
            return self.discard(Some(i), Discard::WrongState, Some("CSU Reply".into()));
        }
        let mut solicit = false;
        for r in records {
            let id = EntryId::of(r);
            match self.dcs[i].rexmt.on_reply(r) {
                ReplyOutcome::Acked(rec) => self.acked(i, &id, &rec),
                ReplyOutcome::DcsHasNewer => {
                    // Rule 2b: "a CSUS Message is sent to that DCS which sent the more
                    // up-to-date CSAS Record."
                    self.want(i, id, r.seq);
                    solicit = true;
                }
                ReplyOutcome::QueuedIsNewer | ReplyOutcome::NotQueued => {
                    self.discard(
                        Some(i),
                        Discard::StaleAck,
                        Some(format!("CSAS {}", r.cache_key)),
                    );
                }
            }
        }
        if solicit {
            self.solicit(i);
        }
    }

    /// DCS `i` acknowledged `rec` for `id` (explicitly or implicitly).
    fn acked(&mut self, i: usize, id: &EntryId, rec: &Outgoing) {
        if rec.purge && id.origin == self.cfg.local_id {
            self.purge_progress(i, id);
        }
    }
}
