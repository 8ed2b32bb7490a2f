//! Resolution of a group to its leaves: MARS_REQUEST, the multi-part MARS_MULTI and MARS_NAK
//! (§5.1.1, §5.1.2, RFC 2149 §4.2), the NAK hold-down, and MARS_GROUPLIST_REQUEST/REPLY
//! (§5.3).

use std::collections::BTreeSet;

use mars_wire::mars::{Flags, GroupListReply, Join, MarsBody, Multi, Request};
use mars_wire::{AtmAddress, ProtoAddr};

use super::endpoint::{Endpoint, TimerKey};
use super::outgoing::{OutGroup, Resolution};
use super::reassembly::{Reassembly, Step};
use super::report::{ClientEvent, Discard, FailureReason};
use crate::mars::range::Range;
use crate::vc::VcId;

impl Endpoint {
    /// Start resolving `g` (a new VC, or a revalidation of an open one, §5.1.5).
    pub(crate) fn start_resolution(&mut self, g: ProtoAddr) {
        let now = self.now;
        let max = self.cfg.max_targets;
        let e = self.groups.entry(g).or_insert_with(|| OutGroup::new(now));
        e.resolving = Some(Resolution {
            attempts: 0,
            parts: Reassembly::new(max),
            deferred: true,
            deltas: Vec::new(),
            overflow: false,
        });
        if self.session.registered() {
            self.send_request(g);
        }
    }

    /// (Re)send the MARS_REQUEST for `g`.
    fn send_request(&mut self, g: ProtoAddr) {
        let max = self.cfg.max_targets;
        let Some(r) = self.groups.get_mut(&g).and_then(|e| e.resolving.as_mut()) else {
            return;
        };
        r.deferred = false;
        r.attempts += 1;
        r.parts = Reassembly::new(max);
        // §5.1.2: "The multicast address being resolved is placed into the target protocol
        // address field (mar$tpa), and the target hardware address is set to null".
        let req = Request::new(self.cfg.address, self.cfg.protocol_address, g);
        self.counters.tx_req += 1;
        let m = self.message(MarsBody::Request(req));
        self.send_to_mars(m);
        let at = self.now + self.cfg.timers.request_interval;
        self.timers.set(TimerKey::Resolve(g), at);
    }

    pub(crate) fn on_resolve_timer(&mut self, g: ProtoAddr) {
        let Some(r) = self.groups.get(&g).and_then(|e| e.resolving.as_ref()) else {
            return;
        };
        let (deferred, started, attempts) = (r.deferred, r.parts.started(), r.attempts);
        if deferred {
            return;
        }
        if started {
            // §5.1.1: "A timer MUST be implemented to flag the failure of the last
            // MARS_MULTI to arrive ... If a timeout occurs, the host MUST discard all
            // results, and repeat the MARS_REQUEST."
            self.counters.fail_multi += 1;
            self.discard(
                None,
                Discard::Reassembly(super::report::ReassemblyError::Timeout),
            );
        }
        if attempts > self.cfg.timers.request_limit {
            // §5.4: "MARS_REQUESTs fail".
            return self.mars_failed(FailureReason::RequestLimit);
        }
        self.send_request(g);
    }

    /// Park every resolution until the next registration (the MARS failed).
    pub(crate) fn defer_requests(&mut self) {
        let max = self.cfg.max_targets;
        let gs: Vec<ProtoAddr> = self
            .groups
            .iter_mut()
            .filter_map(|(g, e)| {
                let r = e.resolving.as_mut()?;
                r.deferred = true;
                r.attempts = 0;
                r.parts = Reassembly::new(max);
                Some(*g)
            })
            .collect();
        for g in gs {
            self.timers.cancel(TimerKey::Resolve(g));
        }
    }

    /// Send the requests parked while unregistered.
    pub(crate) fn send_deferred_requests(&mut self) {
        let gs: Vec<ProtoAddr> = self
            .groups
            .iter()
            .filter(|(_, e)| e.resolving.as_ref().is_some_and(|r| r.deferred))
            .map(|(g, _)| *g)
            .collect();
        for g in gs {
            self.send_request(g);
        }
    }

    /// One MARS_MULTI part.
    pub(crate) fn on_multi(&mut self, vc: VcId, m: Multi) {
        self.counters.rx_multi += 1;
        // §5.1.2: "MARS clients use the source address fields to identify their own
        // messages coming back".
        if m.source != self.cfg.address {
            return self.discard(Some(vc), Discard::NotForUs);
        }
        let g = m.tpa;
        let Some(r) = self.groups.get_mut(&g).and_then(|e| e.resolving.as_mut()) else {
            return self.discard(Some(vc), Discard::Unsolicited);
        };
        if r.deferred {
            return self.discard(Some(vc), Discard::Unsolicited);
        }
        match r.parts.part(m.seqxy, m.msn, m.targets) {
            Step::More => {
                let at = self.now + self.cfg.timers.multi_part_timeout;
                self.timers.set(TimerKey::Resolve(g), at);
            }
            Step::Failed(e) => {
                // §5.1.1: "wait for the MARS_MULTI(1,k), discard all results, and repeat".
                self.discard(Some(vc), Discard::Reassembly(e));
                self.send_request(g);
            }
            Step::Done { items, msn } => {
                self.timers.cancel(TimerKey::Resolve(g));
                // §5.1.4.2: the MSN of a MARS_MULTI counts once all parts are in; a jump
                // revalidates every VC "EXCEPT the one just established" (§5.1.5.2).
                self.track_msn(msn, Some(g));
                self.resolved(g, items);
            }
        }
    }

