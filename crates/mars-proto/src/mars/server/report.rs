//! What the server reports: counters named after the MARS MIB's `marsStatTable` (RFC 2417
//! §5), discards by reason, and events.

use mars_wire::{AtmAddress, DecodeError, ProtoAddr, Protocol};

use crate::mars::db::Cmi;
use crate::mars::range::Range;
use crate::mars::update::Update;
use crate::vc::{Cause, VcId};

/// Counters of one MARS. Names follow `marsStatTable` (RFC 2417) where it has one; the rest
/// count what the MIB does not (discards by reason, control VC activity).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[allow(missing_docs)]
pub struct ServerStats {
    pub mars_stat_tx_multi_msgs: u64,
    pub mars_stat_tx_grp_lst_rply_msgs: u64,
    pub mars_stat_tx_redirect_map_msgs: u64,
    pub mars_stat_tx_migrate_msgs: u64,
    pub mars_stat_tx_nak_msgs: u64,
    pub mars_stat_tx_join_msgs: u64,
    pub mars_stat_tx_leave_msgs: u64,
    pub mars_stat_tx_sjoin_msgs: u64,
    pub mars_stat_tx_sleave_msgs: u64,
    pub mars_stat_tx_mserv_msgs: u64,
    pub mars_stat_tx_unserv_msgs: u64,
    pub mars_stat_rx_req_msgs: u64,
    pub mars_stat_rx_grp_lst_req_msgs: u64,
    pub mars_stat_rx_join_msgs: u64,
    pub mars_stat_rx_leave_msgs: u64,
    pub mars_stat_rx_mserv_msgs: u64,
    pub mars_stat_rx_unserv_msgs: u64,
    pub mars_stat_rx_blk_join_msgs: u64,
    /// Discarded received messages, all reasons.
    pub discards: u64,
    /// Discarded because they did not decode.
    pub discards_malformed: u64,
    /// Registrations completed / deregistrations (all causes).
    pub registrations: u64,
    pub deregistrations: u64,
    /// Members deregistered because their leaf dropped off ClusterControlVC.
    pub unexpected_removals: u64,
}

/// Why a received message was dropped (a peer's mistake, RFC 2022 behaviour).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Discard {
    /// It did not decode.
    Malformed(#[serde(skip)] DecodeError),
    /// Not LLC/SNAP-framed MARS control (e.g. data or SCSP on a client VC).
    NotMarsControl,
    /// An unrecognised TLV with Type.x = 1 or 2 (RFC 2022 §10.2); `reported` for x = 2.
    Tlv { tlv_type: u16, reported: bool },
    /// Empty source ATM number (§6).
    NullSource,
    /// `mar$pro` not served by this MARS (§6).
    UnsupportedProtocol(Protocol),
    /// The source ATM address is not the calling party of the VC it came on.
    SourceMismatch,
    /// `mar$flags.copy` set on a message to the MARS (§6.1.2).
    CopySet,
    /// Not exactly one `<min,max>` pair, or min > max, or a length the protocol does not use
    /// (§6.1.2, §5.2.1).
    BadPairs,
    /// A non-registration message from a node not registered (§6.1.2, §6.1.1, §6.2.2).
    NotRegistered,
    /// An operation a MARS does not accept (e.g. MARS_MULTI sent to it).
    UnexpectedOp(u8),
    /// No free CMI.
    CmisExhausted,
}

impl Discard {
    /// A short name for counters and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Discard::Malformed(_) => "malformed",
            Discard::NotMarsControl => "not_mars_control",
            Discard::Tlv { .. } => "tlv",
            Discard::NullSource => "null_source",
            Discard::UnsupportedProtocol(_) => "unsupported_protocol",
            Discard::SourceMismatch => "source_mismatch",
            Discard::CopySet => "copy_set",
            Discard::BadPairs => "bad_pairs",
            Discard::NotRegistered => "not_registered",
            Discard::UnexpectedOp(_) => "unexpected_op",
            Discard::CmisExhausted => "cmis_exhausted",
        }
    }
}

/// What happened, for logs, tests and the distributed layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// A message was dropped.
    Discarded { vc: VcId, reason: Discard },
    /// A local client changed the database; the RFC 2443 layer turns this into a CSA.
    Local(Update),
    /// A cluster member completed registration here.
    Registered {
        pro: Protocol,
        cmi: Cmi,
        addr: AtmAddress,
    },
    /// A member left the cluster (`cause` is set when its leaf dropped unexpectedly).
    Deregistered {
        pro: Protocol,
        cmi: Cmi,
        addr: AtmAddress,
        cause: Option<Cause>,
    },
    /// A MARS_MIGRATE was sent for `group`.
    Migrated { pro: Protocol, group: ProtoAddr },
    /// An update learned from a peer could not be applied.
    Conflict { reason: String },
    /// A JOIN/LEAVE changed the host map.
    Membership {
        pro: Protocol,
        cmi: Cmi,
        joined: bool,
        changed: Vec<Range>,
    },
}
