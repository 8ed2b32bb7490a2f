//! The ATM service contract: what an engine may ask of the ATM network and what it is told.
//!
//! This is the whole interface between the protocol engines (MARS server, client, MCS, SCSP)
//! and a network. Two networks implement it with one meaning — the deterministic in-memory
//! fabric (`mars-sim`) and the ATM emulation over UDP (`marsd`) — and one contract test suite
//! (`mars_sim::contract`) runs against both. The engines cannot tell which one they run on.
//!
//! The model is ATM UNI 3.1 signalling as RFC 2022 §3 and RFC 1755 use it, reduced to what the
//! protocols need:
//!
//! - **Point-to-point VCs** are bidirectional. The caller sends [`VcRequest::Connect`]; the
//!   called endpoint sees [`VcEvent::IncomingCall`] with the calling party's address and
//!   answers [`VcRequest::Accept`] or [`VcRequest::Refuse`]; the caller then sees exactly one
//!   of [`VcEvent::Connected`] or [`VcEvent::Released`].
//! - **Point-to-multipoint VCs** are unidirectional, root to leaves. The root opens one with
//!   [`VcRequest::OpenMultipoint`] (it exists at once, with no leaves) and adds leaves with
//!   [`VcRequest::AddParty`]; each add ends in exactly one of [`VcEvent::PartyAdded`] or
//!   [`VcEvent::PartyDropped`]. A leaf sees the VC as an [`VcEvent::IncomingCall`] with
//!   `multipoint: true`. The root removes a leaf with [`VcRequest::DropParty`]; a leaf leaves
//!   by releasing its end ([`VcRequest::Release`]), which the root sees as
//!   [`VcEvent::PartyDropped`]. *Deviation from UNI 3.1:* dropping the last leaf does not
//!   release the VC; the root keeps it (with no leaves) until it releases it itself. MARS keeps
//!   ClusterControlVC open across membership changes, so this removes a needless re-setup.
//! - **Data**: [`VcRequest::Send`] carries one AAL5 SDU (LLC/SNAP header included). SDUs may
//!   be lost; they are never corrupted, duplicated or reordered within one VC (for a
//!   multipoint VC: within the path from the root to each leaf).
//! - **Release**: either end may release; the other end (every leaf, for a multipoint root)
//!   sees [`VcEvent::Released`] with the cause. The network itself releases VCs or drops
//!   parties when an endpoint dies or is partitioned away, with cause 27 "destination out of
//!   order".
//!
//! ## Handles
//! A [`VcId`] names one VC *at one endpoint*; the two ends of a VC generally know it by
//! different ids. The engine chooses ids for the VCs it opens ([`VcId::local`]); the network
//! chooses ids for incoming calls ([`VcId::is_incoming`] is true for those), so the two never
//! collide. A [`PartyId`] names one leaf of a multipoint VC at the root, chosen by the root.
//! An id may be reused after the VC (or party) it named is gone.
//!
//! ## Ordering guarantees (each is tested by the contract suite)
//! 1. `Connect` is answered by exactly one `Connected` or `Released`; nothing else is reported
//!    for that VC before it.
//! 2. At the called endpoint, `IncomingCall` precedes every other event of that VC.
//!    An endpoint may send only after `Connected` (caller) or after its own `Accept` (callee).
//! 3. `Received` events of one VC arrive in the order the SDUs were sent, each at most once.
//! 4. `Released` is the last event of a VC; no event for it follows.
//! 5. `AddParty` is answered by exactly one `PartyAdded` or `PartyDropped` for that party; an SDU
//!    sent after `PartyAdded` may reach that leaf, one sent before it does not.
//! 6. After `PartyDropped` (or a local `DropParty`) no further SDU reaches that leaf.
//! 7. A request the engine makes itself (`Release`, `DropParty`, `Refuse`) produces no event
//!    at that engine: the handle is dead at once.
//! 8. A request naming an unknown or dead handle is ignored (and counted by the network).

use bytes::Bytes;
use core::fmt;
use mars_wire::AtmAddress;

/// The default maximum AAL5 SDU size dmars assumes: 9180 octets of IP MTU (RFC 2225 §7) plus
/// the 8-octet LLC/SNAP header.
pub const DEFAULT_MAX_SDU: usize = 9188;

/// A VC as seen by one endpoint.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct VcId(pub u64);

impl VcId {
    const INCOMING: u64 = 1 << 63;

    /// An id for a VC the engine opens itself (`n` below 2^63).
    pub const fn local(n: u64) -> Self {
        VcId(n & !Self::INCOMING)
    }

    /// An id for an incoming call, chosen by the network.
    pub const fn incoming(n: u64) -> Self {
        VcId(n | Self::INCOMING)
    }

    /// Whether the network chose this id for an incoming call.
    pub const fn is_incoming(self) -> bool {
        self.0 & Self::INCOMING != 0
    }
}

impl fmt::Debug for VcId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for VcId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_incoming() {
            write!(f, "vc:in{}", self.0 & !Self::INCOMING)
        } else {
            write!(f, "vc:{}", self.0)
        }
    }
}

/// One leaf of a multipoint VC, as named by its root.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, serde::Serialize)]
pub struct PartyId(pub u32);

/// A Q.2931 cause value (ITU-T Q.2610), as carried in RELEASE and DROP PARTY.
#[derive(Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Cause(pub u8);

