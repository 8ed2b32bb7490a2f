//! The DCS retransmit queue (RFC 2334 §2.3).
//!
//! "A CSA Record instance is said to be on a 'DCS retransmit queue' when it is associated with
//! the previously mentioned timer. Only the most up-to-date CSA Record is permitted to be
//! queued to a given DCS retransmit queue." One queue per DCS holds at most one record per
//! cache entry, so it never outgrows the cache. Each record carries its own deadline (records
//! sent in one CSU Request share one, which is the RFC's per-message timer); a record that
//! times out is re-sent alone with the others still unacknowledged, and counts its
//! retransmissions against the limit.
//!
//! Records are *unsent* when just queued (or queued while the CAFSM is not yet in Update
//! Cache, §2.3: "An LS may send/receive a CSU to/from a DCS only when the corresponding CAFSM
//! is in either the Aligned State or the Update Cache State"); the engine packs unsent records
//! into CSU Requests up to the MTU.
//!
//! One refinement the RFC's purge needs: a purge (sequence 2^31−1) outranks every other
//! instance, and the originator's restart at −2^31+1 must not overtake it on the way to a DCS
//! that has not acknowledged the purge (the DCS would refuse the restart as older than what it
//! holds). So a non-purge record queued behind an unacknowledged purge waits as its
//! *follow-up* and is queued when the purge is acknowledged.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use mars_wire::scsp::{CsaRecord, CsasRecord};
use mars_wire::CsaSeq;

use super::cache::EntryId;
use crate::time::Instant;

/// A CSA record queued to a DCS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outgoing {
    /// CSA Sequence Number.
    pub seq: CsaSeq,
    /// Client/Server Protocol Specific Part.
    pub part: Bytes,
    /// A purge (sequence 2^31−1).
    pub purge: bool,
    /// A null record (N bit) answering a CSUS for an entry this LS does not have (§2.3).
    pub null: bool,
    /// Hop Count to send.
    pub hop: u16,
}

impl Outgoing {
    /// The CSA record for entry `id`.
    pub fn csa(&self, id: &EntryId) -> CsaRecord {
        let mut s = id.csas(self.seq);
        s.hop_count = self.hop;
        s.null = self.null;
        CsaRecord::new(s, self.part.to_vec())
    }

    /// Its encoded length.
    pub fn wire_len(&self, id: &EntryId) -> usize {
        id.csas_len() + self.part.len()
    }
}

#[derive(Debug, Clone)]
struct Queued {
    rec: Outgoing,
    follow_up: Option<Outgoing>,
    due: Option<(Instant, u64)>,
    rexmits: u32,
    unsent: bool,
}

/// What a CSAS record of a CSU Reply did to the queue (§2.3, the numbered rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReplyOutcome {
    /// Rule 1, exact match: the record is acknowledged and dequeued.
    Acked(Outgoing),
    /// Rule 2a: the queued record is newer; the reply is ignored.
    QueuedIsNewer,
    /// Rule 2b: the DCS has a newer instance; the record is dequeued and the DCS must be
    /// solicited (CSUS).
    DcsHasNewer,
    /// Nothing queued for that entry (a late or duplicate acknowledgement).
    NotQueued,
}

/// One DCS's retransmit queue.
#[derive(Debug, Default)]
pub(crate) struct RetransmitQueue {
    map: BTreeMap<EntryId, Queued>,
    unsent: VecDeque<EntryId>,
    timeline: BTreeMap<(Instant, u64), EntryId>,
    tick: u64,
    unsent_count: usize,
}

impl RetransmitQueue {
    /// Records queued.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Records queued but not yet sent.
    pub fn unsent_len(&self) -> usize {
        self.unsent_count
    }

    /// Whether `id` is queued.
    pub fn contains(&self, id: &EntryId) -> bool {
        self.map.contains_key(id)
    }

    /// Whether a purge of `id` is queued.
    pub fn holds_purge(&self, id: &EntryId) -> bool {
        self.map.get(id).is_some_and(|q| q.rec.purge)
    }

    /// The record queued for `id`.
    pub fn get(&self, id: &EntryId) -> Option<&Outgoing> {
        self.map.get(id).map(|q| &q.rec)
    }

    fn unschedule(timeline: &mut BTreeMap<(Instant, u64), EntryId>, q: &mut Queued) {
        if let Some(k) = q.due.take() {
            timeline.remove(&k);
        }
    }

    fn mark_unsent(&mut self, id: &EntryId) {
        if let Some(q) = self.map.get_mut(id) {
            Self::unschedule(&mut self.timeline, q);
            if !q.unsent {
                q.unsent = true;
                self.unsent_count += 1;
                self.unsent.push_back(id.clone());
            }
        }
    }

