//! The MARS mapping database for one cluster (one `mar$pro` context, RFC 2022 §6): registered
//! cluster members with their CMIs, the host map (which members joined which groups, by single
//! group or by block), the server maps (which MCSs serve which groups, §6.2), and the layer 3
//! membership flags behind MARS_GROUPLIST_REPLY (§5.3).
//!
//! ## Membership model
//! A member's membership is the union of its *single-group joins* (`<X,X>`, each remembering
//! its `layer3grp` flag) and its *block joins* (a [`RangeSet`]). This is the model §6.1.2 and
//! §6.2.4 imply: a block LEAVE leaves the node "still a member" of groups it joined singly.
//! - JOIN `<X,X>` records the single join; JOIN `<min,max>` (min < max) adds the block.
//! - LEAVE `<X,X>` removes the single join only: a node that also holds a block covering X "is
//!   still a member" (§6.1.2) — e.g. a promiscuous router whose host stack leaves X. LEAVE of a
//!   block removes the block's addresses from the member's blocks and keeps its single joins.
//! - Each returns the set of addresses whose membership actually changed; an empty set means
//!   the message was a duplicate (or a leave of something never joined) and is answered
//!   privately without propagation (§6.1.2, RFC 2443 §5.3/§5.4).
//!
//! ## Layout and costs
//! Groups named by single joins are interned: a [`GroupSlot`] per group address holds the
//! group's single-join members (sorted CMIs) and its layer 3 count, and a member's single joins
//! are a sorted `Vec<u32>` of slot numbers with the `layer3grp` flag in the low bit. One
//! single-group membership therefore costs 4 octets in the member and 2 in the group (plus
//! `Vec` growth slack), whatever the protocol address length. A block join costs one entry in
//! the member's [`RangeSet`] and one in the [`BlockIndex`], whatever it covers: a router joining
//! 224.0.0.0–239.255.255.255 (§8.2) costs two entries. The cost of every operation is bounded
//! by the member's own number of single joins and blocks, never by the addresses a block covers.

use crate::hash::Map;
use std::collections::BTreeSet;

use mars_wire::{AtmAddress, ProtoAddr};

use super::blocks::BlockIndex;
use super::range::{is_single, Range, RangeSet};

/// A Cluster Member ID (RFC 2022 §5.2.3). 0 is never allocated.
pub type Cmi = u16;

/// Where an entry was learned: from a client of this server, or from a peer server of the
/// server group (RFC 2443), named by its SCSP Sender ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Origin {
    /// Registered with this server.
    Local,
    /// Learned from the peer with this SCSP ID.
    Peer(u32),
}

/// A registered cluster member.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its ATM address (the source of its MARS_JOIN).
    pub addr: AtmAddress,
    /// Who told us about it.
    pub origin: Origin,
    /// Single-group joins: `slot << 1 | layer3grp`, sorted (so by slot).
    singles: Vec<u32>,
    /// Block joins.
    blocks: RangeSet,
}

impl Member {
    /// Block joins, ascending.
    pub fn blocks(&self) -> &RangeSet {
        &self.blocks
    }

    /// Number of single-group joins.
    pub fn single_count(&self) -> usize {
        self.singles.len()
    }

    /// Number of (member, group) entries this member holds: its singles plus its blocks.
    pub fn entries(&self) -> usize {
        self.singles.len() + self.blocks.len()
    }

    /// Index in `singles` of the join of group slot `slot`.
    fn single(&self, slot: u32) -> Option<usize> {
        self.singles.binary_search_by(|e| (e >> 1).cmp(&slot)).ok()
    }
}

/// One group address named by at least one single join (or with a layer 3 member).
#[derive(Debug, Clone)]
struct GroupSlot {
    addr: ProtoAddr,
    /// Members with a single join of the group, ascending.
    members: Vec<Cmi>,
    /// How many of those joins had `layer3grp` set.
    layer3: u32,
}

/// A registered Multicast Server (§6.2.3).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Mcs {
    /// Its ATM address.
    pub addr: AtmAddress,
    /// Who told us about it.
    pub origin: Origin,
    /// Groups it serves, ascending.
    pub groups: Vec<ProtoAddr>,
}

