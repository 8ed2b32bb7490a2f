//! Entries this LS originates, and their CSA Sequence Numbers (RFC 2334 B.2.0.2).
//!
//! - "An LS uses −2^31+1 the first time it originates a CSA Record for a cache entry that it
//!   created"; each change increments the number.
//! - At 2^31−2 the next change must first purge the entry from the server group: a CSA with
//!   sequence number 2^31−1 whose part the client protocol builds
//!   ([`super::ClientProtocol::purge_part`]). Once every DCS has acknowledged it (DCSs that go
//!   down stop being waited for), the entry restarts at −2^31+1 with the new content.
//! - After a restart, an entry found in the server group is numbered "the CSA Sequence Number
//!   associated with the existing cache entry ... plus a configured constant"; an entry not
//!   found starts at −2^31+1, or at the constant when [`super::ScspConfig::restarted`] says this
//!   engine knows it restarted ("zero if not"). The RFC picks that number "after the
//!   restarting LS's CAFSM has achieved the Aligned state"; an engine cannot tell a restart
//!   from a first start, so originations are held until the first CAFSM reaches Aligned (or
//!   [`super::ScspConfig::origination_hold`] passes). Otherwise a restarted server would reuse
//!   −2^31+1 for new content, and the group would keep the old content under the same number.
//! - An own-origin CSA that comes back newer than this LS's instance (its previous life's, seen
//!   after alignment) is answered by renumbering past it with the same rule and flooding the
//!   entry to every DCS — or, at the end of the number space, by a purge and a restart.
//! - An own-origin CSA for an entry this LS no longer originates is purged from the group or
//!   kept, as [`super::StaleOwnPolicy`] says.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use mars_wire::scsp::{CacheKey, CsaRecord, ScspId};
use mars_wire::CsaSeq;

use super::cache::{CacheEntry, EntryId, Newness, Source};
use super::client::ClientProtocol;
use super::config::StaleOwnPolicy;
use super::events::{ScspEvent, WithdrawCause};
use super::stats::OwnRow;
use super::update::Hop;
use super::{ScspEngine, ScspError};
use crate::time::Instant;

/// A purge of an own entry under way.
#[derive(Debug, Clone, Default)]
struct Purge {
    /// DCSs that have not acknowledged the purge yet.
    waiting: BTreeSet<usize>,
    /// The content to restart with at −2^31+1 once they have.
    then: Option<Bytes>,
}

#[derive(Debug, Clone)]
struct OwnEntry {
    seq: CsaSeq,
    part: Bytes,
    purge: Option<Purge>,
}

/// The entries this LS originated since it started.
#[derive(Debug, Default)]
pub(crate) struct OwnEntries {
    map: BTreeMap<CacheKey, OwnEntry>,
    /// Originations held until the first alignment (B.2.0.2), with their parts.
    held: BTreeMap<CacheKey, Bytes>,
    /// Whether originations go out at once (the hold is over).
    pub ready: bool,
}

impl OwnEntries {
    pub fn held_len(&self) -> usize {
        self.held.len()
    }

    /// The own entries whose purge still waits for DCS `i`'s acknowledgement.
    pub fn purges_waiting_on(&self, i: usize) -> Vec<CacheKey> {
        self.map
            .iter()
            .filter(|(_, o)| o.purge.as_ref().is_some_and(|p| p.waiting.contains(&i)))
            .map(|(k, _)| k.clone())
            .collect()
    }

    pub fn rows(&self) -> Vec<OwnRow> {
        self.map
            .iter()
            .map(|(k, o)| OwnRow {
                key: k.clone(),
                seq: o.seq,
                purge_waiting: o.purge.as_ref().map(|p| p.waiting.len()),
            })
            .collect()
    }
}

/// What [`ScspEngine::originate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origination {
    /// The entry went out with this sequence number.
    Sent(CsaSeq),
    /// The entry first has to be purged (its number reached 2^31−2, or a purge is under way);
    /// it goes out at −2^31+1 once every DCS has acknowledged the purge.
    AfterPurge,
    /// Held until the first CAFSM reaches Aligned (or the hold ends), then numbered by the
    /// restart rule (B.2.0.2) and sent; [`super::ScspEvent::OwnEntrySent`] reports it.
    Held,
}