impl Cause {
    /// #1 unallocated (unassigned) number: no endpoint has the called address.
    pub const UNALLOCATED_NUMBER: Cause = Cause(1);
    /// #3 no route to destination (e.g. partitioned away at setup time).
    pub const NO_ROUTE: Cause = Cause(3);
    /// #16 normal call clearing.
    pub const NORMAL: Cause = Cause(16);
    /// #17 user busy.
    pub const USER_BUSY: Cause = Cause(17);
    /// #18 no user responding (setup not answered in time).
    pub const NO_USER_RESPONDING: Cause = Cause(18);
    /// #21 call rejected.
    pub const CALL_REJECTED: Cause = Cause(21);
    /// #27 destination out of order: the peer died or became unreachable.
    pub const DESTINATION_OUT_OF_ORDER: Cause = Cause(27);
    /// #31 normal, unspecified.
    pub const NORMAL_UNSPECIFIED: Cause = Cause(31);
    /// #41 temporary failure.
    pub const TEMPORARY_FAILURE: Cause = Cause(41);
    /// #47 resource unavailable, unspecified (e.g. too many VCs).
    pub const RESOURCE_UNAVAILABLE: Cause = Cause(47);
    /// #102 recovery on timer expiry.
    pub const TIMER_EXPIRY: Cause = Cause(102);

    /// The cause's name in Q.2610.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "unallocated number",
            3 => "no route to destination",
            16 => "normal call clearing",
            17 => "user busy",
            18 => "no user responding",
            21 => "call rejected",
            27 => "destination out of order",
            31 => "normal, unspecified",
            41 => "temporary failure",
            47 => "resource unavailable",
            102 => "recovery on timer expiry",
            _ => "other",
        }
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cause(#{} {})", self.0, self.name())
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} {}", self.0, self.name())
    }
}

/// What an engine asks of the network.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum VcRequest {
    /// Open a point-to-point bidirectional VC to `to`, naming it `vc` (a [`VcId::local`]).
    /// Answered by [`VcEvent::Connected`] or [`VcEvent::Released`].
    Connect { vc: VcId, to: AtmAddress },
    /// Accept an incoming call announced by [`VcEvent::IncomingCall`].
    Accept { vc: VcId },
    /// Refuse an incoming call. The caller sees `Released` (or `PartyDropped`) with `cause`.
    Refuse { vc: VcId, cause: Cause },
    /// Open a point-to-multipoint VC as its root, with no leaves yet.
    OpenMultipoint { vc: VcId },
    /// Add the leaf `to` to the multipoint VC `vc`, naming it `party`.
    /// Answered by [`VcEvent::PartyAdded`] or [`VcEvent::PartyDropped`].
    AddParty {
        vc: VcId,
        party: PartyId,
        to: AtmAddress,
    },
    /// Remove a leaf from a multipoint VC this endpoint is root of.
    DropParty {
        vc: VcId,
        party: PartyId,
        cause: Cause,
    },
    /// Release a VC: either end of a point-to-point VC, the root of a multipoint VC (all
    /// leaves are released), or a leaf (it leaves; the root sees `PartyDropped`).
    Release { vc: VcId, cause: Cause },
    /// Send one AAL5 SDU. On a multipoint VC only the root may send.
    Send { vc: VcId, sdu: Bytes },
}

impl VcRequest {
    /// The VC this request concerns.
    pub fn vc(&self) -> VcId {
        match *self {
            VcRequest::Connect { vc, .. }
            | VcRequest::Accept { vc }
            | VcRequest::Refuse { vc, .. }
            | VcRequest::OpenMultipoint { vc }
            | VcRequest::AddParty { vc, .. }
            | VcRequest::DropParty { vc, .. }
            | VcRequest::Release { vc, .. }
            | VcRequest::Send { vc, .. } => vc,
        }
    }
}

/// What the network tells an engine.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum VcEvent {
    /// Someone is calling. `multipoint` is true when this endpoint is being added as a leaf of
    /// a multipoint VC rooted at `from`. Answer with `Accept` or `Refuse`.
    IncomingCall {
        vc: VcId,
        from: AtmAddress,
        multipoint: bool,
    },
    /// An outgoing point-to-point call was accepted.
    Connected { vc: VcId },
    /// The VC is gone: released by the peer (or the root), refused, unreachable, or failed.
    Released { vc: VcId, cause: Cause },
    /// A leaf was added to a multipoint VC this endpoint is root of.
    PartyAdded { vc: VcId, party: PartyId },
    /// A leaf left, was refused, is unreachable, or died.
    PartyDropped {
        vc: VcId,
        party: PartyId,
        cause: Cause,
    },
    /// An SDU arrived.
    Received { vc: VcId, sdu: Bytes },
}

impl VcEvent {
    /// The VC this event concerns.
    pub fn vc(&self) -> VcId {
        match *self {
            VcEvent::IncomingCall { vc, .. }
            | VcEvent::Connected { vc }
            | VcEvent::Released { vc, .. }
            | VcEvent::PartyAdded { vc, .. }
            | VcEvent::PartyDropped { vc, .. }
            | VcEvent::Received { vc, .. } => vc,
        }
    }
}

/// A counter of network-side mistakes an engine made (requests naming dead handles, sends on
/// a leaf end, …). Networks keep one per endpoint so that tests can assert it stays zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MisuseCount(pub u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_spaces_do_not_collide() {
        assert!(!VcId::local(5).is_incoming());
        assert!(VcId::incoming(5).is_incoming());
        assert_ne!(VcId::local(5), VcId::incoming(5));
        assert_eq!(VcId::incoming(5).to_string(), "vc:in5");
    }

    #[test]
    fn cause_names() {
        assert_eq!(
            Cause::DESTINATION_OUT_OF_ORDER.to_string(),
            "#27 destination out of order"
        );
    }
}