/// What a JOIN or LEAVE did to the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// The addresses whose membership changed: for a JOIN those the member was not already a
    /// member of, for a LEAVE those it is no longer a member of. Empty for a duplicate, which
    /// the MARS answers privately without propagating (§6.1.2).
    pub changed: RangeSet,
    /// Whether the database changed at all. A JOIN `<X,X>` under a block the member holds
    /// changes nothing in the cluster's view (`changed` is empty) but is remembered, so that
    /// a later block LEAVE leaves the member "still a member" of X (§6.1.2).
    pub stored: bool,
}

impl Change {
    fn none() -> Self {
        Change::default()
    }
    fn stored(changed: RangeSet) -> Self {
        Change {
            changed,
            stored: true,
        }
    }
}

/// A database operation that cannot be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// Every CMI of the configured range is in use.
    #[error("no free Cluster Member ID in {0}..={1}")]
    CmisExhausted(Cmi, Cmi),
    /// A CMI learned from a peer is already held by another endpoint.
    #[error("CMI {0} is already held by another endpoint")]
    CmiInUse(Cmi),
}

/// The database of one cluster.
#[derive(Debug, Clone)]
pub struct ClusterDb {
    cmi_range: (Cmi, Cmi),
    next_cmi: Cmi,
    members: Map<Cmi, Member>,
    by_addr: Map<AtmAddress, Cmi>,
    /// Interned groups (slots), their free list and their index by address.
    groups: Vec<GroupSlot>,
    free_slots: Vec<u32>,
    slot_of: Map<ProtoAddr, u32>,
    /// Groups with at least one single join with `layer3grp` set (§5.3), ordered for ranges.
    layer3: BTreeSet<ProtoAddr>,
    blocks: BlockIndex<Cmi>,
    /// MCSs by their id (allocated from the CMI space so ids are unique across the LIS).
    mcs: Map<Cmi, Mcs>,
    mcs_by_addr: Map<AtmAddress, Cmi>,
    /// group → serving MCS ids (the server map, §6.2), ordered so that the MCS-served groups
    /// inside a block are found by a range query (the "holes" of Appendix A).
    servers: std::collections::BTreeMap<ProtoAddr, Vec<Cmi>>,
}

impl ClusterDb {
    /// An empty database allocating CMIs from `lo..=hi` (0 is never allocated).
    pub fn new(lo: Cmi, hi: Cmi) -> Self {
        let lo = lo.max(1);
        ClusterDb {
            cmi_range: (lo, hi.max(lo)),
            next_cmi: lo,
            members: Map::default(),
            by_addr: Map::default(),
            groups: Vec::new(),
            free_slots: Vec::new(),
            slot_of: Map::default(),
            layer3: BTreeSet::new(),
            blocks: BlockIndex::default(),
            mcs: Map::default(),
            mcs_by_addr: Map::default(),
            servers: std::collections::BTreeMap::new(),
        }
    }

    /// The configured CMI range.
    pub fn cmi_range(&self) -> (Cmi, Cmi) {
        self.cmi_range
    }

    fn in_use(&self, c: Cmi) -> bool {
        self.members.contains_key(&c) || self.mcs.contains_key(&c)
    }

    /// Next free CMI, cycling through the range so that a freed CMI is not reused at once
    /// (a stale `pkt$cmi` in flight must not match a new member, §5.5.1).
    fn allocate(&mut self) -> Result<Cmi, DbError> {
        let (lo, hi) = self.cmi_range;
        let span = u32::from(hi - lo) + 1;
        let mut c = self.next_cmi.clamp(lo, hi);
        for _ in 0..span {
            let next = if c == hi { lo } else { c + 1 };
            if !self.in_use(c) {
                self.next_cmi = next;
                return Ok(c);
            }
            c = next;
        }
        Err(DbError::CmisExhausted(lo, hi))
    }

    // ----- cluster members -------------------------------------------------------------

