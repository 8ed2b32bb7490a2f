//! Time for sans-IO engines: a monotonic instant supplied by the driver (virtual in the
//! simulator, the OS clock in the daemon), and a small timer table indexed by an enum.

use core::fmt;
use core::ops::{Add, Sub};
use std::time::Duration;

/// A point in time, in nanoseconds since an arbitrary epoch chosen by the driver.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct Instant(u64);

impl Instant {
    /// The epoch.
    pub const ZERO: Instant = Instant(0);

    /// From nanoseconds since the epoch.
    pub const fn from_nanos(n: u64) -> Self {
        Instant(n)
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Time since the epoch.
    pub const fn since_epoch(self) -> Duration {
        Duration::from_nanos(self.0)
    }

    /// `self - earlier`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(
            self.0
                .saturating_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
        )
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_since(earlier)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t+{:?}", self.since_epoch())
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.since_epoch();
        write!(f, "{}.{:03}s", d.as_secs(), d.subsec_millis())
    }
}

/// A set of one-shot timers indexed by keys of type `K`; each key is armed at most once.
///
/// Small and linear on purpose: an engine has a handful of timer kinds per peer.
#[derive(Debug, Clone)]
pub struct Timers<K> {
    armed: Vec<(K, Instant)>,
}

impl<K> Default for Timers<K> {
    fn default() -> Self {
        Timers { armed: Vec::new() }
    }
}

impl<K: PartialEq + Copy> Timers<K> {
    /// (Re)arm `key` to fire at `at`.
    pub fn set(&mut self, key: K, at: Instant) {
        match self.armed.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = at,
            None => self.armed.push((key, at)),
        }
    }

    /// Disarm `key`.
    pub fn cancel(&mut self, key: K) {
        self.armed.retain(|(k, _)| *k != key);
    }

    /// When `key` fires, if armed.
    pub fn get(&self, key: K) -> Option<Instant> {
        self.armed.iter().find(|(k, _)| *k == key).map(|&(_, t)| t)
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<Instant> {
        self.armed.iter().map(|&(_, t)| t).min()
    }

    /// Remove and return every key due at `now`, earliest first.
    pub fn expire(&mut self, now: Instant) -> Vec<K> {
        let mut due: Vec<(K, Instant)> = Vec::new();
        self.armed.retain(|&(k, t)| {
            if t <= now {
                due.push((k, t));
                false
            } else {
                true
            }
        });
        due.sort_by_key(|&(_, t)| t);
        due.into_iter().map(|(k, _)| k).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_expire_in_order() {
        let mut t = Timers::default();
        t.set("b", Instant::from_nanos(20));
        t.set("a", Instant::from_nanos(10));
        t.set("c", Instant::from_nanos(30));
        t.set("b", Instant::from_nanos(5));
        assert_eq!(t.next(), Some(Instant::from_nanos(5)));
        assert_eq!(t.expire(Instant::from_nanos(10)), vec!["b", "a"]);
        t.cancel("c");
        assert_eq!(t.next(), None);
    }

    #[test]
    fn instant_arithmetic() {
        let a = Instant::from_nanos(1_000);
        let b = a + Duration::from_micros(1);
        assert_eq!(b - a, Duration::from_micros(1));
        assert_eq!(a - b, Duration::ZERO);
        assert_eq!(b.to_string(), "0.000s");
    }
}