    /// A completed resolution of `g` to `targets`.
    fn resolved(&mut self, g: ProtoAddr, targets: Vec<AtmAddress>) {
        let Some(r) = self.groups.get_mut(&g).and_then(|e| e.resolving.take()) else {
            return;
        };
        let mut set: BTreeSet<AtmAddress> = targets.into_iter().collect();
        for (join, a) in &r.deltas {
            if *join {
                set.insert(*a);
            } else {
                set.remove(a);
            }
        }
        set.remove(&self.cfg.address);
        if set.is_empty() {
            // §5.1.1: "returns a MARS_MULTI with the client as the only member".
            return self.group_empty(g);
        }
        if let Some(e) = self.groups.get_mut(&g) {
            e.revalidate = false;
        }
        self.event(ClientEvent::Resolved {
            group: g,
            leaves: set.len(),
        });
        self.set_leaves(g, &set);
        if r.overflow {
            self.start_resolution(g);
        }
    }

    /// MARS_NAK: "No mapping found, group is empty" (§5.1).
    pub(crate) fn on_nak(&mut self, vc: VcId, req: Request) {
        self.counters.rx_nak += 1;
        if req.source != self.cfg.address {
            return self.discard(Some(vc), Discard::NotForUs);
        }
        let g = req.tpa;
        if self.groups.get(&g).is_none_or(|e| e.resolving.is_none()) {
            return self.discard(Some(vc), Discard::Unsolicited);
        }
        self.group_empty(g);
    }

    /// Nobody else is in `g`: drop its VC and datagrams ("the IP packet MUST be discarded
    /// silently") and hold new requests off for 5–10 s (§5.1.1).
    fn group_empty(&mut self, g: ProtoAddr) {
        self.close_group(g, Some(Discard::NoPath(g)));
        let until = self.now + self.random(self.cfg.timers.nak_holddown);
        self.holddown.insert(g, until);
        self.timers.set(TimerKey::Holddown(g), until);
        self.event(ClientEvent::GroupEmpty(g));
    }

    /// An MCS's MARS_MSERV for `g` was confirmed: learn the group's members (RFC 2149 §4.2).
    pub(crate) fn mcs_served(&mut self, g: ProtoAddr) {
        if !self.groups.contains_key(&g) {
            self.holddown.remove(&g);
            self.start_resolution(g);
        }
    }

    // ----- MARS_GROUPLIST_REQUEST / REPLY (§5.3) ------------------------------------------

    /// Ask which groups of `r` have layer 3 members (§5.3, §8.5).
    pub(crate) fn grouplist_request(&mut self, r: Range) {
        let j = Join::new(
            self.cfg.address,
            self.cfg.protocol_address,
            Flags(0),
            vec![super::reliable::pair_of(&r)],
        );
        self.grouplist = Some((r, Reassembly::new(self.cfg.max_targets)));
        self.counters.tx_grp_lst_req += 1;
        let m = self.message(MarsBody::GroupListRequest(j));
        self.send_to_mars(m);
        let at = self.now + self.cfg.timers.request_interval;
        self.timers.set(TimerKey::GroupListParts, at);
    }

    pub(crate) fn on_grouplist_part(&mut self, vc: VcId, r: GroupListReply) {
        self.counters.rx_grp_lst_rply += 1;
        if r.source != self.cfg.address {
            return self.discard(Some(vc), Discard::NotForUs);
        }
        let Some((range, parts)) = self.grouplist.as_mut() else {
            return self.discard(Some(vc), Discard::Unsolicited);
        };
        let range = *range;
        match parts.part(r.seqxy, r.msn, r.groups) {
            Step::More => {
                let at = self.now + self.cfg.timers.multi_part_timeout;
                self.timers.set(TimerKey::GroupListParts, at);
            }
            Step::Failed(e) => {
                // §5.3: "the whole thing MUST be discarded and the MARS_GROUPLIST_REQUEST
                // re-issued".
                self.discard(Some(vc), Discard::Reassembly(e));
                self.grouplist_request(range);
            }
            Step::Done { items, msn } => {
                self.grouplist = None;
                self.timers.cancel(TimerKey::GroupListParts);
                self.track_msn(msn, None);
                self.event(ClientEvent::GroupList {
                    range,
                    groups: items,
                });
            }
        }
    }

    /// No (complete) answer in time: discard what arrived and re-issue the request (§5.3:
    /// "the whole thing MUST be discarded and the MARS_GROUPLIST_REQUEST re-issued"), up to
    /// the MARS_REQUEST retransmission limit, like a MARS_REQUEST (§5.1.1).
    pub(crate) fn on_grouplist_timeout(&mut self) {
        if let Some((r, _)) = self.grouplist.take() {
            self.discard(
                None,
                Discard::Reassembly(super::report::ReassemblyError::Timeout),
            );
            if self.grouplist_retries < self.cfg.timers.request_limit {
                self.grouplist_retries += 1;
                self.grouplist_request(r);
            }
        }
    }
}
