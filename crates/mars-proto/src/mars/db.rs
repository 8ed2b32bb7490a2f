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
//! Costs: memory per single membership is one sorted-`Vec` slot in the member plus one slot in
//! the group's member list; a block costs one entry whatever it covers.

use std::collections::{BTreeMap, HashMap};

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
#[derive(Debug, Clone, serde::Serialize)]
pub struct Member {
    /// Its ATM address (the source of its MARS_JOIN).
    pub addr: AtmAddress,
    /// Who told us about it.
    pub origin: Origin,
    /// Single-group joins, sorted, with their `layer3grp` flag.
    singles: Vec<(ProtoAddr, bool)>,
    /// Block joins.
    #[serde(skip)]
    blocks: RangeSet,
}

impl Member {
    /// Single-group joins with their `layer3grp` flags, ascending.
    pub fn singles(&self) -> &[(ProtoAddr, bool)] {
        &self.singles
    }

    /// Block joins, ascending.
    pub fn blocks(&self) -> &RangeSet {
        &self.blocks
    }

    /// Whether the member is in group `g` (by single or block join).
    pub fn is_member(&self, g: &ProtoAddr) -> bool {
        self.single(g).is_some() || self.blocks.contains(g)
    }

    fn single(&self, g: &ProtoAddr) -> Option<usize> {
        self.singles.binary_search_by(|(x, _)| x.cmp(g)).ok()
    }

    /// Everything the member is a member of, as ranges.
    pub fn membership(&self) -> RangeSet {
        let mut s = self.blocks.clone();
        for &(g, _) in &self.singles {
            s.insert((g, g));
        }
        s
    }

    /// Number of (member, group) entries this member holds: its singles plus its blocks.
    pub fn entries(&self) -> usize {
        self.singles.len() + self.blocks.len()
    }
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
    members: HashMap<Cmi, Member>,
    by_addr: HashMap<AtmAddress, Cmi>,
    /// group → members with a single join of it, sorted.
    singles: HashMap<ProtoAddr, Vec<Cmi>>,
    blocks: BlockIndex<Cmi>,
    /// group → number of single joins with `layer3grp` set.
    layer3: BTreeMap<ProtoAddr, u32>,
    /// MCSs by their id (allocated from the CMI space so ids are unique across the LIS).
    mcs: HashMap<Cmi, Mcs>,
    mcs_by_addr: HashMap<AtmAddress, Cmi>,
    /// group → serving MCS ids (the server map, §6.2).
    servers: BTreeMap<ProtoAddr, Vec<Cmi>>,
}

