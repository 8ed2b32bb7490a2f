//! A change to a MARS database, in the terms RFC 2443 §5 propagates: one registration,
//! deregistration, join, leave, serve or unserve by one client, with the fields a CSA's
//! "MARS Specific Part" carries. The server reports its clients' changes as [`Update`]s and
//! applies the changes its peers report.

use mars_wire::mars::Flags;
use mars_wire::{AtmAddress, ProtoAddr, Protocol};

use super::db::Cmi;
use super::range::Range;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum UpdateKind {
    /// A cluster member registered (MARS_JOIN with `register`).
    Register,
    /// A cluster member deregistered (MARS_LEAVE with `register`), or was removed.
    Deregister,
    /// A member joined `range`.
    Join,
    /// A member left `range`.
    Leave,
    /// An MCS registered (MARS_MSERV with `register`).
    McsRegister,
    /// An MCS deregistered (MARS_UNSERV with `register`), or was removed.
    McsDeregister,
    /// An MCS serves the group `range.0` (MARS_MSERV).
    Serve,
    /// An MCS no longer serves the group `range.0` (MARS_UNSERV).
    Unserve,
}

impl UpdateKind {
    /// Whether this is a (de)registration.
    pub const fn is_registration(self) -> bool {
        matches!(
            self,
            UpdateKind::Register
                | UpdateKind::Deregister
                | UpdateKind::McsRegister
                | UpdateKind::McsDeregister
        )
    }

    /// Whether this concerns an MCS.
    pub const fn is_mcs(self) -> bool {
        matches!(
            self,
            UpdateKind::McsRegister
                | UpdateKind::McsDeregister
                | UpdateKind::Serve
                | UpdateKind::Unserve
        )
    }
}

/// One change, with everything needed to re-create the MARS message it came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Update {
    /// The kind of change.
    pub kind: UpdateKind,
    /// `mar$pro`: the cluster.
    #[serde(serialize_with = "crate::mars::server::report::display")]
    pub pro: Protocol,
    /// The member's CMI (or the MCS's id).
    pub cmi: Cmi,
    /// The client's ATM address.
    pub source: AtmAddress,
    /// The client's protocol address (may be null).
    pub spa: ProtoAddr,
    /// `mar$flags` as the client sent them (`layer3grp`, `register`, `sequence`).
    #[serde(skip)]
    pub flags: Flags,
    /// The group range joined or left, or the group served (`min == max`).
    pub range: Option<Range>,
    /// A deregistration made on the client's behalf because it vanished (RFC 2443 §2).
    pub proxy: bool,
}
