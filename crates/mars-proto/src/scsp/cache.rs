//! The server cache SCSP synchronises, and the "more up to date" rule (RFC 2334 §2.4).
//!
//! An entry is identified by (Cache Key, Originator ID) — never by the key alone — and holds
//! the CSA Sequence Number and the Client/Server Protocol Specific Part of the newest CSA
//! record seen for it. Entries are kept in (key, originator) order so that Cache Summarize
//! (§2.2.2) can walk them with a cursor instead of copying the cache.
//!
//! # Purged entries
//! B.2.0.2 purges an entry with a CSA carrying sequence number 2^31−1 "which causes the cache
//! entry to be removed from other servers", after which the originator starts again at
//! −2^31+1. The cache keeps a purged entry for [`super::ScspConfig::tombstone_hold`] as a
//! *tombstone* (sequence 2^31−1, the purging record's part), so that:
//! - a purge arriving again is not "more up to date" and is not flooded again (in a ring it
//!   would otherwise circulate for ever);
//! - a DCS that aligns later learns the purge (tombstones are summarised in CA messages and
//!   answer CSUS);
//! - and the originator's fresh start at −2^31+1 still replaces it: in a CSU Request a record
//!   that is not a purge is more up to date than a tombstone (`Cache::csa_newness`).
//!
//! Summaries (CA, CSUS, CSU Reply) compare by sequence number alone
//! (`Cache::summary_newness`), so a tombstone outranks a stale pre-purge entry during
//! alignment.

use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;

use bytes::Bytes;
use mars_wire::scsp::{CacheKey, CsaRecord, CsasRecord, ScspId};
use mars_wire::CsaSeq;

use crate::time::Instant;

/// The identity of a cache entry (§2.4): Cache Key and Originator ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct EntryId {
    /// Cache Key.
    pub key: CacheKey,
    /// Originator ID.
    pub origin: ScspId,
}

impl EntryId {
    /// An entry identity.
    pub fn new(key: CacheKey, origin: ScspId) -> Self {
        EntryId { key, origin }
    }

    /// The identity a CSAS record summarises.
    pub fn of(csas: &CsasRecord) -> Self {
        EntryId::new(csas.cache_key.clone(), csas.originator_id.clone())
    }

    /// Octets of a stand-alone CSAS record for this entry.
    pub fn csas_len(&self) -> usize {
        mars_wire::scsp::CSAS_HEADER_LEN + self.key.len() + self.origin.len()
    }

    /// A stand-alone CSAS record (Hop Count 1) for this entry at `seq`.
    pub fn csas(&self, seq: CsaSeq) -> CsasRecord {
        CsasRecord::new(seq, self.key.clone(), self.origin.clone())
    }
}

/// Where the cached instance came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Originated by this server.
    Local,
    /// Learned from the DCS with this index.
    Dcs(usize),
}

/// One cache entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// CSA Sequence Number of the instance held.
    pub seq: CsaSeq,
    /// The Client/Server Protocol Specific Part.
    pub part: Bytes,
    /// Whether this is a tombstone left by a purge (then `seq` is 2^31−1 and `part` is the
    /// purging record's).
    pub purged: bool,
    /// When this instance entered the cache.
    pub updated_at: Instant,
    /// Where it came from.
    pub source: Source,
}

impl CacheEntry {
    /// The CSA record for this entry with Hop Count `hop`.
    pub fn csa(&self, id: &EntryId, hop: u16) -> CsaRecord {
        let mut s = id.csas(self.seq);
        s.hop_count = hop;
        CsaRecord::new(s, self.part.to_vec())
    }
}

/// The outcome of comparing a record with the cache (§2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Newness {
    /// The record is more up to date than the cache.
    Newer,
    /// The cache holds this very instance.
    Same,
    /// The cache holds a more up-to-date instance.
    Older,
}

impl From<Ordering> for Newness {
    fn from(o: Ordering) -> Self {
        match o {
            Ordering::Greater => Newness::Newer,
            Ordering::Equal => Newness::Same,
            Ordering::Less => Newness::Older,
        }
    }
}

/// The cache.
#[derive(Debug, Default)]
pub struct Cache {
    map: BTreeMap<EntryId, CacheEntry>,
    /// Tombstones in the order they were made (their hold is one constant, so this is also
    /// expiry order); stale rows (re-used ids) are skipped on expiry.
    tombstones: VecDeque<(Instant, EntryId)>,
    purged: usize,
}

impl Cache {
    /// The entry `id`, live or purged.
    pub fn get(&self, id: &EntryId) -> Option<&CacheEntry> {
        self.map.get(id)
    }

    /// Live entries (tombstones not counted).
    pub fn len(&self) -> usize {
        self.map.len() - self.purged
    }

    /// Whether there is no live entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries held, tombstones included (what counts against the cache limit).
    pub fn slots(&self) -> usize {
        self.map.len()
    }

    /// Tombstones held.
    pub fn tombstones(&self) -> usize {
        self.purged
    }

    /// Every entry, tombstones included, in (key, originator) order.
    pub fn iter(&self) -> impl Iterator<Item = (&EntryId, &CacheEntry)> {
        self.map.iter()
    }

    /// Entries after `cursor` (all when `None`), in order: the walk of Cache Summarize.
    pub(crate) fn after(
        &self,
        cursor: Option<&EntryId>,
    ) -> impl Iterator<Item = (&EntryId, &CacheEntry)> {
        let lower = match cursor {
            Some(c) => Bound::Excluded(c),
            None => Bound::Unbounded,
        };
        self.map.range((lower, Bound::Unbounded))
    }

