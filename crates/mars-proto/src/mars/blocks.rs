//! A stabbing index over block joins: which members' `<min,max>` blocks contain a group?
//!
//! Entries are kept sorted by `min`, in chunks whose largest `max` is remembered, so that a
//! query skips whole chunks of blocks ending below the group. Memory is one entry per block
//! (never per address covered); updates are a `Vec` insert or remove, cheap at the tens of
//! thousands of blocks a cluster holds.

use super::range::Range;
use mars_wire::ProtoAddr;

/// Width of the chunks whose largest `max` is kept.
const CHUNK: usize = 32;

/// One block join: `(min, max, owner)`.
type Entry<K> = (ProtoAddr, ProtoAddr, K);

/// Blocks of group addresses owned by keys `K` (a member's CMI).
#[derive(Debug, Clone)]
pub struct BlockIndex<K> {
    entries: Vec<Entry<K>>,
    chunk_max: Vec<ProtoAddr>,
}

impl<K> Default for BlockIndex<K> {
    fn default() -> Self {
        BlockIndex {
            entries: Vec::new(),
            chunk_max: Vec::new(),
        }
    }
}

impl<K: Copy + Ord> BlockIndex<K> {
    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no blocks.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Add a block owned by `k`.
    pub fn insert(&mut self, r: Range, k: K) {
        let at = self
            .entries
            .partition_point(|e| (e.0, e.2, e.1) < (r.0, k, r.1));
        self.entries.insert(at, (r.0, r.1, k));
        self.rebuild_from(at);
    }

    /// Remove the block `r` owned by `k`; returns whether it was there.
    pub fn remove(&mut self, r: Range, k: K) -> bool {
        let at = self
            .entries
            .partition_point(|e| (e.0, e.2, e.1) < (r.0, k, r.1));
        match self.entries.get(at) {
            Some(e) if e.0 == r.0 && e.1 == r.1 && e.2 == k => {
                self.entries.remove(at);
                self.rebuild_from(at);
                true
            }
            _ => false,
        }
    }

    /// Recompute chunk maxima from the chunk holding entry `at` onward.
    fn rebuild_from(&mut self, at: usize) {
        let first = at / CHUNK;
        let chunks = self.entries.len().div_ceil(CHUNK);
        self.chunk_max.truncate(first.min(chunks));
        for c in self.chunk_max.len()..chunks {
            let end = (c * CHUNK + CHUNK).min(self.entries.len());
            let m = self.entries[c * CHUNK..end]
                .iter()
                .map(|e| e.1)
                .max()
                .unwrap_or_default();
            self.chunk_max.push(m);
        }
    }

    /// Call `f` with the owner of every block containing `g`.
    pub fn stab(&self, g: &ProtoAddr, mut f: impl FnMut(K)) {
        let end = self.entries.partition_point(|e| e.0 <= *g);
        if end == 0 {
            return;
        }
        let mut c = (end - 1) / CHUNK;
        loop {
            if self.chunk_max[c] >= *g {
                let lo = c * CHUNK;
                let hi = (lo + CHUNK).min(end);
                for e in &self.entries[lo..hi] {
                    if e.1 >= *g {
                        f(e.2);
                    }
                }
            }
            if c == 0 {
                break;
            }
            c -= 1;
        }
    }

    /// Call `f` with every block and its owner, ascending by `min`.
    pub fn for_each(&self, mut f: impl FnMut(&Range, K)) {
        for e in &self.entries {
            f(&(e.0, e.1), e.2);
        }
    }

    /// Call `f` with every block that intersects `r`.
    pub fn overlapping(&self, r: &Range, mut f: impl FnMut(&Range, K)) {
        let end = self.entries.partition_point(|e| e.0 <= r.1);
        for (c, m) in self.chunk_max.iter().enumerate() {
            if *m < r.0 {
                continue;
            }
            let lo = c * CHUNK;
            if lo >= end {
                break;
            }
            for e in &self.entries[lo..(lo + CHUNK).min(end)] {
                if e.1 >= r.0 {
                    f(&(e.0, e.1), e.2);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn a(v: u32) -> ProtoAddr {
        ProtoAddr::v4_u32(v)
    }

    proptest! {
        #[test]
        fn stab_matches_linear_scan(
            blocks in proptest::collection::vec((0u32..500, 0u32..60, 0u16..50), 0..200),
            removals in proptest::collection::vec(any::<prop::sample::Index>(), 0..50),
            probes in proptest::collection::vec(0u32..600, 1..30),
        ) {
            let mut idx = BlockIndex::default();
            let mut all: Vec<(u32, u32, u16)> = Vec::new();
            for (lo, len, k) in blocks {
                idx.insert((a(lo), a(lo + len)), k);
                all.push((lo, lo + len, k));
            }
            for r in removals {
                if all.is_empty() { break; }
                let (lo, hi, k) = all.remove(r.index(all.len()));
                prop_assert!(idx.remove((a(lo), a(hi)), k));
            }
            prop_assert_eq!(idx.len(), all.len());
            for g in probes {
                let mut got = Vec::new();
                idx.stab(&a(g), |k| got.push(k));
                got.sort();
                let mut want: Vec<u16> = all.iter().filter(|e| e.0 <= g && g <= e.1).map(|e| e.2).collect();
                want.sort();
                prop_assert_eq!(got, want);
                let mut ov = Vec::new();
                idx.overlapping(&(a(g), a(g + 7)), |_, k| ov.push(k));
                ov.sort();
                let mut want: Vec<u16> = all.iter().filter(|e| e.0 <= g + 7 && g <= e.1).map(|e| e.2).collect();
                want.sort();
                prop_assert_eq!(ov, want);
            }
        }
    }
}
