//! What the fabric knows about one endpoint: its address, its VC handles, its delivered events
//! and its counters.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use mars_proto::vc::MisuseCount;
use mars_proto::{Instant, PartyId, VcEvent, VcId};
use mars_wire::AtmAddress;

use super::label::VcLabel;
use super::leg::{LegKey, Side};

/// Per-endpoint counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointCounters {
    /// `Send` requests accepted (one per SDU, however many leaves it goes to).
    pub sdus_sent: u64,
    /// SDUs delivered to this endpoint.
    pub sdus_received: u64,
    /// SDUs addressed to this endpoint that were lost (link loss or a partition).
    pub sdus_lost: u64,
    /// Events delivered to this endpoint.
    pub events: u64,
    /// Requests naming unknown or dead handles, or otherwise breaking the contract.
    pub misuse: MisuseCount,
}

/// The root's handle of a multipoint VC.
#[derive(Debug, Default)]
pub(crate) struct RootVc {
    pub(crate) label: Option<VcLabel>,
    pub(crate) parties: BTreeMap<PartyId, LegKey>,
}

/// What a [`VcId`] names at one endpoint.
#[derive(Debug)]
pub(crate) enum LocalVc {
    /// One end of a leg: either end of a point-to-point VC, or a leaf of a multipoint VC.
    Leg { leg: LegKey, side: Side },
    /// The root of a multipoint VC.
    Root(RootVc),
}

/// One ATM endpoint of the fabric.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub(crate) address: AtmAddress,
    pub(crate) alive: bool,
    /// Endpoints can talk only within one island; see [`super::Fabric::partition`].
    pub(crate) island: u32,
    /// Handles the engine may use, ordered so that crash handling is deterministic.
    pub(crate) vcs: BTreeMap<VcId, LocalVc>,
    /// Legs whose SETUP is still travelling here (no handle yet).
    pub(crate) pending: BTreeSet<LegKey>,
    /// Delivered events not yet polled.
    pub(crate) events: VecDeque<(Instant, VcEvent)>,
    /// Whether this endpoint is on the fabric's ready list.
    pub(crate) ready: bool,
    pub(crate) next_incoming: u64,
    pub(crate) counters: EndpointCounters,
}

impl Endpoint {
    pub(crate) fn new(address: AtmAddress) -> Self {
        Endpoint {
            address,
            alive: true,
            island: 0,
            vcs: BTreeMap::new(),
            pending: BTreeSet::new(),
            events: VecDeque::new(),
            ready: false,
            next_incoming: 0,
            counters: EndpointCounters::default(),
        }
    }

    /// A fresh id for an incoming call.
    pub(crate) fn incoming_id(&mut self) -> VcId {
        self.next_incoming += 1;
        VcId::incoming(self.next_incoming)
    }

    /// Whether `vc` at this endpoint is the given end of `leg` (and not a later VC reusing the
    /// id).
    pub(crate) fn holds(&self, vc: VcId, leg: LegKey, side: Side) -> bool {
        matches!(self.vcs.get(&vc), Some(LocalVc::Leg { leg: l, side: s }) if *l == leg && *s == side)
    }

    pub(crate) fn count_misuse(&mut self) {
        self.counters.misuse.0 += 1;
    }
}
