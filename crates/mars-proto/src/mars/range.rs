//! Group address ranges: `<min,max>` blocks (RFC 2022 §5.2.1) and sets of them.
//!
//! Protocol addresses are compared as unsigned big-endian integers of their length (§5.2.1:
//! "In IPv4 environments the addresses are treated as 32 bit, unsigned binary values (most
//! significant byte first)"); the MARS treats them as "arbitrary byte strings" otherwise (§6).
//! Ranges in one set all have one address length (one `mar$pro` context).

use mars_wire::proto_addr::PROTO_ADDR_MAX;
use mars_wire::ProtoAddr;

/// An inclusive `<min,max>` block of group addresses.
pub type Range = (ProtoAddr, ProtoAddr);

/// The address after `a` at the same length, or `None` at the top of the space.
pub fn successor(a: &ProtoAddr) -> Option<ProtoAddr> {
    step(a, 0xFF, |b| b + 1)
}

/// The address before `a` at the same length, or `None` at the bottom of the space.
pub fn predecessor(a: &ProtoAddr) -> Option<ProtoAddr> {
    step(a, 0, |b| b - 1)
}

/// `a` moved by one as a big-endian integer: trailing `wrap` octets roll over, the next one is
/// changed by `f`; `None` when every octet is `wrap`. On the stack: this runs for every range
/// operation.
fn step(a: &ProtoAddr, wrap: u8, f: impl Fn(u8) -> u8) -> Option<ProtoAddr> {
    let mut o = [0u8; PROTO_ADDR_MAX];
    let o = &mut o[..a.len()];
    o.copy_from_slice(a.as_bytes());
    for b in o.iter_mut().rev() {
        if *b == wrap {
            *b = !wrap;
        } else {
            *b = f(*b);
            return ProtoAddr::from_slice(o);
        }
    }
    None
}

/// Whether `r` is a single group (`min == max`).
pub fn is_single(r: &Range) -> bool {
    r.0 == r.1
}

/// A set of addresses held as sorted, disjoint, non-adjacent inclusive ranges.
///
/// Memory is proportional to the number of ranges, never to the number of addresses they
/// cover: a router joining 224.0.0.0–239.255.255.255 costs one entry (§8.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeSet {
    ranges: Vec<Range>,
}

impl RangeSet {
    /// The empty set.
    pub const fn new() -> Self {
        RangeSet { ranges: Vec::new() }
    }

    /// A set holding one range (empty if `min > max`).
    pub fn from_range(r: Range) -> Self {
        let mut s = RangeSet::new();
        s.insert(r);
        s
    }