    /// Register `addr` (§6.1.2): returns its CMI and whether it is new. An address already
    /// registered keeps its CMI.
    pub fn register(&mut self, addr: AtmAddress, origin: Origin) -> Result<(Cmi, bool), DbError> {
        if let Some(&c) = self.by_addr.get(&addr) {
            return Ok((c, false));
        }
        let c = self.allocate()?;
        self.insert_member(c, addr, origin);
        Ok((c, true))
    }

    /// Record a member registered elsewhere with the CMI it was given there (RFC 2443 §5.3).
    /// Re-recording the same address with the same CMI is a no-op.
    pub fn register_as(
        &mut self,
        cmi: Cmi,
        addr: AtmAddress,
        origin: Origin,
    ) -> Result<bool, DbError> {
        match (self.members.get(&cmi), self.by_addr.get(&addr)) {
            (Some(m), _) if m.addr == addr => Ok(false),
            (Some(_), _) | (None, Some(_)) => Err(DbError::CmiInUse(cmi)),
            (None, None) if self.mcs.contains_key(&cmi) || cmi == 0 => Err(DbError::CmiInUse(cmi)),
            (None, None) => {
                self.insert_member(cmi, addr, origin);
                Ok(true)
            }
        }
    }

    fn insert_member(&mut self, c: Cmi, addr: AtmAddress, origin: Origin) {
        self.by_addr.insert(addr, c);
        self.members.insert(
            c,
            Member {
                addr,
                origin,
                singles: Vec::new(),
                blocks: RangeSet::new(),
            },
        );
    }

    /// Remove a member and every membership it held (§6.1.2, §5.2.3). Returns the member and
    /// the addresses it was a member of.
    pub fn deregister(&mut self, cmi: Cmi) -> Option<(Member, RangeSet)> {
        let all = self.membership(cmi);
        let m = self.members.remove(&cmi)?;
        self.by_addr.remove(&m.addr);
        for &e in &m.singles {
            self.unindex_single(cmi, e >> 1, e & 1 == 1);
        }
        for &r in m.blocks.ranges() {
            self.blocks.remove(r, cmi);
        }
        Some((m, all))
    }

    /// The CMI of the member registered with `addr`.
    pub fn member_by_addr(&self, addr: &AtmAddress) -> Option<Cmi> {
        self.by_addr.get(addr).copied()
    }

    /// A member by CMI.
    pub fn member(&self, cmi: Cmi) -> Option<&Member> {
        self.members.get(&cmi)
    }

    /// Every member, in CMI order.
    pub fn members(&self) -> impl Iterator<Item = (Cmi, &Member)> {
        let mut v: Vec<_> = self.members.iter().map(|(&c, m)| (c, m)).collect();
        v.sort_by_key(|&(c, _)| c);
        v.into_iter()
    }

    /// Number of registered members.
    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    /// Total (member, single group) and (member, block) entries.
    pub fn membership_entries(&self) -> usize {
        self.members.values().map(Member::entries).sum()
    }

    /// Number of block joins held.
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// Member `cmi`'s single joins with their `layer3grp` flags, ascending by group.
    pub fn singles_of(&self, cmi: Cmi) -> Vec<(ProtoAddr, bool)> {
        let mut v: Vec<(ProtoAddr, bool)> = self
            .members
            .get(&cmi)
            .into_iter()
            .flat_map(|m| m.singles.iter())
            .map(|&e| (self.groups[(e >> 1) as usize].addr, e & 1 == 1))
            .collect();
        v.sort_unstable();
        v
    }

    /// Everything member `cmi` is a member of, as ranges.
    pub fn membership(&self, cmi: Cmi) -> RangeSet {
        let Some(m) = self.members.get(&cmi) else {
            return RangeSet::new();
        };
        // Blocks first, then the singles ascending: mostly appends.
        let mut s = m.blocks.clone();
        for (g, _) in self.singles_of(cmi) {
            s.push((g, g));
        }
        s
    }

    /// Whether member `cmi` is in group `g` (by single or block join).
    pub fn is_member(&self, cmi: Cmi, g: &ProtoAddr) -> bool {
        let Some(m) = self.members.get(&cmi) else {
            return false;
        };
        m.blocks.contains(g) || self.slot_of.get(g).is_some_and(|&s| m.single(s).is_some())
    }

