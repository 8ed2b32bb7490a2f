//! Every VC of one role, as seen between its engine and the network: who is at the other end,
//! its state, its leaves, its traffic, and the VPI/VCI label its SDUs carry in a capture.
//!
//! The table is kept by watching the [`VcRequest`]s the engine makes and the [`VcEvent`]s it
//! is given, so it needs nothing from the engines and describes all of them the same way.
//! It also serves shutdown: the VCs still up are the ones to release.
//!
//! # Labels
//! An emulated VC has no VPI/VCI (the call reference plays that role on the wire,
//! `docs/atm-emulation.md` §13). For captures and `marsctl show vcs` each VC end gets a
//! label as a real UNI would give it: **VPI = the role's number** (its position in the
//! configuration: server first, then clients, then MCSs, from 0), **VCI = the lowest free
//! value from 32** (0–31 are reserved by the ATM Forum), given when the VC is set up and freed
//! when it is released. Like real labels they are local: the two ends of a VC usually differ.

use std::collections::{BTreeMap, BTreeSet};

use mars_proto::{Cause, PartyId, VcEvent, VcId, VcRequest};
use mars_sim::fabric::VcLabel;
use mars_wire::AtmAddress;
use serde::Serialize;

/// The first VCI given to a VC (0–31 are reserved).
pub const FIRST_VCI: u16 = 32;

/// What kind of VC end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VcKind {
    /// Point-to-point, called by this role.
    Outgoing,
    /// Point-to-point, called by the peer.
    Incoming,
    /// Point-to-multipoint, rooted here.
    Root,
    /// Point-to-multipoint, a leaf here.
    Leaf,
}

/// Where a VC stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VcState {
    /// Outgoing call not yet answered; or incoming call not yet accepted.
    Setup,
    /// Up.
    Up,
}

/// One leaf of a VC rooted here.
#[derive(Debug, Clone, Serialize)]
pub struct PartyRow {
    /// Party id at the root.
    pub party: u32,
    /// The leaf.
    pub to: AtmAddress,
    /// Whether the leaf is added (else being added).
    pub added: bool,
}

/// One VC end.
#[derive(Debug, Clone, Serialize)]
pub struct VcRow {
    /// The engine's id for it.
    #[serde(serialize_with = "display")]
    pub vc: VcId,
    /// Its capture label, `VPI/VCI`.
    pub label: String,
    /// Kind.
    pub kind: VcKind,
    /// State.
    pub state: VcState,
    /// The other end (the called or calling party; none for a root).
    pub peer: Option<AtmAddress>,
    /// Leaves (for a root).
    pub parties: Vec<PartyRow>,
    /// SDUs sent.
    pub sdus_tx: u64,
    /// SDUs received.
    pub sdus_rx: u64,
    /// Octets sent.
    pub octets_tx: u64,
    /// Octets received.
    pub octets_rx: u64,
}

fn display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

#[derive(Debug, Clone)]
struct Entry {
    label: VcLabel,
    kind: VcKind,
    state: VcState,
    peer: Option<AtmAddress>,
    parties: BTreeMap<PartyId, (AtmAddress, bool)>,
    sdus_tx: u64,
    sdus_rx: u64,
    octets_tx: u64,
    octets_rx: u64,
}

/// The VCs of one role.
#[derive(Debug)]
pub struct VcTable {
    vpi: u8,
    vcs: BTreeMap<VcId, Entry>,
    free: BTreeSet<u16>,
    next: u16,
}

impl VcTable {
    /// An empty table labelling with VPI `vpi`.
    pub fn new(vpi: u8) -> Self {
        VcTable {
            vpi,
            vcs: BTreeMap::new(),
            free: BTreeSet::new(),
            next: FIRST_VCI,
        }
    }

    fn alloc(&mut self) -> VcLabel {
        let vci = match self.free.pop_first() {
            Some(v) => v,
            None => {
                let v = self.next;
                // Past 65535 concurrent VCs labels repeat; the VC id stays exact.
                self.next = self.next.checked_add(1).unwrap_or(FIRST_VCI);
                v
            }
        };
        VcLabel { vpi: self.vpi, vci }
    }

    fn open(&mut self, vc: VcId, kind: VcKind, peer: Option<AtmAddress>, state: VcState) {
        if self.vcs.contains_key(&vc) {
            return;
        }
        let label = self.alloc();
        self.vcs.insert(
            vc,
            Entry {
                label,
                kind,
                state,
                peer,
                parties: BTreeMap::new(),
                sdus_tx: 0,
                sdus_rx: 0,
                octets_tx: 0,
                octets_rx: 0,
            },
        );
    }

    fn close(&mut self, vc: VcId) {
        if let Some(e) = self.vcs.remove(&vc) {
            self.free.insert(e.label.vci);
        }
    }

    /// The label of `vc` (VPI of the role, VCI 0 for a VC the table does not know).
    pub fn label(&self, vc: VcId) -> VcLabel {
        self.vcs.get(&vc).map_or(
            VcLabel {
                vpi: self.vpi,
                vci: 0,
            },
            |e| e.label,
        )
    }