    /// The ranges, ascending.
    pub fn ranges(&self) -> &[Range] {
        &self.ranges
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Number of ranges.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether `a` is in the set.
    pub fn contains(&self, a: &ProtoAddr) -> bool {
        // The last range starting at or before `a`.
        let i = self.ranges.partition_point(|r| r.0 <= *a);
        i > 0 && self.ranges[i - 1].1 >= *a
    }

    /// Whether the set covers all of `r`.
    pub fn covers(&self, r: &Range) -> bool {
        let i = self.ranges.partition_point(|x| x.0 <= r.0);
        i > 0 && self.ranges[i - 1].1 >= r.1
    }

    /// Add every address of `r`.
    pub fn insert(&mut self, r: Range) {
        let (mut lo, mut hi) = r;
        if lo > hi {
            return;
        }
        // First range that could touch or follow `lo` (its max + 1 >= lo).
        let start = self
            .ranges
            .partition_point(|x| successor(&x.1).is_some_and(|s| s < lo));
        let mut end = start;
        while end < self.ranges.len() {
            let x = self.ranges[end];
            let touches = match successor(&hi) {
                Some(s) => x.0 <= s,
                None => true,
            };
            if !touches {
                break;
            }
            lo = lo.min(x.0);
            hi = hi.max(x.1);
            end += 1;
        }
        self.ranges.splice(start..end, [(lo, hi)]);
    }

    /// Add `r` when it starts at or after the start of every range held, as when a set is
    /// built from a sorted list: it can only touch the last range, so it costs O(1); any
    /// other range takes [`RangeSet::insert`].
    pub fn push(&mut self, r: Range) {
        if r.0 > r.1 {
            return;
        }
        match self.ranges.last_mut() {
            Some(last) if last.0 <= r.0 => {
                if successor(&last.1).is_none_or(|s| r.0 <= s) {
                    last.1 = last.1.max(r.1);
                } else {
                    self.ranges.push(r);
                }
            }
            None => self.ranges.push(r),
            Some(_) => self.insert(r),
        }
    }

    /// Remove every address of `r`.
    pub fn remove(&mut self, r: Range) {
        let (lo, hi) = r;
        if lo > hi {
            return;
        }
        let start = self.ranges.partition_point(|x| x.1 < lo);
        let mut end = start;
        let mut keep: Vec<Range> = Vec::new();
        while end < self.ranges.len() && self.ranges[end].0 <= hi {
            let x = self.ranges[end];
            if x.0 < lo {
                if let Some(p) = predecessor(&lo) {
                    keep.push((x.0, p));
                }
            }
            if x.1 > hi {
                if let Some(s) = successor(&hi) {
                    keep.push((s, x.1));
                }
            }
            end += 1;
        }
        self.ranges.splice(start..end, keep);
    }

    /// Add every address of `other`.
    pub fn union_with(&mut self, other: &RangeSet) {
        for &r in &other.ranges {
            self.insert(r);
        }
    }

    /// Remove every address of `other`.
    pub fn subtract(&mut self, other: &RangeSet) {
        for &r in &other.ranges {
            self.remove(r);
        }
    }

    /// The part of this set inside `r`.
    pub fn clipped(&self, r: &Range) -> RangeSet {
        let start = self.ranges.partition_point(|x| x.1 < r.0);
        let ranges = self.ranges[start..]
            .iter()
            .take_while(|x| x.0 <= r.1)
            .map(|x| (x.0.max(r.0), x.1.min(r.1)))
            .collect();
        RangeSet { ranges }
    }

    /// Whether any address of `r` is in the set.
    pub fn intersects(&self, r: &Range) -> bool {
        let start = self.ranges.partition_point(|x| x.1 < r.0);
        self.ranges.get(start).is_some_and(|x| x.0 <= r.1)
    }
}

impl FromIterator<Range> for RangeSet {
    fn from_iter<I: IntoIterator<Item = Range>>(iter: I) -> Self {
        let mut s = RangeSet::new();
        for r in iter {
            s.insert(r);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn a(v: u32) -> ProtoAddr {
        ProtoAddr::v4_u32(v)
    }

    #[test]
    fn succ_pred_wrap_limits() {
        assert_eq!(successor(&a(0x0000_00FF)), Some(a(0x0000_0100)));
        assert_eq!(successor(&a(u32::MAX)), None);
        assert_eq!(predecessor(&a(0x100)), Some(a(0xFF)));
        assert_eq!(predecessor(&a(0)), None);
    }

    #[test]
    fn whole_class_d_is_one_range() {
        let mut s = RangeSet::new();
        s.insert((a(0xE000_0000), a(0xEFFF_FFFF)));
        assert_eq!(s.len(), 1);
        assert!(s.contains(&a(0xE123_4567)));
        s.remove((a(0xE000_0005), a(0xE000_0005)));
        assert_eq!(
            s.ranges(),
            &[
                (a(0xE000_0000), a(0xE000_0004)),
                (a(0xE000_0006), a(0xEFFF_FFFF))
            ]
        );
    }

    #[test]
    fn adjacent_ranges_merge() {
        let s: RangeSet = [(a(1), a(3)), (a(4), a(6)), (a(10), a(10))]
            .into_iter()
            .collect();
        assert_eq!(s.ranges(), &[(a(1), a(6)), (a(10), a(10))]);
    }

    #[test]
    fn ends_of_space() {
        let mut s = RangeSet::from_range((a(0), a(u32::MAX)));
        s.remove((a(0), a(0)));
        s.remove((a(u32::MAX), a(u32::MAX)));
        assert_eq!(s.ranges(), &[(a(1), a(u32::MAX - 1))]);
        s.insert((a(u32::MAX), a(u32::MAX)));
        s.insert((a(0), a(0)));
        assert_eq!(s.ranges(), &[(a(0), a(u32::MAX))]);
    }

    // Model: a set of small integers, offset into the top of the space to exercise overflow.
    fn model_ops() -> impl Strategy<Value = Vec<(bool, u32, u32)>> {
        proptest::collection::vec((any::<bool>(), 0u32..40, 0u32..40), 0..40)
    }

    proptest! {
        /// `push` builds the same set as `insert`, sorted input or not.
        #[test]
        fn push_is_insert(mut rs in proptest::collection::vec((0u32..60, 0u32..60), 0..30), sorted in any::<bool>(), base in prop_oneof![Just(0u32), Just(u32::MAX - 59)]) {
            if sorted {
                rs.sort_unstable();
            }
            let (mut p, mut i) = (RangeSet::new(), RangeSet::new());
            for (x, y) in rs {
                let r = (a(base + x.min(y)), a(base + x.max(y)));
                p.push(r);
                i.insert(r);
            }
            prop_assert_eq!(p, i);
        }

        #[test]
        fn matches_a_set_model(ops in model_ops(), base in prop_oneof![Just(0u32), Just(u32::MAX - 39)]) {
            let mut s = RangeSet::new();
            let mut m = BTreeSet::new();
            for (ins, x, y) in ops {
                let (lo, hi) = (x.min(y), x.max(y));
                if ins {
                    s.insert((a(base + lo), a(base + hi)));
                    m.extend(lo..=hi);
                } else {
                    s.remove((a(base + lo), a(base + hi)));
                    for v in lo..=hi { m.remove(&v); }
                }
                for v in 0..40 {
                    prop_assert_eq!(s.contains(&a(base + v)), m.contains(&v));
                }
                // Canonical form: sorted, disjoint, non-adjacent.
                for w in s.ranges().windows(2) {
                    prop_assert!(successor(&w[0].1).unwrap() < w[1].0);
                }
                let clip = s.clipped(&(a(base + 10), a(base + 20)));
                for v in 0..40 {
                    prop_assert_eq!(clip.contains(&a(base + v)), (10..=20).contains(&v) && m.contains(&v));
                }
                prop_assert_eq!(s.intersects(&(a(base + 10), a(base + 20))), (10..=20).any(|v| m.contains(&v)));
            }
        }
    }
}