    /// §2.4 for a CSA record received in a CSU Request: same key, same originator, larger
    /// sequence number; an entry the cache lacks is news. B.2.0.2's restart after a purge: a
    /// record that is not itself a purge replaces a tombstone whatever its number.
    pub(crate) fn csa_newness(&self, id: &EntryId, seq: CsaSeq, purge: bool) -> Newness {
        match self.map.get(id) {
            None => Newness::Newer,
            Some(e) if e.purged && !purge => Newness::Newer,
            Some(e) => seq.cmp(&e.seq).into(),
        }
    }

    /// §2.4 for a summary (CSAS record in a CA message or CSU Reply): by sequence number
    /// alone, a tombstone counting as 2^31−1.
    pub(crate) fn summary_newness(&self, id: &EntryId, seq: CsaSeq) -> Newness {
        match self.map.get(id) {
            None => Newness::Newer,
            Some(e) => seq.cmp(&e.seq).into(),
        }
    }

    /// Store `entry` under `id`; returns the entry it replaced.
    pub(crate) fn insert(&mut self, id: EntryId, entry: CacheEntry) -> Option<CacheEntry> {
        if entry.purged {
            self.purged += 1;
            self.tombstones.push_back((entry.updated_at, id.clone()));
        }
        let old = self.map.insert(id, entry);
        if old.as_ref().is_some_and(|o| o.purged) {
            self.purged -= 1;
        }
        old
    }

    /// Remove `id`; returns what it held.
    pub(crate) fn remove(&mut self, id: &EntryId) -> Option<CacheEntry> {
        let old = self.map.remove(id);
        if old.as_ref().is_some_and(|o| o.purged) {
            self.purged -= 1;
        }
        old
    }

    /// When the oldest tombstone expires.
    pub(crate) fn next_expiry(&self, hold: std::time::Duration) -> Option<Instant> {
        self.tombstones.front().map(|(t, _)| *t + hold)
    }

    /// Drop tombstones made `hold` or longer before `now`.
    pub(crate) fn expire_tombstones(&mut self, now: Instant, hold: std::time::Duration) {
        while let Some((t, _)) = self.tombstones.front() {
            if *t + hold > now {
                break;
            }
            let Some((t, id)) = self.tombstones.pop_front() else {
                break;
            };
            if self
                .map
                .get(&id)
                .is_some_and(|e| e.purged && e.updated_at == t)
            {
                self.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn id(k: u32, o: u32) -> EntryId {
        EntryId::new(CacheKey::from_u32(k), ScspId::from_u32(o))
    }

    fn entry(seq: i32, purged: bool, at: u64) -> CacheEntry {
        CacheEntry {
            seq: CsaSeq::new(seq).unwrap(),
            part: Bytes::new(),
            purged,
            updated_at: Instant::from_nanos(at),
            source: Source::Local,
        }
    }

    #[test]
    fn newness_is_per_key_and_originator() {
        // §2.4: all three of key, OID and a greater sequence number.
        let mut c = Cache::default();
        c.insert(id(1, 1), entry(5, false, 0));
        let s = |v| CsaSeq::new(v).unwrap();
        assert_eq!(c.csa_newness(&id(1, 1), s(6), false), Newness::Newer);
        assert_eq!(c.csa_newness(&id(1, 1), s(5), false), Newness::Same);
        assert_eq!(c.csa_newness(&id(1, 1), s(4), false), Newness::Older);
        // Another originator with the same key is another entry.
        assert_eq!(c.csa_newness(&id(1, 2), s(-100), false), Newness::Newer);
    }

    #[test]
    fn tombstones_stop_purges_but_not_restarts() {
        let mut c = Cache::default();
        c.insert(id(1, 1), entry(i32::MAX, true, 0));
        assert_eq!(c.len(), 0);
        assert_eq!(c.tombstones(), 1);
        assert_eq!(c.csa_newness(&id(1, 1), CsaSeq::PURGE, true), Newness::Same);
        assert_eq!(
            c.csa_newness(&id(1, 1), CsaSeq::FIRST, false),
            Newness::Newer
        );
        assert_eq!(c.summary_newness(&id(1, 1), CsaSeq::LAST), Newness::Older);
    }

    #[test]
    fn tombstones_expire_unless_replaced() {
        let mut c = Cache::default();
        let hold = Duration::from_nanos(10);
        c.insert(id(1, 1), entry(i32::MAX, true, 0));
        c.insert(id(2, 1), entry(i32::MAX, true, 5));
        c.insert(id(2, 1), entry(3, false, 6));
        assert_eq!(c.next_expiry(hold), Some(Instant::from_nanos(10)));
        c.expire_tombstones(Instant::from_nanos(20), hold);
        assert!(c.get(&id(1, 1)).is_none());
        assert_eq!(c.get(&id(2, 1)).map(|e| e.seq.get()), Some(3));
        assert_eq!((c.len(), c.tombstones(), c.slots()), (1, 0, 1));
    }

    #[test]
    fn cursor_walks_in_order() {
        let mut c = Cache::default();
        for k in [3, 1, 2] {
            c.insert(id(k, 9), entry(1, false, 0));
        }
        let after: Vec<_> = c.after(Some(&id(1, 9))).map(|(i, _)| i.clone()).collect();
        assert_eq!(after, vec![id(2, 9), id(3, 9)]);
    }
}
