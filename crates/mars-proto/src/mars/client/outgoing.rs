//! The transmit side: one outgoing point-to-multipoint VC per group (§5.1.3), its leaves
//! added and dropped as MARS_JOIN/LEAVE (MARS_SJOIN/SLEAVE for an MCS) arrive (§5.1.4.1 and
//! the host-side pseudo-code of Appendix A), failed adds retried (§5.1.3), leaf drops and
//! sequence jumps turned into revalidation (§5.1.5), MARS_MIGRATE (§5.1.6), and the idle
//! timer (§5.1.3, Appendix E).
//!
//! Datagrams sent while a group's VC is being set up wait in a bounded queue. The queue is
//! flushed once every leaf of the first set has been tried at least once and one is up —
//! RFC 2149 §4.2's rule for an MCS ("after it has opened it successfully with at least one
//! of the group members as a leaf, and after it has attempted to add all the group members
//! at least once"), used by the client too so that the first datagrams reach every member.

use crate::hash::Map;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use mars_wire::mars::GroupPair;
use mars_wire::{AtmAddress, ProtoAddr};

use super::endpoint::{Endpoint, Role, TimerKey};
use super::reassembly::Reassembly;
use super::report::{ClientEvent, Discard};
use crate::time::Instant;
use crate::vc::{Cause, PartyId, VcId, VcRequest};

/// Most JOIN/LEAVE updates remembered for a group while its MARS_MULTI is awaited; beyond
/// that the resolution is repeated.
const MAX_DELTAS: usize = 1024;

/// The state of one leaf of an outgoing VC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LeafState {
    /// L_MULTI_ADD sent, not answered.
    Adding,
    /// On the VC.
    Added,
    /// The add failed with cause 49, 51, 37 or 41: retried at this time (§5.1.3).
    Tagged(Instant),
}

/// One leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Leaf {
    pub party: PartyId,
    pub state: LeafState,
    /// The last retry delay (zero before the first failure); doubled at each failure.
    pub retry: Duration,
}

/// A MARS_REQUEST in progress for a group (§5.1.1), initial or a revalidation (§5.1.5).
#[derive(Debug, Clone)]
pub(crate) struct Resolution {
    /// Transmissions of the MARS_REQUEST so far.
    pub attempts: u32,
    /// The MARS_MULTI being reassembled.
    pub parts: Reassembly<AtmAddress>,
    /// Waiting for a registration before the request can be sent.
    pub deferred: bool,
    /// JOIN (true) and LEAVE updates seen meanwhile, reapplied over the reply in order.
    pub deltas: Vec<(bool, AtmAddress)>,
    /// Too many updates to remember: ask again when the reply is in.
    pub overflow: bool,
}

/// One group being sent to.
#[derive(Debug, Clone)]
pub(crate) struct OutGroup {
    /// The outgoing VC, once opened.
    pub vc: Option<VcId>,
    /// Its leaves (the set {ATM.1 … ATM.n}), by address.
    pub leaves: BTreeMap<AtmAddress, Leaf>,
    pub by_party: Map<PartyId, AtmAddress>,
    /// SDUs waiting for the VC.
    pub queue: VecDeque<Bytes>,
    pub resolving: Option<Resolution>,
    /// VC_revalidate (§5.1.5).
    pub revalidate: bool,
    /// The first set of leaves has been tried and one is up: data flows.
    pub ready: bool,
    pub last_used: Instant,
}

impl OutGroup {
    /// An empty entry created at `now`.
    pub(crate) fn new(now: Instant) -> Self {
        OutGroup {
            vc: None,
            leaves: BTreeMap::new(),
            by_party: Map::default(),
            queue: VecDeque::new(),
            resolving: None,
            revalidate: false,
            ready: false,
            last_used: now,
        }
    }
}

/// Whether an add that failed with `cause` is retried rather than dropped (§5.1.3: "If the
/// failure cause is not 49 ..., 51 ..., 37 ..., or 41 (Temporary failure), the endpoint's ATM
/// address is dropped").
fn retryable(cause: Cause) -> bool {
    matches!(cause.0, 49 | 51 | 37 | 41)
}

