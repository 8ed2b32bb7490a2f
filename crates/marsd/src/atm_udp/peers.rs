//! Per-peer bookkeeping (liveness) and tombstones of recently ended incoming legs.

use mars_proto::hash::Map;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use mars_proto::{Cause, Instant};

/// What an endpoint knows of one peer it shares legs with. A peer exists while it has legs.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    /// Legs (any state) with this peer.
    pub legs: usize,
    /// Incoming legs awaiting the local engine's answer.
    pub pending: usize,
    /// When a valid datagram last came from it; `None` until one has.
    pub last_heard: Option<Instant>,
    /// The instance number from its KEEPALIVEs.
    pub instance: Option<u32>,
}

impl Peer {
    fn new() -> Self {
        Peer {
            legs: 0,
            pending: 0,
            last_heard: None,
            instance: None,
        }
    }

    /// Silent for at least `dead_after` since it was last heard (a peer never heard from is
    /// left to the signalling timers).
    pub fn is_silent(&self, now: Instant, dead_after: Duration) -> bool {
        self.last_heard.is_some_and(|t| now - t >= dead_after)
    }
}

/// The peer table.
#[derive(Debug, Default)]
pub(crate) struct Peers {
    map: Map<SocketAddr, Peer>,
    /// Sum of every peer's `pending`, kept so that the setup limit check is O(1) even under
    /// a flood.
    pending_total: usize,
}

impl Peers {
    pub fn get(&self, at: &SocketAddr) -> Option<&Peer> {
        self.map.get(at)
    }

    pub fn get_mut(&mut self, at: &SocketAddr) -> Option<&mut Peer> {
        self.map.get_mut(at)
    }

    /// The peer at `at`, created if new; the flag says whether it was.
    pub fn entry(&mut self, at: SocketAddr) -> (&mut Peer, bool) {
        let mut created = false;
        let p = self.map.entry(at).or_insert_with(|| {
            created = true;
            Peer::new()
        });
        (p, created)
    }

    /// Forget a peer with no legs left.
    pub fn forget_if_idle(&mut self, at: &SocketAddr) {
        if self.map.get(at).is_some_and(|p| p.legs == 0) {
            self.map.remove(at);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn addrs(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.map.keys().copied()
    }

    pub fn pending_total(&self) -> usize {
        self.pending_total
    }

    /// One more incoming leg of `at` awaits the local engine.
    pub fn pending_up(&mut self, at: &SocketAddr) {
        if let Some(p) = self.map.get_mut(at) {
            p.pending += 1;
            self.pending_total += 1;
        }
    }

    /// One fewer incoming leg of `at` awaits the local engine.
    pub fn pending_down(&mut self, at: &SocketAddr) {
        if let Some(p) = self.map.get_mut(at) {
            if p.pending > 0 {
                p.pending -= 1;
                self.pending_total -= 1;
            }
        }
    }
}

/// Which request a tombstone answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TombKind {
    /// A point-to-point call: a late SETUP is answered with RELEASE COMPLETE.
    Call,
    /// A leaf: a late ADD PARTY is answered with ADD PARTY REJECT.
    Party,
}

/// Recently ended incoming legs, so that a late duplicate SETUP or ADD PARTY is answered
/// instead of opening a second call. Bounded: the oldest is forgotten first.
#[derive(Debug)]
pub(crate) struct Tombstones {
    map: Map<(SocketAddr, u32), (TombKind, Cause)>,
    order: VecDeque<(Instant, (SocketAddr, u32))>,
    capacity: usize,
    lifetime: Duration,
}

impl Tombstones {
    pub fn new(capacity: usize, lifetime: Duration) -> Self {
        Tombstones {
            map: Map::default(),
            order: VecDeque::new(),
            capacity,
            lifetime,
        }
    }

    pub fn insert(&mut self, now: Instant, key: (SocketAddr, u32), kind: TombKind, cause: Cause) {
        if self.capacity == 0 {
            return;
        }
        while self.map.len() >= self.capacity {
            match self.order.pop_front() {
                Some((_, k)) => {
                    self.map.remove(&k);
                }
                None => break,
            }
        }
        if self.map.insert(key, (kind, cause)).is_none() {
            self.order.push_back((now + self.lifetime, key));
        }
    }

    pub fn get(&self, key: &(SocketAddr, u32)) -> Option<(TombKind, Cause)> {
        self.map.get(key).copied()
    }

    /// Drop tombstones past their lifetime.
    pub fn expire(&mut self, now: Instant) {
        while let Some(&(t, k)) = self.order.front() {
            if t > now {
                break;
            }
            self.order.pop_front();
            self.map.remove(&k);
        }
    }

    pub fn next_expiry(&self) -> Option<Instant> {
        self.order.front().map(|&(t, _)| t)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }
}
