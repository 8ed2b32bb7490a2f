//! Legs: one caller–called (or root–leaf) connection, the unit the fabric signals on and
//! carries SDUs over.
//!
//! A point-to-point VC is one leg; its root end is the caller's. A point-to-multipoint VC is
//! one leg per party; the root's handle (see [`super::endpoint::LocalVc::Root`]) holds them.
//! Each end of a leg is `Pending` (the SETUP has not reached the called endpoint yet), `Open`
//! (the endpoint has a handle for it) or `Gone` (released, refused or died). A leg whose ends
//! are both gone is removed, and anything still travelling on it is discarded on arrival.

use mars_proto::{Instant, PartyId, VcId};

use super::label::VcLabel;
use super::EndpointId;

/// Key of a leg in the fabric's leg table. Keys are never reused, so a message scheduled for
/// a leg can never reach a later VC that happens to reuse the same [`VcId`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub(crate) struct LegKey(pub u64);

/// One of the two ends of a leg.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Side {
    /// The caller of a point-to-point VC or the root of a multipoint VC.
    Root,
    /// The called endpoint or the leaf.
    Leaf,
}

impl Side {
    pub(crate) fn other(self) -> Side {
        match self {
            Side::Root => Side::Leaf,
            Side::Leaf => Side::Root,
        }
    }

    fn index(self) -> usize {
        match self {
            Side::Root => 0,
            Side::Leaf => 1,
        }
    }
}

/// Whether an end can see and use the leg.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum EndState {
    /// The SETUP is still travelling to this (leaf) end.
    Pending,
    /// The endpoint holds a handle for this end.
    Open,
    /// Released, refused, or its endpoint died.
    Gone,
}

/// One end of a leg.
#[derive(Clone, Debug)]
pub(crate) struct End {
    pub(crate) ep: EndpointId,
    pub(crate) vc: VcId,
    /// The label this end owns. `None` for the root end of a multipoint leg (the root's handle
    /// owns the one label of the whole VC) and for the unreachable end of a rejected call.
    pub(crate) label: Option<VcLabel>,
    pub(crate) state: EndState,
}

/// How far call establishment has come.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Phase {
    /// SETUP travelling to the called endpoint.
    Setup,
    /// The called endpoint has seen `IncomingCall` and not answered.
    Offered,
    /// The called endpoint accepted (and may send on a point-to-point VC); CONNECT travels back.
    Accepted,
    /// The caller has seen `Connected` / `PartyAdded` and may send.
    Active,
}

/// Timing state of one direction of a leg.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PathClock {
    /// When the VC has finished serialising the SDUs already given to it.
    pub(crate) tx_free: Instant,
    /// The latest arrival time scheduled so far: nothing later may arrive before it (FIFO).
    pub(crate) last_arrival: Instant,
}

/// One caller–called or root–leaf connection.
#[derive(Clone, Debug)]
pub(crate) struct Leg {
    ends: [End; 2],
    /// The leaf's party id at the root, for a multipoint leg.
    pub(crate) party: Option<PartyId>,
    pub(crate) phase: Phase,
    /// Indexed by the side a message travels *towards*.
    paths: [PathClock; 2],
}

impl Leg {
    pub(crate) fn new(root: End, leaf: End, party: Option<PartyId>) -> Self {
        Leg {
            ends: [root, leaf],
            party,
            phase: Phase::Setup,
            paths: [PathClock::default(); 2],
        }
    }

    pub(crate) fn end(&self, side: Side) -> &End {
        &self.ends[side.index()]
    }

    pub(crate) fn end_mut(&mut self, side: Side) -> &mut End {
        &mut self.ends[side.index()]
    }

    /// The clock of the direction towards `to`.
    pub(crate) fn path_mut(&mut self, to: Side) -> &mut PathClock {
        &mut self.paths[to.index()]
    }

    pub(crate) fn is_multipoint(&self) -> bool {
        self.party.is_some()
    }

    pub(crate) fn is_dead(&self) -> bool {
        self.ends.iter().all(|e| e.state == EndState::Gone)
    }
}
