//! The originator's side of RFC 2443 §5: turning what this server's own clients did into CSA
//! records, one cache entry per piece of state.
//!
//! ## What a cache key identifies (RFC 2443 is silent; this is dmars's decision)
//!
//! A 4-octet Cache Key is `CMI (16 bits) ‖ slot (16 bits)`, allocated by the originating
//! server, and names **one piece of one client's state**:
//!
//! - the client's *registration* (state 3 or 2 with `register` set while registered; state 4
//!   or 5 with `register` set once it deregistered or vanished — which makes every server
//!   purge everything of that client, §5.4/§5.5);
//! - for a cluster member, each of its *single-group joins* `<X,X>` (with its `layer3grp`) and
//!   each *maximal block* of its block joins: state 3 while joined, state 4 once left;
//! - for an MCS, each *group it serves*: state 2 while served, state 5 once unserved.
//!
//! The entries of a client mirror exactly what the originating server's database holds for it,
//! so a server that learns them — in any order, all at once during cache alignment or one by
//! one — rebuilds the same membership (`learn`). A LEAVE supersedes exactly the entries whose
//! state it removes: a single-group LEAVE the entry of that group, a block LEAVE the blocks it
//! cuts (the remains of a cut block are new entries), a deregistration all of them.
//! Key 0 (CMI 0 is never allocated) is the server's own MARS Server Redirect Entry (§5.1).
//!
//! Slots are reused: an entry that was left keeps its slot as a *dormant* tombstone, and the
//! next new piece of state of the same CMI takes it over with the next sequence number. So
//! the keys one CMI uses never exceed the most state it held at once, and a re-used key is
//! always newer than any copy of its tombstone still cached elsewhere.

use crate::hash::Map;
use std::collections::BTreeMap;

use bytes::Bytes;
use mars_wire::dmars::{CsaFlags, CsaState, GroupRange, MarsCsa};
use mars_wire::pro::PRO_IPV4;
use mars_wire::scsp::CacheKey;
use mars_wire::{AtmAddress, ProtoAddr, Protocol};

use crate::mars::db::{ClusterDb, Cmi};
use crate::mars::update::{Update, UpdateKind};
use crate::time::Instant;

/// The cache key of this server's MARS Server Redirect Entry.
pub const REDIRECT_KEY: u32 = 0;

/// The cache key of slot `slot` of `cmi`.
pub const fn key(cmi: Cmi, slot: u16) -> u32 {
    (cmi as u32) << 16 | slot as u32
}

/// One piece of client state: a `<min,max>` range with its `layer3grp` flag.
type Content = (ProtoAddr, ProtoAddr, bool);

/// The slots of one CMI, across protocols.
#[derive(Debug, Default)]
struct Slots {
    next: u16,
    dormant: Vec<u16>,
}

impl Slots {
    fn take(&mut self) -> Option<u16> {
        if let Some(s) = self.dormant.pop() {
            return Some(s);
        }
        let s = self.next;
        self.next = self.next.checked_add(1)?;
        Some(s)
    }
}

/// What this server advertises for one of its clients.
#[derive(Debug)]
struct Book {
    mcs: bool,
    source: AtmAddress,
    spa: ProtoAddr,
    sequence: u8,
    reg_slot: u16,
    active: BTreeMap<Content, u16>,
}

/// Everything this server has advertised for its own clients.
#[derive(Debug, Default)]
pub struct Advertiser {
    slots: Map<Cmi, Slots>,
    books: Map<(u16, [u8; 5], Cmi, bool), Book>,
    /// Clients gone (deregistered or removed): when, and the keys they left as tombstones.
    retired: Vec<(Instant, Cmi, Vec<u16>)>,
    /// Pieces of state that found no free slot (a client with 65,535 entries).
    pub slot_exhausted: u64,
}

/// A CSA to originate: (cache key, MARS Specific Part).
pub type Csa = (CacheKey, Bytes);

fn csa(k: u32, c: &MarsCsa) -> Option<Csa> {
    c.to_vec()
        .ok()
        .map(|v| (CacheKey::from_u32(k), Bytes::from(v)))
}