    /// Queue `rec` for `id`, keeping only the most up-to-date instance (§2.3). Returns whether
    /// the queue changed.
    pub fn enqueue(&mut self, id: &EntryId, rec: Outgoing) -> bool {
        let Some(q) = self.map.get_mut(id) else {
            self.map.insert(
                id.clone(),
                Queued {
                    rec,
                    follow_up: None,
                    due: None,
                    rexmits: 0,
                    unsent: true,
                },
            );
            self.unsent_count += 1;
            self.unsent.push_back(id.clone());
            return true;
        };
        let replace = match (q.rec.purge, rec.purge) {
            (true, true) => false,
            (false, true) => true,
            (true, false) => {
                let newer = match &q.follow_up {
                    Some(f) => rec.seq > f.seq,
                    None => true,
                };
                if newer {
                    q.follow_up = Some(rec);
                }
                return false;
            }
            (false, false) => {
                rec.seq > q.rec.seq || (rec.seq == q.rec.seq && q.rec.null && !rec.null)
            }
        };
        if !replace {
            return false;
        }
        // "the older CSA Record instance is dequeued and disassociated with its timer
        // immediately prior to enqueuing the newer instance"
        q.rec = rec;
        q.follow_up = None;
        q.rexmits = 0;
        self.mark_unsent(id);
        true
    }

    /// Queue `rec` as the answer to a CSUS: like [`Self::enqueue`], but an identical record
    /// already sent goes out again now (the DCS asked for it).
    pub fn enqueue_solicited(&mut self, id: &EntryId, rec: Outgoing) {
        let same = self
            .map
            .get(id)
            .is_some_and(|q| q.rec.seq == rec.seq && q.rec.null == rec.null);
        if same {
            self.mark_unsent(id);
        } else {
            self.enqueue(id, rec);
        }
    }

    /// The next unsent record's id, removed from the unsent list (call [`Self::mark_sent`] or
    /// [`Self::remove`] on it next).
    pub fn pop_unsent(&mut self) -> Option<EntryId> {
        while let Some(id) = self.unsent.pop_front() {
            if self.map.get(&id).is_some_and(|q| q.unsent) {
                return Some(id);
            }
        }
        None
    }

    /// Put `id` back at the head of the unsent list (it did not fit this message).
    pub fn push_front_unsent(&mut self, id: EntryId) {
        self.unsent.push_front(id);
    }

    /// `id` went out; it is due for retransmission at `due`.
    pub fn mark_sent(&mut self, id: &EntryId, due: Instant) {
        if let Some(q) = self.map.get_mut(id) {
            if q.unsent {
                q.unsent = false;
                self.unsent_count -= 1;
            }
            Self::unschedule(&mut self.timeline, q);
            self.tick += 1;
            q.due = Some((due, self.tick));
            self.timeline.insert((due, self.tick), id.clone());
        }
    }

    /// The earliest retransmission deadline.
    pub fn next_due(&self) -> Option<Instant> {
        self.timeline.keys().next().map(|&(t, _)| t)
    }