    /// The groups inside `r` that member `cmi` joined singly, as a set.
    fn singles_in(&self, m: &Member, r: &Range) -> RangeSet {
        m.singles
            .iter()
            .map(|&e| self.groups[(e >> 1) as usize].addr)
            .filter(|g| r.0 <= *g && *g <= r.1)
            .map(|g| (g, g))
            .collect()
    }

    fn slot(&mut self, g: ProtoAddr) -> u32 {
        if let Some(&s) = self.slot_of.get(&g) {
            return s;
        }
        let slot = GroupSlot {
            addr: g,
            members: Vec::new(),
            layer3: 0,
        };
        let s = match self.free_slots.pop() {
            Some(s) => {
                self.groups[s as usize] = slot;
                s
            }
            None => {
                self.groups.push(slot);
                (self.groups.len() - 1) as u32
            }
        };
        self.slot_of.insert(g, s);
        s
    }

    fn unindex_single(&mut self, cmi: Cmi, s: u32, l3: bool) {
        let Some(slot) = self.groups.get_mut(s as usize) else {
            return;
        };
        if let Ok(i) = slot.members.binary_search(&cmi) {
            slot.members.remove(i);
        }
        if l3 {
            slot.layer3 = slot.layer3.saturating_sub(1);
            if slot.layer3 == 0 {
                self.layer3.remove(&slot.addr);
            }
        }
        if slot.members.is_empty() {
            let addr = slot.addr;
            self.slot_of.remove(&addr);
            self.groups[s as usize] = GroupSlot {
                addr: ProtoAddr::NULL,
                members: Vec::new(),
                layer3: 0,
            };
            self.free_slots.push(s);
        }
    }

    /// Apply MARS_JOIN `<min,max>` from member `cmi` (§6.1.2). `layer3grp` counts only for a
    /// single group ("MUST be treated as reset" for blocks). Returns the addresses the member
    /// was not already a member of (see [`Change`]). Unknown `cmi`: no change.
    pub fn join(&mut self, cmi: Cmi, r: Range, layer3grp: bool) -> Change {
        if !self.members.contains_key(&cmi) {
            return Change::none();
        }
        if is_single(&r) {
            return self.join_single(cmi, r.0, layer3grp);
        }
        let Some(m) = self.members.get(&cmi) else {
            return Change::none();
        };
        if m.blocks.covers(&r) {
            return Change::none();
        }
        let mut added = RangeSet::from_range(r);
        added.subtract(&m.blocks.clipped(&r));
        added.subtract(&self.singles_in(m, &r));
        // Recorded even when nothing is new (a block fully covered by single joins must
        // survive their LEAVEs).
        let old = m.blocks.clone();
        let mut new = old.clone();
        new.insert(r);
        self.replace_blocks(cmi, &old, new);
        Change::stored(added)
    }

    fn join_single(&mut self, cmi: Cmi, g: ProtoAddr, layer3grp: bool) -> Change {
        let existing = self.slot_of.get(&g).copied();
        let Some(m) = self.members.get_mut(&cmi) else {
            return Change::none();
        };
        if let Some(i) = existing.and_then(|s| m.single(s)) {
            // Already joined singly: a retransmission. A set layer3grp sticks.
            if layer3grp && m.singles[i] & 1 == 0 {
                m.singles[i] |= 1;
                let s = (m.singles[i] >> 1) as usize;
                self.groups[s].layer3 += 1;
                self.layer3.insert(g);
                return Change::stored(RangeSet::new());
            }
            return Change::none();
        }
        let via_block = m.blocks.contains(&g);
        let s = self.slot(g);
        if let Some(m) = self.members.get_mut(&cmi) {
            let e = s << 1 | u32::from(layer3grp);
            let i = m.singles.partition_point(|x| (x >> 1) < s);
            m.singles.insert(i, e);
        }
        let slot = &mut self.groups[s as usize];
        if let Err(i) = slot.members.binary_search(&cmi) {
            slot.members.insert(i, cmi);
        }
        if layer3grp {
            slot.layer3 += 1;
            self.layer3.insert(g);
        }
        Change::stored(if via_block {
            RangeSet::new()
        } else {
            RangeSet::from_range((g, g))
        })
    }

