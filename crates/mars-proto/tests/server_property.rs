//! Property: after any sequence of registrations, deregistrations, leaf drops, single and
//! block JOINs and LEAVEs, MARS_REQUEST answers exactly what a plain model says — the set of
//! (node, group) memberships, where a node is a member of a group it joined singly or that a
//! block it holds covers (RFC 2022 §6.1.2) — and the messages the MARS sent obey §6.1.2 and
//! §6.1.4: a JOIN/LEAVE changing membership is announced on ClusterControlVC with exactly the
//! changed addresses (the hole-punched set), one that changes nothing is answered privately,
//! and every ClusterControlVC message carries the previous one's CSN plus one.

#[path = "server_support/harness.rs"]
mod harness;

use std::collections::{BTreeMap, BTreeSet};

use harness::{g4, nsap, Harness};
use mars_proto::{PartyId, VcEvent, VcId};
use mars_wire::mars::MarsBody;
use mars_wire::{Csn, Protocol};
use proptest::prelude::*;

/// Groups 224.0.0.0 + 0..GROUPS, nodes 1..=NODES.
const GROUPS: u32 = 12;
const NODES: u32 = 5;

#[derive(Debug, Clone)]
enum Op {
    Register(u32),
    Deregister(u32),
    LeafDrop(u32),
    Join { node: u32, lo: u32, hi: u32 },
    Leave { node: u32, lo: u32, hi: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    let node = 1..=NODES;
    let range = (0..GROUPS, 0..4u32).prop_map(|(lo, w)| (lo, (lo + w).min(GROUPS - 1)));
    prop_oneof![
        2 => node.clone().prop_map(Op::Register),
        1 => node.clone().prop_map(Op::Deregister),
        1 => node.clone().prop_map(Op::LeafDrop),
        5 => (node.clone(), range.clone()).prop_map(|(node, (lo, hi))| Op::Join { node, lo, hi }),
        3 => (node, range).prop_map(|(node, (lo, hi))| Op::Leave { node, lo, hi }),
    ]
}

/// The plain model: per registered node, its single joins and the addresses its blocks cover.
#[derive(Default, Debug)]
struct Model {
    nodes: BTreeMap<u32, (BTreeSet<u32>, BTreeSet<u32>)>,
}

impl Model {
    fn members(&self, g: u32) -> BTreeSet<u32> {
        self.nodes
            .iter()
            .filter(|(_, (s, b))| s.contains(&g) || b.contains(&g))
            .map(|(&n, _)| n)
            .collect()
    }
    fn of(&self, n: u32) -> BTreeSet<u32> {
        self.nodes
            .get(&n)
            .map(|(s, b)| s.union(b).copied().collect())
            .unwrap_or_default()
    }
}

fn addresses(pairs: &[mars_wire::mars::GroupPair]) -> BTreeSet<u32> {
    let v = |a: &mars_wire::ProtoAddr| {
        let o = a.as_bytes();
        u32::from_be_bytes([o[0], o[1], o[2], o[3]]) - 0xE000_0000
    };
    pairs.iter().flat_map(|p| v(&p.min)..=v(&p.max)).collect()
}

fn ccvc(h: &Harness) -> Option<VcId> {
    h.s.clusters()[0].ccvc.vc
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let v4 = Protocol::IPV4;
    let mut h = Harness::with_protocols(vec![v4]);
    let mut m = Model::default();
    let mut csn: Option<u32> = None;
    for op in ops {
        let before: BTreeMap<u32, BTreeSet<u32>> = m.nodes.keys().map(|&n| (n, m.of(n))).collect();
        let (node, announced_leave) = match op {
            Op::Register(n) => {
                h.register(n, v4);
                m.nodes.entry(n).or_default();
                (n, None)
            }
            Op::Deregister(n) => {
                h.deregister(n, v4);
                m.nodes.remove(&n);
                (n, None)
            }
            Op::LeafDrop(n) => {
                let st = h.s.state();
                let c = &st.clusters[0];
                let cmi = c.members.iter().find(|x| x.addr == nsap(n)).map(|x| x.cmi);
                let party = c
                    .cluster_control_vc
                    .leaves
                    .iter()
                    .find(|l| Some(l.endpoint) == cmi)
                    .map(|l| l.party);
                if let (Some(vc), Some(party)) = (ccvc(&h), party) {
                    h.event(VcEvent::PartyDropped {
                        vc,
                        party: PartyId(party.0),
                        cause: mars_proto::Cause::DESTINATION_OUT_OF_ORDER,
                    });
                }
                m.nodes.remove(&n);
                (n, None)
            }
            Op::Join { node, lo, hi } | Op::Leave { node, lo, hi } => {
                let leave = matches!(op, Op::Leave { .. });
                h.join(node, v4, g4(lo), g4(hi), leave);
                if let Some((s, b)) = m.nodes.get_mut(&node) {
                    match (leave, lo == hi) {
                        (false, true) => {
                            s.insert(lo);
                        }
                        (true, true) => {
                            s.remove(&lo);
                        }
                        (false, false) => b.extend(lo..=hi),
                        (true, false) => {
                            for x in lo..=hi {
                                b.remove(&x);
                            }
                        }
                    }
                }
                (node, Some((leave, lo, hi)))
            }
        };
        // What was sent for this step.
        let sent = h.take();
        let cc = ccvc(&h);
        for (vc, msg) in &sent {
            let msn = msg.body.msn().map(|c| c.0);
            if Some(*vc) == cc {
                if let (Some(prev), Some(now)) = (csn, msn) {
                    prop_assert_eq!(
                        now,
                        prev.wrapping_add(1),
                        "CSN +1 per ClusterControlVC message"
                    );
                }
                csn = msn.or(csn);
            }
        }
        if let Some((leave, lo, hi)) = announced_leave {
            if m.nodes.contains_key(&node) {
                let was = before.get(&node).cloned().unwrap_or_default();
                let now = m.of(node);
                let changed: BTreeSet<u32> = if leave {
                    was.difference(&now).copied().collect()
                } else {
                    now.difference(&was).copied().collect()
                };
                let on_cc: Vec<_> = sent.iter().filter(|(vc, _)| Some(*vc) == cc).collect();
                let private: Vec<_> = sent.iter().filter(|(vc, _)| Some(*vc) != cc).collect();
                if changed.is_empty() {
                    prop_assert!(
                        on_cc.is_empty(),
                        "a JOIN/LEAVE changing nothing is not propagated"
                    );
                    prop_assert_eq!(private.len(), 1);
                } else {
                    prop_assert_eq!(on_cc.len(), 1);
                    let j = on_cc[0].1.body.as_join().expect("JOIN layout");
                    prop_assert!(j.flags.copy());
                    prop_assert_eq!(addresses(&j.pairs), changed.clone(), "hole-punched set");
                    let whole: BTreeSet<u32> = (lo..=hi).collect();
                    prop_assert_eq!(j.flags.punched(), changed != whole);
                    prop_assert_eq!(private.len(), usize::from(changed != whole));
                    // Private messages carry the current CSN (§6.1.4).
                    for (_, p) in &private {
                        prop_assert_eq!(p.body.msn(), Some(Csn(csn.unwrap_or(0))));
                    }
                }
            }
        }
        // Every registered node resolves every group exactly as the model says.
        let asker = m.nodes.keys().next().copied();
        if let Some(asker) = asker {
            for g in 0..GROUPS {
                h.request(asker, v4, g4(g));
                let out = h.take();
                prop_assert_eq!(out.len(), 1);
                let want: Vec<_> = m.members(g).into_iter().map(nsap).collect();
                match &out[0].1.body {
                    MarsBody::Nak(_) => prop_assert!(want.is_empty(), "NAK for {g}: want {want:?}"),
                    MarsBody::Multi(mm) => {
                        let mut got = mm.targets.clone();
                        got.sort();
                        let mut want = want;
                        want.sort();
                        prop_assert_eq!(got, want, "group {}", g);
                    }
                    other => prop_assert!(false, "unexpected {other:?}"),
                }
            }
        }
        // A node that is not registered gets nothing back.
        let outsider = (1..=NODES).find(|n| !m.nodes.contains_key(n));
        if let Some(n) = outsider {
            h.request(n, v4, g4(0));
            prop_assert!(h.take().is_empty());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn request_answers_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}
