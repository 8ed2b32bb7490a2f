//! A set of one-shot timers keyed by an ordered key, each armed at most once, with O(log n)
//! arm, cancel and expiry: an endpoint has a few timers per group and there may be many
//! groups.

use std::collections::{BTreeMap, BTreeSet};

use crate::time::Instant;

/// One-shot timers indexed by `K`.
#[derive(Debug, Clone)]
pub(crate) struct Deadlines<K: Ord + Copy> {
    by_time: BTreeSet<(Instant, K)>,
    by_key: BTreeMap<K, Instant>,
}

impl<K: Ord + Copy> Default for Deadlines<K> {
    fn default() -> Self {
        Deadlines {
            by_time: BTreeSet::new(),
            by_key: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Copy> Deadlines<K> {
    /// (Re)arm `key` to fire at `at`.
    pub fn set(&mut self, key: K, at: Instant) {
        if let Some(old) = self.by_key.insert(key, at) {
            self.by_time.remove(&(old, key));
        }
        self.by_time.insert((at, key));
    }

    /// Arm `key` at `at` unless it is already armed earlier.
    pub fn set_earliest(&mut self, key: K, at: Instant) {
        match self.by_key.get(&key) {
            Some(&t) if t <= at => {}
            _ => self.set(key, at),
        }
    }

    /// Disarm `key`.
    pub fn cancel(&mut self, key: K) {
        if let Some(at) = self.by_key.remove(&key) {
            self.by_time.remove(&(at, key));
        }
    }

    /// When `key` fires, if armed.
    pub fn get(&self, key: K) -> Option<Instant> {
        self.by_key.get(&key).copied()
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<Instant> {
        self.by_time.first().map(|&(t, _)| t)
    }

    /// Remove and return the earliest key due at `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<K> {
        let &(t, k) = self.by_time.first()?;
        if t > now {
            return None;
        }
        self.by_time.remove(&(t, k));
        self.by_key.remove(&k);
        Some(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_rearm_cancel() {
        let t = |n| Instant::from_nanos(n);
        let mut d = Deadlines::default();
        d.set(1u8, t(30));
        d.set(2, t(10));
        d.set(3, t(20));
        d.set(1, t(5));
        d.set_earliest(3, t(40));
        assert_eq!(d.get(3), Some(t(20)));
        d.cancel(2);
        assert_eq!(d.next(), Some(t(5)));
        assert_eq!(d.pop_due(t(25)), Some(1));
        assert_eq!(d.pop_due(t(25)), Some(3));
        assert_eq!(d.pop_due(t(25)), None);
        assert_eq!(d.next(), None);
    }
}