impl Endpoint {
    /// Send `sdu` to group `g` (§5.1). With `queue_new`, a group with no VC gets one and the
    /// SDU waits for it (a client); without, the SDU is dropped while the VC is resolved
    /// (an MCS, RFC 2149 §4.3: "MUST be silently dropped after following the guidelines").
    ///
    /// Returns whether the SDU was sent or queued.
    pub(crate) fn transmit_data(&mut self, g: ProtoAddr, sdu: Bytes, queue_new: bool) -> bool {
        let limit = self.cfg.queue_limit;
        if let Some(e) = self.groups.get_mut(&g) {
            if let (true, Some(vc)) = (e.ready, e.vc) {
                e.last_used = self.now;
                let start = e.revalidate && e.resolving.is_none();
                if start {
                    e.revalidate = false;
                }
                self.counters.data_tx += 1;
                self.request(VcRequest::Send { vc, sdu });
                // §5.1.5: "if the VC_revalidate flag is true then the packet is transmitted
                // and a new sequence of events is started locally".
                if start {
                    self.counters.revalidations += 1;
                    self.start_resolution(g);
                }
                return true;
            } else if e.queue.len() < limit {
                e.queue.push_back(sdu);
                return true;
            }
            self.discard(None, Discard::QueueFull(g));
            return false;
        }
        if self.holddown.contains_key(&g) || self.groups.len() >= self.cfg.max_out_vcs {
            self.discard(None, Discard::NoPath(g));
            return false;
        }
        let mut e = OutGroup::new(self.now);
        let queued = queue_new && limit > 0;
        if queued {
            e.queue.push_back(sdu);
        } else {
            self.discard(None, Discard::NoPath(g));
        }
        self.groups.insert(g, e);
        self.start_resolution(g);
        queued
    }

    /// Open the VC of `g` with `leaves` (L_MULTI_RQ then L_MULTI_ADDs, §5.1.3).
    pub(crate) fn open_vc(&mut self, g: ProtoAddr, leaves: &BTreeSet<AtmAddress>) {
        let vc = self.alloc_vc();
        self.request(VcRequest::OpenMultipoint { vc });
        self.out_vcs.insert(vc, g);
        let now = self.now;
        let e = self.groups.entry(g).or_insert_with(|| OutGroup::new(now));
        e.vc = Some(vc);
        e.ready = false;
        e.last_used = now;
        for a in leaves {
            self.add_party(g, *a);
        }
        if let (Role::Client, Some(idle)) = (self.role, self.cfg.timers.vc_idle) {
            self.timers.set(TimerKey::VcIdle(g), now + idle);
        }
    }

    fn add_party(&mut self, g: ProtoAddr, to: AtmAddress) {
        if to == self.cfg.address {
            return;
        }
        let party = self.alloc_party();
        let Some(e) = self.groups.get_mut(&g) else {
            return;
        };
        let Some(vc) = e.vc else { return };
        let retry = e.leaves.get(&to).map_or(Duration::ZERO, |l| l.retry);
        if let Some(old) = e.leaves.insert(
            to,
            Leaf {
                party,
                state: LeafState::Adding,
                retry,
            },
        ) {
            e.by_party.remove(&old.party);
        }
        e.by_party.insert(party, to);
        self.request(VcRequest::AddParty { vc, party, to });
    }

    /// Drop leaf `a` of `g` (L_MULTI_DROP); the VC closes with its last leaf (§5.1.4.1).
    fn drop_leaf(&mut self, g: ProtoAddr, a: &AtmAddress) {
        let Some(e) = self.groups.get_mut(&g) else {
            return;
        };
        let Some(leaf) = e.leaves.remove(a) else {
            return;
        };
        e.by_party.remove(&leaf.party);
        if let (Some(vc), LeafState::Adding | LeafState::Added) = (e.vc, leaf.state) {
            self.request(VcRequest::DropParty {
                vc,
                party: leaf.party,
                cause: Cause::NORMAL,
            });
        }
        self.counters.leaves_dropped += 1;
        self.after_leaf_change(g);
    }