impl Advertiser {
    /// The CSA records that advertise `u`, given the database `db` of `u`'s cluster *after*
    /// the change.
    pub fn on_update(&mut self, now: Instant, u: &Update, db: &ClusterDb) -> Vec<Csa> {
        let mcs = u.kind.is_mcs();
        let id = (u.pro.key().0, u.pro.key().1, u.cmi, mcs);
        match u.kind {
            UpdateKind::Register | UpdateKind::McsRegister => {
                let Some(reg_slot) = self.slots.entry(u.cmi).or_default().take() else {
                    self.slot_exhausted += 1;
                    return Vec::new();
                };
                if let Some(old) = self.books.remove(&id) {
                    // A re-registration under the same identity: start from scratch.
                    self.retire(u.cmi, old);
                }
                let book = Book {
                    mcs,
                    source: u.source,
                    spa: u.spa,
                    sequence: u.flags.sequence(),
                    reg_slot,
                    active: BTreeMap::new(),
                };
                let rec = self.record(u.pro, u.cmi, &book, None, false);
                self.books.insert(id, book);
                csa(key(u.cmi, reg_slot), &rec).into_iter().collect()
            }
            UpdateKind::Deregister | UpdateKind::McsDeregister => {
                let Some(book) = self.books.remove(&id) else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                // Every piece of state goes to its leave state, then the registration itself
                // (register set: "purge all cache entries for this client").
                for (&(min, max, l3), &slot) in &book.active {
                    let r = self.record(u.pro, u.cmi, &book, Some((min, max, l3)), true);
                    out.extend(csa(key(u.cmi, slot), &r));
                }
                let r = self.record(u.pro, u.cmi, &book, None, true);
                out.extend(csa(key(u.cmi, book.reg_slot), &r));
                let mut keys: Vec<u16> = book.active.values().copied().collect();
                keys.push(book.reg_slot);
                self.retired.push((now, u.cmi, keys));
                self.retire(u.cmi, book);
                out
            }
            UpdateKind::Join | UpdateKind::Leave => {
                let desired: Vec<Content> = db
                    .singles_of(u.cmi)
                    .into_iter()
                    .map(|(g, l3)| (g, g, l3))
                    .chain(
                        db.member(u.cmi)
                            .map(|m| m.blocks().ranges().to_vec())
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(a, b)| (a, b, false)),
                    )
                    .collect();
                self.sync(u.pro, u.cmi, id, desired)
            }
            UpdateKind::Serve | UpdateKind::Unserve => {
                let desired: Vec<Content> = db
                    .mcs(u.cmi)
                    .map(|m| m.groups.iter().map(|&g| (g, g, false)).collect())
                    .unwrap_or_default();
                self.sync(u.pro, u.cmi, id, desired)
            }
        }
    }

    /// Bring the active entries of client `id` to `desired`: new pieces get (re-used) slots
    /// in their join/serve state, vanished ones go to their leave/unserve state.
    fn sync(
        &mut self,
        pro: Protocol,
        cmi: Cmi,
        id: (u16, [u8; 5], Cmi, bool),
        desired: Vec<Content>,
    ) -> Vec<Csa> {
        let Some(mut book) = self.books.remove(&id) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let gone: Vec<(Content, u16)> = book
            .active
            .iter()
            .filter(|(c, _)| !desired.contains(c))
            .map(|(c, s)| (*c, *s))
            .collect();
        for (c, slot) in gone {
            book.active.remove(&c);
            let r = self.record(pro, cmi, &book, Some(c), true);
            out.extend(csa(key(cmi, slot), &r));
            self.slots.entry(cmi).or_default().dormant.push(slot);
        }
        for c in desired {
            if book.active.contains_key(&c) {
                continue;
            }
            let Some(slot) = self.slots.entry(cmi).or_default().take() else {
                self.slot_exhausted += 1;
                continue;
            };
            let r = self.record(pro, cmi, &book, Some(c), false);
            out.extend(csa(key(cmi, slot), &r));
            book.active.insert(c, slot);
        }
        self.books.insert(id, book);
        out
    }

    /// Return the slots of a client that is gone to the dormant pool.
    fn retire(&mut self, cmi: Cmi, book: Book) {
        let s = self.slots.entry(cmi).or_default();
        s.dormant.push(book.reg_slot);
        s.dormant.extend(book.active.values());
    }

    /// The MARS Specific Part for `book`'s registration (`piece` None) or one of its pieces,
    /// in the join/serve state or (with `left`) the leave/unserve state.
    fn record(
        &self,
        pro: Protocol,
        cmi: Cmi,
        book: &Book,
        piece: Option<Content>,
        left: bool,
    ) -> MarsCsa {
        let state = match (book.mcs, left) {
            (false, false) => CsaState::ClientJoin,
            (false, true) => CsaState::ClientLeave,
            (true, false) => CsaState::McsServe,
            (true, true) => CsaState::McsUnserve,
        };
        let (group, layer3grp) = match piece {
            Some((min, max, l3)) => {
                // RFC 2443 §5.3: layer3grp ⇒ min == max for IPv4; §5.2: an MCS never sets it.
                let l3 = l3 && !book.mcs && (min == max || pro.key().0 != PRO_IPV4);
                (Some(GroupRange { min, max }), l3)
            }
            None => (None, false),
        };
        MarsCsa {
            pro,
            unused: 0,
            state,
            flags: CsaFlags {
                layer3grp,
                register: piece.is_none(),
                sequence: book.sequence,
            },
            cmi,
            spa: book.spa,
            source: book.source,
            group,
        }
    }

    /// The keys of clients gone for at least `hold` whose tombstones no other piece of state
    /// has taken over since: they can leave the cache. Their slots are not reused (the CMI's
    /// slot counter only grows), so a later client with the same CMI never meets an old
    /// tombstone of them still cached elsewhere with a higher sequence number.
    pub fn collect(&mut self, now: Instant, hold: std::time::Duration) -> Vec<u32> {
        let mut out = Vec::new();
        let mut keep = Vec::new();
        for (at, cmi, slots) in std::mem::take(&mut self.retired) {
            if now - at < hold {
                keep.push((at, cmi, slots));
                continue;
            }
            let pool = self.slots.entry(cmi).or_default();
            for s in slots {
                if let Some(i) = pool.dormant.iter().position(|&d| d == s) {
                    pool.dormant.swap_remove(i);
                    out.push(key(cmi, s));
                }
            }
        }
        self.retired = keep;
        out
    }

    /// Number of clients advertised.
    pub fn clients(&self) -> usize {
        self.books.len()
    }
}