impl<P: ClientProtocol> ScspEngine<P> {
    /// Originate or update the entry `key` of this LS with the Client/Server Protocol Specific
    /// Part `part`, and flood it to every DCS (§2.3: "as a result of a change of state being
    /// observed in a cached entry originated by the LS").
    pub fn originate(
        &mut self,
        now: Instant,
        key: CacheKey,
        part: impl Into<Bytes>,
    ) -> Result<Origination, ScspError> {
        self.now = now;
        let part = part.into();
        self.check_local(&key, &part)?;
        if !self.own.ready {
            self.own.held.insert(key, part);
            self.finish();
            return Ok(Origination::Held);
        }
        let r = self.originate_checked(key, part);
        self.finish();
        r
    }

    /// [`ScspEngine::originate`] for many entries at once: their CSA records are packed into
    /// as few CSU Requests as the MTU allows. One result per entry, in order.
    pub fn originate_many(
        &mut self,
        now: Instant,
        entries: impl IntoIterator<Item = (CacheKey, Bytes)>,
    ) -> Vec<Result<Origination, ScspError>> {
        self.now = now;
        let out = entries
            .into_iter()
            .map(|(key, part)| {
                self.check_local(&key, &part)?;
                if self.own.ready {
                    self.originate_checked(key, part)
                } else {
                    self.own.held.insert(key, part);
                    Ok(Origination::Held)
                }
            })
            .collect();
        self.finish();
        out
    }

    /// The origination hold is over (a CAFSM reached Aligned, or the hold time passed): the
    /// held originations go out, numbered with what the server group told this LS.
    pub(crate) fn release_held(&mut self) {
        if self.own.ready {
            return;
        }
        self.own.ready = true;
        self.timers.cancel(super::TimerKey::OriginationHold);
        for (key, part) in std::mem::take(&mut self.own.held) {
            if let Ok(Origination::Sent(seq)) = self.originate_checked(key.clone(), part) {
                self.event(ScspEvent::OwnEntrySent { key, seq });
            }
        }
    }

    /// Purge the entry `key` of this LS from the server group (B.2.0.2).
    pub fn purge(&mut self, now: Instant, key: &CacheKey) -> Result<(), ScspError> {
        self.now = now;
        if self.own.held.remove(key).is_some() {
            return Ok(());
        }
        match self.own.map.get(key) {
            None => return Err(ScspError::NotOwned),
            Some(o) if o.purge.is_some() => {}
            Some(_) => self.start_purge(key, None),
        }
        self.finish();
        Ok(())
    }

    /// Remove the entry (`key`, `origin`) from this LS's cache without telling anyone (e.g.
    /// RFC 2443 §5.1's flush of a dead server's entries). Returns whether it was there.
    pub fn remove_local(&mut self, now: Instant, key: &CacheKey, origin: &ScspId) -> bool {
        self.now = now;
        let r = self.remove_one(&EntryId::new(key.clone(), origin.clone()));
        self.finish();
        r
    }

    /// Remove every entry originated by `origin` from this LS's cache; returns how many.
    pub fn remove_local_by_origin(&mut self, now: Instant, origin: &ScspId) -> usize {
        self.now = now;
        let ids: Vec<EntryId> = self
            .cache
            .iter()
            .filter(|(id, _)| id.origin == *origin)
            .map(|(id, _)| id.clone())
            .collect();
        let n = ids.iter().filter(|id| self.remove_one(id)).count();
        self.finish();
        n
    }

    fn remove_one(&mut self, id: &EntryId) -> bool {
        let Some(e) = self.cache.remove(id) else {
            return false;
        };
        for d in &mut self.dcs {
            d.rexmt.remove(id);
        }
        if id.origin == self.cfg.local_id {
            self.own.map.remove(&id.key);
            self.own.held.remove(&id.key);
        }
        if !e.purged {
            self.event(ScspEvent::Withdrawn {
                key: id.key.clone(),
                origin: id.origin.clone(),
                seq: e.seq,
                cause: WithdrawCause::Flushed,
            });
        }
        true
    }

    /// The checks a local origination must pass.
    fn check_local(&self, key: &CacheKey, part: &[u8]) -> Result<(), ScspError> {
        if self
            .client
            .cache_key_len()
            .is_some_and(|n| usize::from(n) != key.len())
            || key.len() > usize::from(u8::MAX)
        {
            return Err(ScspError::KeyLength);
        }
        self.client
            .validate(key, &self.cfg.local_id, part)
            .map_err(ScspError::Invalid)?;
        let len = EntryId::new(key.clone(), self.cfg.local_id.clone()).csas_len() + part.len();
        let room = (0..self.dcs.len())
            .map(|i| self.budget(i, mars_wire::scsp::MessageType::CsuRequest))
            .min()
            .unwrap_or(usize::from(u16::MAX));
        if len > room.min(usize::from(u16::MAX)) {
            return Err(ScspError::TooLarge(len));
        }
        let id = EntryId::new(key.clone(), self.cfg.local_id.clone());
        if self.cache.get(&id).is_none() && self.cache.slots() >= self.cfg.max_cache_entries {
            return Err(ScspError::CacheFull);
        }
        Ok(())
    }

