//! A point-to-multipoint control VC rooted at the MARS — ClusterControlVC or ServerControlVC
//! (RFC 2022 §4.1) — with the registered endpoint behind each leaf.

use crate::hash::Map;
use crate::mars::db::Cmi;
use crate::vc::{PartyId, VcId};

/// The state of one leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Leaf {
    /// ADD PARTY sent, not yet answered.
    Adding,
    /// On the VC: receives every transmission.
    Added,
}

/// A control VC and its leaves.
#[derive(Debug, Default)]
pub struct ControlVc {
    /// The VC, once opened.
    pub vc: Option<VcId>,
    parties: Map<PartyId, (Cmi, Leaf)>,
    by_cmi: Map<Cmi, PartyId>,
    next_party: u32,
}

impl ControlVc {
    /// Whether `vc` is this control VC.
    pub fn is(&self, vc: VcId) -> bool {
        self.vc == Some(vc)
    }

    /// Allocate a party id for `cmi` (state `Adding`); `None` if it already has one.
    pub fn new_party(&mut self, cmi: Cmi) -> Option<PartyId> {
        if self.by_cmi.contains_key(&cmi) {
            return None;
        }
        self.next_party = self.next_party.wrapping_add(1);
        let p = PartyId(self.next_party);
        self.parties.insert(p, (cmi, Leaf::Adding));
        self.by_cmi.insert(cmi, p);
        Some(p)
    }

    /// Mark `party` added; returns its endpoint (`None` if unknown or already added).
    pub fn added(&mut self, party: PartyId) -> Option<Cmi> {
        let e = self.parties.get_mut(&party)?;
        if e.1 == Leaf::Added {
            return None;
        }
        e.1 = Leaf::Added;
        Some(e.0)
    }

    /// Forget `party`; returns its endpoint and the state its leaf was in.
    pub fn remove_party(&mut self, party: PartyId) -> Option<(Cmi, Leaf)> {
        let (cmi, leaf) = self.parties.remove(&party)?;
        self.by_cmi.remove(&cmi);
        Some((cmi, leaf))
    }

    /// Forget the leaf of `cmi`; returns its party id.
    pub fn remove_cmi(&mut self, cmi: Cmi) -> Option<PartyId> {
        let p = self.by_cmi.remove(&cmi)?;
        self.parties.remove(&p);
        Some(p)
    }

    /// The leaf state of `cmi`.
    pub fn leaf(&self, cmi: Cmi) -> Option<Leaf> {
        let p = self.by_cmi.get(&cmi)?;
        self.parties.get(p).map(|e| e.1)
    }

    /// Every endpoint with a leaf and its state, ascending, and forget them all (the VC
    /// was released).
    pub fn clear(&mut self) -> Vec<(Cmi, Leaf)> {
        self.vc = None;
        self.by_cmi.clear();
        let mut v: Vec<(Cmi, Leaf)> = self.parties.drain().map(|(_, e)| e).collect();
        v.sort_unstable_by_key(|e| e.0);
        v
    }

    /// Every leaf: `(endpoint, party, state)`, ascending by endpoint.
    pub fn leaves(&self) -> Vec<(Cmi, PartyId, Leaf)> {
        let mut v: Vec<_> = self.parties.iter().map(|(&p, &(c, l))| (c, p, l)).collect();
        v.sort_unstable_by_key(|e| e.0);
        v
    }

    /// Number of leaves (added or being added).
    pub fn len(&self) -> usize {
        self.parties.len()
    }

    /// Whether there are no leaves.
    pub fn is_empty(&self) -> bool {
        self.parties.is_empty()
    }
}