/// This server's MARS Server Redirect Entry (RFC 2443 §5.1).
pub fn redirect_entry(pro: Protocol, address: AtmAddress) -> Option<Csa> {
    csa(REDIRECT_KEY, &MarsCsa::redirect_entry(pro, address))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mars::db::Origin;
    use mars_wire::mars::Flags;
    use mars_wire::AtmAddr;

    const T0: Instant = Instant::ZERO;

    fn g(v: u32) -> ProtoAddr {
        ProtoAddr::v4_u32(0xE000_0000 + v)
    }

    fn nsap(n: u8) -> AtmAddress {
        let mut o = [0u8; 20];
        o[0] = 0x47;
        o[19] = n;
        AtmAddress::new(AtmAddr::nsap(o))
    }

    fn update(kind: UpdateKind, cmi: Cmi) -> Update {
        Update {
            kind,
            pro: Protocol::IPV4,
            cmi,
            source: nsap(1),
            spa: ProtoAddr::NULL,
            flags: Flags(0).with_sequence(7),
            range: None,
            proxy: false,
        }
    }

    /// (key, state, register, group) of each record.
    type Row = (u32, CsaState, bool, Option<(ProtoAddr, ProtoAddr)>);

    fn decoded(v: &[Csa]) -> Vec<Row> {
        v.iter()
            .map(|(k, p)| {
                let c = MarsCsa::decode(p).unwrap();
                (
                    k.to_u32().unwrap(),
                    c.state,
                    c.flags.register,
                    c.group.map(|r| (r.min, r.max)),
                )
            })
            .collect()
    }

    #[test]
    fn member_entries_follow_the_database() {
        let mut db = ClusterDb::new(1, 100);
        let (c, _) = db.register(nsap(1), Origin::Local).unwrap();
        let mut a = Advertiser::default();
        // RFC 2443 §5.3: the registration, register set, no group.
        let out = a.on_update(T0, &update(UpdateKind::Register, c), &db);
        assert_eq!(
            decoded(&out),
            vec![(key(c, 0), CsaState::ClientJoin, true, None)]
        );
        let reg = MarsCsa::decode(&out[0].1).unwrap();
        assert_eq!(reg.flags.sequence, 7);
        assert_eq!(reg.cmi, c);

        db.join(c, (g(1), g(1)), true);
        let out = a.on_update(T0, &update(UpdateKind::Join, c), &db);
        assert_eq!(
            decoded(&out),
            vec![(key(c, 1), CsaState::ClientJoin, false, Some((g(1), g(1))))]
        );
        assert!(MarsCsa::decode(&out[0].1).unwrap().flags.layer3grp);

        // §5.3: "If the originating MARS_JOIN request is a duplicate of a previously joined
        // range ... a MARS Client Join/Register MUST NOT be sent to the SG."
        db.join(c, (g(1), g(1)), true);
        assert!(a
            .on_update(T0, &update(UpdateKind::Join, c), &db)
            .is_empty());
        // §5.4: a LEAVE that "does not correspond to a previously joined range" is not sent.
        db.leave(c, (g(9), g(9)));
        assert!(a
            .on_update(T0, &update(UpdateKind::Leave, c), &db)
            .is_empty());

        // A LEAVE supersedes exactly the entry of its group: same key, leave state.
        db.leave(c, (g(1), g(1)));
        let out = a.on_update(T0, &update(UpdateKind::Leave, c), &db);
        assert_eq!(
            decoded(&out),
            vec![(key(c, 1), CsaState::ClientLeave, false, Some((g(1), g(1))))]
        );

        // The next piece of state reuses the dormant key.
        db.join(c, (g(2), g(2)), false);
        let out = a.on_update(T0, &update(UpdateKind::Join, c), &db);
        assert_eq!(
            decoded(&out),
            vec![(key(c, 1), CsaState::ClientJoin, false, Some((g(2), g(2))))]
        );

        // A block; then a LEAVE cutting it: the block's entry leaves, its remains join.
        db.join(c, (g(10), g(19)), false);
        let out = a.on_update(T0, &update(UpdateKind::Join, c), &db);
        assert_eq!(
            decoded(&out),
            vec![(key(c, 2), CsaState::ClientJoin, false, Some((g(10), g(19))))]
        );
        db.leave(c, (g(13), g(14)));
        let out = decoded(&a.on_update(T0, &update(UpdateKind::Leave, c), &db));
        assert_eq!(out.len(), 3);
        assert_eq!(
            out[0],
            (
                key(c, 2),
                CsaState::ClientLeave,
                false,
                Some((g(10), g(19)))
            )
        );
        let joined: Vec<_> = out[1..].iter().map(|e| (e.1, e.3)).collect();
        assert!(joined.contains(&(CsaState::ClientJoin, Some((g(10), g(12))))));
        assert!(joined.contains(&(CsaState::ClientJoin, Some((g(15), g(19))))));

        // §5.4: a deregistration: every piece leaves, then the registration with register
        // set (which makes every server purge the client).
        db.deregister(c);
        let out = decoded(&a.on_update(T0, &update(UpdateKind::Deregister, c), &db));
        assert_eq!(out.len(), 4);
        assert!(out[..3]
            .iter()
            .all(|e| e.1 == CsaState::ClientLeave && !e.2));
        assert_eq!(out[3], (key(c, 0), CsaState::ClientLeave, true, None));
        assert_eq!(a.clients(), 0);
        // After the hold, its four keys may leave the cache; they are never reused.
        let hold = std::time::Duration::from_secs(60);
        assert!(a.collect(T0, hold).is_empty());
        let mut gone = a.collect(T0 + hold, hold);
        gone.sort_unstable();
        assert_eq!(gone, vec![key(c, 0), key(c, 1), key(c, 2), key(c, 3)]);
        let (c2, _) = db.register(nsap(2), Origin::Local).unwrap();
        assert_eq!(c2, c + 1, "cyclic CMI allocation");
    }

    #[test]
    fn mcs_entries_serve_and_unserve() {
        let mut db = ClusterDb::new(1, 100);
        let (m, _) = db.register_mcs(nsap(9), Origin::Local).unwrap();
        let mut a = Advertiser::default();
        let out = decoded(&a.on_update(T0, &update(UpdateKind::McsRegister, m), &db));
        assert_eq!(out, vec![(key(m, 0), CsaState::McsServe, true, None)]);
        db.serve(m, g(5));
        let out = decoded(&a.on_update(T0, &update(UpdateKind::Serve, m), &db));
        assert_eq!(
            out,
            vec![(key(m, 1), CsaState::McsServe, false, Some((g(5), g(5))))]
        );
        db.unserve(m, &g(5));
        let out = decoded(&a.on_update(T0, &update(UpdateKind::Unserve, m), &db));
        assert_eq!(
            out,
            vec![(key(m, 1), CsaState::McsUnserve, false, Some((g(5), g(5))))]
        );
        db.deregister_mcs(m);
        let out = decoded(&a.on_update(T0, &update(UpdateKind::McsDeregister, m), &db));
        assert_eq!(out, vec![(key(m, 0), CsaState::McsUnserve, true, None)]);
    }

    #[test]
    fn redirect_entry_is_key_zero_state_one() {
        let (k, p) = redirect_entry(Protocol::IPV4, nsap(3)).unwrap();
        assert_eq!(k.to_u32(), Some(REDIRECT_KEY));
        let c = MarsCsa::decode(&p).unwrap();
        assert_eq!(c.state, CsaState::ServerRedirect);
        assert_eq!(c.source, nsap(3));
        assert_eq!((c.cmi, c.group), (0, None));
    }
}