    /// Replace member `cmi`'s blocks `old` with `new`, keeping the block index in step.
    fn replace_blocks(&mut self, cmi: Cmi, old: &RangeSet, new: RangeSet) {
        for &r in old.ranges() {
            if new.ranges().binary_search(&r).is_err() {
                self.blocks.remove(r, cmi);
            }
        }
        for &r in new.ranges() {
            if old.ranges().binary_search(&r).is_err() {
                self.blocks.insert(r, cmi);
            }
        }
        if let Some(m) = self.members.get_mut(&cmi) {
            m.blocks = new;
        }
    }

    /// Apply MARS_LEAVE `<min,max>` from member `cmi` (§6.1.2). Returns the addresses the
    /// member is no longer a member of (see [`Change`]).
    pub fn leave(&mut self, cmi: Cmi, r: Range) -> Change {
        let Some(m) = self.members.get(&cmi) else {
            return Change::none();
        };
        if is_single(&r) {
            let g = r.0;
            let Some((s, i)) = self
                .slot_of
                .get(&g)
                .and_then(|&s| m.single(s).map(|i| (s, i)))
            else {
                // Not joined singly: a node holding a block covering X "is still" a member.
                return Change::none();
            };
            let still = m.blocks.contains(&g);
            let e = m.singles[i];
            if let Some(m) = self.members.get_mut(&cmi) {
                m.singles.remove(i);
            }
            self.unindex_single(cmi, s, e & 1 == 1);
            return Change::stored(if still {
                RangeSet::new()
            } else {
                RangeSet::from_range(r)
            });
        }
        if !m.blocks.intersects(&r) {
            return Change::none();
        }
        let mut left = m.blocks.clipped(&r);
        left.subtract(&self.singles_in(m, &r));
        let old = m.blocks.clone();
        let mut new = old.clone();
        new.remove(r);
        self.replace_blocks(cmi, &old, new);
        Change::stored(left)
    }

    /// Make member `cmi`'s membership exactly `singles` (with their `layer3grp` flags) and
    /// `blocks` — the state a peer server advertised for one of its clients (RFC 2443) — and
    /// return what changed: (addresses newly joined, addresses left). Unknown `cmi`: nothing.
    pub fn set_membership(
        &mut self,
        cmi: Cmi,
        singles: &[(ProtoAddr, bool)],
        blocks: RangeSet,
    ) -> (RangeSet, RangeSet) {
        let Some(m) = self.members.get(&cmi) else {
            return (RangeSet::new(), RangeSet::new());
        };
        let old_blocks = m.blocks.clone();
        let before = self.membership(cmi);
        // Both lists sorted, so the difference costs n log n, not n² (a learned client with
        // hundreds of groups is reconciled after every batch of its records).
        let current = self.singles_of(cmi);
        let mut wanted = singles.to_vec();
        wanted.sort_unstable();
        for &(g, l3) in &current {
            if wanted.binary_search(&(g, l3)).is_err() {
                self.leave(cmi, (g, g));
            }
        }
        for &(g, l3) in &wanted {
            if current.binary_search(&(g, l3)).is_err() {
                self.join_single(cmi, g, l3);
            }
        }
        self.replace_blocks(cmi, &old_blocks, blocks);
        let after = self.membership(cmi);
        let mut added = after.clone();
        added.subtract(&before);
        let mut removed = before;
        removed.subtract(&after);
        (added, removed)
    }

    /// Members of group `g` (the host map, §6.2), ascending by CMI, each once.
    pub fn members_of(&self, g: &ProtoAddr) -> Vec<Cmi> {
        self.with_members(g, <[Cmi]>::to_vec)
    }

    /// ATM addresses of the members of `g`, ascending by CMI.
    pub fn host_map(&self, g: &ProtoAddr) -> Vec<AtmAddress> {
        self.with_members(g, |m| {
            m.iter()
                .filter_map(|c| self.members.get(c).map(|m| m.addr))
                .collect()
        })
    }

