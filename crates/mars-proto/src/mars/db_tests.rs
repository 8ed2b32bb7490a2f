//! Unit tests of the cluster database (`db.rs`).

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

fn changed(c: Change) -> Vec<Range> {
    c.changed.ranges().to_vec()
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
fn mcs_ids_share_the_cmi_space() {
    let mut db = ClusterDb::new(1, 100);
    let (m, _) = db.register(addr(1), Origin::Local).unwrap();
    let (s, _) = db.register_mcs(addr(2), Origin::Local).unwrap();
    assert_ne!(m, s);
    assert_eq!(
        db.register_as(s, addr(3), Origin::Peer(1)),
        Err(DbError::CmiInUse(s))
    );
    assert_eq!(
        db.register_as(0, addr(3), Origin::Peer(1)),
        Err(DbError::CmiInUse(0))
    );
}

#[test]
fn single_joins_and_duplicates() {
    let mut db = ClusterDb::new(1, 100);
    let (m, _) = db.register(addr(1), Origin::Local).unwrap();
    assert_eq!(changed(db.join(m, (g(1), g(1)), true)), [(g(1), g(1))]);
    assert_eq!(db.join(m, (g(1), g(1)), true), Change::none(), "duplicate");
    assert_eq!(db.members_of(&g(1)), vec![m]);
    assert!(db.is_member(m, &g(1)));
    assert_eq!(db.layer3_groups(&(g(0), g(10))), vec![g(1)]);
    assert_eq!(changed(db.leave(m, (g(1), g(1)))), [(g(1), g(1))]);
    assert_eq!(db.leave(m, (g(1), g(1))), Change::none(), "not joined");
    assert!(db.members_of(&g(1)).is_empty());
    assert!(db.layer3_groups(&(g(0), g(10))).is_empty());
    assert!(db.single_groups().is_empty(), "slot freed");
}

#[test]
fn layer3grp_set_by_a_retransmission_sticks() {
    let mut db = ClusterDb::new(1, 100);
    let (m, _) = db.register(addr(1), Origin::Local).unwrap();
    db.join(m, (g(1), g(1)), false);
    assert!(db.layer3_groups(&(g(0), g(9))).is_empty());
    let c = db.join(m, (g(1), g(1)), true);
    assert!(c.changed.is_empty() && c.stored);
    assert_eq!(db.layer3_groups(&(g(0), g(9))), vec![g(1)]);
    assert_eq!(db.singles_of(m), vec![(g(1), true)]);
}

#[test]
fn block_leave_keeps_single_joins() {
    // §6.1.2: a block LEAVE leaves the node "still a member" of single joins.
    let mut db = ClusterDb::new(1, 100);
    let (m, _) = db.register(addr(1), Origin::Local).unwrap();
    db.join(m, (g(5), g(5)), true);
    let added = db.join(m, (g(0), g(9)), true);
    assert_eq!(
        changed(added),
        [(g(0), g(4)), (g(6), g(9))],
        "hole at the single join"
    );
    let left = db.leave(m, (g(0), g(9)));
    assert_eq!(changed(left), [(g(0), g(4)), (g(6), g(9))]);
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
    let c = db.join(m, (g(5), g(5)), true);
    assert!(c.changed.is_empty(), "already a member via the block");
    assert!(c.stored, "but the single join is remembered");
    let c = db.leave(m, (g(5), g(5)));
    assert!(c.changed.is_empty(), "still a member via the block");
    assert!(c.stored);
    assert_eq!(db.members_of(&g(5)), vec![m]);
    assert!(db.layer3_groups(&(g(0), g(9))).is_empty());
}

#[test]
fn block_covered_by_singles_is_stored() {
    let mut db = ClusterDb::new(1, 100);
    let (m, _) = db.register(addr(1), Origin::Local).unwrap();
    db.join(m, (g(1), g(1)), true);
    db.join(m, (g(2), g(2)), true);
    let c = db.join(m, (g(1), g(2)), false);
    assert!(c.changed.is_empty() && c.stored);
    assert_eq!(db.join(m, (g(1), g(2)), false), Change::none(), "duplicate");
    db.leave(m, (g(1), g(1)));
    assert_eq!(db.members_of(&g(1)), vec![m], "the block still covers it");
}

#[test]
fn overlapping_blocks_merge_and_partial_leave() {
    let mut db = ClusterDb::new(1, 100);
    let (m, _) = db.register(addr(1), Origin::Local).unwrap();
    db.join(m, (g(0), g(9)), false);
    assert_eq!(changed(db.join(m, (g(5), g(14)), false)), [(g(10), g(14))]);
    assert_eq!(db.member(m).unwrap().blocks().ranges(), &[(g(0), g(14))]);
    assert_eq!(db.block_count(), 1);
    assert_eq!(changed(db.leave(m, (g(3), g(4)))), [(g(3), g(4))]);
    assert_eq!(db.block_count(), 2);
    assert_eq!(db.leave(m, (g(3), g(4))), Change::none());
    assert_eq!(db.members_of(&g(2)), vec![m]);
    assert!(db.members_of(&g(3)).is_empty());
}

#[test]
fn promiscuous_router_costs_one_entry() {
    let mut db = ClusterDb::new(1, 100);
    let (r, _) = db.register(addr(9), Origin::Local).unwrap();
    let class_d = (
        ProtoAddr::v4_u32(0xE000_0000),
        ProtoAddr::v4_u32(0xEFFF_FFFF),
    );
    db.join(r, class_d, false);
    assert_eq!(db.block_count(), 1);
    assert_eq!(db.membership_entries(), 1);
    assert_eq!(db.members_of(&ProtoAddr::v4_u32(0xE9AB_CDEF)), vec![r]);
    assert_eq!(db.groups_with_members(), 1 << 28);
    let (h, _) = db.register(addr(1), Origin::Local).unwrap();
    db.join(h, (g(1), g(1)), true);
    db.join(h, (ProtoAddr::v4_u32(1), ProtoAddr::v4_u32(1)), true);
    assert_eq!(db.groups_with_members(), (1 << 28) + 1, "one group outside");
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
    assert_eq!(
        db.join(a, (g(1), g(1)), true),
        Change::none(),
        "unknown CMI"
    );
}

#[test]
fn server_maps() {
    let mut db = ClusterDb::new(1, 100);
    let (s, _) = db.register_mcs(addr(50), Origin::Local).unwrap();
    assert_eq!(db.serve(s, g(3)), (true, true));
    assert_eq!(db.serve(s, g(3)), (false, false));
    assert_eq!(db.server_map(&g(3)), vec![addr(50)]);
    assert_eq!(db.served_in(&(g(0), g(9))).ranges(), &[(g(3), g(3))]);
    assert_eq!(db.served_count(), 1);
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

#[test]
fn span_counts_addresses() {
    assert_eq!(span(&g(0), &g(0)), 1);
    assert_eq!(
        span(&ProtoAddr::v4_u32(0), &ProtoAddr::v4_u32(u32::MAX)),
        1 << 32
    );
    let v6lo: ProtoAddr = "ff00::".parse().unwrap();
    let v6hi: ProtoAddr = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".parse().unwrap();
    assert_eq!(span(&v6lo, &v6hi), 1 << 120);
}