    fn originate_checked(&mut self, key: CacheKey, part: Bytes) -> Result<Origination, ScspError> {
        if let Some(o) = self.own.map.get_mut(&key) {
            if let Some(p) = &mut o.purge {
                p.then = Some(part);
                return Ok(Origination::AfterPurge);
            }
            return Ok(match o.seq.next() {
                Some(s) => {
                    self.set_own(&key, s, part);
                    Origination::Sent(s)
                }
                None => {
                    // "If it is ever the case that a given CSA Sequence Number has reached
                    // 2^31-2 and the associated cache entry has been modified such that an
                    // update must be sent ... then the given cache entry MUST first be purged"
                    self.start_purge(&key, Some(part));
                    Origination::AfterPurge
                }
            });
        }
        // The first origination of this key since this LS started.
        let id = EntryId::new(key.clone(), self.cfg.local_id.clone());
        let existing = self
            .cache
            .get(&id)
            .map(|e| (e.seq, e.purged, e.part.clone()));
        let seq = match existing {
            Some((seq, false, old)) if seq >= CsaSeq::LAST => {
                self.own.map.insert(
                    key.clone(),
                    OwnEntry {
                        seq,
                        part: old,
                        purge: None,
                    },
                );
                self.start_purge(&key, Some(part));
                return Ok(Origination::AfterPurge);
            }
            Some((seq, false, _)) => CsaSeq::after_restart(Some(seq), self.cfg.restart_seq_offset),
            // Nothing, or a tombstone: a fresh start (after a purge, at −2^31+1).
            Some((_, true, _)) => CsaSeq::FIRST,
            None if self.cfg.restarted => CsaSeq::after_restart(None, self.cfg.restart_seq_offset),
            None => CsaSeq::FIRST,
        };
        self.set_own(&key, seq, part);
        Ok(Origination::Sent(seq))
    }

    /// Make (`key`, LSID) = (`seq`, `part`) and flood it to every DCS.
    fn set_own(&mut self, key: &CacheKey, seq: CsaSeq, part: Bytes) {
        let id = EntryId::new(key.clone(), self.cfg.local_id.clone());
        self.own.map.insert(
            key.clone(),
            OwnEntry {
                seq,
                part: part.clone(),
                purge: None,
            },
        );
        self.cache.insert(
            id.clone(),
            CacheEntry {
                seq,
                part,
                purged: false,
                updated_at: self.now,
                source: Source::Local,
            },
        );
        self.flood(&id, None, Hop::Configured);
    }

    /// Purge the own entry `key` (B.2.0.2) and, when every DCS has acknowledged, restart it
    /// with `then` (or forget it).
    fn start_purge(&mut self, key: &CacheKey, then: Option<Bytes>) {
        let id = EntryId::new(key.clone(), self.cfg.local_id.clone());
        let current = match self.own.map.get(key) {
            Some(o) => o.part.clone(),
            None => self
                .cache
                .get(&id)
                .map(|e| e.part.clone())
                .unwrap_or_default(),
        };
        let part = Bytes::from(self.client.purge_part(key, &current));
        self.own.map.insert(
            key.clone(),
            OwnEntry {
                seq: CsaSeq::PURGE,
                part: current,
                purge: Some(Purge {
                    waiting: BTreeSet::new(),
                    then,
                }),
            },
        );
        self.cache.insert(
            id.clone(),
            CacheEntry {
                seq: CsaSeq::PURGE,
                part,
                purged: true,
                updated_at: self.now,
                source: Source::Local,
            },
        );
        self.event(ScspEvent::OwnEntryPurging { key: key.clone() });
        self.flood(&id, None, Hop::Configured);
        // "After the purging CSA Record has been acknowledged by each DCS ..."
        let waiting: BTreeSet<usize> = (0..self.dcs.len())
            .filter(|&j| self.dcs[j].rexmt.holds_purge(&id))
            .collect();
        let done = waiting.is_empty();
        if let Some(p) = self.own.map.get_mut(key).and_then(|o| o.purge.as_mut()) {
            p.waiting = waiting;
        }
        if done {
            self.finish_purge(key);
        }
    }

