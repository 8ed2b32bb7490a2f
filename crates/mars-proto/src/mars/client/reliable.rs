//! Reliable transmission of MARS_JOIN/LEAVE (RFC 2022 §5.2.2) and MARS_MSERV/UNSERV (RFC 2149
//! §4.1.3): each message is retransmitted until "a copy" comes back, and the copy is
//! recognised by its fields.
//!
//! §5.2.2: "A 'copy' is defined as a received message with the following fields matching a
//! previously transmitted MARS_JOIN/LEAVE: mar$op, mar$flags.register, mar$flags.sequence,
//! mar$pnum, Source ATM address, First <min,max> pair. In addition, a valid copy MUST have the
//! following field values: mar$flags.punched = 0, mar$flags.copy = 1."
//!
//! Decisions:
//! - A client numbers its messages with `mar$flags.sequence` ("Implementors MAY choose to
//!   utilize locally significant sequence number schemes"), so that the late copy of a
//!   superseded JOIN is not taken for the copy of a later one. An MCS keeps it zero and has
//!   one message outstanding at a time (RFC 2149 §4.1.1, §4.1.3: "There MUST be only one
//!   MARS_MSERV or MARS_UNSERV outstanding at a time"); further ones wait in order.
//! - A new message for the same `<min,max>` pair supersedes the outstanding one (a LEAVE
//!   issued while the JOIN is unconfirmed): the MARS applies them in order either way.

use std::collections::VecDeque;

use mars_wire::mars::{GroupPair, Join, MarsOp};
use mars_wire::AtmAddress;

use crate::mars::range::Range;

/// What an outstanding message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Purpose {
    /// Registration (`mar$flags.register` set, no pairs).
    Register,
    /// Deregistration.
    Deregister,
    /// Joining (client) or serving (MCS) a range.
    Join(Range),
    /// Leaving (client) or no longer serving (MCS) a range.
    Leave(Range),
}

/// A message waiting for its copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outstanding {
    /// Local handle (timer key).
    pub id: u32,
    /// `mar$op` as sent.
    pub op: MarsOp,
    /// The message as sent.
    pub join: Join,
    /// What it is for.
    pub purpose: Purpose,
    /// Transmissions so far.
    pub sent: u32,
}

/// How a received MARS_JOIN-layout message relates to what we sent.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CopyMatch {
    /// The valid copy of an outstanding message, which is now acknowledged.
    Copy(Outstanding),
    /// Matches an outstanding message of ours but has `copy` = 0.
    NotACopy,
    /// A valid copy of a message of ours with nothing outstanding (a late duplicate).
    Unmatched,
    /// Someone else's message, or a hole-punched copy (`punched` = 1).
    Other,
}

/// The outstanding messages of one endpoint.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reliable {
    in_flight: Vec<Outstanding>,
    waiting: VecDeque<Outstanding>,
    next_id: u32,
    next_seq: u8,
    serial: bool,
}

impl Reliable {
    /// `serial`: one message outstanding at a time, `mar$flags.sequence` zero (an MCS).
    pub fn new(serial: bool) -> Self {
        Reliable {
            serial,
            ..Reliable::default()
        }
    }

    /// Queue `join` (op `op`) for reliable transmission. Returns the message to transmit now,
    /// if any (with `mar$flags.sequence` set).
    pub fn push(&mut self, op: MarsOp, mut join: Join, purpose: Purpose) -> Option<Outstanding> {
        self.cancel_pair(&purpose);
        self.next_id = self.next_id.wrapping_add(1);
        let seq = if self.serial {
            0
        } else {
            self.next_seq = self.next_seq.wrapping_add(1);
            self.next_seq
        };
        join.flags = join.flags.with_sequence(seq);
        let o = Outstanding {
            id: self.next_id,
            op,
            join,
            purpose,
            sent: 0,
        };
        if self.serial && !self.in_flight.is_empty() {
            self.waiting.push_back(o);
            return None;
        }
        self.in_flight.push(o.clone());
        Some(o)
    }

    /// Drop outstanding and waiting messages for the same range as `purpose`.
    fn cancel_pair(&mut self, purpose: &Purpose) {
        let range = |p: &Purpose| match p {
            Purpose::Join(r) | Purpose::Leave(r) => Some(*r),
            _ => None,
        };
        let Some(r) = range(purpose) else { return };
        self.in_flight.retain(|o| range(&o.purpose) != Some(r));
        self.waiting.retain(|o| range(&o.purpose) != Some(r));
    }

    /// Note one more transmission of `id`; returns the message and its transmission count.
    pub fn transmitted(&mut self, id: u32) -> Option<&Outstanding> {
        let o = self.in_flight.iter_mut().find(|o| o.id == id)?;
        o.sent += 1;
        Some(o)
    }

    /// The message `id`, if still outstanding.
    pub fn get(&self, id: u32) -> Option<&Outstanding> {
        self.in_flight.iter().find(|o| o.id == id)
    }