    /// Close `g` if its VC has no leaf left, else flush its queue if it became ready.
    fn after_leaf_change(&mut self, g: ProtoAddr) {
        let Some(e) = self.groups.get(&g) else { return };
        if e.vc.is_some() && e.leaves.is_empty() && e.resolving.is_none() {
            // "When the last leaf of a VC is dropped, the VC is closed completely".
            return self.close_group(g, Some(Discard::SetupFailed(g)));
        }
        self.check_ready(g);
    }

    fn check_ready(&mut self, g: ProtoAddr) {
        let Some(e) = self.groups.get_mut(&g) else {
            return;
        };
        let Some(vc) = e.vc else { return };
        let adding = e.leaves.values().any(|l| l.state == LeafState::Adding);
        let added = e.leaves.values().any(|l| l.state == LeafState::Added);
        if e.ready || adding || !added {
            return;
        }
        e.ready = true;
        e.last_used = self.now;
        let queued: Vec<Bytes> = e.queue.drain(..).collect();
        for sdu in queued {
            self.counters.data_tx += 1;
            self.request(VcRequest::Send { vc, sdu });
        }
    }

    /// Forget `g`: release its VC and drop what waits for it (reported with `reason`).
    pub(crate) fn close_group(&mut self, g: ProtoAddr, reason: Option<Discard>) {
        let Some(e) = self.groups.remove(&g) else {
            return;
        };
        if let Some(vc) = e.vc {
            self.out_vcs.remove(&vc);
            self.request(VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            });
        }
        if let Some(r) = reason {
            for _ in 0..e.queue.len() {
                self.discard(None, r.clone());
            }
        }
        for k in [
            TimerKey::Resolve(g),
            TimerKey::Revalidate(g),
            TimerKey::VcIdle(g),
            TimerKey::LeafRetry(g),
        ] {
            self.timers.cancel(k);
        }
    }

    pub(crate) fn on_party_added(&mut self, vc: VcId, party: PartyId) {
        let Some(g) = self.out_vcs.get(&vc).copied() else {
            return;
        };
        let Some(e) = self.groups.get_mut(&g) else {
            return;
        };
        let Some(a) = e.by_party.get(&party).copied() else {
            return;
        };
        if let Some(l) = e.leaves.get_mut(&a) {
            l.state = LeafState::Added;
            l.retry = Duration::ZERO;
        }
        self.counters.leaves_added += 1;
        self.check_ready(g);
    }

    pub(crate) fn on_party_dropped(&mut self, vc: VcId, party: PartyId, cause: Cause) {
        let Some(g) = self.out_vcs.get(&vc).copied() else {
            return;
        };
        let Some(e) = self.groups.get_mut(&g) else {
            return;
        };
        let Some(a) = e.by_party.remove(&party) else {
            return;
        };
        let Some(leaf) = e.leaves.get(&a).copied() else {
            return;
        };
        match leaf.state {
            LeafState::Adding if retryable(cause) => {
                // §5.1.3: "reissued after a random delay of 5 to 10 seconds. If the request
                // fails again, another request should be issued after twice the previous
                // delay has elapsed."
                let delay = if leaf.retry.is_zero() {
                    self.random(self.cfg.timers.add_retry)
                } else {
                    leaf.retry.saturating_mul(2)
                };
                let at = self.now + delay;
                if let Some(l) = self.groups.get_mut(&g).and_then(|e| e.leaves.get_mut(&a)) {
                    l.state = LeafState::Tagged(at);
                    l.retry = delay;
                }
                self.timers.set_earliest(TimerKey::LeafRetry(g), at);
                self.check_ready(g);
            }
            LeafState::Added => {
                // §5.1.5.1: ERR_L_DROP — remove it, and "After a random period of time
                // between 1 and 10 seconds the VC_revalidate flag ... MUST be set true."
                e.leaves.remove(&a);
                self.counters.leaves_dropped += 1;
                self.schedule_revalidate(g);
                self.after_leaf_change(g);
            }
            _ => {
                e.leaves.remove(&a);
                self.counters.leaves_dropped += 1;
                self.after_leaf_change(g);
            }
        }
    }

    /// ERR_L_RELEASE on an outgoing VC: "the entire set ... is cleared and the VC is
    /// considered to be completely shut down" (§5.1.5.1).
    pub(crate) fn out_vc_released(&mut self, g: ProtoAddr) {
        if let Some(e) = self.groups.get_mut(&g) {
            if let Some(vc) = e.vc.take() {
                self.out_vcs.remove(&vc);
            }
        }
        self.close_group(g, Some(Discard::SetupFailed(g)));
    }

    pub(crate) fn on_leaf_retry(&mut self, g: ProtoAddr) {
        let now = self.now;
        let Some(e) = self.groups.get(&g) else { return };
        let due: Vec<AtmAddress> = e
            .leaves
            .iter()
            .filter(|(_, l)| matches!(l.state, LeafState::Tagged(at) if at <= now))
            .map(|(a, _)| *a)
            .collect();
        for a in due {
            self.add_party(g, a);
        }
        let next = self.groups.get(&g).and_then(|e| {
            e.leaves
                .values()
                .filter_map(|l| match l.state {
                    LeafState::Tagged(at) => Some(at),
                    _ => None,
                })
                .min()
        });
        if let Some(at) = next {
            self.timers.set(TimerKey::LeafRetry(g), at);
        }
    }

    /// Arm `g`'s revalidation at a random 1–10 s (§5.1.5) unless one is already due.
    fn schedule_revalidate(&mut self, g: ProtoAddr) {
        if self.timers.get(TimerKey::Revalidate(g)).is_some() {
            return;
        }
        let at = self.now + self.random(self.cfg.timers.revalidate_delay);
        self.timers.set(TimerKey::Revalidate(g), at);
    }

    /// Revalidate every open VC but `except` (§5.1.5.2, §5.4.1).
    pub(crate) fn revalidate_all(&mut self, except: Option<ProtoAddr>) {
        let gs: Vec<ProtoAddr> = self
            .groups
            .iter()
            .filter(|(g, e)| e.vc.is_some() && Some(**g) != except)
            .map(|(g, _)| *g)
            .collect();
        for g in gs {
            self.schedule_revalidate(g);
        }
    }

    pub(crate) fn on_revalidate_timer(&mut self, g: ProtoAddr) {
        if let Some(e) = self.groups.get_mut(&g) {
            if e.vc.is_some() {
                e.revalidate = true;
            }
        }
    }

    pub(crate) fn on_vc_idle(&mut self, g: ProtoAddr) {
        let (Some(idle), Some(e)) = (self.cfg.timers.vc_idle, self.groups.get(&g)) else {
            return;
        };
        let at = e.last_used + idle;
        if self.now >= at && e.resolving.is_none() {
            // §5.1.3: "If the timer expires, an L_RELEASE is issued for that VC".
            self.close_group(g, None);
        } else {
            let at = at.max(self.now + self.cfg.timers.request_interval);
            self.timers.set(TimerKey::VcIdle(g), at);
        }
    }

    /// A MARS_JOIN (`join`) or MARS_LEAVE from `source` covering `pairs` (Appendix A: walk
    /// the open VCs in ascending group order against the ascending pairs).
    pub(crate) fn apply_update(&mut self, join: bool, source: AtmAddress, pairs: &[GroupPair]) {
        if source == self.cfg.address {
            return;
        }
        for p in pairs {
            if p.min > p.max {
                continue;
            }
            let gs: Vec<ProtoAddr> = self.groups.range(p.min..=p.max).map(|(g, _)| *g).collect();
            for g in gs {
                self.update_group(g, join, source);
            }
            if join && self.role == Role::Mcs {
                self.mcs_new_member(p, source);
            }
        }
    }

    fn update_group(&mut self, g: ProtoAddr, join: bool, a: AtmAddress) {
        let Some(e) = self.groups.get_mut(&g) else {
            return;
        };
        if let Some(r) = e.resolving.as_mut() {
            if r.deltas.len() < MAX_DELTAS {
                r.deltas.push((join, a));
            } else {
                r.overflow = true;
            }
        }
        if e.vc.is_none() {
            return;
        }
        // §5.1.4.1: L_MULTI_ADD for a new member, L_MULTI_DROP for an old one.
        if join {
            if !e.leaves.contains_key(&a) {
                self.add_party(g, a);
            }
        } else {
            self.drop_leaf(g, &a);
        }
    }

    /// RFC 2149 §4.4: "An L_MULTI_RQ is issued for the new member for each of those refered
    /// groups which have no outgoing VCs."
    fn mcs_new_member(&mut self, p: &GroupPair, a: AtmAddress) {
        let served: Vec<ProtoAddr> = self
            .memberships
            .iter()
            .filter(|m| {
                m.state == super::membership::MemberState::Joined
                    && p.min <= m.range.0
                    && m.range.0 <= p.max
            })
            .map(|m| m.range.0)
            .collect();
        for g in served {
            if self.groups.contains_key(&g) {
                continue;
            }
            self.holddown.remove(&g);
            self.timers.cancel(TimerKey::Holddown(g));
            self.open_vc(g, &BTreeSet::from([a]));
        }
    }

    /// Make the leaves of `g`'s VC the set `want` (a completed resolution, §5.1.5).
    pub(crate) fn set_leaves(&mut self, g: ProtoAddr, want: &BTreeSet<AtmAddress>) {
        let Some(e) = self.groups.get(&g) else { return };
        if e.vc.is_none() {
            return self.open_vc(g, want);
        }
        let gone: Vec<AtmAddress> = e
            .leaves
            .keys()
            .filter(|a| !want.contains(a))
            .copied()
            .collect();
        let new: Vec<AtmAddress> = want
            .iter()
            .filter(|a| !e.leaves.contains_key(a))
            .copied()
            .collect();
        for a in new {
            self.add_party(g, a);
        }
        for a in gone {
            self.drop_leaf(g, &a);
        }
    }

    /// MARS_MIGRATE (§5.1.6): "Close down any existing outgoing VC associated with the group
    /// ... Establish a new outgoing VC for the specified group ... taking the set of ATM
    /// addresses supplied in the MARS_MIGRATE as the group's new set of members".
    ///
    /// Decision: only a group this endpoint is sending to (or resolving) is migrated;
    /// building VCs for groups it never sends to would be waste, and its next datagram
    /// resolves to the new set anyway.
    pub(crate) fn migrate(&mut self, g: ProtoAddr, targets: Vec<AtmAddress>) {
        let Some(mut e) = self.groups.remove(&g) else {
            return;
        };
        if let Some(vc) = e.vc.take() {
            self.out_vcs.remove(&vc);
            self.request(VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            });
        }
        self.timers.cancel(TimerKey::Resolve(g));
        self.timers.cancel(TimerKey::Revalidate(g));
        self.timers.cancel(TimerKey::LeafRetry(g));
        let me = self.cfg.address;
        let set: BTreeSet<AtmAddress> = targets.iter().copied().filter(|a| *a != me).collect();
        self.event(ClientEvent::Migrated {
            group: g,
            to: set.iter().copied().collect(),
        });
        if set.is_empty() {
            for _ in 0..e.queue.len() {
                self.discard(None, Discard::SetupFailed(g));
            }
            return;
        }
        let mut fresh = OutGroup::new(self.now);
        fresh.queue = std::mem::take(&mut e.queue);
        self.groups.insert(g, fresh);
        self.open_vc(g, &set);
    }
}
