//! The fabric's event queue: actions ordered by (time, insertion sequence).
//!
//! Ties in time are broken by the order in which actions were scheduled, so a run never depends
//! on heap internals: this is half of what makes the fabric deterministic (the other half is
//! the seeded RNG).

use core::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use bytes::Bytes;
use mars_proto::{Cause, Instant};

use super::leg::{LegKey, Side};

/// A message travelling on one leg towards one of its ends.
#[derive(Debug, Clone)]
pub(crate) enum Msg {
    /// Q.2931 SETUP / ADD PARTY reaching the called endpoint.
    Setup,
    /// Q.2931 CONNECT / ADD PARTY ACKNOWLEDGE reaching the caller or root.
    Connect,
    /// Q.2931 RELEASE / DROP PARTY (or a network-generated release).
    Release(Cause),
    /// One AAL5 SDU.
    Sdu(Bytes),
}

/// Something the fabric will do at a given time.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    /// `msg` arrives at end `to` of `leg`.
    Arrive { leg: LegKey, to: Side, msg: Msg },
    /// The network notices that an endpoint died: release the surviving ends of `legs`.
    CrashDetected { legs: Vec<LegKey> },
    /// The network notices partitions: release every leg that still crosses one.
    PartitionCheck,
}

#[derive(Debug)]
struct Entry {
    at: Instant,
    seq: u64,
    action: Action,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A min-queue of actions by (time, sequence).
#[derive(Debug, Default)]
pub(crate) struct Queue {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
}

impl Queue {
    pub(crate) fn push(&mut self, at: Instant, action: Action) {
        self.seq += 1;
        self.heap.push(Reverse(Entry {
            at,
            seq: self.seq,
            action,
        }));
    }

    /// When the earliest action is due.
    pub(crate) fn peek_time(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(e)| e.at)
    }

    pub(crate) fn pop(&mut self) -> Option<(Instant, Action)> {
        self.heap.pop().map(|Reverse(e)| (e.at, e.action))
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_pop_in_insertion_order() {
        let mut q = Queue::default();
        let t = Instant::from_nanos(5);
        q.push(Instant::from_nanos(9), Action::PartitionCheck);
        q.push(
            t,
            Action::CrashDetected {
                legs: vec![LegKey(1)],
            },
        );
        q.push(
            t,
            Action::CrashDetected {
                legs: vec![LegKey(2)],
            },
        );
        let order: Vec<_> = std::iter::from_fn(|| q.pop())
            .map(|(at, a)| match a {
                Action::CrashDetected { legs } => (at.as_nanos(), legs[0].0),
                _ => (at.as_nanos(), 0),
            })
            .collect();
        assert_eq!(order, vec![(5, 1), (5, 2), (9, 0)]);
    }
}