    /// DCS `i` acknowledged the purge of own entry `id`, or went down.
    pub(crate) fn purge_progress(&mut self, i: usize, id: &EntryId) {
        if id.origin != self.cfg.local_id {
            return;
        }
        let Some(p) = self.own.map.get_mut(&id.key).and_then(|o| o.purge.as_mut()) else {
            return;
        };
        p.waiting.remove(&i);
        if p.waiting.is_empty() {
            self.finish_purge(&id.key);
        }
    }

    fn finish_purge(&mut self, key: &CacheKey) {
        let then = self
            .own
            .map
            .get_mut(key)
            .and_then(|o| o.purge.take())
            .and_then(|p| p.then);
        match then {
            // "an LS will then send a new CSA Record carrying the updated information, and
            // this new CSA Record will carry a CSA Sequence Number of -2^31+1"
            Some(part) => {
                self.set_own(key, CsaSeq::FIRST, part);
                self.event(ScspEvent::OwnEntrySent {
                    key: key.clone(),
                    seq: CsaSeq::FIRST,
                });
            }
            None => {
                self.own.map.remove(key);
            }
        }
    }

    /// A CSA with this LS's own Originator ID arrived from DCS `i` in a CSU Request.
    pub(crate) fn own_record_received(
        &mut self,
        i: usize,
        id: &EntryId,
        r: &CsaRecord,
        solicited: bool,
    ) {
        let s = &r.summary;
        let purge = s.seq == CsaSeq::PURGE;
        let ack = super::update::ack_of(s);
        let Some(o) = self.own.map.get(&id.key) else {
            return self.stale_own_record(i, id, r, solicited);
        };
        if o.purge.is_some() {
            // Our purge is under way: the tombstone answers anything but the purge itself.
            let a = if purge { ack } else { id.csas(CsaSeq::PURGE) };
            self.dcs[i].acks.push(a);
            return;
        }
        let (old, part) = (o.seq, o.part.clone());
        match s.seq.cmp(&old) {
            core::cmp::Ordering::Equal => self.dcs[i].acks.push(ack),
            core::cmp::Ordering::Less => self.dcs[i].acks.push(id.csas(old)),
            core::cmp::Ordering::Greater => {
                self.dcs[i].acks.push(ack);
                if purge || s.seq >= CsaSeq::LAST {
                    self.start_purge(&id.key, Some(part));
                } else {
                    let new = CsaSeq::after_restart(Some(s.seq), self.cfg.restart_seq_offset);
                    self.event(ScspEvent::OwnEntryRenumbered {
                        key: id.key.clone(),
                        old,
                        found: s.seq,
                        new,
                    });
                    self.set_own(&id.key, new, part);
                }
            }
        }
    }

    /// An own-origin CSA for an entry this LS has not originated since it started.
    fn stale_own_record(&mut self, i: usize, id: &EntryId, r: &CsaRecord, solicited: bool) {
        let s = &r.summary;
        let purge = s.seq == CsaSeq::PURGE;
        match self.cache.csa_newness(id, s.seq, purge) {
            Newness::Same => return self.dcs[i].acks.push(super::update::ack_of(s)),
            Newness::Older => {
                let c = self.cache.get(id).map(|e| id.csas(e.seq));
                if let Some(c) = c {
                    self.dcs[i].acks.push(c);
                }
                return;
            }
            Newness::Newer => {}
        }
        // An entry whose origination is held: its old instance is what the restart rule
        // numbers past when the hold ends; keep it.
        let held = self.own.held.contains_key(&id.key);
        let policy = if held {
            StaleOwnPolicy::Accept
        } else {
            self.cfg.stale_own_entries
        };
        if purge || policy == StaleOwnPolicy::Accept {
            if self.store(i, id, r, solicited) {
                self.dcs[i].acks.push(super::update::ack_of(s));
            }
            if !purge && !held {
                self.event(ScspEvent::StaleOwnEntry {
                    key: id.key.clone(),
                    seq: s.seq,
                    action: policy,
                });
            }
            return;
        }
        self.dcs[i].acks.push(super::update::ack_of(s));
        self.event(ScspEvent::StaleOwnEntry {
            key: id.key.clone(),
            seq: s.seq,
            action: StaleOwnPolicy::Purge,
        });
        self.own.map.insert(
            id.key.clone(),
            OwnEntry {
                seq: s.seq,
                part: Bytes::copy_from_slice(&r.protocol_specific),
                purge: None,
            },
        );
        self.start_purge(&id.key, None);
    }
}