    /// Classify a received message of op `op` against what we sent from `own` (§5.2.2).
    pub fn classify(&mut self, op: MarsOp, j: &Join, own: &AtmAddress) -> CopyMatch {
        if j.source != *own || j.flags.punched() {
            return CopyMatch::Other;
        }
        let first = j.pairs.first().copied();
        let same = |o: &Outstanding| {
            o.op == op
                && o.join.flags.register() == j.flags.register()
                && o.join.flags.sequence() == j.flags.sequence()
                && o.join.pairs.len() == j.pairs.len()
                && o.join.pairs.first().copied() == first
        };
        match self.in_flight.iter().position(same) {
            Some(_) if !j.flags.copy() => CopyMatch::NotACopy,
            Some(i) => CopyMatch::Copy(self.in_flight.remove(i)),
            None if j.flags.copy() => CopyMatch::Unmatched,
            None => CopyMatch::Other,
        }
    }

    /// Remove `id` (given up); returns it.
    pub fn remove(&mut self, id: u32) -> Option<Outstanding> {
        let i = self.in_flight.iter().position(|o| o.id == id)?;
        Some(self.in_flight.remove(i))
    }

    /// The next waiting message to transmit, if the serial slot is free.
    pub fn next_waiting(&mut self) -> Option<Outstanding> {
        if self.serial && !self.in_flight.is_empty() {
            return None;
        }
        let o = self.waiting.pop_front()?;
        self.in_flight.push(o.clone());
        Some(o)
    }

    /// Forget everything (the MARS failed; the owner re-sends what it still wants).
    pub fn clear(&mut self) -> Vec<Outstanding> {
        let mut v: Vec<Outstanding> = self.in_flight.drain(..).collect();
        v.extend(self.waiting.drain(..));
        v
    }

    /// Outstanding and waiting messages.
    pub fn iter(&self) -> impl Iterator<Item = &Outstanding> {
        self.in_flight.iter().chain(self.waiting.iter())
    }

    /// Whether anything is outstanding or waiting.
    pub fn is_empty(&self) -> bool {
        self.in_flight.is_empty() && self.waiting.is_empty()
    }
}

/// The single `<min,max>` pair for `r` (§5.2: "Cluster members MUST provide ONLY a single
/// <min,max> pair in each JOIN/LEAVE message they issue").
pub(crate) fn pair_of(r: &Range) -> GroupPair {
    GroupPair::new(r.0, r.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mars_wire::mars::Flags;
    use mars_wire::{AtmAddr, ProtoAddr};

    fn me() -> AtmAddress {
        AtmAddress::new(AtmAddr::nsap([0x47; 20]))
    }

    fn join(g: u32) -> (Join, Purpose) {
        let a = ProtoAddr::v4_u32(g);
        let j = Join::new(me(), ProtoAddr::NULL, Flags(0), vec![GroupPair::single(a)]);
        (j, Purpose::Join((a, a)))
    }

    #[test]
    fn copy_rules() {
        let mut r = Reliable::new(false);
        let (j, p) = join(1);
        let sent = r.push(MarsOp::Join, j, p).unwrap();
        let mut back = sent.join.clone();
        // Not from the MARS: copy = 0.
        assert_eq!(r.classify(MarsOp::Join, &back, &me()), CopyMatch::NotACopy);
        back.flags = back.flags.with_copy(true);
        // Hole-punched copies are for the others.
        let punched = Join {
            flags: back.flags.with_punched(true),
            ..back.clone()
        };
        assert_eq!(r.classify(MarsOp::Join, &punched, &me()), CopyMatch::Other);
        // Wrong op, wrong sequence.
        assert_eq!(
            r.classify(MarsOp::Leave, &back, &me()),
            CopyMatch::Unmatched
        );
        let other_seq = Join {
            flags: back.flags.with_sequence(99),
            ..back.clone()
        };
        assert_eq!(
            r.classify(MarsOp::Join, &other_seq, &me()),
            CopyMatch::Unmatched
        );
        assert!(
            matches!(r.classify(MarsOp::Join, &back, &me()), CopyMatch::Copy(o) if o.id == sent.id)
        );
        assert_eq!(r.classify(MarsOp::Join, &back, &me()), CopyMatch::Unmatched);
        assert!(r.is_empty());
    }

    #[test]
    fn superseded_and_serial() {
        let mut r = Reliable::new(false);
        let (j, p) = join(1);
        r.push(MarsOp::Join, j.clone(), p).unwrap();
        let Purpose::Join(g) = p else { unreachable!() };
        r.push(MarsOp::Leave, j.clone(), Purpose::Leave(g)).unwrap();
        assert_eq!(r.iter().count(), 1, "the leave superseded the join");

        let mut s = Reliable::new(true);
        let a = s.push(MarsOp::Mserv, j.clone(), Purpose::Register).unwrap();
        assert_eq!(a.join.flags.sequence(), 0);
        let (j2, p2) = join(2);
        assert!(s.push(MarsOp::Mserv, j2, p2).is_none(), "waits its turn");
        assert!(s.next_waiting().is_none());
        s.remove(a.id);
        assert!(s.next_waiting().is_some());
    }
}