impl ClusterDb {
    /// An empty database allocating CMIs from `lo..=hi` (0 is never allocated).
    pub fn new(lo: Cmi, hi: Cmi) -> Self {
        let lo = lo.max(1);
        ClusterDb {
            cmi_range: (lo, hi.max(lo)),
            next_cmi: lo,
            members: HashMap::new(),
            by_addr: HashMap::new(),
            singles: HashMap::new(),
            blocks: BlockIndex::default(),
            layer3: BTreeMap::new(),
            mcs: HashMap::new(),
            mcs_by_addr: HashMap::new(),
            servers: BTreeMap::new(),
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
            (Some(_), _) => Err(DbError::CmiInUse(cmi)),
            (None, Some(_)) => Err(DbError::CmiInUse(cmi)),
            (None, None) if self.mcs.contains_key(&cmi) => Err(DbError::CmiInUse(cmi)),
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
        let m = self.members.remove(&cmi)?;
        self.by_addr.remove(&m.addr);
        for &(g, l3) in &m.singles {
            self.unindex_single(cmi, g, l3);
        }
        for &r in m.blocks.ranges() {
            self.blocks.remove(r, cmi);
        }
        let all = m.membership();
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

    fn index_single(&mut self, cmi: Cmi, g: ProtoAddr, l3: bool) {
        let v = self.singles.entry(g).or_default();
        if let Err(i) = v.binary_search(&cmi) {
            v.insert(i, cmi);
        }
        if l3 {
            *self.layer3.entry(g).or_default() += 1;
        }
    }

    fn unindex_single(&mut self, cmi: Cmi, g: ProtoAddr, l3: bool) {
        if let Some(v) = self.singles.get_mut(&g) {
            if let Ok(i) = v.binary_search(&cmi) {
                v.remove(i);
            }
            if v.is_empty() {
                self.singles.remove(&g);
            }
        }
        if l3 {
            if let Some(n) = self.layer3.get_mut(&g) {
                *n -= 1;
                if *n == 0 {
                    self.layer3.remove(&g);
                }
            }
        }
    }

    /// Replace member `cmi`'s blocks with `new`, keeping the block index in step.
    fn set_blocks(&mut self, cmi: Cmi, new: RangeSet) {
        let Some(m) = self.members.get_mut(&cmi) else {
            return;
        };
        let old = std::mem::replace(&mut m.blocks, new.clone());
        for &r in old.ranges() {
            if !new.ranges().contains(&r) {
                self.blocks.remove(r, cmi);
            }
        }
        for &r in new.ranges() {
            if !old.ranges().contains(&r) {
                self.blocks.insert(r, cmi);
            }
        }
    }

    /// Apply MARS_JOIN `<min,max>` from member `cmi` (§6.1.2). `layer3grp` counts only for a
    /// single group ("MUST be treated as reset" for blocks). Returns the addresses the member
    /// was not already a member of; empty means a duplicate. Unknown `cmi`: empty.
    pub fn join(&mut self, cmi: Cmi, r: Range, layer3grp: bool) -> RangeSet {
        let Some(m) = self.members.get(&cmi) else {
            return RangeSet::new();
        };
        let mut added = RangeSet::from_range(r);
        added.subtract(&m.membership());
        if is_single(&r) {
            let g = r.0;
            match m.single(&g) {
                Some(i) => {
                    // Already joined singly: a retransmission. A set layer3grp sticks.
                    if layer3grp && !m.singles[i].1 {
                        if let Some(m) = self.members.get_mut(&cmi) {
                            m.singles[i].1 = true;
                        }
                        *self.layer3.entry(g).or_default() += 1;
                    }
                }
                None => {
                    if let Some(m) = self.members.get_mut(&cmi) {
                        let i = m.singles.partition_point(|(x, _)| *x < g);
                        m.singles.insert(i, (g, layer3grp));
                    }
                    self.index_single(cmi, g, layer3grp);
                }
            }
        } else {
            let mut blocks = m.blocks.clone();
            blocks.insert(r);
            self.set_blocks(cmi, blocks);
        }
        added
    }

    /// Apply MARS_LEAVE `<min,max>` from member `cmi` (§6.1.2). Returns the addresses the
    /// member is no longer a member of; empty means nothing changed.
    pub fn leave(&mut self, cmi: Cmi, r: Range) -> RangeSet {
        let Some(m) = self.members.get(&cmi) else {
            return RangeSet::new();
        };
        let before = m.membership().clipped(&r);
        if is_single(&r) {
            if let Some(i) = m.single(&r.0) {
                let l3 = m.singles[i].1;
                if let Some(m) = self.members.get_mut(&cmi) {
                    m.singles.remove(i);
                }
                self.unindex_single(cmi, r.0, l3);
            }
        } else if let Some(m) = self.members.get(&cmi) {
            if m.blocks.intersects(&r) {
                let mut blocks = m.blocks.clone();
                blocks.remove(r);
                self.set_blocks(cmi, blocks);
            }
        }
        let after = self
            .members
            .get(&cmi)
            .map(|m| m.membership().clipped(&r))
            .unwrap_or_default();
        let mut left = before;
        left.subtract(&after);
        left
    }

    /// Members of group `g` (the host map, §6.2), ascending by CMI, each once.
    pub fn members_of(&self, g: &ProtoAddr) -> Vec<Cmi> {
        let mut v: Vec<Cmi> = self.singles.get(g).cloned().unwrap_or_default();
        let n = v.len();
        self.blocks.stab(g, |c| v.push(c));
        if v.len() > n {
            v.sort_unstable();
            v.dedup();
        }
        v
    }

    /// ATM addresses of the members of `g`, ascending by CMI.
    pub fn host_map(&self, g: &ProtoAddr) -> Vec<AtmAddress> {
        self.members_of(g)
            .into_iter()
            .filter_map(|c| self.members.get(&c).map(|m| m.addr))
            .collect()
    }

    /// Groups in `r` with at least one layer 3 member (§5.3), ascending.
    pub fn layer3_groups(&self, r: &Range) -> Vec<ProtoAddr> {
        self.layer3.range(r.0..=r.1).map(|(g, _)| *g).collect()
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
            (None, None) if self.members.contains_key(&id) => Err(DbError::CmiInUse(id)),
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
                v.push(id);
                v.sort_unstable();
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

    /// ATM addresses of the MCSs serving `g` (the server map).
    pub fn server_map(&self, g: &ProtoAddr) -> Vec<AtmAddress> {
        self.servers
            .get(g)
            .into_iter()
            .flatten()
            .filter_map(|id| self.mcs.get(id).map(|m| m.addr))
            .collect()
    }

    /// Whether `g` has a server map.
    pub fn is_served(&self, g: &ProtoAddr) -> bool {
        self.servers.contains_key(g)
    }

    /// The MCS-served groups inside `r`, as a set.
    pub fn served_in(&self, r: &Range) -> RangeSet {
        self.servers
            .range(r.0..=r.1)
            .map(|(g, _)| (*g, *g))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mars_wire::AtmAddr;

    fn g(v: u32) -> ProtoAddr {
        ProtoAddr::v4_u32(0xE000_0000 + v)
    }

    fn addr(n: u8) -> AtmAddress {
        let mut o = [0u8; 20];
        o[0] = 0x47;
        o[19] = n;
        AtmAddress::new(AtmAddr::nsap(o))
    }

    #[test]
    fn cmis_unique_cycling_and_exhaustion() {
        let mut db = ClusterDb::new(1, 3);
        let (a, new) = db.register(addr(1), Origin::Local).unwrap();
        assert!(new);
        assert_eq!(db.register(addr(1), Origin::Local).unwrap(), (a, false));
        let (b, _) = db.register(addr(2), Origin::Local).unwrap();
        let (c, _) = db.register(addr(3), Origin::Local).unwrap();
        assert_eq!((a, b, c), (1, 2, 3));
        assert_eq!(
            db.register(addr(4), Origin::Local),
            Err(DbError::CmisExhausted(1, 3))
        );
        db.deregister(b);
        assert_eq!(db.register(addr(4), Origin::Local).unwrap(), (2, true));
    }

    #[test]
    fn freed_cmi_not_reused_at_once() {
        let mut db = ClusterDb::new(10, 20);
        let (a, _) = db.register(addr(1), Origin::Local).unwrap();
        db.deregister(a);
        let (b, _) = db.register(addr(2), Origin::Local).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn single_joins_and_duplicates() {
        let mut db = ClusterDb::new(1, 100);
        let (m, _) = db.register(addr(1), Origin::Local).unwrap();
        assert_eq!(db.join(m, (g(1), g(1)), true).ranges(), &[(g(1), g(1))]);
        assert!(db.join(m, (g(1), g(1)), true).is_empty(), "duplicate");
        assert_eq!(db.members_of(&g(1)), vec![m]);
        assert_eq!(db.layer3_groups(&(g(0), g(10))), vec![g(1)]);
        assert_eq!(db.leave(m, (g(1), g(1))).ranges(), &[(g(1), g(1))]);
        assert!(
            db.leave(m, (g(1), g(1))).is_empty(),
            "leave of a group not joined"
        );
        assert!(db.members_of(&g(1)).is_empty());
        assert!(db.layer3_groups(&(g(0), g(10))).is_empty());
    }

    #[test]
    fn block_leave_keeps_single_joins() {
        // §6.1.2: a block LEAVE leaves the node "still a member" of single joins.
        let mut db = ClusterDb::new(1, 100);
        let (m, _) = db.register(addr(1), Origin::Local).unwrap();
        db.join(m, (g(5), g(5)), true);
        let added = db.join(m, (g(0), g(9)), true);
        assert_eq!(
            added.ranges(),
            &[(g(0), g(4)), (g(6), g(9))],
            "hole at the single join"
        );
        let left = db.leave(m, (g(0), g(9)));
        assert_eq!(left.ranges(), &[(g(0), g(4)), (g(6), g(9))]);
        assert_eq!(db.members_of(&g(5)), vec![m]);
        assert!(db.members_of(&g(6)).is_empty());
        // layer3grp of a block join is treated as reset.
        assert_eq!(db.layer3_groups(&(g(0), g(9))), vec![g(5)]);
    }

    #[test]
    fn single_leave_under_a_block_stays_member() {
        let mut db = ClusterDb::new(1, 100);
        let (m, _) = db.register(addr(1), Origin::Local).unwrap();
        db.join(m, (g(0), g(9)), false);
        assert!(
            db.join(m, (g(5), g(5)), true).is_empty(),
            "already a member via the block"
        );
        assert!(
            db.leave(m, (g(5), g(5))).is_empty(),
            "still a member via the block"
        );
        assert_eq!(db.members_of(&g(5)), vec![m]);
        assert!(db.layer3_groups(&(g(0), g(9))).is_empty());
    }

    #[test]
    fn promiscuous_router_costs_one_entry() {
        let mut db = ClusterDb::new(1, 100);
        let (r, _) = db.register(addr(9), Origin::Local).unwrap();
        db.join(
            r,
            (
                ProtoAddr::v4_u32(0xE000_0000),
                ProtoAddr::v4_u32(0xEFFF_FFFF),
            ),
            false,
        );
        assert_eq!(db.block_count(), 1);
        assert_eq!(db.membership_entries(), 1);
        assert_eq!(db.members_of(&ProtoAddr::v4_u32(0xE9AB_CDEF)), vec![r]);
    }

    #[test]
    fn deregister_removes_everything() {
        let mut db = ClusterDb::new(1, 100);
        let (a, _) = db.register(addr(1), Origin::Local).unwrap();
        let (b, _) = db.register(addr(2), Origin::Local).unwrap();
        db.join(a, (g(1), g(1)), true);
        db.join(a, (g(10), g(20)), false);
        db.join(b, (g(1), g(1)), false);
        let (_, all) = db.deregister(a).unwrap();
        assert_eq!(all.ranges(), &[(g(1), g(1)), (g(10), g(20))]);
        assert_eq!(db.members_of(&g(1)), vec![b]);
        assert!(db.members_of(&g(15)).is_empty());
        assert_eq!(db.block_count(), 0);
        assert!(db.layer3_groups(&(g(0), g(30))).is_empty());
        assert_eq!(db.member_by_addr(&addr(1)), None);
    }

    #[test]
    fn server_maps() {
        let mut db = ClusterDb::new(1, 100);
        let (s, _) = db.register_mcs(addr(50), Origin::Local).unwrap();
        assert_eq!(db.serve(s, g(3)), (true, true));
        assert_eq!(db.serve(s, g(3)), (false, false));
        assert_eq!(db.server_map(&g(3)), vec![addr(50)]);
        assert_eq!(db.served_in(&(g(0), g(9))).ranges(), &[(g(3), g(3))]);
        assert!(db.unserve(s, &g(3)));
        assert!(!db.is_served(&g(3)));
        db.serve(s, g(4));
        let m = db.deregister_mcs(s).unwrap();
        assert_eq!(m.groups, vec![g(4)]);
        assert!(!db.is_served(&g(4)));
    }

    #[test]
    fn learned_registrations_keep_their_cmi() {
        let mut db = ClusterDb::new(1, 100);
        assert_eq!(db.register_as(500, addr(1), Origin::Peer(7)), Ok(true));
        assert_eq!(db.register_as(500, addr(1), Origin::Peer(7)), Ok(false));
        assert_eq!(
            db.register_as(500, addr(2), Origin::Peer(7)),
            Err(DbError::CmiInUse(500))
        );
        assert_eq!(db.member(500).unwrap().origin, Origin::Peer(7));
    }
}
