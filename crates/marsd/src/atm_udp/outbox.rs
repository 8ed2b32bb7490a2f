//! The events an endpoint has told its user, and how far the user has read them.
//!
//! An event is *told* when the endpoint queues it and *seen* when the user takes it with
//! [`Endpoint::poll_event`](super::Endpoint::poll_event). A request means what it means in the
//! user's view, which ends at the last event seen: whatever is still queued happened *after*
//! the request, as far as the user can tell. So when a request kills a handle (`Release`,
//! `Refuse`, `DropParty`), the handle's queued events are withdrawn (contract guarantee 7: no
//! event follows the user's own release); a multipoint root's SDU goes only to the parties
//! whose `PartyAdded` the user has seen (guarantee 5); and a handle whose `Released` or
//! `PartyDropped` is queued is, to the user, still alive. An engine driven in one loop
//! (events delivered, then requests taken) never has events queued when it asks; a user on
//! another thread often has.

use mars_proto::hash::Map;
use std::collections::VecDeque;

use mars_proto::{PartyId, VcEvent, VcId};

/// A handle as the user names it: a VC, or one party of a multipoint VC at its root.
pub(super) type Handle = (VcId, Option<PartyId>);

/// The handle an event is about.
fn handle_of(ev: &VcEvent) -> Handle {
    match *ev {
        VcEvent::PartyAdded { vc, party } | VcEvent::PartyDropped { vc, party, .. } => {
            (vc, Some(party))
        }
        _ => (ev.vc(), None),
    }
}

/// The number an incoming id was given in (ids the network chooses count up from 1).
fn incoming_number(vc: VcId) -> u64 {
    vc.0 & !VcId::incoming(0).0
}

/// Events told to the user and not yet seen, numbered from 1 in the order told.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    queue: VecDeque<(u64, VcEvent)>,
    /// Number of the last event told.
    told: u64,
    /// Number of the last event seen.
    seen: u64,
    /// Highest incoming id whose `IncomingCall` the user has seen.
    seen_incoming: u64,
    /// Handles whose last event (`Released`, `PartyDropped`) is told but not seen, with its
    /// number.
    ending: Map<Handle, u64>,
}

impl Outbox {
    /// Queue `ev`; returns its number.
    pub(super) fn tell(&mut self, ev: VcEvent) -> u64 {
        self.told += 1;
        let n = self.told;
        if matches!(ev, VcEvent::Released { .. } | VcEvent::PartyDropped { .. }) {
            self.ending.insert(handle_of(&ev), n);
        }
        self.queue.push_back((n, ev));
        n
    }

    /// The user takes the next event.
    pub(super) fn take(&mut self) -> Option<VcEvent> {
        let (n, ev) = self.queue.pop_front()?;
        self.seen = n;
        match ev {
            VcEvent::IncomingCall { vc, .. } => {
                self.seen_incoming = self.seen_incoming.max(incoming_number(vc));
            }
            VcEvent::Released { .. } | VcEvent::PartyDropped { .. } => {
                let h = handle_of(&ev);
                if self.ending.get(&h) == Some(&n) {
                    self.ending.remove(&h);
                }
            }
            _ => {}
        }
        Some(ev)
    }

    /// Events told and not yet seen.
    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether the user has seen event number `n`.
    pub(super) fn seen(&self, n: u64) -> bool {
        n <= self.seen
    }

    /// Whether `vc` names something in the user's view: not an incoming id whose
    /// `IncomingCall` is still queued (or was never told).
    pub(super) fn announced(&self, vc: VcId) -> bool {
        !vc.is_incoming() || incoming_number(vc) <= self.seen_incoming
    }

    /// Whether `h` is dead with its last event still queued: to the user it is alive.
    pub(super) fn ending(&self, h: Handle) -> bool {
        self.ending.contains_key(&h)
    }

    /// The user killed `h`: withdraw its queued events. A VC (`party` `None`) takes the
    /// events of all its parties with it.
    pub(super) fn withdraw(&mut self, (vc, party): Handle) {
        let hit = |h: Handle| h.0 == vc && (party.is_none() || h.1 == party);
        if !self.ending.is_empty() {
            self.ending.retain(|&h, _| !hit(h));
        }
        if self.queue.iter().any(|(_, ev)| hit(handle_of(ev))) {
            self.queue.retain(|(_, ev)| !hit(handle_of(ev)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mars_proto::Cause;

    const A: VcId = VcId::local(1);

    fn released(vc: VcId) -> VcEvent {
        VcEvent::Released {
            vc,
            cause: Cause::NORMAL,
        }
    }

    #[test]
    fn numbers_and_seen() {
        let mut o = Outbox::default();
        assert_eq!(o.tell(VcEvent::Connected { vc: A }), 1);
        assert_eq!(o.tell(released(A)), 2);
        assert!(!o.seen(1));
        assert!(o.ending((A, None)));
        assert_eq!(o.take(), Some(VcEvent::Connected { vc: A }));
        assert!(o.seen(1) && !o.seen(2));
        assert_eq!(o.take(), Some(released(A)));
        assert!(!o.ending((A, None)));
        assert_eq!(o.take(), None);
    }

    #[test]
    fn incoming_ids_are_announced_when_seen() {
        let mut o = Outbox::default();
        let (i1, i2) = (VcId::incoming(1), VcId::incoming(2));
        for vc in [i1, i2] {
            o.tell(VcEvent::IncomingCall {
                vc,
                from: mars_wire::AtmAddress::default(),
                multipoint: false,
            });
        }
        assert!(o.announced(A));
        assert!(!o.announced(i1));
        o.take();
        assert!(o.announced(i1) && !o.announced(i2));
    }

    #[test]
    fn withdraw_takes_a_vc_with_its_parties_and_spares_others() {
        let mut o = Outbox::default();
        let b = VcId::local(2);
        let (p1, p2) = (PartyId(1), PartyId(2));
        o.tell(VcEvent::PartyAdded { vc: A, party: p1 });
        o.tell(VcEvent::PartyDropped {
            vc: A,
            party: p2,
            cause: Cause::NORMAL,
        });
        o.tell(VcEvent::Connected { vc: b });
        o.withdraw((A, Some(p1)));
        assert_eq!(o.len(), 2);
        assert!(o.ending((A, Some(p2))));
        o.withdraw((A, None));
        assert!(!o.ending((A, Some(p2))));
        assert_eq!(o.take(), Some(VcEvent::Connected { vc: b }));
        assert_eq!(o.len(), 0);
    }
}