    /// Records whose deadline has passed, with the retransmissions each has had, in the order
    /// they were sent. They are no longer scheduled: re-send them with [`Self::retransmit`].
    pub fn take_due(&mut self, now: Instant) -> Vec<(EntryId, u32)> {
        let mut out = Vec::new();
        while let Some(entry) = self.timeline.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let id = entry.remove();
            if let Some(q) = self.map.get_mut(&id) {
                q.due = None;
                out.push((id, q.rexmits));
            }
        }
        out
    }

    /// Mark `id` for re-sending, counting one retransmission.
    pub fn retransmit(&mut self, id: &EntryId) {
        if let Some(q) = self.map.get_mut(id) {
            q.rexmits += 1;
        }
        self.mark_unsent(id);
    }

    /// Remove `id` and return its record; a follow-up takes its place.
    pub fn remove(&mut self, id: &EntryId) -> Option<Outgoing> {
        let mut q = self.map.remove(id)?;
        Self::unschedule(&mut self.timeline, &mut q);
        if q.unsent {
            self.unsent_count -= 1;
        }
        Some(q.rec)
    }

    /// Dequeue `id` as acknowledged: the follow-up, if any, is queued in its place.
    fn acknowledge(&mut self, id: &EntryId) -> Option<Outgoing> {
        let follow = self.map.get_mut(id).and_then(|q| q.follow_up.take());
        let rec = self.remove(id)?;
        if let Some(f) = follow {
            self.enqueue(id, f);
        }
        Some(rec)
    }

    /// Apply one CSAS record of a CSU Reply (§2.3 rules 1, 2a, 2b).
    pub fn on_reply(&mut self, csas: &CsasRecord) -> ReplyOutcome {
        let id = EntryId::of(csas);
        let Some(q) = self.map.get(&id) else {
            return ReplyOutcome::NotQueued;
        };
        match csas.seq.cmp(&q.rec.seq) {
            core::cmp::Ordering::Equal => match self.acknowledge(&id) {
                Some(rec) => ReplyOutcome::Acked(rec),
                None => ReplyOutcome::NotQueued,
            },
            core::cmp::Ordering::Less => ReplyOutcome::QueuedIsNewer,
            core::cmp::Ordering::Greater => {
                self.remove(&id);
                ReplyOutcome::DcsHasNewer
            }
        }
    }

    /// Implicit acknowledgement (§2.3): the DCS sent us the very instance queued to it.
    pub fn implicit_ack(&mut self, id: &EntryId, seq: CsaSeq, purge: bool) -> Option<Outgoing> {
        let q = self.map.get(id)?;
        if q.rec.seq == seq && q.rec.purge == purge && !q.rec.null {
            self.acknowledge(id)
        } else {
            None
        }
    }

    /// Stop every timer and mark every record unsent, in the order they were sent: the
    /// CAFSM went back to negotiation and will send them after Update Cache.
    pub fn hold_all(&mut self) {
        let sent: Vec<EntryId> = std::mem::take(&mut self.timeline).into_values().collect();
        for id in sent {
            if let Some(q) = self.map.get_mut(&id) {
                q.due = None;
                q.rexmits = 0;
            }
            self.mark_unsent(&id);
        }
    }

    /// Empty the queue; returns the ids of the purges it held.
    pub fn clear(&mut self) -> Vec<EntryId> {
        let purges = self
            .map
            .iter()
            .filter(|(_, q)| q.rec.purge)
            .map(|(id, _)| id.clone())
            .collect();
        *self = RetransmitQueue::default();
        purges
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mars_wire::scsp::{CacheKey, ScspId};

    fn id(k: u32) -> EntryId {
        EntryId::new(CacheKey::from_u32(k), ScspId::from_u32(1))
    }

    fn rec(seq: i32) -> Outgoing {
        Outgoing {
            seq: CsaSeq::new(seq).unwrap(),
            part: Bytes::new(),
            purge: seq == i32::MAX,
            null: false,
            hop: 4,
        }
    }

    fn csas(k: u32, seq: i32) -> CsasRecord {
        id(k).csas(CsaSeq::new(seq).unwrap())
    }

    #[test]
    fn only_the_newest_instance_is_queued() {
        let mut q = RetransmitQueue::default();
        assert!(q.enqueue(&id(1), rec(5)));
        assert!(!q.enqueue(&id(1), rec(4)), "older is not queued");
        assert!(!q.enqueue(&id(1), rec(5)), "same is not queued again");
        let sent = q.pop_unsent().unwrap();
        q.mark_sent(&sent, Instant::from_nanos(10));
        assert!(
            q.enqueue(&id(1), rec(6)),
            "newer replaces and is unsent again"
        );
        assert_eq!(q.len(), 1);
        assert_eq!(q.unsent_len(), 1);
        assert_eq!(q.next_due(), None, "the older instance lost its timer");
        assert_eq!(q.get(&id(1)).unwrap().seq.get(), 6);
    }

    #[test]
    fn reply_rules() {
        let mut q = RetransmitQueue::default();
        q.enqueue(&id(1), rec(5));
        q.enqueue(&id(2), rec(5));
        q.enqueue(&id(3), rec(5));
        assert_eq!(q.on_reply(&csas(1, 5)), ReplyOutcome::Acked(rec(5)));
        assert_eq!(q.on_reply(&csas(2, 4)), ReplyOutcome::QueuedIsNewer);
        assert_eq!(q.on_reply(&csas(3, 6)), ReplyOutcome::DcsHasNewer);
        assert_eq!(q.on_reply(&csas(9, 6)), ReplyOutcome::NotQueued);
        assert_eq!(q.len(), 1);
        assert!(q.contains(&id(2)));
    }

    #[test]
    fn restart_waits_behind_purge() {
        let mut q = RetransmitQueue::default();
        q.enqueue(&id(1), rec(i32::MAX));
        assert!(!q.enqueue(&id(1), rec(i32::MIN + 1)));
        assert!(q.holds_purge(&id(1)));
        assert!(q.implicit_ack(&id(1), CsaSeq::PURGE, true).is_some());
        assert_eq!(q.get(&id(1)).unwrap().seq, CsaSeq::FIRST);
        assert_eq!(q.unsent_len(), 1);
    }

    #[test]
    fn timeouts_count_retransmissions() {
        let mut q = RetransmitQueue::default();
        q.enqueue(&id(1), rec(1));
        q.enqueue(&id(2), rec(1));
        for _ in 0..2 {
            let i = q.pop_unsent().unwrap();
            q.mark_sent(&i, Instant::from_nanos(5));
        }
        assert_eq!(q.take_due(Instant::from_nanos(4)), vec![]);
        let due = q.take_due(Instant::from_nanos(5));
        assert_eq!(due, vec![(id(1), 0), (id(2), 0)]);
        q.retransmit(&id(1));
        let i = q.pop_unsent().unwrap();
        q.mark_sent(&i, Instant::from_nanos(9));
        assert_eq!(q.take_due(Instant::from_nanos(9)), vec![(id(1), 1)]);
    }

    #[test]
    fn hold_all_unschedules_in_send_order() {
        let mut q = RetransmitQueue::default();
        for k in [3, 1, 2] {
            q.enqueue(&id(k), rec(1));
            let i = q.pop_unsent().unwrap();
            q.mark_sent(&i, Instant::from_nanos(5));
        }
        q.hold_all();
        assert_eq!(q.next_due(), None);
        let order: Vec<_> = std::iter::from_fn(|| q.pop_unsent()).collect();
        assert_eq!(order, vec![id(3), id(1), id(2)]);
        assert_eq!(q.clear(), Vec::<EntryId>::new());
    }
}