    /// `f` of the members of `g`, ascending: its single-join list, merged with the members
    /// of the blocks covering it when there are any (else borrowed as it is, no copy).
    fn with_members<R>(&self, g: &ProtoAddr, f: impl FnOnce(&[Cmi]) -> R) -> R {
        let singles = self
            .slot_of
            .get(g)
            .map_or(&[][..], |&s| self.groups[s as usize].members.as_slice());
        let mut all = Vec::new();
        self.blocks.stab(g, |c| all.push(c));
        if all.is_empty() {
            return f(singles);
        }
        all.extend_from_slice(singles);
        all.sort_unstable();
        all.dedup();
        f(&all)
    }

    /// Groups in `r` with at least one layer 3 member (§5.3), ascending.
    pub fn layer3_groups(&self, r: &Range) -> Vec<ProtoAddr> {
        self.layer3.range(r.0..=r.1).copied().collect()
    }

    /// Groups named by at least one single join, ascending, with their single-join members.
    pub fn single_groups(&self) -> Vec<(ProtoAddr, &[Cmi])> {
        let mut v: Vec<(ProtoAddr, &[Cmi])> = self
            .slot_of
            .iter()
            .map(|(g, &s)| (*g, self.groups[s as usize].members.as_slice()))
            .collect();
        v.sort_unstable_by_key(|e| e.0);
        v
    }

    /// Every block join, as `(block, member)`, ascending by block.
    pub fn block_joins(&self) -> Vec<(Range, Cmi)> {
        let mut v = Vec::with_capacity(self.blocks.len());
        self.blocks.for_each(|r, c| v.push((*r, c)));
        v
    }

    /// The number of groups with at least one member (RFC 2417 `marsStatRegMemGroups`):
    /// singly joined groups plus every address covered by a block, counted once. Saturates.
    pub fn groups_with_members(&self) -> u128 {
        let mut union = RangeSet::new();
        self.blocks.for_each(|r, _| union.insert(*r));
        let covered: u128 = union
            .ranges()
            .iter()
            .map(|(lo, hi)| span(lo, hi))
            .fold(0u128, u128::saturating_add);
        let outside = self.slot_of.keys().filter(|g| !union.contains(g)).count();
        covered.saturating_add(outside as u128)
    }

    // ----- multicast servers -----------------------------------------------------------

    /// Register an MCS (§6.2.3): returns its id and whether it is new.
    pub fn register_mcs(
        &mut self,
        addr: AtmAddress,
        origin: Origin,
    ) -> Result<(Cmi, bool), DbError> {
        if let Some(&c) = self.mcs_by_addr.get(&addr) {
            return Ok((c, false));
        }
        let c = self.allocate()?;
        self.insert_mcs(c, addr, origin);
        Ok((c, true))
    }

    /// Record an MCS registered elsewhere under the id it was given there.
    pub fn register_mcs_as(
        &mut self,
        id: Cmi,
        addr: AtmAddress,
        origin: Origin,
    ) -> Result<bool, DbError> {
        match (self.mcs.get(&id), self.mcs_by_addr.get(&addr)) {
            (Some(m), _) if m.addr == addr => Ok(false),
            (Some(_), _) | (None, Some(_)) => Err(DbError::CmiInUse(id)),
            (None, None) if self.members.contains_key(&id) || id == 0 => Err(DbError::CmiInUse(id)),
            (None, None) => {
                self.insert_mcs(id, addr, origin);
                Ok(true)
            }
        }
    }

    fn insert_mcs(&mut self, id: Cmi, addr: AtmAddress, origin: Origin) {
        self.mcs_by_addr.insert(addr, id);
        self.mcs.insert(
            id,
            Mcs {
                addr,
                origin,
                groups: Vec::new(),
            },
        );
    }

    /// Remove an MCS from every server map (§6.2.3). Returns it; its `groups` are the groups
    /// it served.
    pub fn deregister_mcs(&mut self, id: Cmi) -> Option<Mcs> {
        let m = self.mcs.remove(&id)?;
        self.mcs_by_addr.remove(&m.addr);
        for g in &m.groups {
            self.unserve_index(id, g);
        }
        Some(m)
    }