    /// Note a request of the engine (before the network sees it).
    pub fn on_request(&mut self, r: &VcRequest) {
        match r {
            VcRequest::Connect { vc, to } => {
                self.open(*vc, VcKind::Outgoing, Some(*to), VcState::Setup)
            }
            VcRequest::Accept { vc } => {
                if let Some(e) = self.vcs.get_mut(vc) {
                    e.state = VcState::Up;
                }
            }
            VcRequest::Refuse { vc, .. } | VcRequest::Release { vc, .. } => self.close(*vc),
            VcRequest::OpenMultipoint { vc } => self.open(*vc, VcKind::Root, None, VcState::Up),
            VcRequest::AddParty { vc, party, to } => {
                if let Some(e) = self.vcs.get_mut(vc) {
                    e.parties.insert(*party, (*to, false));
                }
            }
            VcRequest::DropParty { vc, party, .. } => {
                if let Some(e) = self.vcs.get_mut(vc) {
                    e.parties.remove(party);
                }
            }
            VcRequest::Send { vc, sdu } => {
                if let Some(e) = self.vcs.get_mut(vc) {
                    e.sdus_tx += 1;
                    e.octets_tx += sdu.len() as u64;
                }
            }
        }
    }

    /// Note an event (before the engine sees it).
    pub fn on_event(&mut self, ev: &VcEvent) {
        match ev {
            VcEvent::IncomingCall {
                vc,
                from,
                multipoint,
            } => {
                let kind = if *multipoint {
                    VcKind::Leaf
                } else {
                    VcKind::Incoming
                };
                self.open(*vc, kind, Some(*from), VcState::Setup);
            }
            VcEvent::Connected { vc } => {
                if let Some(e) = self.vcs.get_mut(vc) {
                    e.state = VcState::Up;
                }
            }
            VcEvent::Released { vc, .. } => self.close(*vc),
            VcEvent::PartyAdded { vc, party } => {
                if let Some(p) = self.vcs.get_mut(vc).and_then(|e| e.parties.get_mut(party)) {
                    p.1 = true;
                }
            }
            VcEvent::PartyDropped { vc, party, .. } => {
                if let Some(e) = self.vcs.get_mut(vc) {
                    e.parties.remove(party);
                }
            }
            VcEvent::Received { vc, sdu } => {
                if let Some(e) = self.vcs.get_mut(vc) {
                    e.sdus_rx += 1;
                    e.octets_rx += sdu.len() as u64;
                }
            }
        }
    }

    /// Releases for every VC still held (shutdown), clearing the table.
    pub fn release_all(&mut self) -> Vec<VcRequest> {
        let v: Vec<VcRequest> = self
            .vcs
            .keys()
            .map(|&vc| VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            })
            .collect();
        let ids: Vec<VcId> = self.vcs.keys().copied().collect();
        for vc in ids {
            self.close(vc);
        }
        v
    }

    /// VCs held.
    pub fn len(&self) -> usize {
        self.vcs.len()
    }

    /// Whether no VC is held.
    pub fn is_empty(&self) -> bool {
        self.vcs.is_empty()
    }

    /// The rows, by VC id.
    pub fn rows(&self) -> Vec<VcRow> {
        self.vcs
            .iter()
            .map(|(&vc, e)| VcRow {
                vc,
                label: e.label.to_string(),
                kind: e.kind,
                state: e.state,
                peer: e.peer,
                parties: e
                    .parties
                    .iter()
                    .map(|(p, (to, added))| PartyRow {
                        party: p.0,
                        to: *to,
                        added: *added,
                    })
                    .collect(),
                sdus_tx: e.sdus_tx,
                sdus_rx: e.sdus_rx,
                octets_tx: e.octets_tx,
                octets_rx: e.octets_rx,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn follows_calls_and_reuses_labels() {
        let to: AtmAddress = "12345".parse().unwrap();
        let mut t = VcTable::new(2);
        t.on_request(&VcRequest::Connect {
            vc: VcId::local(1),
            to,
        });
        t.on_event(&VcEvent::Connected { vc: VcId::local(1) });
        t.on_request(&VcRequest::Send {
            vc: VcId::local(1),
            sdu: Bytes::from_static(b"abc"),
        });
        let r = &t.rows()[0];
        assert_eq!(
            (r.label.as_str(), r.state, r.sdus_tx, r.octets_tx),
            ("2/32", VcState::Up, 1, 3)
        );
        t.on_event(&VcEvent::IncomingCall {
            vc: VcId::incoming(1),
            from: to,
            multipoint: true,
        });
        assert_eq!(t.label(VcId::incoming(1)).vci, 33);
        t.on_event(&VcEvent::Released {
            vc: VcId::local(1),
            cause: Cause::NORMAL,
        });
        t.on_request(&VcRequest::OpenMultipoint { vc: VcId::local(2) });
        assert_eq!(t.label(VcId::local(2)).vci, 32);
        assert_eq!(t.release_all().len(), 2);
        assert!(t.is_empty());
    }
}