    /// The id of the MCS registered with `addr`.
    pub fn mcs_by_addr(&self, addr: &AtmAddress) -> Option<Cmi> {
        self.mcs_by_addr.get(addr).copied()
    }

    /// An MCS by id.
    pub fn mcs(&self, id: Cmi) -> Option<&Mcs> {
        self.mcs.get(&id)
    }

    /// Every MCS, by id.
    pub fn mcss(&self) -> impl Iterator<Item = (Cmi, &Mcs)> {
        let mut v: Vec<_> = self.mcs.iter().map(|(&c, m)| (c, m)).collect();
        v.sort_by_key(|&(c, _)| c);
        v.into_iter()
    }

    /// MCS `id` serves `g` (MARS_MSERV, §6.2.2). Returns whether it is new, and whether `g`
    /// had no server map before (the MARS_MIGRATE case).
    pub fn serve(&mut self, id: Cmi, g: ProtoAddr) -> (bool, bool) {
        let Some(m) = self.mcs.get_mut(&id) else {
            return (false, false);
        };
        match m.groups.binary_search(&g) {
            Ok(_) => (false, false),
            Err(i) => {
                m.groups.insert(i, g);
                let v = self.servers.entry(g).or_default();
                let first = v.is_empty();
                if let Err(i) = v.binary_search(&id) {
                    v.insert(i, id);
                }
                (true, first)
            }
        }
    }

    /// MCS `id` no longer serves `g` (MARS_UNSERV, §6.2.2). Returns whether it did.
    pub fn unserve(&mut self, id: Cmi, g: &ProtoAddr) -> bool {
        let Some(m) = self.mcs.get_mut(&id) else {
            return false;
        };
        match m.groups.binary_search(g) {
            Ok(i) => {
                m.groups.remove(i);
                self.unserve_index(id, g);
                true
            }
            Err(_) => false,
        }
    }

    fn unserve_index(&mut self, id: Cmi, g: &ProtoAddr) {
        if let Some(v) = self.servers.get_mut(g) {
            v.retain(|&x| x != id);
            if v.is_empty() {
                self.servers.remove(g);
            }
        }
    }

    /// ATM addresses of the MCSs serving `g` (the server map), ascending by id.
    pub fn server_map(&self, g: &ProtoAddr) -> Vec<AtmAddress> {
        self.servers
            .get(g)
            .into_iter()
            .flatten()
            .filter_map(|id| self.mcs.get(id).map(|m| m.addr))
            .collect()
    }

    /// The ids of the MCSs serving `g`.
    pub fn servers_of(&self, g: &ProtoAddr) -> &[Cmi] {
        self.servers.get(g).map_or(&[], Vec::as_slice)
    }

    /// Whether `g` has a server map.
    pub fn is_served(&self, g: &ProtoAddr) -> bool {
        self.servers.contains_key(g)
    }

    /// The MCS-served groups inside `r`, as a set: the "holes" Appendix A punches in a block.
    pub fn served_in(&self, r: &Range) -> RangeSet {
        self.servers
            .range(r.0..=r.1)
            .map(|(g, _)| (*g, *g))
            .collect()
    }

    /// Number of groups with a server map (RFC 2417 `marsStatRegMcsGroups`).
    pub fn served_count(&self) -> usize {
        self.servers.len()
    }
}

/// Number of addresses in `lo..=hi` (equal lengths), saturating at `u128::MAX`.
fn span(lo: &ProtoAddr, hi: &ProtoAddr) -> u128 {
    let value = |a: &ProtoAddr| {
        a.as_bytes().iter().try_fold(0u128, |acc, &b| {
            acc.checked_mul(256)?.checked_add(u128::from(b))
        })
    };
    match (value(lo), value(hi)) {
        (Some(l), Some(h)) => h.saturating_sub(l).saturating_add(1),
        _ => u128::MAX,
    }
}

#[cfg(test)]
#[path = "db_tests.rs"]
mod tests;
